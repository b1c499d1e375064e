/* SPDX-License-Identifier: MIT */
/*
 * The OCR head's recognition side: the dictionary (keys.txt), strip batches for the orientation
 * and recognition models (PaddleOCR's resize_norm_img), CTC greedy decoding, and the strip
 * operations (perspective crop, 180-degree turn). The detection side is ocr_det.c, the pipeline
 * that ties the stages to sessions ocr.c.
 */
#include "ei_util.h"
#include "ocr_geom.h"

#include <edgeinfer/ocr.h>
#include <math.h>
#include <string.h>

/* PaddleOCR's recogniser input is at least 320 wide for a height of 48 (rec_image_shape). */
#define REC_MIN_RATIO (320.0 / 48.0)
/* Largest dictionary accepted (PaddleOCR's biggest has under 20,000 entries). */
#define KEYS_MAX_BYTES ((size_t)16 << 20)

struct ei_ocr_keys {
    char *blob;     /* the file's bytes, each line NUL-terminated in place */
    size_t n;       /* lines */
    size_t *off;    /* line i starts at blob + off[i] */
    uint32_t *blen; /* and is blen[i] bytes long */
};

void ei_free_string(char *s)
{
    ei__free(s);
}

void ei_ocr_keys_destroy(ei_ocr_keys_t *k)
{
    if (k == NULL)
        return;
    ei__free(k->blob);
    ei__free(k->off);
    ei__free(k->blen);
    ei__free(k);
}

size_t ei_ocr_keys_classes(const ei_ocr_keys_t *k)
{
    return k == NULL ? 0 : k->n + 2;
}

ei_code_t ei_ocr_keys_parse(const char *text, size_t len, const char *what, ei_ocr_keys_t **out,
                            ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if ((text == NULL && len > 0) || out == NULL)
        return ei__fail(err, EI_EINVAL, "dictionary: NULL argument");
    if (what == NULL)
        what = "dictionary";
    if (len == 0)
        return ei__fail(err, EI_EFORMAT, "%s: empty (expected one character per line)", what);
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        size_t line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        return ei__fail(err, EI_EFORMAT, "%s: line %zu holds a NUL byte", what, line);
    }
    ei_ocr_keys_t *k = ei__calloc(1, sizeof(*k));
    if (k == NULL)
        return ei__fail(err, EI_ENOMEM, "%s: out of memory", what);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (text[len - 1] != '\n')
        lines++;
    k->blob = ei__malloc(len + 1);
    k->off = ei__calloc(lines, sizeof(*k->off));
    k->blen = ei__calloc(lines, sizeof(*k->blen));
    if (k->blob == NULL || k->off == NULL || k->blen == NULL) {
        ei_ocr_keys_destroy(k);
        return ei__fail(err, EI_ENOMEM, "%s: out of memory", what);
    }
    memcpy(k->blob, text, len);
    k->blob[len] = '\0';
    size_t start = 0;
    for (size_t i = 0; i <= len && k->n < lines; i++) {
        if (i < len && k->blob[i] != '\n')
            continue;
        size_t end = i;
        if (end > start && k->blob[end - 1] == '\r')
            end--;
        k->off[k->n] = start;
        k->blen[k->n] = (uint32_t)(end - start);
        k->blob[end] = '\0';
        k->n++;
        start = i + 1;
    }
    *out = k;
    return EI_OK;
}

ei_code_t ei_ocr_keys_load(const char *path, ei_ocr_keys_t **out, ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "dictionary: NULL argument");
    unsigned char *data = NULL;
    size_t size = 0;
    ei_code_t rc = ei__file_read(path, KEYS_MAX_BYTES, &data, &size, err);
    if (rc != EI_OK)
        return rc;
    rc = ei_ocr_keys_parse((const char *)data, size, path, out, err);
    ei__free(data);
    return rc;
}

