# Every command answers --help; unknown commands/options are usage errors; --version.
add_test(NAME cli_help_and_usage COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/check_help.sh)
set_tests_properties(cli_help_and_usage PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}")
