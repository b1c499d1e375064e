/* SPDX-License-Identifier: MIT */
/*
 * The preprocessing pipeline: the geometry of each fit mode (torchvision's
 * Resize + CenterCrop, YOLO letterbox, PaddleOCR's right-padded text line, plain stretch), and the
 * fused resize -> crop -> normalise -> layout kernel that writes one batch slot of a model input.
 * Options and presets are in opts.c, decoding in image.c and decode_*.c, coefficient tables in
 * resample.c and the inner loops in kernel.c.
 */
#include "ei_util.h"
#include "image_internal.h"

#include <math.h>
#include <string.h>

/* Coefficient tables kept per pipeline: horizontal and vertical for a few recent source sizes. */
#define COEFF_CACHE 8

/* Largest resized side accepted (before the crop). */
#define EI__MAX_RESIZED (1 << 20)

struct ei_image_pipeline {
    ei_image_opts_t o;
    size_t esize;      /* bytes per element */
    size_t slot_bytes; /* bytes per batch slot */
    int32_t resize_shorter;
    /* Indexed by source channel (R, G, B): which output channel it lands in, and its LUT. */
    int chan_of[3];
    float lutf[3][256];
    uint16_t luth[3][256];
    struct ei__coeffs cache[COEFF_CACHE];
    int cache_next;
    uint8_t *tmp; /* horizontal-pass rows */
    size_t tmp_cap;
    int32_t *acc; /* vertical-pass accumulators, one output row */
    size_t acc_cap;
    const uint8_t **rows;
    size_t rows_cap;
    struct ei__decoder dec;
    ei_image_t img;
};

/* Where the resized content goes: the full resized size rw x rh, the window of it that is kept
 * (wx, wy, ww, wh) and where that window lands in the output (ox, oy). */
struct layout {
    int32_t rw, rh;
    int32_t wx, wy, ww, wh;
    int32_t ox, oy;
};

ei_code_t ei_image_pipeline_create(const ei_image_opts_t *opts, ei_image_pipeline_t **out,
                                   ei_error_t *err)
{
    if (out == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: out is NULL");
    *out = NULL;
    ei_image_opts_t def;
    if (opts == NULL) {
        ei_image_opts_init(&def);
        opts = &def;
    }
    ei_code_t rc = ei__image_opts_validate(opts, err);
    if (rc != EI_OK)
        return rc;
    ei_image_pipeline_t *p = ei__calloc(1, sizeof(*p));
    if (p == NULL)
        return ei__fail(err, EI_ENOMEM, "image pipeline: out of memory");
    p->o = *opts;
    if (p->o.max_pixels == 0)
        p->o.max_pixels = EI_IMAGE_DEFAULT_MAX_PIXELS;
    p->esize = ei_dtype_size(p->o.dtype);
    p->slot_bytes = (size_t)p->o.width * (size_t)p->o.height * 3 * p->esize;
    p->resize_shorter = p->o.resize_shorter;
    if (p->resize_shorter == 0) {
        int32_t m = p->o.width > p->o.height ? p->o.width : p->o.height;
        p->resize_shorter = (int32_t)lrint((double)m * 256.0 / 224.0);
    }
    /* Output channel of each source channel, then value tables in output-channel terms. The
     * arithmetic is float32, as torchvision's ToTensor + Normalize on float32 tensors. */
    for (int c = 0; c < 3; c++) {
        int oc = p->o.order == EI_ORDER_BGR ? 2 - c : c;
        p->chan_of[c] = oc;
        for (int v = 0; v < 256; v++) {
            /* torchvision divides by 255 (ToTensor) rather than multiplying by 1/255; the two
             * differ in the last bit for some values, so use the division when that is meant. */
            float x = p->o.scale == 1.0f / 255.0f ? (float)v / 255.0f : (float)v * p->o.scale;
            x = (x - p->o.mean[oc]) / p->o.std[oc];
            p->lutf[c][v] = x;
            p->luth[c][v] = ei_f32_to_f16(x);
        }
    }
    *out = p;
    return EI_OK;
}

void ei_image_pipeline_destroy(ei_image_pipeline_t *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < COEFF_CACHE; i++)
        ei__coeffs_dispose(&p->cache[i]);
    ei__free(p->tmp);
    ei__free(p->acc);
    ei__free((void *)p->rows);
    ei__decoder_dispose(&p->dec);
    ei__free(p->img.px);
    ei__free(p);
}

