# ctest `format`: every C and C++ source of allocmark is as clang-format
# leaves it (.clang-format: Google style). Run with
#   cmake -DSOURCE_DIR=<repo> -DCLANG_FORMAT=<path> -P tests/format_check.cmake
# Fix a failure with: clang-format -i FILE.
if(NOT CLANG_FORMAT)
  message(FATAL_ERROR "clang-format is not installed (make deps installs it)")
endif()
file(GLOB_RECURSE sources RELATIVE "${SOURCE_DIR}"
     "${SOURCE_DIR}/base/*.h" "${SOURCE_DIR}/base/*.cc"
     "${SOURCE_DIR}/allocators/*.[ch]" "${SOURCE_DIR}/allocators/*.cc"
     "${SOURCE_DIR}/workloads/*.h" "${SOURCE_DIR}/workloads/*.cc"
     "${SOURCE_DIR}/harness/*.h" "${SOURCE_DIR}/harness/*.cc"
     "${SOURCE_DIR}/bench/*.h" "${SOURCE_DIR}/bench/*.cc"
     "${SOURCE_DIR}/tests/*.h" "${SOURCE_DIR}/tests/*.cc" "${SOURCE_DIR}/tests/*.c")
set(unformatted "")
foreach(source IN LISTS sources)
  execute_process(COMMAND "${CLANG_FORMAT}" --dry-run --Werror "${source}"
                  WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    list(APPEND unformatted "${source}")
  endif()
endforeach()
list(LENGTH sources checked)
if(unformatted)
  list(JOIN unformatted " " names)
  message(FATAL_ERROR "not as clang-format leaves them (clang-format -i FILE): ${names}")
endif()
message(STATUS "${checked} sources formatted")
