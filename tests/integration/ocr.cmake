# SPDX-License-Identifier: MIT
# `edgeinfer ocr` with the bundled PP-OCR models: CLI behaviour and bad input
# (tests/ocr/cli_checks.py, one ctest per case) and the accuracy on rendered pages with known text
# (tests/ocr/accuracy.py: character error rate at most 1%, reading order, a page turned by 180
# degrees). Both exit 77 (skipped) without PIL or the Debian fonts.
set(EI_OCR_CASES text upside_down json draw inputs bad_images bad_models usage)
foreach(c ${EI_OCR_CASES})
  add_test(NAME ocr_cli_${c}
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/ocr/cli_checks.py
                   --bin $<TARGET_FILE:edgeinfer_cli> --models ${EI_MODELS_DIR}
                   --source ${PROJECT_SOURCE_DIR} --work ${CMAKE_CURRENT_BINARY_DIR}/ocr-cli
                   --case ${c})
  set_tests_properties(ocr_cli_${c} PROPERTIES LABELS integration
                       ENVIRONMENT "${EI_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

add_test(NAME ocr_accuracy
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/ocr/accuracy.py
                 --bin $<TARGET_FILE:edgeinfer_cli> --work ${CMAKE_CURRENT_BINARY_DIR}/ocr-accuracy
                 --pages 10 --max-cer 0.01)
set_tests_properties(ocr_accuracy PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                     SKIP_RETURN_CODE 77 TIMEOUT 900)
