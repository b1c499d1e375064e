/* SPDX-License-Identifier: MIT */
/*
 * bare-ort: the reference loop that `edgeinfer bench` is measured against. It talks to the ONNX
 * Runtime C API directly (no edgeinfer at all) with the same settings `edgeinfer bench` uses by
 * default: a WARNING-level environment, per-session intra-op threads (--threads, 0 = ORT's
 * default), sequential execution, all graph optimisations, the CPU provider. Inputs are made once
 * with the same fill as cli/inputs.c (splitmix64 from --seed, floats uniform in [0, 1), integers
 * in [0, 10)) and the same free-dim rules (--dim NAME=N, else the first free dim takes --batch,
 * else 1) and wrapped in OrtValues once; each iteration is one Run() between two CLOCK_MONOTONIC
 * stamps, then the outputs are released. The statistics and the report come from the same
 * cli/bench_stats.c, so the two programs print the same numbers the same way. Not a general tool:
 * CPU only, tensor inputs of the common numeric types only.
 *
 * usage: bare_ort MODEL [--batch N] [--threads N] [--iterations N | --duration S] [--warmup N]
 *                       [--dim NAME=N]... [--zeros] [--seed N]
 */
#include "bench_stats.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <onnxruntime_c_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IO 64
#define MAX_DIMS 32
#define MAX_RANK 16

static const OrtApi *ort;

typedef struct {
    const char *model;
    int64_t batch;
    int threads;
    long iterations;
    double duration_s;
    bool by_duration;
    long warmup;
    bool zeros;
    uint64_t seed;
    const char *dim_names[MAX_DIMS];
    int64_t dim_values[MAX_DIMS];
    size_t n_dims;
} args_t;

/* Prints ORT's message and releases the status; returns true when there was an error. */
static bool failed(OrtStatus *st, const char *what)
{
    if (st == NULL)
        return false;
    fprintf(stderr, "bare_ort: error: %s: %s\n", what, ort->GetErrorMessage(st));
    ort->ReleaseStatus(st);
    return true;
}

static bool parse_ll(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    if (s == NULL || *s == '\0')
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bare_ort: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nusage: bare_ort MODEL [--batch N] [--threads N] [--iterations N | --duration S] "
          "[--warmup N] [--dim NAME=N]... [--zeros] [--seed N]\n",
          stderr);
    return 2;
}

