/* SPDX-License-Identifier: MIT */
/*
 * WebP decoding with libwebp (lossy and lossless, still images): alpha is dropped, as PIL's
 * convert("RGB") does. Animated WebP and the EXIF chunk are not handled. Not for writing WebP.
 */
#include <string.h>
#include <webp/decode.h>

#include "ei_util.h"
#include "image_internal.h"

ei_code_t ei__decode_webp(struct ei__decoder *d, const uint8_t *data, size_t size,
                          const char *name, const struct ei__decode_req *rq, ei_image_t *img,
                          int *orient, ei_error_t *err)
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
    return EI_OK;
}
