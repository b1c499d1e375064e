/* SPDX-License-Identifier: MIT */
/*
 * The decoded-image object: creation, accessors, reading files, recognising the format by its
 * magic bytes, and making the result upright from its EXIF orientation. The format decoders
 * themselves live in decode_{jpeg,png,webp}.c; resizing and normalisation in resample.c and
 * pipeline.c.
 */
#include "ei_util.h"
#include "image_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void ei_image_decode_opts_init(ei_image_decode_opts_t *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof(*o));
    o->max_pixels = EI_IMAGE_DEFAULT_MAX_PIXELS;
    o->apply_orientation = true;
}

ei_code_t ei__grow_pixels(uint8_t **buf, size_t *cap, size_t n, ei_error_t *err)
{
    if (n <= *cap && *buf != NULL)
        return EI_OK;
    if (n > SIZE_MAX - EI__PIXEL_SLACK)
        return ei__fail(err, EI_ELIMIT, "pixel buffer of %zu bytes too large", n);
    uint8_t *p = ei__malloc(n + EI__PIXEL_SLACK);
    if (p == NULL)
        return ei__fail(err, EI_ENOMEM, "cannot allocate %zu bytes for pixels", n);
    /* The slack is read by vector loads but never used; keep it defined for the sanitizers. */
    memset(p + n, 0, EI__PIXEL_SLACK);
    ei__free(*buf);
    *buf = p;
    *cap = n;
    return EI_OK;
}

ei_code_t ei__image_reserve(ei_image_t *img, size_t n, ei_error_t *err)
{
    return ei__grow_pixels(&img->px, &img->cap, n, err);
}

void ei__decoder_dispose(struct ei__decoder *d)
{
    if (d == NULL)
        return;
    ei__file_done(d);
    ei__free(d->file);
    ei__free(d->raw);
    ei__jpeg_state_destroy(d->jpeg);
    memset(d, 0, sizeof(*d));
}

/*
 * Large files are mapped rather than copied: for a 12 MP photo the copy out of the page cache is
 * a few percent of the whole decode. Small files are read into a buffer the decoder keeps.
 */
#define MAP_THRESHOLD (512u * 1024u)

ei_code_t ei__read_file(struct ei__decoder *d, const char *path, const uint8_t **data, size_t *size,
                        ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return ei__fail(err, EI_ENOENT, "%s: no such file", path);
        return ei__fail(err, EI_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ei__fail(err, EI_EIO, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_size == 0) {
        rc = ei__fail(err, EI_EFORMAT, "%s: empty file", path);
        goto out;
    }
    size_t len = (size_t)st.st_size;
    if (len >= MAP_THRESHOLD) {
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            d->map = m;
            d->map_len = len;
            *data = m;
            *size = len;
            goto out;
        }
    }
    if (len > d->file_cap) {
        uint8_t *p = ei__malloc(len);
        if (p == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "%s: cannot allocate %zu bytes", path, len);
            goto out;
        }
        ei__free(d->file);
        d->file = p;
        d->file_cap = len;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, d->file + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = ei__fail(err, EI_EIO, "%s: read error", path);
            goto out;
        }
        got += (size_t)r;
    }
    *data = d->file;
    *size = len;
out:
    close(fd);
    return rc;
}

void ei__file_done(struct ei__decoder *d)
{
    if (d->map != NULL) {
        munmap(d->map, d->map_len);
        d->map = NULL;
        d->map_len = 0;
    }
}

/*
 * EXIF is a TIFF structure: a byte-order mark, the offset of IFD0, then 12-byte entries. We want
 * only tag 0x0112 (Orientation, SHORT). Every offset is checked against the block's size, since
 * the data comes straight from the file.
 */
static uint32_t rd16(const uint8_t *p, bool be)
{
    return be ? (uint32_t)(p[0] << 8 | p[1]) : (uint32_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const uint8_t *p, bool be)
{
    return be ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3])
              : ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}

