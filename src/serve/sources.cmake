# Serving module (issue 16): `rcc serve`, clustering as an HTTP service, built as its own library
# on librcc so that librcc does not depend on libmicrohttpd. Included by CMakeLists.txt after the
# rcc target exists. See docs/serving.md.
pkg_check_modules(RCC_SERVE_DEPS REQUIRED IMPORTED_TARGET libmicrohttpd)
add_library(rcc_serve src/serve/request.c src/serve/core.c src/serve/model.c src/serve/metrics.c src/serve/http.c)
target_include_directories(rcc_serve PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_compile_definitions(rcc_serve PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(rcc_serve PUBLIC rcc PRIVATE PkgConfig::RCC_SERVE_DEPS PkgConfig::RCC_DEPS Threads::Threads)
list(APPEND RCC_CLI_SOURCES cli/cmd_serve.c)
list(APPEND RCC_CLI_LIBS rcc_serve)
