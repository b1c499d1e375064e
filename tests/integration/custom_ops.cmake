# SPDX-License-Identifier: MIT
# Custom-op libraries and errors in our words through the CLI (tests/customop/cli_checks.sh); the
# library API side is tests/unit/test_custom_ops.c.
add_test(NAME cli_custom_ops COMMAND ${PROJECT_SOURCE_DIR}/tests/customop/cli_checks.sh)
set_tests_properties(cli_custom_ops PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}")
