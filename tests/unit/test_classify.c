/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the classification head: softmax, the distribution check, top-k ordering and
 * ties, label files and metadata label formats, and the classifier on the tiny models in
 * tests/classify/data (made by tests/classify/make_models.py: each averages its input over H and
 * W, so a solid red image scores class 0, green 1, blue 2).
 */
#include "test.h"

#include <edgeinfer/classify.h>
#include <edgeinfer/edgeinfer.h>
#include <edgeinfer/image.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static const char *src_dir(void)
{
    const char *s = getenv("EI_SOURCE_DIR");
    return s != NULL ? s : ".";
}

static void data_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/tests/classify/data/%s", src_dir(), name);
}

static void tmp_path(char *buf, size_t size, const char *name)
{
    if (tmpdir[0] == '\0') {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/ei_test_classify_XXXXXX");
        if (mkdtemp(tmpdir) == NULL)
            abort();
    }
    snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    fwrite(data, 1, n, f);
    fclose(f);
}

/* A minimal PNG writer (RGB8, stored deflate blocks) so the file tests need no encoder. */
static uint32_t crc32_of(const uint8_t *p, size_t n, uint32_t c)
{
    c = ~c;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t chunk(uint8_t *out, const char *type, const uint8_t *data, uint32_t n)
{
    put32(out, n);
    memcpy(out + 4, type, 4);
    if (n > 0)
        memcpy(out + 8, data, n);
    put32(out + 8 + n, crc32_of(out + 4, n + 4, 0));
    return 12 + n;
}

/* Writes a w x h PNG of one colour; returns its size (buf needs room). */
static size_t make_png(uint8_t *buf, int w, int h, uint8_t r, uint8_t g, uint8_t b)
{
    static uint8_t raw[1 + 3 * 64];
    static uint8_t z[8192];
    size_t rowlen = 1 + 3 * (size_t)w, rawlen = rowlen * (size_t)h;
    size_t zn = 0;
    z[zn++] = 0x78;
    z[zn++] = 0x01;
    uint32_t a = 1, bsum = 0;
    for (int y = 0; y < h; y++) {
        raw[0] = 0;
        for (int x = 0; x < w; x++) {
            raw[1 + 3 * x] = r;
            raw[2 + 3 * x] = g;
            raw[3 + 3 * x] = b;
        }
        /* One stored block per row. */
        z[zn++] = y == h - 1 ? 1 : 0;
        z[zn++] = (uint8_t)(rowlen & 0xFF);
        z[zn++] = (uint8_t)(rowlen >> 8);
        z[zn++] = (uint8_t)(~rowlen & 0xFF);
        z[zn++] = (uint8_t)((~rowlen >> 8) & 0xFF);
        memcpy(z + zn, raw, rowlen);
        zn += rowlen;
        for (size_t i = 0; i < rowlen; i++) {
            a = (a + raw[i]) % 65521;
            bsum = (bsum + a) % 65521;
        }
    }
    (void)rawlen;
    put32(z + zn, (bsum << 16) | a);
    zn += 4;
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(buf, sig, 8);
    size_t n = 8;
    uint8_t ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;
    ihdr[9] = 2;
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    n += chunk(buf + n, "IHDR", ihdr, 13);
    n += chunk(buf + n, "IDAT", z, (uint32_t)zn);
    n += chunk(buf + n, "IEND", NULL, 0);
    return n;
}

static ei_image_t *solid(uint8_t r, uint8_t g, uint8_t b)
{
    uint8_t px[16 * 12 * 3];
    for (size_t i = 0; i < 16 * 12; i++) {
        px[3 * i] = r;
        px[3 * i + 1] = g;
        px[3 * i + 2] = b;
    }
    ei_image_t *img = NULL;
    ei_error_t err = {0};
    if (ei_image_from_pixels(px, 16, 12, 3, 0, &img, &err) != EI_OK)
        abort();
    return img;
}

/* Scores --------------------------------------------------------------------------------------- */

TEST(softmax_values)
{
    float x[3] = {1.0f, 2.0f, 3.0f}, y[3];
    ei_softmax(x, y, 3);
    double e1 = exp(-2.0), e2 = exp(-1.0), s = e1 + e2 + 1.0;
    ASSERT_NEAR(y[0], e1 / s, 1e-6);
    ASSERT_NEAR(y[1], e2 / s, 1e-6);
    ASSERT_NEAR(y[2], 1.0 / s, 1e-6);
    /* In place, and huge values do not overflow (a naive exp(1000) would). */
    float big[2] = {1000.0f, 1001.0f};
    ei_softmax(big, big, 2);
    ASSERT_NEAR(big[0], 1.0 / (1.0 + exp(1.0)), 1e-6);
    ASSERT_NEAR(big[0] + big[1], 1.0, 1e-6);
    float neg[2] = {-1000.0f, -1000.0f};
    ei_softmax(neg, neg, 2);
    ASSERT_NEAR(neg[0], 0.5, 1e-7);
    float nan_row[2] = {NAN, 1.0f};
    ei_softmax(nan_row, nan_row, 2);
    ASSERT_TRUE(isnan(nan_row[0]) && isnan(nan_row[1]));
    ei_softmax(x, y, 0); /* no-op */
}

TEST(distribution_check)
{
    float d[3] = {0.2f, 0.3f, 0.5f};
    ASSERT_TRUE(ei_is_distribution(d, 3, 1e-3));
    float near[2] = {0.5f, 0.5005f};
    ASSERT_TRUE(ei_is_distribution(near, 2, 1e-3));
    float off[2] = {0.5f, 0.502f};
    ASSERT_TRUE(!ei_is_distribution(off, 2, 1e-3));
    float negv[3] = {-0.1f, 0.6f, 0.5f};
    ASSERT_TRUE(!ei_is_distribution(negv, 3, 1e-3));
    float above[2] = {1.5f, -0.5f};
    ASSERT_TRUE(!ei_is_distribution(above, 2, 1e-3));
    float nanv[2] = {NAN, 1.0f};
    ASSERT_TRUE(!ei_is_distribution(nanv, 2, 1e-3));
    ASSERT_TRUE(!ei_is_distribution(d, 0, 1e-3));
}

TEST(topk_order_and_ties)
{
    float s[6] = {0.1f, 0.7f, 0.7f, NAN, 0.9f, 0.7f};
    size_t idx[6];
    ASSERT_EQ(ei_topk(s, 6, 3, idx), 3);
    ASSERT_EQ(idx[0], 4);
    ASSERT_EQ(idx[1], 1); /* ties: lower index first */
    ASSERT_EQ(idx[2], 2);
    ASSERT_EQ(ei_topk(s, 6, 10, idx), 6); /* clamped */
    ASSERT_EQ(idx[3], 5);
    ASSERT_EQ(idx[4], 0);
    ASSERT_EQ(idx[5], 3); /* NaN last */
    ASSERT_EQ(ei_topk(s, 6, 0, idx), 0);
}

TEST(topk_large_k_matches_small_path)
{
    /* k > 64 takes the sorting path; it must agree with the insertion path (k <= 64) on the
     * common prefix, ties included. */
    enum { N = 500 };
    float s[N];
    for (int i = 0; i < N; i++)
        s[i] = (float)((i * 37) % 11) * 0.25f;
    size_t big[N], small[64];
    ASSERT_EQ(ei_topk(s, N, N, big), N);
    ASSERT_EQ(ei_topk(s, N, 64, small), 64);
    for (int i = 0; i < 64; i++)
        ASSERT_EQ(big[i], small[i]);
    for (int i = 1; i < N; i++) {
        ASSERT_TRUE(s[big[i - 1]] >= s[big[i]]);
        if (s[big[i - 1]] == s[big[i]])
            ASSERT_TRUE(big[i - 1] < big[i]);
    }
}

/* Labels --------------------------------------------------------------------------------------- */

TEST(labels_file)
{
    char path[512];
    tmp_path(path, sizeof(path), "labels.txt");
    const char text[] = "\xEF\xBB\xBF"
                        "cat\r\n\r\ndog house\n"
                        "zebra";
    write_file(path, text, sizeof(text) - 1);
    ei_labels_t *l = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_labels_load(path, &l, &err), &err);
    ASSERT_EQ(ei_labels_count(l), 4);
    ASSERT_STR_EQ(ei_labels_get(l, 0), "cat");
    ASSERT_STR_EQ(ei_labels_get(l, 1), ""); /* empty lines keep their place */
    ASSERT_STR_EQ(ei_labels_get(l, 2), "dog house");
    ASSERT_STR_EQ(ei_labels_get(l, 3), "zebra");
    ASSERT_NULL(ei_labels_get(l, 4));
    ei_labels_destroy(l);

    /* A final newline does not add a label. */
    write_file(path, "0\n180\n", 6);
    ASSERT_OK(ei_labels_load(path, &l, &err), &err);
    ASSERT_EQ(ei_labels_count(l), 2);
    ASSERT_STR_EQ(ei_labels_get(l, 1), "180");
    ei_labels_destroy(l);

    write_file(path, "", 0);
    ASSERT_EQ(ei_labels_load(path, &l, &err), EI_EFORMAT);
    ASSERT_NULL(l);
    ASSERT_CONTAINS(err.msg, "empty");
    write_file(path, "a\nb\0c\n", 6);
    ASSERT_EQ(ei_labels_load(path, &l, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "line 2");

    tmp_path(path, sizeof(path), "missing.txt");
    ASSERT_EQ(ei_labels_load(path, &l, &err), EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "missing.txt");
    ei_labels_destroy(NULL);
}

static int parse_ok(const char *text, size_t want_n, const char *const *want)
{
    ei_labels_t *l = NULL;
    ei_error_t err = {0};
    if (ei_labels_parse(text, strlen(text), "test", &l, &err) != EI_OK) {
        fprintf(stderr, "parse of <%s> failed: %s\n", text, err.msg);
        return 0;
    }
    int ok = ei_labels_count(l) == want_n;
    for (size_t i = 0; ok && i < want_n; i++)
        ok = strcmp(ei_labels_get(l, i), want[i]) == 0;
    if (!ok) {
        fprintf(stderr, "parse of <%s>: got %zu labels:", text, ei_labels_count(l));
        for (size_t i = 0; i < ei_labels_count(l); i++)
            fprintf(stderr, " <%s>", ei_labels_get(l, i));
        fprintf(stderr, "\n");
    }
    ei_labels_destroy(l);
    return ok;
}

TEST(labels_parse_forms)
{
    const char *cd[] = {"cat", "dog"};
    ASSERT_TRUE(parse_ok("[\"cat\", \"dog\"]", 2, cd));
    ASSERT_TRUE(parse_ok("  ['cat','dog',] ", 2, cd));
    ASSERT_TRUE(parse_ok("{0: 'cat', 1: 'dog'}", 2, cd));
    ASSERT_TRUE(parse_ok("{1: 'dog', 0: 'cat'}", 2, cd));
    ASSERT_TRUE(parse_ok("{\"0\": \"cat\", \"1\": \"dog\"}", 2, cd));
    ASSERT_TRUE(parse_ok("cat, dog", 2, cd));
    ASSERT_TRUE(parse_ok("cat\ndog\n", 2, cd));
    const char *hole[] = {"a", "", "c"};
    ASSERT_TRUE(parse_ok("{0: 'a', 2: 'c'}", 3, hole));
    const char *esc[] = {"it's", "caf\xC3\xA9", "q\"x", "\xF0\x9F\x98\x80"};
    ASSERT_TRUE(parse_ok("['it\\'s', \"caf\\u00e9\", 'q\"x', \"\\ud83d\\ude00\"]", 4, esc));
    const char *one[] = {"traffic light"};
    ASSERT_TRUE(parse_ok("traffic light", 1, one));

    static const char *const bad[] = {
        "[\"cat\", ",    "['cat' 'dog']", "{0: 'a', 0: 'b'}",   "{x: 'a'}", "[1, 2]",
        "{0: 'a'} junk", "['a\\q']",      "{99999999999: 'a'}", "",         "[]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ei_labels_t *l = NULL;
        ei_error_t err = {0};
        ei_code_t rc = ei_labels_parse(bad[i], strlen(bad[i]), "meta", &l, &err);
        if (rc != EI_EFORMAT)
            fprintf(stderr, "bad case %zu <%s>: rc %d\n", i, bad[i], (int)rc);
        ASSERT_EQ(rc, EI_EFORMAT);
        ASSERT_NULL(l);
        ASSERT_CONTAINS(err.msg, "meta");
    }
}

/* Classifier ----------------------------------------------------------------------------------- */

static ei_classifier_t *make(const char *model, const char *preset, size_t batch, size_t top_k,
                             ei_softmax_mode_t sm, const char *labels)
{
    char path[512];
    data_path(path, sizeof(path), model);
    ei_classifier_opts_t o;
    ei_classifier_opts_init(&o);
    o.preset = preset;
    o.batch = batch;
    o.top_k = top_k;
    o.softmax = sm;
    o.labels_path = labels;
    o.keep_logits = true;
    ei_classifier_t *c = NULL;
    ei_error_t err = {0};
    if (ei_classifier_create(path, &o, &c, &err) != EI_OK)
        fprintf(stderr, "classifier %s: %s\n", model, err.msg);
    return c;
}

TEST(classifier_f16_output_dict_labels)
{
    ei_classifier_t *c = make("gap_f16out.onnx", "unit", 2, 3, EI_SOFTMAX_AUTO, NULL);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(ei_classifier_batch(c), 2);
    ASSERT_TRUE(!ei_classifier_fixed_batch(c));
    ASSERT_EQ(ei_classifier_class_count(c), 3);
    ASSERT_EQ(ei_labels_count(ei_classifier_labels(c)), 3);
    /* Three images with batch 2: a full batch and a partial (smaller) one. */
    /* Not one-hot colours: logits (1, 0, 0) in 0..1 would already be a distribution. */
    ei_image_t *imgs[3] = {solid(240, 20, 7), solid(0, 50, 255), solid(10, 200, 30)};
    ei_classify_result_t r[3];
    ei_error_t err = {0};
    ASSERT_OK(ei_classifier_run(c, (const ei_image_t *const *)imgs, 3, r, &err), &err);
    const char *want[3] = {"red", "blue", "green"};
    const size_t widx[3] = {0, 2, 1};
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(r[i].n_top, 3);
        ASSERT_EQ(r[i].n_classes, 3);
        ASSERT_EQ(r[i].top[0].index, widx[i]);
        ASSERT_STR_EQ(r[i].top[0].label, want[i]);
        ASSERT_TRUE(r[i].softmax_applied);
        ASSERT_NEAR(r[i].top[0].score + r[i].top[1].score + r[i].top[2].score, 1.0, 1e-5);
        ASSERT_TRUE(r[i].top[0].score > r[i].top[1].score);
    }
    /* Logits are the channel means in 0..1 (float16-rounded). */
    ASSERT_NEAR(r[2].logits[0], 10.0 / 255.0, 1e-3);
    ASSERT_NEAR(r[0].logits[2], 7.0 / 255.0, 1e-3);
    ASSERT_NEAR(r[2].logits[1], 200.0 / 255.0, 1e-3);
    double e = exp(200.0 / 255.0) / (exp(10.0 / 255) + exp(200.0 / 255) + exp(30.0 / 255));
    ASSERT_NEAR(r[2].top[0].score, e, 2e-3);
    for (int i = 0; i < 3; i++) {
        ei_classify_result_dispose(&r[i]);
        ei_image_destroy(imgs[i]);
    }
    ei_classify_result_dispose(&r[0]); /* twice is harmless */
    ei_classifier_destroy(c);
}

