/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the image layer: bad inputs (truncated JPEG/PNG/WebP, random bytes, empty and
 * missing files, decompression-bomb headers) give the right code and a message naming the
 * input; EXIF parsing and orientation; geometry of each fit mode; options, presets and shapes;
 * the fused kernel on small known cases. Test images are made in-process with TurboJPEG, libspng
 * and libwebp, so nothing outside the build is needed. PIL fidelity is tests/image/fidelity.py.
 */
#include "ei_util.h"
#include "image_internal.h"
#include "test.h"

#include <edgeinfer/alloc.h>
#include <edgeinfer/image.h>
#include <spng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <webp/encode.h>

#define TW 64
#define TH 48

static uint8_t *make_rgb(int w, int h)
{
    uint8_t *p = malloc((size_t)w * (size_t)h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * (size_t)w + (size_t)x) * 3;
            q[0] = (uint8_t)(x * 4);
            q[1] = (uint8_t)(y * 5);
            q[2] = (uint8_t)((x ^ y) * 3);
        }
    return p;
}

/* A JPEG of TW x TH; optional progressive. The caller frees with tjFree(). */
static unsigned char *make_jpeg(unsigned long *size, int progressive)
{
    uint8_t *rgb = make_rgb(TW, TH);
    tjhandle tj = tjInitCompress();
    unsigned char *out = NULL;
    *size = 0;
    int r = tjCompress2(tj, rgb, TW, 0, TH, TJPF_RGB, &out, size, TJSAMP_420, 90,
                        progressive ? TJFLAG_PROGRESSIVE : 0);
    tjDestroy(tj);
    free(rgb);
    return r == 0 ? out : NULL;
}

