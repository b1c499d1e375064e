/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer ocr`: the text of images, line by line in reading order, with the bundled PP-OCR
 * models unless told otherwise; --json for machines, --draw for people (the image with numbered
 * boxes). The pipeline is the library's <edgeinfer/ocr.h>; this file is the arguments, the loop
 * over images and the printing.
 */
#include "cli.h"
#include "commands.h"
#include "image_args.h"
#include "output.h"
#include "session_args.h"

#include <edgeinfer/ocr.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CMD "ocr"

#ifndef EI_CLI_DEFAULT_OCR_MODELS
#define EI_CLI_DEFAULT_OCR_MODELS ""
#endif

enum {
    OPT_MODELS = 0x200,
    OPT_DET,
    OPT_CLS,
    OPT_REC,
    OPT_KEYS,
    OPT_JSON,
    OPT_DRAW,
    OPT_NO_ANGLE,
    OPT_TIMINGS,
    OPT_DET_THRESH,
    OPT_BOX_THRESH,
    OPT_UNCLIP,
    OPT_DET_LIMIT,
    OPT_CLS_THRESH,
    OPT_DROP_SCORE,
    OPT_REC_BATCH,
    OPT_CROP_MARGIN,
    OPT_CROP_MARGIN_X
};

static const struct option own_options[] = {
    {"models", required_argument, NULL, OPT_MODELS},
    {"det", required_argument, NULL, OPT_DET},
    {"cls", required_argument, NULL, OPT_CLS},
    {"rec", required_argument, NULL, OPT_REC},
    {"keys", required_argument, NULL, OPT_KEYS},
    {"json", no_argument, NULL, OPT_JSON},
    {"draw", required_argument, NULL, OPT_DRAW},
    {"no-angle", no_argument, NULL, OPT_NO_ANGLE},
    {"timings", no_argument, NULL, OPT_TIMINGS},
    {"det-thresh", required_argument, NULL, OPT_DET_THRESH},
    {"box-thresh", required_argument, NULL, OPT_BOX_THRESH},
    {"unclip-ratio", required_argument, NULL, OPT_UNCLIP},
    {"det-limit", required_argument, NULL, OPT_DET_LIMIT},
    {"cls-thresh", required_argument, NULL, OPT_CLS_THRESH},
    {"drop-score", required_argument, NULL, OPT_DROP_SCORE},
    {"rec-batch", required_argument, NULL, OPT_REC_BATCH},
    {"crop-margin", required_argument, NULL, OPT_CROP_MARGIN},
    {"crop-margin-x", required_argument, NULL, OPT_CROP_MARGIN_X},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct ocr_args {
    const char *models, *draw;
    bool json, timings;
    ei_ocr_opts_t o;
    char **images;
    size_t n_images;
    ei_cli_session_args_t sess;
} ocr_args_t;

static void print_help(void)
{
    printf("usage: edgeinfer ocr [options] IMAGE...\n"
           "\n"
           "Reads the text in JPEG, PNG and WebP images with PaddleOCR's PP-OCR models (text\n"
           "detection, line orientation, recognition) and prints it line by line in reading\n"
           "order. IMAGE may be a file, a directory (its images, sorted) or - (one image on\n"
           "stdin). Without --models, the bundled models are used ($EDGEINFER_OCR_MODELS, else\n"
           "the copy next to the program, else the build's .deps/models/ppocr).\n"
           "\n"
           "options:\n"
           "  --models DIR         folder with det.onnx, cls.onnx, rec.onnx and keys.txt\n"
           "  --det/--cls/--rec M  one model instead of the folder's\n"
           "  --keys FILE          the recognition dictionary, one character per line\n"
           "  --json               one JSON document: per image its lines (text, score,\n"
           "                       polygon) and timings\n"
           "  --draw OUT.png       write the image with numbered boxes (one image only)\n"
           "  --no-angle           skip the orientation model (lines upside down stay so)\n"
           "  --timings            time per stage (decode, detection, crops, orientation,\n"
           "                       recognition) in milliseconds\n"
           "  --det-thresh T       probability-map threshold (default 0.3)\n"
           "  --box-thresh T       minimum mean probability of a box (default 0.6)\n"
           "  --unclip-ratio R     box growth (default 1.5)\n"
           "  --det-limit N        longer side of the detection input at most N (default 960)\n"
           "  --cls-thresh T       '180' score above which a line is turned over (default 0.9)\n"
           "  --drop-score T       lines read with a lower score are dropped (default 0.5)\n"
           "  --rec-batch N        text lines per recognition run (default 6)\n"
           "  --crop-margin F      context above and below each line for recognition, as a\n"
           "                       fraction of its height (default 0.4; 0 = PaddleOCR's crop)\n"
           "  --crop-margin-x F    context at each end of a line (default 0.15)\n"
           "  -h, --help           this help\n"
           "\n" EI_CLI_SESSION_HELP);
}

static int parse_unit(const char *opt, const char *arg, double max, float *out)
{
    double v;
    if (!ei_cli_parse_double(arg, &v) || !(v >= 0 && v <= max))
        return ei_cli_usage_error(CMD, "%s: expected a number from 0 to %g, got '%s'", opt, max,
                                  arg);
    *out = (float)v;
    return -1;
}

/* Returns -1 when parsing went fine and the command should go on, otherwise an exit code. */
static int parse_args(int argc, char **argv, ocr_args_t *a)
{
    ei_cli_opts_t p;
    long long v = 0;

    memset(a, 0, sizeof(*a));
    ei_ocr_opts_init(&a->o);
    ei_cli_session_args_init(&a->sess);
    int opt, rc = ei_cli_opts_begin(&p, CMD, own_options, ":h", &a->sess, print_help);
    while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1) {
        switch (opt) {
        case OPT_MODELS:
            a->models = optarg;
            break;
        case OPT_DET:
            a->o.det_path = optarg;
            break;
        case OPT_CLS:
            a->o.cls_path = optarg;
            break;
        case OPT_REC:
            a->o.rec_path = optarg;
            break;
        case OPT_KEYS:
            a->o.keys_path = optarg;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_DRAW:
            a->draw = optarg;
            break;
        case OPT_NO_ANGLE:
            a->o.use_angle = false;
            break;
        case OPT_TIMINGS:
            a->timings = true;
            break;
        case OPT_DET_THRESH:
            rc = parse_unit("--det-thresh", optarg, 0.999, &a->o.det_thresh);
            break;
        case OPT_BOX_THRESH:
            rc = parse_unit("--box-thresh", optarg, 1, &a->o.box_thresh);
            break;
        case OPT_UNCLIP:
            rc = parse_unit("--unclip-ratio", optarg, 10, &a->o.unclip_ratio);
            break;
        case OPT_CLS_THRESH:
            rc = parse_unit("--cls-thresh", optarg, 1, &a->o.cls_thresh);
            break;
        case OPT_DROP_SCORE:
            rc = parse_unit("--drop-score", optarg, 1, &a->o.drop_score);
            break;
        case OPT_CROP_MARGIN:
            rc = parse_unit("--crop-margin", optarg, 4, &a->o.crop_margin);
            break;
        case OPT_CROP_MARGIN_X:
            rc = parse_unit("--crop-margin-x", optarg, 4, &a->o.crop_margin_x);
            break;
        case OPT_DET_LIMIT:
            if (!ei_cli_parse_int(optarg, 32, 8192, &v))
                return ei_cli_usage_error(CMD, "--det-limit: expected 32 to 8192, got '%s'",
                                          optarg);
            a->o.det_limit_side = (int32_t)v;
            break;
        case OPT_REC_BATCH:
            if (!ei_cli_parse_int(optarg, 1, 64, &v))
                return ei_cli_usage_error(CMD, "--rec-batch: expected 1 to 64, got '%s'", optarg);
            a->o.rec_batch = (size_t)v;
            break;
        }
    }
    if (rc != -1)
        return rc;
    if (optind >= argc)
        return ei_cli_usage_error(CMD, "missing IMAGE (give image files, a directory or -)");
    a->images = argv + optind;
    a->n_images = (size_t)(argc - optind);
    return -1;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return p != NULL && p[0] != '\0' && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The bundled models: $EDGEINFER_OCR_MODELS, <bin>/../share/edgeinfer/models/ppocr, or the
 * build tree's .deps/models/ppocr. */
static const char *default_models(char *buf, size_t size)
{
    const char *env = getenv("EDGEINFER_OCR_MODELS");
    if (env != NULL && env[0] != '\0')
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            int w = snprintf(buf, size, "%s/../share/edgeinfer/models/ppocr", exe);
            if (w > 0 && (size_t)w < size && is_dir(buf))
                return buf;
        }
    }
    return is_dir(EI_CLI_DEFAULT_OCR_MODELS) ? EI_CLI_DEFAULT_OCR_MODELS : NULL;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* Drawing ------------------------------------------------------------------------------------- */

/* 5 x 7 digits, one byte per row, bit 4 = leftmost column. */
static const uint8_t digits[10][7] = {
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1E, 0x01, 0x01, 0x0E, 0x01, 0x01, 0x1E},
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}};

static const uint8_t palette[6][3] = {{230, 25, 75},  {60, 180, 75},  {0, 130, 200},
                                      {245, 130, 48}, {145, 30, 180}, {0, 160, 160}};

struct canvas {
    uint8_t *px;
    int32_t w, h;
};

static void put(struct canvas *c, int32_t x, int32_t y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    memcpy(c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3, rgb, 3);
}

static void line(struct canvas *c, double x0, double y0, double x1, double y1, int thick,
                 const uint8_t rgb[3])
{
    double dx = x1 - x0, dy = y1 - y0;
    double len = dx * dx + dy * dy;
    int steps = (int)(len > 0 ? __builtin_sqrt(len) : 0) + 1;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        int32_t x = (int32_t)(x0 + t * dx), y = (int32_t)(y0 + t * dy);
        for (int a = 0; a < thick; a++)
            for (int b = 0; b < thick; b++)
                put(c, x + a - thick / 2, y + b - thick / 2, rgb);
    }
}

static void label(struct canvas *c, int32_t x, int32_t y, size_t number, int scale,
                  const uint8_t rgb[3])
{
    char s[24];
    int n = snprintf(s, sizeof(s), "%zu", number);
    int32_t bw = (int32_t)(n * 6 + 1) * scale, bh = 9 * scale;
    /* Above the box's corner, or inside it at the top of the image. */
    y -= bh;
    if (y < 0)
        y = 0;
    if (x + bw > c->w)
        x = c->w - bw;
    if (x < 0)
        x = 0;
    for (int32_t j = 0; j < bh; j++)
        for (int32_t i = 0; i < bw; i++)
            put(c, x + i, y + j, rgb);
    static const uint8_t white[3] = {255, 255, 255};
    for (int k = 0; k < n; k++)
        for (int r = 0; r < 7; r++)
            for (int col = 0; col < 5; col++)
                if (digits[s[k] - '0'][r] & (0x10 >> col))
                    for (int a = 0; a < scale; a++)
                        for (int b = 0; b < scale; b++)
                            put(c, x + (1 + k * 6 + col) * scale + a, y + (1 + r) * scale + b,
                                white);
}

static int draw(const char *out, const ei_image_t *img, const ei_ocr_result_t *r)
{
    struct canvas c = {NULL, ei_image_width(img), ei_image_height(img)};
    size_t row = (size_t)c.w * 3;
    c.px = malloc(row * (size_t)c.h);
    if (c.px == NULL) {
        ei_cli_errorc(EI_ENOMEM, "ocr: --draw: out of memory");
        return EI_EXIT_FAILURE;
    }
    for (int32_t y = 0; y < c.h; y++)
        memcpy(c.px + (size_t)y * row, ei_image_pixels(img) + (size_t)y * ei_image_stride(img),
               row);
    int longer = c.w > c.h ? c.w : c.h;
    int thick = longer > 1600 ? 3 : 2;
    int scale = longer > 1600 ? 3 : 2;
    for (size_t i = 0; i < r->n_lines; i++) {
        const float *b = r->lines[i].box;
        const uint8_t *col = palette[i % 6];
        for (int k = 0; k < 4; k++) {
            int n = (k + 1) % 4;
            line(&c, b[2 * k], b[2 * k + 1], b[2 * n], b[2 * n + 1], thick, col);
        }
    }
    /* Numbers last, so that no box line crosses one. */
    for (size_t i = 0; i < r->n_lines; i++)
        label(&c, (int32_t)r->lines[i].box[0], (int32_t)r->lines[i].box[1], i + 1, scale,
              palette[i % 6]);
    ei_error_t err = {0};
    int rc = EI_EXIT_OK;
    if (ei_image_write_png(out, c.px, c.w, c.h, 0, &err) != EI_OK)
        rc = ei_cli_fail(&err, "writing --draw image");
    free(c.px);
    return rc;
}

/* Output -------------------------------------------------------------------------------------- */

static json_t *timings_json(const ei_ocr_timings_t *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "decode", json_real(ms(t->decode)));
    json_object_set_new(o, "det_preprocess", json_real(ms(t->det_pre)));
    json_object_set_new(o, "det_inference", json_real(ms(t->det_infer)));
    json_object_set_new(o, "det_postprocess", json_real(ms(t->det_post)));
    json_object_set_new(o, "crop", json_real(ms(t->crop)));
    json_object_set_new(o, "cls", json_real(ms(t->cls)));
    json_object_set_new(o, "rec_preprocess", json_real(ms(t->rec_pre)));
    json_object_set_new(o, "rec_inference", json_real(ms(t->rec_infer)));
    json_object_set_new(o, "rec_postprocess", json_real(ms(t->rec_post)));
    json_object_set_new(o, "total", json_real(ms(t->total)));
    return o;
}

static json_t *result_json(const char *path, const ei_ocr_result_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "image", json_string(path));
    json_object_set_new(o, "width", json_integer(r->width));
    json_object_set_new(o, "height", json_integer(r->height));
    json_t *lines = json_array();
    for (size_t i = 0; i < r->n_lines; i++) {
        const ei_ocr_line_t *l = &r->lines[i];
        json_t *e = json_object();
        ei_cli_json_set_str(e, "text", l->text);
        json_object_set_new(e, "score", json_real(l->score));
        json_object_set_new(e, "box_score", json_real(l->box_score));
        json_object_set_new(e, "angle", json_integer(l->angle));
        json_t *poly = json_array();
        for (int k = 0; k < 4; k++) {
            json_t *p = json_array();
            json_array_append_new(p, json_real(l->box[2 * k]));
            json_array_append_new(p, json_real(l->box[2 * k + 1]));
            json_array_append_new(poly, p);
        }
        json_object_set_new(e, "polygon", poly);
        json_array_append_new(lines, e);
    }
    json_object_set_new(o, "lines", lines);
    json_object_set_new(o, "timings_ms", timings_json(&r->timings));
    return o;
}

static void print_timings(const char *path, const ei_ocr_timings_t *t)
{
    printf("%s: timings: decode %.2f ms, detection %.2f + %.2f + %.2f ms, crop %.2f ms, "
           "orientation %.2f ms, recognition %.2f + %.2f + %.2f ms, total %.2f ms\n",
           path, ms(t->decode), ms(t->det_pre), ms(t->det_infer), ms(t->det_post), ms(t->crop),
           ms(t->cls), ms(t->rec_pre), ms(t->rec_infer), ms(t->rec_post), ms(t->total));
}

/* Reads one image (a file or the stdin bytes) and runs OCR on it. */
static ei_code_t read_one(const ei_ocr_t *ocr, const ei_cli_images_t *im, size_t i,
                          uint64_t max_pixels, ei_image_t **img, ei_ocr_result_t *r,
                          ei_error_t *err)
{
    ei_image_decode_opts_t d;
    ei_image_decode_opts_init(&d);
    d.max_pixels = max_pixels;
    ei_code_t rc;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (strcmp(im->paths[i], "-") == 0)
        rc = ei_image_decode(im->stdin_data, im->stdin_size, &d, img, err);
    else
        rc = ei_image_load(im->paths[i], &d, img, err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc != EI_OK)
        return rc;
    rc = ei_ocr_run(ocr, *img, r, err);
    if (rc == EI_OK) {
        uint64_t dec = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u + (uint64_t)b.tv_nsec -
                       (uint64_t)a.tv_nsec;
        r->timings.decode = dec;
        r->timings.total += dec;
    }
    return rc;
}

static int run_ocr(int argc, char **argv)
{
    ocr_args_t a;
    ei_cli_images_t im = {0};
    ei_ocr_t *ocr = NULL;
    json_t *doc = NULL, *jresults = NULL, *jerrors = NULL;
    ei_error_t err = {0};
    char buf[PATH_MAX];
    size_t failed = 0;

    int rc = parse_args(argc, argv, &a);
    if (rc != -1)
        return rc;
    rc = ei_cli_images_expand(CMD, a.images, a.n_images, &im);
    if (rc != EI_EXIT_OK)
        return rc;
    if (a.draw != NULL && im.n != 1) {
        ei_cli_images_free(&im);
        return ei_cli_usage_error(CMD, "--draw takes one image, got %zu", im.n);
    }
    a.o.models_dir = a.models != NULL ? a.models : default_models(buf, sizeof(buf));
    if (a.o.models_dir == NULL &&
        (a.o.det_path == NULL || a.o.rec_path == NULL || a.o.keys_path == NULL ||
         (a.o.use_angle && a.o.cls_path == NULL))) {
        ei_cli_images_free(&im);
        ei_cli_errorc(EI_ENOENT,
                      "ocr: no bundled models found (set EDGEINFER_OCR_MODELS or give --models "
                      "DIR, or all of --det, --cls, --rec, --keys)");
        return EI_EXIT_USAGE;
    }
    rc = ei_cli_init_runtime(EI_LOG_WARN, a.sess.global_threads, a.sess.opts.intra_op_threads);
    if (rc != EI_EXIT_OK) {
        ei_cli_images_free(&im);
        return rc;
    }
    a.o.session = ei_cli_session_opts(&a.sess);
    if (ei_ocr_create(&a.o, &ocr, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "loading the OCR models");
        goto out;
    }
    if (a.json) {
        doc = json_object();
        jresults = json_array();
        jerrors = json_array();
        if (a.o.models_dir != NULL)
            json_object_set_new(doc, "models", json_string(a.o.models_dir));
        json_object_set_new(doc, "results", jresults);
        json_object_set_new(doc, "errors", jerrors);
    }
    ei_cli_progress_t prog;
    ei_cli_progress_init(&prog, im.n);
    for (size_t i = 0; i < im.n; i++) {
        const char *path = im.paths[i];
        ei_image_t *img = NULL;
        ei_ocr_result_t r;
        memset(&r, 0, sizeof(r));
        ei_cli_progress_step(&prog, i, path);
        ei_error_t e = {0};
        ei_code_t c = read_one(ocr, &im, i, a.o.max_pixels, &img, &r, &e);
        if (c != EI_OK) {
            failed++;
            ei_cli_progress_end(&prog);
            ei_cli_fail(&e, "reading the text of '%s'", path);
            if (jerrors != NULL) {
                json_t *o = json_object();
                json_object_set_new(o, "image", json_string(path));
                json_object_set_new(o, "code", json_string(ei_code_name(e.code)));
                ei_cli_json_set_str(o, "error", e.msg);
                json_array_append_new(jerrors, o);
            }
            ei_image_destroy(img);
            continue;
        }
        if (doc != NULL) {
            json_array_append_new(jresults, result_json(path, &r));
        } else {
            ei_cli_progress_end(&prog);
            if (im.n > 1)
                printf("%s==> %s <==\n", i > 0 ? "\n" : "", path);
            for (size_t k = 0; k < r.n_lines; k++)
                printf("%s\n", r.lines[k].text);
            if (a.timings)
                print_timings(path, &r.timings);
            fflush(stdout);
        }
        if (a.draw != NULL && draw(a.draw, img, &r) != EI_EXIT_OK)
            failed++;
        ei_ocr_result_dispose(&r);
        ei_image_destroy(img);
    }
    ei_cli_progress_end(&prog);
    rc = failed ? EI_EXIT_FAILURE : EI_EXIT_OK;
    if (doc != NULL) {
        json_t *s = json_object();
        json_object_set_new(s, "images", json_integer((json_int_t)im.n));
        json_object_set_new(s, "failed", json_integer((json_int_t)failed));
        json_object_set_new(doc, "summary", s);
        if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(7)) != 0) {
            ei_cli_errorc(EI_EIO, "ocr: cannot write the JSON output");
            rc = EI_EXIT_FAILURE;
        }
        printf("\n");
    }
    if (failed > 0 && im.n > 1)
        ei_cli_errorc(EI_ERUNTIME, "%zu of %zu images could not be read", failed, im.n);
out:
    json_decref(doc);
    ei_ocr_destroy(ocr);
    ei_cli_images_free(&im);
    ei_global_cleanup();
    return rc;
}

const ei_cli_command_t ei_cli_cmd_ocr = {"ocr", run_ocr,
                                         "read the text in images (PP-OCR detection, orientation, "
                                         "recognition)"};
