# Report module (issue 29): `rcc report`, one HTML page of what a model made of a data set, as a
# library of its own on librcc_plot (it shows the run's pictures) and librcc. Included by
# CMakeLists.txt after the rcc_plot target exists. See docs/report.md.
add_library(rcc_report src/report/report.c src/report/page.c src/report/html.c src/report/outdir.c src/report/sort.c)
target_include_directories(rcc_report PUBLIC ${CMAKE_SOURCE_DIR}/include PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(rcc_report PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(rcc_report PUBLIC rcc_plot rcc)
list(APPEND RCC_CLI_SOURCES cli/cmd_report.c)
list(APPEND RCC_CLI_LIBS rcc_report)