static void *make_png(size_t *size)
{
    uint8_t *rgb = make_rgb(TW, TH);
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    struct spng_ihdr ihdr = {TW, TH, 8, SPNG_COLOR_TYPE_TRUECOLOR, 0, 0, 0};
    spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    spng_set_ihdr(ctx, &ihdr);
    int r = spng_encode_image(ctx, rgb, (size_t)TW * TH * 3, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    int e = 0;
    void *png = r == 0 ? spng_get_png_buffer(ctx, size, &e) : NULL;
    spng_ctx_free(ctx);
    free(rgb);
    return png;
}

static const char *tmp_path(const char *name)
{
    static char buf[512];
    const char *dir = getenv("TMPDIR");
    snprintf(buf, sizeof(buf), "%s/ei_test_image_%d_%s", dir ? dir : "/tmp", (int)getpid(), name);
    return buf;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return;
    if (n > 0)
        fwrite(data, 1, n, f);
    fclose(f);
}

/* Decodes a buffer that must fail with `code` and a message containing `what`. */
static int expect_fail(const void *data, size_t n, ei_code_t code, const char *what)
{
    ei_error_t err = {0};
    ei_image_t *img = (ei_image_t *)(uintptr_t)1;
    ei_code_t rc = ei_image_decode(data, n, NULL, &img, &err);
    if (rc != code || img != NULL || strstr(err.msg, what) == NULL ||
        strstr(err.msg, "buffer") == NULL) {
        fprintf(stderr, "expected %s with '%s', got %s: %s\n", ei_code_name(code), what,
                ei_code_name(rc), err.msg);
        return 0;
    }
    return 1;
}

TEST(decode_valid_formats)
{
    unsigned long jn;
    unsigned char *jpg = make_jpeg(&jn, 0);
    ASSERT_NOT_NULL(jpg);
    ei_error_t err = {0};
    ei_image_t *img = NULL;
    ASSERT_OK(ei_image_decode(jpg, jn, NULL, &img, &err), &err);
    ASSERT_EQ(ei_image_width(img), TW);
    ASSERT_EQ(ei_image_height(img), TH);
    ASSERT_EQ(ei_image_stride(img), TW * 3);
    ei_image_destroy(img);
    tjFree(jpg);

    jpg = make_jpeg(&jn, 1);
    ASSERT_OK(ei_image_decode(jpg, jn, NULL, &img, &err), &err);
    ASSERT_EQ(ei_image_width(img), TW);
    ei_image_destroy(img);
    tjFree(jpg);

    size_t pn = 0;
    void *png = make_png(&pn);
    ASSERT_NOT_NULL(png);
    ASSERT_OK(ei_image_decode(png, pn, NULL, &img, &err), &err);
    ASSERT_EQ(ei_image_height(img), TH);
    /* PNG is lossless: the pixels come back exactly. */
    uint8_t *rgb = make_rgb(TW, TH);
    ASSERT_TRUE(memcmp(ei_image_pixels(img), rgb, (size_t)TW * TH * 3) == 0);
    ei_image_destroy(img);
    free(png);

    uint8_t *wp = NULL;
    size_t wn = WebPEncodeLosslessRGB(rgb, TW, TH, TW * 3, &wp);
    ASSERT_TRUE(wn > 0);
    ASSERT_OK(ei_image_decode(wp, wn, NULL, &img, &err), &err);
    ASSERT_TRUE(memcmp(ei_image_pixels(img), rgb, (size_t)TW * TH * 3) == 0);
    ei_image_destroy(img);
    ASSERT_TRUE(expect_fail(wp, wn / 2, EI_EFORMAT, "WebP"));
    WebPFree(wp);
    free(rgb);
}

TEST(decode_truncated)
{
    unsigned long jn;
    unsigned char *jpg = make_jpeg(&jn, 0);
    ASSERT_TRUE(expect_fail(jpg, jn / 2, EI_EFORMAT, "truncated JPEG"));
    ASSERT_TRUE(expect_fail(jpg, 20, EI_EFORMAT, "JPEG"));
    tjFree(jpg);
    jpg = make_jpeg(&jn, 1);
    ASSERT_TRUE(expect_fail(jpg, jn - 40, EI_EFORMAT, "truncated JPEG"));
    tjFree(jpg);
    size_t pn = 0;
    void *png = make_png(&pn);
    ASSERT_TRUE(expect_fail(png, pn / 2, EI_EFORMAT, "PNG"));
    ASSERT_TRUE(expect_fail(png, 30, EI_EFORMAT, "PNG"));
    /* A flipped byte inside IDAT breaks the CRC. */
    uint8_t *bad = malloc(pn);
    memcpy(bad, png, pn);
    bad[pn / 2] ^= 0x55;
    ASSERT_TRUE(expect_fail(bad, pn, EI_EFORMAT, "corrupt PNG"));
    free(bad);
    free(png);
}

TEST(decode_garbage)
{
    uint8_t junk[4096];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof(junk); i++) {
        s = s * 1103515245u + 12345u;
        junk[i] = (uint8_t)(s >> 16);
    }
    ASSERT_TRUE(expect_fail(junk, sizeof(junk), EI_EFORMAT, "unknown image format"));
    ASSERT_TRUE(expect_fail(junk, 0, EI_EFORMAT, "empty"));
    /* Random bytes behind each magic number. */
    memcpy(junk, "\xFF\xD8\xFF", 3);
    ASSERT_TRUE(expect_fail(junk, sizeof(junk), EI_EFORMAT, "JPEG"));
    memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
    ASSERT_TRUE(expect_fail(junk, sizeof(junk), EI_EFORMAT, "PNG"));
    memcpy(junk, "RIFF\x10\x00\x00\x00WEBPVP8 ", 16);
    ASSERT_TRUE(expect_fail(junk, sizeof(junk), EI_EFORMAT, "WebP"));
    ASSERT_TRUE(expect_fail("GIF89a....", 10, EI_EFORMAT, "GIF"));
}