TEST(classifier_fixed_batch_pads)
{
    /* A batch request of 2 is overridden by the model's fixed 4; 5 images = 4 + 1 padded. */
    ei_classifier_t *c = make("gap_fixed4.onnx", "raw", 2, 1, EI_SOFTMAX_NEVER, NULL);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(ei_classifier_batch(c), 4);
    ASSERT_TRUE(ei_classifier_fixed_batch(c));
    ei_image_t *imgs[5] = {solid(0, 9, 0), solid(9, 0, 0), solid(0, 0, 9), solid(1, 2, 3),
                           solid(250, 3, 4)};
    ei_classify_result_t r[5];
    ei_error_t err = {0};
    ASSERT_OK(ei_classifier_run(c, (const ei_image_t *const *)imgs, 5, r, &err), &err);
    const size_t widx[5] = {1, 0, 2, 2, 0};
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(r[i].n_top, 1);
        ASSERT_EQ(r[i].top[0].index, widx[i]);
        ASSERT_TRUE(!r[i].softmax_applied);
    }
    ASSERT_NEAR(r[4].top[0].score, 250.0, 1e-3); /* raw preset: 0..255, no softmax */
    ASSERT_STR_EQ(r[4].top[0].label, "red");
    for (int i = 0; i < 5; i++) {
        ei_classify_result_dispose(&r[i]);
        ei_image_destroy(imgs[i]);
    }
    /* run_tensor: n out of range and a wrong tensor are refused. */
    ei_tensor_t *in = NULL;
    ASSERT_OK(ei_classifier_create_input(c, &in, &err), &err);
    ASSERT_EQ(ei_classifier_run_tensor(c, in, 0, r, &err), EI_EINVAL);
    ASSERT_EQ(ei_classifier_run_tensor(c, in, 5, r, &err), EI_EINVAL);
    ei_tensor_t *wrong = NULL;
    int64_t shape[4] = {4, 3, 9, 8};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, shape, 4, &wrong, &err), &err);
    ASSERT_EQ(ei_classifier_run_tensor(c, wrong, 1, r, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "[4,3,9,8]");
    ASSERT_CONTAINS(err.msg, "[4,3,8,8]");
    ei_tensor_destroy(wrong);
    ei_tensor_destroy(in);
    ei_classifier_destroy(c);
}