ei_code_t ei_ocr_ctc_decode(const ei_ocr_keys_t *keys, const ei_tensor_t *probs, size_t index,
                            char **text, float *score, ei_error_t *err)
{
    if (text != NULL)
        *text = NULL;
    if (keys == NULL || probs == NULL || text == NULL || score == NULL)
        return ei__fail(err, EI_EINVAL, "ctc decode: NULL argument");
    const int64_t *s = ei_tensor_shape(probs);
    size_t classes = ei_ocr_keys_classes(keys);
    if (ei_tensor_dtype(probs) != EI_DTYPE_FLOAT32 || ei_tensor_rank(probs) != 3 || s[0] < 0 ||
        (uint64_t)s[0] <= index || s[1] < 0 || s[2] != (int64_t)classes) {
        char b[96];
        ei_shape_format(s, ei_tensor_rank(probs), b, sizeof(b));
        return ei__fail(err, EI_EMODEL,
                        "recognition output is %s %s, expected float32 [N, T, %zu] (the "
                        "dictionary's %zu characters + blank + space)",
                        ei_dtype_name(ei_tensor_dtype(probs)), b, classes, classes - 2);
    }
    size_t T = (size_t)s[1];
    const float *p = (const float *)ei_tensor_data(probs) + index * T * classes;
    /* The best class per step (once: the rows are the bulk of the work), then the text. */
    uint32_t *best = ei__malloc((T ? T : 1) * sizeof(*best));
    if (best == NULL)
        return ei__fail(err, EI_ENOMEM, "ctc decode: out of memory");
    size_t bytes = 0, kept = 0;
    double sum = 0;
    size_t prev = SIZE_MAX;
    for (size_t t = 0; t < T; t++) {
        const float *row = p + t * classes;
        size_t b = 0;
        float top = row[0];
        for (size_t c = 1; c < classes; c++)
            if (row[c] > top) {
                top = row[c];
                b = c;
            }
        best[t] = (uint32_t)b;
        bool keep = b != 0 && b != prev;
        prev = b;
        if (keep) {
            bytes += b <= keys->n ? keys->blen[b - 1] : 1;
            kept++;
            sum += (double)top;
        }
    }
    *text = ei__malloc(bytes + 1);
    if (*text == NULL) {
        ei__free(best);
        return ei__fail(err, EI_ENOMEM, "ctc decode: out of memory");
    }
    char *w = *text;
    prev = SIZE_MAX;
    for (size_t t = 0; t < T; t++) {
        size_t b = best[t];
        bool keep = b != 0 && b != prev;
        prev = b;
        if (!keep)
            continue;
        if (b <= keys->n) {
            memcpy(w, keys->blob + keys->off[b - 1], keys->blen[b - 1]);
            w += keys->blen[b - 1];
        } else {
            *w++ = ' ';
        }
    }
    *w = '\0';
    ei__free(best);
    *score = kept ? (float)(sum / (double)kept) : 0.0f;
    return EI_OK;
}

/* Strips ------------------------------------------------------------------------------------------
 */

/* Grows quad q (top-left, top-right, bottom-right, bottom-left) along its own axes. */
static void grow(ei__pt_t q[4], double my, double mx)
{
    double h =
        (hypot(q[3].x - q[0].x, q[3].y - q[0].y) + hypot(q[2].x - q[1].x, q[2].y - q[1].y)) / 2;
    double ux = (q[1].x - q[0].x) + (q[2].x - q[3].x), uy = (q[1].y - q[0].y) + (q[2].y - q[3].y);
    double vx = (q[3].x - q[0].x) + (q[2].x - q[1].x), vy = (q[3].y - q[0].y) + (q[2].y - q[1].y);
    double lu = hypot(ux, uy), lv = hypot(vx, vy);
    if (!(lu > 0 && lv > 0 && h > 0))
        return;
    ux *= mx * h / lu;
    uy *= mx * h / lu;
    vx *= my * h / lv;
    vy *= my * h / lv;
    q[0].x -= ux + vx;
    q[0].y -= uy + vy;
    q[1].x += ux - vx;
    q[1].y += uy - vy;
    q[2].x += ux + vx;
    q[2].y += uy + vy;
    q[3].x -= ux - vx;
    q[3].y -= uy - vy;
}

