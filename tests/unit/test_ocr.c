/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the OCR head: the geometry on synthetic maps (regions, minimum-area rectangles,
 * PaddleOCR's corner order, box score, unclip, reading order, perspective crop), the detection
 * post-processing on a synthetic probability map, the dictionary and CTC decoding, and the
 * pipeline with the bundled PP-OCR models ($EI_MODELS): load-time checks (dictionary size, a model
 * of the wrong shape), bad images, an image without text, and runs from two threads at once.
 */
#include "ocr_geom.h"
#include "test.h"

#include <edgeinfer/edgeinfer.h>
#include <edgeinfer/ocr.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Geometry ---------------------------------------------------------------------------------------
 */

static void fill(float *map, int32_t w, int32_t x0, int32_t y0, int32_t x1, int32_t y1, float v)
{
    for (int32_t y = y0; y <= y1; y++)
        for (int32_t x = x0; x <= x1; x++)
            map[y * w + x] = v;
}

TEST(regions_connectivity_and_order)
{
    enum { W = 40, H = 30 };
    float map[W * H];
    memset(map, 0, sizeof(map));
    fill(map, W, 20, 2, 30, 4, 1);   /* A: first in raster order */
    fill(map, W, 2, 10, 8, 12, 1);   /* B */
    fill(map, W, 9, 13, 12, 15, 1);  /* touches B only at a corner: same region (8-connected) */
    fill(map, W, 30, 20, 35, 25, 1); /* C */
    map[0 * W + 39] = 0.3f;          /* exactly the threshold: not foreground */
    ei__region_t *r = NULL;
    size_t n = 0;
    ASSERT_TRUE(ei__regions_find(map, W, H, 0.3f, 100, &r, &n));
    ASSERT_EQ(n, 3);
    /* Two run ends per row: A has 3 rows, B + its corner neighbour 6, C 6. */
    ASSERT_EQ(r[0].n, 6);
    ASSERT_EQ(r[1].n, 12);
    ASSERT_EQ(r[2].n, 12);
    ASSERT_EQ(r[0].pts[0].x, 20);
    ASSERT_EQ(r[0].pts[1].x, 30);
    ASSERT_EQ(r[1].pts[0].y, 10);
    ei__regions_free(r, n);
    /* max_regions keeps the first ones. */
    ASSERT_TRUE(ei__regions_find(map, W, H, 0.3f, 2, &r, &n));
    ASSERT_EQ(n, 2);
    ASSERT_EQ(r[1].pts[0].y, 10);
    ei__regions_free(r, n);
    /* An empty map. */
    memset(map, 0, sizeof(map));
    ASSERT_TRUE(ei__regions_find(map, W, H, 0.3f, 100, &r, &n));
    ASSERT_EQ(n, 0);
    ASSERT_NULL(r);
}

TEST(min_area_rect_axis_and_rotated)
{
    /* The pixel centres of x 10..49, y 5..14: 39 x 9 (OpenCV measures between centres too). */
    ei__pt_t pts[20], scratch[21];
    size_t n = 0;
    for (int y = 5; y <= 14; y++) {
        pts[n++] = (ei__pt_t){10, y};
        pts[n++] = (ei__pt_t){49, y};
    }
    ei__rrect_t r;
    ASSERT_TRUE(ei__min_area_rect(pts, n, scratch, &r));
    ASSERT_NEAR(fmax(r.w, r.h), 39, 1e-9);
    ASSERT_NEAR(fmin(r.w, r.h), 9, 1e-9);
    ASSERT_NEAR(r.c.x, 29.5, 1e-9);
    ASSERT_NEAR(r.c.y, 9.5, 1e-9);

    /* A 60 x 12 rectangle turned by 30 degrees, plus points inside it. */
    double a = M_PI / 6, c = cos(a), s = sin(a);
    ei__pt_t q[9];
    const double corners[4][2] = {{-30, -6}, {30, -6}, {30, 6}, {-30, 6}};
    for (int i = 0; i < 4; i++)
        q[i] = (ei__pt_t){100 + corners[i][0] * c - corners[i][1] * s,
                          50 + corners[i][0] * s + corners[i][1] * c};
    for (int i = 4; i < 9; i++)
        q[i] = (ei__pt_t){100 + (i - 6) * 5 * c, 50 + (i - 6) * 5 * s};
    ei__pt_t sc[10];
    ASSERT_TRUE(ei__min_area_rect(q, 9, sc, &r));
    ASSERT_NEAR(fmax(r.w, r.h), 60, 1e-6);
    ASSERT_NEAR(fmin(r.w, r.h), 12, 1e-6);
    ASSERT_NEAR(r.c.x, 100, 1e-6);
    ASSERT_NEAR(r.c.y, 50, 1e-6);
    /* The long side's direction is 30 degrees (or its opposite / normal). */
    double ang = atan2(r.uy, r.ux);
    double d = fmod(fabs(ang - a) + 1e-9, M_PI / 2);
    ASSERT_TRUE(d < 1e-6 || fabs(d - M_PI / 2) < 1e-6);

    /* Degenerate: one point, a line. */
    ei__pt_t one[1] = {{3, 4}}, two[2] = {{0, 0}, {10, 0}};
    ASSERT_TRUE(ei__min_area_rect(one, 1, sc, &r));
    ASSERT_EQ(r.w, 0);
    ASSERT_EQ(r.h, 0);
    ASSERT_TRUE(ei__min_area_rect(two, 2, sc, &r));
    ASSERT_NEAR(fmax(r.w, r.h), 10, 1e-9);
    ASSERT_NEAR(fmin(r.w, r.h), 0, 1e-9);
    ASSERT_TRUE(!ei__min_area_rect(one, 0, sc, &r));
}

TEST(quad_order_paddle)
{
    /* Any order in, [top-left, top-right, bottom-right, bottom-left] out. */
    ei__pt_t q[4] = {{50, 20}, {10, 5}, {10, 20}, {50, 5}};
    ei__quad_order(q);
    ASSERT_EQ(q[0].x, 10);
    ASSERT_EQ(q[0].y, 5);
    ASSERT_EQ(q[1].x, 50);
    ASSERT_EQ(q[1].y, 5);
    ASSERT_EQ(q[2].x, 50);
    ASSERT_EQ(q[2].y, 20);
    ASSERT_EQ(q[3].x, 10);
    ASSERT_EQ(q[3].y, 20);
    /* A slightly rotated box keeps its corners' roles. */
    ei__pt_t r[4] = {{12, 25}, {100, 10}, {10, 15}, {102, 20}};
    ei__quad_order(r);
    ASSERT_EQ(r[0].x, 10);
    ASSERT_EQ(r[1].x, 100);
    ASSERT_EQ(r[2].x, 102);
    ASSERT_EQ(r[3].x, 12);
}

TEST(quad_mean_and_unclip)
{
    enum { W = 50, H = 20 };
    float map[W * H];
    for (int i = 0; i < W * H; i++)
        map[i] = 0.5f;
    fill(map, W, 10, 5, 19, 9, 1.0f);
    ei__pt_t q[4] = {{10, 5}, {19, 5}, {19, 9}, {10, 9}};
    ASSERT_NEAR(ei__quad_mean(map, W, H, q), 1.0, 1e-9);
    /* Twice as wide: half the pixels are 0.5 (corners truncated, boundary included). */
    ei__pt_t q2[4] = {{10, 5}, {29.9, 5}, {29.9, 9}, {10, 9}};
    ASSERT_NEAR(ei__quad_mean(map, W, H, q2), (50 * 1.0 + 50 * 0.5) / 100, 1e-9);
    /* Clipped at the map's edges. */
    ei__pt_t q3[4] = {{-5, -5}, {60, -5}, {60, 30}, {-5, 30}};
    ASSERT_NEAR(ei__quad_mean(map, W, H, q3), (950 * 0.5 + 50 * 1.0) / 1000, 1e-9);

    ei__rrect_t r = {{50, 20}, 100, 10, 1, 0};
    ei__rrect_unclip(&r, 1.5);
    double d = 100.0 * 10 * 1.5 / 220;
    ASSERT_NEAR(r.w, 100 + 2 * d, 1e-9);
    ASSERT_NEAR(r.h, 10 + 2 * d, 1e-9);
    ASSERT_NEAR(r.c.x, 50, 1e-12);
    ei__rrect_t z = {{5, 5}, 0, 0, 1, 0};
    ei__rrect_unclip(&z, 1.5);
    ASSERT_EQ(z.w, 0);
}

TEST(reading_order)
{
    /* Two lines; on each, boxes whose top-left y differ by less than 10 go by x. */
    const ei__pt_t quads[5][4] = {
        {{300, 52}, {400, 52}, {400, 70}, {300, 70}}, /* line 2, right */
        {{10, 10}, {100, 10}, {100, 30}, {10, 30}},   /* line 1, left */
        {{20, 50}, {120, 50}, {120, 70}, {20, 70}},   /* line 2, left */
        {{200, 5}, {300, 5}, {300, 30}, {200, 30}},   /* line 1, right, a bit higher */
        {{15, 90}, {90, 90}, {90, 110}, {15, 110}},   /* line 3 */
    };
    size_t order[5];
    ei__quads_sort(quads, 5, 10.0, order);
    const size_t want[5] = {1, 3, 2, 0, 4};
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(order[i], want[i]);
    ei__quads_sort(quads, 0, 10.0, order);
}

TEST(warp_axis_aligned_is_exact)
{
    enum { W = 40, H = 30 };
    uint8_t img[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            img[(y * W + x) * 3] = (uint8_t)(x * 6);
            img[(y * W + x) * 3 + 1] = (uint8_t)(y * 8);
            img[(y * W + x) * 3 + 2] = (uint8_t)((x * 7 + y * 13) & 255);
        }
    ei__pt_t q[4] = {{10, 5}, {30, 5}, {30, 15}, {10, 15}};
    uint8_t out[20 * 10 * 3];
    ASSERT_TRUE(ei__warp_quad(img, W, H, W * 3, q, out, 20, 10));
    /* Whole-pixel sample positions: the cubic weights are (0, 1, 0, 0). */
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 20; x++)
            for (int c = 0; c < 3; c++)
                ASSERT_EQ(out[(y * 20 + x) * 3 + c], img[((y + 5) * W + x + 10) * 3 + c]);
    /* Degenerate quads are refused. */
    ei__pt_t flat[4] = {{10, 5}, {30, 5}, {30, 5}, {10, 5}};
    ASSERT_TRUE(!ei__warp_quad(img, W, H, W * 3, flat, out, 20, 10));

    /* numpy rot90 (counter-clockwise) and a 180-degree turn. */
    const uint8_t px[2 * 3 * 3] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6};
    uint8_t r[18];
    ei__rgb_rot90(px, 3, 2, r); /* [[1,2,3],[4,5,6]] -> [[3,6],[2,5],[1,4]] */
    const uint8_t want[6] = {3, 6, 2, 5, 1, 4};
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(r[i * 3], want[i]);
    memcpy(r, px, sizeof(px));
    ei__rgb_rot180(r, 3, 2);
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(r[i * 3], 6 - i);
}

