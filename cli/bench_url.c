/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer bench --url URL --model M`: options, the model's metadata and config, the steps of a
 * concurrency or rate sweep, and the reports (text table, --json, --csv). The load itself is in
 * bench_load.c, the request bodies in bench_body.c (see bench_url.h for the split).
 */
#include "bench_url.h"

#include "session_args.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "bench"
#define MAX_STEPS 64
#define MAX_LIST 64

enum {
    OPT_URL = 0x100,
    OPT_MODEL,
    OPT_VERSION,
    OPT_CONCURRENCY,
    OPT_RATE,
    OPT_MAX_INFLIGHT,
    OPT_ENDPOINT,
    OPT_FORMAT,
    OPT_IMAGE,
    OPT_PRESET,
    OPT_SHAPE,
    OPT_BATCH,
    OPT_ZEROS,
    OPT_SEED,
    OPT_DURATION,
    OPT_WARMUP,
    OPT_STABILITY,
    OPT_MAX_WINDOWS,
    OPT_MIN_REQUESTS,
    OPT_TIMEOUT,
    OPT_API_KEY,
    OPT_PROTOCOL,
    OPT_JSON,
    OPT_CSV,
    OPT_QUIET,
};

static const struct option options[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"model", required_argument, NULL, OPT_MODEL},
    {"model-version", required_argument, NULL, OPT_VERSION},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"rate", required_argument, NULL, OPT_RATE},
    {"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"preset", required_argument, NULL, OPT_PRESET},
    {"input", required_argument, NULL, 'i'},
    {"shape", required_argument, NULL, OPT_SHAPE},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"zeros", no_argument, NULL, OPT_ZEROS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"stability", required_argument, NULL, OPT_STABILITY},
    {"max-windows", required_argument, NULL, OPT_MAX_WINDOWS},
    {"min-requests", required_argument, NULL, OPT_MIN_REQUESTS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"header", required_argument, NULL, 'H'},
    {"api-key", required_argument, NULL, OPT_API_KEY},
    {"protocol", required_argument, NULL, OPT_PROTOCOL},
    {"json", no_argument, NULL, OPT_JSON},
    {"csv", no_argument, NULL, OPT_CSV},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct args {
    const char *url;
    const char *model;
    const char *version;
    bool by_rate;
    double steps[MAX_STEPS];
    size_t n_steps;
    int max_inflight;
    bool classify, endpoint_given;
    bool binary;
    const char *images[MAX_LIST];
    size_t n_images;
    const char *preset;
    ei_bl_input_file_t files[MAX_LIST];
    size_t n_files;
    ei_bl_shape_arg_t shapes[MAX_LIST];
    size_t n_shapes;
    int64_t batch;
    bool zeros;
    uint64_t seed;
    double window_s, warmup_s, stability, timeout_s;
    int max_windows;
    long long min_requests;
    bool grpc;
    const char *target; /* gRPC: HOST:PORT */
    const char *headers[MAX_LIST + 1];
    size_t n_headers;
    char auth[1024];
    bool json, csv, quiet;
} args_t;

void ei_cli_bench_url_help(void);
void ei_cli_bench_url_help(void)
{
    printf(
        "usage: edgeinfer bench --url URL --model M [--concurrency SPEC | --rate SPEC]\n"
        "                       [--protocol http|grpc] [--endpoint infer|classify]\n"
        "                       [--format binary|json]\n"
        "                       [-i NAME=FILE]... [--image FILE]... [--shape NAME=D,D,...]...\n"
        "                       [--duration S] [--warmup S] [--json | --csv] [options]\n\n"
        "Load-tests a KServe v2 server (edgeinfer serve, Triton, others) over HTTP or gRPC, like\n"
        "perf_analyzer: for each step of a concurrency (closed loop) or request-rate (open\n"
        "loop) sweep, a warm-up, then measurement windows until the last three agree; per step\n"
        "throughput, latency p50/p90/p95/p99/max of the successful requests, errors by HTTP\n"
        "or gRPC status or transport failure (counted, never fatal), and the server's own queue\n"
        "and compute time per request from the deltas of its statistics (HTTP: GET .../stats;\n"
        "gRPC: the ModelStatistics call).\n\n"
        "target:\n"
        "  --url URL              the server, e.g. http://127.0.0.1:8000; with gRPC HOST:PORT or\n"
        "                         grpc://HOST:PORT (implies --protocol grpc)\n"
        "  --model M              the model; --model-version V pins a version\n"
        "  --protocol P           http (default) or grpc: unary ModelInfer calls on one channel\n"
        "                         (plaintext), tensors as raw_input_contents; metadata, config\n"
        "                         and statistics over gRPC too\n"
        "  -H, --header 'K: V'    an extra request header (repeatable; gRPC: call metadata)\n"
        "  --api-key KEY          send 'Authorization: Bearer KEY' (also $EDGEINFER_API_KEY)\n"
        "  --timeout S            per-request timeout (default 30); a timeout is an error\n"
        "                         (gRPC: the call's deadline, counted as DEADLINE_EXCEEDED)\n\n"
        "load:\n"
        "  --concurrency SPEC     requests kept in flight: N, A:B (step 1), A:B:S or A:B:xF\n"
        "                         (e.g. 1:32:x2 = 1 2 4 8 16 32); default 1\n"
        "  --rate SPEC            requests per second, evenly spaced, instead (same forms)\n"
        "  --max-inflight N       with --rate: at most N in flight (default 256); later\n"
        "                         sends wait and are counted as late\n"
        "  --duration S           measurement window (default 2)\n"
        "  --warmup S             unmeasured load before each step (default 1)\n"
        "  --stability PCT        windows agree when throughput and mean latency are within\n"
        "                         PCT%% of their mean over the last three (default 10)\n"
        "  --max-windows N        windows per step at most (default 6; 1 = no stability check)\n"
        "  --min-requests N       a window also lasts until N requests ended in it (default 0)\n\n"
        "requests:\n"
        "  --endpoint E           infer (default) or classify (POST images to /classify;\n"
        "                         the default when --image is given, unless the model takes\n"
        "                         images as BYTES, e.g. an OCR pipeline model)\n"
        "  --format F             binary (Triton's binary tensor extension, default) or json\n"
        "  -i, --input NAME=FILE  input NAME from a .npy or .pb file (others are generated)\n"
        "  --image FILE           an image (repeatable, sent round-robin): raw to /classify,\n"
        "                         or for /infer and gRPC preprocessed into the model's image\n"
        "                         input, or sent as is into its BYTES input when it has one\n"
        "  --preset P             image preset for /infer (default: the model config's\n"
        "                         image_preset parameter, else imagenet)\n"
        "  --shape NAME=D,D,...   the whole shape of input NAME (needed for variable dims\n"
        "                         past the first)\n"
        "  --batch N              a variable first dim (the batch dim; default 1)\n"
        "  --zeros, --seed N      generated inputs: zeros, or random from seed N (default 0)\n\n"
        "output:\n"
        "  --json | --csv         the report as JSON or CSV on stdout\n"
        "  --quiet                no progress line on stderr\n\n"
        "exit status: 0 done (errors are reported, not fatal), 1 the model's metadata cannot\n"
        "be read, the inputs cannot be built, or no request succeeded at all, 2 usage error\n");
}

/* "N", "A:B", "A:B:S" or "A:B:xF" into a list of step values. */
static bool parse_spec(const char *s, bool integer, double *out, size_t *n)
{
    char tmp[128];
    if (strlen(s) >= sizeof(tmp))
        return false;
    snprintf(tmp, sizeof(tmp), "%s", s);
    char *parts[3] = {tmp, NULL, NULL};
    size_t np = 1;
    for (char *p = tmp; *p; p++) {
        if (*p == ':') {
            if (np == 3)
                return false;
            *p = '\0';
            parts[np++] = p + 1;
        }
    }
    double a = 0, b = 0, step = 1;
    bool mul = false;
    if (!ei_cli_parse_double(parts[0], &a) || !(a > 0) || !isfinite(a))
        return false;
    b = a;
    if (np >= 2 && (!ei_cli_parse_double(parts[1], &b) || !(b >= a) || !isfinite(b)))
        return false;
    if (np == 3) {
        const char *st = parts[2];
        if (*st == 'x' || *st == '*') {
            mul = true;
            st++;
        }
        if (!ei_cli_parse_double(st, &step) || !isfinite(step) || (mul ? step <= 1.0 : step <= 0))
            return false;
    }
    if (integer && (a != floor(a) || b != floor(b) || (!mul && step != floor(step))))
        return false;
    *n = 0;
    for (double v = a; v <= b * (1 + 1e-9); v = mul ? v * step : v + step) {
        if (*n == MAX_STEPS)
            return false;
        out[(*n)++] = integer ? floor(v) : v;
    }
    return true;
}

static bool parse_shape(const char *arg, ei_bl_shape_arg_t *sa)
{
    const char *v = NULL;
    if (!ei_cli_split_kv(arg, sa->name, sizeof(sa->name), &v) || sa->name[0] == '\0')
        return false;
    sa->rank = 0;
    while (*v) {
        char *end = NULL;
        long long d = strtoll(v, &end, 10);
        if (end == v || d < 0 || d > (1LL << 40) || sa->rank == 16)
            return false;
        sa->dims[sa->rank++] = d;
        v = end;
        if (*v == ',')
            v++;
        else if (*v != '\0')
            return false;
    }
    return sa->rank > 0;
}

static int parse_args(int argc, char **argv, args_t *a)
{
    long long v = 0;
    memset(a, 0, sizeof(*a));
    a->steps[0] = 1;
    a->n_steps = 1;
    a->max_inflight = 256;
    a->binary = true;
    a->batch = 1;
    a->window_s = 2.0;
    a->warmup_s = 1.0;
    a->stability = 0.10;
    a->max_windows = 6;
    a->timeout_s = 30.0;
    bool have_conc = false, have_rate = false;
    const char *key = getenv("EDGEINFER_API_KEY");
    ei_cli_opts_t p;
    int opt, rc = ei_cli_opts_begin(&p, CMD, options, ":hi:H:", NULL, ei_cli_bench_url_help);
    while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1) {
        switch (opt) {
        case OPT_URL:
            a->url = optarg;
            break;
        case OPT_MODEL:
            a->model = optarg;
            break;
        case OPT_VERSION:
            a->version = optarg;
            break;
        case OPT_CONCURRENCY:
            if (!parse_spec(optarg, true, a->steps, &a->n_steps))
                return ei_cli_usage_error(CMD,
                                          "--concurrency: expected N, A:B, A:B:S or A:B:xF with "
                                          "whole numbers from 1, at most %d steps, got '%s'",
                                          MAX_STEPS, optarg);
            if (a->steps[a->n_steps - 1] > 4096)
                return ei_cli_usage_error(CMD, "--concurrency: at most 4096, got '%s'", optarg);
            have_conc = true;
            break;
        case OPT_RATE:
            if (!parse_spec(optarg, false, a->steps, &a->n_steps))
                return ei_cli_usage_error(CMD,
                                          "--rate: expected R, A:B, A:B:S or A:B:xF requests/s "
                                          "above 0, at most %d steps, got '%s'",
                                          MAX_STEPS, optarg);
            if (a->steps[a->n_steps - 1] > 1e6)
                return ei_cli_usage_error(CMD, "--rate: at most 1000000/s, got '%s'", optarg);
            have_rate = true;
            break;
        case OPT_MAX_INFLIGHT:
            if (!ei_cli_parse_int(optarg, 1, 4096, &v))
                return ei_cli_usage_error(CMD, "--max-inflight: expected 1 to 4096, got '%s'",
                                          optarg);
            a->max_inflight = (int)v;
            break;
        case OPT_ENDPOINT:
            if (strcmp(optarg, "infer") != 0 && strcmp(optarg, "classify") != 0)
                return ei_cli_usage_error(CMD, "--endpoint: expected infer or classify, got '%s'",
                                          optarg);
            a->classify = strcmp(optarg, "classify") == 0;
            a->endpoint_given = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "binary") != 0 && strcmp(optarg, "json") != 0)
                return ei_cli_usage_error(CMD, "--format: expected binary or json, got '%s'",
                                          optarg);
            a->binary = strcmp(optarg, "binary") == 0;
            break;
        case OPT_IMAGE:
            if (a->n_images == MAX_LIST)
                return ei_cli_usage_error(CMD, "--image: at most %d images", MAX_LIST);
            a->images[a->n_images++] = optarg;
            break;
        case OPT_PRESET:
            a->preset = optarg;
            break;
        case 'i': {
            const char *path = NULL;
            if (a->n_files == MAX_LIST)
                return ei_cli_usage_error(CMD, "-i: at most %d inputs", MAX_LIST);
            ei_bl_input_file_t *f = &a->files[a->n_files];
            if (!ei_cli_split_kv(optarg, f->name, sizeof(f->name), &path) || f->name[0] == '\0' ||
                *path == '\0')
                return ei_cli_usage_error(CMD, "-i: expected NAME=FILE, got '%s'", optarg);
            f->path = path;
            a->n_files++;
            break;
        }
        case OPT_SHAPE:
            if (a->n_shapes == MAX_LIST || !parse_shape(optarg, &a->shapes[a->n_shapes]))
                return ei_cli_usage_error(CMD, "--shape: expected NAME=D,D,... got '%s'", optarg);
            a->n_shapes++;
            break;
        case OPT_BATCH:
            if (!ei_cli_parse_int(optarg, 1, 1000000, &v))
                return ei_cli_usage_error(CMD, "--batch: expected 1 to 1000000, got '%s'", optarg);
            a->batch = v;
            break;
        case OPT_ZEROS:
            a->zeros = true;
            break;
        case OPT_SEED:
            if (!ei_cli_parse_int(optarg, 0, INT64_MAX, &v))
                return ei_cli_usage_error(CMD, "--seed: expected a non-negative integer, got '%s'",
                                          optarg);
            a->seed = (uint64_t)v;
            break;
        case OPT_DURATION:
        case OPT_WARMUP:
        case OPT_TIMEOUT: {
            double d = 0;
            double lo = opt == OPT_WARMUP ? 0.0 : 0.001;
            const char *name = opt == OPT_DURATION ? "--duration"
                               : opt == OPT_WARMUP ? "--warmup"
                                                   : "--timeout";
            if (!ei_cli_parse_double(optarg, &d) || !isfinite(d) || d < lo || d > 3600)
                return ei_cli_usage_error(CMD, "%s: expected seconds from %g to 3600, got '%s'",
                                          name, lo, optarg);
            if (opt == OPT_DURATION)
                a->window_s = d;
            else if (opt == OPT_WARMUP)
                a->warmup_s = d;
            else
                a->timeout_s = d;
            break;
        }
        case OPT_STABILITY: {
            double d = 0;
            if (!ei_cli_parse_double(optarg, &d) || !isfinite(d) || d <= 0 || d > 100)
                return ei_cli_usage_error(CMD,
                                          "--stability: expected a percentage in (0, 100], "
                                          "got '%s'",
                                          optarg);
            a->stability = d / 100.0;
            break;
        }
        case OPT_MAX_WINDOWS:
            if (!ei_cli_parse_int(optarg, 1, 64, &v))
                return ei_cli_usage_error(CMD, "--max-windows: expected 1 to 64, got '%s'", optarg);
            a->max_windows = (int)v;
            break;
        case OPT_MIN_REQUESTS:
            if (!ei_cli_parse_int(optarg, 0, 100000000, &v))
                return ei_cli_usage_error(CMD, "--min-requests: expected 0 to 100000000, got '%s'",
                                          optarg);
            a->min_requests = v;
            break;
        case 'H':
            if (a->n_headers == MAX_LIST || strchr(optarg, ':') == NULL ||
                strpbrk(optarg, "\r\n") != NULL)
                return ei_cli_usage_error(CMD, "--header: expected 'Name: value', got '%s'",
                                          optarg);
            a->headers[a->n_headers++] = optarg;
            break;
        case OPT_API_KEY:
            key = optarg;
            break;
        case OPT_PROTOCOL:
            if (strcmp(optarg, "http") != 0 && strcmp(optarg, "grpc") != 0)
                return ei_cli_usage_error(CMD, "--protocol: expected http or grpc, got '%s'",
                                          optarg);
            a->grpc = strcmp(optarg, "grpc") == 0;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_CSV:
            a->csv = true;
            break;
        case OPT_QUIET:
            a->quiet = true;
            break;
        }
    }
    if (rc != -1)
        return rc;
    if (optind < argc)
        return ei_cli_usage_error(CMD,
                                  "unexpected argument '%s' (with --url, the model is "
                                  "--model M)",
                                  argv[optind]);
    if (a->url == NULL || a->url[0] == '\0')
        return ei_cli_usage_error(CMD, "--url: expected the server's URL");
    if (strncmp(a->url, "grpc://", 7) == 0)
        a->grpc = true;
    if (a->grpc) {
        a->target = strncmp(a->url, "grpc://", 7) == 0 ? a->url + 7 : a->url;
        if (a->target[0] == '\0' || strchr(a->target, '/') != NULL)
            return ei_cli_usage_error(CMD,
                                      "--url: expected HOST:PORT or grpc://HOST:PORT with "
                                      "--protocol grpc, got '%s'",
                                      a->url);
        if (a->classify)
            return ei_cli_usage_error(CMD, "--endpoint classify is REST-only; over gRPC images "
                                           "go through ModelInfer (--endpoint infer)");
        if (!a->binary)
            return ei_cli_usage_error(CMD, "--format json is HTTP-only; gRPC sends "
                                           "raw_input_contents");
    } else if (strncmp(a->url, "http://", 7) != 0 && strncmp(a->url, "https://", 8) != 0) {
        return ei_cli_usage_error(CMD, "--url: expected http://HOST:PORT, got '%s'", a->url);
    }
    if (a->model == NULL || a->model[0] == '\0')
        return ei_cli_usage_error(CMD, "missing --model M");
    if (have_conc && have_rate)
        return ei_cli_usage_error(CMD, "--concurrency and --rate exclude each other: give one");
    if (a->json && a->csv)
        return ei_cli_usage_error(CMD, "--json and --csv exclude each other: give one");
    a->by_rate = have_rate;
    if (!a->endpoint_given)
        a->classify = a->n_images > 0 && !a->grpc;
    if (a->classify && a->n_images == 0)
        return ei_cli_usage_error(CMD, "--endpoint classify needs at least one --image FILE");
    if (a->classify && (a->n_files > 0 || a->n_shapes > 0))
        return ei_cli_usage_error(CMD, "--endpoint classify sends images: -i and --shape do "
                                       "not apply");
    if (key != NULL && key[0] != '\0') {
        if (strpbrk(key, "\r\n") != NULL)
            return ei_cli_usage_error(CMD, "--api-key: a key cannot hold a line break");
        snprintf(a->auth, sizeof(a->auth), "Authorization: Bearer %s", key);
        a->headers[a->n_headers++] = a->auth;
    }
    return -1;
}

/* base + "/v2/models/M[/versions/V]" + tail, with the names escaped. */
static char *model_url(const args_t *a, const char *tail)
{
    char *m = curl_easy_escape(NULL, a->model, 0);
    char *v = a->version ? curl_easy_escape(NULL, a->version, 0) : NULL;
    size_t blen = strlen(a->url);
    while (blen > 0 && a->url[blen - 1] == '/')
        blen--;
    size_t size = blen + 64 + (m ? strlen(m) : 0) + (v ? strlen(v) : 0) + strlen(tail);
    char *u = malloc(size);
    if (u != NULL && m != NULL && (a->version == NULL || v != NULL))
        snprintf(u, size, "%.*s/v2/models/%s%s%s%s", (int)blen, a->url, m, v ? "/versions/" : "",
                 v ? v : "", tail);
    else {
        free(u);
        u = NULL;
    }
    curl_free(m);
    curl_free(v);
    return u;
}

static void errors_text(const ei_bl_errors_t *e, char *out, size_t size, const char *sep)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < 600 && used < size; i++) {
        if (e->status[i])
            used += (size_t)snprintf(out + used, size - used, "%s%zu:%llu", used ? sep : "", i,
                                     (unsigned long long)e->status[i]);
    }
    for (size_t i = 0; i < EI_BL_N_GRPC && used < size; i++) {
        if (e->grpc[i])
            used += (size_t)snprintf(out + used, size - used, "%s%s:%llu", used ? sep : "",
                                     ei_bl_grpc_status_name(i), (unsigned long long)e->grpc[i]);
    }
    for (size_t i = 0; i < EI_BL_N_TRANSPORT && used < size; i++) {
        if (e->transport[i])
            used += (size_t)snprintf(out + used, size - used, "%s%s:%llu", used ? sep : "",
                                     ei_bl_transport_name(i), (unsigned long long)e->transport[i]);
    }
    if (used == 0)
        snprintf(out, size, "0");
}

static double step_rps(const ei_bl_step_t *s)
{
    return s->secs > 0 ? (double)s->ok / s->secs : 0.0;
}

typedef struct progress_ctx {
    const args_t *a;
    size_t step;
    bool tty;
} progress_ctx_t;

static void progress(const ei_bl_step_opts_t *o, int window, const ei_bl_step_t *w, void *user)
{
    progress_ctx_t *p = user;
    if (p->a->quiet)
        return;
    char errs[128];
    errors_text(&w->errors, errs, sizeof(errs), " ");
    fprintf(stderr,
            "%sbench: step %zu/%zu, %s %g, window %d/%d: %.1f req/s, p50 %.2f ms, p99 %.2f ms, "
            "errors %s%s",
            p->tty ? "\r\033[K" : "", p->step + 1, p->a->n_steps,
            o->rate > 0 ? "rate" : "concurrency", o->rate > 0 ? o->rate : (double)o->concurrency,
            window, o->max_windows, step_rps(w), w->lat.median, w->lat.p99, errs,
            p->tty ? "" : "\n");
    fflush(stderr);
}

static void print_text(const args_t *a, const char *infer_url, const ei_bl_body_t *bodies,
                       size_t n_bodies, const ei_bl_step_t *steps, size_t n, const char *first)
{
    printf("target:   %s, model %s%s%s\n", a->url, a->model, a->version ? " version " : "",
           a->version ? a->version : "");
    if (a->grpc)
        printf("request:  %s (raw_input_contents)\n", infer_url);
    else
        printf("request:  POST %s (%s)\n", infer_url,
               a->classify ? "image"
               : a->binary ? "binary tensors"
                           : "JSON tensors");
    for (size_t i = 0; i < n_bodies && i < 4; i++)
        printf("body:     %zu bytes: %s\n", bodies[i].size, bodies[i].describe);
    if (n_bodies > 4)
        printf("body:     ... %zu more\n", n_bodies - 4);
    printf("windows:  %.2f s after %.2f s warm-up; stable when 3 agree within %.0f%%, at most "
           "%d\n\n",
           a->window_s, a->warmup_s, a->stability * 100, a->max_windows);
    printf("%11s %10s %8s %8s %8s %8s %8s %8s %9s %10s %6s  %s\n",
           a->by_rate ? "rate" : "concurrency", "req/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms",
           "max ms", "ok", "queue ms", "compute ms", "stable", "errors");
    for (size_t i = 0; i < n; i++) {
        const ei_bl_step_t *s = &steps[i];
        char errs[256], q[32] = "-", c[32] = "-";
        errors_text(&s->errors, errs, sizeof(errs), " ");
        if (s->srv_ok) {
            snprintf(q, sizeof(q), "%.3f", s->srv_queue_ms);
            snprintf(c, sizeof(c), "%.3f", s->srv_compute_ms);
        }
        char lvl[32];
        if (a->by_rate)
            snprintf(lvl, sizeof(lvl), "%g", s->rate);
        else
            snprintf(lvl, sizeof(lvl), "%d", s->concurrency);
        printf("%11s %10.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8llu %9s %10s %6s  %s\n", lvl,
               step_rps(s), s->lat.median, s->lat.p90, s->lat.p95, s->lat.p99, s->lat.max,
               (unsigned long long)s->ok, q, c, s->stable ? "yes" : "no", errs);
    }
    bool late = false;
    for (size_t i = 0; i < n; i++)
        late = late || steps[i].late > 0;
    if (late)
        printf("\nsome sends were late (every --max-inflight slot was busy): the rate achieved is "
               "the req/s column\n");
    if (first[0] != '\0')
        printf("\nfirst error: %s\n", first);
}

static void print_csv(const args_t *a, const ei_bl_step_t *steps, size_t n)
{
    printf("mode,concurrency,rate,req_per_s,p50_ms,p90_ms,p95_ms,p99_ms,max_ms,mean_ms,ok,errors,"
           "error_kinds,late,server_requests,server_queue_ms,server_compute_ms,"
           "server_compute_infer_ms,windows,stable\n");
    for (size_t i = 0; i < n; i++) {
        const ei_bl_step_t *s = &steps[i];
        char errs[256];
        errors_text(&s->errors, errs, sizeof(errs), ";");
        printf("%s,%d,%g,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%llu,%llu,%s,%llu,",
               a->by_rate ? "rate" : "concurrency", a->by_rate ? 0 : s->concurrency,
               a->by_rate ? s->rate : 0.0, step_rps(s), s->lat.median, s->lat.p90, s->lat.p95,
               s->lat.p99, s->lat.max, s->lat.mean, (unsigned long long)s->ok,
               (unsigned long long)ei_bl_errors_total(&s->errors), errs,
               (unsigned long long)s->late);
        if (s->srv_ok)
            printf("%llu,%.4f,%.4f,%.4f,", (unsigned long long)s->srv_requests, s->srv_queue_ms,
                   s->srv_compute_ms, s->srv_compute_infer_ms);
        else
            printf(",,,,");
        printf("%d,%s\n", s->windows, s->stable ? "true" : "false");
    }
}

static int print_json(const args_t *a, const char *infer_url, const ei_bl_body_t *bodies,
                      size_t n_bodies, const ei_bl_step_t *steps, size_t n, const char *first)
{
    json_t *root = json_object(), *settings = json_object(), *arr = json_array();
    json_t *bl = json_array();
    if (root == NULL || settings == NULL || arr == NULL || bl == NULL) {
        json_decref(settings);
        json_decref(arr);
        json_decref(bl);
        json_decref(root);
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory writing the JSON report");
        return EI_EXIT_FAILURE;
    }
    for (size_t i = 0; i < n_bodies; i++)
        json_array_append_new(bl, json_pack("{s:I, s:s}", "bytes", (json_int_t)bodies[i].size,
                                            "describe", bodies[i].describe));
    json_object_set_new(settings, "mode", json_string(a->by_rate ? "rate" : "concurrency"));
    json_object_set_new(settings, "protocol", json_string(a->grpc ? "grpc" : "http"));
    json_object_set_new(settings, "endpoint", json_string(a->classify ? "classify" : "infer"));
    json_object_set_new(settings, "format",
                        json_string(a->grpc       ? "raw"
                                    : a->classify ? "image"
                                    : a->binary   ? "binary"
                                                  : "json"));
    json_object_set_new(settings, "window_s", json_real(a->window_s));
    json_object_set_new(settings, "warmup_s", json_real(a->warmup_s));
    json_object_set_new(settings, "stability", json_real(a->stability));
    json_object_set_new(settings, "max_windows", json_integer(a->max_windows));
    json_object_set_new(settings, "min_requests", json_integer(a->min_requests));
    json_object_set_new(settings, "timeout_s", json_real(a->timeout_s));
    json_object_set_new(settings, "max_inflight",
                        a->by_rate ? json_integer(a->max_inflight) : json_null());
    json_object_set_new(settings, "bodies", bl);
    for (size_t i = 0; i < n; i++) {
        const ei_bl_step_t *s = &steps[i];
        json_t *errs = json_object();
        for (size_t k = 0; k < 600; k++) {
            if (s->errors.status[k]) {
                char key[8];
                snprintf(key, sizeof(key), "%zu", k);
                json_object_set_new(errs, key, json_integer((json_int_t)s->errors.status[k]));
            }
        }
        for (size_t k = 0; k < EI_BL_N_GRPC; k++) {
            if (s->errors.grpc[k])
                json_object_set_new(errs, ei_bl_grpc_status_name(k),
                                    json_integer((json_int_t)s->errors.grpc[k]));
        }
        for (size_t k = 0; k < EI_BL_N_TRANSPORT; k++) {
            if (s->errors.transport[k])
                json_object_set_new(errs, ei_bl_transport_name(k),
                                    json_integer((json_int_t)s->errors.transport[k]));
        }
        json_t *srv =
            s->srv_ok ? json_pack("{s:I, s:f, s:f, s:f}", "requests", (json_int_t)s->srv_requests,
                                  "queue_ms", s->srv_queue_ms, "compute_ms", s->srv_compute_ms,
                                  "compute_infer_ms", s->srv_compute_infer_ms)
                      : json_null();
        json_t *lat =
            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "min", s->lat.min, "mean",
                      s->lat.mean, "p50", s->lat.median, "p90", s->lat.p90, "p95", s->lat.p95,
                      "p99", s->lat.p99, "max", s->lat.max, "stddev", s->lat.stddev);
        json_t *st = json_object();
        json_object_set_new(st, "concurrency",
                            a->by_rate ? json_null() : json_integer(s->concurrency));
        json_object_set_new(st, "rate", a->by_rate ? json_real(s->rate) : json_null());
        json_object_set_new(st, "throughput_rps", json_real(step_rps(s)));
        json_object_set_new(st, "ok", json_integer((json_int_t)s->ok));
        json_object_set_new(st, "errors_total",
                            json_integer((json_int_t)ei_bl_errors_total(&s->errors)));
        json_object_set_new(st, "errors", errs);
        json_object_set_new(st, "latency_ms", lat);
        json_object_set_new(st, "server", srv);
        json_object_set_new(st, "late", json_integer((json_int_t)s->late));
        json_object_set_new(st, "bytes_sent", json_integer((json_int_t)s->bytes_out));
        json_object_set_new(st, "bytes_received", json_integer((json_int_t)s->bytes_in));
        json_object_set_new(st, "measured_s", json_real(s->secs));
        json_object_set_new(st, "windows", json_integer(s->windows));
        json_object_set_new(st, "stable", json_boolean(s->stable));
        json_array_append_new(arr, st);
    }
    json_object_set_new(root, "tool", json_string("edgeinfer bench --url"));
    json_object_set_new(root, "url", json_string(a->url));
    json_object_set_new(root, "model", json_string(a->model));
    json_object_set_new(root, "version", a->version ? json_string(a->version) : json_null());
    json_object_set_new(root, "request_url", json_string(infer_url));
    json_object_set_new(root, "settings", settings);
    json_object_set_new(root, "steps", arr);
    json_object_set_new(root, "first_error", first[0] ? json_string(first) : json_null());
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    json_decref(root);
    if (text == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory writing the JSON report");
        return EI_EXIT_FAILURE;
    }
    puts(text);
    free(text);
    return EI_EXIT_OK;
}

/* GET a model URL; the reply text, or NULL with the error printed (when `required`). */
static char *get_model_doc(const args_t *a, const char *tail, bool required, int *rc)
{
    char *url = model_url(a, tail);
    char *body = NULL;
    long status = 0;
    ei_error_t err = {0};
    if (url == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
        *rc = EI_EXIT_FAILURE;
        return NULL;
    }
    if (ei_bl_http_get(url, a->headers, a->n_headers, a->timeout_s, &body, &status, &err) !=
        EI_OK) {
        if (required)
            *rc = ei_cli_fail(&err, "reading model '%s' from %s", a->model, a->url);
        free(url);
        return NULL;
    }
    if (status != 200) {
        if (required) {
            size_t len = strlen(body);
            while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
                len--;
            ei_cli_errorc(EI_ERUNTIME, "reading model '%s': GET %s: HTTP %ld: %.*s", a->model, url,
                          status, (int)(len > 300 ? 300 : len), body);
            *rc = EI_EXIT_FAILURE;
        }
        free(body);
        free(url);
        return NULL;
    }
    free(url);
    return body;
}

int ei_cli_bench_url(int argc, char **argv)
{
    args_t *a = calloc(1, sizeof(*a));
    char *meta = NULL, *config = NULL, *infer_url = NULL, *stats_url = NULL;
    ei_bl_body_t *bodies = NULL;
    size_t n_bodies = 0;
    ei_bl_t *bl = NULL;
    ei_bg_t *grpc = NULL;
    ei_bl_step_t *steps = NULL;
    ei_error_t err = {0};
    bool curl_up = false;
    int rc;
    if (a == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
        return EI_EXIT_FAILURE;
    }
    rc = parse_args(argc, argv, a);
    if (rc != -1)
        goto out;
    rc = EI_EXIT_FAILURE;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ei_cli_errorc(EI_ERUNTIME, "bench: libcurl failed to initialise");
        goto out;
    }
    curl_up = true;
    if (a->grpc) {
        if (!ei_bg_available()) {
            ei_cli_errorc(EI_EUNSUPPORTED, "bench: --protocol grpc: this edgeinfer was built "
                                           "without gRPC (-DEI_GRPC=OFF)");
            goto out;
        }
        if (ei_bg_open(a->target, a->headers, a->n_headers, a->timeout_s, &grpc, &err) != EI_OK ||
            ei_bg_model_docs(grpc, a->model, a->version, &meta, &config, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "reading model '%s' from %s", a->model, a->url);
            goto out;
        }
        size_t len = strlen(a->target) + 64;
        infer_url = malloc(len);
        if (infer_url == NULL) {
            ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
            goto out;
        }
        snprintf(infer_url, len, "grpc://%s/inference.GRPCInferenceService/ModelInfer", a->target);
    } else {
        meta = get_model_doc(a, "", true, &rc);
        if (meta == NULL)
            goto out;
        if (a->classify && !a->endpoint_given && ei_bl_image_as_bytes(meta))
            a->classify = false; /* images as BYTES (a pipeline model): to /infer */
        config = get_model_doc(a, "/config", false, &rc);
        infer_url = model_url(a, a->classify ? "/classify" : "/infer");
        stats_url = model_url(a, "/stats");
        if (infer_url == NULL || stats_url == NULL) {
            ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
            goto out;
        }
    }
    ei_bl_body_opts_t bo;
    memset(&bo, 0, sizeof(bo));
    bo.classify = a->classify;
    bo.binary = a->binary;
    bo.grpc = a->grpc;
    bo.model = a->model;
    bo.version = a->version;
    bo.fill = a->zeros ? EI_BL_FILL_ZEROS : EI_BL_FILL_RANDOM;
    bo.seed = a->seed;
    bo.batch = a->batch;
    bo.files = a->files;
    bo.n_files = a->n_files;
    bo.shapes = a->shapes;
    bo.n_shapes = a->n_shapes;
    bo.images = a->images;
    bo.n_images = a->n_images;
    bo.preset = a->preset;
    if (ei_bl_make_bodies(meta, config, &bo, &bodies, &n_bodies, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "preparing requests for model '%s'", a->model);
        goto out;
    }
    for (size_t i = 0; i < n_bodies && !a->grpc; i++) {
        if (ei_bl_body_headers(&bodies[i], a->headers, a->n_headers, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "preparing requests");
            goto out;
        }
    }
    const ei_bl_transport_t *tr = NULL;
    void *t = NULL;
    ei_code_t trc = a->grpc ? ei_bg_transport(grpc, a->model, a->version, &tr, &t, &err)
                            : ei_bl_http_transport(infer_url, stats_url, a->model, a->timeout_s,
                                                   a->headers, a->n_headers, &tr, &t, &err);
    if (trc != EI_OK || ei_bl_create(tr, t, bodies, n_bodies, &bl, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "bench");
        goto out;
    }
    steps = calloc(a->n_steps, sizeof(*steps));
    if (steps == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
        goto out;
    }
    progress_ctx_t pc = {a, 0, isatty(2) != 0};
    uint64_t total_ok = 0;
    for (size_t i = 0; i < a->n_steps; i++) {
        ei_bl_step_opts_t so;
        memset(&so, 0, sizeof(so));
        so.concurrency = a->by_rate ? 0 : (int)a->steps[i];
        so.rate = a->by_rate ? a->steps[i] : 0.0;
        so.max_inflight = a->max_inflight;
        so.warmup_s = a->warmup_s;
        so.window_s = a->window_s;
        so.max_windows = a->max_windows;
        so.stability = a->stability;
        so.min_requests = (uint64_t)a->min_requests;
        pc.step = i;
        if (ei_bl_run_step(bl, &so, progress, &pc, &steps[i], &err) != EI_OK) {
            rc = ei_cli_fail(&err, "bench step %zu", i + 1);
            goto out;
        }
        total_ok += steps[i].ok;
    }
    if (pc.tty && !a->quiet)
        fputs("\r\033[K", stderr);
    if (a->json)
        rc = print_json(a, infer_url, bodies, n_bodies, steps, a->n_steps, ei_bl_first_error(bl));
    else if (a->csv) {
        print_csv(a, steps, a->n_steps);
        rc = EI_EXIT_OK;
    } else {
        print_text(a, infer_url, bodies, n_bodies, steps, a->n_steps, ei_bl_first_error(bl));
        rc = EI_EXIT_OK;
    }
    fflush(stdout);
    if (total_ok == 0) {
        ei_cli_errorc(EI_ERUNTIME, "bench: no request succeeded (first error: %s)",
                      ei_bl_first_error(bl)[0] ? ei_bl_first_error(bl) : "none recorded");
        rc = EI_EXIT_FAILURE;
    }
out:
    ei_bl_destroy(bl);
    ei_bg_close(grpc);
    ei_bl_free_bodies(bodies, n_bodies);
    free(steps);
    free(meta);
    free(config);
    free(infer_url);
    free(stats_url);
    free(a);
    if (curl_up)
        curl_global_cleanup();
    return rc;
}
