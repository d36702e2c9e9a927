list(APPEND RCC_TESTS test_run test_net test_stream test_guest test_share)
add_test(NAME test_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.sh $<TARGET_FILE:rcc-cli> ${RCC_SHARED_DATA})
# The tests that train (here, test_golden, example_bars, test_mpi_cli, test_python) use 2 OpenMP
# threads on 2 CPUs: two of them side by side under ctest -j2 oversubscribe the CPUs, and on this
# KVM machine libgomp's sleeping workers then wake so slowly that tiny trainings ran 50-100 times
# slower (test_cli beside test_python: 7 and 6 min instead of 1.5 min and 15 s; beside
# test_stream_cli over 10 min; test_golden beside test_cli 54 s instead of 4.5). So each says it
# takes both CPUs (PROCESSORS 2) and ctest runs it alone.
set_tests_properties(test_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 PROCESSORS 2)
if(NOT RCC_SANITIZE) # a sanitized librcc.a needs the sanitizer flags to link
  add_test(NAME test_install COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
endif()
# Crash safety: SIGKILL at random moments, resume, SIGTERM (tiny network on 1024 MNIST images).
add_test(NAME test_crash COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_crash.sh $<TARGET_FILE:rcc-cli> ${RCC_SHARED_DATA})
set_tests_properties(test_crash PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 PROCESSORS 2)
# The tool on bad invocations and output problems: missing flags, one image, resume refusals,
# unwritable folder, full disk (tmpfs in a mount namespace), /dev/full.
add_test(NAME test_robust COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_robust.sh $<TARGET_FILE:rcc-cli> ${RCC_SHARED_DATA})
set_tests_properties(test_robust PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 PROCESSORS 2)
# rcc serve over real loopback HTTP (tests/test_serve.sh): every endpoint, equality with rcc predict,
# reloads, bad requests, signals.
if(TARGET rcc_serve)
  # the served view equals the data set's (rcc predict's) for the same file
  add_executable(test_serve_view test_serve_view.c testutil.c)
  target_include_directories(test_serve_view PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(test_serve_view PRIVATE RCC_CORPUS="${CMAKE_CURRENT_SOURCE_DIR}/fuzz-corpus/image"
                                                    _POSIX_C_SOURCE=200809L)
  target_link_libraries(test_serve_view PRIVATE rcc PkgConfig::RCC_DEPS)
  add_test(NAME test_serve_view COMMAND test_serve_view)
  add_executable(serve_png serve_png.c)
  target_link_libraries(serve_png PRIVATE PkgConfig::RCC_DEPS)
  add_test(NAME test_serve COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_serve.sh $<TARGET_FILE:rcc-cli>
           $<TARGET_FILE:serve_png> ${RCC_SHARED_DATA})
  set_tests_properties(test_serve PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
  # rcc train --follow / --stream with files arriving, a kill and resume, rcc serve following it
  add_test(NAME test_stream_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_stream.sh $<TARGET_FILE:rcc-cli>
           $<TARGET_FILE:serve_png> ${RCC_SHARED_DATA})
  set_tests_properties(test_stream_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 PROCESSORS 2)
endif()
add_test(NAME test_longtail COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_longtail.sh $<TARGET_FILE:rcc-cli> ${RCC_SHARED_DATA})
set_tests_properties(test_longtail PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 PROCESSORS 2)
# rcc report and rcc predict --sort-into (docs/report.md): the page parsed, hostile names escaped,
# nothing written outside --out; sorting by links or copies with the originals untouched.
if(TARGET rcc_report)
  add_test(NAME test_report COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_report.sh $<TARGET_FILE:rcc-cli> ${RCC_SHARED_DATA}
           ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_report PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()
# A real browser (chromium headless through python3-selenium) on the report from disk and on the
# page of rcc serve: upload through the page, hostile names, nothing executed; screenshots kept.
if(TARGET rcc_report AND TARGET rcc_serve)
  add_test(NAME test_browser COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_browser.sh $<TARGET_FILE:rcc-cli> ${RCC_SHARED_DATA}
           ${CMAKE_SOURCE_DIR})
  set_tests_properties(test_browser PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()
if(TARGET rcc_report)
  add_executable(test_report_unit test_report_unit.c testutil.c)
  target_include_directories(test_report_unit PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(test_report_unit PRIVATE _POSIX_C_SOURCE=200809L)
  target_link_libraries(test_report_unit PRIVATE rcc_report PkgConfig::RCC_DEPS)
  add_test(NAME test_report_unit COMMAND test_report_unit)
endif()
