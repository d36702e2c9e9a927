# Serving module (issue 16): `rcc serve`, clustering as an HTTP service, built as its own library
# on librcc so that librcc does not depend on libmicrohttpd. Included by CMakeLists.txt after the
# rcc target exists. See docs/serving.md.
pkg_check_modules(RCC_SERVE_DEPS REQUIRED IMPORTED_TARGET libmicrohttpd)
# The web page (issue 29): src/serve/assets/ turned into C at build time (embed_assets.cmake).
set(RCC_SERVE_ASSETS index_html=${CMAKE_SOURCE_DIR}/src/serve/assets/index.html
                     app_js=${CMAKE_SOURCE_DIR}/src/serve/assets/app.js
                     app_css=${CMAKE_SOURCE_DIR}/src/serve/assets/app.css)
set(RCC_SERVE_ASSET_FILES ${RCC_SERVE_ASSETS})
list(TRANSFORM RCC_SERVE_ASSET_FILES REPLACE "^[a-z_]+=" "")
string(REPLACE ";" "|" RCC_SERVE_ASSETS_ARG "${RCC_SERVE_ASSETS}") # one argument on the command line
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/serve_assets.c
                   COMMAND ${CMAKE_COMMAND} -DOUT=${CMAKE_BINARY_DIR}/serve_assets.c "-DASSETS=${RCC_SERVE_ASSETS_ARG}"
                           -P ${CMAKE_SOURCE_DIR}/src/serve/embed_assets.cmake
                   DEPENDS ${RCC_SERVE_ASSET_FILES} ${CMAKE_SOURCE_DIR}/src/serve/embed_assets.cmake
                   COMMENT "Embedding the page of rcc serve" VERBATIM)
add_library(rcc_serve src/serve/request.c src/serve/core.c src/serve/model.c src/serve/metrics.c src/serve/http.c
                      src/serve/page.c ${CMAKE_BINARY_DIR}/serve_assets.c)
target_include_directories(rcc_serve PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_compile_definitions(rcc_serve PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(rcc_serve PUBLIC rcc PRIVATE PkgConfig::RCC_SERVE_DEPS PkgConfig::RCC_DEPS Threads::Threads)
list(APPEND RCC_CLI_SOURCES cli/cmd_serve.c)
list(APPEND RCC_CLI_LIBS rcc_serve)
