/* SPDX-License-Identifier: MIT */
/*
 * The OCR pipeline object: three sessions and a dictionary, checked against each other at load,
 * and ei_ocr_run(), which chains the building blocks of ocr_det.c and ocr_rec.c as PaddleOCR's
 * predict_system does. A run owns all of its buffers, so runs on one ei_ocr_t may overlap (ONNX
 * Runtime sessions are safe to run concurrently).
 */
#include "ei_util.h"
#include "ocr_geom.h"

#include <edgeinfer/ocr.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PaddleOCR's classifier input (cls_image_shape 3,48,192) and recogniser height. */
#define CLS_H 48
#define CLS_W 192
#define REC_H 48

struct ei_ocr {
    ei_ocr_opts_t o; /* paths cleared */
    ei_session_t *det, *cls, *rec;
    ei_ocr_keys_t *keys;
};

void ei_ocr_destroy(ei_ocr_t *ocr)
{
    if (ocr == NULL)
        return;
    ei_session_destroy(ocr->det);
    ei_session_destroy(ocr->cls);
    ei_session_destroy(ocr->rec);
    ei_ocr_keys_destroy(ocr->keys);
    ei__free(ocr);
}

const ei_ocr_opts_t *ei_ocr_options(const ei_ocr_t *ocr)
{
    return ocr == NULL ? NULL : &ocr->o;
}

void ei_ocr_result_dispose(ei_ocr_result_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_lines; i++)
        ei__free(r->lines[i].text);
    ei__free(r->lines);
    memset(r, 0, sizeof(*r));
}

/* `explicit` if given, else dir/name. */
static ei_code_t model_path(const char *explicit, const char *dir, const char *name, char *buf,
                            size_t size, ei_error_t *err)
{
    if (explicit != NULL) {
        if (strlen(explicit) >= size)
            return ei__fail(err, EI_EINVAL, "ocr: path too long: %s", explicit);
        ei__strlcpy(buf, explicit, size);
        return EI_OK;
    }
    if (dir == NULL)
        return ei__fail(err, EI_EINVAL,
                        "ocr: no models folder and no %s path given (set models_dir or the path)",
                        name);
    int w = snprintf(buf, size, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= size)
        return ei__fail(err, EI_EINVAL, "ocr: path too long: %s/%s", dir, name);
    return EI_OK;
}

/* Checks that `s` has one float32 image input [N,3,H,W] (H == `height` when both are fixed) and
 * returns its first output's info. */
static ei_code_t check_image_model(ei_session_t *s, const char *what, const char *path,
                                   int64_t height, const ei_value_info_t **out, ei_error_t *err)
{
    char b[128];
    if (ei_session_input_count(s) != 1 || ei_session_output_count(s) < 1)
        return ei__fail(err, EI_EMODEL,
                        "%s model %s: expected 1 input and 1 output, got %zu and %zu", what, path,
                        ei_session_input_count(s), ei_session_output_count(s));
    const ei_value_info_t *in = ei_session_input(s, 0);
    bool ok = in->kind == EI_VALUE_TENSOR && in->rank_known && in->rank == 4 &&
              in->dtype == EI_DTYPE_FLOAT32 && (in->shape[1] == 3 || in->shape[1] < 0) &&
              (height <= 0 || in->shape[2] <= 0 || in->shape[2] == height);
    if (!ok) {
        if (in->kind == EI_VALUE_TENSOR && in->rank_known)
            ei_shape_format(in->shape, in->rank, b, sizeof(b));
        else
            snprintf(b, sizeof(b), "(unknown shape)");
        return ei__fail(err, EI_EMODEL,
                        "%s model %s: input '%s' is %s %s, expected float32 [N,3,%s,W]", what, path,
                        in->name, ei_dtype_name(in->dtype), b,
                        height > 0 ? (height == 48 ? "48" : "H") : "H");
    }
    *out = ei_session_output(s, 0);
    return EI_OK;
}