TEST(classifier_softmax_modes)
{
    ei_image_t *img = solid(200, 100, 10);
    ei_error_t err = {0};
    ei_classify_result_t a, b, n;
    ei_classifier_t *c0 = make("gap_softmax.onnx", "raw", 1, 0, EI_SOFTMAX_AUTO, NULL);
    ASSERT_NOT_NULL(c0);
    ASSERT_OK(ei_classifier_run(c0, (const ei_image_t *const *)&img, 1, &a, &err), &err);
    ei_classifier_t *c = make("gap_softmax.onnx", "raw", 1, 0, EI_SOFTMAX_ALWAYS, NULL);
    ASSERT_NOT_NULL(c);
    ASSERT_OK(ei_classifier_run(c, (const ei_image_t *const *)&img, 1, &b, &err), &err);
    ei_classifier_destroy(c);
    c = make("gap_softmax.onnx", "raw", 1, 0, EI_SOFTMAX_NEVER, NULL);
    ASSERT_NOT_NULL(c);
    ASSERT_OK(ei_classifier_run(c, (const ei_image_t *const *)&img, 1, &n, &err), &err);
    /* The output is softmax(x / 20): auto detects the distribution and keeps it. */
    ASSERT_TRUE(!a.softmax_applied);
    ASSERT_TRUE(b.softmax_applied);
    ASSERT_EQ(a.n_top, 3); /* top_k 0 = all */
    ASSERT_EQ(a.top[0].index, 0);
    ASSERT_STR_EQ(a.top[0].label, "red"); /* comma separated "classes" metadata */
    double z = exp(10.0) + exp(5.0) + exp(0.5);
    ASSERT_NEAR(a.top[0].score, exp(10.0) / z, 1e-5);
    ASSERT_NEAR(a.top[0].score, n.top[0].score, 1e-7);
    /* Softmax over probabilities flattens them: different numbers, same order. */
    ASSERT_TRUE(b.top[0].score < a.top[0].score - 0.1);
    ASSERT_EQ(b.top[0].index, 0);
    ei_classify_result_dispose(&a);
    ei_classify_result_dispose(&b);
    ei_classify_result_dispose(&n);
    ei_image_destroy(img);
    ei_classifier_destroy(c);
    ei_classifier_destroy(c0); /* labels in `a` lived as long as c0 */
}