TEST(decode_files)
{
    ei_error_t err = {0};
    ei_image_t *img = NULL;
    ASSERT_EQ(ei_image_load("/nonexistent/dir/cat.jpg", NULL, &img, &err), EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "/nonexistent/dir/cat.jpg");
    ASSERT_NULL(img);
    const char *empty = tmp_path("empty.jpg");
    write_file(empty, "", 0);
    ASSERT_EQ(ei_image_load(empty, NULL, &img, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, empty);
    ASSERT_CONTAINS(err.msg, "empty");
    remove(empty);
    unsigned long jn;
    unsigned char *jpg = make_jpeg(&jn, 0);
    const char *trunc = tmp_path("trunc.jpg");
    write_file(trunc, jpg, jn / 3);
    ASSERT_EQ(ei_image_load(trunc, NULL, &img, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, trunc);
    ASSERT_CONTAINS(err.msg, "truncated");
    remove(trunc);
    tjFree(jpg);
}

/* A PNG whose IHDR declares 100000 x 100000 pixels (valid CRC), with no image data. */
static size_t png_bomb(uint8_t *buf)
{
    static const uint8_t head[] = {0x89, 'P', 'N',  'G',  '\r', '\n', 0x1A, '\n', 0,    0,
                                   0,    13,  'I',  'H',  'D',  'R',  0,    1,    0x86, 0xA0,
                                   0,    1,   0x86, 0xA0, 8,    2,    0,    0,    0};
    memcpy(buf, head, sizeof(head));
    /* CRC-32 over "IHDR" + data, computed here to keep the test self-contained. */
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 12; i < 29; i++) {
        c ^= buf[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    c ^= 0xFFFFFFFFu;
    buf[29] = (uint8_t)(c >> 24);
    buf[30] = (uint8_t)(c >> 16);
    buf[31] = (uint8_t)(c >> 8);
    buf[32] = (uint8_t)c;
    return 33;
}

TEST(decode_bombs)
{
    uint8_t buf[64];
    size_t n = png_bomb(buf);
    ASSERT_TRUE(expect_fail(buf, n, EI_ELIMIT, "above the limit"));
    /* A JPEG whose SOF declares 65500 x 65500: patch a real file's frame header. */
    unsigned long jn;
    unsigned char *jpg = make_jpeg(&jn, 0);
    for (unsigned long i = 2; i + 9 < jn; i++) {
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
            jpg[i + 5] = 0xFF;
            jpg[i + 6] = 0xDC;
            jpg[i + 7] = 0xFF;
            jpg[i + 8] = 0xDC;
            break;
        }
    }
    ASSERT_TRUE(expect_fail(jpg, jn, EI_ELIMIT, "above the limit"));
    /* A lossless WebP whose VP8L header declares 16384 x 16384 (268 MP), and nothing else. */
    uint8_t wb[64] = {'R', 'I', 'F', 'F', 52,  0,  0, 0, 'W', 'E', 'B',
                      'P', 'V', 'P', '8', 'L', 40, 0, 0, 0,   0x2F};
    uint32_t bits = 16383u | (16383u << 14); /* width-1, height-1; no alpha, version 0 */
    wb[21] = (uint8_t)bits;
    wb[22] = (uint8_t)(bits >> 8);
    wb[23] = (uint8_t)(bits >> 16);
    wb[24] = (uint8_t)(bits >> 24);
    ASSERT_TRUE(expect_fail(wb, sizeof(wb), EI_ELIMIT, "16384x16384"));
    /* A lower limit applies to an ordinary image too. */
    tjFree(jpg);
    jpg = make_jpeg(&jn, 0);
    ei_image_decode_opts_t o;
    ei_image_decode_opts_init(&o);
    o.max_pixels = 100;
    ei_error_t err = {0};
    ei_image_t *img = NULL;
    ASSERT_EQ(ei_image_decode(jpg, jn, &o, &img, &err), EI_ELIMIT);
    ASSERT_CONTAINS(err.msg, "64x48");
    tjFree(jpg);
}

TEST(exif_orientation_parse)
{
    /* Little-endian TIFF: IFD0 at 8 with one entry, Orientation SHORT 6. */
    uint8_t le[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0};
    ASSERT_EQ(ei__exif_orientation(le, sizeof(le)), 6);
    uint8_t be[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 3, 0, 0};
    ASSERT_EQ(ei__exif_orientation(be, sizeof(be)), 3);
    ASSERT_EQ(ei__exif_orientation(le, 12), 1); /* truncated entry */
    le[18] = 9;
    ASSERT_EQ(ei__exif_orientation(le, sizeof(le)), 1); /* out of range */
    le[4] = 200;
    ASSERT_EQ(ei__exif_orientation(le, sizeof(le)), 1); /* IFD offset past the end */
    ASSERT_EQ(ei__exif_orientation(NULL, 0), 1);
}

TEST(orientation_copy)
{
    /* 3 x 2 image, pixel value = index; check where the corners go for each orientation. */
    uint8_t src[18];
    for (int i = 0; i < 6; i++)
        src[3 * i] = src[3 * i + 1] = src[3 * i + 2] = (uint8_t)i;
    /* src: 0 1 2 / 3 4 5. Expected first row of the upright image for o = 1..8. */
    static const uint8_t first[9][3] = {{0},       {0, 1, 2}, {2, 1, 0}, {5, 4, 3}, {3, 4, 5},
                                        {0, 3, 0}, {3, 0, 0}, {5, 2, 0}, {2, 5, 0}};
    for (int o = 1; o <= 8; o++) {
        uint8_t dst[18] = {0};
        int ow = ei__orient_swaps(o) ? 2 : 3;
        ei__orient_copy(src, 3, 2, 9, o, dst, (size_t)ow * 3, NULL);
        for (int x = 0; x < ow; x++)
            ASSERT_EQ(dst[3 * x], first[o][x]);
    }
}

static ei_image_t *grey_ramp(int w, int h)
{
    uint8_t *px = malloc((size_t)w * (size_t)h);
    for (int i = 0; i < w * h; i++)
        px[i] = (uint8_t)(i % 251);
    ei_image_t *img = NULL;
    ei_error_t err = {0};
    ei_code_t rc = ei_image_from_pixels(px, w, h, 1, 0, &img, &err);
    free(px);
    return rc == EI_OK ? img : NULL;
}

TEST(geometry_crop_and_letterbox)
{
    ei_error_t err = {0};
    ei_image_opts_t o;
    ei_image_opts_init(&o);
    ei_image_pipeline_t *p = NULL;
    ASSERT_OK(ei_image_pipeline_create(&o, &p, &err), &err);
    ASSERT_EQ(ei_image_pipeline_slot_bytes(p), 3 * 224 * 224 * 4);
    ei_image_t *img = grey_ramp(451, 300);
    float *buf = malloc(ei_image_pipeline_slot_bytes(p) * 2);
    ei_image_geom_t g;
    ASSERT_OK(ei_image_pipeline_run(p, img, buf, ei_image_pipeline_slot_bytes(p) * 2, 1, &g, &err),
              &err);
    /* 451x300 -> 384x256 (int(256 * 451 / 300) = 384); crop offsets (384 - 224) / 2 = 80 and
     * (256 - 224) / 2 = 16. */
    ASSERT_EQ(g.resized_width, 384);
    ASSERT_EQ(g.resized_height, 256);
    ASSERT_NEAR(g.offset_x, -80.0, 1e-9);
    ASSERT_NEAR(g.offset_y, -16.0, 1e-9);
    ASSERT_EQ(ei_image_pipeline_run(p, img, buf, ei_image_pipeline_slot_bytes(p), 1, &g, &err),
              EI_EINVAL);
    ei_image_destroy(img);
    /* Python rounds half to even: (263 - 224) / 2 = 19.5 -> 20; (261 - 224) / 2 = 18.5 -> 18. */
    img = grey_ramp(263, 256);
    ASSERT_OK(ei_image_pipeline_run(p, img, buf, ei_image_pipeline_slot_bytes(p), 0, &g, &err),
              &err);
    ASSERT_NEAR(g.offset_x, -20.0, 1e-9);
    ei_image_destroy(img);
    img = grey_ramp(261, 256);
    ASSERT_OK(ei_image_pipeline_run(p, img, buf, ei_image_pipeline_slot_bytes(p), 0, &g, &err),
              &err);
    ASSERT_NEAR(g.offset_x, -18.0, 1e-9);
    ei_image_destroy(img);
    ei_image_pipeline_destroy(p);

    o.fit = EI_FIT_LETTERBOX;
    o.width = 640;
    o.height = 640;
    ASSERT_OK(ei_image_pipeline_create(&o, &p, &err), &err);
    img = grey_ramp(1280, 720);
    float *lb = malloc(ei_image_pipeline_slot_bytes(p));
    ASSERT_OK(ei_image_pipeline_run(p, img, lb, ei_image_pipeline_slot_bytes(p), 0, &g, &err),
              &err);
    ASSERT_EQ(g.resized_width, 640);
    ASSERT_EQ(g.resized_height, 360);
    ASSERT_NEAR(g.scale_x, 0.5, 1e-12);
    ASSERT_NEAR(g.offset_y, 140.0, 1e-9);
    /* Row 0 is padding: (114 / 255 - 0.485) / 0.229 in float32. */
    float pad = ((float)114 / 255.0f - 0.485f) / 0.229f;
    ASSERT_TRUE(lb[0] == pad);
    ei_image_destroy(img);
    free(lb);
    free(buf);
    ei_image_pipeline_destroy(p);

    /* A 1 x 5000 strip would be resized to 256 x 1280000 for the crop: refused. */
    ei_image_opts_init(&o);
    ASSERT_OK(ei_image_pipeline_create(&o, &p, &err), &err);
    img = grey_ramp(1, 5000);
    buf = malloc(ei_image_pipeline_slot_bytes(p));
    ASSERT_EQ(ei_image_pipeline_run(p, img, buf, ei_image_pipeline_slot_bytes(p), 0, NULL, &err),
              EI_ELIMIT);
    ASSERT_CONTAINS(err.msg, "1x5000");
    ei_image_destroy(img);
    free(buf);
    ei_image_pipeline_destroy(p);
}

TEST(kernel_values)
{
    /* A constant image stays constant through any filter and size; uint8 NHWC shows it raw. */
    uint8_t px[37 * 23 * 3];
    for (size_t i = 0; i < sizeof(px); i += 3) {
        px[i] = 10;
        px[i + 1] = 200;
        px[i + 2] = 255;
    }
    ei_image_t *img = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_image_from_pixels(px, 37, 23, 3, 0, &img, &err), &err);
    for (int f = 0; f <= EI_FILTER_AREA; f++) {
        ei_image_opts_t o;
        ei_image_opts_init(&o);
        o.fit = EI_FIT_STRETCH;
        o.width = 91;
        o.height = 7;
        o.filter = (ei_image_filter_t)f;
        o.dtype = EI_DTYPE_UINT8;
        o.layout = EI_LAYOUT_NHWC;
        o.order = EI_ORDER_BGR;
        ei_image_pipeline_t *p = NULL;
        ASSERT_OK(ei_image_pipeline_create(&o, &p, &err), &err);
        uint8_t out[91 * 7 * 3];
        ASSERT_OK(ei_image_pipeline_run(p, img, out, sizeof(out), 0, NULL, &err), &err);
        for (size_t i = 0; i < sizeof(out); i += 3) {
            ASSERT_EQ(out[i], 255);
            ASSERT_EQ(out[i + 1], 200);
            ASSERT_EQ(out[i + 2], 10);
        }
        ei_image_pipeline_destroy(p);
    }
    ei_image_destroy(img);
}

TEST(opts_presets_and_shapes)
{
    ei_error_t err = {0};
    ei_image_opts_t o;
    ASSERT_OK(ei_image_opts_preset(&o, "ppocr", &err), &err);
    ASSERT_EQ(o.height, 48);
    ASSERT_EQ(o.width, 192);
    ASSERT_EQ(o.fit, EI_FIT_PAD_RIGHT);
    ASSERT_OK(ei_image_opts_preset(&o, "raw", &err), &err);
    ASSERT_NEAR(o.scale, 1.0, 0);
    ASSERT_OK(ei_image_opts_preset(&o, "unit", &err), &err);
    ASSERT_NEAR(o.std[1], 1.0, 0);
    ASSERT_EQ(ei_image_opts_preset(&o, "nope", &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "nope");
    ASSERT_OK(ei_image_opts_preset(&o, "imagenet", &err), &err);
    int64_t nhwc[4] = {-1, 320, 256, 3};
    ASSERT_OK(ei_image_opts_from_shape(&o, nhwc, 4, &err), &err);
    ASSERT_EQ(o.layout, EI_LAYOUT_NHWC);
    ASSERT_EQ(o.height, 320);
    ASSERT_EQ(o.width, 256);
    int64_t dyn[4] = {1, 3, -1, -1};
    ASSERT_OK(ei_image_opts_from_shape(&o, dyn, 4, &err), &err);
    ASSERT_EQ(o.layout, EI_LAYOUT_NCHW);
    ASSERT_EQ(o.height, 320);
    int64_t bad[4] = {1, 4, 224, 224};
    ASSERT_EQ(ei_image_opts_from_shape(&o, bad, 4, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "[1,4,224,224]");
    ei_image_pipeline_t *p = NULL;
    o.std[2] = 0.0f;
    ASSERT_EQ(ei_image_pipeline_create(&o, &p, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "std[2]");
    ei_image_opts_init(&o);
    o.dtype = EI_DTYPE_INT32;
    ASSERT_EQ(ei_image_pipeline_create(&o, &p, &err), EI_EINVAL);
    ASSERT_NULL(p);
    ASSERT_EQ(ei_image_filter_parse("bicubic"), EI_FILTER_BICUBIC);
    ASSERT_STR_EQ(ei_image_filter_name(EI_FILTER_AREA), "area");
    ei_image_pipeline_destroy(NULL);
    ei_image_destroy(NULL);
}

/* One pipeline fed images of many sizes must give what a fresh pipeline gives for each: its cache
 * of coefficient tables once evicted the table for one axis while fetching the other's. */
TEST(pipeline_many_sizes)
{
    ei_error_t err = {0};
    ei_image_opts_t o;
    ei_image_opts_init(&o);
    ei_image_pipeline_t *p = NULL;
    ASSERT_OK(ei_image_pipeline_create(&o, &p, &err), &err);
    size_t n = ei_image_pipeline_slot_bytes(p);
    uint8_t *a = malloc(n), *b = malloc(n);
    uint32_t seed = 7;
    for (int i = 0; i < 300; i++) {
        seed = seed * 1103515245u + 12345u;
        int w = 240 + (int)((seed >> 16) % 12) * 17, h = 240 + (int)((seed >> 8) % 12) * 13;
        ei_image_t *img = grey_ramp(w, h);
        ASSERT_TRUE(img != NULL);
        ei_image_pipeline_t *fresh = NULL;
        ASSERT_OK(ei_image_pipeline_create(&o, &fresh, &err), &err);
        ASSERT_OK(ei_image_pipeline_run(p, img, a, n, 0, NULL, &err), &err);
        ASSERT_OK(ei_image_pipeline_run(fresh, img, b, n, 0, NULL, &err), &err);
        if (memcmp(a, b, n) != 0) {
            fprintf(stderr, "image %d (%dx%d): long-lived pipeline differs from a fresh one\n", i,
                    w, h);
            ASSERT_TRUE(0);
        }
        ei_image_pipeline_destroy(fresh);
        ei_image_destroy(img);
    }
    free(a);
    free(b);
    ei_image_pipeline_destroy(p);
}

TEST(pipeline_tensor)
{
    ei_error_t err = {0};
    ei_image_opts_t o;
    ei_image_opts_init(&o);
    ei_image_pipeline_t *p = NULL;
    ASSERT_OK(ei_image_pipeline_create(&o, &p, &err), &err);
    int64_t shape[4] = {2, 3, 224, 224};
    ei_tensor_t *t = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, shape, 4, &t, &err), &err);
    unsigned long jn;
    unsigned char *jpg = make_jpeg(&jn, 0);
    ei_image_geom_t g;
    ASSERT_OK(ei_image_pipeline_decode(p, jpg, jn, t, 1, &g, &err), &err);
    ASSERT_EQ(g.src_width, TW);
    const float *d = ei_tensor_data(t);
    ASSERT_TRUE(d[0] == 0.0f);             /* slot 0 untouched */
    ASSERT_TRUE(d[3 * 224 * 224] != 0.0f); /* slot 1 written */
    ASSERT_EQ(ei_image_pipeline_decode(p, jpg, jn, t, 2, &g, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "batch index 2");
    ASSERT_EQ(ei_image_pipeline_load(p, "/nonexistent.png", t, 0, NULL, &err), EI_ENOENT);
    ASSERT_EQ(ei_image_pipeline_decode(p, jpg, jn / 2, t, 0, NULL, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "buffer");
    ei_tensor_destroy(t);
    int64_t wrong[4] = {1, 224, 224, 3};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, wrong, 4, &t, &err), &err);
    ASSERT_EQ(ei_image_pipeline_decode(p, jpg, jn, t, 0, NULL, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "expected shape [1,3,224,224] float32, got [1,224,224,3]");
    ei_tensor_destroy(t);
    tjFree(jpg);
    ei_image_pipeline_destroy(p);
}

TEST(dct_scaling_size)
{
    /* A 1024 x 768 JPEG for a 224 crop decodes at 1/2 (512x384 >= 341x256) with dct_scaling. */
    uint8_t *rgb = make_rgb(1024, 768);
    tjhandle tj = tjInitCompress();
    unsigned char *jpg = NULL;
    unsigned long jn = 0;
    ASSERT_EQ(tjCompress2(tj, rgb, 1024, 0, 768, TJPF_RGB, &jpg, &jn, TJSAMP_420, 80, 0), 0);
    tjDestroy(tj);
    free(rgb);
    ei_image_decode_opts_t d;
    ei_image_decode_opts_init(&d);
    d.min_width = 341;
    d.min_height = 256;
    ei_image_t *img = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_image_decode(jpg, jn, &d, &img, &err), &err);
    ASSERT_EQ(ei_image_width(img), 512);
    ASSERT_EQ(ei_image_source_width(img), 1024);
    ei_image_destroy(img);
    d.min_width = 100;
    d.min_height = 90;
    ASSERT_OK(ei_image_decode(jpg, jn, &d, &img, &err), &err);
    ASSERT_EQ(ei_image_width(img), 128);
    ei_image_destroy(img);
    tjFree(jpg);
}

/* Region decoding (decode_jpeg.c): what the test's region and need callbacks return. */
struct region_req {
    int32_t rect[4]; /* upright x0, y0, x1, y1, clamped to the decoded size */
    int denom;       /* the DCT scale to force through the need callback */
};

static void region_need(void *ctx, int32_t w, int32_t h, int32_t *nw, int32_t *nh)
{
    const struct region_req *q = ctx;
    *nw = (w + q->denom - 1) / q->denom;
    *nh = (h + q->denom - 1) / q->denom;
}

static bool region_cb(void *ctx, int32_t w, int32_t h, int32_t sw, int32_t sh, int32_t r[4])
{
    const struct region_req *q = ctx;
    (void)sw;
    (void)sh;
    r[0] = q->rect[0] < w ? q->rect[0] : w - 1;
    r[1] = q->rect[1] < h ? q->rect[1] : h - 1;
    r[2] = q->rect[2] < w ? q->rect[2] : w;
    r[3] = q->rect[3] < h ? q->rect[3] : h;
    return true;
}

/* A JPEG with an EXIF APP1 segment carrying orientation `o`, spliced in after SOI. */
static unsigned char *with_orientation(const unsigned char *jpg, unsigned long n, int o,
                                       unsigned long *out_n)
{
    static const uint8_t app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0,    0,    'I', 'I',
                                   42,   0,    8,    0,    0,   0,   1,   0,   0x12, 0x01, 3,   0,
                                   1,    0,    0,    0,    0,   0,   0,   0,   0,    0,    0,   0};
    unsigned char *out = malloc(n + sizeof(app1));
    memcpy(out, jpg, 2);
    memcpy(out + 2, app1, sizeof(app1));
    out[2 + 26] = (uint8_t)o; /* the SHORT value of the orientation entry */
    memcpy(out + 2 + sizeof(app1), jpg + 2, n - 2);
    *out_n = n + sizeof(app1);
    return out;
}

/* Pixels decoded for a region must equal the whole-image decode's pixels, for every chroma
 * subsampling, progressive and CMYK files, every EXIF orientation and DCT scale, and rectangles
 * at the edges, in the middle and of one pixel. */
TEST(jpeg_region_decode_is_exact)
{
    const int W = 333, H = 251; /* odd sizes: partial iMCUs on both edges */
    uint8_t *rgb = malloc((size_t)W * H * 4);
    uint32_t seed = 12345;
    for (int i = 0; i < W * H * 4; i++) { /* texture with edges: stresses the upsampling */
        seed = seed * 1103515245u + 12345u;
        int x = (i / 4) % W, y = (i / 4) / W;
        rgb[i] = (uint8_t)(((x / 7 + y / 5) & 1) * 120 + (seed >> 26) + (i % 4) * 30);
    }
    static const int samps[] = {TJSAMP_444, TJSAMP_422, TJSAMP_420,
                                TJSAMP_440, TJSAMP_411, TJSAMP_GRAY};
    static const int32_t rects[][4] = {{0, 0, 1000, 1000}, {40, 30, 200, 180}, {0, 17, 90, 60},
                                       {150, 0, 1000, 40}, {101, 77, 102, 78}, {5, 90, 1000, 1000}};
    struct ei__decoder dec = {0};
    ei_image_t whole = {0}, part = {0};
    int cases = 0;
    for (int f = 0; f < 8; f++) { /* 6 subsamplings, then progressive 4:2:0, then CMYK */
        tjhandle tj = tjInitCompress();
        unsigned char *jpg = NULL;
        unsigned long jn = 0;
        int samp = f < 6 ? samps[f] : f == 6 ? TJSAMP_420 : TJSAMP_444;
        ASSERT_EQ(tjCompress2(tj, rgb, W, 0, H, f == 7 ? TJPF_CMYK : TJPF_RGBX, &jpg, &jn, samp, 85,
                              f == 6 ? TJFLAG_PROGRESSIVE : 0),
                  0);
        tjDestroy(tj);
        for (int o = 1; o <= 8; o++) {
            unsigned long on = 0;
            unsigned char *oj = with_orientation(jpg, jn, o, &on);
            for (int denom = 1; denom <= 8; denom *= 2) {
                for (size_t k = 0; k < sizeof(rects) / sizeof(rects[0]); k++) {
                    struct region_req q = {{rects[k][0], rects[k][1], rects[k][2], rects[k][3]},
                                           denom};
                    struct ei__decode_req all = {1u << 30, true, region_need, &q, NULL};
                    struct ei__decode_req reg = {1u << 30, true, region_need, &q, region_cb};
                    ei_error_t err = {0};
                    ASSERT_OK(ei__image_decode_into(&dec, oj, on, "whole", &all, &whole, &err),
                              &err);
                    ASSERT_OK(ei__image_decode_into(&dec, oj, on, "part", &reg, &part, &err), &err);
                    ASSERT_EQ(part.w, whole.w);
                    ASSERT_EQ(part.h, whole.h);
                    int32_t r[4];
                    region_cb(&q, whole.w, whole.h, 0, 0, r);
                    for (int32_t y = r[1]; y < r[3]; y++) {
                        const uint8_t *a = whole.px + (size_t)y * whole.stride + (size_t)r[0] * 3;
                        const uint8_t *b = part.px + (size_t)y * part.stride + (size_t)r[0] * 3;
                        if (memcmp(a, b, (size_t)(r[2] - r[0]) * 3) != 0) {
                            fprintf(
                                stderr,
                                "file %d orientation %d 1/%d rect %d,%d-%d,%d: row %d differs\n", f,
                                o, denom, r[0], r[1], r[2], r[3], (int)y);
                            ASSERT_TRUE(0);
                        }
                    }
                    cases++;
                }
            }
            free(oj);
        }
        tjFree(jpg);
    }
    ASSERT_EQ(cases, 8 * 8 * 4 * 6);
    ei__decoder_dispose(&dec);
    ei__free(whole.px);
    ei__free(part.px);
    free(rgb);
}

/* Decodes `n` mutated copies of `src` (random bytes overwritten, random truncation): every
 * result must be EI_OK, EI_EFORMAT or EI_ELIMIT, never a crash (run under ASan/UBSan in CI). */
static int mutate_decode(const uint8_t *src, size_t len, int n, uint32_t seed)
{
    uint8_t *buf = malloc(len);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        memcpy(buf, src, len);
        size_t cut = len;
        int flips = 1 + (int)(seed % 8);
        for (int f = 0; f < flips; f++) {
            seed = seed * 1664525u + 1013904223u;
            buf[(seed >> 8) % len] = (uint8_t)(seed >> 24);
        }
        seed = seed * 1664525u + 1013904223u;
        if (seed % 4 == 0)
            cut = 8 + (seed >> 8) % (len - 8);
        ei_error_t err = {0};
        ei_image_t *img = NULL;
        ei_code_t rc = ei_image_decode(buf, cut, NULL, &img, &err);
        if (rc != EI_OK && rc != EI_EFORMAT && rc != EI_ELIMIT) {
            fprintf(stderr, "mutation %d: %s: %s\n", i, ei_code_name(rc), err.msg);
            bad = 1;
        }
        if (rc == EI_OK && (ei_image_width(img) <= 0 || ei_image_pixels(img) == NULL))
            bad = 1;
        ei_image_destroy(img);
    }
    free(buf);
    return !bad;
}

