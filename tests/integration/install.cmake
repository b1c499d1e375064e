# make install + building examples/ against the installed copy (pkg-config and find_package).
# Not under ASan: the installed libraries would carry the sanitizer runtime into plain builds.
add_test(NAME install_and_example COMMAND ${PROJECT_SOURCE_DIR}/tests/install/check_install.sh)
set_tests_properties(install_and_example PROPERTIES LABELS "integration;noasan"
  ENVIRONMENT "${EI_TEST_ENV}" TIMEOUT 300)

# Your own ONNX Runtime: ONNXRUNTIME_ROOT and pkg-config (configures two fresh trees; builds one
# small target in each).
add_test(NAME ort_override COMMAND ${PROJECT_SOURCE_DIR}/tests/install/check_ort_override.sh)
set_tests_properties(ort_override PROPERTIES LABELS "integration;noasan" ENVIRONMENT "${EI_TEST_ENV}"
  TIMEOUT 300 SKIP_RETURN_CODE 77)