TEST(classifier_f16_input_and_u8_nhwc)
{
    ei_image_t *img = solid(30, 60, 240);
    ei_error_t err = {0};
    ei_classify_result_t r;
    /* imagenet preset, but the model fixes H and W at 8: they come from the model. */
    ei_classifier_t *c = make("gap_f16in.onnx", NULL, 1, 2, EI_SOFTMAX_AUTO, NULL);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(ei_classifier_image_opts(c)->width, 8);
    ASSERT_EQ(ei_classifier_image_opts(c)->height, 8);
    ASSERT_EQ(ei_classifier_image_opts(c)->dtype, EI_DTYPE_FLOAT16);
    ASSERT_NULL(ei_classifier_labels(c));
    ASSERT_OK(ei_classifier_run(c, (const ei_image_t *const *)&img, 1, &r, &err), &err);
    ASSERT_EQ(r.top[0].index, 2);
    ASSERT_NULL(r.top[0].label);
    ASSERT_NEAR(r.logits[2], (240.0 / 255 - 0.406) / 0.225, 0.01);
    ei_classify_result_dispose(&r);
    ei_classifier_destroy(c);

    c = make("gap_u8_nhwc.onnx", NULL, 1, 3, EI_SOFTMAX_NEVER, NULL);
    ASSERT_NOT_NULL(c);
    ASSERT_EQ(ei_classifier_image_opts(c)->layout, EI_LAYOUT_NHWC);
    ASSERT_OK(ei_classifier_run(c, (const ei_image_t *const *)&img, 1, &r, &err), &err);
    ASSERT_EQ(r.top[0].index, 2);
    ASSERT_EQ(r.top[1].index, 1);
    ASSERT_NEAR(r.logits[0], 30.0, 1e-4); /* uint8 input: the pixels themselves */
    ASSERT_NEAR(r.logits[1], 60.0, 1e-4);
    ASSERT_NEAR(r.top[0].score, 240.0, 1e-4);
    ei_classify_result_dispose(&r);
    ei_classifier_destroy(c);
    ei_image_destroy(img);
}

