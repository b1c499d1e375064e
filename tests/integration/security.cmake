# SPDX-License-Identifier: MIT
# Model signing and encryption through the CLI (tests/security/).
add_test(NAME security_model_crypto_cli COMMAND ${PROJECT_SOURCE_DIR}/tests/security/check_model_crypto_cli.sh)
set_tests_properties(security_model_crypto_cli PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                     TIMEOUT 300)

# The server's TLS (certificates made with certtool at test time), API keys, and signed /
# encrypted models in the repository (tests/security/test_server_*.py; exit 77 without python3,
# certtool or curl).
set(EI_SECURITY_SERVER_TESTS tls auth models)
if(EI_GRPC)
  list(APPEND EI_SECURITY_SERVER_TESTS grpc)  # API keys and TLS over gRPC
endif()
foreach(t ${EI_SECURITY_SERVER_TESTS})
  add_test(NAME security_server_${t}
           COMMAND /bin/sh -c "[ -x \"$EI_PYTHON\" ] || exit 77; exec \"$EI_PYTHON\" \"$0\""
                   ${PROJECT_SOURCE_DIR}/tests/security/test_server_${t}.py)
  set_tests_properties(security_server_${t} PROPERTIES LABELS "integration;server"
                       ENVIRONMENT "${EI_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