TEST(crop_rotated_box)
{
    /* A dark 60 x 12 bar turned by 30 degrees on white: cut out upright, the strip's middle row
     * is dark from end to end and its corners stay light. */
    enum { W = 160, H = 120 };
    uint8_t *px = malloc(W * H * 3);
    double a = M_PI / 6, c = cos(a), s = sin(a);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double u = (x - 80) * c + (y - 60) * s, v = -(x - 80) * s + (y - 60) * c;
            uint8_t g = fabs(u) <= 30 && fabs(v) <= 6 ? 20 : 235;
            memset(px + (y * W + x) * 3, g, 3);
        }
    ei_image_t *img = NULL, *strip = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_image_from_pixels(px, W, H, 3, 0, &img, &err), &err);
    float box[8];
    const double corners[4][2] = {{-34, -10}, {34, -10}, {34, 10}, {-34, 10}};
    for (int i = 0; i < 4; i++) {
        box[2 * i] = (float)(80 + corners[i][0] * c - corners[i][1] * s);
        box[2 * i + 1] = (float)(60 + corners[i][0] * s + corners[i][1] * c);
    }
    ASSERT_OK(ei_ocr_crop(img, box, 0, 0, &strip, &err), &err);
    ASSERT_TRUE(abs(ei_image_width(strip) - 68) <= 1);
    ASSERT_TRUE(abs(ei_image_height(strip) - 20) <= 1);
    const uint8_t *sp = ei_image_pixels(strip);
    size_t st = ei_image_stride(strip);
    int32_t sw = ei_image_width(strip), sh = ei_image_height(strip);
    for (int x = 6; x < sw - 6; x++)
        ASSERT_TRUE(sp[(size_t)(sh / 2) * st + (size_t)x * 3] < 60);
    ASSERT_TRUE(sp[0] > 200);
    ASSERT_TRUE(sp[(size_t)(sh - 1) * st + (size_t)(sw - 1) * 3] > 200);
    ei_image_destroy(strip);
    /* With margins the strip grows by them along its own axes. */
    ASSERT_OK(ei_ocr_crop(img, box, 0.5f, 0.25f, &strip, &err), &err);
    ASSERT_TRUE(abs(ei_image_width(strip) - 78) <= 1);
    ASSERT_TRUE(abs(ei_image_height(strip) - 40) <= 1);
    ei_image_destroy(strip);
    /* A box taller than wide is turned to lie flat. */
    float tall[8] = {70, 20, 90, 20, 90, 100, 70, 100};
    ASSERT_OK(ei_ocr_crop(img, tall, 0, 0, &strip, &err), &err);
    ASSERT_EQ(ei_image_width(strip), 80);
    ASSERT_EQ(ei_image_height(strip), 20);
    ei_image_destroy(strip);
    /* Bad boxes: zero size, NaN, bad margins. */
    float zero[8] = {5, 5, 5, 5, 5, 5, 5, 5};
    ASSERT_EQ(ei_ocr_crop(img, zero, 0, 0, &strip, &err), EI_EINVAL);
    ASSERT_NULL(strip);
    float nan_box[8] = {NAN, 0, 10, 0, 10, 10, 0, 10};
    ASSERT_EQ(ei_ocr_crop(img, nan_box, 0, 0, &strip, &err), EI_EINVAL);
    ASSERT_EQ(ei_ocr_crop(img, tall, -1, 0, &strip, &err), EI_EINVAL);
    ei_image_destroy(img);
    free(px);
}

