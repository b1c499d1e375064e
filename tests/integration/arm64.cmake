# SPDX-License-Identifier: MIT
# Cross builds only (`make test-arm64`, cmake/aarch64-linux-gnu.cmake): the ARM64 CLI under qemu-user
# against the host's build (EI_HOST_BIN, set by the Makefile to build/cli/edgeinfer) on the same
# inputs: tests/arm64/compare_host.py.
set(EI_HOST_BIN "" CACHE FILEPATH "The host build's edgeinfer, for arm64_vs_host (cross builds)")
if(CMAKE_CROSSCOMPILING AND EI_HOST_BIN)
  add_test(NAME arm64_vs_host COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/arm64/compare_host.py)
  set_tests_properties(arm64_vs_host PROPERTIES LABELS integration
                       ENVIRONMENT "${EI_TEST_ENV};EI_HOST_BIN=${EI_HOST_BIN}" SKIP_RETURN_CODE 77
                       TIMEOUT 900)
endif()

# A conformance selection for emulation (conformance_subset forks one ONNX Runtime per case, about
# 1.5 s of CPU each under qemu: 40 cases are too slow for CI): element types (float16, bfloat16,
# double, string, uint64), quantisation, control flow and sequences, against their references.
if(CMAKE_CROSSCOMPILING)
  set(EI_ARM64_CONF "conformance")
  foreach(c test_add test_cast_FLOAT_to_FLOAT16 test_cast_FLOAT16_to_DOUBLE test_cast_BFLOAT16_to_FLOAT
      test_cast_STRING_to_FLOAT test_quantizelinear test_max_uint64 test_gather_0 test_if_opt
      test_sequence_insert_at_back test_matmul_2d test_conv_with_strides_padding)
    string(APPEND EI_ARM64_CONF "^${EI_ONNX_TESTDATA}/node/${c}")
  endforeach()
  add_test(NAME arm64_conformance COMMAND ${CMAKE_COMMAND} -DBIN=${EI_TEST_BIN}
    "-DARGS=${EI_ARM64_CONF}^--skip-list^${PROJECT_SOURCE_DIR}/tests/conformance/skip.txt^--jobs^2"
    -DRC=0 "-DMATCH=\n12 passed, 0 failed, 0 skipped\n$" -P ${PROJECT_SOURCE_DIR}/tests/conformance/check.cmake)
  set_tests_properties(arm64_conformance PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                       TIMEOUT 900)
endif()
