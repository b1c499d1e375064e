/* SPDX-License-Identifier: MIT */
/*
 * JPEG decoding with libjpeg-turbo: baseline, progressive, grey, YCbCr and CMYK/YCCK files become
 * 8-bit RGB; the EXIF orientation is read from the APP1 segment; large photos may be decoded at
 * 1/2, 1/4 or 1/8 scale in the DCT domain. Not for writing JPEG.
 *
 * This uses libjpeg-turbo's libjpeg API rather than its TurboJPEG API, for the one thing TurboJPEG
 * 2.1 cannot do: decode part of an image. When the caller says which rectangle it will read (a
 * centre crop reads about 3/4 of the columns and 7/8 of the rows), columns outside it are neither
 * inverse-transformed, upsampled nor colour-converted (jpeg_crop_scanline), rows above it are only
 * entropy-decoded (jpeg_skip_scanlines), and nothing below it is decoded at all. That saves 15-22%
 * of a full-size decode. Pixels inside the rectangle are identical to a whole-image decode: the
 * rectangle is widened by one iMCU on every side, so libjpeg's edge handling of the crop (fancy
 * upsampling replicates the edge samples) never reaches a pixel that is read.
 *
 * Fidelity: libjpeg's defaults (accurate integer IDCT, fancy upsampling) are the ones PIL uses, so
 * a full-size decode matches PIL's pixel for pixel. CMYK is converted the way PIL's
 * convert("RGB") does it (Adobe-inverted samples, no colour management).
 */
#include "ei_util.h"
#include "image_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/* clang-format off */
#include <jpeglib.h> /* after stdio.h: it uses FILE */
#include <jerror.h>
/* clang-format on */

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
static void cmyk_to_rgb(const uint8_t *src, size_t n, uint8_t *dst)
{
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

/* More scans than this in a progressive file is a CPU bomb, not a photo (TurboJPEG's limit). */
#define MAX_SCANS 500

/* libjpeg reports errors by calling error_exit, which must not return: we jump back. */
struct jpeg_state {
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr jerr;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX]; /* the error, or the first warning */
    bool warned;               /* msg holds a warning */
    bool in_header;            /* still reading the headers */
    bool eof;                  /* libjpeg ran out of data (and made up an end-of-image) */
};

static void on_error(j_common_ptr c)
{
    struct jpeg_state *s = (struct jpeg_state *)c->client_data;
    c->err->format_message(c, s->msg);
    s->warned = false;
    longjmp(s->jump, 1);
}

static void on_message(j_common_ptr c, int level)
{
    struct jpeg_state *s = (struct jpeg_state *)c->client_data;
    if (level >= 0) /* trace messages */
        return;
    if (c->err->msg_code == JWRN_JPEG_EOF)
        s->eof = true;
    if (!s->warned) {
        c->err->format_message(c, s->msg);
        s->warned = true;
    }
    c->err->num_warnings++;
}

static void on_progress(j_common_ptr c)
{
    struct jpeg_state *s = (struct jpeg_state *)c->client_data;
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (d->input_scan_number > MAX_SCANS) {
        snprintf(s->msg, sizeof(s->msg), "progressive JPEG with more than %d scans", MAX_SCANS);
        s->warned = false;
        longjmp(s->jump, 1);
    }
}

void ei__jpeg_state_destroy(void *state)
{
    struct jpeg_state *s = state;
    if (s != NULL) {
        jpeg_destroy_decompress(&s->c);
        ei__free(s);
    }
}

static struct jpeg_state *jpeg_state_get(struct ei__decoder *d)
{
    if (d->jpeg == NULL) {
        struct jpeg_state *s = ei__calloc(1, sizeof(*s));
        if (s == NULL)
            return NULL;
        s->c.err = jpeg_std_error(&s->jerr);
        s->jerr.error_exit = on_error;
        s->jerr.emit_message = on_message;
        s->c.client_data = s;
        /* jpeg_create_decompress reports running out of memory through error_exit. */
        if (setjmp(s->jump)) {
            ei__free(s);
            return NULL;
        }
        jpeg_create_decompress(&s->c);
        s->progress.progress_monitor = on_progress;
        d->jpeg = s;
    }
    return d->jpeg;
}

/*
 * The stored-orientation rectangle [x0, x1) x [y0, y1) holding the upright rectangle r of a w x h
 * (stored) image shown with EXIF orientation o. Upright pixel (x, y) is stored at: 1 (x, y),
 * 2 (w-1-x, y), 3 (w-1-x, h-1-y), 4 (x, h-1-y), 5 (y, x), 6 (y, h-1-x), 7 (w-1-y, h-1-x),
 * 8 (w-1-y, x) (the same maps as ei__orient_copy).
 */
