# SPDX-License-Identifier: MIT
# Model signing and encryption through the CLI (tests/security/).
add_test(NAME security_model_crypto_cli COMMAND ${PROJECT_SOURCE_DIR}/tests/security/check_model_crypto_cli.sh)
set_tests_properties(security_model_crypto_cli PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                     TIMEOUT 300)