TEST(decode_mutations)
{
    unsigned long jn;
    unsigned char *jpg = make_jpeg(&jn, 0);
    ASSERT_TRUE(mutate_decode(jpg, jn, 1000, 1));
    tjFree(jpg);
    jpg = make_jpeg(&jn, 1);
    ASSERT_TRUE(mutate_decode(jpg, jn, 1000, 2));
    tjFree(jpg);
    size_t pn = 0;
    void *png = make_png(&pn);
    ASSERT_TRUE(mutate_decode(png, pn, 1000, 3));
    free(png);
    uint8_t *rgb = make_rgb(TW, TH);
    uint8_t *wp = NULL;
    size_t wn = WebPEncodeRGB(rgb, TW, TH, TW * 3, 80.0f, &wp);
    ASSERT_TRUE(mutate_decode(wp, wn, 1000, 4));
    WebPFree(wp);
    free(rgb);
}

TEST(oom_loop)
{
    unsigned long jn;
    unsigned char *jpg = make_jpeg(&jn, 0);
    ei_test_oom_install();
    int ok_at = -1;
    for (int n = 0; n < 200 && ok_at < 0; n++) {
        ei_error_t err = {0};
        ei_image_pipeline_t *p = NULL;
        ei_image_t *img = NULL;
        float *buf = malloc(3 * 224 * 224 * sizeof(float));
        ei_test_oom_arm(n);
        ei_code_t rc = ei_image_pipeline_create(NULL, &p, &err);
        if (rc == EI_OK)
            rc = ei_image_decode(jpg, jn, NULL, &img, &err);
        if (rc == EI_OK)
            rc = ei_image_pipeline_run(p, img, buf, 3 * 224 * 224 * sizeof(float), 0, NULL, &err);
        if (rc == EI_OK)
            rc = ei_image_pipeline_load_raw(p, NULL, jpg, jn, buf, 3 * 224 * 224 * sizeof(float), 0,
                                            NULL, &err);
        ei_test_oom_disarm();
        if (rc == EI_OK)
            ok_at = n;
        else if (rc != EI_ENOMEM)
            fprintf(stderr, "oom step %d: %s: %s\n", n, ei_code_name(rc), err.msg);
        ei_image_destroy(img);
        ei_image_pipeline_destroy(p);
        free(buf);
    }
    ei_test_oom_uninstall();
    tjFree(jpg);
    ASSERT_TRUE(ok_at > 0);
}

int main(void)
{
    return RUN_TESTS(decode_valid_formats, decode_truncated, decode_garbage, decode_files,
                     decode_bombs, exif_orientation_parse, orientation_copy,
                     geometry_crop_and_letterbox, kernel_values, opts_presets_and_shapes,
                     pipeline_tensor, pipeline_many_sizes, dct_scaling_size,
                     jpeg_region_decode_is_exact, oom_loop, decode_mutations);
}
