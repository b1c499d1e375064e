# Formatting (.clang-format, STYLE.md section 11): `make format` fixes what this reports.
add_test(NAME format_check COMMAND ${PROJECT_SOURCE_DIR}/tests/lint/check_format.sh)
set_tests_properties(format_check PROPERTIES LABELS "lint;noasan" ENVIRONMENT "${EI_TEST_ENV}"
  SKIP_RETURN_CODE 77)
