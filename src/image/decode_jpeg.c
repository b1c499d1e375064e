/* SPDX-License-Identifier: MIT */
/*
 * JPEG decoding with libjpeg-turbo's TurboJPEG API (2.1): baseline, progressive, grey, YCbCr and
 * CMYK/YCCK files become 8-bit RGB; the EXIF orientation is read from the APP1 segment; large
 * photos may be decoded at 1/2, 1/4 or 1/8 scale in the DCT domain. Not for writing JPEG.
 *
 * Fidelity: TurboJPEG's defaults (accurate integer IDCT, fancy upsampling) are the same as
 * libjpeg's, which PIL uses, so a full-size decode matches PIL's pixel for pixel. CMYK is converted
 * the way PIL's convert("RGB") does it (Adobe-inverted samples, no colour management).
 */
#include "ei_util.h"
#include "image_internal.h"

#include <string.h>
#include <turbojpeg.h>

/*
 * Walks the marker segments up to the first SOS, noting the orientation from an APP1
 * "Exif\0\0" block (1 when there is none) and whether the headers end inside the buffer (a
 * file cut before its first scan gets a clearer message). Never reads past `size`.
 */
static int jpeg_scan(const uint8_t *d, size_t size, bool *headers_complete, size_t *sos)
{
    size_t pos = 2;
    int orient = 1;
    *headers_complete = false;
    *sos = 0;
    while (pos + 4 <= size) {
        if (d[pos] != 0xFF) {
            *headers_complete = true; /* not ours to judge: let libjpeg report it */
            return orient;
        }
        uint8_t marker = d[pos + 1];
        if (marker == 0xFF) { /* fill byte */
            pos++;
            continue;
        }
        if (marker == 0xDA || marker == 0xD9) { /* SOS or EOI: no more headers */
            *headers_complete = true;
            *sos = pos;
            return orient;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            pos += 2;
            continue;
        }
        size_t len = (size_t)d[pos + 2] << 8 | d[pos + 3];
        if (len < 2)
            break;
        if (pos + 2 + len > size)
            return orient;
        if (marker == 0xE1 && orient == 1 && len >= 2 + 6 + 8 &&
            memcmp(d + pos + 4, "Exif\0\0", 6) == 0)
            orient = ei__exif_orientation(d + pos + 10, len - 8);
        pos += 2 + len;
    }
    *headers_complete = pos + 4 > size ? false : true;
    return orient;
}

/*
 * Whether an EOI marker follows the first scan. Entropy-coded data cannot hold 0xFF 0xD9 (0xFF is
 * stuffed), so its absence means the file was cut; libjpeg does not always notice, for example
 * when a progressive file ends exactly between two scans.
 */
static bool has_eoi(const uint8_t *d, size_t size, size_t sos)
{
    for (size_t i = size - 1; i > sos; i--)
        if (d[i] == 0xD9 && d[i - 1] == 0xFF)
            return true;
    return false;
}

/* PIL's MULDIV255: a * b / 255 rounded, in integers. */
static inline int muldiv255(int a, int b)
{
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

/*
 * PIL reads CMYK JPEGs as "CMYK;I" (Adobe's inverted convention), then converts CMYK to RGB as
 * nk - c * nk / 255 with nk = 255 - k. On the stored (inverted) samples s that is
 * sk - (255 - sc) * sk / 255.
 */
static void cmyk_to_rgb(const uint8_t *src, int32_t w, int32_t h, uint8_t *dst)
{
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++) {
        int nk = src[3];
        for (int c = 0; c < 3; c++) {
            int v = nk - muldiv255(255 - src[c], nk);
            dst[c] = (uint8_t)(v < 0 ? 0 : v);
        }
        src += 4;
        dst += 3;
    }
}