static int parse_args(int argc, char **argv, args_t *a)
{
    static const struct option opts[] = {{"batch", required_argument, NULL, 'b'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"iterations", required_argument, NULL, 'n'},
                                         {"duration", required_argument, NULL, 'd'},
                                         {"warmup", required_argument, NULL, 'w'},
                                         {"dim", required_argument, NULL, 'D'},
                                         {"zeros", no_argument, NULL, 'z'},
                                         {"seed", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    long long v = 0;
    bool have_n = false;
    memset(a, 0, sizeof(*a));
    a->batch = 1;
    a->iterations = 1000;
    a->warmup = 5;
    opterr = 0;
    for (;;) {
        int o = getopt_long(argc, argv, ":", opts, NULL);
        if (o == -1)
            break;
        switch (o) {
        case 'b':
            if (!parse_ll(optarg, 1, 1000000, &v))
                return usage("--batch: expected 1..1000000, got '%s'", optarg);
            a->batch = v;
            break;
        case 't':
            if (!parse_ll(optarg, 0, 1024, &v))
                return usage("--threads: expected 0..1024, got '%s'", optarg);
            a->threads = (int)v;
            break;
        case 'n':
            if (!parse_ll(optarg, 1, 1000000000, &v))
                return usage("--iterations: expected 1..1000000000, got '%s'", optarg);
            a->iterations = (long)v;
            have_n = true;
            break;
        case 'd': {
            char *end = NULL;
            errno = 0;
            a->duration_s = strtod(optarg, &end);
            if (errno != 0 || *end != '\0' || !isfinite(a->duration_s) || a->duration_s <= 0.0)
                return usage("--duration: expected seconds > 0, got '%s'", optarg);
            a->by_duration = true;
            break;
        }
        case 'w':
            if (!parse_ll(optarg, 0, 1000000, &v))
                return usage("--warmup: expected 0..1000000, got '%s'", optarg);
            a->warmup = (long)v;
            break;
        case 'D': {
            const char *eq = strrchr(optarg, '=');
            if (eq == NULL || eq == optarg || a->n_dims == MAX_DIMS ||
                !parse_ll(eq + 1, 0, INT64_MAX, &v))
                return usage("--dim: expected NAME=N, got '%s'", optarg);
            char *name = strndup(optarg, (size_t)(eq - optarg));
            if (name == NULL)
                return usage("out of memory for '%s'", optarg);
            a->dim_names[a->n_dims] = name;
            a->dim_values[a->n_dims] = v;
            a->n_dims++;
            break;
        }
        case 'z':
            a->zeros = true;
            break;
        case 's':
            if (!parse_ll(optarg, 0, INT64_MAX, &v))
                return usage("--seed: expected a non-negative integer, got '%s'", optarg);
            a->seed = (uint64_t)v;
            break;
        case ':':
            return usage("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (have_n && a->by_duration)
        return usage("--iterations and --duration exclude each other");
    if (optind != argc - 1)
        return usage("expected one MODEL");
    a->model = argv[optind];
    return 0;
}

/* The same generator as cli/inputs.c, so both programs feed identical values. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *state)
{
    return (double)(next_u64(state) >> 11) * (1.0 / 9007199254740992.0);
}

static size_t elem_size(ONNXTensorElementDataType t)
{
    switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
        return 4;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
        return 8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
        return 1;
    default:
        return 0;
    }
}

static const char *type_name(ONNXTensorElementDataType t)
{
    switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
        return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
        return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
        return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
        return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
        return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
        return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
        return "bool";
    default:
        return "?";
    }
}

static void fill(void *data, ONNXTensorElementDataType t, size_t n, bool zeros, uint64_t *seed)
{
    if (zeros) {
        memset(data, 0, n * elem_size(t));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        switch (t) {
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
            ((float *)data)[i] = (float)next_unit(seed);
            break;
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
            ((double *)data)[i] = next_unit(seed);
            break;
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
            ((uint32_t *)data)[i] = (uint32_t)(next_u64(seed) % 10);
            break;
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
            ((uint64_t *)data)[i] = next_u64(seed) % 10;
            break;
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
            ((uint8_t *)data)[i] = (uint8_t)(next_u64(seed) % 2);
            break;
        default: /* uint8, int8 */
            ((uint8_t *)data)[i] = (uint8_t)(next_u64(seed) % 10);
            break;
        }
    }
}

typedef struct {
    char *in_names[MAX_IO], *out_names[MAX_IO];
    void *buffers[MAX_IO];
    OrtValue *in_vals[MAX_IO], *out_vals[MAX_IO];
    size_t n_in, n_out;
    char desc[1024];
} io_t;

/* Reads input `i`'s declared type and shape, resolves free dims, fills a buffer and wraps it. */
static bool make_input(OrtSession *sess, OrtMemoryInfo *mem, size_t i, const args_t *a,
                       uint64_t *seed, io_t *io)
{
    OrtTypeInfo *ti = NULL;
    const OrtTensorTypeAndShapeInfo *tsi = NULL;
    ONNXTensorElementDataType et = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    size_t rank = 0;
    int64_t shape[MAX_RANK];
    const char *sym[MAX_RANK];
    bool ok = false;

    if (failed(ort->SessionGetInputTypeInfo(sess, i, &ti), "input type") ||
        failed(ort->CastTypeInfoToTensorInfo(ti, &tsi), "input type") || tsi == NULL ||
        failed(ort->GetTensorElementType(tsi, &et), "input type") ||
        failed(ort->GetDimensionsCount(tsi, &rank), "input rank"))
        goto out;
    if (rank > MAX_RANK || elem_size(et) == 0) {
        fprintf(stderr, "bare_ort: error: input '%s': rank %zu / element type %d not supported\n",
                io->in_names[i], rank, (int)et);
        goto out;
    }
    if (failed(ort->GetDimensions(tsi, shape, rank), "input shape") ||
        failed(ort->GetSymbolicDimensions(tsi, sym, rank), "input dim names"))
        goto out;
    bool batch_used = false;
    size_t count = 1;
    for (size_t d = 0; d < rank; d++) {
        if (shape[d] < 0) {
            bool set = false;
            for (size_t k = 0; k < a->n_dims && sym[d] != NULL && sym[d][0] != '\0'; k++) {
                if (strcmp(a->dim_names[k], sym[d]) == 0) {
                    shape[d] = a->dim_values[k];
                    set = true;
                }
            }
            if (!set)
                shape[d] = batch_used ? 1 : a->batch;
            batch_used = true;
        }
        count *= (size_t)shape[d];
    }
    size_t nbytes = count * elem_size(et);
    io->buffers[i] = aligned_alloc(64, nbytes > 0 ? (nbytes + 63) / 64 * 64 : 64);
    if (io->buffers[i] == NULL) {
        fprintf(stderr, "bare_ort: error: out of memory for input '%s'\n", io->in_names[i]);
        goto out;
    }
    fill(io->buffers[i], et, count, a->zeros, seed);
    if (failed(ort->CreateTensorWithDataAsOrtValue(mem, io->buffers[i], nbytes, shape, rank, et,
                                                   &io->in_vals[i]),
               "wrapping an input"))
        goto out;
    size_t used = strlen(io->desc);
    int w = snprintf(io->desc + used, sizeof(io->desc) - used, "%s%s %s [", i ? ", " : "",
                     io->in_names[i], type_name(et));
    for (size_t d = 0; d < rank && w >= 0; d++) {
        used = strlen(io->desc);
        w = snprintf(io->desc + used, sizeof(io->desc) - used, "%s%" PRId64, d ? "," : "",
                     shape[d]);
    }
    used = strlen(io->desc);
    snprintf(io->desc + used, sizeof(io->desc) - used, "]");
    ok = true;
out:
    ort->ReleaseTypeInfo(ti);
    return ok;
}

static bool run_once(OrtSession *sess, io_t *io, uint64_t *ns)
{
    for (size_t k = 0; k < io->n_out; k++)
        io->out_vals[k] = NULL;
    uint64_t t0 = ei_bench_now_ns();
    OrtStatus *st = ort->Run(sess, NULL, (const char *const *)io->in_names,
                             (const OrtValue *const *)io->in_vals, io->n_in,
                             (const char *const *)io->out_names, io->n_out, io->out_vals);
    uint64_t t1 = ei_bench_now_ns();
    for (size_t k = 0; k < io->n_out; k++)
        ort->ReleaseValue(io->out_vals[k]);
    if (ns != NULL)
        *ns = t1 - t0;
    return !failed(st, "run");
}

int main(int argc, char **argv)
{
    args_t a;
    OrtEnv *env = NULL;
    OrtSessionOptions *so = NULL;
    OrtSession *sess = NULL;
    OrtAllocator *alloc = NULL;
    OrtMemoryInfo *mem = NULL;
    io_t io;
    ei_bench_samples_t samples = {0};
    int rc = parse_args(argc, argv, &a);
    memset(&io, 0, sizeof(io));
    if (rc != 0)
        goto out;
    rc = 1;
    ort = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (ort == NULL) {
        fprintf(stderr, "bare_ort: error: ONNX Runtime lacks API version %d\n", ORT_API_VERSION);
        goto out;
    }
    if (failed(ort->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "bare_ort", &env), "creating the env") ||
        failed(ort->CreateSessionOptions(&so), "session options") ||
        (a.threads > 0 && failed(ort->SetIntraOpNumThreads(so, a.threads), "threads")) ||
        failed(ort->SetSessionExecutionMode(so, ORT_SEQUENTIAL), "execution mode") ||
        failed(ort->SetSessionGraphOptimizationLevel(so, ORT_ENABLE_ALL), "optimisation level"))
        goto out;
    /* edgeinfer hands --dim to ORT as free-dimension overrides too (they change the plan). */
    for (size_t k = 0; k < a.n_dims; k++) {
        if (failed(ort->AddFreeDimensionOverrideByName(so, a.dim_names[k], a.dim_values[k]),
                   "--dim"))
            goto out;
    }
    uint64_t t0 = ei_bench_now_ns();
    if (failed(ort->CreateSession(env, a.model, so, &sess), a.model))
        goto out;
    double create_ms = (double)(ei_bench_now_ns() - t0) / 1e6;

    if (failed(ort->GetAllocatorWithDefaultOptions(&alloc), "allocator") ||
        failed(ort->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mem), "mem info") ||
        failed(ort->SessionGetInputCount(sess, &io.n_in), "inputs") ||
        failed(ort->SessionGetOutputCount(sess, &io.n_out), "outputs"))
        goto out;
    if (io.n_in > MAX_IO || io.n_out > MAX_IO) {
        fprintf(stderr, "bare_ort: error: more than %d inputs or outputs\n", MAX_IO);
        goto out;
    }
    uint64_t seed = a.seed;
    for (size_t i = 0; i < io.n_in; i++) {
        if (failed(ort->SessionGetInputName(sess, i, alloc, &io.in_names[i]), "input name"))
            goto out;
        if (!make_input(sess, mem, i, &a, &seed, &io))
            goto out;
    }
    for (size_t i = 0; i < io.n_out; i++) {
        if (failed(ort->SessionGetOutputName(sess, i, alloc, &io.out_names[i]), "output name"))
            goto out;
    }

    uint64_t first_ns = 0;
    if (!run_once(sess, &io, &first_ns))
        goto out;
    for (long i = 0; i < a.warmup; i++) {
        if (!run_once(sess, &io, NULL))
            goto out;
    }
    size_t want = (size_t)a.iterations;
    if (a.by_duration) {
        double guess = a.duration_s * 1e9 / (double)(first_ns > 0 ? first_ns : 1) * 2.0 + 16.0;
        want = guess > 1e6 ? (size_t)1000000 : (size_t)guess;
    }
    if (!ei_bench_samples_reserve(&samples, want)) {
        fprintf(stderr, "bare_ort: error: out of memory for samples\n");
        goto out;
    }
    uint64_t dur_ns = (uint64_t)(a.duration_s * 1e9);
    uint64_t loop_start = ei_bench_now_ns(), loop_end = loop_start;
    for (;;) {
        for (size_t k = 0; k < io.n_out; k++)
            io.out_vals[k] = NULL;
        uint64_t a0 = ei_bench_now_ns();
        OrtStatus *st = ort->Run(sess, NULL, (const char *const *)io.in_names,
                                 (const OrtValue *const *)io.in_vals, io.n_in,
                                 (const char *const *)io.out_names, io.n_out, io.out_vals);
        uint64_t a1 = ei_bench_now_ns();
        for (size_t k = 0; k < io.n_out; k++)
            ort->ReleaseValue(io.out_vals[k]);
        if (failed(st, "run"))
            goto out;
        loop_end = a1;
        if (!ei_bench_samples_push(&samples, a1 - a0)) {
            fprintf(stderr, "bare_ort: error: out of memory for samples\n");
            goto out;
        }
        if (a.by_duration ? a1 - loop_start >= dur_ns : samples.n >= (size_t)a.iterations)
            break;
    }

    ei_bench_report_t r;
    memset(&r, 0, sizeof(r));
    r.tool = "bare-ort";
    r.model = a.model;
    r.providers = "cpu";
    r.threads = a.threads;
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
    ei_bench_report_print(stdout, &r);
    printf("inputs:           %s (%s)\n", io.desc, a.zeros ? "zeros" : "random");
    rc = 0;
out:
    ei_bench_samples_free(&samples);
    for (size_t i = 0; i < MAX_IO; i++) {
        if (ort != NULL && io.in_vals[i] != NULL)
            ort->ReleaseValue(io.in_vals[i]);
        free(io.buffers[i]);
        if (alloc != NULL && io.in_names[i] != NULL)
            failed(ort->AllocatorFree(alloc, io.in_names[i]), "freeing a name");
        if (alloc != NULL && io.out_names[i] != NULL)
            failed(ort->AllocatorFree(alloc, io.out_names[i]), "freeing a name");
    }
    for (size_t k = 0; k < a.n_dims; k++)
        free((void *)a.dim_names[k]);
    if (ort != NULL) {
        ort->ReleaseMemoryInfo(mem);
        ort->ReleaseSession(sess);
        ort->ReleaseSessionOptions(so);
        ort->ReleaseEnv(env);
    }
    return rc;
}
