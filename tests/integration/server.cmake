# SPDX-License-Identifier: MIT
# `edgeinfer serve` end to end: each test starts the real server on 127.0.0.1 with
# --http-port 0 --metrics-port 0 --port-file, drives it with a Python-stdlib client (and curl), and
# stops it with a signal. Exit 77 (skipped) when /usr/bin/python3 is missing. They all run in the
# ASan+UBSan pass too: the server is a child process there, so a memory error or leak makes it
# exit non-zero and the test fail.
set(EI_SERVER_TESTS endpoints batching reload sigterm burst encoding shm bench_url sequence rest_details
    custom_ops browser slow_clients limits image_pool startup ocr ocr_model)
if(EI_GRPC)
  # gRPC (python3-grpcio, stubs generated from src/server/grpc/grpc_service.proto at test time).
  list(APPEND EI_SERVER_TESTS grpc grpc_queue grpc_parity bench_grpc)
endif()
foreach(t ${EI_SERVER_TESTS})
  add_test(NAME server_${t}
           COMMAND /bin/sh -c "[ -x \"$EI_PYTHON\" ] || exit 77; exec \"$EI_PYTHON\" \"$0\""
                   ${PROJECT_SOURCE_DIR}/tests/server/test_${t}.py)
  set_tests_properties(server_${t} PROPERTIES LABELS "integration;server"
                       ENVIRONMENT "${EI_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

# The command line: help, usage errors (exit 2) and an unreadable repository (exit 1, named).
add_test(NAME server_cli_help COMMAND ${EI_TEST_BIN} serve --help)
set_tests_properties(server_cli_help PROPERTIES LABELS "integration;server"
                     PASS_REGULAR_EXPRESSION "--model-repository DIR")
add_test(NAME server_cli_usage COMMAND /bin/sh -c "\"$0\" serve --http-port 99999 2>&1; echo exit=$?"
         ${EI_TEST_BIN})
set_tests_properties(server_cli_usage PROPERTIES LABELS "integration;server"
                     PASS_REGULAR_EXPRESSION "expected an integer in 0..65535.*exit=2")
add_test(NAME server_cli_bad_repo
         COMMAND /bin/sh -c "\"$0\" serve --model-repository /nonexistent/repo --metrics-port -1 2>&1; echo exit=$?"
         ${EI_TEST_BIN})
set_tests_properties(server_cli_bad_repo PROPERTIES LABELS "integration;server"
                     ENVIRONMENT "${EI_TEST_ENV}" PASS_REGULAR_EXPRESSION "/nonexistent/repo.*EI_ENOENT.*exit=1")
