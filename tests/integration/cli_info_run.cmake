# SPDX-License-Identifier: MIT
# `edgeinfer info` and `edgeinfer run` on the bundled models, good paths and bad ones: each case of
# tests/integration/info_run/check.py is one ctest test (it checks exit codes, messages, output
# files with numpy, and op counts against the onnx package). Also links test_cli_args against the
# CLI library it tests.
if(TARGET test_cli_args)
  target_link_libraries(test_cli_args PRIVATE ei_cli)
endif()

set(EI_INFO_RUN_CASES
  info_cls_text info_cls_json info_silero_text info_silero_json info_help info_bad_paths
  info_ort_refuses
  run_cls_random run_cls_npy run_cls_pb run_cls_json run_silero_npy run_silero_generated run_types run_help
  run_bad_model run_wrong_input_name run_wrong_dtype run_wrong_rank run_wrong_dim run_bad_provider
  run_bad_npy run_bad_pb run_missing_inputs run_usage_errors)
foreach(c ${EI_INFO_RUN_CASES})
  add_test(NAME cli_${c}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/info_run/check.py ${c})
  set_tests_properties(cli_${c} PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