TEST(classifier_labels_file_short)
{
    char lp[512];
    tmp_path(lp, sizeof(lp), "two.txt");
    write_file(lp, "rouge\nvert\n", 11);
    ei_classifier_t *c = make("gap_f16out.onnx", "unit", 1, 3, EI_SOFTMAX_AUTO, lp);
    ASSERT_NOT_NULL(c);
    ei_image_t *img = solid(0, 0, 255);
    ei_classify_result_t r;
    ei_error_t err = {0};
    ASSERT_OK(ei_classifier_run(c, (const ei_image_t *const *)&img, 1, &r, &err), &err);
    ASSERT_EQ(r.top[0].index, 2);
    ASSERT_NULL(r.top[0].label); /* the file has no third line */
    ASSERT_STR_EQ(r.top[1].label, "rouge");
    ei_classify_result_dispose(&r);
    ei_image_destroy(img);
    ei_classifier_destroy(c);
}

TEST(classifier_rejects_non_classifiers)
{
    char path[512];
    ei_classifier_t *c = NULL;
    ei_error_t err = {0};
    data_path(path, sizeof(path), "not_image.onnx");
    ASSERT_EQ(ei_classifier_create(path, NULL, &c, &err), EI_EMODEL);
    ASSERT_NULL(c);
    ASSERT_CONTAINS(err.msg, "not an image classifier");
    ASSERT_CONTAINS(err.msg, "[-1,16]");

    const char *models = getenv("EI_MODELS");
    if (models != NULL) {
        snprintf(path, sizeof(path), "%s/vad/silero_vad.onnx", models);
        if (access(path, R_OK) == 0) {
            ASSERT_EQ(ei_classifier_create(path, NULL, &c, &err), EI_EMODEL);
            ASSERT_CONTAINS(err.msg, "4 inputs");
            ASSERT_CONTAINS(err.msg, "silero_vad.onnx");
        }
    }
    data_path(path, sizeof(path), "gap_f16out.onnx");
    ei_classifier_opts_t o;
    ei_classifier_opts_init(&o);
    o.preset = "nope";
    ASSERT_EQ(ei_classifier_create(path, &o, &c, &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "nope");
    ei_classifier_opts_init(&o);
    o.output_name = "scores";
    ASSERT_EQ(ei_classifier_create(path, &o, &c, &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "scores");
    ei_classifier_opts_init(&o);
    o.labels_path = "/nonexistent/labels.txt";
    ASSERT_EQ(ei_classifier_create(path, &o, &c, &err), EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "/nonexistent/labels.txt");
    ASSERT_NULL(c);
    ei_classifier_destroy(NULL);
}

TEST(classifier_shared_session)
{
    char path[512];
    data_path(path, sizeof(path), "gap_f16out.onnx");
    ei_session_t *s = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_session_create(path, NULL, &s, &err), &err);
    ei_classifier_opts_t o;
    ei_classifier_opts_init(&o);
    o.preset = "unit";
    ei_classifier_t *a = NULL, *b = NULL;
    ASSERT_OK(ei_classifier_create_from_session(s, &o, &a, &err), &err);
    ASSERT_OK(ei_classifier_create_from_session(s, &o, &b, &err), &err);
    ASSERT_TRUE(ei_classifier_session(a) == s);
    ei_image_t *img = solid(0, 255, 0);
    ei_classify_result_t r;
    ASSERT_OK(ei_classifier_run(b, (const ei_image_t *const *)&img, 1, &r, &err), &err);
    ASSERT_EQ(r.top[0].index, 1);
    ei_classify_result_dispose(&r);
    ei_classifier_destroy(a);
    ei_classifier_destroy(b);
    ei_image_destroy(img);
    ei_session_destroy(s); /* still valid after both classifiers are gone */
}

TEST(classifier_run_files)
{
    static uint8_t png[65536];
    char p_red[512], p_blue[512], p_bad[512], p_missing[512];
    tmp_path(p_red, sizeof(p_red), "red.png");
    tmp_path(p_blue, sizeof(p_blue), "blue.png");
    tmp_path(p_bad, sizeof(p_bad), "truncated.png");
    tmp_path(p_missing, sizeof(p_missing), "missing.png");
    size_t n = make_png(png, 20, 10, 250, 5, 5);
    write_file(p_red, png, n);
    write_file(p_bad, png, n / 2);
    n = make_png(png, 7, 13, 0, 0, 99);
    write_file(p_blue, png, n);

    ei_classifier_t *c = make("gap_f16out.onnx", "unit", 2, 1, EI_SOFTMAX_AUTO, NULL);
    ASSERT_NOT_NULL(c);
    const char *paths[5] = {p_red, p_missing, p_blue, p_bad, p_red};
    ei_classify_result_t r[5];
    ei_code_t codes[5];
    ei_error_t err = {0};
    ei_code_t rc = ei_classifier_run_files(c, paths, 5, r, codes, &err);
    ASSERT_EQ(rc, EI_ENOENT); /* the first failure */
    ASSERT_CONTAINS(err.msg, "missing.png");
    ASSERT_EQ(codes[0], EI_OK);
    ASSERT_EQ(codes[1], EI_ENOENT);
    ASSERT_EQ(codes[2], EI_OK);
    ASSERT_EQ(codes[3], EI_EFORMAT);
    ASSERT_EQ(codes[4], EI_OK);
    ASSERT_STR_EQ(r[0].top[0].label, "red");
    ASSERT_EQ(r[1].n_top, 0);
    ASSERT_NULL(r[1].top);
    ASSERT_STR_EQ(r[2].top[0].label, "blue");
    ASSERT_EQ(r[3].n_top, 0);
    ASSERT_STR_EQ(r[4].top[0].label, "red");
    ASSERT_NEAR(r[0].logits[0], 250.0 / 255.0, 1e-3);
    for (int i = 0; i < 5; i++)
        ei_classify_result_dispose(&r[i]);
    ei_classifier_destroy(c);
}

TEST(out_of_memory)
{
    ei_error_t err = {0};
    ASSERT_OK(ei_global_init(NULL, &err), &err);
    ei_image_t *img = solid(9, 200, 7);
    char path[512];
    data_path(path, sizeof(path), "gap_f16out.onnx");
    ei_test_oom_install();
    static const char dict[] = "{0: 'cat', 2: 'dog', 1: \"b\\u00e9e\"}";
    int ok_at = -1;
    for (int budget = 0; budget < 200 && ok_at < 0; budget++) {
        ei_labels_t *l = NULL;
        ei_test_oom_arm(budget);
        ei_code_t rc = ei_labels_parse(dict, sizeof(dict) - 1, "oom", &l, &err);
        ei_test_oom_disarm();
        if (rc == EI_OK) {
            ok_at = budget;
            ASSERT_STR_EQ(ei_labels_get(l, 1), "b\xC3\xA9"
                                               "e");
        } else {
            ASSERT_EQ(rc, EI_ENOMEM);
            ASSERT_NULL(l);
        }
        ei_labels_destroy(l);
    }
    ASSERT_TRUE(ok_at > 0);
    ok_at = -1;
    for (int budget = 0; budget < 2000 && ok_at < 0; budget++) {
        ei_classifier_opts_t o;
        ei_classifier_opts_init(&o);
        o.preset = "unit";
        o.keep_logits = true;
        ei_classifier_t *c = NULL;
        ei_classify_result_t r;
        memset(&r, 0, sizeof(r));
        ei_test_oom_arm(budget);
        ei_code_t rc = ei_classifier_create(path, &o, &c, &err);
        if (rc == EI_OK)
            rc = ei_classifier_run(c, (const ei_image_t *const *)&img, 1, &r, &err);
        ei_test_oom_disarm();
        if (rc == EI_OK) {
            ok_at = budget;
            ASSERT_STR_EQ(r.top[0].label, "green");
        } else {
            if (rc != EI_ENOMEM)
                fprintf(stderr, "budget %d: %s\n", budget, err.msg);
            ASSERT_EQ(rc, EI_ENOMEM);
            ASSERT_NULL(r.top);
        }
        ei_classify_result_dispose(&r);
        ei_classifier_destroy(c);
    }
    ei_test_oom_uninstall();
    ASSERT_TRUE(ok_at > 0);
    ei_image_destroy(img);
}

int main(void)
{
    int rc = RUN_TESTS(softmax_values, distribution_check, topk_order_and_ties,
                       topk_large_k_matches_small_path, labels_file, labels_parse_forms,
                       classifier_f16_output_dict_labels, classifier_fixed_batch_pads,
                       classifier_softmax_modes, classifier_f16_input_and_u8_nhwc,
                       classifier_labels_file_short, classifier_rejects_non_classifiers,
                       classifier_shared_session, classifier_run_files, out_of_memory);
    ei_global_cleanup();
    if (tmpdir[0] != '\0') {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return rc;
}