/* A [1,1,H,W] float map as a tensor. */
static ei_tensor_t *map_tensor(float *map, int64_t w, int64_t h)
{
    int64_t shape[4] = {1, 1, h, w};
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    if (ei_tensor_wrap(EI_DTYPE_FLOAT32, shape, 4, map, (size_t)(w * h) * sizeof(float), &t,
                       &err) != EI_OK)
        abort();
    return t;
}

TEST(det_boxes_synthetic_map)
{
    enum { W = 64, H = 32 };
    float map[W * H];
    memset(map, 0, sizeof(map));
    fill(map, W, 40, 20, 59, 25, 0.9f);  /* second line */
    fill(map, W, 5, 4, 44, 9, 0.95f);    /* first line */
    fill(map, W, 2, 28, 3, 29, 1.0f);    /* too small: dropped */
    fill(map, W, 10, 14, 30, 17, 0.35f); /* above the map threshold, below the box threshold */
    ei_tensor_t *t = map_tensor(map, W, H);
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    ei_ocr_box_t *b = NULL;
    size_t n = 0;
    ei_error_t err = {0};
    /* The source image is twice the map's size. */
    ASSERT_OK(ei_ocr_det_boxes(&o, t, 0, 2 * W, 2 * H, &b, &n, &err), &err);
    ASSERT_EQ(n, 2);
    /* First line: centres 5..44 x 4..9 -> 39 x 5; unclip d = 39*5*1.5/88; scaled by 2. */
    double d = 39.0 * 5 * 1.5 / 88;
    ASSERT_NEAR(b[0].pts[0], nearbyint((5 - d) * 2), 1.0);
    ASSERT_NEAR(b[0].pts[1], nearbyint((4 - d) * 2), 1.0);
    ASSERT_NEAR(b[0].pts[4], nearbyint((44 + d) * 2), 1.0);
    ASSERT_NEAR(b[0].pts[5], nearbyint((9 + d) * 2), 1.0);
    ASSERT_NEAR(b[0].score, 0.95, 1e-6);
    ASSERT_TRUE(b[1].pts[0] > 70);
    ASSERT_NEAR(b[1].score, 0.9, 1e-6);
    /* Clipped to the image: the second box reaches past the right and bottom edges. */
    ASSERT_TRUE(b[1].pts[4] <= 2 * W - 1);
    ASSERT_TRUE(b[1].pts[5] <= 2 * H - 1);
    ei_ocr_boxes_free(b);
    /* A lower box threshold keeps the faint region as well, in reading order (second). */
    o.box_thresh = 0.3f;
    ASSERT_OK(ei_ocr_det_boxes(&o, t, 0, 2 * W, 2 * H, &b, &n, &err), &err);
    ASSERT_EQ(n, 3);
    ASSERT_NEAR(b[1].score, 0.35, 1e-6);
    ei_ocr_boxes_free(b);
    ei_tensor_destroy(t);

    /* No text: no boxes, no error. */
    memset(map, 0, sizeof(map));
    t = map_tensor(map, W, H);
    ASSERT_OK(ei_ocr_det_boxes(&o, t, 0, W, H, &b, &n, &err), &err);
    ASSERT_EQ(n, 0);
    ASSERT_NULL(b);
    ei_tensor_destroy(t);

    /* A map of the wrong shape is a clear error. */
    int64_t bad[4] = {1, 2, 8, 8};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, bad, 4, &t, &err), &err);
    ASSERT_EQ(ei_ocr_det_boxes(&o, t, 0, W, H, &b, &n, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "[N, 1, H, W]");
    ei_tensor_destroy(t);
}