const ei_image_opts_t *ei_image_pipeline_opts(const ei_image_pipeline_t *p)
{
    return p ? &p->o : NULL;
}

size_t ei_image_pipeline_slot_bytes(const ei_image_pipeline_t *p)
{
    return p ? p->slot_bytes : 0;
}

/* Python's round() on a double: half to even (rint in the default rounding mode). */
static int32_t py_round(double x)
{
    return (int32_t)rint(x);
}

/*
 * The geometry of each fit mode for an upright source of w x h, following the reference
 * implementations exactly, rounding included (see the fit descriptions in image.h).
 */
static void plan_layout(const ei_image_pipeline_t *p, int32_t w, int32_t h, struct layout *L)
{
    const ei_image_opts_t *o = &p->o;
    int32_t W = o->width, H = o->height;
    memset(L, 0, sizeof(*L));
    switch (o->fit) {
    case EI_FIT_SHORTER_CROP: {
        int32_t s = p->resize_shorter;
        if (w <= h) {
            L->rw = s;
            L->rh = (int32_t)((double)s * (double)h / (double)w);
        } else {
            L->rh = s;
            L->rw = (int32_t)((double)s * (double)w / (double)h);
        }
        if (L->rw < 1)
            L->rw = 1;
        if (L->rh < 1)
            L->rh = 1;
        /* torchvision CenterCrop: pad (with 0) when the crop is larger, then
         * crop_top = int(round((height - crop_height) / 2.0)). */
        if (L->rw >= W) {
            L->wx = py_round((double)(L->rw - W) / 2.0);
            L->ww = W;
        } else {
            L->ox = (W - L->rw) / 2;
            L->ww = L->rw;
        }
        if (L->rh >= H) {
            L->wy = py_round((double)(L->rh - H) / 2.0);
            L->wh = H;
        } else {
            L->oy = (H - L->rh) / 2;
            L->wh = L->rh;
        }
        break;
    }
    case EI_FIT_LETTERBOX: {
        /* Ultralytics LetterBox: r = min(H/h, W/w), new size round(w*r) x round(h*r), centred
         * with top = round(dh - 0.1), left = round(dw - 0.1). */
        double r = fmin((double)H / (double)h, (double)W / (double)w);
        L->rw = py_round((double)w * r);
        L->rh = py_round((double)h * r);
        if (L->rw < 1)
            L->rw = 1;
        if (L->rh < 1)
            L->rh = 1;
        if (L->rw > W)
            L->rw = W;
        if (L->rh > H)
            L->rh = H;
        double dw = (double)(W - L->rw) / 2.0, dh = (double)(H - L->rh) / 2.0;
        L->ox = py_round(dw - 0.1);
        L->oy = py_round(dh - 0.1);
        if (L->ox < 0)
            L->ox = 0;
        if (L->oy < 0)
            L->oy = 0;
        L->ww = L->rw;
        L->wh = L->rh;
        break;
    }
    case EI_FIT_PAD_RIGHT: {
        /* PaddleOCR resize_norm_img: resized_w = ceil(imgH * w / h), capped at imgW. */
        double ratio = (double)w / (double)h;
        double cw = ceil((double)H * ratio);
        L->rw = cw > (double)W ? W : (int32_t)cw;
        if (L->rw < 1)
            L->rw = 1;
        L->rh = H;
        L->ww = L->rw;
        L->wh = H;
        break;
    }
    case EI_FIT_STRETCH:
    default:
        L->rw = W;
        L->rh = H;
        L->ww = W;
        L->wh = H;
        break;
    }
}

static void need_fn(void *ctx, int32_t w, int32_t h, int32_t *nw, int32_t *nh)
{
    const ei_image_pipeline_t *p = ctx;
    struct layout L;
    plan_layout(p, w, h, &L);
    double f = p->o.dct_oversample >= 1.0f ? (double)p->o.dct_oversample : 1.0;
    *nw = (int32_t)ceil((double)L.rw * f);
    *nh = (int32_t)ceil((double)L.rh * f);
}