int ei__exif_orientation(const uint8_t *tiff, size_t size)
{
    if (tiff == NULL || size < 8)
        return 1;
    bool be;
    if (tiff[0] == 'I' && tiff[1] == 'I')
        be = false;
    else if (tiff[0] == 'M' && tiff[1] == 'M')
        be = true;
    else
        return 1;
    if (rd16(tiff + 2, be) != 42)
        return 1;
    uint32_t ifd = rd32(tiff + 4, be);
    if (ifd > size - 2 || ifd < 8)
        return 1;
    uint32_t n = rd16(tiff + ifd, be);
    for (uint32_t i = 0; i < n; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        if (e + 12 > size)
            return 1;
        if (rd16(tiff + e, be) != 0x0112)
            continue;
        uint32_t type = rd16(tiff + e + 2, be);
        uint32_t v;
        if (type == 3) /* SHORT, stored in the first two bytes of the value field */
            v = rd16(tiff + e + 8, be);
        else if (type == 4) /* LONG: tolerated */
            v = rd32(tiff + e + 8, be);
        else
            return 1;
        return (v >= 1 && v <= 8) ? (int)v : 1;
    }
    return 1;
}

/*
 * Orientation as PIL's ImageOps.exif_transpose applies it: 2 mirror, 3 rotate 180, 4 flip,
 * 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise. Each output
 * pixel (x, y) reads the source at start + x * dx + y * dy (byte steps, possibly negative).
 */
void ei__orient_copy(const uint8_t *src, int32_t w, int32_t h, size_t stride, int orient,
                     uint8_t *dst, size_t dst_stride, const int32_t *rect)
{
    ptrdiff_t s = (ptrdiff_t)stride;
    ptrdiff_t start = 0, dx = 3, dy = s;
    int32_t ow = w, oh = h;
    switch (orient) {
    case 2:
        start = (ptrdiff_t)(w - 1) * 3;
        dx = -3;
        break;
    case 3:
        start = (ptrdiff_t)(h - 1) * s + (ptrdiff_t)(w - 1) * 3;
        dx = -3;
        dy = -s;
        break;
    case 4:
        start = (ptrdiff_t)(h - 1) * s;
        dy = -s;
        break;
    case 5: /* out(x, y) = src(y, x) */
        dx = s;
        dy = 3;
        break;
    case 6: /* out(x, y) = src(y, h - 1 - x) */
        start = (ptrdiff_t)(h - 1) * s;
        dx = -s;
        dy = 3;
        break;
    case 7: /* out(x, y) = src(w - 1 - y, h - 1 - x) */
        start = (ptrdiff_t)(h - 1) * s + (ptrdiff_t)(w - 1) * 3;
        dx = -s;
        dy = -3;
        break;
    case 8: /* out(x, y) = src(w - 1 - y, x) */
        start = (ptrdiff_t)(w - 1) * 3;
        dx = s;
        dy = -3;
        break;
    default:
        break;
    }
    if (ei__orient_swaps(orient)) {
        ow = h;
        oh = w;
    }
    int32_t x0 = rect ? rect[0] : 0, y0 = rect ? rect[1] : 0;
    int32_t x1 = rect ? rect[2] : ow, y1 = rect ? rect[3] : oh;
    /* In tiles: for 5..8 consecutive outputs read a column of the source, and a 12 MP photo's
     * column touches 3000 cache lines; a tile's columns stay in cache. */
    enum { TILE = 32 };
    for (int32_t ty = y0; ty < y1; ty += TILE) {
        int32_t ty1 = y1 - ty > TILE ? ty + TILE : y1;
        for (int32_t tx = x0; tx < x1; tx += TILE) {
            int32_t tx1 = x1 - tx > TILE ? tx + TILE : x1;
            for (int32_t y = ty; y < ty1; y++) {
                const uint8_t *p = src + start + (ptrdiff_t)y * dy + (ptrdiff_t)tx * dx;
                uint8_t *o = dst + (size_t)y * dst_stride + (size_t)tx * 3;
                for (int32_t x = tx; x < tx1; x++) {
                    o[0] = p[0];
                    o[1] = p[1];
                    o[2] = p[2];
                    o += 3;
                    p += dx;
                }
            }
        }
    }
}

static bool is_jpeg(const uint8_t *d, size_t n)
{
    return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}

