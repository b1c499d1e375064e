/* SPDX-License-Identifier: MIT */
/*
 * The OCR head's detection side: the detection input (PaddleOCR's DetResizeForTest with
 * limit_type "max" + NormalizeImage) and the DB post-processing (DBPostProcess with score_mode
 * "fast", box_type "quad", then filter_tag_det_res and sorted_boxes) on the probability map.
 * The geometry itself is in ocr_geom.c.
 */
#include "ei_util.h"
#include "ocr_geom.h"

#include <edgeinfer/ocr.h>
#include <math.h>
#include <string.h>

/* PaddleOCR's min_size: boxes with a shorter side under this (map pixels) are dropped, and under
 * min_size + 2 after the unclip. */
#define MIN_SIZE 3
/* Boxes whose top-left corners are closer than this (pixels) vertically are on one line. */
#define SAME_LINE 10.0

void ei_ocr_opts_init(ei_ocr_opts_t *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof(*o));
    o->use_angle = true;
    o->det_limit_side = 960;
    o->det_thresh = 0.3f;
    o->box_thresh = 0.6f;
    o->unclip_ratio = 1.5f;
    o->max_candidates = 1000;
    o->cls_thresh = 0.9f;
    o->drop_score = 0.5f;
    o->cls_batch = 6;
    o->rec_batch = 6;
    o->crop_margin = 0.4f;
    o->crop_margin_x = 0.15f;
    o->det_min_side = 64;
}

/* One side of the detection input: int(side * ratio), then round to a multiple of 32 (Python's
 * round, half to even), at least 32. */
static int32_t det_side(int32_t side, double ratio)
{
    double v = floor((double)side * ratio);
    v = nearbyint(v / 32.0) * 32.0;
    return v < 32 ? 32 : (int32_t)v;
}

ei_code_t ei_ocr_det_input(const ei_ocr_opts_t *opts, const ei_image_t *img, ei_tensor_t **out,
                           ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (opts == NULL || img == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "detection input: NULL argument");
    int32_t w = ei_image_width(img), h = ei_image_height(img);
    int32_t limit = opts->det_limit_side > 0 ? opts->det_limit_side : 960;
    int32_t longer = w > h ? w : h, shorter = w < h ? w : h;
    double ratio = 1.0;
    if (longer > limit) {
        ratio = (double)limit / (double)longer;
    } else if (shorter < opts->det_min_side) {
        /* Small images are enlarged (PaddleOCR 3's limit_type "min" of 64), never past the
         * longer-side limit. */
        ratio = (double)opts->det_min_side / (double)shorter;
        if ((double)longer * ratio > limit)
            ratio = (double)limit / (double)longer;
    }
    ei_image_opts_t o;
    ei_image_opts_init(&o);
    o.width = det_side(w, ratio);
    o.height = det_side(h, ratio);
    /* A strip far longer than wide still gets 32 pixels on its short side: bound the long one. */
    if (o.width > 4 * limit || o.height > 4 * limit)
        return ei__fail(err, EI_ELIMIT,
                        "detection input: image of %d x %d is too elongated (%d x %d after "
                        "resizing)",
                        (int)w, (int)h, (int)o.width, (int)o.height);
    o.fit = EI_FIT_STRETCH;
    o.filter = EI_FILTER_BILINEAR;
    o.antialias = false; /* cv2.resize INTER_LINEAR */
    /* cv2.imread gives BGR and NormalizeImage applies ImageNet's mean/std in that channel order:
     * mean[0] = 0.485 goes with blue. The defaults' mean and std are ImageNet's, in that order. */
    o.order = EI_ORDER_BGR;
    int64_t shape[4] = {1, 3, o.height, o.width};
    ei_tensor_t *t = NULL;
    ei_image_pipeline_t *p = NULL;
    ei_code_t rc = ei_tensor_create(EI_DTYPE_FLOAT32, shape, 4, &t, err);
    if (rc == EI_OK)
        rc = ei_image_pipeline_create(&o, &p, err);
    if (rc == EI_OK)
        rc = ei_image_pipeline_run_tensor(p, img, t, 0, NULL, err);
    ei_image_pipeline_destroy(p);
    if (rc != EI_OK) {
        ei_tensor_destroy(t);
        return rc;
    }
    *out = t;
    return EI_OK;
}

