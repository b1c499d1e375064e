# make install + building examples/ against the installed copy (pkg-config and find_package).
# Not under ASan: the installed libraries would carry the sanitizer runtime into plain builds.
add_test(NAME install_and_example COMMAND ${PROJECT_SOURCE_DIR}/tests/install/check_install.sh)
set_tests_properties(install_and_example PROPERTIES LABELS "integration;noasan"
  ENVIRONMENT "${EI_TEST_ENV}" TIMEOUT 300)
