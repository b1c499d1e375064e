/* SPDX-License-Identifier: MIT */
/*
 * PNG writing with libspng, for pictures people look at (the CLI's `ocr --draw`): 8-bit RGB, the
 * default compression, no ancillary chunks. Not a general image writer.
 */
#include "ei_util.h"

#include <edgeinfer/image.h>
#include <spng.h>
#include <stdio.h>
#include <string.h>

ei_code_t ei_image_write_png(const char *path, const uint8_t *rgb, int32_t width, int32_t height,
                             size_t stride, ei_error_t *err)
{
    if (path == NULL || rgb == NULL || width <= 0 || height <= 0)
        return ei__fail(err, EI_EINVAL, "write PNG: bad argument");
    size_t row = (size_t)width * 3;
    if (stride == 0)
        stride = row;
    if (stride < row)
        return ei__fail(err, EI_EINVAL, "write PNG: stride %zu below 3 * width", stride);
    ei_code_t rc = EI_OK;
    uint8_t *packed = NULL;
    const uint8_t *px = rgb;
    size_t n;
    if (ei__mul_overflow(row, (size_t)height, &n))
        return ei__fail(err, EI_ELIMIT, "write PNG: %dx%d too large", (int)width, (int)height);
    if (stride != row) {
        packed = ei__malloc(n);
        if (packed == NULL)
            return ei__fail(err, EI_ENOMEM, "write PNG: out of memory");
        for (int32_t y = 0; y < height; y++)
            memcpy(packed + (size_t)y * row, rgb + (size_t)y * stride, row);
        px = packed;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        ei__free(packed);
        return ei__fail(err, EI_EIO, "%s: cannot create the file", path);
    }
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (ctx == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "%s: cannot create a PNG encoder", path);
        goto out;
    }
    struct spng_ihdr ihdr;
    memset(&ihdr, 0, sizeof(ihdr));
    ihdr.width = (uint32_t)width;
    ihdr.height = (uint32_t)height;
    ihdr.bit_depth = 8;
    ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
    int r = spng_set_png_file(ctx, f);
    if (r == 0)
        r = spng_set_ihdr(ctx, &ihdr);
    if (r == 0)
        r = spng_encode_image(ctx, px, n, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    if (r != 0)
        rc = ei__fail(err, EI_EIO, "%s: cannot write the PNG: %s", path, spng_strerror(r));
out:
    spng_ctx_free(ctx);
    if (fclose(f) != 0 && rc == EI_OK)
        rc = ei__fail(err, EI_EIO, "%s: cannot write the file", path);
    ei__free(packed);
    return rc;
}