static void rect_to_stored(int o, int32_t w, int32_t h, const int32_t r[4], int32_t out[4])
{
    int32_t x0 = r[0], y0 = r[1], x1 = r[2], y1 = r[3]; /* exclusive ends */
    int32_t sx0, sx1, sy0, sy1;
    switch (o) {
    case 2:
        sx0 = w - x1, sx1 = w - x0, sy0 = y0, sy1 = y1;
        break;
    case 3:
        sx0 = w - x1, sx1 = w - x0, sy0 = h - y1, sy1 = h - y0;
        break;
    case 4:
        sx0 = x0, sx1 = x1, sy0 = h - y1, sy1 = h - y0;
        break;
    case 5:
        sx0 = y0, sx1 = y1, sy0 = x0, sy1 = x1;
        break;
    case 6:
        sx0 = y0, sx1 = y1, sy0 = h - x1, sy1 = h - x0;
        break;
    case 7:
        sx0 = w - y1, sx1 = w - y0, sy0 = h - x1, sy1 = h - x0;
        break;
    case 8:
        sx0 = w - y1, sx1 = w - y0, sy0 = x0, sy1 = x1;
        break;
    default:
        sx0 = x0, sx1 = x1, sy0 = y0, sy1 = y1;
        break;
    }
    out[0] = sx0 < 0 ? 0 : sx0;
    out[1] = sy0 < 0 ? 0 : sy0;
    out[2] = sx1 > w ? w : sx1;
    out[3] = sy1 > h ? h : sy1;
}

/* The message for a decode that libjpeg gave up on (it jumped back to us with s->msg set). */
static ei_code_t jpeg_failed(struct jpeg_state *s, bool in_header, bool complete, const char *name,
                             ei_error_t *err)
{
    int code = s->jerr.msg_code;
    jpeg_abort_decompress(&s->c);
    if (in_header) {
        if (!complete || s->eof)
            return ei__fail(err, EI_EFORMAT,
                            "%s: truncated JPEG (the file ends inside its headers)", name);
        if (code == JERR_NO_IMAGE)
            return ei__fail(err, EI_EFORMAT, "%s: JPEG has no image frame", name);
        return ei__fail(err, EI_EFORMAT, "%s: corrupt JPEG header: %s", name, s->msg);
    }
    if (s->eof)
        return ei__fail(err, EI_EFORMAT, "%s: truncated JPEG (%s)", name, s->msg);
    return ei__fail(err, EI_EFORMAT, "%s: corrupt JPEG: %s", name, s->msg);
}

/* Picks the smallest 1/2^k scale whose upright size still covers what the resize needs. */
static int pick_denom(const struct ei__decode_req *rq, int orient, int32_t w, int32_t h)
{
    if (rq->need == NULL)
        return 1;
    bool swap = ei__orient_swaps(orient);
    int32_t nw = 0, nh = 0;
    rq->need(rq->need_ctx, swap ? h : w, swap ? w : h, &nw, &nh);
    if (swap) {
        int32_t t = nw;
        nw = nh;
        nh = t;
    }
    if (nw > 0 && nh > 0)
        for (int k = 8; k >= 2; k /= 2)
            if ((w + k - 1) / k >= nw && (h + k - 1) / k >= nh)
                return k;
    return 1;
}

/*
 * The stored rectangle to decode out of the sw x sh output (w x h before scaling): the caller's
 * rectangle widened by one iMCU on every side, or the whole image. Returns whether the caller
 * gave a rectangle, and then sets `up` to it (upright coordinates).
 */
static bool pick_rect(const struct jpeg_decompress_struct *c, const struct ei__decode_req *rq,
                      int orient, int32_t w, int32_t h, int32_t sw, int32_t sh, int32_t r[4],
                      int32_t up[4])
{
    r[0] = 0, r[1] = 0, r[2] = sw, r[3] = sh;
    if (rq->region == NULL)
        return false;
    bool swap = ei__orient_swaps(orient);
    int32_t uw = swap ? sh : sw, uh = swap ? sw : sh;
    if (!rq->region(rq->need_ctx, uw, uh, swap ? h : w, swap ? w : h, up))
        return false;
    if (up[0] < 0 || up[1] < 0 || up[2] > uw || up[3] > uh || up[2] <= up[0] || up[3] <= up[1])
        return false; /* nothing sensible asked: decode it all */
    int32_t st[4];
    rect_to_stored(orient, sw, sh, up, st);
    int32_t mx = c->max_h_samp_factor * c->min_DCT_scaled_size;
    int32_t my = c->max_v_samp_factor * c->min_DCT_scaled_size;
    r[0] = st[0] > mx ? st[0] - mx : 0;
    r[1] = st[1] > my ? st[1] - my : 0;
    r[2] = st[2] < sw - mx ? st[2] + mx : sw;
    r[3] = st[3] < sh - my ? st[3] + my : sh;
    return true;
}

