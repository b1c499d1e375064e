/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the JPEG/PNG/WebP decoders, with a 4-megapixel limit so that huge declared
 * sizes are refused rather than slowly decoded. The first byte picks the path and options:
 * bit 2 clear: ei_image_decode (whole image; bit 0: EXIF orientation, bit 1: DCT-domain scaling);
 * bit 2 set: an imagenet-preset pipeline into a tensor slot (the JPEG region decode; bit 0: DCT
 * scaling, bit 1: letterbox instead of the centre crop).
 */
#include <edgeinfer/edgeinfer.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float slot[3 * 224 * 224];

static void through_pipeline(uint8_t sel, const uint8_t *data, size_t size)
{
    static ei_image_pipeline_t *pipes[4];
    ei_error_t err = {0};
    int k = sel & 3;
    if (pipes[k] == NULL) {
        ei_image_opts_t o;
        ei_image_opts_init(&o);
        o.max_pixels = 4u << 20;
        o.dct_scaling = sel & 1;
        if (sel & 2)
            o.fit = EI_FIT_LETTERBOX;
        if (ei_image_pipeline_create(&o, &pipes[k], &err) != EI_OK)
            __builtin_trap();
    }
    (void)!ei_image_pipeline_load_raw(pipes[k], NULL, data, size, slot, sizeof(slot), 0, NULL,
                                      &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 4) {
        through_pipeline(data[0], data + 1, size - 1);
        return 0;
    }
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
