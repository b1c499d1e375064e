/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the OCR head's parsers and geometry on hostile input. The first byte picks
 * the path: even: the bytes after it are a recognition dictionary (ei_ocr_keys_parse); odd: they
 * are a detection probability map (bytes 1, 2: its width and height, 1..96; byte 3, 4: the source
 * image's, 1..256; then one byte per map pixel, /255) run through the DB post-processing
 * (regions, rectangles, scores, unclip, order), and every box found is cut out of a synthetic
 * image with margins and turned over (ei_ocr_crop, ei_ocr_rotate180). No model is loaded.
 */
#include <edgeinfer/edgeinfer.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float map[96 * 96];
static uint8_t pixels[256 * 256 * 3];

static void boxes(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    int32_t w = 1 + data[0] % 96, h = 1 + data[1] % 96;
    int32_t sw = 1 + data[2], sh = 1 + data[3];
    data += 4;
    size -= 4;
    for (int32_t i = 0; i < w * h; i++)
        map[i] = (size_t)i < size ? (float)data[i] / 255.0f : 0.0f;
    int64_t shape[4] = {1, 1, h, w};
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    if (ei_tensor_wrap(EI_DTYPE_FLOAT32, shape, 4, map, (size_t)(w * h) * sizeof(float), &t,
                       &err) != EI_OK)
        __builtin_trap();
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    o.box_thresh = 0.3f;
    ei_ocr_box_t *b = NULL;
    size_t n = 0;
    if (ei_ocr_det_boxes(&o, t, 0, sw, sh, &b, &n, &err) == EI_OK && n > 0) {
        for (size_t i = 0; i < sizeof(pixels); i++)
            pixels[i] = (uint8_t)(i * 7);
        ei_image_t *img = NULL;
        if (ei_image_from_pixels(pixels, sw, sh, 3, 0, &img, &err) != EI_OK)
            __builtin_trap();
        for (size_t i = 0; i < n && i < 16; i++) {
            ei_image_t *strip = NULL, *turned = NULL;
            if (ei_ocr_crop(img, b[i].pts, 0.4f, 0.15f, &strip, &err) == EI_OK) {
                if (ei_ocr_rotate180(strip, &turned, &err) != EI_OK)
                    __builtin_trap();
                ei_image_destroy(turned);
                ei_image_destroy(strip);
            }
        }
        ei_image_destroy(img);
    }
    ei_ocr_boxes_free(b);
    ei_tensor_destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1) {
        boxes(data + 1, size - 1);
    } else {
        ei_ocr_keys_t *k = NULL;
        ei_error_t err = {0};
        if (ei_ocr_keys_parse((const char *)data + 1, size - 1, "fuzz", &k, &err) == EI_OK &&
            ei_ocr_keys_classes(k) < 3)
            __builtin_trap();
        ei_ocr_keys_destroy(k);
    }
    return 0;
}
