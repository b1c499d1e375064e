/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer run MODEL`: one inference. Inputs come from .npy / TensorProto .pb files (-i;
 * sequence, map and optional inputs from SequenceProto / MapProto / OptionalProto .pb files) or are
 * generated to fit the declared shapes (--random / --zeros); outputs are summarised (shape, dtype,
 * min/max/mean, first values; sequences element by element) and optionally written as
 * DIR/<output name>.npy (.pb for non-tensor values). Not a benchmark (see `bench`).
 *
 * Free dims of generated inputs: --dim NAME=N wins; then a symbolic dim whose size is known from an
 * input given as a file (silero's `batch` from the audio, for example); then the rules of inputs.h
 * (--batch for the first free dim, 1 for the rest).
 */
#include "cli.h"
#include "commands.h"
#include "inputs.h"
#include "output.h"
#include "session_args.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define CMD "run"
#define MAX_ARGS 64
/* How many leading values the summary shows. */
#define FIRST_VALUES 8

enum {
    OPT_RANDOM = 0x100,
    OPT_ZEROS,
    OPT_SEED,
    OPT_OUTPUT,
    OPT_JSON,
    OPT_BATCH,
};

static const struct option own_options[] = {
    {"input", required_argument, NULL, 'i'},
    {"output-dir", required_argument, NULL, 'o'},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"random", no_argument, NULL, OPT_RANDOM},
    {"zeros", no_argument, NULL, OPT_ZEROS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct run_args {
    const char *model;
    const char *inputs[MAX_ARGS]; /* -i values as given */
    size_t n_inputs;
    const char *outputs[MAX_ARGS];
    size_t n_outputs;
    const char *out_dir;
    bool have_fill;
    ei_cli_fill_t fill;
    uint64_t seed;
    int64_t batch;
    bool json;
    ei_cli_session_args_t sess;
} run_args_t;

/* Where an input value came from, for the report. */
typedef struct input_slot {
    ei_value_t *value;
    ei_tensor_t *tensor; /* the value's tensor (borrowed), NULL for sequences, maps, optionals */
    const char *source;  /* the file, or NULL when generated */
} input_slot_t;

static void print_help(void)
{
    printf("usage: edgeinfer run MODEL [-i NAME=FILE]... [--random|--zeros] [--seed N]\n"
           "                     [--dim NAME=N]... [-o DIR] [--output NAME]... [--json]\n\n"
           "Runs the model once and prints each output: shape, element type, min/max/mean and\n"
           "the first values.\n\n"
           "options:\n"
           "  -i, --input NAME=FILE  feed input NAME from FILE: NumPy .npy or ONNX TensorProto\n"
           "                         .pb (by extension; other names are sniffed); repeatable.\n"
           "                         -i FILE alone is fine for a single-input model. Sequence,\n"
           "                         map and optional inputs take ONNX SequenceProto, MapProto\n"
           "                         and OptionalProto .pb files\n"
           "  --random               generate the inputs not given with -i: floats uniform in\n"
           "                         [0,1), integers in [0,10), bools, strings \"a\"\n"
           "  --zeros                generate them as zeros (empty strings) instead\n"
           "  --seed N               seed for --random (default 0; same seed, same inputs)\n"
           "  --batch N              size of the first free dim of generated inputs when no\n"
           "                         --dim names it (default 1); other free dims default to 1\n"
           "  -o, --output-dir DIR   write each output as DIR/<output name>.npy (characters\n"
           "                         other than letters, digits, '.', '-', '_' become '_');\n"
           "                         sequences, maps and optionals as .pb files\n"
           "  --output NAME          fetch only this output; repeatable (default: all)\n"
           "  --json                 print one JSON document instead of text\n"
           "  -h, --help             show this help\n\n" EI_CLI_SESSION_HELP
           "\n--dim NAME=N also sizes generated inputs. Without --random or --zeros every input\n"
           "must be given with -i. Exit codes: 0 ok, 1 failure, 2 usage error.\n");
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, run_args_t *a)
{
    ei_cli_opts_t p;
    long long v = 0;
    bool random = false, zeros = false;
    memset(a, 0, sizeof(*a));
    a->batch = 1;
    ei_cli_session_args_init(&a->sess);
    int opt, rc = ei_cli_opts_begin(&p, CMD, own_options, ":hi:o:", &a->sess, print_help);
    while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1) {
        switch (opt) {
        case 'i':
            if (a->n_inputs == MAX_ARGS)
                return ei_cli_usage_error(CMD, "-i: at most %d inputs", MAX_ARGS);
            if (optarg[0] == '\0')
                return ei_cli_usage_error(CMD, "-i: expected NAME=FILE or FILE, got ''");
            a->inputs[a->n_inputs++] = optarg;
            break;
        case 'o':
            if (optarg[0] == '\0')
                return ei_cli_usage_error(CMD, "-o: expected a directory, got ''");
            a->out_dir = optarg;
            break;
        case OPT_OUTPUT:
            if (a->n_outputs == MAX_ARGS)
                return ei_cli_usage_error(CMD, "--output: at most %d outputs", MAX_ARGS);
            a->outputs[a->n_outputs++] = optarg;
            break;
        case OPT_RANDOM:
            random = true;
            break;
        case OPT_ZEROS:
            zeros = true;
            break;
        case OPT_SEED:
            if (!ei_cli_parse_int(optarg, 0, INT64_MAX, &v))
                return ei_cli_usage_error(CMD, "--seed: expected a non-negative integer, got '%s'",
                                          optarg);
            a->seed = (uint64_t)v;
            break;
        case OPT_BATCH:
            if (!ei_cli_parse_int(optarg, 1, 1000000, &v))
                return ei_cli_usage_error(
                    CMD, "--batch: expected an integer from 1 to 1000000, got '%s'", optarg);
            a->batch = (int64_t)v;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        }
    }
    if (rc != -1)
        return rc;
    if (random && zeros)
        return ei_cli_usage_error(CMD, "--random and --zeros exclude each other: give one");
    a->have_fill = random || zeros;
    a->fill = random ? EI_CLI_FILL_RANDOM : EI_CLI_FILL_ZEROS;
    if (optind >= argc)
        return ei_cli_usage_error(CMD, "missing MODEL");
    if (argc - optind > 1)
        return ei_cli_usage_error(CMD, "expected one MODEL, got '%s' too", argv[optind + 1]);
    a->model = argv[optind];
    return -1;
}

static void list_inputs(const ei_session_t *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ei_session_input_count(s) && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
                              ei_session_input(s, i)->name);
}

static void list_outputs(const ei_session_t *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ei_session_output_count(s) && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
                              ei_session_output(s, i)->name);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Loads FILE as .npy or .pb: by extension, else by the .npy magic. */
static ei_code_t load_tensor(const char *path, ei_tensor_t **out, ei_error_t *err)
{
    bool npy = has_suffix(path, ".npy");
    if (!npy && !has_suffix(path, ".pb")) {
        unsigned char magic[6] = {0};
        FILE *f = fopen(path, "rb");
        if (f != NULL) {
            npy = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
                  memcmp(magic, "\x93NUMPY", 6) == 0;
            fclose(f);
        }
    }
    if (npy)
        return ei_tensor_load_npy(path, out, err);
    return ei_tensor_load_pb(path, out, NULL, err);
}

/*
 * Loads the file for one input: a tensor input from .npy or .pb (TensorProto); a sequence, map or
 * optional input from the matching .pb proto (the model says which).
 */
static ei_code_t load_input(const ei_value_info_t *decl, const char *path, input_slot_t *slot,
                            ei_error_t *err)
{
    if (decl->kind == EI_VALUE_SEQUENCE || decl->kind == EI_VALUE_MAP ||
        decl->kind == EI_VALUE_OPTIONAL) {
        if (has_suffix(path, ".npy")) {
            snprintf(err->msg, sizeof(err->msg),
                     "%s: input '%s' is %s %s; give it as an ONNX %s .pb file, not .npy", path,
                     decl->name, decl->kind == EI_VALUE_OPTIONAL ? "an" : "a",
                     ei_value_kind_name(decl->kind),
                     decl->kind == EI_VALUE_SEQUENCE ? "SequenceProto"
                     : decl->kind == EI_VALUE_MAP    ? "MapProto"
                                                     : "OptionalProto");
            return err->code = EI_EINVAL;
        }
        return ei_value_load_pb(path, decl->kind, &slot->value, NULL, err);
    }
    ei_tensor_t *t = NULL;
    ei_code_t rc = load_tensor(path, &t, err);
    if (rc != EI_OK)
        return rc;
    rc = ei_value_from_tensor(t, &slot->value, err);
    if (rc != EI_OK) {
        ei_tensor_destroy(t);
        return rc;
    }
    slot->tensor = t;
    return EI_OK;
}

/*
 * Resolves the -i arguments into slots (one per model input). NAME=FILE splits at the first '='
 * when NAME is an input of the model; otherwise the whole argument is a file for the model's only
 * input. Returns an exit code.
 */
static int read_inputs(const run_args_t *a, const ei_session_t *s, input_slot_t *slots)
{
    char names[1024];
    size_t n_in = ei_session_input_count(s);
    for (size_t k = 0; k < a->n_inputs; k++) {
        const char *arg = a->inputs[k];
        const char *eq = strchr(arg, '=');
        const char *file = arg;
        int idx = -1;
        if (eq != NULL) {
            char name[512];
            size_t len = (size_t)(eq - arg);
            if (len < sizeof(name)) {
                memcpy(name, arg, len);
                name[len] = '\0';
                idx = ei_session_input_index(s, name);
                if (idx < 0 && n_in != 1) {
                    list_inputs(s, names, sizeof(names));
                    ei_cli_errorc(EI_ENOTFOUND,
                                  "-i %s: the model has no input '%s' (its inputs: %s)", arg, name,
                                  names);
                    return EI_EXIT_FAILURE;
                }
            }
            if (idx >= 0)
                file = eq + 1;
        }
        if (idx < 0) {
            if (n_in != 1) {
                list_inputs(s, names, sizeof(names));
                return ei_cli_usage_error(
                    CMD, "-i %s: give NAME=FILE, the model has %zu inputs (%s)", arg, n_in, names);
            }
            idx = 0;
        }
        const char *in_name = ei_session_input(s, (size_t)idx)->name;
        if (slots[idx].value != NULL)
            return ei_cli_usage_error(CMD, "input '%s' given twice (-i %s and -i %s)", in_name,
                                      slots[idx].source, file);
        if (file[0] == '\0')
            return ei_cli_usage_error(CMD, "-i %s: missing FILE after '='", arg);
        ei_error_t err = {0};
        if (load_input(ei_session_input(s, (size_t)idx), file, &slots[idx], &err) != EI_OK)
            return ei_cli_fail(&err, "reading input '%s'", in_name);
        slots[idx].source = file;
    }
    return EI_EXIT_OK;
}

/*
 * The dims for generated inputs: --dim overrides first, then symbolic dims learned from inputs
 * given as files (the first file to name a dim wins). `dims`/`names` have room for `cap`.
 */
static size_t gather_dims(const run_args_t *a, const ei_session_t *s, const input_slot_t *slots,
                          ei_dim_override_t *dims, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < a->sess.n_dims && n < cap; i++) {
        dims[n].name = a->sess.dim_names[i];
        dims[n].value = a->sess.dims[i].value;
        n++;
    }
    for (size_t i = 0; i < ei_session_input_count(s); i++) {
        const ei_value_info_t *v = ei_session_input(s, i);
        const ei_tensor_t *t = slots[i].tensor;
        if (t == NULL || !v->rank_known || v->rank != ei_tensor_rank(t))
            continue;
        for (size_t d = 0; d < v->rank && n < cap; d++) {
            const char *dn = v->dim_names[d];
            if (v->shape[d] >= 0 || dn[0] == '\0')
                continue;
            bool known = false;
            for (size_t k = 0; k < n && !known; k++)
                known = strcmp(dims[k].name, dn) == 0;
            if (!known) {
                dims[n].name = dn;
                dims[n].value = ei_tensor_shape(t)[d];
                n++;
            }
        }
    }
    return n;
}

/* Makes `name` safe as a file name: [A-Za-z0-9._-] kept, anything else '_', no leading dot. */
static void sanitize(const char *name, size_t index, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = name; *p != '\0' && n + 1 < size; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, size, "output_%zu", index);
    else if (out[0] == '.')
        out[0] = '_';
}

typedef struct stats {
    double min, max, mean;
    size_t nan;
    bool numeric;
} stats_t;

static stats_t tensor_stats(const ei_tensor_t *t)
{
    stats_t st = {0, 0, 0, 0, false};
    ei_dtype_t dt = ei_tensor_dtype(t);
    size_t n = ei_tensor_count(t);
    if (dt == EI_DTYPE_STRING || n == 0)
        return st;
    double sum = 0;
    size_t finite = 0;
    st.min = INFINITY;
    st.max = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = ei_tensor_get_f64(t, i);
        if (isnan(v)) {
            st.nan++;
            continue;
        }
        if (v < st.min)
            st.min = v;
        if (v > st.max)
            st.max = v;
        sum += v;
        finite++;
    }
    st.numeric = finite > 0;
    st.mean = finite > 0 ? sum / (double)finite : 0;
    return st;
}

static void print_value(const ei_tensor_t *t, size_t i)
{
    ei_dtype_t dt = ei_tensor_dtype(t);
    if (dt == EI_DTYPE_STRING) {
        size_t len = 0;
        const char *s = ei_tensor_string(t, i, &len);
        printf("\"%.*s%s\"", (int)(len > 40 ? 40 : len), s, len > 40 ? "..." : "");
        return;
    }
    double v = ei_tensor_get_f64(t, i);
    if (dt == EI_DTYPE_BOOL)
        printf("%s", v != 0 ? "true" : "false");
    else if (dt == EI_DTYPE_INT64 || dt == EI_DTYPE_INT32 || dt == EI_DTYPE_INT16 ||
             dt == EI_DTYPE_INT8 || dt == EI_DTYPE_INT4)
        printf("%lld", (long long)v);
    else if (dt == EI_DTYPE_UINT64 || dt == EI_DTYPE_UINT32 || dt == EI_DTYPE_UINT16 ||
             dt == EI_DTYPE_UINT8 || dt == EI_DTYPE_UINT4)
        printf("%llu", (unsigned long long)v);
    else
        printf("%.6g", v);
}

static void print_tensor_line(const char *what, const char *name, const ei_tensor_t *t,
                              const char *source, const char *file)
{
    char shape[256];
    ei_shape_format(ei_tensor_shape(t), ei_tensor_rank(t), shape, sizeof(shape));
    /* Sequence elements have no name of their own: "  [2]: int64 [3]". */
    printf("%s%s%s: %s %s", what, name[0] ? " " : "", name, ei_dtype_name(ei_tensor_dtype(t)),
           shape);
    if (source != NULL)
        printf("  from %s", source);
    printf("\n");
    stats_t st = tensor_stats(t);
    if (st.numeric)
        printf("  min %.6g  max %.6g  mean %.6g\n", st.min, st.max, st.mean);
    if (st.nan > 0)
        printf("  NaN: %zu\n", st.nan);
    size_t n = ei_tensor_count(t);
    if (n > 0) {
        printf("  first:");
        for (size_t i = 0; i < n && i < FIRST_VALUES; i++) {
            printf(i ? ", " : " ");
            print_value(t, i);
        }
        printf("%s\n", n > FIRST_VALUES ? ", ..." : "");
    }
    if (file != NULL)
        printf("  saved to %s\n", file);
}

/* A JSON number, or null for NaN/Inf (JSON has neither). */
static json_t *json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *json_first(const ei_tensor_t *t, size_t max);

static json_t *json_tensor(const char *name, const ei_tensor_t *t, const char *source,
                           const char *file)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (name != NULL)
        ei_cli_json_set_str(o, "name", name);
    json_object_set_new(o, "dtype", json_string(ei_dtype_name(ei_tensor_dtype(t))));
    json_object_set_new(o, "shape", ei_cli_json_shape(ei_tensor_shape(t), ei_tensor_rank(t)));
    if (source != NULL)
        ei_cli_json_set_str(o, "source", source);
    stats_t st = tensor_stats(t);
    if (st.numeric) {
        json_object_set_new(o, "min", json_num(st.min));
        json_object_set_new(o, "max", json_num(st.max));
        json_object_set_new(o, "mean", json_num(st.mean));
    }
    json_object_set_new(o, "nan_count", json_integer((json_int_t)st.nan));
    json_t *first = json_first(t, FIRST_VALUES);
    json_object_set_new(o, "first", first);
    if (file != NULL)
        ei_cli_json_set_str(o, "file", file);
    return o;
}

/* How many sequence elements / map entries the summaries show. */
#define FIRST_ITEMS 8

/* Text summary of a value: tensors as before; sequences, maps and optionals with their parts. */
static void print_value_lines(const char *what, const char *name, const ei_value_t *v,
                              const char *source, const char *file)
{
    ei_value_kind_t k = ei_value_kind(v);
    if (k == EI_VALUE_TENSOR) {
        print_tensor_line(what, name, ei_value_tensor(v), source, file);
        return;
    }
    size_t n = ei_value_count(v);
    if (k == EI_VALUE_MAP) {
        const ei_tensor_t *keys = ei_value_map_keys(v), *vals = ei_value_map_values(v);
        printf("%s%s%s: map(%s, %s) of %zu entries", what, name[0] ? " " : "", name,
               ei_dtype_name(ei_tensor_dtype(keys)), ei_dtype_name(ei_tensor_dtype(vals)), n);
    } else if (k == EI_VALUE_SEQUENCE) {
        printf("%s%s%s: sequence of %zu %s%s", what, name[0] ? " " : "", name, n,
               ei_value_elem_kind(v) == EI_VALUE_MAP ? "map"
                                                     : ei_dtype_name(ei_value_elem_dtype(v)),
               ei_value_elem_kind(v) == EI_VALUE_MAP ? (n == 1 ? "" : "s")
                                                     : (n == 1 ? " tensor" : " tensors"));
    } else {
        printf("%s%s%s: optional %s", what, name[0] ? " " : "", name,
               n == 0 ? "None" : "holding a value");
    }
    if (source != NULL)
        printf("  from %s", source);
    printf("\n");
    if (k == EI_VALUE_MAP) {
        const ei_tensor_t *keys = ei_value_map_keys(v), *vals = ei_value_map_values(v);
        if (n > 0) {
            printf("  first:");
            for (size_t i = 0; i < n && i < FIRST_ITEMS; i++) {
                printf(i ? ", " : " ");
                print_value(keys, i);
                printf(": ");
                print_value(vals, i);
            }
            printf("%s\n", n > FIRST_ITEMS ? ", ..." : "");
        }
    } else {
        for (size_t i = 0; i < n && i < FIRST_ITEMS; i++) {
            char label[64];
            snprintf(label, sizeof(label), k == EI_VALUE_SEQUENCE ? "  [%zu]" : "  value", i);
            print_value_lines(label, "", ei_value_element(v, i), NULL, NULL);
        }
        if (n > FIRST_ITEMS)
            printf("  ... (%zu more)\n", n - FIRST_ITEMS);
    }
    if (file != NULL)
        printf("  saved to %s\n", file);
}

/* The first values of a tensor as JSON: numbers, booleans or strings. */
static json_t *json_first(const ei_tensor_t *t, size_t max)
{
    json_t *first = json_array();
    ei_dtype_t dt = ei_tensor_dtype(t);
    for (size_t i = 0; first != NULL && i < ei_tensor_count(t) && i < max; i++) {
        if (dt == EI_DTYPE_STRING) {
            size_t len = 0;
            const char *str = ei_tensor_string(t, i, &len);
            json_array_append_new(first, ei_cli_json_str(str, len));
        } else if (dt == EI_DTYPE_BOOL) {
            json_array_append_new(first, json_boolean(ei_tensor_get_f64(t, i) != 0));
        } else if (dt == EI_DTYPE_FLOAT32 || dt == EI_DTYPE_FLOAT64 || dt == EI_DTYPE_FLOAT16 ||
                   dt == EI_DTYPE_BFLOAT16 || dt >= EI_DTYPE_FLOAT8E4M3FN) {
            json_array_append_new(first, json_num(ei_tensor_get_f64(t, i)));
        } else {
            json_array_append_new(first, json_integer((json_int_t)ei_tensor_get_f64(t, i)));
        }
    }
    return first;
}

/*
 * A value as JSON: a tensor as json_tensor() with "kind": "tensor"; a sequence with "elem_dtype",
 * "count" and "elements" (the first FIRST_ITEMS, each a tensor or map object without a name); a map
 * with "key_dtype", "value_dtype", "count" and the first "keys" and "values"; an optional with
 * "has_value" and "value".
 */
static json_t *json_value(const char *name, const ei_value_t *v, const char *source,
                          const char *file)
{
    ei_value_kind_t k = ei_value_kind(v);
    json_t *o;
    if (k == EI_VALUE_TENSOR) {
        o = json_tensor(name, ei_value_tensor(v), source, file);
        if (o != NULL)
            json_object_set_new(o, "kind", json_string("tensor"));
        return o;
    }
    o = json_object();
    if (o == NULL)
        return NULL;
    if (name != NULL)
        ei_cli_json_set_str(o, "name", name);
    json_object_set_new(o, "kind", json_string(ei_value_kind_name(k)));
    if (source != NULL)
        ei_cli_json_set_str(o, "source", source);
    size_t n = ei_value_count(v);
    if (k == EI_VALUE_MAP) {
        const ei_tensor_t *keys = ei_value_map_keys(v), *vals = ei_value_map_values(v);
        json_object_set_new(o, "key_dtype", json_string(ei_dtype_name(ei_tensor_dtype(keys))));
        json_object_set_new(o, "value_dtype", json_string(ei_dtype_name(ei_tensor_dtype(vals))));
        json_object_set_new(o, "count", json_integer((json_int_t)n));
        json_object_set_new(o, "keys", json_first(keys, FIRST_ITEMS));
        json_object_set_new(o, "values", json_first(vals, FIRST_ITEMS));
    } else if (k == EI_VALUE_SEQUENCE) {
        json_object_set_new(o, "elem_kind", json_string(ei_value_kind_name(ei_value_elem_kind(v))));
        json_object_set_new(o, "elem_dtype", json_string(ei_dtype_name(ei_value_elem_dtype(v))));
        json_object_set_new(o, "count", json_integer((json_int_t)n));
        json_t *el = json_array();
        for (size_t i = 0; el != NULL && i < n && i < FIRST_ITEMS; i++)
            json_array_append_new(el, json_value(NULL, ei_value_element(v, i), NULL, NULL));
        json_object_set_new(o, "elements", el);
    } else {
        json_object_set_new(o, "has_value", json_boolean(n > 0));
        json_object_set_new(
            o, "value", n > 0 ? json_value(NULL, ei_value_element(v, 0), NULL, NULL) : json_null());
    }
    if (file != NULL)
        ei_cli_json_set_str(o, "file", file);
    return o;
}

static int make_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return EI_EXIT_OK;
        ei_cli_errorc(EI_EINVAL, "-o %s: exists and is not a directory", dir);
        return EI_EXIT_FAILURE;
    }
    if (mkdir(dir, 0777) != 0) {
        ei_cli_errorc(EI_EIO, "-o %s: cannot create the directory: %s", dir, strerror(errno));
        return EI_EXIT_FAILURE;
    }
    return EI_EXIT_OK;
}

static int run_run(int argc, char **argv)
{
    run_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc != -1)
        return rc;

    ei_error_t err = {0};
    ei_session_t *s = NULL;
    input_slot_t *slots = NULL;
    const char **in_names = NULL;
    ei_value_t **in_values = NULL;
    const char **out_names = NULL;
    ei_value_t **outs = NULL;
    char **files = NULL;
    size_t n_in = 0, n_out = 0;
    json_t *doc = NULL;

    rc = ei_cli_init_runtime(EI_LOG_WARN, a.sess.global_threads, a.sess.opts.intra_op_threads);
    if (rc != EI_EXIT_OK)
        goto out;
    rc = ei_cli_session_load_keys(&a.sess);
    if (rc != EI_EXIT_OK)
        goto out;
    rc = EI_EXIT_FAILURE;
    bool created = ei_session_create(a.model, ei_cli_session_opts(&a.sess), &s, &err) == EI_OK;
    ei_cli_session_args_dispose(&a.sess); /* the keys are needed only to load */
    if (!created) {
        /* For a file that is not a model at all, our own reading says more than ORT's. */
        ei_model_info_t *info = NULL;
        ei_error_t ierr = {0};
        if (err.code == EI_EMODEL && ei_model_inspect(a.model, &info, &ierr) != EI_OK)
            rc = ei_cli_fail(&ierr, "reading model");
        else
            rc = ei_cli_fail(&err, "creating the session");
        ei_model_info_destroy(info);
        goto out;
    }
    n_in = ei_session_input_count(s);
    slots = calloc(n_in ? n_in : 1, sizeof(*slots));
    in_names = calloc(n_in ? n_in : 1, sizeof(*in_names));
    in_values = calloc(n_in ? n_in : 1, sizeof(*in_values));
    if (slots == NULL || in_names == NULL || in_values == NULL) {
        ei_cli_errorc(EI_ENOMEM, "out of memory");
        goto out;
    }
    rc = read_inputs(&a, s, slots);
    if (rc != EI_EXIT_OK)
        goto out;
    rc = EI_EXIT_FAILURE;

    /* Outputs: the ones asked for, checked by name, or all. */
    char names[1024];
    n_out = a.n_outputs > 0 ? a.n_outputs : ei_session_output_count(s);
    out_names = calloc(n_out ? n_out : 1, sizeof(*out_names));
    outs = calloc(n_out ? n_out : 1, sizeof(*outs));
    files = calloc(n_out ? n_out : 1, sizeof(*files));
    if (out_names == NULL || outs == NULL || files == NULL) {
        ei_cli_errorc(EI_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_out; i++) {
        if (a.n_outputs == 0) {
            out_names[i] = ei_session_output(s, i)->name;
            continue;
        }
        if (ei_session_output_index(s, a.outputs[i]) < 0) {
            list_outputs(s, names, sizeof(names));
            ei_cli_errorc(EI_ENOTFOUND,
                          "--output %s: the model has no output '%s' (its outputs: %s)",
                          a.outputs[i], a.outputs[i], names);
            goto out;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(out_names[k], a.outputs[i]) == 0) {
                rc = ei_cli_usage_error(CMD, "--output %s given twice", a.outputs[i]);
                goto out;
            }
        }
        out_names[i] = a.outputs[i];
    }

    /* Inputs not given: generated, or an error that names them all. */
    char missing[1024] = "";
    size_t n_missing = 0, mlen = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (slots[i].value == NULL && mlen < sizeof(missing)) {
            mlen += (size_t)snprintf(missing + mlen, sizeof(missing) - mlen, "%s'%s'",
                                     n_missing ? ", " : "", ei_session_input(s, i)->name);
            n_missing++;
        }
    }
    if (n_missing > 0 && !a.have_fill) {
        rc = ei_cli_usage_error(CMD,
                                "input%s %s not given: use -i NAME=FILE, or --random / --zeros "
                                "to generate %s",
                                n_missing > 1 ? "s" : "", missing, n_missing > 1 ? "them" : "it");
        goto out;
    }
    ei_dim_override_t dims[EI_CLI_MAX_DIMS * 2];
    ei_cli_gen_t gen = {.fill = a.fill,
                        .seed = a.seed,
                        .dims = dims,
                        .n_dims = gather_dims(&a, s, slots, dims, sizeof(dims) / sizeof(dims[0])),
                        .batch = a.batch,
                        .quiet = a.json};
    for (size_t i = 0; i < n_in; i++) {
        if (slots[i].value != NULL)
            continue;
        if (ei_cli_make_input(ei_session_input(s, i), &gen, &slots[i].tensor, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "generating inputs");
            goto out;
        }
        if (ei_value_from_tensor(slots[i].tensor, &slots[i].value, &err) != EI_OK) {
            ei_value_destroy(slots[i].value);
            slots[i].tensor = NULL;
            rc = ei_cli_fail(&err, "generating inputs");
            goto out;
        }
    }
    for (size_t i = 0; i < n_in; i++) {
        in_names[i] = ei_session_input(s, i)->name;
        in_values[i] = slots[i].value;
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (ei_session_run_values(s, in_names, in_values, n_in, a.n_outputs > 0 ? out_names : NULL,
                              outs, n_out, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "running '%s'", a.model);
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;

    if (a.out_dir != NULL) {
        rc = make_dir(a.out_dir);
        if (rc != EI_EXIT_OK)
            goto out;
        rc = EI_EXIT_FAILURE;
        for (size_t i = 0; i < n_out; i++) {
            char base[256];
            sanitize(out_names[i], i, base, sizeof(base));
            /* Two names that sanitise alike get the output index appended. */
            for (size_t k = 0; k < i; k++) {
                char other[256];
                sanitize(out_names[k], k, other, sizeof(other));
                if (strcmp(other, base) == 0) {
                    size_t len = strlen(base);
                    snprintf(base + len, sizeof(base) - len, "_%zu", i);
                    break;
                }
            }
            size_t size = strlen(a.out_dir) + strlen(base) + 8;
            files[i] = malloc(size);
            if (files[i] == NULL) {
                ei_cli_errorc(EI_ENOMEM, "out of memory");
                goto out;
            }
            const ei_tensor_t *ot = ei_value_tensor(outs[i]);
            snprintf(files[i], size, "%s/%s.%s", a.out_dir, base, ot != NULL ? "npy" : "pb");
            if ((ot != NULL ? ei_tensor_save_npy(ot, files[i], &err)
                            : ei_value_save_pb(outs[i], out_names[i], files[i], &err)) != EI_OK) {
                rc = ei_cli_fail(&err, "saving output '%s'", out_names[i]);
                goto out;
            }
        }
    }

    if (a.json) {
        doc = json_object();
        if (doc == NULL) {
            ei_cli_errorc(EI_ENOMEM, "out of memory");
            goto out;
        }
        ei_cli_json_set_str(doc, "model", a.model);
        json_object_set_new(doc, "run_ms", json_real(ms));
        json_t *ji = json_array();
        for (size_t i = 0; ji != NULL && i < n_in; i++)
            json_array_append_new(ji, json_value(in_names[i], in_values[i],
                                                 slots[i].source != NULL        ? slots[i].source
                                                 : a.fill == EI_CLI_FILL_RANDOM ? "random"
                                                                                : "zeros",
                                                 NULL));
        json_object_set_new(doc, "inputs", ji);
        json_t *jo = json_array();
        for (size_t i = 0; jo != NULL && i < n_out; i++)
            json_array_append_new(jo, json_value(out_names[i], outs[i], NULL, files[i]));
        json_object_set_new(doc, "outputs", jo);
        rc = ei_cli_print_json(doc);
        doc = NULL;
        goto out;
    }
    for (size_t i = 0; i < n_in; i++)
        print_value_lines("input", in_names[i], in_values[i],
                          slots[i].source != NULL        ? slots[i].source
                          : a.fill == EI_CLI_FILL_RANDOM ? "--random"
                                                         : "--zeros",
                          NULL);
    for (size_t i = 0; i < n_out; i++)
        print_value_lines("output", out_names[i], outs[i], NULL, files[i]);
    printf("run: %.3f ms\n", ms);
    rc = fflush(stdout) == 0 ? EI_EXIT_OK : EI_EXIT_FAILURE;
out:
    json_decref(doc);
    for (size_t i = 0; outs != NULL && i < n_out; i++)
        ei_value_destroy(outs[i]);
    for (size_t i = 0; files != NULL && i < n_out; i++)
        free(files[i]);
    for (size_t i = 0; slots != NULL && i < n_in; i++)
        ei_value_destroy(slots[i].value);
    free(files);
    free(outs);
    free(out_names);
    free(in_values);
    free(in_names);
    free(slots);
    ei_session_destroy(s);
    return rc;
}

const ei_cli_command_t ei_cli_cmd_run = {"run", run_run,
                                         "run a model once on inputs from files or generated"};