TEST(det_input_sizes)
{
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    ei_error_t err = {0};
    const struct {
        int32_t w, h, ew, eh;
    } cases[] = {{1100, 352, 960, 320}, /* longer side 960 */
                 {308, 44, 448, 64},    /* shorter side enlarged to 64 */
                 {10, 10, 64, 64},      {960, 1400, 672, 960},
                 {1920, 80, 960, 32},   {960, 80, 960, 64}, /* 80 / 32 = 2.5 rounds to even: 64 */
                 {80, 96, 64, 96}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *px = calloc((size_t)cases[i].w * (size_t)cases[i].h, 3);
        ei_image_t *img = NULL;
        ei_tensor_t *t = NULL;
        ASSERT_OK(ei_image_from_pixels(px, cases[i].w, cases[i].h, 3, 0, &img, &err), &err);
        ASSERT_OK(ei_ocr_det_input(&o, img, &t, &err), &err);
        const int64_t *s = ei_tensor_shape(t);
        ASSERT_EQ(s[3], cases[i].ew);
        ASSERT_EQ(s[2], cases[i].eh);
        /* Black in BGR with ImageNet's mean/std in that order: channel 0 is -0.485/0.229. */
        ASSERT_NEAR(((const float *)ei_tensor_data(t))[0], -0.485f / 0.229f, 1e-5);
        ei_tensor_destroy(t);
        ei_image_destroy(img);
        free(px);
    }
}

