/* SPDX-License-Identifier: MIT */
/*
 * PNG decoding with libspng: every colour type and bit depth becomes 8-bit RGB. Alpha and tRNS
 * are dropped and gAMA is ignored, as PIL's convert("RGB") does; 16-bit samples keep their high
 * byte (PIL's "RGB;16B" unpacking). The EXIF orientation comes from an eXIf chunk. Not for
 * writing PNG.
 */
#include "ei_util.h"
#include "image_internal.h"

#include <spng.h>
#include <string.h>

ei_code_t ei__decode_png(struct ei__decoder *d, const uint8_t *data, size_t size, const char *name,
                         const struct ei__decode_req *rq, ei_image_t *img, int *orient,
                         ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    struct spng_ihdr ihdr;
    size_t out_size = 0;
    int r;
    (void)d;
    *orient = 1;
    spng_ctx *ctx = spng_ctx_new(0);
    if (ctx == NULL)
        return ei__fail(err, EI_ENOMEM, "%s: cannot create a PNG decoder", name);
    /* Chunk limits keep a hostile file from making us cache huge ancillary chunks. */
    spng_set_chunk_limits(ctx, 64u << 20, 64u << 20);
    r = spng_set_png_buffer(ctx, data, size);
    if (r == 0)
        r = spng_get_ihdr(ctx, &ihdr);
    if (r != 0) {
        if (r == SPNG_EOF || r == SPNG_IO_EOF)
            rc = ei__fail(err, EI_EFORMAT, "%s: truncated PNG header", name);
        else if (r == SPNG_EWIDTH || r == SPNG_EHEIGHT || r == SPNG_EUSER_WIDTH ||
                 r == SPNG_EUSER_HEIGHT)
            rc = ei__fail(err, EI_ELIMIT, "%s: PNG size out of range: %s", name, spng_strerror(r));
        else
            rc = ei__fail(err, EI_EFORMAT, "%s: corrupt PNG header: %s", name, spng_strerror(r));
        goto out;
    }
    uint64_t npix = (uint64_t)ihdr.width * ihdr.height;
    if (npix > rq->max_pixels) {
        rc = ei__fail(err, EI_ELIMIT,
                      "%s: image is %ux%u (%llu pixels), above the limit of %llu pixels", name,
                      ihdr.width, ihdr.height, (unsigned long long)npix,
                      (unsigned long long)rq->max_pixels);
        goto out;
    }
    if (ihdr.width > 0x7FFFFFFFu / 3 || ihdr.height > 0x7FFFFFFFu) {
        rc = ei__fail(err, EI_ELIMIT, "%s: PNG size %ux%u out of range", name, ihdr.width,
                      ihdr.height);
        goto out;
    }
    r = spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &out_size);
    if (r != 0) {
        rc = ei__fail(err, EI_EFORMAT, "%s: unsupported PNG: %s", name, spng_strerror(r));
        goto out;
    }
    rc = ei__image_reserve(img, out_size, err);
    if (rc != EI_OK)
        goto out;
    r = spng_decode_image(ctx, img->px, out_size, SPNG_FMT_RGB8, 0);
    if (r != 0) {
        if (r == SPNG_EOF || r == SPNG_IO_EOF)
            rc = ei__fail(err, EI_EFORMAT, "%s: truncated PNG (%s)", name, spng_strerror(r));
        else
            rc = ei__fail(err, EI_EFORMAT, "%s: corrupt PNG: %s", name, spng_strerror(r));
        goto out;
    }
    if (rq->orient) {
        struct spng_exif exif;
        if (spng_get_exif(ctx, &exif) == 0 && exif.data != NULL)
            *orient = ei__exif_orientation((const uint8_t *)exif.data, exif.length);
    }
    img->w = img->src_w = (int32_t)ihdr.width;
    img->h = img->src_h = (int32_t)ihdr.height;
    img->stride = (size_t)ihdr.width * 3;
out:
    spng_ctx_free(ctx);
    return rc;
}
