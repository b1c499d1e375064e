# SPDX-License-Identifier: MIT
# `edgeinfer classify`: CLI behaviour and bad input (tests/classify/cli_checks.py, one ctest per
# case), the text-orientation test with the bundled PP-OCR classifier on PIL-rendered text lines
# (tests/classify/orientation.py), and, under `make test-full` only, logits against PyTorch for
# torchvision ResNet-50 and MobileNetV2 (tests/classify/torch_logits.py; exits 77 = skipped unless
# EI_TEST_FULL=1 and /usr/bin/python3 can import torch and torchvision). All exit 77 without PIL.
set(EI_CLASSIFY_CASES batches corrupt_image fixed_batch_padding float16_and_metadata_labels json
    max_image_pixels missing_image not_a_classifier short_labels text_formats timings_text top_k_clamp
    preprocessing_flags directory_and_stdin
    unknown_preset usage)
foreach(c ${EI_CLASSIFY_CASES})
  add_test(NAME classify_cli_${c}
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/classify/cli_checks.py
                   --bin ${EI_TEST_BIN} --models ${EI_MODELS_DIR}
                   --source ${PROJECT_SOURCE_DIR} --work ${CMAKE_CURRENT_BINARY_DIR}/classify-cli
                   --case ${c})
  set_tests_properties(classify_cli_${c} PROPERTIES LABELS integration
                       ENVIRONMENT "${EI_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

add_test(NAME classify_orientation
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/classify/orientation.py
                 --bin ${EI_TEST_BIN} --models ${EI_MODELS_DIR}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/classify-orientation)
set_tests_properties(classify_orientation PROPERTIES LABELS integration
                     ENVIRONMENT "${EI_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300)

add_test(NAME classify_torch_logits
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/classify/torch_logits.py
                 --bin ${EI_TEST_BIN} --models ${EI_MODELS_DIR}
                 --source ${PROJECT_SOURCE_DIR}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/classify-torch)
set_tests_properties(classify_torch_logits PROPERTIES LABELS "integration;full"
                     ENVIRONMENT "${EI_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 600)