ei_code_t ei_ocr_crop(const ei_image_t *img, const float box[8], float margin_y, float margin_x,
                      ei_image_t **out, ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (img == NULL || box == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "crop: NULL argument");
    ei__pt_t q[4];
    for (int i = 0; i < 4; i++) {
        q[i].x = box[2 * i];
        q[i].y = box[2 * i + 1];
        if (!isfinite(q[i].x) || !isfinite(q[i].y))
            return ei__fail(err, EI_EINVAL, "crop: box corner %d is not a number", i);
    }
    if (!(margin_y >= 0 && margin_y <= 4 && margin_x >= 0 && margin_x <= 4))
        return ei__fail(err, EI_EINVAL, "crop: margins must be in [0, 4], got %g and %g",
                        (double)margin_y, (double)margin_x);
    if (margin_y > 0 || margin_x > 0)
        grow(q, margin_y, margin_x);
    /* PaddleOCR's get_rotate_crop_image: the longer of each pair of opposite sides. */
    double w =
        fmax(hypot(q[0].x - q[1].x, q[0].y - q[1].y), hypot(q[2].x - q[3].x, q[2].y - q[3].y));
    double h =
        fmax(hypot(q[0].x - q[3].x, q[0].y - q[3].y), hypot(q[1].x - q[2].x, q[1].y - q[2].y));
    if (!(w >= 1 && h >= 1) || w > 1 << 16 || h > 1 << 16)
        return ei__fail(err, EI_EINVAL, "crop: box of %.1f x %.1f pixels cannot be cut out", w, h);
    int32_t dw = (int32_t)w, dh = (int32_t)h;
    size_t n = (size_t)dw * (size_t)dh * 3;
    uint8_t *a = ei__malloc(n), *b = NULL;
    if (a == NULL)
        return ei__fail(err, EI_ENOMEM, "crop: out of memory");
    ei_code_t rc = EI_OK;
    if (!ei__warp_quad(ei_image_pixels(img), ei_image_width(img), ei_image_height(img),
                       ei_image_stride(img), q, a, dw, dh)) {
        rc = ei__fail(err, EI_EINVAL, "crop: degenerate box");
        goto out;
    }
    if ((double)dh / (double)dw >= 1.5) {
        b = ei__malloc(n);
        if (b == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "crop: out of memory");
            goto out;
        }
        ei__rgb_rot90(a, dw, dh, b);
        rc = ei_image_from_pixels(b, dh, dw, 3, 0, out, err);
    } else {
        rc = ei_image_from_pixels(a, dw, dh, 3, 0, out, err);
    }
out:
    ei__free(a);
    ei__free(b);
    return rc;
}

ei_code_t ei_ocr_rotate180(const ei_image_t *img, ei_image_t **out, ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (img == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "rotate: NULL argument");
    int32_t w = ei_image_width(img), h = ei_image_height(img);
    size_t row = (size_t)w * 3;
    uint8_t *px = ei__malloc(row * (size_t)h);
    if (px == NULL)
        return ei__fail(err, EI_ENOMEM, "rotate: out of memory");
    for (int32_t y = 0; y < h; y++)
        memcpy(px + (size_t)y * row, ei_image_pixels(img) + (size_t)y * ei_image_stride(img), row);
    ei__rgb_rot180(px, w, h);
    ei_code_t rc = ei_image_from_pixels(px, w, h, 3, 0, out, err);
    ei__free(px);
    return rc;
}

int32_t ei_ocr_rec_width(const ei_image_t *const *strips, size_t n, int32_t height)
{
    double r = REC_MIN_RATIO;
    for (size_t i = 0; i < n; i++) {
        double a = (double)ei_image_width(strips[i]) / (double)ei_image_height(strips[i]);
        r = a > r ? a : r;
    }
    double w = height * r;
    /* A hostile 1-pixel-high strip must not ask for a gigantic tensor. */
    return w > 8192 ? 8192 : (int32_t)w;
}

ei_code_t ei_ocr_strips_input(const ei_image_t *const *strips, size_t n, int32_t height,
                              int32_t width, ei_tensor_t **out, ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (strips == NULL || out == NULL || n == 0 || height <= 0 || width <= 0)
        return ei__fail(err, EI_EINVAL, "strip batch: bad argument");
    ei_image_opts_t o;
    ei_code_t rc = ei_image_opts_preset(&o, "ppocr", err);
    if (rc != EI_OK)
        return rc;
    o.width = width;
    o.height = height;
    int64_t shape[4] = {(int64_t)n, 3, height, width};
    ei_tensor_t *t = NULL;
    ei_image_pipeline_t *p = NULL;
    rc = ei_tensor_create(EI_DTYPE_FLOAT32, shape, 4, &t, err);
    if (rc == EI_OK)
        rc = ei_image_pipeline_create(&o, &p, err);
    for (size_t i = 0; i < n && rc == EI_OK; i++)
        rc = ei_image_pipeline_run_tensor(p, strips[i], t, i, NULL, err);
    ei_image_pipeline_destroy(p);
    if (rc != EI_OK) {
        ei_tensor_destroy(t);
        return rc;
    }
    *out = t;
    return EI_OK;
}