static bool is_png(const uint8_t *d, size_t n)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    return n >= 8 && memcmp(d, sig, 8) == 0;
}

static bool is_webp(const uint8_t *d, size_t n)
{
    return n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0;
}

ei_code_t ei__image_decode_into(struct ei__decoder *d, const uint8_t *data, size_t size,
                                const char *name, const struct ei__decode_req *rq, ei_image_t *img,
                                ei_error_t *err)
{
    ei_code_t rc;
    int orient = 1;
    if (data == NULL || size == 0)
        return ei__fail(err, EI_EFORMAT, "%s: empty input", name);
    d->has_valid = false;
    if (is_jpeg(data, size))
        rc = ei__decode_jpeg(d, data, size, name, rq, img, &orient, err);
    else if (is_png(data, size))
        rc = ei__decode_png(d, data, size, name, rq, img, &orient, err);
    else if (is_webp(data, size))
        rc = ei__decode_webp(d, data, size, name, rq, img, &orient, err);
    else if (size >= 6 && (memcmp(data, "GIF87a", 6) == 0 || memcmp(data, "GIF89a", 6) == 0))
        return ei__fail(err, EI_EFORMAT, "%s: GIF images are not supported (JPEG, PNG, WebP)",
                        name);
    else if (size >= 2 && data[0] == 'B' && data[1] == 'M')
        return ei__fail(err, EI_EFORMAT, "%s: BMP images are not supported (JPEG, PNG, WebP)",
                        name);
    else
        return ei__fail(err, EI_EFORMAT, "%s: unknown image format (not JPEG, PNG or WebP)", name);
    if (rc != EI_OK)
        return rc;
    if (!rq->orient || orient == 1)
        return EI_OK;
    /* Swap the stored pixels into the decoder's scratch, then write the upright copy back. */
    uint8_t *stored = img->px;
    size_t stored_cap = img->cap;
    img->px = d->raw;
    img->cap = d->raw_cap;
    d->raw = stored;
    d->raw_cap = stored_cap;
    int32_t w = img->w, h = img->h;
    size_t sstride = img->stride;
    int32_t ow = ei__orient_swaps(orient) ? h : w;
    int32_t oh = ei__orient_swaps(orient) ? w : h;
    size_t ostride = (size_t)ow * 3;
    rc = ei__image_reserve(img, ostride * (size_t)oh, err);
    if (rc != EI_OK)
        return rc;
    /* Only the part the decoder was asked for holds pixels (a JPEG region decode). */
    ei__orient_copy(d->raw, w, h, sstride, orient, img->px, ostride,
                    d->has_valid ? d->valid : NULL);
    img->w = ow;
    img->h = oh;
    img->stride = ostride;
    if (ei__orient_swaps(orient)) {
        int32_t t = img->src_w;
        img->src_w = img->src_h;
        img->src_h = t;
    }
    return EI_OK;
}

static void need_fixed(void *ctx, int32_t w, int32_t h, int32_t *nw, int32_t *nh)
{
    const int32_t *need = ctx;
    (void)w;
    (void)h;
    *nw = need[0];
    *nh = need[1];
}

static ei_code_t decode_new(const uint8_t *data, size_t size, const char *path, const char *name,
                            const ei_image_decode_opts_t *opts, ei_image_t **out, ei_error_t *err)
{
    ei_code_t rc;
    struct ei__decoder d;
    ei_image_decode_opts_t def;
    ei_image_t *img = NULL;
    memset(&d, 0, sizeof(d));
    if (out == NULL) {
        rc = ei__fail(err, EI_EINVAL, "image: out is NULL");
        goto out;
    }
    *out = NULL;
    if (opts == NULL) {
        ei_image_decode_opts_init(&def);
        opts = &def;
    }
    if (path != NULL) {
        rc = ei__read_file(&d, path, &data, &size, err);
        if (rc != EI_OK)
            goto out;
    }
    img = ei__calloc(1, sizeof(*img));
    if (img == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", name);
        goto out;
    }
    struct ei__decode_req rq = {opts->max_pixels ? opts->max_pixels : EI_IMAGE_DEFAULT_MAX_PIXELS,
                                opts->apply_orientation, NULL, NULL, NULL};
    /* Fixed minimum sizes become a constant need function through a small adaptor. */
    int32_t need[2] = {opts->min_width, opts->min_height};
    if (need[0] > 0 && need[1] > 0) {
        rq.need = need_fixed;
        rq.need_ctx = need;
    }
    rc = ei__image_decode_into(&d, data, size, name, &rq, img, err);
    if (rc != EI_OK)
        goto out;
    *out = img;
    img = NULL;
out:
    ei_image_destroy(img);
    ei__decoder_dispose(&d);
    return rc;
}

