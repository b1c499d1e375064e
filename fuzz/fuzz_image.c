/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the JPEG/PNG/WebP decoders (ei_image_decode), with a 4-megapixel limit so
 * that huge declared sizes are refused rather than slowly decoded. The first byte picks the
 * options (EXIF orientation, DCT-domain scaling).
 */
#include <edgeinfer/edgeinfer.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ei_image_decode_opts_t o;
    ei_image_decode_opts_init(&o);
    o.max_pixels = 4u << 20;
    o.apply_orientation = data[0] & 1;
    if (data[0] & 2) {
        o.min_width = 32;
        o.min_height = 32;
    }
    ei_image_t *img = NULL;
    ei_error_t err = {0};
    if (ei_image_decode(data + 1, size - 1, &o, &img, &err) == EI_OK) {
        volatile uint8_t sink = 0;
        const uint8_t *px = ei_image_pixels(img);
        for (int32_t y = 0; y < ei_image_height(img); y++)
            sink ^= px[(size_t)y * ei_image_stride(img) + (size_t)ei_image_width(img) * 3 - 1];
        (void)sink;
    }
    ei_image_destroy(img);
    return 0;
}
