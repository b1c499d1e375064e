/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer bench MODEL`: latency and throughput of one model, reported like
 * onnxruntime_perf_test (session creation, first run, then min / mean +- stddev / median / p90 /
 * p95 / p99 / max over the measured runs, runs/s and items/s, peak resident memory).
 *
 * The loop is kept as close to a bare ONNX Runtime loop as the public API allows, so that the
 * numbers are ORT's and not ours (bench/core/ holds the bare loop and the side-by-side script that
 * checks it): the inputs are generated once before the loop, each iteration is one
 * ei_session_run() between two CLOCK_MONOTONIC stamps followed by releasing its outputs, and the
 * statistics are computed once the loop is over. With --url it is a load generator for a
 * server instead (bench_url.c).
 */
#include "bench_stats.h"
#include "bench_url.h"
#include "cli.h"
#include "commands.h"
#include "inputs.h"
#include "output.h"
#include "session_args.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "bench"

/* Our own long-only option values (below 0x1000, see session_args.h). */
enum {
    OPT_BATCH = 0x100,
    OPT_ITERATIONS,
    OPT_DURATION,
    OPT_WARMUP,
    OPT_JSON,
    OPT_ZEROS,
    OPT_SEED,
    OPT_COMPARE,
};

static const struct option own_options[] = {
    {"batch", required_argument, NULL, OPT_BATCH},
    {"iterations", required_argument, NULL, OPT_ITERATIONS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"json", no_argument, NULL, OPT_JSON},
    {"zeros", no_argument, NULL, OPT_ZEROS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"compare", required_argument, NULL, OPT_COMPARE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define DEFAULT_ITERATIONS 1000
#define DEFAULT_WARMUP 5
/* A --duration run stops growing its sample array here (a few GiB would be silly anyway). */
#define MAX_SAMPLES ((size_t)100000000)

typedef struct {
    const char *model;
    int64_t batch;
    long iterations;
    double duration_s;
    bool by_duration;
    long warmup;
    bool json;
    bool zeros;
    uint64_t seed;
    const char *compare; /* --compare MODEL2, or NULL */
    ei_cli_session_args_t sess;
} bench_args_t;

static void print_help(void)
{
    printf(
        "usage: edgeinfer bench MODEL [--batch N] [--threads N] [--iterations N | --duration S]\n"
        "                       [--warmup N] [--provider P] [--json] [session options]\n\n"
        "Measures the latency and throughput of MODEL on generated inputs, like\n"
        "onnxruntime_perf_test: session creation time, first-run time, then over the measured\n"
        "runs latency min, mean +- stddev, median, p90, p95, p99, max, throughput in runs/s and\n"
        "items/s (items = runs x batch), and peak resident memory (VmHWM).\n\n"
        "options:\n"
        "  --batch N          size of each input's first free dimension (default 1)\n"
        "  --iterations N     measured runs (default %d)\n"
        "  --duration S       measure for S seconds instead of a count\n"
        "  --warmup N         unmeasured runs after the first run (default %d)\n"
        "  --zeros            feed zeros instead of seeded random values\n"
        "  --seed N           seed of the random inputs (default 0)\n"
        "  --compare MODEL2   compare MODEL2 with MODEL side by side (an fp32 model and its\n"
        "                     int8 version, say): file sizes, session creation, latencies\n"
        "                     measured in alternating runs, and the largest output difference\n"
        "                     on the same generated inputs\n"
        "  --json             print the report as one JSON object\n"
        "  -h, --help         show this help\n\n"
        "Inputs are generated once, before the loop, to fit the model's declared shapes: the\n"
        "first free dimension of each input takes --batch, --dim NAME=N fixes any other.\n\n"
        "%s\n"
        "exit status: 0 ok, 1 failure (the model cannot be loaded or run), 2 usage error\n\n"
        "edgeinfer bench --url URL --model M ... load-tests a KServe v2 server instead\n"
        "(edgeinfer bench --url x --help for its options).\n",
        DEFAULT_ITERATIONS, DEFAULT_WARMUP, EI_CLI_SESSION_HELP);
}

/* Returns -1 when parsing went fine and the command should go on, otherwise an exit code. */
static int parse_args(int argc, char **argv, bench_args_t *a)
{
    ei_cli_opts_t p;
    bool have_iterations = false, have_duration = false;
    long long v = 0;

    memset(a, 0, sizeof(*a));
    a->batch = 1;
    a->iterations = DEFAULT_ITERATIONS;
    a->warmup = DEFAULT_WARMUP;
    ei_cli_session_args_init(&a->sess);
    int opt, rc = ei_cli_opts_begin(&p, CMD, own_options, ":h", &a->sess, print_help);
    while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1) {
        switch (opt) {
        case OPT_BATCH:
            if (!ei_cli_parse_int(optarg, 1, 1000000, &v))
                return ei_cli_usage_error(CMD,
                                          "--batch: expected an integer from 1 to 1000000, "
                                          "got '%s'",
                                          optarg);
            a->batch = (int64_t)v;
            break;
        case OPT_ITERATIONS:
            if (!ei_cli_parse_int(optarg, 1, 1000000000, &v))
                return ei_cli_usage_error(CMD,
                                          "--iterations: expected an integer from 1 to "
                                          "1000000000, got '%s'",
                                          optarg);
            a->iterations = (long)v;
            have_iterations = true;
            break;
        case OPT_DURATION:
            if (!ei_cli_parse_double(optarg, &a->duration_s) || !isfinite(a->duration_s) ||
                a->duration_s <= 0.0 || a->duration_s > 86400.0)
                return ei_cli_usage_error(CMD,
                                          "--duration: expected seconds, more than 0 and at "
                                          "most 86400, got '%s'",
                                          optarg);
            have_duration = true;
            break;
        case OPT_WARMUP:
            if (!ei_cli_parse_int(optarg, 0, 1000000, &v))
                return ei_cli_usage_error(CMD,
                                          "--warmup: expected an integer from 0 to 1000000, "
                                          "got '%s'",
                                          optarg);
            a->warmup = (long)v;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_ZEROS:
            a->zeros = true;
            break;
        case OPT_COMPARE:
            if (optarg[0] == '\0')
                return ei_cli_usage_error(CMD, "--compare: expected a model path, got ''");
            a->compare = optarg;
            break;
        case OPT_SEED:
            if (!ei_cli_parse_int(optarg, 0, INT64_MAX, &v))
                return ei_cli_usage_error(CMD, "--seed: expected a non-negative integer, got '%s'",
                                          optarg);
            a->seed = (uint64_t)v;
            break;
        }
    }
    if (rc != -1)
        return rc;
    if (have_iterations && have_duration)
        return ei_cli_usage_error(CMD, "--iterations and --duration exclude each other: give one");
    if (a->compare != NULL && have_duration)
        return ei_cli_usage_error(CMD, "--compare measures a count of runs: use --iterations, "
                                       "not --duration");
    a->by_duration = have_duration;
    if (optind >= argc)
        return ei_cli_usage_error(CMD, "missing MODEL");
    if (argc - optind > 1)
        return ei_cli_usage_error(CMD, "expected one MODEL, got '%s' too", argv[optind + 1]);
    a->model = argv[optind];
    return -1;
}

/*
 * --batch only means something when some input has a free dimension for it to fill. Returns false
 * (and says why) when N > 1 would be silently ignored, so items/s never counts items that were not
 * there.
 */
static bool batch_applies(const ei_session_t *s, const bench_args_t *a)
{
    if (a->batch == 1)
        return true;
    for (size_t i = 0; i < ei_session_input_count(s); i++) {
        const ei_value_info_t *in = ei_session_input(s, i);
        for (size_t d = 0; in->rank_known && d < in->rank; d++) {
            if (in->shape[d] >= 0)
                continue;
            /* The first free dim takes --batch unless a --dim names it. */
            bool overridden = false;
            for (size_t k = 0; k < a->sess.n_dims; k++) {
                if (in->dim_names[d][0] != '\0' &&
                    strcmp(a->sess.dim_names[k], in->dim_names[d]) == 0)
                    overridden = true;
            }
            if (!overridden)
                return true;
            break;
        }
    }
    return false;
}

static void inputs_line(const ei_session_t *s, ei_tensor_t *const *inputs, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ei_session_input_count(s) && used < size; i++) {
        char shape[128];
        const ei_tensor_t *t = inputs[i];
        int w =
            snprintf(buf + used, size - used, "%s%s %s %s", i ? ", " : "",
                     ei_session_input(s, i)->name, ei_dtype_name(ei_tensor_dtype(t)),
                     ei_shape_format(ei_tensor_shape(t), ei_tensor_rank(t), shape, sizeof(shape)));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int print_json(const ei_bench_report_t *r, const ei_session_t *s, ei_tensor_t *const *inputs,
                      const bench_args_t *a)
{
    json_t *root = json_object(), *settings = json_object(), *lat = json_object();
    json_t *thr = json_object(), *ins = json_array(), *provs = json_array();
    int rc = EI_EXIT_FAILURE;
    if (root == NULL || settings == NULL || lat == NULL || thr == NULL || ins == NULL ||
        provs == NULL) {
        json_decref(settings);
        json_decref(lat);
        json_decref(thr);
        json_decref(ins);
        json_decref(provs);
        goto out;
    }
    const char *pnames[16];
    size_t np = ei_session_providers(s, pnames, 16);
    for (size_t i = 0; i < np && i < 16; i++)
        json_array_append_new(provs, json_string(pnames[i]));
    for (size_t i = 0; i < ei_session_input_count(s); i++) {
        const ei_tensor_t *t = inputs[i];
        json_t *shape = json_array();
        for (size_t d = 0; d < ei_tensor_rank(t); d++)
            json_array_append_new(shape, json_integer(ei_tensor_shape(t)[d]));
        json_array_append_new(ins, json_pack("{s:s, s:s, s:o}", "name",
                                             ei_session_input(s, i)->name, "dtype",
                                             ei_dtype_name(ei_tensor_dtype(t)), "shape", shape));
    }
    json_object_set_new(settings, "providers", provs);
    json_object_set_new(settings, "threads", json_integer(r->threads));
    json_object_set_new(settings, "inter_threads", json_integer(a->sess.opts.inter_op_threads));
    json_object_set_new(settings, "parallel", json_boolean(a->sess.opts.parallel_execution));
    json_object_set_new(settings, "opt_level",
                        json_string(ei_cli_opt_level_name(a->sess.opts.graph_opt)));
    json_object_set_new(settings, "batch", json_integer(r->batch));
    json_object_set_new(settings, "warmup", json_integer(r->warmup));
    json_object_set_new(settings, "iterations",
                        r->by_duration ? json_null() : json_integer(r->iterations));
    json_object_set_new(settings, "duration_s",
                        r->by_duration ? json_real(r->duration_s) : json_null());
    json_object_set_new(settings, "fill", json_string(a->zeros ? "zeros" : "random"));
    json_object_set_new(settings, "seed", json_integer((json_int_t)a->seed));
    json_object_set_new(settings, "inputs", ins);

    json_object_set_new(lat, "min", json_real(r->lat.min));
    json_object_set_new(lat, "mean", json_real(r->lat.mean));
    json_object_set_new(lat, "stddev", json_real(r->lat.stddev));
    json_object_set_new(lat, "median", json_real(r->lat.median));
    json_object_set_new(lat, "p90", json_real(r->lat.p90));
    json_object_set_new(lat, "p95", json_real(r->lat.p95));
    json_object_set_new(lat, "p99", json_real(r->lat.p99));
    json_object_set_new(lat, "max", json_real(r->lat.max));

    double rps = ei_bench_runs_per_s(r);
    json_object_set_new(thr, "runs_per_s", json_real(rps));
    json_object_set_new(thr, "items_per_s", json_real(rps * (double)r->batch));

    json_object_set_new(root, "tool", json_string(r->tool));
    json_object_set_new(root, "model", json_string(r->model));
    json_object_set_new(root, "onnxruntime", json_string(ei_ort_version()));
    json_object_set_new(root, "settings", settings);
    json_object_set_new(root, "session_creation_ms", json_real(r->create_ms));
    json_object_set_new(root, "first_run_ms", json_real(r->first_run_ms));
    json_object_set_new(root, "runs", json_integer((json_int_t)r->lat.n));
    json_object_set_new(root, "items", json_integer((json_int_t)r->lat.n * r->batch));
    json_object_set_new(root, "wall_s", json_real(r->wall_s));
    json_object_set_new(root, "latency_ms", lat);
    json_object_set_new(root, "throughput", thr);
    json_object_set_new(root, "peak_rss_bytes",
                        r->peak_rss_kib >= 0 ? json_integer((json_int_t)r->peak_rss_kib * 1024)
                                             : json_null());
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    if (text != NULL) {
        puts(text);
        free(text);
        rc = EI_EXIT_OK;
    }
out:
    json_decref(root);
    if (rc != EI_EXIT_OK)
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory writing the JSON report");
    return rc;
}

/* Runs once and releases the outputs; the time it took lands in *ns (when not NULL). */
static ei_code_t run_once(ei_session_t *s, const char *const *names, ei_tensor_t *const *inputs,
                          size_t n_in, ei_tensor_t **outs, size_t n_out, uint64_t *ns,
                          ei_error_t *err)
{
    uint64_t t0 = ei_bench_now_ns();
    ei_code_t rc = ei_session_run(s, names, inputs, n_in, NULL, outs, n_out, err);
    uint64_t t1 = ei_bench_now_ns();
    for (size_t i = 0; i < n_out; i++) {
        ei_tensor_destroy(outs[i]);
        outs[i] = NULL;
    }
    if (ns != NULL)
        *ns = t1 - t0;
    return rc;
}

/* --compare ------------------------------------------------------------------------------- */

/* One side of a comparison. */
typedef struct {
    const char *path;
    ei_session_t *s;
    uint64_t size;
    double create_ms;
    const char **names; /* inputs in this model's order, pointing at the shared tensors */
    ei_tensor_t **inputs;
    ei_tensor_t **outs;
    size_t n_out;
    ei_bench_samples_t samples;
    ei_bench_stats_t lat;
} side_t;

static void side_free(side_t *m)
{
    for (size_t k = 0; m->outs != NULL && k < m->n_out; k++)
        ei_tensor_destroy(m->outs[k]);
    free(m->outs);
    free(m->names);
    free(m->inputs);
    ei_bench_samples_free(&m->samples);
    ei_session_destroy(m->s);
}

static int side_open(side_t *m, const char *path, const ei_session_opts_t *opts)
{
    ei_error_t err = {0};
    struct stat st;
    m->path = path;
    m->size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    uint64_t t0 = ei_bench_now_ns();
    if (ei_session_create(path, opts, &m->s, &err) != EI_OK)
        return ei_cli_fail(&err, "creating the session for '%s'", path);
    m->create_ms = (double)(ei_bench_now_ns() - t0) / 1e6;
    m->n_out = ei_session_output_count(m->s);
    m->outs = calloc(m->n_out ? m->n_out : 1, sizeof(*m->outs));
    if (m->outs == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
        return EI_EXIT_FAILURE;
    }
    return EI_EXIT_OK;
}

/*
 * Binds model B's inputs to the tensors generated for A: by name, else by position; B checks
 * them as a run would (element type, rank, fixed dims), so models whose inputs differ are refused
 * with B's own message.
 */
static int bind_inputs(side_t *b, const side_t *a, const char *const *a_names,
                       ei_tensor_t *const *a_inputs)
{
    size_t na = ei_session_input_count(a->s), nb = ei_session_input_count(b->s);
    if (na != nb) {
        ei_cli_errorc(EI_EINVAL,
                      "--compare: '%s' has %zu inputs, '%s' has %zu; the models must take the "
                      "same inputs",
                      a->path, na, b->path, nb);
        return EI_EXIT_FAILURE;
    }
    b->names = calloc(nb ? nb : 1, sizeof(*b->names));
    b->inputs = calloc(nb ? nb : 1, sizeof(*b->inputs));
    if (b->names == NULL || b->inputs == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
        return EI_EXIT_FAILURE;
    }
    for (size_t i = 0; i < nb; i++) {
        const char *name = ei_session_input(b->s, i)->name;
        int k = ei_session_input_index(a->s, name);
        b->names[i] = name;
        b->inputs[i] = a_inputs[k >= 0 ? (size_t)k : i];
    }
    (void)a_names;
    ei_error_t err = {0};
    if (ei_session_check_inputs(b->s, b->names, b->inputs, nb, &err) != EI_OK)
        return ei_cli_fail(&err, "--compare: '%s' cannot take the inputs generated for '%s'",
                           b->path, a->path);
    return EI_EXIT_OK;
}

static ei_code_t side_run(side_t *m, bool keep, uint64_t *ns, ei_error_t *err)
{
    size_t n_in = ei_session_input_count(m->s);
    uint64_t t0 = ei_bench_now_ns();
    ei_code_t rc = ei_session_run(m->s, m->names, m->inputs, n_in, NULL, m->outs, m->n_out, err);
    uint64_t t1 = ei_bench_now_ns();
    if (!keep || rc != EI_OK) {
        for (size_t k = 0; k < m->n_out; k++) {
            ei_tensor_destroy(m->outs[k]);
            m->outs[k] = NULL;
        }
    }
    if (ns != NULL)
        *ns = t1 - t0;
    return rc;
}

/* Largest and mean |a - b| of one output pair; false (with why) when they cannot be compared. */
static bool output_diff(const ei_tensor_t *x, const ei_tensor_t *y, double *max, double *mean,
                        char *why, size_t size)
{
    size_t n = ei_tensor_count(x);
    bool same_shape = ei_tensor_rank(x) == ei_tensor_rank(y) && n == ei_tensor_count(y);
    for (size_t d = 0; same_shape && d < ei_tensor_rank(x); d++)
        same_shape = ei_tensor_shape(x)[d] == ei_tensor_shape(y)[d];
    if (!same_shape) {
        char sx[128], sy[128];
        snprintf(why, size, "shapes differ: %s vs %s",
                 ei_shape_format(ei_tensor_shape(x), ei_tensor_rank(x), sx, sizeof(sx)),
                 ei_shape_format(ei_tensor_shape(y), ei_tensor_rank(y), sy, sizeof(sy)));
        return false;
    }
    if (ei_tensor_dtype(x) == EI_DTYPE_STRING || ei_tensor_dtype(y) == EI_DTYPE_STRING) {
        snprintf(why, size, "string outputs are not compared");
        return false;
    }
    double m = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(ei_tensor_get_f64(x, i) - ei_tensor_get_f64(y, i));
        if (isnan(d))
            d = INFINITY;
        if (d > m)
            m = d;
        sum += d;
    }
    *max = m;
    *mean = n > 0 ? sum / (double)n : 0;
    return true;
}

static json_t *json_lat(const ei_bench_stats_t *l)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "min", l->min, "mean", l->mean,
                     "stddev", l->stddev, "median", l->median, "p90", l->p90, "p99", l->p99, "max",
                     l->max);
}

/* `bench MODEL --compare MODEL2`: both models on the same inputs, in alternating runs. */
static int run_compare(bench_args_t *a, const ei_session_opts_t *opts)
{
    side_t m[2];
    memset(m, 0, sizeof(m));
    const char **names = NULL;
    ei_tensor_t **inputs = NULL;
    size_t n_in = 0;
    ei_error_t err = {0};
    json_t *doc = NULL;
    int rc = side_open(&m[0], a->model, opts);
    if (rc == EI_EXIT_OK)
        rc = side_open(&m[1], a->compare, opts);
    if (rc != EI_EXIT_OK)
        goto out;
    rc = EI_EXIT_FAILURE;
    ei_cli_gen_t gen;
    memset(&gen, 0, sizeof(gen));
    gen.fill = a->zeros ? EI_CLI_FILL_ZEROS : EI_CLI_FILL_RANDOM;
    gen.seed = a->seed;
    gen.dims = a->sess.dims;
    gen.n_dims = a->sess.n_dims;
    gen.batch = a->batch;
    n_in = ei_session_input_count(m[0].s);
    if (ei_cli_make_inputs(m[0].s, &gen, &names, &inputs, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "generating inputs for '%s'", a->model);
        goto out;
    }
    m[0].names = calloc(n_in ? n_in : 1, sizeof(*m[0].names));
    m[0].inputs = calloc(n_in ? n_in : 1, sizeof(*m[0].inputs));
    if (m[0].names == NULL || m[0].inputs == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
        goto out;
    }
    memcpy(m[0].names, names, n_in * sizeof(*names));
    memcpy(m[0].inputs, inputs, n_in * sizeof(*inputs));
    rc = bind_inputs(&m[1], &m[0], names, inputs);
    if (rc != EI_EXIT_OK)
        goto out;
    rc = EI_EXIT_FAILURE;
    /* The first run of each: its outputs are the ones compared, kept aside until the end. */
    ei_tensor_t *kept[2][64];
    size_t n_keep[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        if (side_run(&m[k], true, NULL, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "running '%s'", m[k].path);
            goto out_kept;
        }
        n_keep[k] = m[k].n_out < 64 ? m[k].n_out : 64;
        for (size_t o = 0; o < n_keep[k]; o++) {
            kept[k][o] = m[k].outs[o];
            m[k].outs[o] = NULL;
        }
    }
    for (long i = 0; i < a->warmup; i++) {
        for (int k = 0; k < 2; k++) {
            if (side_run(&m[k], false, NULL, &err) != EI_OK) {
                rc = ei_cli_fail(&err, "running '%s' (warm-up %ld)", m[k].path, i + 1);
                goto out_kept;
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        if (!ei_bench_samples_reserve(&m[k].samples, (size_t)a->iterations)) {
            ei_cli_errorc(EI_ENOMEM, "bench: out of memory for %ld latency samples", a->iterations);
            goto out_kept;
        }
    }
    /* Alternating runs, the order swapped every round, so drift and caches hit both alike. */
    for (long i = 0; i < a->iterations; i++) {
        for (int j = 0; j < 2; j++) {
            int k = (int)((i + j) & 1);
            uint64_t ns = 0;
            if (side_run(&m[k], false, &ns, &err) != EI_OK) {
                rc = ei_cli_fail(&err, "running '%s' (measured run %ld)", m[k].path, i + 1);
                goto out_kept;
            }
            ei_bench_samples_push(&m[k].samples, ns);
        }
    }
    for (int k = 0; k < 2; k++)
        ei_bench_stats_compute(m[k].samples.ns, m[k].samples.n, &m[k].lat);

    doc = a->json ? json_object() : NULL;
    json_t *jouts = a->json ? json_array() : NULL;
    if (!a->json) {
        char b0[32], b1[32];
        printf("%-22s %-24s %-24s %s\n", "", m[0].path, m[1].path, "ratio (2nd/1st)");
        printf("%-22s %-24s %-24s %.3f\n", "file size",
               ei_cli_format_bytes(m[0].size, b0, sizeof(b0)),
               ei_cli_format_bytes(m[1].size, b1, sizeof(b1)),
               m[0].size ? (double)m[1].size / (double)m[0].size : 0.0);
        printf("%-22s %-24.2f %-24.2f\n", "session creation ms", m[0].create_ms, m[1].create_ms);
        printf("%-22s %-24.4f %-24.4f %.3f\n", "latency median ms", m[0].lat.median,
               m[1].lat.median, m[0].lat.median > 0 ? m[1].lat.median / m[0].lat.median : 0.0);
        printf("%-22s %-24.4f %-24.4f\n", "latency p90 ms", m[0].lat.p90, m[1].lat.p90);
        printf("%-22s %-24.4f %-24.4f\n", "latency min ms", m[0].lat.min, m[1].lat.min);
        printf("%-22s %-24.4f %-24.4f\n", "latency stddev ms", m[0].lat.stddev, m[1].lat.stddev);
    }
    for (size_t o = 0; o < n_keep[0]; o++) {
        const char *name = ei_session_output(m[0].s, o)->name;
        int k = ei_session_output_index(m[1].s, name);
        size_t other = k >= 0 ? (size_t)k : o;
        if (other >= n_keep[1])
            continue;
        double mx = 0, mean = 0;
        char why[256];
        bool ok = output_diff(kept[0][o], kept[1][other], &mx, &mean, why, sizeof(why));
        if (a->json) {
            json_t *jo = ok ? json_pack("{s:s, s:f, s:f}", "name", name, "max_abs_diff", mx,
                                        "mean_abs_diff", mean)
                            : json_pack("{s:s, s:s}", "name", name, "not_compared", why);
            json_array_append_new(jouts, jo);
        } else if (ok) {
            printf("%-22s output '%s': max %.6g, mean %.6g\n", "|difference|", name, mx, mean);
        } else {
            printf("%-22s output '%s': %s\n", "|difference|", name, why);
        }
    }
    if (a->json) {
        json_t *jm = json_array();
        for (int k = 0; k < 2; k++)
            json_array_append_new(
                jm, json_pack("{s:s, s:I, s:f, s:o, s:I}", "model", m[k].path, "size_bytes",
                              (json_int_t)m[k].size, "session_creation_ms", m[k].create_ms,
                              "latency_ms", json_lat(&m[k].lat), "runs", (json_int_t)m[k].lat.n));
        json_object_set_new(doc, "tool", json_string("edgeinfer bench --compare"));
        json_object_set_new(doc, "onnxruntime", json_string(ei_ort_version()));
        json_object_set_new(doc, "batch", json_integer(a->batch));
        json_object_set_new(doc, "threads", json_integer(a->sess.opts.intra_op_threads));
        json_object_set_new(doc, "models", jm);
        json_object_set_new(doc, "outputs", jouts);
        json_object_set_new(
            doc, "ratio",
            json_pack("{s:f, s:f}", "size", m[0].size ? (double)m[1].size / (double)m[0].size : 0.0,
                      "median_latency",
                      m[0].lat.median > 0 ? m[1].lat.median / m[0].lat.median : 0.0));
        rc = ei_cli_print_json(doc);
        doc = NULL;
    } else {
        printf("%-22s %ld alternating runs each, batch %" PRId64 ", %s inputs (seed %" PRIu64 ")\n",
               "measured", a->iterations, a->batch, a->zeros ? "zero" : "random", a->seed);
        rc = fflush(stdout) == 0 ? EI_EXIT_OK : EI_EXIT_FAILURE;
    }
out_kept:
    for (int k = 0; k < 2; k++) {
        for (size_t o = 0; o < n_keep[k]; o++)
            ei_tensor_destroy(kept[k][o]);
    }
out:
    json_decref(doc);
    for (int k = 0; k < 2; k++)
        side_free(&m[k]);
    ei_cli_free_inputs(names, inputs, n_in);
    return rc;
}

static int run_bench(int argc, char **argv)
{
    /* `--url` switches to the load generator for a server (bench_url.c). */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--url") == 0 || strncmp(argv[i], "--url=", 6) == 0)
            return ei_cli_bench_url(argc, argv);
    }
    bench_args_t a;
    ei_session_t *s = NULL;
    const char **names = NULL;
    ei_tensor_t **inputs = NULL;
    ei_tensor_t **outs = NULL;
    ei_bench_samples_t samples = {0};
    ei_error_t err = {0};
    size_t n_in = 0, n_out = 0;
    char provs[256] = "";
    int rc = parse_args(argc, argv, &a);
    if (rc != -1)
        return rc;

    rc = ei_cli_init_runtime(EI_LOG_WARN, a.sess.global_threads, a.sess.opts.intra_op_threads);
    if (rc != EI_EXIT_OK)
        return rc;
    rc = ei_cli_session_load_keys(&a.sess);
    if (rc != EI_EXIT_OK)
        return rc;
    const ei_session_opts_t *opts = ei_cli_session_opts(&a.sess);
    if (a.compare != NULL) {
        rc = run_compare(&a, opts);
        ei_cli_session_args_dispose(&a.sess);
        return rc;
    }

    uint64_t t0 = ei_bench_now_ns();
    bool created = ei_session_create(a.model, opts, &s, &err) == EI_OK;
    ei_cli_session_args_dispose(&a.sess); /* the keys are needed only to load */
    if (!created) {
        rc = ei_cli_fail(&err, "creating the session");
        goto out;
    }
    double create_ms = (double)(ei_bench_now_ns() - t0) / 1e6;

    if (!batch_applies(s, &a)) {
        ei_cli_errorc(EI_EINVAL,
                      "--batch %" PRId64
                      ": model '%s' has no free input dimension to put the batch "
                      "in (its input shapes are fixed)",
                      a.batch, a.model);
        rc = EI_EXIT_FAILURE;
        goto out;
    }
    ei_cli_gen_t gen;
    memset(&gen, 0, sizeof(gen));
    gen.fill = a.zeros ? EI_CLI_FILL_ZEROS : EI_CLI_FILL_RANDOM;
    gen.seed = a.seed;
    gen.dims = a.sess.dims;
    gen.n_dims = a.sess.n_dims;
    gen.batch = a.batch;
    n_in = ei_session_input_count(s);
    if (ei_cli_make_inputs(s, &gen, &names, &inputs, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "generating inputs for '%s'", a.model);
        goto out;
    }
    n_out = ei_session_output_count(s);
    outs = calloc(n_out > 0 ? n_out : 1, sizeof(*outs));
    if (outs == NULL) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory");
        rc = EI_EXIT_FAILURE;
        goto out;
    }

    uint64_t first_ns = 0;
    if (run_once(s, names, inputs, n_in, outs, n_out, &first_ns, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "running '%s'", a.model);
        goto out;
    }
    for (long i = 0; i < a.warmup; i++) {
        if (run_once(s, names, inputs, n_in, outs, n_out, NULL, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "running '%s' (warm-up %ld)", a.model, i + 1);
            goto out;
        }
    }

    /*
     * Reserve every sample up front (for --duration: a guess from the first run, with room to
     * spare; the array doubles if the guess was short, outside the timed region).
     */
    size_t want = (size_t)a.iterations;
    if (a.by_duration) {
        double guess = a.duration_s * 1e9 / (double)(first_ns > 0 ? first_ns : 1) * 2.0 + 16.0;
        want = guess > 1e6 ? (size_t)1000000 : (size_t)guess;
    }
    if (!ei_bench_samples_reserve(&samples, want)) {
        ei_cli_errorc(EI_ENOMEM, "bench: out of memory for %zu latency samples", want);
        rc = EI_EXIT_FAILURE;
        goto out;
    }
    uint64_t dur_ns = (uint64_t)(a.duration_s * 1e9);
    uint64_t loop_start = ei_bench_now_ns(), loop_end = loop_start;
    for (long i = 0;; i++) {
        uint64_t a0 = ei_bench_now_ns();
        ei_code_t run_rc = ei_session_run(s, names, inputs, n_in, NULL, outs, n_out, &err);
        uint64_t a1 = ei_bench_now_ns();
        for (size_t k = 0; k < n_out; k++) {
            ei_tensor_destroy(outs[k]);
            outs[k] = NULL;
        }
        if (run_rc != EI_OK) {
            rc = ei_cli_fail(&err, "running '%s' (measured run %ld)", a.model, i + 1);
            goto out;
        }
        loop_end = a1;
        if (!ei_bench_samples_push(&samples, a1 - a0)) {
            ei_cli_errorc(EI_ENOMEM, "bench: out of memory for latency samples after %zu runs",
                          samples.n);
            rc = EI_EXIT_FAILURE;
            goto out;
        }
        if (a.by_duration ? (a1 - loop_start >= dur_ns || samples.n >= MAX_SAMPLES)
                          : samples.n >= (size_t)a.iterations)
            break;
    }

    ei_bench_report_t r;
    memset(&r, 0, sizeof(r));
    const char *pnames[16];
    size_t np = ei_session_providers(s, pnames, 16);
    size_t used = 0;
    for (size_t i = 0; i < np && i < 16 && used < sizeof(provs); i++) {
        int w = snprintf(provs + used, sizeof(provs) - used, "%s%s", i ? "," : "", pnames[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    r.tool = "edgeinfer bench";
    r.model = a.model;
    r.providers = provs;
    r.threads = a.sess.opts.intra_op_threads;
    r.batch = a.batch;
    r.warmup = a.warmup;
    r.by_duration = a.by_duration;
    r.iterations = a.iterations;
    r.duration_s = a.duration_s;
    r.create_ms = create_ms;
    r.first_run_ms = (double)first_ns / 1e6;
    r.wall_s = (double)(loop_end - loop_start) / 1e9;
    ei_bench_stats_compute(samples.ns, samples.n, &r.lat);
    r.peak_rss_kib = ei_bench_peak_rss_kib();
    if (a.json) {
        rc = print_json(&r, s, inputs, &a);
    } else {
        char line[1024];
        ei_bench_report_print(stdout, &r);
        inputs_line(s, inputs, line, sizeof(line));
        printf("inputs:           %s (%s)\n", line, a.zeros ? "zeros" : "random");
        rc = EI_EXIT_OK;
    }
out:
    ei_bench_samples_free(&samples);
    if (outs != NULL) {
        for (size_t k = 0; k < n_out; k++)
            ei_tensor_destroy(outs[k]);
    }
    free(outs);
    ei_cli_free_inputs(names, inputs, n_in);
    ei_session_destroy(s);
    return rc;
}

const ei_cli_command_t ei_cli_cmd_bench = {"bench", run_bench,
                                           "measure a model's latency and throughput"};