ei_code_t ei_image_load(const char *path, const ei_image_decode_opts_t *opts, ei_image_t **out,
                        ei_error_t *err)
{
    if (path == NULL)
        return ei__fail(err, EI_EINVAL, "image: path is NULL");
    return decode_new(NULL, 0, path, path, opts, out, err);
}

ei_code_t ei_image_decode(const void *data, size_t size, const ei_image_decode_opts_t *opts,
                          ei_image_t **out, ei_error_t *err)
{
    return decode_new(data, size, NULL, "buffer", opts, out, err);
}

ei_code_t ei_image_from_pixels(const uint8_t *pixels, int32_t width, int32_t height, int channels,
                               size_t stride, ei_image_t **out, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    ei_image_t *img = NULL;
    if (out == NULL)
        return ei__fail(err, EI_EINVAL, "image: out is NULL");
    *out = NULL;
    if (pixels == NULL || width <= 0 || height <= 0)
        return ei__fail(err, EI_EINVAL, "image: bad pixels (%dx%d)", (int)width, (int)height);
    if (channels != 1 && channels != 3 && channels != 4)
        return ei__fail(err, EI_EINVAL, "image: channels must be 1, 3 or 4, got %d", channels);
    if (stride == 0)
        stride = (size_t)width * (size_t)channels;
    if (stride < (size_t)width * (size_t)channels)
        return ei__fail(err, EI_EINVAL, "image: stride %zu below width * channels", stride);
    img = ei__calloc(1, sizeof(*img));
    if (img == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "image: out of memory");
        goto out;
    }
    size_t n;
    if (ei__mul_overflow((size_t)width * 3, (size_t)height, &n)) {
        rc = ei__fail(err, EI_ELIMIT, "image: %dx%d too large", (int)width, (int)height);
        goto out;
    }
    rc = ei__image_reserve(img, n, err);
    if (rc != EI_OK)
        goto out;
    img->w = img->src_w = width;
    img->h = img->src_h = height;
    img->stride = (size_t)width * 3;
    for (int32_t y = 0; y < height; y++) {
        const uint8_t *s = pixels + (size_t)y * stride;
        uint8_t *d = img->px + (size_t)y * img->stride;
        if (channels == 3) {
            memcpy(d, s, (size_t)width * 3);
            continue;
        }
        for (int32_t x = 0; x < width; x++) {
            if (channels == 1) {
                d[0] = d[1] = d[2] = s[x];
            } else {
                d[0] = s[4 * x];
                d[1] = s[4 * x + 1];
                d[2] = s[4 * x + 2];
            }
            d += 3;
        }
    }
    *out = img;
    img = NULL;
out:
    ei_image_destroy(img);
    return rc;
}

void ei_image_destroy(ei_image_t *img)
{
    if (img == NULL)
        return;
    ei__free(img->px);
    ei__free(img);
}

int32_t ei_image_width(const ei_image_t *img)
{
    return img ? img->w : 0;
}

int32_t ei_image_height(const ei_image_t *img)
{
    return img ? img->h : 0;
}

size_t ei_image_stride(const ei_image_t *img)
{
    return img ? img->stride : 0;
}

const uint8_t *ei_image_pixels(const ei_image_t *img)
{
    return img ? img->px : NULL;
}

int32_t ei_image_source_width(const ei_image_t *img)
{
    return img ? img->src_w : 0;
}

int32_t ei_image_source_height(const ei_image_t *img)
{
    return img ? img->src_h : 0;
}
