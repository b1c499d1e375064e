/* SPDX-License-Identifier: MIT */
/*
 * WebP decoding with libwebp (lossy and lossless, still images): alpha is dropped, as PIL's
 * convert("RGB") does, and the orientation comes from the EXIF chunk of the extended format.
 * Animated WebP is refused. Not for writing WebP.
 */
#include "ei_util.h"
#include "image_internal.h"

#include <string.h>
#include <webp/decode.h>

/* Walks the RIFF chunks for "EXIF" and reads its orientation (1 when there is none). */
static int webp_orientation(const uint8_t *d, size_t size)
{
    size_t pos = 12;
    while (pos + 8 <= size) {
        size_t len = (size_t)d[pos + 4] | (size_t)d[pos + 5] << 8 | (size_t)d[pos + 6] << 16 |
                     (size_t)d[pos + 7] << 24;
        if (len > size - pos - 8)
            return 1;
        if (memcmp(d + pos, "EXIF", 4) == 0) {
            const uint8_t *e = d + pos + 8;
            if (len >= 6 && memcmp(e, "Exif\0\0", 6) == 0) { /* some writers keep the prefix */
                e += 6;
                len -= 6;
            }
            return ei__exif_orientation(e, len);
        }
        pos += 8 + len + (len & 1);
    }
    return 1;
}

ei_code_t ei__decode_webp(struct ei__decoder *d, const uint8_t *data, size_t size, const char *name,
                          const struct ei__decode_req *rq, ei_image_t *img, int *orient,
                          ei_error_t *err)
{
    WebPBitstreamFeatures feat;
    (void)d;
    *orient = 1;
    VP8StatusCode st = WebPGetFeatures(data, size, &feat);
    if (st == VP8_STATUS_NOT_ENOUGH_DATA)
        return ei__fail(err, EI_EFORMAT, "%s: truncated WebP header", name);
    if (st != VP8_STATUS_OK)
        return ei__fail(err, EI_EFORMAT, "%s: corrupt WebP header (status %d)", name, (int)st);
    if (feat.has_animation)
        return ei__fail(err, EI_EFORMAT, "%s: animated WebP is not supported", name);
    if (feat.width <= 0 || feat.height <= 0)
        return ei__fail(err, EI_EFORMAT, "%s: WebP has an empty size", name);
    uint64_t npix = (uint64_t)feat.width * (uint64_t)feat.height;
    if (npix > rq->max_pixels)
        return ei__fail(err, EI_ELIMIT,
                        "%s: image is %dx%d (%llu pixels), above the limit of %llu pixels", name,
                        feat.width, feat.height, (unsigned long long)npix,
                        (unsigned long long)rq->max_pixels);
    size_t stride = (size_t)feat.width * 3;
    size_t n = stride * (size_t)feat.height;
    ei_code_t rc = ei__image_reserve(img, n, err);
    if (rc != EI_OK)
        return rc;
    if (WebPDecodeRGBInto(data, size, img->px, n, (int)stride) == NULL)
        return ei__fail(err, EI_EFORMAT, "%s: corrupt or truncated WebP data", name);
    img->w = img->src_w = feat.width;
    img->h = img->src_h = feat.height;
    img->stride = stride;
    if (rq->orient)
        *orient = webp_orientation(data, size);
    return EI_OK;
}
