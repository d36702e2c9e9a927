# Data-parallel training (docs/distributed.md): with MPI, two processes on this machine must train
# the same model as one process on the same global batch (test_mpi), and `rcc train` must run under
# mpirun (test_mpi_cli). Open MPI's variables allow running as root (CI) and on more processes than cores.
if(MPI_C_FOUND)
  add_executable(test_mpi test_mpi.c testutil.c)
  target_include_directories(test_mpi PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(test_mpi PRIVATE _POSIX_C_SOURCE=200809L)
  target_link_libraries(test_mpi PRIVATE rcc PkgConfig::RCC_DEPS)
  set(RCC_MPI_ENV OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
      OMP_NUM_THREADS=1)
  if(RCC_SANITIZE) # Open MPI keeps allocations until exit: not leaks of ours
    list(APPEND RCC_MPI_ENV ASAN_OPTIONS=detect_leaks=0:abort_on_error=1)
  endif()
  add_test(NAME test_mpi COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 $<TARGET_FILE:test_mpi>)
  add_test(NAME test_mpi_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_mpi_cli.sh ${MPIEXEC_EXECUTABLE}
           $<TARGET_FILE:rcc-cli> ${RCC_SHARED_DATA})
  set_tests_properties(test_mpi test_mpi_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 ENVIRONMENT "${RCC_MPI_ENV}")
  set_tests_properties(test_mpi_cli PROPERTIES PROCESSORS 2) # two ranks that train (tests/run.cmake)
endif()