void ei_ocr_boxes_free(ei_ocr_box_t *boxes)
{
    ei__free(boxes);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Scales a map-space quad to the image (np.round: half to even), clipped to [0, size]. */
static void to_image(ei__pt_t q[4], int32_t mw, int32_t mh, int32_t sw, int32_t sh)
{
    for (int i = 0; i < 4; i++) {
        q[i].x = clampd(nearbyint(q[i].x / mw * sw), 0, sw);
        q[i].y = clampd(nearbyint(q[i].y / mh * sh), 0, sh);
    }
}

/*
 * PaddleOCR's filter_tag_det_res for one box: clockwise order (left pair by y, right pair by y),
 * clip to the last pixel, and drop boxes whose sides (int of the first corner's distances) are 3
 * pixels or less.
 */
static bool keep_box(ei__pt_t q[4], int32_t sw, int32_t sh)
{
    ei__quad_order(q);
    for (int i = 0; i < 4; i++) {
        q[i].x = clampd(q[i].x, 0, sw - 1);
        q[i].y = clampd(q[i].y, 0, sh - 1);
    }
    int rw = (int)hypot(q[0].x - q[1].x, q[0].y - q[1].y);
    int rh = (int)hypot(q[0].x - q[3].x, q[0].y - q[3].y);
    return rw > 3 && rh > 3;
}

ei_code_t ei_ocr_det_boxes(const ei_ocr_opts_t *opts, const ei_tensor_t *prob, size_t index,
                           int32_t src_w, int32_t src_h, ei_ocr_box_t **boxes, size_t *n,
                           ei_error_t *err)
{
    ei__region_t *regions = NULL;
    size_t n_regions = 0, kept = 0;
    ei__pt_t *scratch = NULL;
    ei__pt_t(*quads)[4] = NULL;
    float *scores = NULL;
    size_t *order = NULL;
    ei_code_t rc = EI_OK;

    if (boxes != NULL)
        *boxes = NULL;
    if (n != NULL)
        *n = 0;
    if (opts == NULL || prob == NULL || boxes == NULL || n == NULL || src_w <= 0 || src_h <= 0)
        return ei__fail(err, EI_EINVAL, "detection boxes: bad argument");
    const int64_t *s = ei_tensor_shape(prob);
    size_t rank = ei_tensor_rank(prob);
    if (ei_tensor_dtype(prob) != EI_DTYPE_FLOAT32 || rank != 4 || s[0] <= (int64_t)index ||
        s[1] != 1 || s[2] <= 0 || s[3] <= 0 || s[2] > INT32_MAX || s[3] > INT32_MAX) {
        char b[96];
        ei_shape_format(s, rank, b, sizeof(b));
        return ei__fail(err, EI_EMODEL,
                        "detection output is %s %s, expected a float32 probability map "
                        "[N, 1, H, W]",
                        ei_dtype_name(ei_tensor_dtype(prob)), b);
    }
    int32_t mw = (int32_t)s[3], mh = (int32_t)s[2];
    const float *map = (const float *)ei_tensor_data(prob) + index * (size_t)mw * (size_t)mh;
    size_t cap = opts->max_candidates ? opts->max_candidates : 1000;
    if (!ei__regions_find(map, mw, mh, opts->det_thresh, cap, &regions, &n_regions))
        return ei__fail(err, EI_ENOMEM, "detection boxes: out of memory");
    if (n_regions == 0)
        goto out;
    size_t most = 0;
    for (size_t i = 0; i < n_regions; i++)
        most = regions[i].n > most ? regions[i].n : most;
    scratch = ei__malloc((most + 1) * sizeof(*scratch));
    quads = ei__malloc(n_regions * sizeof(*quads));
    scores = ei__malloc(n_regions * sizeof(*scores));
    order = ei__malloc(n_regions * sizeof(*order));
    if (scratch == NULL || quads == NULL || scores == NULL || order == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "detection boxes: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_regions; i++) {
        ei__rrect_t r;
        if (!ei__min_area_rect(regions[i].pts, regions[i].n, scratch, &r))
            continue;
        if (fmin(r.w, r.h) < MIN_SIZE)
            continue;
        ei__pt_t q[4];
        ei__rrect_points(&r, q);
        ei__quad_order(q);
        double score = ei__quad_mean(map, mw, mh, q);
        if (score < opts->box_thresh)
            continue;
        ei__rrect_unclip(&r, opts->unclip_ratio);
        if (fmin(r.w, r.h) < MIN_SIZE + 2)
            continue;
        ei__rrect_points(&r, q);
        ei__quad_order(q);
        to_image(q, mw, mh, src_w, src_h);
        if (!keep_box(q, src_w, src_h))
            continue;
        memcpy(quads[kept], q, sizeof(q));
        scores[kept] = (float)score;
        kept++;
    }
    if (kept == 0)
        goto out;
    ei__quads_sort((const ei__pt_t(*)[4])quads, kept, SAME_LINE, order);
    *boxes = ei__malloc(kept * sizeof(**boxes));
    if (*boxes == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "detection boxes: out of memory");
        goto out;
    }
    for (size_t i = 0; i < kept; i++) {
        ei_ocr_box_t *b = &(*boxes)[i];
        for (int k = 0; k < 4; k++) {
            b->pts[2 * k] = (float)quads[order[i]][k].x;
            b->pts[2 * k + 1] = (float)quads[order[i]][k].y;
        }
        b->score = scores[order[i]];
    }
    *n = kept;
out:
    ei__regions_free(regions, n_regions);
    ei__free(scratch);
    ei__free(quads);
    ei__free(scores);
    ei__free(order);
    return rc;
}
