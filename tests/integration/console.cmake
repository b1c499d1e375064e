# SPDX-License-Identifier: MIT
# The web console (GET /): its routes over plain HTTP, then the page in headless Chromium through
# chromedriver + python3-selenium (one browser launch); screenshots into build/console/. Exit 77
# (skipped) without Python; the browser half is skipped when Chromium, its driver or Selenium is
# missing (scripts/setup.sh test installs them). Runs in the ASan pass too (the server is ASan's).
add_test(NAME server_console
         COMMAND /bin/sh -c "[ -x \"$EI_PYTHON\" ] || exit 77; exec \"$EI_PYTHON\" \"$0\""
                 ${PROJECT_SOURCE_DIR}/tests/server/test_console.py)
set_tests_properties(server_console PROPERTIES LABELS "integration;server;browser"
                     ENVIRONMENT "${EI_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300)