ei_code_t ei__decode_jpeg(struct ei__decoder *d, const uint8_t *data, size_t size, const char *name,
                          const struct ei__decode_req *rq, ei_image_t *img, int *orient,
                          ei_error_t *err)
{
    if (size > (size_t)0xFFFFFFFFu)
        return ei__fail(err, EI_ELIMIT, "%s: JPEG file larger than 4 GiB", name);
    struct jpeg_state *s = jpeg_state_get(d);
    if (s == NULL)
        return ei__fail(err, EI_ENOMEM, "%s: cannot create a JPEG decoder", name);
    bool complete = false;
    size_t sos = 0;
    int o = jpeg_scan(data, size, &complete, &sos);
    *orient = rq->orient ? o : 1;

    /* Everything between setjmp and the last libjpeg call may jump back here: what must survive
     * the jump lives in *s, not in locals. */
    struct jpeg_decompress_struct *c = &s->c;
    s->warned = false;
    s->eof = false;
    s->jerr.num_warnings = 0;
    s->msg[0] = '\0';
    s->in_header = true;
    if (setjmp(s->jump))
        return jpeg_failed(s, s->in_header, complete, name, err);
    jpeg_mem_src(c, data, (unsigned long)size);
    c->progress = &s->progress;
    jpeg_read_header(c, TRUE);
    s->in_header = false;
    int32_t w = (int32_t)c->image_width, h = (int32_t)c->image_height;
    uint64_t npix = (uint64_t)w * (uint64_t)h;
    if (npix > rq->max_pixels) {
        jpeg_abort_decompress(c);
        return ei__fail(err, EI_ELIMIT,
                        "%s: image is %dx%d (%llu pixels), above the limit of %llu pixels", name, w,
                        h, (unsigned long long)npix, (unsigned long long)rq->max_pixels);
    }
    bool cmyk = c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK;
    c->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    c->scale_num = 1;
    c->scale_denom = (unsigned)pick_denom(rq, *orient, w, h);
    jpeg_start_decompress(c);
    int32_t sw = (int32_t)c->output_width, sh = (int32_t)c->output_height;
    int pix = cmyk ? 4 : 3;
    size_t stride = (size_t)sw * (size_t)pix;
    ei_code_t rc = ei__image_reserve(img, (size_t)sw * (size_t)sh * 3, err);
    if (rc == EI_OK && cmyk)
        rc = ei__grow_pixels(&d->raw, &d->raw_cap, stride * (size_t)sh, err);
    if (rc != EI_OK) {
        jpeg_abort_decompress(c);
        return rc;
    }
    uint8_t *dst = cmyk ? d->raw : img->px;
    int32_t r[4];
    d->has_valid = pick_rect(c, rq, *orient, w, h, sw, sh, r, d->valid);
    JDIMENSION x0 = (JDIMENSION)r[0], cw = (JDIMENSION)(r[2] - r[0]);
    if (r[0] > 0 || r[2] < sw)
        jpeg_crop_scanline(c, &x0, &cw); /* widens to whole iMCU columns */
    if (r[1] > 0)
        jpeg_skip_scanlines(c, (JDIMENSION)r[1]);
    JDIMENSION y1 = (JDIMENSION)r[3], ystart = c->output_scanline;
    while (c->output_scanline < y1) {
        JSAMPROW rows[16];
        JDIMENSION n = y1 - c->output_scanline;
        if (n > 16)
            n = 16;
        for (JDIMENSION i = 0; i < n; i++)
            rows[i] = dst + (size_t)(c->output_scanline + i) * stride + (size_t)x0 * (size_t)pix;
        if (jpeg_read_scanlines(c, rows, n) == 0) { /* not with a memory source, but never
                                                     * return rows that were not decoded */
            jpeg_abort_decompress(c);
            return ei__fail(err, EI_EFORMAT, "%s: JPEG decoder stopped at row %u of %u", name,
                            (unsigned)c->output_scanline, (unsigned)y1);
        }
    }
    if (c->output_scanline < c->output_height)
        jpeg_abort_decompress(c); /* nothing below the rectangle is wanted */
    else
        jpeg_finish_decompress(c);

    if (s->eof)
        return ei__fail(err, EI_EFORMAT, "%s: truncated JPEG (%s)", name, s->msg);
    if (s->warned) /* recoverable damage (extraneous bytes and the like): PIL accepts these too */
        EI_LOG(EI_LOG_WARN, "image", "%s: %s", name, s->msg);
    if (sos == 0 || !has_eoi(data, size, sos))
        return ei__fail(err, EI_EFORMAT, "%s: truncated JPEG (no end-of-image marker)", name);
    if (cmyk)
        for (JDIMENSION y = ystart; y < y1; y++)
            cmyk_to_rgb(d->raw + (size_t)y * stride + (size_t)x0 * 4, cw,
                        img->px + (size_t)y * (size_t)sw * 3 + (size_t)x0 * 3);
    img->w = sw;
    img->h = sh;
    img->stride = (size_t)sw * 3;
    img->src_w = w;
    img->src_h = h;
    return EI_OK;
}
