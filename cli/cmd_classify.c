/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer classify`: image classification over many files, N per model run. A producer thread
 * decodes and preprocesses the next batch straight into one of two input tensors while the main
 * thread runs the model on the other and prints the results (text or one JSON document), so
 * decoding overlaps inference. A file that cannot be read or decoded is reported on stderr and
 * skipped; the others are still classified and the exit code is 1. The head itself (softmax, top-k,
 * labels) is the library's <edgeinfer/classify.h>; this file is only the loop and the printing.
 */
#include "cli.h"
#include "commands.h"
#include "image_args.h"
#include "session_args.h"

#include <edgeinfer/classify.h>
#include <edgeinfer/image.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CMD "classify"

/* Our own long-only option values (below 0x1000, see session_args.h). */
enum {
    OPT_MODEL = 0x200,
    OPT_LABELS,
    OPT_PRESET,
    OPT_TOP_K,
    OPT_BATCH,
    OPT_JSON,
    OPT_TIMINGS,
    OPT_NO_SOFTMAX,
    OPT_LOGITS,
    OPT_DCT,
    OPT_OUTPUT,
    OPT_MAX_PIXELS,
    OPT_SIZE,
    OPT_RESIZE,
    OPT_FIT,
    OPT_MEAN,
    OPT_STD,
    OPT_SCALE,
    OPT_ORDER,
    OPT_LAYOUT,
    OPT_FILTER,
    OPT_NO_ANTIALIAS,
    OPT_PAD
};

static const struct option own_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"labels", required_argument, NULL, OPT_LABELS},
    {"preset", required_argument, NULL, OPT_PRESET},
    {"top-k", required_argument, NULL, OPT_TOP_K},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"json", no_argument, NULL, OPT_JSON},
    {"timings", no_argument, NULL, OPT_TIMINGS},
    {"no-softmax", no_argument, NULL, OPT_NO_SOFTMAX},
    {"logits", no_argument, NULL, OPT_LOGITS},
    {"dct-scaling", no_argument, NULL, OPT_DCT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"size", required_argument, NULL, OPT_SIZE},
    {"resize", required_argument, NULL, OPT_RESIZE},
    {"fit", required_argument, NULL, OPT_FIT},
    {"mean", required_argument, NULL, OPT_MEAN},
    {"std", required_argument, NULL, OPT_STD},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"order", required_argument, NULL, OPT_ORDER},
    {"layout", required_argument, NULL, OPT_LAYOUT},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"no-antialias", no_argument, NULL, OPT_NO_ANTIALIAS},
    {"pad", required_argument, NULL, OPT_PAD},
    {"max-image-pixels", required_argument, NULL, OPT_MAX_PIXELS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct classify_args {
    const char *model;
    const char *labels;
    const char *preset;
    const char *output;
    long long top_k;
    long long batch;
    long long max_pixels; /* 0 = the library's default */
    bool json, timings, no_softmax, logits, dct;
    bool top_k_given;
    char **images;
    size_t n_images;
    ei_cli_images_t inputs; /* the expanded IMAGE arguments (directories, '-') */
    /* Explicit preprocessing, applied over the preset: the options given, in order. */
    struct {
        int opt;
        const char *arg;
    } pre[32];
    size_t n_pre;
    ei_cli_session_args_t sess;
} classify_args_t;

static void print_help(void)
{
    printf(
        "usage: edgeinfer classify --model MODEL [options] IMAGE...\n"
        "\n"
        "Classifies JPEG, PNG and WebP images and prints the top-k classes of each, as\n"
        "'IMAGE: LABEL (SCORE)' lines or one JSON document. IMAGE may be a file, a directory\n"
        "(its images, sorted) or - (one image on stdin). Images are run N per model run;\n"
        "the next batch is decoded and preprocessed while the model runs the current one. An\n"
        "image that cannot be read or decoded is reported on stderr and skipped; the exit code\n"
        "is then 1.\n"
        "\n"
        "options:\n"
        "  --model MODEL      the ONNX classifier: one input [N,3,H,W] or [N,H,W,3], output\n"
        "                     [N, classes]; a fixed H and W are taken from the model\n"
        "  --labels FILE      class labels, one per line (default: the model's metadata keys\n"
        "                     labels/classes/names if present, else class indices)\n"
        "  --preset NAME      preprocessing: imagenet (default), raw, unit, ppocr; the options\n"
        "                     below change it (a fixed H and W in the model still win)\n"
        "  --size N|WxH       output size (N = N x N)\n"
        "  --resize N         shorter side before the centre crop (default 256/224 of the size)\n"
        "  --fit MODE         crop (resize shorter + centre crop), stretch, letterbox (keep\n"
        "                     aspect, pad with --pad), pad-right (PaddleOCR strips)\n"
        "  --mean A,B,C       per-channel mean (in output channel order), after --scale\n"
        "  --std A,B,C        per-channel std\n"
        "  --scale F          pixel multiplier before mean/std (1/255 = 0.00392157; 1 = raw)\n"
        "  --order rgb|bgr    channel order (Caffe models: bgr)\n"
        "  --layout nchw|nhwc tensor layout\n"
        "  --filter NAME      nearest, bilinear (default), bicubic, area\n"
        "  --no-antialias     no widened filter when downscaling (OpenCV-style sampling)\n"
        "  --pad R,G,B        letterbox colour (default 114,114,114)\n");
    printf(
        "  --top-k K          classes per image (default 5; 0 = all); clamped to the class count\n"
        "  --batch N          images per model run (default 1); a model with a fixed batch dim\n"
        "                     uses its own, padding the last batch\n"
        "  --no-softmax       print the raw model outputs instead of probabilities (by default\n"
        "                     softmax is applied unless the output already is a distribution)\n"
        "  --logits           also print each image's raw output row (JSON: \"logits\")\n"
        "  --json             one JSON document on stdout\n"
        "  --timings          per image: decode, preprocess, inference (its share of the\n"
        "                     batch), postprocess, in milliseconds; and a total\n"
        "  --dct-scaling      decode large JPEGs at 1/2, 1/4 or 1/8 scale (faster, no longer\n"
        "                     identical to a full decode)\n"
        "  --output NAME      the model output to read (default: the first)\n"
        "  --max-image-pixels N  refuse images with more than N pixels (width x height)\n"
        "                     before decoding them (default 100000000)\n"
        "  -h, --help         this help\n"
        "\n" EI_CLI_SESSION_HELP);
}

/* Returns -1 when parsing went fine and the command should go on, otherwise an exit code. */
static int parse_args(int argc, char **argv, classify_args_t *a)
{
    ei_cli_opts_t p;
    long long v = 0;

    memset(a, 0, sizeof(*a));
    a->top_k = 5;
    a->batch = 1;
    ei_cli_session_args_init(&a->sess);
    int opt, rc = ei_cli_opts_begin(&p, CMD, own_options, ":h", &a->sess, print_help);
    while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1) {
        switch (opt) {
        case OPT_MODEL:
            a->model = optarg;
            break;
        case OPT_LABELS:
            a->labels = optarg;
            break;
        case OPT_PRESET:
            a->preset = optarg;
            break;
        case OPT_OUTPUT:
            a->output = optarg;
            break;
        case OPT_TOP_K:
            if (!ei_cli_parse_int(optarg, 0, 1000000000, &v))
                return ei_cli_usage_error(CMD,
                                          "--top-k: expected an integer from 0 to "
                                          "1000000000, got '%s'",
                                          optarg);
            a->top_k = v;
            a->top_k_given = true;
            break;
        case OPT_BATCH:
            if (!ei_cli_parse_int(optarg, 1, 1024, &v))
                return ei_cli_usage_error(CMD,
                                          "--batch: expected an integer from 1 to 1024, "
                                          "got '%s'",
                                          optarg);
            a->batch = v;
            break;
        case OPT_MAX_PIXELS:
            if (!ei_cli_parse_int(optarg, 1, 1000000000000LL, &v))
                return ei_cli_usage_error(CMD,
                                          "--max-image-pixels: expected an integer from 1 to "
                                          "1000000000000, got '%s'",
                                          optarg);
            a->max_pixels = v;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_TIMINGS:
            a->timings = true;
            break;
        case OPT_NO_SOFTMAX:
            a->no_softmax = true;
            break;
        case OPT_LOGITS:
            a->logits = true;
            break;
        case OPT_DCT:
            a->dct = true;
            break;
        case OPT_SIZE:
        case OPT_RESIZE:
        case OPT_FIT:
        case OPT_MEAN:
        case OPT_STD:
        case OPT_SCALE:
        case OPT_ORDER:
        case OPT_LAYOUT:
        case OPT_FILTER:
        case OPT_NO_ANTIALIAS:
        case OPT_PAD:
            if (a->n_pre == sizeof(a->pre) / sizeof(a->pre[0]))
                return ei_cli_usage_error(CMD, "too many preprocessing options");
            a->pre[a->n_pre].opt = opt;
            a->pre[a->n_pre].arg = optarg;
            a->n_pre++;
            break;
        }
    }
    if (rc != -1)
        return rc;
    if (a->model == NULL)
        return ei_cli_usage_error(CMD, "missing --model MODEL");
    if (optind >= argc)
        return ei_cli_usage_error(CMD,
                                  "missing IMAGE (give image files, a directory or - for stdin)");
    a->images = argv + optind;
    a->n_images = (size_t)(argc - optind);
    return -1;
}

/* Three comma-separated numbers. */
static bool parse3(const char *s, float v[3])
{
    char buf[128];
    if (strlen(s) >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%s", s);
    char *p = buf;
    for (int i = 0; i < 3; i++) {
        char *comma = strchr(p, ',');
        if ((i < 2) != (comma != NULL))
            return false;
        if (comma != NULL)
            *comma = '\0';
        double d;
        if (!ei_cli_parse_double(p, &d))
            return false;
        v[i] = (float)d;
        p = comma != NULL ? comma + 1 : p;
    }
    return true;
}

/* Applies --size, --mean... over the preset's options. Returns -1 or a usage exit code. */
static int apply_preprocessing(const classify_args_t *a, ei_image_opts_t *o)
{
    for (size_t i = 0; i < a->n_pre; i++) {
        const char *v = a->pre[i].arg;
        long long n = 0;
        double d = 0;
        float f3[3];
        switch (a->pre[i].opt) {
        case OPT_SIZE: {
            long long w = 0, h = 0;
            char buf[64];
            snprintf(buf, sizeof(buf), "%s", v);
            char *x = strchr(buf, 'x');
            if (x != NULL)
                *x = '\0';
            if (!ei_cli_parse_int(buf, 1, 16384, &w) ||
                (x != NULL && !ei_cli_parse_int(x + 1, 1, 16384, &h)))
                return ei_cli_usage_error(CMD, "--size: expected N or WxH (1 to 16384), got '%s'",
                                          v);
            o->width = (int32_t)w;
            o->height = (int32_t)(x != NULL ? h : w);
            o->resize_shorter = 0; /* derived from the size unless --resize follows */
            break;
        }
        case OPT_RESIZE:
            if (!ei_cli_parse_int(v, 1, 65536, &n))
                return ei_cli_usage_error(CMD, "--resize: expected 1 to 65536, got '%s'", v);
            o->resize_shorter = (int32_t)n;
            o->fit = EI_FIT_SHORTER_CROP;
            break;
        case OPT_FIT:
            if (strcmp(v, "crop") == 0)
                o->fit = EI_FIT_SHORTER_CROP;
            else if (strcmp(v, "stretch") == 0)
                o->fit = EI_FIT_STRETCH;
            else if (strcmp(v, "letterbox") == 0)
                o->fit = EI_FIT_LETTERBOX;
            else if (strcmp(v, "pad-right") == 0)
                o->fit = EI_FIT_PAD_RIGHT;
            else
                return ei_cli_usage_error(
                    CMD, "--fit: expected crop, stretch, letterbox or pad-right, got '%s'", v);
            break;
        case OPT_MEAN:
            if (!parse3(v, f3))
                return ei_cli_usage_error(CMD, "--mean: expected three numbers A,B,C, got '%s'", v);
            memcpy(o->mean, f3, sizeof(f3));
            break;
        case OPT_STD:
            if (!parse3(v, f3) || !(f3[0] != 0 && f3[1] != 0 && f3[2] != 0))
                return ei_cli_usage_error(
                    CMD, "--std: expected three non-zero numbers A,B,C, got '%s'", v);
            memcpy(o->std, f3, sizeof(f3));
            break;
        case OPT_SCALE:
            if (!ei_cli_parse_double(v, &d) || !(d > 0 && d <= 1e6))
                return ei_cli_usage_error(CMD, "--scale: expected a positive number, got '%s'", v);
            o->scale = (float)d;
            break;
        case OPT_ORDER:
            if (strcmp(v, "rgb") != 0 && strcmp(v, "bgr") != 0)
                return ei_cli_usage_error(CMD, "--order: expected rgb or bgr, got '%s'", v);
            o->order = strcmp(v, "bgr") == 0 ? EI_ORDER_BGR : EI_ORDER_RGB;
            break;
        case OPT_LAYOUT:
            if (strcmp(v, "nchw") != 0 && strcmp(v, "nhwc") != 0)
                return ei_cli_usage_error(CMD, "--layout: expected nchw or nhwc, got '%s'", v);
            o->layout = strcmp(v, "nhwc") == 0 ? EI_LAYOUT_NHWC : EI_LAYOUT_NCHW;
            break;
        case OPT_FILTER: {
            int f = ei_image_filter_parse(v);
            if (f < 0)
                return ei_cli_usage_error(
                    CMD, "--filter: expected nearest, bilinear, bicubic or area, got '%s'", v);
            o->filter = (ei_image_filter_t)f;
            break;
        }
        case OPT_NO_ANTIALIAS:
            o->antialias = false;
            break;
        case OPT_PAD:
            if (!parse3(v, f3) || f3[0] < 0 || f3[0] > 255 || f3[1] < 0 || f3[1] > 255 ||
                f3[2] < 0 || f3[2] > 255)
                return ei_cli_usage_error(CMD, "--pad: expected R,G,B from 0 to 255, got '%s'", v);
            for (int c = 0; c < 3; c++)
                o->pad_rgb[c] = (uint8_t)f3[c];
            break;
        default:
            break;
        }
    }
    return -1;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The pipelined loop ------------------------------------------------------------------------- */

enum { BUF_FREE = 0, BUF_FULL = 1 };

/* One of the two input buffers: a batch being filled by the producer or run by the consumer. */
struct batch_buf {
    ei_tensor_t *input;
    int state;
    size_t n;         /* images in it */
    size_t *image;    /* slot -> index into the image list */
    uint64_t *decode; /* per slot */
    uint64_t *prep;
};

struct loop {
    ei_classifier_t *cls;
    const classify_args_t *args;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch_buf buf[2];
    bool done;       /* the producer has published everything */
    bool stop;       /* the consumer gave up: the producer should end */
    size_t failed;   /* images that could not be decoded (written by the producer) */
    json_t *jerrors; /* --json: the failed images (the producer's until it is joined) */
    ei_image_pipeline_t *pipeline; /* the producer's own */
    ei_cli_progress_t prog;        /* the consumer's */
};

static void report_bad_image(const char *path, const ei_error_t *e)
{
    flockfile(stderr);
    ei_cli_fail(e, "skipping image '%s'", path);
    funlockfile(stderr);
}

/* Decodes and preprocesses image `i` into slot `slot` of `b`; false when the image is bad. */
static bool load_one(struct loop *L, struct batch_buf *b, size_t slot, size_t i)
{
    const char *path = L->args->images[i];
    const ei_image_opts_t *io = ei_image_pipeline_opts(L->pipeline);
    ei_error_t e = {0};
    ei_code_t rc;
    uint64_t t0 = now_ns(), t1, t2;
    const ei_cli_images_t *in = &L->args->inputs;
    bool from_stdin = strcmp(path, "-") == 0;
    if (io->dct_scaling) {
        /* The pipeline picks the DCT scale from the target size: decode and resize are one call. */
        if (from_stdin)
            rc = ei_image_pipeline_decode(L->pipeline, in->stdin_data, in->stdin_size, b->input,
                                          slot, NULL, &e);
        else
            rc = ei_image_pipeline_load(L->pipeline, path, b->input, slot, NULL, &e);
        t1 = t2 = now_ns();
    } else {
        ei_image_decode_opts_t d;
        ei_image_decode_opts_init(&d);
        d.max_pixels = io->max_pixels;
        ei_image_t *img = NULL;
        rc = from_stdin ? ei_image_decode(in->stdin_data, in->stdin_size, &d, &img, &e)
                        : ei_image_load(path, &d, &img, &e);
        t1 = now_ns();
        if (rc == EI_OK)
            rc = ei_image_pipeline_run_tensor(L->pipeline, img, b->input, slot, NULL, &e);
        t2 = now_ns();
        ei_image_destroy(img);
    }
    if (rc != EI_OK) {
        report_bad_image(path, &e);
        if (L->jerrors != NULL) {
            json_t *o = json_object();
            json_object_set_new(o, "image", json_string(path));
            json_object_set_new(o, "code", json_string(ei_code_name(e.code)));
            json_object_set_new(o, "error", json_string(e.msg));
            json_array_append_new(L->jerrors, o);
        }
        return false;
    }
    b->image[slot] = i;
    b->decode[slot] = t1 - t0;
    b->prep[slot] = t2 - t1;
    return true;
}

static void *producer(void *arg)
{
    struct loop *L = arg;
    size_t cap = ei_classifier_batch(L->cls);
    size_t next = 0, cur = 0;
    for (;;) {
        struct batch_buf *b = &L->buf[cur];
        pthread_mutex_lock(&L->mu);
        while (b->state != BUF_FREE && !L->stop)
            pthread_cond_wait(&L->cv, &L->mu);
        bool stop = L->stop;
        pthread_mutex_unlock(&L->mu);
        if (stop)
            break;
        size_t n = 0;
        while (n < cap && next < L->args->n_images) {
            if (load_one(L, b, n, next))
                n++;
            else
                L->failed++;
            next++;
        }
        pthread_mutex_lock(&L->mu);
        if (n > 0) {
            b->n = n;
            b->state = BUF_FULL;
        }
        if (next >= L->args->n_images)
            L->done = true;
        pthread_cond_broadcast(&L->cv);
        bool finished = L->done;
        pthread_mutex_unlock(&L->mu);
        if (finished)
            break;
        cur ^= 1;
    }
    return NULL;
}

/* Output -------------------------------------------------------------------------------------- */

static const char *label_or_index(const ei_class_score_t *s, char *buf, size_t size)
{
    if (s->label != NULL && s->label[0] != '\0')
        return s->label;
    snprintf(buf, size, "%zu", s->index);
    return buf;
}

static void print_text(const classify_args_t *a, const char *path, const ei_classify_result_t *r,
                       uint64_t dec, uint64_t prep)
{
    char idx[32];
    for (size_t k = 0; k < r->n_top; k++)
        printf("%s: %s (%.4f)\n", path, label_or_index(&r->top[k], idx, sizeof(idx)),
               (double)r->top[k].score);
    if (a->logits && r->logits != NULL) {
        printf("%s: logits:", path);
        for (size_t i = 0; i < r->n_classes; i++)
            printf(" %.9g", (double)r->logits[i]);
        printf("\n");
    }
    if (a->timings)
        printf("%s: timings: decode %.3f ms, preprocess %.3f ms, inference %.3f ms, "
               "postprocess %.3f ms\n",
               path, ms(dec), ms(prep), ms(r->infer_ns), ms(r->postprocess_ns));
}

static json_t *result_json(const classify_args_t *a, const char *path,
                           const ei_classify_result_t *r, uint64_t dec, uint64_t prep)
{
    json_t *o = json_object();
    json_t *top = json_array();
    json_object_set_new(o, "image", json_string(path));
    for (size_t k = 0; k < r->n_top; k++) {
        const ei_class_score_t *s = &r->top[k];
        json_t *e = json_object();
        json_object_set_new(e, "index", json_integer((json_int_t)s->index));
        json_object_set_new(e, "label",
                            s->label != NULL && s->label[0] != '\0' ? json_string(s->label)
                                                                    : json_null());
        json_object_set_new(e, "score", json_real((double)s->score));
        json_array_append_new(top, e);
    }
    json_object_set_new(o, "top", top);
    json_object_set_new(o, "softmax", json_boolean(r->softmax_applied));
    if (a->logits && r->logits != NULL) {
        json_t *l = json_array();
        for (size_t i = 0; i < r->n_classes; i++)
            json_array_append_new(l, json_real((double)r->logits[i]));
        json_object_set_new(o, "logits", l);
    }
    if (a->timings) {
        json_t *t = json_object();
        json_object_set_new(t, "decode", json_real(ms(dec)));
        json_object_set_new(t, "preprocess", json_real(ms(prep)));
        json_object_set_new(t, "inference", json_real(ms(r->infer_ns)));
        json_object_set_new(t, "postprocess", json_real(ms(r->postprocess_ns)));
        json_object_set_new(o, "timings_ms", t);
    }
    return o;
}

/* The consumer: runs each full buffer and prints. Returns false on a model failure. */
static bool consume(struct loop *L, json_t *jresults, size_t *classified, uint64_t *sums)
{
    const classify_args_t *a = L->args;
    size_t cap = ei_classifier_batch(L->cls);
    ei_classify_result_t *res = calloc(cap, sizeof(*res));
    bool ok = res != NULL;
    if (!ok)
        ei_cli_errorc(EI_ENOMEM, "classify: out of memory");
    for (size_t cur = 0; ok; cur ^= 1) {
        struct batch_buf *b = &L->buf[cur];
        pthread_mutex_lock(&L->mu);
        while (b->state != BUF_FULL && !L->done)
            pthread_cond_wait(&L->cv, &L->mu);
        bool have = b->state == BUF_FULL;
        pthread_mutex_unlock(&L->mu);
        if (!have)
            break;
        ei_error_t err = {0};
        if (ei_classifier_run_tensor(L->cls, b->input, b->n, res, &err) != EI_OK) {
            ei_cli_fail(&err, "classifying images %s..%s", a->images[b->image[0]],
                        a->images[b->image[b->n - 1]]);
            ok = false;
            break;
        }
        ei_cli_progress_end(&L->prog);
        for (size_t j = 0; j < b->n; j++) {
            const char *path = a->images[b->image[j]];
            if (jresults != NULL)
                json_array_append_new(jresults,
                                      result_json(a, path, &res[j], b->decode[j], b->prep[j]));
            else
                print_text(a, path, &res[j], b->decode[j], b->prep[j]);
            sums[0] += b->decode[j];
            sums[1] += b->prep[j];
            sums[2] += res[j].infer_ns;
            sums[3] += res[j].postprocess_ns;
            ei_classify_result_dispose(&res[j]);
        }
        *classified += b->n;
        if (jresults == NULL)
            fflush(stdout);
        ei_cli_progress_step(&L->prog, *classified, a->images[b->image[b->n - 1]]);
        pthread_mutex_lock(&L->mu);
        b->state = BUF_FREE;
        pthread_cond_broadcast(&L->cv);
        pthread_mutex_unlock(&L->mu);
    }
    if (!ok) {
        pthread_mutex_lock(&L->mu);
        L->stop = true;
        pthread_cond_broadcast(&L->cv);
        pthread_mutex_unlock(&L->mu);
    }
    free(res);
    return ok;
}

static int run_classify(int argc, char **argv)
{
    classify_args_t a;
    ei_classifier_t *cls = NULL;
    struct loop L;
    json_t *doc = NULL, *jresults = NULL;
    ei_error_t err = {0};
    bool thread_started = false, sync_made = false;
    pthread_t th;
    uint64_t sums[4] = {0, 0, 0, 0};
    size_t classified = 0;

    memset(&L, 0, sizeof(L));
    int rc = parse_args(argc, argv, &a);
    if (rc != -1)
        return rc;

    /* The preset is checked before the model is loaded, as a usage error. */
    ei_image_opts_t io;
    const char *preset = a.preset != NULL ? a.preset : "imagenet";
    if (ei_image_opts_preset(&io, preset, &err) != EI_OK)
        return ei_cli_usage_error(CMD, "--preset: %s", err.msg);
    io.dct_scaling = a.dct;
    rc = apply_preprocessing(&a, &io);
    if (rc != -1)
        return rc;
    rc = ei_cli_images_expand(CMD, a.images, a.n_images, &a.inputs);
    if (rc != EI_EXIT_OK)
        return rc;
    a.images = a.inputs.paths;
    a.n_images = a.inputs.n;
    if (a.max_pixels > 0)
        io.max_pixels = (uint64_t)a.max_pixels;

    rc = ei_cli_init_runtime(EI_LOG_WARN, a.sess.global_threads, a.sess.opts.intra_op_threads);
    if (rc != EI_EXIT_OK) {
        ei_cli_images_free(&a.inputs);
        return rc;
    }

    ei_classifier_opts_t co;
    ei_classifier_opts_init(&co);
    co.image = &io;
    co.labels_path = a.labels;
    co.top_k = (size_t)a.top_k;
    co.softmax = a.no_softmax ? EI_SOFTMAX_NEVER : EI_SOFTMAX_AUTO;
    co.batch = (size_t)a.batch;
    co.session = ei_cli_session_opts(&a.sess);
    co.output_name = a.output;
    co.keep_logits = a.logits;
    rc = ei_cli_session_load_keys(&a.sess);
    if (rc != EI_EXIT_OK) {
        ei_cli_images_free(&a.inputs);
        return rc;
    }
    bool created = ei_classifier_create(a.model, &co, &cls, &err) == EI_OK;
    ei_cli_session_args_dispose(&a.sess); /* the keys are needed only to load */
    if (!created) {
        rc = ei_cli_fail(&err, "loading the classifier");
        goto out;
    }
    size_t n_classes = ei_classifier_class_count(cls);
    if (a.top_k_given && a.top_k > 0 && n_classes > 0 && (size_t)a.top_k > n_classes)
        ei_cli_warn("--top-k %lld is more than the model's %zu classes: showing %zu", a.top_k,
                    n_classes, n_classes);

    size_t cap = ei_classifier_batch(cls);
    L.cls = cls;
    L.args = &a;
    for (int i = 0; i < 2; i++) {
        struct batch_buf *b = &L.buf[i];
        b->image = calloc(cap, sizeof(*b->image));
        b->decode = calloc(cap, sizeof(*b->decode));
        b->prep = calloc(cap, sizeof(*b->prep));
        if (b->image == NULL || b->decode == NULL || b->prep == NULL) {
            ei_cli_errorc(EI_ENOMEM, "classify: out of memory");
            rc = EI_EXIT_FAILURE;
            goto out;
        }
        if (ei_classifier_create_input(cls, &b->input, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "creating the input tensors");
            goto out;
        }
    }
    if (ei_image_pipeline_create(ei_classifier_image_opts(cls), &L.pipeline, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "creating the image pipeline");
        goto out;
    }
    if (a.json) {
        doc = json_object();
        jresults = json_array();
        json_object_set_new(doc, "model", json_string(a.model));
        json_object_set_new(doc, "preset", json_string(preset));
        json_object_set_new(doc, "batch", json_integer((json_int_t)cap));
        json_object_set_new(doc, "results", jresults);
        L.jerrors = json_array();
        json_object_set_new(doc, "errors", L.jerrors);
    }

    ei_cli_progress_init(&L.prog, a.n_images);
    pthread_mutex_init(&L.mu, NULL);
    pthread_cond_init(&L.cv, NULL);
    sync_made = true;
    uint64_t t0 = now_ns();
    if (pthread_create(&th, NULL, producer, &L) != 0) {
        ei_cli_errorc(EI_ERUNTIME, "classify: cannot start the decoding thread");
        rc = EI_EXIT_FAILURE;
        goto out;
    }
    thread_started = true;
    bool ok = consume(&L, jresults, &classified, sums);
    pthread_join(th, NULL);
    thread_started = false;
    uint64_t wall = now_ns() - t0;

    rc = ok && L.failed == 0 ? EI_EXIT_OK : EI_EXIT_FAILURE;
    if (!ok)
        goto out;
    if (doc != NULL) {
        json_t *s = json_object();
        json_object_set_new(s, "images", json_integer((json_int_t)a.n_images));
        json_object_set_new(s, "classified", json_integer((json_int_t)classified));
        json_object_set_new(s, "failed", json_integer((json_int_t)L.failed));
        if (a.timings) {
            double d = classified ? (double)classified : 1.0;
            json_object_set_new(s, "wall_ms", json_real(ms(wall)));
            json_object_set_new(s, "images_per_s",
                                json_real(wall ? (double)classified * 1e9 / (double)wall : 0.0));
            json_object_set_new(s, "mean_decode_ms", json_real(ms(sums[0]) / d));
            json_object_set_new(s, "mean_preprocess_ms", json_real(ms(sums[1]) / d));
            json_object_set_new(s, "mean_inference_ms", json_real(ms(sums[2]) / d));
            json_object_set_new(s, "mean_postprocess_ms", json_real(ms(sums[3]) / d));
        }
        json_object_set_new(doc, "summary", s);
        /* 9 significant digits round-trip a float32 exactly, without double noise digits. */
        if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) != 0) {
            ei_cli_errorc(EI_EIO, "classify: cannot write the JSON output");
            rc = EI_EXIT_FAILURE;
        }
        printf("\n");
    } else if (a.timings) {
        double d = classified ? (double)classified : 1.0;
        printf("total: %zu images classified, %zu failed, %.3f ms wall (%.1f images/s); mean "
               "decode %.3f ms, preprocess %.3f ms, inference %.3f ms, postprocess %.3f ms\n",
               classified, L.failed, ms(wall), wall ? (double)classified * 1e9 / (double)wall : 0.0,
               ms(sums[0]) / d, ms(sums[1]) / d, ms(sums[2]) / d, ms(sums[3]) / d);
    }
    if (L.failed > 0 && !a.json)
        ei_cli_errorc(EI_ERUNTIME, "%zu of %zu images could not be classified", L.failed,
                      a.n_images);
out:
    if (thread_started) {
        /* Only reached on an early exit; make the producer end before freeing its buffers. */
        pthread_mutex_lock(&L.mu);
        L.stop = true;
        pthread_cond_broadcast(&L.cv);
        pthread_mutex_unlock(&L.mu);
        pthread_join(th, NULL);
    }
    if (sync_made) {
        pthread_cond_destroy(&L.cv);
        pthread_mutex_destroy(&L.mu);
    }
    for (int i = 0; i < 2; i++) {
        ei_tensor_destroy(L.buf[i].input);
        free(L.buf[i].image);
        free(L.buf[i].decode);
        free(L.buf[i].prep);
    }
    ei_image_pipeline_destroy(L.pipeline);
    json_decref(doc);
    ei_cli_progress_end(&L.prog);
    ei_cli_images_free(&a.inputs);
    ei_classifier_destroy(cls);
    ei_global_cleanup();
    return rc;
}

const ei_cli_command_t ei_cli_cmd_classify = {
    "classify", run_classify, "classify images (top-k labels), decoding while the model runs"};
