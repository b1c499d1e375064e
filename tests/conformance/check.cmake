# SPDX-License-Identifier: MIT
# Runs `edgeinfer conformance` and checks its exit status and output (ctest alone can check one or
# the other, not both). Patterns see stderr then stdout, so `$` is the end of stdout.
#   cmake -DBIN=<edgeinfer> -DARGS="a^b^c" -DRC=<status> [-DMATCH=<regex>] [-DMATCH2=<regex>]
#         [-DNOMATCH=<regex>] [-DMIN_PASSED=<n>] -P check.cmake
# MIN_PASSED also requires the closing line 'N passed, 0 failed, N skipped' with N >= MIN_PASSED.
string(REPLACE "^" ";" args "${ARGS}")
execute_process(COMMAND ${BIN} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
message("${err}")
if(NOT "${rc}" STREQUAL "${RC}")
  message(FATAL_ERROR "exit status ${rc}, expected ${RC}")
endif()
foreach(m MATCH MATCH2)
  if(DEFINED ${m} AND NOT "${err}${out}" MATCHES "${${m}}")
    message(FATAL_ERROR "output does not match '${${m}}'")
  endif()
endforeach()
if(DEFINED NOMATCH AND "${err}${out}" MATCHES "${NOMATCH}")
  message(FATAL_ERROR "output matches '${NOMATCH}'")
endif()
if(DEFINED MIN_PASSED)
  if(NOT "${out}" MATCHES "(^|\n)([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped\n$")
    message(FATAL_ERROR "no closing 'N passed, N failed, N skipped' line at the end of stdout")
  endif()
  set(passed ${CMAKE_MATCH_2})
  set(failed ${CMAKE_MATCH_3})
  if(NOT failed EQUAL 0)
    message(FATAL_ERROR "${failed} case(s) failed")
  endif()
  if(passed LESS MIN_PASSED)
    message(FATAL_ERROR "only ${passed} cases passed, expected at least ${MIN_PASSED}")
  endif()
endif()
