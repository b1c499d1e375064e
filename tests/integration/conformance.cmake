# SPDX-License-Identifier: MIT
# `edgeinfer conformance` on the ONNX backend test data (Debian libonnx-testdata, EI_ONNX_TESTDATA)
# and on the tiny cases in tests/conformance/data (made by tests/conformance/make_test_cases.py).
#
#   conformance_full       every runnable case (node, pytorch-converted, pytorch-operator, simple;
#                          `real` holds only download pointers and is left out) with the reviewed
#                          skip list: 0 failed and at least EI_CONFORMANCE_MIN_PASSED passed.
#                          About 30 s with 2 jobs; labelled slow, so only the Release pass runs it.
#   conformance_subset     `simple` plus a few node cases covering float16, bfloat16, double,
#                          string, bool, int64, uint8/int8, uint64, sequences (an empty one
#                          too), optionals in and out, and listed/automatic skips: fast enough
#                          for the ASan pass.
#   conformance_*          failure paths: a wrong reference, a corrupt .pb, a per-case timeout, a
#                          crash (SIGSEGV) in a case, a folder without cases, usage errors, the skip
#                          list's skip / unexpected-pass / bad-entry handling, --json.
set(EI_CONF_DIR ${PROJECT_SOURCE_DIR}/tests/conformance)
set(EI_CONF_DATA ${EI_CONF_DIR}/data)
set(EI_CONF_CHECK ${CMAKE_COMMAND} -DBIN=${EI_TEST_BIN}
    "-DNOMATCH=AddressSanitizer|LeakSanitizer|runtime error:")
# Passing cases observed on ONNX Runtime 1.29.0 with the en_US.UTF-8 locale (docs/CONFORMANCE.md).
# Without the locale (scripts/setup.sh could not generate it) the 6 StringNormalizer cases are
# skipped for that environmental reason, not failed, and the floor drops by those 6.
set(EI_CONFORMANCE_MIN_PASSED 991)
execute_process(COMMAND locale -a OUTPUT_VARIABLE ei_locales ERROR_QUIET)
if(NOT ei_locales MATCHES "(^|\n)en_US\.(utf8|UTF-8)(\n|$)")
  message(STATUS "en_US.UTF-8 locale missing: the StringNormalizer conformance cases will be skipped")
  math(EXPR EI_CONFORMANCE_MIN_PASSED "${EI_CONFORMANCE_MIN_PASSED} - 6")
endif()

set(d ${EI_ONNX_TESTDATA})
add_test(NAME conformance_full COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${d}/node^${d}/pytorch-converted^${d}/pytorch-operator^${d}/simple^--skip-list^${EI_CONF_DIR}/skip.txt"
  -DRC=0 -DMIN_PASSED=${EI_CONFORMANCE_MIN_PASSED} -P ${EI_CONF_DIR}/check.cmake)
set_tests_properties(conformance_full PROPERTIES LABELS "integration;slow" TIMEOUT 900
  ENVIRONMENT "${EI_TEST_ENV}")

set(sub "")
foreach(c test_add test_cast_FLOAT_to_FLOAT16 test_cast_FLOAT16_to_DOUBLE test_cast_BFLOAT16_to_FLOAT
    test_cast_STRING_to_FLOAT test_cast_FLOAT_to_STRING test_argmax_default_axis_example test_equal
    test_quantizelinear test_dequantizelinear test_bitshift_right_uint8 test_identity_sequence
    test_bernoulli test_cast_FLOAT_to_BFLOAT16 test_max_uint64 test_where_example test_gather_0
    test_if_opt test_optional_get_element test_loop13_seq test_sequence_insert_at_back
    test_optional_has_element_empty)
  string(APPEND sub "^${d}/node/${c}")
endforeach()
add_test(NAME conformance_subset COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${d}/simple${sub}^--skip-list^${EI_CONF_DIR}/skip.txt^--jobs^2"
  -DRC=0 "-DMATCH=\n39 passed, 0 failed, 6 skipped\n$" -DMIN_PASSED=39 -P ${EI_CONF_DIR}/check.cmake)

