# SPDX-License-Identifier: MIT
# Quantised (int8) models built by tests/quant/make_models.py (python3-onnx): QDQ and QOperator
# forms through `edgeinfer run` against numpy references, and `edgeinfer info`'s quantisation
# report. Exit 77 (skipped) without python3-onnx.
add_test(NAME quant_models COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/quant/check.py)
set_tests_properties(quant_models PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                     SKIP_RETURN_CODE 77)