static ei_code_t check_models(ei_ocr_t *ocr, const char *det, const char *cls, const char *rec,
                              ei_error_t *err)
{
    const ei_value_info_t *o = NULL;
    char b[128];
    ei_code_t rc = check_image_model(ocr->det, "detection", det, 0, &o, err);
    if (rc != EI_OK)
        return rc;
    if (o->kind != EI_VALUE_TENSOR || o->dtype != EI_DTYPE_FLOAT32 ||
        (o->rank_known && (o->rank != 4 || (o->shape[1] > 0 && o->shape[1] != 1)))) {
        if (o->rank_known)
            ei_shape_format(o->shape, o->rank, b, sizeof(b));
        else
            snprintf(b, sizeof(b), "(unknown shape)");
        return ei__fail(err, EI_EMODEL,
                        "detection model %s: output '%s' is %s %s, expected a float32 probability "
                        "map [N,1,H,W]",
                        det, o->name, ei_dtype_name(o->dtype), b);
    }
    if (ocr->cls != NULL) {
        rc = check_image_model(ocr->cls, "orientation", cls, CLS_H, &o, err);
        if (rc != EI_OK)
            return rc;
        if (o->kind != EI_VALUE_TENSOR || o->dtype != EI_DTYPE_FLOAT32 ||
            (o->rank_known && (o->rank != 2 || (o->shape[1] > 0 && o->shape[1] != 2)))) {
            if (o->rank_known)
                ei_shape_format(o->shape, o->rank, b, sizeof(b));
            else
                snprintf(b, sizeof(b), "(unknown shape)");
            return ei__fail(err, EI_EMODEL,
                            "orientation model %s: output '%s' is %s %s, expected float32 [N,2] "
                            "(0 and 180 degrees)",
                            cls, o->name, ei_dtype_name(o->dtype), b);
        }
    }
    rc = check_image_model(ocr->rec, "recognition", rec, REC_H, &o, err);
    if (rc != EI_OK)
        return rc;
    size_t classes = ei_ocr_keys_classes(ocr->keys);
    if (o->kind != EI_VALUE_TENSOR || o->dtype != EI_DTYPE_FLOAT32 ||
        (o->rank_known && o->rank != 3)) {
        if (o->rank_known)
            ei_shape_format(o->shape, o->rank, b, sizeof(b));
        else
            snprintf(b, sizeof(b), "(unknown shape)");
        return ei__fail(err, EI_EMODEL,
                        "recognition model %s: output '%s' is %s %s, expected float32 [N,T,%zu]",
                        rec, o->name, ei_dtype_name(o->dtype), b, classes);
    }
    if (o->rank_known && o->shape[2] > 0 && (size_t)o->shape[2] != classes)
        return ei__fail(err, EI_EMODEL,
                        "recognition model %s has %lld classes but the dictionary has %zu "
                        "characters (+ blank + space = %zu): wrong keys.txt for this model?",
                        rec, (long long)o->shape[2], classes - 2, classes);
    return EI_OK;
}