add_test(NAME conformance_pass COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/add_ok" -DRC=0 "-DMATCH=\n1 passed, 0 failed, 0 skipped\n$"
  -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_wrong_output COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/add_ok^${EI_CONF_DATA}/add_wrong" -DRC=1
  "-DMATCH=FAIL data/add_wrong: test_data_set_0: output 0 'z': 1 of 6 elements differ; first at \\[1,1\\]: expected 2, got 1.5"
  "-DMATCH2=\n1 passed, 1 failed, 0 skipped\n$" -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_bad_pb COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/add_bad_pb" -DRC=1
  "-DMATCH=FAIL data/add_bad_pb: [^\n]*input_1.pb: not a valid TensorProto"
  "-DMATCH2=\n0 passed, 1 failed, 0 skipped\n$" -P ${EI_CONF_DIR}/check.cmake)
# Only cases that never end run under the short limit, so the verdict cannot depend on how fast
# the machine is (a passing case under a 1 s limit timed out under ASan on a loaded machine). Two
# of them, one at a time, prove the run goes on after a kill; conformance_crash proves a passing
# case still runs after a failed one.
add_test(NAME conformance_timeout COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/loop_slow^${EI_CONF_DATA}/loop_slow^--timeout^1^--jobs^1"
  -DRC=1 "-DMATCH=FAIL data/loop_slow: timed out after 1 s[^\n]*\n[^\n]*FAIL data/loop_slow: timed out after 1 s"
  "-DMATCH2=\n0 passed, 2 failed, 0 skipped\n$" -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_crash COMMAND sh ${EI_CONF_DIR}/crash_test.sh ${EI_TEST_BIN}
  ${EI_CONF_DATA}/loop_slow ${EI_CONF_DATA}/add_ok)
add_test(NAME conformance_no_cases COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/no_cases" -DRC=1
  "-DMATCH=no_cases: no test cases \\(folders holding model.onnx\\)" -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_missing_dir COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/does_not_exist" -DRC=1 "-DMATCH=does_not_exist: not a folder"
  -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_usage COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^--jobs^0^${EI_CONF_DATA}/add_ok" -DRC=2 "-DMATCH=--jobs needs a number"
  -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_skip_list COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/add_ok^${EI_CONF_DATA}/add_wrong^--skip-list^${EI_CONF_DATA}/skip_test.txt"
  -DRC=0 "-DMATCH=UNEXPECTED PASS data/add_ok \\(skip list: test: listed although it passes\\)"
  "-DMATCH2=\n1 passed, 0 failed, 1 skipped\n$" -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_bad_skip_list COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/add_ok^--skip-list^${EI_CONF_DATA}/skip_bad.txt" -DRC=1
  "-DMATCH=skip_bad.txt:3: entry 'data/add_wrong' has no reason" -P ${EI_CONF_DIR}/check.cmake)
add_test(NAME conformance_json COMMAND ${EI_CONF_CHECK}
  "-DARGS=conformance^${EI_CONF_DATA}/add_ok^${EI_CONF_DATA}/add_wrong^--json" -DRC=1
  "-DMATCH=\"status\": \"fail\",[^}]*\"reason\": \"test_data_set_0: output 0 'z'"
  "-DMATCH2=\"passed\": 1,[ \n]*\"failed\": 1," -P ${EI_CONF_DIR}/check.cmake)
set_tests_properties(conformance_subset conformance_pass conformance_wrong_output conformance_bad_pb
  conformance_timeout conformance_crash conformance_no_cases conformance_missing_dir
  conformance_usage conformance_skip_list conformance_bad_skip_list conformance_json
  PROPERTIES LABELS integration TIMEOUT 300 ENVIRONMENT "${EI_TEST_ENV}")
