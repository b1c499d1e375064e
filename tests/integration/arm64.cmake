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