ei_code_t ei_ocr_create(const ei_ocr_opts_t *opts, ei_ocr_t **out, ei_error_t *err)
{
    char det[4096], cls[4096], rec[4096], keys[4096];
    if (out != NULL)
        *out = NULL;
    if (opts == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "ocr: NULL argument");
    if (!(opts->det_thresh >= 0 && opts->det_thresh < 1) ||
        !(opts->box_thresh >= 0 && opts->box_thresh <= 1) ||
        !(opts->unclip_ratio >= 0 && opts->unclip_ratio <= 10) ||
        !(opts->cls_thresh >= 0 && opts->cls_thresh <= 1) ||
        !(opts->drop_score >= 0 && opts->drop_score <= 1) ||
        !(opts->crop_margin >= 0 && opts->crop_margin <= 4) ||
        !(opts->crop_margin_x >= 0 && opts->crop_margin_x <= 4) || opts->det_limit_side < 0 ||
        opts->det_limit_side > 8192 || opts->det_min_side < 0 || opts->det_min_side > 8192)
        return ei__fail(err, EI_EINVAL,
                        "ocr: thresholds must be in [0, 1] (det %g, box %g, cls %g, drop %g), "
                        "unclip ratio in [0, 10] (%g), crop margins in [0, 4], detection side in "
                        "[32, 8192] (%d)",
                        (double)opts->det_thresh, (double)opts->box_thresh,
                        (double)opts->cls_thresh, (double)opts->drop_score,
                        (double)opts->unclip_ratio, (int)opts->det_limit_side);
    ei_code_t rc = model_path(opts->det_path, opts->models_dir, "det.onnx", det, sizeof(det), err);
    if (rc == EI_OK && opts->use_angle)
        rc = model_path(opts->cls_path, opts->models_dir, "cls.onnx", cls, sizeof(cls), err);
    if (rc == EI_OK)
        rc = model_path(opts->rec_path, opts->models_dir, "rec.onnx", rec, sizeof(rec), err);
    if (rc == EI_OK)
        rc = model_path(opts->keys_path, opts->models_dir, "keys.txt", keys, sizeof(keys), err);
    if (rc != EI_OK)
        return rc;
    ei_ocr_t *ocr = ei__calloc(1, sizeof(*ocr));
    if (ocr == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    ocr->o = *opts;
    ocr->o.models_dir = ocr->o.det_path = ocr->o.cls_path = ocr->o.rec_path = NULL;
    ocr->o.keys_path = NULL;
    ocr->o.session = NULL;
    if (ocr->o.det_limit_side == 0)
        ocr->o.det_limit_side = 960;
    if (ocr->o.cls_batch == 0)
        ocr->o.cls_batch = 6;
    if (ocr->o.rec_batch == 0)
        ocr->o.rec_batch = 6;
    if (ocr->o.max_candidates == 0)
        ocr->o.max_candidates = 1000;

    rc = ei_ocr_keys_load(keys, &ocr->keys, err);
    if (rc == EI_OK) {
        rc = ei_session_create(det, opts->session, &ocr->det, err);
        if (rc != EI_OK)
            ei__error_prefix(err, "detection model");
    }
    if (rc == EI_OK && opts->use_angle) {
        rc = ei_session_create(cls, opts->session, &ocr->cls, err);
        if (rc != EI_OK)
            ei__error_prefix(err, "orientation model");
    }
    if (rc == EI_OK) {
        rc = ei_session_create(rec, opts->session, &ocr->rec, err);
        if (rc != EI_OK)
            ei__error_prefix(err, "recognition model");
    }
    if (rc == EI_OK)
        rc = check_models(ocr, det, cls, rec, err);
    if (rc != EI_OK) {
        ei_ocr_destroy(ocr);
        return rc;
    }
    *out = ocr;
    return EI_OK;
}

/* Runs a one-input, one-output session. */
static ei_code_t run1(ei_session_t *s, ei_tensor_t *in, ei_tensor_t **out, ei_error_t *err)
{
    const char *in_name = ei_session_input(s, 0)->name;
    const char *out_name = ei_session_output(s, 0)->name;
    return ei_session_run(s, &in_name, &in, 1, &out_name, out, 1, err);
}

/* Strip i's aspect ratio, for the sorts below. */
struct by_ratio {
    double r;
    size_t i;
};

static int cmp_ratio(const void *a, const void *b)
{
    const struct by_ratio *x = a, *y = b;
    if (x->r != y->r)
        return x->r < y->r ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static ei_code_t sort_by_ratio(ei_image_t *const *strips, size_t n, size_t *order, ei_error_t *err)
{
    struct by_ratio *t = ei__malloc(n * sizeof(*t));
    if (t == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    for (size_t i = 0; i < n; i++) {
        t[i].r = (double)ei_image_width(strips[i]) / (double)ei_image_height(strips[i]);
        t[i].i = i;
    }
    qsort(t, n, sizeof(*t), cmp_ratio);
    for (size_t i = 0; i < n; i++)
        order[i] = t[i].i;
    ei__free(t);
    return EI_OK;
}

/* Orientation: batches of strips sorted by aspect; a confident "180" turns the strip over. */
static ei_code_t classify(const ei_ocr_t *ocr, ei_image_t **strips, size_t n, size_t *order,
                          ei_ocr_line_t *lines, ei_ocr_timings_t *t, ei_error_t *err)
{
    ei_code_t rc = sort_by_ratio(strips, n, order, err);
    const ei_image_t *batch[64];
    size_t bs = ocr->o.cls_batch > 64 ? 64 : ocr->o.cls_batch;
    for (size_t b = 0; b < n && rc == EI_OK; b += bs) {
        size_t m = n - b < bs ? n - b : bs;
        for (size_t i = 0; i < m; i++)
            batch[i] = strips[order[b + i]];
        ei_tensor_t *in = NULL, *out = NULL;
        rc = ei_ocr_strips_input(batch, m, CLS_H, CLS_W, &in, err);
        uint64_t t0 = ei__now_ns();
        if (rc == EI_OK)
            rc = run1(ocr->cls, in, &out, err);
        t->cls_infer += ei__now_ns() - t0;
        if (rc == EI_OK) {
            const int64_t *s = ei_tensor_shape(out);
            if (ei_tensor_dtype(out) != EI_DTYPE_FLOAT32 || ei_tensor_rank(out) != 2 ||
                s[0] != (int64_t)m || s[1] != 2) {
                char sh[96];
                ei_shape_format(s, ei_tensor_rank(out), sh, sizeof(sh));
                rc = ei__fail(err, EI_EMODEL, "orientation output is %s, expected [%zu,2]", sh, m);
            }
        }
        for (size_t i = 0; i < m && rc == EI_OK; i++) {
            const float *p = (const float *)ei_tensor_data(out) + 2 * i;
            size_t k = order[b + i];
            bool turned = p[1] > p[0];
            lines[k].angle_score = turned ? p[1] : p[0];
            /* PaddleOCR: '180' in label and score > cls_thresh. */
            if (turned && p[1] > ocr->o.cls_thresh) {
                ei_image_t *r = NULL;
                rc = ei_ocr_rotate180(strips[k], &r, err);
                if (rc == EI_OK) {
                    ei_image_destroy(strips[k]);
                    strips[k] = r;
                    lines[k].angle = 180;
                }
            }
        }
        ei_tensor_destroy(in);
        ei_tensor_destroy(out);
    }
    /* A page is rigid: when most of its lines are upside down, so is the page, and the lines
     * the classifier could not decide on (symmetric glyphs such as "pun", "dsu") are too. */
    size_t turned = 0;
    for (size_t i = 0; i < n; i++)
        turned += lines[i].angle == 180;
    for (size_t i = 0; i < n && rc == EI_OK && turned * 2 > n; i++) {
        if (lines[i].angle == 180)
            continue;
        ei_image_t *r = NULL;
        rc = ei_ocr_rotate180(strips[i], &r, err);
        if (rc == EI_OK) {
            ei_image_destroy(strips[i]);
            strips[i] = r;
            lines[i].angle = 180;
            lines[i].angle_score = 1.0f - lines[i].angle_score;
        }
    }
    return rc;
}

/*
 * Recognition widths. PaddleOCR gives a batch of 6 strips (sorted by aspect) the width of its
 * widest member, and at least 320 (rec_image_shape 3,48,320), padding the others with zeros on
 * the right. The recogniser's cost grows with the width it is given (about linearly; faster past
 * ~1000 px, as its SVTR neck attends over the whole line), and on a CPU a batch of N strips costs
 * about N single runs, so that padding is waste: on the invoice-like pages of tests/ocr it was
 * 10-30% of the recogniser's time. Each strip gets its own width instead (PaddleOCR's resized_w,
 * rounded up to a multiple of 16), and strips share a run only with strips at most 1/16 wider.
 * Rounding to 16 rather than to the model's stride of 8: with 8, one line of the ten test pages
 * lost a space (docs/ocr.md has the measurements: 40 pages, 5 edits with 16, 6 with PaddleOCR's
 * padding, 6 with 8).
 */
#define REC_STEP 16
#define REC_MIN_W 48

static int32_t rec_width(const ei_image_t *s)
{
    double w = ceil(REC_H * (double)ei_image_width(s) / (double)ei_image_height(s));
    if (w < REC_MIN_W)
        w = REC_MIN_W;
    /* A hostile 1-pixel-high strip must not ask for a gigantic tensor. */
    if (w > 8192)
        w = 8192;
    return ((int32_t)w + REC_STEP - 1) / REC_STEP * REC_STEP;
}

/* Recognition: strips sorted by aspect, in batches of nearly equal width (see rec_width). */
static ei_code_t recognise(const ei_ocr_t *ocr, ei_image_t **strips, size_t n, size_t *order,
                           ei_ocr_line_t *lines, ei_ocr_timings_t *t, ei_error_t *err)
{
    ei_code_t rc = sort_by_ratio(strips, n, order, err);
    const ei_image_t *batch[64];
    size_t bs = ocr->o.rec_batch > 64 ? 64 : ocr->o.rec_batch;
    for (size_t b = 0; b < n && rc == EI_OK;) {
        uint64_t t0 = ei__now_ns();
        int32_t first = rec_width(strips[order[b]]), width = first;
        size_t m = 0;
        while (b + m < n && m < bs) {
            int32_t w = rec_width(strips[order[b + m]]);
            if (w - first > first / 16)
                break;
            width = w > width ? w : width;
            batch[m] = strips[order[b + m]];
            m++;
        }
        ei_tensor_t *in = NULL, *out = NULL;
        rc = ei_ocr_strips_input(batch, m, REC_H, width, &in, err);
        uint64_t t1 = ei__now_ns();
        if (rc == EI_OK)
            rc = run1(ocr->rec, in, &out, err);
        uint64_t t2 = ei__now_ns();
        for (size_t i = 0; i < m && rc == EI_OK; i++) {
            size_t k = order[b + i];
            rc = ei_ocr_ctc_decode(ocr->keys, out, i, &lines[k].text, &lines[k].score, err);
        }
        t->rec_pre += t1 - t0;
        t->rec_infer += t2 - t1;
        t->rec_post += ei__now_ns() - t2;
        ei_tensor_destroy(in);
        ei_tensor_destroy(out);
        b += m;
    }
    return rc;
}

/*
 * Reading order. Lines come in detection order (top to bottom on the image). When most lines
 * were turned over by the orientation model the page itself is upside down: its reading order
 * is that of the page turned by 180 degrees, where a line's first corner is its bottom-right one.
 * Writes the order into `order`.
 */
ei_code_t ei_ocr_line_order(const ei_ocr_line_t *lines, size_t n, int32_t w, int32_t h,
                            size_t *order, ei_error_t *err)
{
    if (n > 0 && (lines == NULL || order == NULL))
        return ei__fail(err, EI_EINVAL, "line order: NULL argument");
    size_t turned = 0;
    for (size_t i = 0; i < n; i++)
        turned += lines[i].angle == 180;
    if (turned * 2 <= n) {
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        return EI_OK;
    }
    ei__pt_t(*q)[4] = ei__malloc(n * sizeof(*q));
    if (q == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) {
            int from = (k + 2) % 4;
            q[i][k].x = (double)w - lines[i].box[2 * from];
            q[i][k].y = (double)h - lines[i].box[2 * from + 1];
        }
    ei__quads_sort((const ei__pt_t(*)[4])q, n, 10.0, order);
    ei__free(q);
    return EI_OK;
}

ei_code_t ei_ocr_run(const ei_ocr_t *ocr, const ei_image_t *img, ei_ocr_result_t *r,
                     ei_error_t *err)
{
    ei_tensor_t *det_in = NULL, *det_out = NULL;
    ei_ocr_box_t *boxes = NULL;
    size_t n = 0;
    ei_image_t **strips = NULL;
    size_t *order = NULL;
    ei_ocr_line_t *lines = NULL, *lines_out = NULL;
    size_t n_strips = 0;
    ei_code_t rc;

    if (r != NULL)
        memset(r, 0, sizeof(*r));
    if (ocr == NULL || img == NULL || r == NULL)
        return ei__fail(err, EI_EINVAL, "ocr: NULL argument");
    ei_ocr_timings_t t = {0};
    uint64_t t0 = ei__now_ns();
    rc = ei_ocr_det_input(&ocr->o, img, &det_in, err);
    uint64_t t1 = ei__now_ns();
    if (rc == EI_OK)
        rc = run1(ocr->det, det_in, &det_out, err);
    uint64_t t2 = ei__now_ns();
    if (rc == EI_OK)
        rc = ei_ocr_det_boxes(&ocr->o, det_out, 0, ei_image_width(img), ei_image_height(img),
                              &boxes, &n, err);
    uint64_t t3 = ei__now_ns();
    t.det_pre = t1 - t0;
    t.det_infer = t2 - t1;
    t.det_post = t3 - t2;
    ei_tensor_destroy(det_in);
    ei_tensor_destroy(det_out);
    if (rc != EI_OK || n == 0)
        goto out;

    strips = ei__calloc(n, sizeof(*strips));
    order = ei__calloc(n, sizeof(*order));
    lines = ei__calloc(n, sizeof(*lines));
    lines_out = ei__calloc(n, sizeof(*lines_out));
    n_strips = n;
    if (strips == NULL || order == NULL || lines == NULL || lines_out == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "ocr: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && rc == EI_OK; i++) {
        memcpy(lines[i].box, boxes[i].pts, sizeof(lines[i].box));
        lines[i].box_score = boxes[i].score;
        rc = ei_ocr_crop(img, boxes[i].pts, ocr->o.crop_margin, ocr->o.crop_margin_x, &strips[i],
                         err);
    }
    uint64_t t4 = ei__now_ns();
    t.crop = t4 - t3;
    if (rc == EI_OK && ocr->cls != NULL)
        rc = classify(ocr, strips, n, order, lines, &t, err);
    t.cls = ei__now_ns() - t4;
    if (rc == EI_OK)
        rc = recognise(ocr, strips, n, order, lines, &t, err);
    if (rc == EI_OK)
        rc = ei_ocr_line_order(lines, n, ei_image_width(img), ei_image_height(img), order, err);
    if (rc != EI_OK)
        goto out;
    /* Keep the lines that read well enough (PaddleOCR's drop_score), in reading order. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        ei_ocr_line_t *l = &lines[order[i]];
        if (l->score >= ocr->o.drop_score && l->text[0] != '\0') {
            ei_ocr_line_t keep = *l;
            l->text = NULL;
            lines_out[kept++] = keep;
        }
    }
    for (size_t i = 0; i < n; i++)
        ei__free(lines[i].text);
    ei__free(lines);
    lines = lines_out;
    lines_out = NULL;
    r->lines = lines;
    r->n_lines = kept;
    lines = NULL;
    n = 0;
out:
    ei__free(lines_out);
    if (lines != NULL)
        for (size_t i = 0; i < n; i++)
            ei__free(lines[i].text);
    ei__free(lines);
    if (strips != NULL)
        for (size_t i = 0; i < n_strips; i++)
            ei_image_destroy(strips[i]);
    ei__free(strips);
    ei__free(order);
    ei_ocr_boxes_free(boxes);
    if (rc != EI_OK) {
        ei_ocr_result_dispose(r);
        return rc;
    }
    r->width = ei_image_width(img);
    r->height = ei_image_height(img);
    t.total = ei__now_ns() - t0;
    r->timings = t;
    return EI_OK;
}

static ei_code_t run_decoded(const ei_ocr_t *ocr, const char *path, const void *data, size_t size,
                             ei_ocr_result_t *r, ei_error_t *err)
{
    if (r != NULL)
        memset(r, 0, sizeof(*r));
    if (ocr == NULL || r == NULL || (path == NULL && data == NULL && size > 0))
        return ei__fail(err, EI_EINVAL, "ocr: NULL argument");
    ei_image_decode_opts_t d;
    ei_image_decode_opts_init(&d);
    d.max_pixels = ocr->o.max_pixels;
    ei_image_t *img = NULL;
    uint64_t t0 = ei__now_ns();
    ei_code_t rc = path != NULL ? ei_image_load(path, &d, &img, err)
                                : ei_image_decode(data, size, &d, &img, err);
    uint64_t t1 = ei__now_ns();
    if (rc == EI_OK)
        rc = ei_ocr_run(ocr, img, r, err);
    ei_image_destroy(img);
    if (rc == EI_OK) {
        r->timings.decode = t1 - t0;
        r->timings.total += t1 - t0;
    }
    return rc;
}

ei_code_t ei_ocr_run_file(const ei_ocr_t *ocr, const char *path, ei_ocr_result_t *r,
                          ei_error_t *err)
{
    if (path == NULL) {
        if (r != NULL)
            memset(r, 0, sizeof(*r));
        return ei__fail(err, EI_EINVAL, "ocr: NULL path");
    }
    return run_decoded(ocr, path, NULL, 0, r, err);
}

ei_code_t ei_ocr_run_bytes(const ei_ocr_t *ocr, const void *data, size_t size, ei_ocr_result_t *r,
                           ei_error_t *err)
{
    if (data == NULL) {
        if (r != NULL)
            memset(r, 0, sizeof(*r));
        return ei__fail(err, EI_EINVAL, "ocr: NULL image data");
    }
    return run_decoded(ocr, NULL, data, size, r, err);
}