TEST(keys_and_ctc)
{
    ei_ocr_keys_t *k = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_ocr_keys_parse("a\r\nb\n\xc3\xa9", 7, "test keys", &k, &err), &err);
    ASSERT_EQ(ei_ocr_keys_classes(k), 5); /* blank, a, b, e-acute, space */
    /* Steps: a a blank a b space space e-acute blank. */
    const int seq[] = {1, 1, 0, 1, 2, 4, 4, 3, 0};
    enum { T = 9, C = 5 };
    float p[T * C];
    for (int t = 0; t < T; t++)
        for (int c = 0; c < C; c++)
            p[t * C + c] = c == seq[t] ? 0.5f + 0.05f * (float)t : 0.01f;
    int64_t shape[3] = {1, T, C};
    ei_tensor_t *probs = NULL;
    ASSERT_OK(ei_tensor_wrap(EI_DTYPE_FLOAT32, shape, 3, p, sizeof(p), &probs, &err), &err);
    char *text = NULL;
    float score = 0;
    ASSERT_OK(ei_ocr_ctc_decode(k, probs, 0, &text, &score, &err), &err);
    ASSERT_STR_EQ(text, "aab \xc3\xa9");
    /* Kept steps 0, 3, 4, 5, 7. */
    ASSERT_NEAR(score, 0.5 + 0.05 * (0 + 3 + 4 + 5 + 7) / 5.0, 1e-6);
    ei_free_string(text);
    /* A row past the batch, or a class count that does not match, is refused. */
    ASSERT_EQ(ei_ocr_ctc_decode(k, probs, 1, &text, &score, &err), EI_EMODEL);
    ei_tensor_destroy(probs);
    int64_t wrong[3] = {1, 3, 15};
    ASSERT_OK(ei_tensor_wrap(EI_DTYPE_FLOAT32, wrong, 3, p, sizeof(float) * 45, &probs, &err),
              &err);
    ASSERT_EQ(ei_ocr_ctc_decode(k, probs, 0, &text, &score, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "blank + space");
    ei_tensor_destroy(probs);
    ei_ocr_keys_destroy(k);
    /* Final newline: no extra entry; empty lines are kept; empty file and NUL are errors. */
    ASSERT_OK(ei_ocr_keys_parse("x\n\ny\n", 5, NULL, &k, &err), &err);
    ASSERT_EQ(ei_ocr_keys_classes(k), 5);
    ei_ocr_keys_destroy(k);
    ASSERT_EQ(ei_ocr_keys_parse("", 0, "empty.txt", &k, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "empty.txt");
    ASSERT_EQ(ei_ocr_keys_parse("a\nb\0c", 5, "nul.txt", &k, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "line 2");
    ASSERT_EQ(ei_ocr_keys_load("/nonexistent/keys.txt", &k, &err), EI_ENOENT);
}

/* The pipeline with the bundled models ------------------------------------------------------------
 */

static const char *models(void)
{
    static char buf[1024];
    const char *m = getenv("EI_MODELS");
    snprintf(buf, sizeof(buf), "%s/ppocr", m != NULL ? m : ".deps/models");
    return buf;
}

static bool have_models(void)
{
    char p[1200];
    snprintf(p, sizeof(p), "%s/rec.onnx", models());
    return access(p, R_OK) == 0;
}

static void src_path(char *buf, size_t size, const char *rel)
{
    const char *s = getenv("EI_SOURCE_DIR");
    snprintf(buf, size, "%s/%s", s != NULL ? s : ".", rel);
}

TEST(pipeline_load_checks)
{
    if (!have_models())
        return;
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    ei_ocr_t *ocr = NULL;
    ei_error_t err = {0};
    /* A dictionary of the wrong size for the recogniser. */
    char keys[] = "/tmp/ei_test_ocr_keys_XXXXXX";
    int fd = mkstemp(keys);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "a\nb\nc\n", 6), 6);
    close(fd);
    o.models_dir = models();
    o.keys_path = keys;
    ASSERT_EQ(ei_ocr_create(&o, &ocr, &err), EI_EMODEL);
    ASSERT_NULL(ocr);
    ASSERT_CONTAINS(err.msg, "6625 classes");
    ASSERT_CONTAINS(err.msg, "3 characters");
    unlink(keys);
    /* A detection model that is a classifier ([N,3,H,W] -> [N,3]). */
    char det[1024];
    src_path(det, sizeof(det), "tests/classify/data/gap_softmax.onnx");
    ei_ocr_opts_init(&o);
    o.models_dir = models();
    o.det_path = det;
    ASSERT_EQ(ei_ocr_create(&o, &ocr, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "detection model");
    ASSERT_CONTAINS(err.msg, "[N,1,H,W]");
    /* A missing model names itself. */
    ei_ocr_opts_init(&o);
    o.models_dir = models();
    o.rec_path = "/nonexistent/rec.onnx";
    ASSERT_NE(ei_ocr_create(&o, &ocr, &err), EI_OK);
    ASSERT_CONTAINS(err.msg, "recognition model");
    /* No folder and no paths; thresholds out of range. */
    ei_ocr_opts_init(&o);
    ASSERT_EQ(ei_ocr_create(&o, &ocr, &err), EI_EINVAL);
    o.models_dir = models();
    o.box_thresh = 2;
    ASSERT_EQ(ei_ocr_create(&o, &ocr, &err), EI_EINVAL);
}

struct thread_job {
    const ei_ocr_t *ocr;
    const ei_image_t *img;
    char text[256];
    ei_code_t rc;
};

static void *thread_run(void *arg)
{
    struct thread_job *j = arg;
    ei_ocr_result_t r;
    ei_error_t err = {0};
    for (int i = 0; i < 2; i++) {
        j->rc = ei_ocr_run(j->ocr, j->img, &r, &err);
        if (j->rc != EI_OK)
            return NULL;
        snprintf(j->text, sizeof(j->text), "%s", r.n_lines ? r.lines[0].text : "");
        ei_ocr_result_dispose(&r);
    }
    return NULL;
}

TEST(pipeline_runs)
{
    if (!have_models())
        return;
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    o.models_dir = models();
    o.max_pixels = 4000000;
    ei_ocr_t *ocr = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_ocr_create(&o, &ocr, &err), &err);
    ei_ocr_result_t r;
    char path[1024];

    /* The sample line, upright and upside down. */
    src_path(path, sizeof(path), "examples/images/line.jpg");
    ASSERT_OK(ei_ocr_run_file(ocr, path, &r, &err), &err);
    ASSERT_EQ(r.n_lines, 1);
    ASSERT_STR_EQ(r.lines[0].text, "Total due: 42.50 EUR");
    ASSERT_EQ(r.lines[0].angle, 0);
    ASSERT_TRUE(r.timings.det_infer > 0 && r.timings.rec_infer > 0);
    ASSERT_TRUE(r.timings.total >= r.timings.det_infer + r.timings.rec_infer);
    ei_ocr_result_dispose(&r);
    src_path(path, sizeof(path), "examples/images/line_upside_down.png");
    ASSERT_OK(ei_ocr_run_file(ocr, path, &r, &err), &err);
    ASSERT_EQ(r.n_lines, 1);
    ASSERT_STR_EQ(r.lines[0].text, "Total due: 42.50 EUR");
    ASSERT_EQ(r.lines[0].angle, 180);
    ei_ocr_result_dispose(&r);

    /* No text: an empty result. */
    uint8_t *white = malloc(200 * 100 * 3);
    memset(white, 255, 200 * 100 * 3);
    ei_image_t *img = NULL;
    ASSERT_OK(ei_image_from_pixels(white, 200, 100, 3, 0, &img, &err), &err);
    ASSERT_OK(ei_ocr_run(ocr, img, &r, &err), &err);
    ASSERT_EQ(r.n_lines, 0);
    ASSERT_EQ(r.width, 200);
    ei_ocr_result_dispose(&r);
    ei_image_destroy(img);
    free(white);

    /* Bad images: corrupt, truncated, past the pixel limit, missing. */
    ASSERT_EQ(ei_ocr_run_bytes(ocr, "not an image", 12, &r, &err), EI_EFORMAT);
    ASSERT_EQ(r.n_lines, 0);
    FILE *f = fopen(path, "rb");
    static unsigned char png[1 << 16];
    size_t n = fread(png, 1, sizeof(png), f);
    fclose(f);
    ASSERT_EQ(ei_ocr_run_bytes(ocr, png, n / 2, &r, &err), EI_EFORMAT);
    /* A PNG header claiming 3000 x 3000 (9 MP) against the 4 MP limit set above. */
    png[16] = png[20] = 0;
    png[17] = png[21] = 0;
    png[18] = png[22] = 0x0B;
    png[19] = png[23] = 0xB8;
    ASSERT_EQ(ei_ocr_run_bytes(ocr, png, n, &r, &err), EI_ELIMIT);
    ASSERT_EQ(ei_ocr_run_file(ocr, "/nonexistent.png", &r, &err), EI_ENOENT);

    /* Two threads on one pipeline, each twice: the same text as alone. */
    src_path(path, sizeof(path), "examples/images/line.jpg");
    ASSERT_OK(ei_image_load(path, NULL, &img, &err), &err);
    struct thread_job jobs[2] = {{ocr, img, "", EI_OK}, {ocr, img, "", EI_OK}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, thread_run, &jobs[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        ASSERT_EQ(jobs[i].rc, EI_OK);
        ASSERT_STR_EQ(jobs[i].text, "Total due: 42.50 EUR");
    }
    ei_image_destroy(img);
    ei_ocr_destroy(ocr);
}

int main(void)
{
    int rc = RUN_TESTS(regions_connectivity_and_order, min_area_rect_axis_and_rotated,
                       quad_order_paddle, quad_mean_and_unclip, reading_order,
                       warp_axis_aligned_is_exact, crop_rotated_box, det_boxes_synthetic_map,
                       det_input_sizes, keys_and_ctc, pipeline_load_checks, pipeline_runs);
    ei_global_cleanup();
    return rc;
}