/* The input samples [lo, hi) that outputs first .. first+n-1 of table `c` read. */
static void support(const struct ei__coeffs *c, int32_t first, int32_t n, int32_t *lo, int32_t *hi)
{
    *lo = INT32_MAX;
    *hi = 0;
    for (int32_t i = first; i < first + n; i++) {
        int32_t a = c->bounds[2 * i], b = a + c->bounds[2 * i + 1];
        if (a < *lo)
            *lo = a;
        if (b > *hi)
            *hi = b;
    }
}

/*
 * A cached coefficient table for in -> out with the pipeline's filter. A miss replaces the oldest
 * entry, but never `keep` (the table the caller already holds for the other axis).
 */
static ei_code_t coeffs_get(ei_image_pipeline_t *p, int32_t in, int32_t out,
                            const struct ei__coeffs *keep, const struct ei__coeffs **c,
                            ei_error_t *err)
{
    for (int i = 0; i < COEFF_CACHE; i++) {
        if (p->cache[i].k != NULL && p->cache[i].in == in && p->cache[i].out == out) {
            *c = &p->cache[i];
            return EI_OK;
        }
    }
    if (&p->cache[p->cache_next] == keep)
        p->cache_next = (p->cache_next + 1) % COEFF_CACHE;
    struct ei__coeffs *slot = &p->cache[p->cache_next];
    p->cache_next = (p->cache_next + 1) % COEFF_CACHE;
    ei__coeffs_dispose(slot);
    ei_code_t rc = ei__coeffs_build(slot, in, out, p->o.filter, p->o.antialias, err);
    if (rc == EI_OK)
        rc = ei__coeffs_pack(slot, err);
    if (rc != EI_OK) {
        ei__coeffs_dispose(slot);
        return rc;
    }
    *c = slot;
    return EI_OK;
}

/*
 * The decoder's region callback: the source pixels run_kernel() will read from an upright w x h
 * decode of a src_w x src_h image — the crop window's rows and columns plus the filter's support.
 * The tables built here are the ones run_kernel() then finds in the cache.
 */
static bool region_fn(void *ctx, int32_t w, int32_t h, int32_t src_w, int32_t src_h, int32_t r[4])
{
    ei_image_pipeline_t *p = ctx;
    struct layout L;
    plan_layout(p, src_w, src_h, &L);
    if (L.rw > EI__MAX_RESIZED || L.rh > EI__MAX_RESIZED || L.ww <= 0 || L.wh <= 0)
        return false; /* ei_image_pipeline_run() refuses it with a proper message */
    const struct ei__coeffs *hc = NULL, *vc = NULL;
    ei_error_t e;
    if (coeffs_get(p, w, L.rw, NULL, &hc, &e) != EI_OK ||
        coeffs_get(p, h, L.rh, hc, &vc, &e) != EI_OK)
        return false;
    support(hc, L.wx, L.ww, &r[0], &r[2]);
    support(vc, L.wy, L.wh, &r[1], &r[3]);
    return r[2] > r[0] && r[3] > r[1];
}

static ei_code_t grow(void **buf, size_t *cap, size_t n, ei_error_t *err)
{
    if (n <= *cap)
        return EI_OK;
    void *q = ei__malloc(n);
    if (q == NULL)
        return ei__fail(err, EI_ENOMEM, "image pipeline: cannot allocate %zu bytes", n);
    ei__free(*buf);
    *buf = q;
    *cap = n;
    return EI_OK;
}

