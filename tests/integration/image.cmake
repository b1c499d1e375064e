# SPDX-License-Identifier: MIT
# Image pipeline fidelity: tests/image/fidelity.py generates test images (gradients, edges, odd
# sizes, grey, alpha, palette, 16-bit, EXIF-rotated, CMYK, progressive, WebP), runs them through
# image_dump (our pipeline) and through PIL + NumPy (tests/image/ref_pil.py), and compares.
# Exits 77 (skipped) when /usr/bin/python3 lacks numpy or PIL.
add_executable(ei_image_dump ${PROJECT_SOURCE_DIR}/tests/image/image_dump.c)
target_link_libraries(ei_image_dump PRIVATE edgeinfer_static ${EI_PRIVATE_LIBS})
target_include_directories(ei_image_dump PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_definitions(ei_image_dump PRIVATE _GNU_SOURCE)
set_target_properties(ei_image_dump PROPERTIES BUILD_RPATH "${EI_ORT_LIBDIR}")
ei_target_warnings(ei_image_dump)
ei_target_sanitize(ei_image_dump)

add_test(NAME image_fidelity
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/image/fidelity.py
                 --dump ${EI_TEST_IMAGE_DUMP}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/image-fidelity)
set_tests_properties(image_fidelity PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                     SKIP_RETURN_CODE 77 TIMEOUT 300)

# The same comparison through the portable C loops instead of the AVX2 ones (they must agree bit
# for bit, so the same tolerances apply).
add_test(NAME image_fidelity_nosimd
         COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/image/fidelity.py
                 --dump ${EI_TEST_IMAGE_DUMP}
                 --work ${CMAKE_CURRENT_BINARY_DIR}/image-fidelity-nosimd)
set_tests_properties(image_fidelity_nosimd PROPERTIES LABELS integration
                     ENVIRONMENT "${EI_TEST_ENV};EI_IMAGE_NO_SIMD=1" SKIP_RETURN_CODE 77 TIMEOUT 300)