ei_code_t ei__decode_jpeg(struct ei__decoder *d, const uint8_t *data, size_t size, const char *name,
                          const struct ei__decode_req *rq, ei_image_t *img, int *orient,
                          ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    int w = 0, h = 0, subsamp = 0, cs = 0;
    if (size > (size_t)0xFFFFFFFFu)
        return ei__fail(err, EI_ELIMIT, "%s: JPEG file larger than 4 GiB", name);
    if (d->tj == NULL) {
        d->tj = tjInitDecompress();
        if (d->tj == NULL)
            return ei__fail(err, EI_ENOMEM, "%s: cannot create a JPEG decoder", name);
    }
    tjhandle tj = d->tj;
    bool complete = false;
    size_t sos = 0;
    int o = jpeg_scan(data, size, &complete, &sos);
    *orient = rq->orient ? o : 1;
    if (tjDecompressHeader3(tj, data, (unsigned long)size, &w, &h, &subsamp, &cs) != 0) {
        const char *m = tjGetErrorStr2(tj);
        if (!complete || strstr(m, "Premature end") != NULL)
            return ei__fail(err, EI_EFORMAT,
                            "%s: truncated JPEG (the file ends inside its "
                            "headers)",
                            name);
        return ei__fail(err, EI_EFORMAT, "%s: corrupt JPEG header: %s", name, m);
    }
    if (w <= 0 || h <= 0) { /* TurboJPEG accepts a tables-only stream */
        if (!complete)
            return ei__fail(err, EI_EFORMAT,
                            "%s: truncated JPEG (the file ends inside its "
                            "headers)",
                            name);
        return ei__fail(err, EI_EFORMAT, "%s: JPEG has no image frame", name);
    }
    uint64_t npix = (uint64_t)w * (uint64_t)h;
    if (npix > rq->max_pixels)
        return ei__fail(err, EI_ELIMIT,
                        "%s: image is %dx%d (%llu pixels), above the limit of %llu pixels", name, w,
                        h, (unsigned long long)npix, (unsigned long long)rq->max_pixels);

    /* Pick the smallest 1/2^k scale whose upright size still covers what the resize needs. */
    int denom = 1;
    if (rq->need != NULL) {
        bool swap = ei__orient_swaps(*orient);
        int32_t nw = 0, nh = 0;
        rq->need(rq->need_ctx, swap ? h : w, swap ? w : h, &nw, &nh);
        if (swap) {
            int32_t t = nw;
            nw = nh;
            nh = t;
        }
        if (nw > 0 && nh > 0) {
            for (int k = 8; k >= 2; k /= 2) {
                if ((w + k - 1) / k >= nw && (h + k - 1) / k >= nh) {
                    denom = k;
                    break;
                }
            }
        }
    }
    tjscalingfactor sf = {1, denom};
    int sw = TJSCALED(w, sf), sh = TJSCALED(h, sf);
    bool cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
    size_t rgb_bytes = (size_t)sw * (size_t)sh * 3;
    rc = ei__image_reserve(img, rgb_bytes, err);
    if (rc != EI_OK)
        return rc;
    uint8_t *dst = img->px;
    if (cmyk) {
        rc = ei__grow_pixels(&d->raw, &d->raw_cap, (size_t)sw * (size_t)sh * 4, err);
        if (rc != EI_OK)
            return rc;
        dst = d->raw;
    }
    /* LIMITSCANS rejects progressive files with absurd scan counts (a CPU bomb). */
    int r = tjDecompress2(tj, data, (unsigned long)size, dst, sw, 0, sh,
                          cmyk ? TJPF_CMYK : TJPF_RGB, TJFLAG_LIMITSCANS);
    if (r != 0) {
        const char *m = tjGetErrorStr2(tj);
        if (strstr(m, "Premature end") != NULL)
            return ei__fail(err, EI_EFORMAT, "%s: truncated JPEG (%s)", name, m);
        if (tjGetErrorCode(tj) != TJERR_WARNING)
            return ei__fail(err, EI_EFORMAT, "%s: corrupt JPEG: %s", name, m);
        /* Recoverable damage (extraneous bytes and the like): PIL accepts these too. */
        EI_LOG(EI_LOG_WARN, "image", "%s: %s", name, m);
    }
    if (sos == 0 || !has_eoi(data, size, sos))
        return ei__fail(err, EI_EFORMAT, "%s: truncated JPEG (no end-of-image marker)", name);
    if (cmyk)
        cmyk_to_rgb(d->raw, sw, sh, img->px);
    img->w = sw;
    img->h = sh;
    img->stride = (size_t)sw * 3;
    img->src_w = w;
    img->src_h = h;
    return EI_OK;
}