static inline uint8_t clip8(int32_t v)
{
    v >>= EI__PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

/* The pad as stored: one element per output channel, in the output dtype. */
struct pad {
    uint8_t bytes[3][4];
};

/* The letterbox colour or, for a crop larger than the resized image, black (torchvision pads
 * with 0 before normalising), or pad_value (already normalised) for PAD_RIGHT. */
static void pad_value(const ei_image_pipeline_t *p, struct pad *pv)
{
    const ei_image_opts_t *o = &p->o;
    for (int c = 0; c < 3; c++) {
        int oc = p->chan_of[c];
        float f;
        uint16_t h;
        uint8_t u;
        if (o->fit == EI_FIT_PAD_RIGHT) {
            f = o->pad_value;
            h = ei_f32_to_f16(o->pad_value);
            float r = rintf(o->pad_value);
            u = (uint8_t)(r < 0.0f ? 0.0f : (r > 255.0f ? 255.0f : r));
        } else {
            uint8_t px = o->fit == EI_FIT_LETTERBOX ? o->pad_rgb[c] : 0;
            f = p->lutf[c][px];
            h = p->luth[c][px];
            u = px;
        }
        if (o->dtype == EI_DTYPE_FLOAT32)
            memcpy(pv->bytes[oc], &f, 4);
        else if (o->dtype == EI_DTYPE_FLOAT16)
            memcpy(pv->bytes[oc], &h, 2);
        else
            pv->bytes[oc][0] = u;
    }
}

/* Writes `n` copies of the element `v` (es bytes) every `step` elements from q. */
static void fill_elems(uint8_t *q, const uint8_t *v, size_t es, size_t step, int32_t n)
{
    if (es == 4) {
        uint32_t x;
        memcpy(&x, v, 4);
        uint32_t *d = (uint32_t *)(void *)q;
        for (int32_t i = 0; i < n; i++)
            d[(size_t)i * step] = x;
    } else if (es == 2) {
        uint16_t x;
        memcpy(&x, v, 2);
        uint16_t *d = (uint16_t *)(void *)q;
        for (int32_t i = 0; i < n; i++)
            d[(size_t)i * step] = x;
    } else {
        for (int32_t i = 0; i < n; i++)
            q[(size_t)i * step] = v[0];
    }
}

/* Writes the pad into pixels [x0, x0 + n) of output row y, every channel. */
static void fill_span(const ei_image_pipeline_t *p, const struct pad *pv, uint8_t *slot, int32_t y,
                      int32_t x0, int32_t n)
{
    if (n <= 0)
        return;
    size_t es = p->esize, W = (size_t)p->o.width, hw = W * (size_t)p->o.height;
    size_t first = (size_t)y * W + (size_t)x0;
    for (int c = 0; c < 3; c++) {
        if (p->o.layout == EI_LAYOUT_NCHW)
            fill_elems(slot + ((size_t)c * hw + first) * es, pv->bytes[c], es, 1, n);
        else
            fill_elems(slot + (first * 3 + (size_t)c) * es, pv->bytes[c], es, 3, n);
    }
}

/* Pads everything outside the window [ox, ox + ww) x [oy, oy + wh) of the output. */
static void fill_pad(const ei_image_pipeline_t *p, const struct layout *L, uint8_t *slot)
{
    struct pad pv;
    pad_value(p, &pv);
    int32_t W = p->o.width, H = p->o.height;
    for (int32_t y = 0; y < H; y++) {
        if (y < L->oy || y >= L->oy + L->wh) {
            fill_span(p, &pv, slot, y, 0, W);
        } else {
            fill_span(p, &pv, slot, y, 0, L->ox);
            fill_span(p, &pv, slot, y, L->ox + L->ww, W - L->ox - L->ww);
        }
    }
}

/*
 * Writes one output row: `acc` holds n pixels' fixed-point RGB sums; each is clipped to 8 bits
 * (PIL's rounding of the vertical pass) and mapped through the channel's table straight into
 * the slot. One branch per row, none per pixel.
 */
static void emit_row(const ei_image_pipeline_t *p, const int32_t *acc, int32_t n, uint8_t *slot,
                     int32_t y, int32_t x0)
{
    const ei_image_opts_t *o = &p->o;
    size_t W = (size_t)o->width, hw = W * (size_t)o->height;
    size_t base = (size_t)y * W + (size_t)x0;
    int c0 = p->chan_of[0], c1 = p->chan_of[1], c2 = p->chan_of[2];
    const float *l0 = p->lutf[0], *l1 = p->lutf[1], *l2 = p->lutf[2];
    if (o->dtype == EI_DTYPE_FLOAT32 && o->layout == EI_LAYOUT_NCHW) {
        float *out = (float *)(void *)slot;
        float *q0 = out + (size_t)c0 * hw + base, *q1 = out + (size_t)c1 * hw + base;
        float *q2 = out + (size_t)c2 * hw + base;
        for (int32_t x = 0; x < n; x++) {
            q0[x] = l0[clip8(acc[3 * x])];
            q1[x] = l1[clip8(acc[3 * x + 1])];
            q2[x] = l2[clip8(acc[3 * x + 2])];
        }
    } else if (o->dtype == EI_DTYPE_FLOAT32) {
        float *q = (float *)(void *)slot + base * 3;
        for (int32_t x = 0; x < n; x++) {
            q[3 * x + c0] = l0[clip8(acc[3 * x])];
            q[3 * x + c1] = l1[clip8(acc[3 * x + 1])];
            q[3 * x + c2] = l2[clip8(acc[3 * x + 2])];
        }
    } else if (o->dtype == EI_DTYPE_FLOAT16) {
        const uint16_t *h0 = p->luth[0], *h1 = p->luth[1], *h2 = p->luth[2];
        uint16_t *out = (uint16_t *)(void *)slot;
        if (o->layout == EI_LAYOUT_NCHW) {
            uint16_t *q0 = out + (size_t)c0 * hw + base, *q1 = out + (size_t)c1 * hw + base;
            uint16_t *q2 = out + (size_t)c2 * hw + base;
            for (int32_t x = 0; x < n; x++) {
                q0[x] = h0[clip8(acc[3 * x])];
                q1[x] = h1[clip8(acc[3 * x + 1])];
                q2[x] = h2[clip8(acc[3 * x + 2])];
            }
        } else {
            uint16_t *q = out + base * 3;
            for (int32_t x = 0; x < n; x++) {
                q[3 * x + c0] = h0[clip8(acc[3 * x])];
                q[3 * x + c1] = h1[clip8(acc[3 * x + 1])];
                q[3 * x + c2] = h2[clip8(acc[3 * x + 2])];
            }
        }
    } else {
        if (o->layout == EI_LAYOUT_NCHW) {
            uint8_t *q0 = slot + (size_t)c0 * hw + base, *q1 = slot + (size_t)c1 * hw + base;
            uint8_t *q2 = slot + (size_t)c2 * hw + base;
            for (int32_t x = 0; x < n; x++) {
                q0[x] = clip8(acc[3 * x]);
                q1[x] = clip8(acc[3 * x + 1]);
                q2[x] = clip8(acc[3 * x + 2]);
            }
        } else {
            uint8_t *q = slot + base * 3;
            for (int32_t x = 0; x < n; x++) {
                q[3 * x + c0] = clip8(acc[3 * x]);
                q[3 * x + c1] = clip8(acc[3 * x + 1]);
                q[3 * x + c2] = clip8(acc[3 * x + 2]);
            }
        }
    }
}

/*
 * The fused kernel, PIL's two-pass resample restricted to the kept window:
 *
 * 1. Horizontal pass, only over the source rows the window's output rows read, and only for the
 *    window's columns, into 8-bit rows (PIL rounds and clips to 8 bits between the passes, so
 *    we do too). When the width does not change, the source rows are used as they are.
 * 2. Vertical pass, one output row at a time into int32 accumulators (kernel.c: AVX2 or
 *    portable C), then emit_row() clips, normalises and stores in the output layout.
 *
 * Nothing is allocated per image once the scratch buffers have grown to the largest size seen.
 */
static ei_code_t run_kernel(ei_image_pipeline_t *p, const ei_image_t *img, const struct layout *L,
                            uint8_t *slot, ei_error_t *err)
{
    ei_code_t rc;
    const struct ei__coeffs *hc = NULL, *vc = NULL;
    rc = coeffs_get(p, img->w, L->rw, NULL, &hc, err);
    if (rc != EI_OK)
        return rc;
    rc = coeffs_get(p, img->h, L->rh, hc, &vc, err);
    if (rc != EI_OK)
        return rc;
    int32_t ww = L->ww, wh = L->wh;
    int32_t ylo, yhi;
    support(vc, L->wy, wh, &ylo, &yhi);
    if (yhi <= ylo)
        return ei__fail(err, EI_EINVAL, "image pipeline: empty resize window");
    size_t nrows = (size_t)(yhi - ylo);
    size_t rowb = (size_t)ww * 3;
    rc = grow((void **)&p->rows, &p->rows_cap, nrows * sizeof(*p->rows), err);
    if (rc == EI_OK)
        rc = grow((void **)&p->acc, &p->acc_cap, rowb * sizeof(int32_t), err);
    if (rc != EI_OK)
        return rc;
    bool hid = img->w == L->rw && hc->ksize == 1;
    if (hid) {
        for (size_t r = 0; r < nrows; r++)
            p->rows[r] = img->px + ((size_t)ylo + r) * img->stride + (size_t)L->wx * 3;
    } else {
        rc = ei__grow_pixels(&p->tmp, &p->tmp_cap, rowb * nrows, err);
        if (rc != EI_OK)
            return rc;
        for (size_t r = 0; r < nrows; r++) {
            const uint8_t *src = img->px + ((size_t)ylo + r) * img->stride;
            uint8_t *dst = p->tmp + r * rowb;
            p->rows[r] = dst;
            ei__hpass_row(src, dst, hc, L->wx, ww);
        }
    }
    int32_t *acc = p->acc;
    int n3 = (int)rowb;
    for (int32_t y = 0; y < wh; y++) {
        int32_t oy = L->wy + y;
        int32_t ymin = vc->bounds[2 * oy] - ylo, yn = vc->bounds[2 * oy + 1];
        const int32_t *k = vc->k + (size_t)oy * (size_t)vc->ksize;
        ei__vpass_row(p->rows + ymin, k, yn, acc, n3);
        emit_row(p, acc, ww, slot, L->oy + y, L->ox);
    }
    return EI_OK;
}

ei_code_t ei_image_pipeline_run(ei_image_pipeline_t *p, const ei_image_t *img, void *dst,
                                size_t dst_size, size_t batch_index, ei_image_geom_t *geom,
                                ei_error_t *err)
{
    if (p == NULL || img == NULL || dst == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: NULL argument");
    if (img->w <= 0 || img->h <= 0 || img->px == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: empty image");
    size_t end;
    if (ei__mul_overflow(batch_index + 1, p->slot_bytes, &end) || end > dst_size)
        return ei__fail(err, EI_EINVAL,
                        "image pipeline: batch slot %zu does not fit in %zu bytes (%zu per slot)",
                        batch_index, dst_size, p->slot_bytes);
    int32_t sw = img->src_w > 0 ? img->src_w : img->w;
    int32_t sh = img->src_h > 0 ? img->src_h : img->h;
    struct layout L;
    plan_layout(p, sw, sh, &L);
    /* A 1 x 60000 strip asks for a 256 x 15 million resize; refuse rather than build tables of
     * that size (PIL would allocate the whole resized image). */
    if (L.rw > EI__MAX_RESIZED || L.rh > EI__MAX_RESIZED)
        return ei__fail(err, EI_ELIMIT,
                        "image pipeline: %dx%d image would be resized to %dx%d, "
                        "above the %d limit",
                        (int)sw, (int)sh, (int)L.rw, (int)L.rh, EI__MAX_RESIZED);
    uint8_t *slot = (uint8_t *)dst + batch_index * p->slot_bytes;
    if (L.ww < p->o.width || L.wh < p->o.height)
        fill_pad(p, &L, slot);
    ei_code_t rc = run_kernel(p, img, &L, slot, err);
    if (rc != EI_OK)
        return rc;
    if (geom != NULL) {
        geom->src_width = sw;
        geom->src_height = sh;
        geom->resized_width = L.rw;
        geom->resized_height = L.rh;
        geom->scale_x = (double)L.rw / (double)sw;
        geom->scale_y = (double)L.rh / (double)sh;
        geom->offset_x = (double)L.ox - (double)L.wx;
        geom->offset_y = (double)L.oy - (double)L.wy;
    }
    return EI_OK;
}

static ei_code_t check_tensor(const ei_image_pipeline_t *p, const ei_tensor_t *t,
                              size_t batch_index, void **data, size_t *size, ei_error_t *err)
{
    if (t == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: tensor is NULL");
    const int64_t *s = ei_tensor_shape(t);
    size_t rank = ei_tensor_rank(t);
    int64_t want[4] = {-1, 3, p->o.height, p->o.width};
    if (p->o.layout == EI_LAYOUT_NHWC) {
        want[1] = p->o.height;
        want[2] = p->o.width;
        want[3] = 3;
    }
    bool ok = rank == 4 && ei_tensor_dtype(t) == p->o.dtype && s[0] >= 1;
    for (int i = 1; ok && i < 4; i++)
        ok = s[i] == want[i];
    if (!ok) {
        char a[96], b[96];
        want[0] = rank == 4 ? s[0] : 1;
        return ei__fail(err, EI_EINVAL, "image input: expected shape %s %s, got %s %s",
                        ei_shape_format(want, 4, a, sizeof(a)), ei_dtype_name(p->o.dtype),
                        ei_shape_format(s, rank, b, sizeof(b)), ei_dtype_name(ei_tensor_dtype(t)));
    }
    if ((int64_t)batch_index >= s[0])
        return ei__fail(err, EI_EINVAL, "image input: batch index %zu out of range (batch %lld)",
                        batch_index, (long long)s[0]);
    *data = ei_tensor_data(t);
    *size = ei_tensor_nbytes(t);
    return EI_OK;
}

ei_code_t ei_image_pipeline_run_tensor(ei_image_pipeline_t *p, const ei_image_t *img,
                                       ei_tensor_t *t, size_t batch_index, ei_image_geom_t *geom,
                                       ei_error_t *err)
{
    void *data = NULL;
    size_t size = 0;
    if (p == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: NULL pipeline");
    ei_code_t rc = check_tensor(p, t, batch_index, &data, &size, err);
    if (rc != EI_OK)
        return rc;
    return ei_image_pipeline_run(p, img, data, size, batch_index, geom, err);
}

ei_code_t ei_image_pipeline_load_raw(ei_image_pipeline_t *p, const char *path, const void *data,
                                     size_t size, void *dst, size_t dst_size, size_t batch_index,
                                     ei_image_geom_t *geom, ei_error_t *err)
{
    if (p == NULL || dst == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: NULL argument");
    ei_code_t rc;
    const char *name = "buffer";
    if (path != NULL) {
        const uint8_t *fdata = NULL;
        rc = ei__read_file(&p->dec, path, &fdata, &size, err);
        if (rc != EI_OK)
            return rc;
        data = fdata;
        name = path;
    }
    /* Decode only the pixels the resize reads (JPEG; identical values), at reduced DCT scale if
     * asked. */
    struct ei__decode_req rq = {p->o.max_pixels, true, NULL, p, region_fn};
    if (p->o.dct_scaling)
        rq.need = need_fn;
    rc = ei__image_decode_into(&p->dec, data, size, name, &rq, &p->img, err);
    ei__file_done(&p->dec);
    if (rc != EI_OK)
        return rc;
    rc = ei_image_pipeline_run(p, &p->img, dst, dst_size, batch_index, geom, err);
    if (rc != EI_OK)
        ei__error_prefix(err, "%s", name);
    return rc;
}

ei_code_t ei_image_pipeline_load(ei_image_pipeline_t *p, const char *path, ei_tensor_t *t,
                                 size_t batch_index, ei_image_geom_t *geom, ei_error_t *err)
{
    void *data = NULL;
    size_t size = 0;
    if (p == NULL || path == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: NULL argument");
    ei_code_t rc = check_tensor(p, t, batch_index, &data, &size, err);
    if (rc != EI_OK)
        return rc;
    return ei_image_pipeline_load_raw(p, path, NULL, 0, data, size, batch_index, geom, err);
}

ei_code_t ei_image_pipeline_decode(ei_image_pipeline_t *p, const void *data, size_t size,
                                   ei_tensor_t *t, size_t batch_index, ei_image_geom_t *geom,
                                   ei_error_t *err)
{
    void *dst = NULL;
    size_t dsize = 0;
    if (p == NULL)
        return ei__fail(err, EI_EINVAL, "image pipeline: NULL pipeline");
    ei_code_t rc = check_tensor(p, t, batch_index, &dst, &dsize, err);
    if (rc != EI_OK)
        return rc;
    return ei_image_pipeline_load_raw(p, NULL, data, size, dst, dsize, batch_index, geom, err);
}
