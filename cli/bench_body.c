/* SPDX-License-Identifier: MIT */
/*
 * Request bodies for `edgeinfer bench --url`, built once before the load starts:
 *   - /infer: one tensor per model input (from the KServe v2 metadata: name, datatype, shape),
 *     random or zero values, or read from .npy / .pb files (-i NAME=FILE), or an image run
 *     through the image pipeline into the model's image input; encoded as a JSON `data` array or
 *     with Triton's binary tensor extension (JSON header + raw bytes, binary outputs asked for);
 *   - /classify: the encoded image itself (one body per image, sent round-robin);
 *   - gRPC: the same tensors as one serialized ModelInferRequest (raw_input_contents), made by
 *     bench_grpc.c.
 * An image for /infer or gRPC goes into the model's pixel input through the image pipeline, or,
 * when the model has none but takes BYTES, as the encoded file itself (one element per batch row).
 * Every error names what was wrong: the input, the file, the variable dim and the option that
 * fixes it.
 */
#include "bench_url.h"
#include "inputs.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *v2;
    ei_dtype_t dt;
} v2_types[] = {
    {"BOOL", EI_DTYPE_BOOL},     {"UINT8", EI_DTYPE_UINT8},   {"UINT16", EI_DTYPE_UINT16},
    {"UINT32", EI_DTYPE_UINT32}, {"UINT64", EI_DTYPE_UINT64}, {"INT8", EI_DTYPE_INT8},
    {"INT16", EI_DTYPE_INT16},   {"INT32", EI_DTYPE_INT32},   {"INT64", EI_DTYPE_INT64},
    {"FP16", EI_DTYPE_FLOAT16},  {"FP32", EI_DTYPE_FLOAT32},  {"FP64", EI_DTYPE_FLOAT64},
    {"BF16", EI_DTYPE_BFLOAT16}, {"BYTES", EI_DTYPE_STRING},
};

static ei_dtype_t v2_dtype(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof(v2_types) / sizeof(v2_types[0]); i++) {
        if (strcmp(v2_types[i].v2, s) == 0)
            return v2_types[i].dt;
    }
    return EI_DTYPE_UNDEFINED;
}

static const char *v2_name(ei_dtype_t dt)
{
    for (size_t i = 0; i < sizeof(v2_types) / sizeof(v2_types[0]); i++) {
        if (v2_types[i].dt == dt)
            return v2_types[i].v2;
    }
    return "?";
}

ei_code_t ei_bl_fail(ei_error_t *err, ei_code_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

/* A growable byte buffer; `bad` sticks once an allocation failed. */
typedef struct buf {
    char *p;
    size_t n, cap;
    bool bad;
} buf_t;

static bool buf_room(buf_t *b, size_t more)
{
    if (b->bad)
        return false;
    if (b->n + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->bad = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void buf_add(buf_t *b, const void *data, size_t n)
{
    if (!buf_room(b, n))
        return;
    memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_str(buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_printf(buf_t *b, const char *fmt, ...) EI_CLI_PRINTF(2, 3);
static void buf_printf(buf_t *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (w > 0)
        buf_add(b, tmp, (size_t)w < sizeof(tmp) ? (size_t)w : sizeof(tmp) - 1);
}

static void buf_json_string(buf_t *b, const char *s, size_t len)
{
    buf_str(b, "\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            buf_add(b, e, 2);
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_add(b, &s[i], 1);
        }
    }
    buf_str(b, "\"");
}

/* One model input as the metadata declares it, and the tensor chosen for it. */
typedef struct in {
    const char *name;
    ei_dtype_t dt;
    int64_t shape[EI_MAX_RANK];
    size_t rank;
    ei_tensor_t *t;
    char how[160];
} in_t;

static void shape_str(const int64_t *shape, size_t rank, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    used += (size_t)snprintf(out, size, "[");
    for (size_t i = 0; i < rank && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%" PRId64, i ? "," : "", shape[i]);
    if (used < size)
        snprintf(out + used, size - used, "]");
}

static const ei_bl_shape_arg_t *find_shape(const ei_bl_body_opts_t *o, const char *name)
{
    for (size_t i = 0; i < o->n_shapes; i++) {
        if (strcmp(o->shapes[i].name, name) == 0)
            return &o->shapes[i];
    }
    return NULL;
}

/* The concrete shape of `in` (rules in bench_url.c's help). */
static ei_code_t resolve_shape(in_t *in, const ei_bl_body_opts_t *o, int64_t *shape,
                               ei_error_t *err)
{
    char decl[128];
    shape_str(in->shape, in->rank, decl, sizeof(decl));
    const ei_bl_shape_arg_t *sa = find_shape(o, in->name);
    if (sa != NULL) {
        if (sa->rank != in->rank)
            return ei_bl_fail(err, EI_EINVAL, "--shape %s: %zu dims given, the input has %zu %s",
                              in->name, sa->rank, in->rank, decl);
        for (size_t d = 0; d < in->rank; d++) {
            if (in->shape[d] >= 0 && sa->dims[d] != in->shape[d])
                return ei_bl_fail(err, EI_EINVAL,
                                  "--shape %s: dim %zu is %" PRId64
                                  ", the input fixes it at %" PRId64 " %s",
                                  in->name, d, sa->dims[d], in->shape[d], decl);
            shape[d] = sa->dims[d];
        }
        return EI_OK;
    }
    for (size_t d = 0; d < in->rank; d++) {
        if (in->shape[d] >= 0)
            shape[d] = in->shape[d];
        else if (d == 0)
            shape[d] = o->batch; /* a variable first dim is the batch, batching or not */
        else
            return ei_bl_fail(
                err, EI_EINVAL,
                "input '%s' %s: dim %zu is variable; give the whole shape with --shape "
                "%s=D0,D1,...",
                in->name, decl, d, in->name);
    }
    return EI_OK;
}

static ei_code_t load_file(in_t *in, const char *path, ei_error_t *err)
{
    size_t len = strlen(path);
    ei_code_t rc;
    if (len > 3 && strcmp(path + len - 3, ".pb") == 0) {
        char *name = NULL;
        rc = ei_tensor_load_pb(path, &in->t, &name, err);
        ei_free(name);
    } else {
        rc = ei_tensor_load_npy(path, &in->t, err);
    }
    if (rc != EI_OK)
        return rc;
    char want[128], got[128];
    shape_str(in->shape, in->rank, want, sizeof(want));
    shape_str(ei_tensor_shape(in->t), ei_tensor_rank(in->t), got, sizeof(got));
    if (ei_tensor_dtype(in->t) != in->dt)
        return ei_bl_fail(err, EI_EINVAL, "%s: input '%s' is %s, the file holds %s", path, in->name,
                          v2_name(in->dt), ei_dtype_name(ei_tensor_dtype(in->t)));
    bool fits = ei_tensor_rank(in->t) == in->rank;
    for (size_t d = 0; fits && d < in->rank; d++)
        fits = in->shape[d] < 0 || in->shape[d] == ei_tensor_shape(in->t)[d];
    if (!fits)
        return ei_bl_fail(err, EI_EINVAL, "%s: input '%s' is %s, the file's shape is %s", path,
                          in->name, want, got);
    snprintf(in->how, sizeof(in->how), "%s", path);
    return EI_OK;
}

/* An image input: rank 4 with 3 channels at axis 1 or 3. */
static bool is_image_input(const in_t *in)
{
    return in->rank == 4 && (in->shape[1] == 3 || in->shape[3] == 3) &&
           (in->dt == EI_DTYPE_FLOAT32 || in->dt == EI_DTYPE_FLOAT16 || in->dt == EI_DTYPE_UINT8);
}

static ei_code_t image_tensor(in_t *in, const char *path, const ei_bl_body_opts_t *o,
                              const char *preset, ei_error_t *err)
{
    ei_image_opts_t io;
    ei_image_pipeline_t *p = NULL;
    ei_code_t rc = ei_image_opts_preset(&io, preset, err);
    if (rc != EI_OK)
        return rc;
    rc = ei_image_opts_from_shape(&io, in->shape, in->rank, err);
    if (rc != EI_OK)
        return rc;
    io.dtype = in->dt;
    rc = ei_image_pipeline_create(&io, &p, err);
    if (rc != EI_OK)
        return rc;
    bool nhwc = io.layout == EI_LAYOUT_NHWC;
    int64_t n = in->shape[0] >= 0 ? in->shape[0] : o->batch;
    int64_t shape[4] = {n, 3, io.height, io.width};
    if (nhwc) {
        shape[1] = io.height;
        shape[2] = io.width;
        shape[3] = 3;
    }
    rc = ei_tensor_create(in->dt, shape, 4, &in->t, err);
    for (int64_t i = 0; rc == EI_OK && i < n; i++)
        rc = ei_image_pipeline_load(p, path, in->t, (size_t)i, NULL, err);
    ei_image_pipeline_destroy(p);
    if (rc == EI_OK)
        snprintf(in->how, sizeof(in->how), "%s, preset %s", path, preset);
    return rc;
}

static ei_code_t read_file(const char *path, ei_bl_body_t *out, ei_error_t *err);

/* The encoded image file as every element of a BYTES input. */
static ei_code_t image_bytes(in_t *in, const char *path, const ei_bl_body_opts_t *o,
                             ei_error_t *err)
{
    int64_t shape[EI_MAX_RANK];
    ei_bl_body_t file;
    memset(&file, 0, sizeof(file));
    ei_code_t rc = resolve_shape(in, o, shape, err);
    if (rc == EI_OK)
        rc = read_file(path, &file, err);
    if (rc == EI_OK)
        rc = ei_tensor_create(EI_DTYPE_STRING, shape, in->rank, &in->t, err);
    for (size_t i = 0; rc == EI_OK && i < ei_tensor_count(in->t); i++)
        rc = ei_tensor_set_string(in->t, i, file.data, file.size, err);
    if (rc == EI_OK)
        snprintf(in->how, sizeof(in->how), "%.159s", file.describe);
    free(file.data);
    return rc;
}

static bool json_number(buf_t *b, const ei_tensor_t *t, size_t i)
{
    const void *d = ei_tensor_data(t);
    switch (ei_tensor_dtype(t)) {
    case EI_DTYPE_FLOAT32:
    case EI_DTYPE_FLOAT16:
    case EI_DTYPE_BFLOAT16:
    case EI_DTYPE_FLOAT64: {
        double v = ei_tensor_get_f64(t, i);
        if (!isfinite(v))
            return false;
        /* The shortest text that reads back as the same value (as Python's repr does), so a
         * JSON body is no longer than another client's for the same tensor. */
        bool f64 = ei_tensor_dtype(t) == EI_DTYPE_FLOAT64;
        char tmp[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
            if (f64 ? strtod(tmp, NULL) == v : strtof(tmp, NULL) == (float)v)
                break;
        }
        buf_printf(b, "%s", tmp);
        return true;
    }
    case EI_DTYPE_BOOL:
        buf_printf(b, "%s", ((const uint8_t *)d)[i] ? "true" : "false");
        return true;
    case EI_DTYPE_UINT64:
        buf_printf(b, "%" PRIu64, ((const uint64_t *)d)[i]);
        return true;
    case EI_DTYPE_INT64:
        buf_printf(b, "%" PRId64, ((const int64_t *)d)[i]);
        return true;
    case EI_DTYPE_STRING: {
        size_t len = 0;
        const char *s = ei_tensor_string(t, i, &len);
        buf_json_string(b, s ? s : "", s ? len : 0);
        return true;
    }
    default:
        buf_printf(b, "%.0f", ei_tensor_get_f64(t, i));
        return true;
    }
}

static void json_shape(buf_t *b, const ei_tensor_t *t)
{
    buf_str(b, "[");
    for (size_t d = 0; d < ei_tensor_rank(t); d++)
        buf_printf(b, "%s%" PRId64, d ? "," : "", ei_tensor_shape(t)[d]);
    buf_str(b, "]");
}

static size_t binary_size(const ei_tensor_t *t)
{
    if (ei_tensor_dtype(t) != EI_DTYPE_STRING)
        return ei_tensor_nbytes(t);
    size_t n = 0;
    for (size_t i = 0; i < ei_tensor_count(t); i++) {
        size_t len = 0;
        (void)ei_tensor_string(t, i, &len);
        n += 4 + len;
    }
    return n;
}

static void binary_data(buf_t *b, const ei_tensor_t *t)
{
    if (ei_tensor_dtype(t) != EI_DTYPE_STRING) {
        buf_add(b, ei_tensor_data(t), ei_tensor_nbytes(t));
        return;
    }
    for (size_t i = 0; i < ei_tensor_count(t); i++) {
        size_t len = 0;
        const char *s = ei_tensor_string(t, i, &len);
        uint8_t l4[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                         (uint8_t)(len >> 24)};
        buf_add(b, l4, 4);
        buf_add(b, s ? s : "", s ? len : 0);
    }
}

/* Encodes the tensors as one gRPC ModelInferRequest (raw_input_contents). */
static ei_code_t encode_grpc(const in_t *ins, size_t n, const ei_bl_body_opts_t *o,
                             ei_bl_body_t *out, ei_error_t *err)
{
    ei_bl_tensor_in_t *ts = calloc(n, sizeof(*ts));
    buf_t *raw = calloc(n, sizeof(*raw));
    ei_code_t rc = EI_OK;
    if (ts == NULL || raw == NULL) {
        rc = ei_bl_fail(err, EI_ENOMEM, "out of memory encoding the request");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        ts[i].name = ins[i].name;
        ts[i].datatype = v2_name(ins[i].dt);
        ts[i].t = ins[i].t;
        buf_room(&raw[i], 1);
        binary_data(&raw[i], ins[i].t);
        if (raw[i].bad) {
            rc = ei_bl_fail(err, EI_ENOMEM, "out of memory encoding the request");
            goto out;
        }
        ts[i].raw = raw[i].p;
        ts[i].raw_size = raw[i].n;
    }
    rc = ei_bg_encode(o->model, o->version, ts, n, out, err);
out:
    for (size_t i = 0; raw != NULL && i < n; i++)
        free(raw[i].p);
    free(raw);
    free(ts);
    return rc;
}

/* Encodes the tensors as one /infer request. */
static ei_code_t encode(const in_t *ins, size_t n, bool binary, ei_bl_body_t *out, ei_error_t *err)
{
    buf_t b = {0};
    buf_str(&b, "{\"inputs\":[");
    for (size_t i = 0; i < n; i++) {
        const ei_tensor_t *t = ins[i].t;
        buf_str(&b, i ? ",{\"name\":" : "{\"name\":");
        buf_json_string(&b, ins[i].name, strlen(ins[i].name));
        buf_str(&b, ",\"shape\":");
        json_shape(&b, t);
        buf_printf(&b, ",\"datatype\":\"%s\"", v2_name(ins[i].dt));
        if (binary) {
            buf_printf(&b, ",\"parameters\":{\"binary_data_size\":%zu}}", binary_size(t));
            continue;
        }
        buf_str(&b, ",\"data\":[");
        for (size_t k = 0; k < ei_tensor_count(t); k++) {
            if (k)
                buf_str(&b, ",");
            if (!json_number(&b, t, k)) {
                free(b.p);
                return ei_bl_fail(err, EI_EINVAL,
                                  "input '%s': element %zu is not finite, which JSON cannot carry "
                                  "(use --format binary)",
                                  ins[i].name, k);
            }
        }
        buf_str(&b, "]}");
    }
    buf_str(&b, "]");
    if (binary)
        buf_str(&b, ",\"parameters\":{\"binary_data_output\":true}");
    buf_str(&b, "}");
    out->hlen = binary ? (long)b.n : -1;
    for (size_t i = 0; binary && i < n; i++)
        binary_data(&b, ins[i].t);
    if (b.bad) {
        free(b.p);
        return ei_bl_fail(err, EI_ENOMEM, "out of memory encoding the request");
    }
    out->data = b.p;
    out->size = b.n;
    snprintf(out->ctype, sizeof(out->ctype), "%s",
             binary ? "application/octet-stream" : "application/json");
    return EI_OK;
}

static const char *sniff(const unsigned char *p, size_t n)
{
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return "image/jpeg";
    if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return "image/webp";
    return "application/octet-stream";
}

static ei_code_t read_file(const char *path, ei_bl_body_t *out, ei_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ei_bl_fail(err, EI_ENOENT, "%s: cannot open: %s", path, strerror(errno));
    buf_t b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_add(&b, chunk, got);
    bool rerr = ferror(f) != 0;
    fclose(f);
    if (rerr || b.bad || b.n == 0) {
        free(b.p);
        return ei_bl_fail(err,
                          rerr    ? EI_EIO
                          : b.bad ? EI_ENOMEM
                                  : EI_EFORMAT,
                          "%s: %s", path,
                          rerr    ? "read error"
                          : b.bad ? "out of memory"
                                  : "empty file");
    }
    out->data = b.p;
    out->size = b.n;
    out->hlen = -1;
    snprintf(out->ctype, sizeof(out->ctype), "%s", sniff((unsigned char *)b.p, b.n));
    snprintf(out->describe, sizeof(out->describe), "%s (%s, %zu bytes)", path, out->ctype, b.n);
    return EI_OK;
}

/* Reads the metadata's inputs into `ins` (names borrowed from `meta`). */
static ei_code_t parse_inputs(json_t *meta, in_t **ins_out, size_t *n_out, ei_error_t *err)
{
    json_t *arr = json_object_get(meta, "inputs");
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return ei_bl_fail(err, EI_EFORMAT, "the model metadata has no \"inputs\" list");
    size_t n = json_array_size(arr);
    in_t *ins = calloc(n, sizeof(*ins));
    if (ins == NULL)
        return ei_bl_fail(err, EI_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(arr, i);
        json_t *shape = json_object_get(x, "shape");
        const char *dts = json_string_value(json_object_get(x, "datatype"));
        ins[i].name = json_string_value(json_object_get(x, "name"));
        ins[i].dt = v2_dtype(dts);
        if (ins[i].name == NULL || !json_is_array(shape) || json_array_size(shape) > EI_MAX_RANK) {
            free(ins);
            return ei_bl_fail(err, EI_EFORMAT,
                              "the model metadata's input %zu lacks a name or shape", i);
        }
        if (ins[i].dt == EI_DTYPE_UNDEFINED) {
            ei_bl_fail(err, EI_EUNSUPPORTED, "input '%s': unknown datatype '%s'", ins[i].name,
                       dts ? dts : "(none)");
            free(ins);
            return EI_EUNSUPPORTED;
        }
        ins[i].rank = json_array_size(shape);
        for (size_t d = 0; d < ins[i].rank; d++)
            ins[i].shape[d] = (int64_t)json_integer_value(json_array_get(shape, d));
    }
    *ins_out = ins;
    *n_out = n;
    return EI_OK;
}

static void free_ins(in_t *ins, size_t n)
{
    for (size_t i = 0; ins != NULL && i < n; i++)
        ei_tensor_destroy(ins[i].t);
    free(ins);
}

/* Fills every input not set yet with generated values. */
static ei_code_t fill_rest(in_t *ins, size_t n, const ei_bl_body_opts_t *o, uint64_t *seed,
                           ei_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        if (ins[i].t != NULL)
            continue;
        int64_t shape[EI_MAX_RANK];
        ei_code_t rc = resolve_shape(&ins[i], o, shape, err);
        if (rc == EI_OK)
            rc = ei_tensor_create(ins[i].dt, shape, ins[i].rank, &ins[i].t, err);
        if (rc == EI_OK)
            rc = ei_cli_fill_tensor(
                ins[i].t, o->fill == EI_BL_FILL_ZEROS ? EI_CLI_FILL_ZEROS : EI_CLI_FILL_RANDOM,
                seed, err);
        if (rc != EI_OK)
            return rc;
        snprintf(ins[i].how, sizeof(ins[i].how), "%s",
                 o->fill == EI_BL_FILL_ZEROS ? "zeros" : "random");
    }
    return EI_OK;
}

static void describe(const in_t *ins, size_t n, ei_bl_body_t *b)
{
    size_t used = 0;
    b->describe[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof(b->describe); i++) {
        char s[128];
        shape_str(ei_tensor_shape(ins[i].t), ei_tensor_rank(ins[i].t), s, sizeof(s));
        int w = snprintf(b->describe + used, sizeof(b->describe) - used, "%s%s %s %s (%s)",
                         i ? ", " : "", ins[i].name, v2_name(ins[i].dt), s, ins[i].how);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

bool ei_bl_image_as_bytes(const char *metadata)
{
    json_t *meta = json_loads(metadata, 0, NULL);
    in_t *ins = NULL;
    size_t n = 0;
    ei_error_t err = {0};
    bool pixels = false, bytes = false;
    if (meta != NULL && parse_inputs(meta, &ins, &n, &err) == EI_OK) {
        for (size_t i = 0; i < n; i++) {
            pixels = pixels || is_image_input(&ins[i]);
            bytes = bytes || ins[i].dt == EI_DTYPE_STRING;
        }
    }
    free_ins(ins, n);
    json_decref(meta);
    return bytes && !pixels;
}

ei_code_t ei_bl_make_bodies(const char *metadata, const char *config, const ei_bl_body_opts_t *o,
                            ei_bl_body_t **out, size_t *n_out, ei_error_t *err)
{
    *out = NULL;
    *n_out = 0;
    json_error_t je;
    json_t *meta = json_loads(metadata, 0, &je);
    json_t *cfg = config != NULL ? json_loads(config, 0, NULL) : NULL;
    in_t *ins = NULL;
    size_t n_ins = 0;
    ei_bl_body_t *bodies = NULL;
    size_t n_bodies = 0;
    ei_code_t rc = EI_OK;
    const char *preset = o->preset;
    if (meta == NULL) {
        rc = ei_bl_fail(err, EI_EFORMAT, "the model metadata is not JSON: %s", je.text);
        goto out;
    }
    if (json_is_object(cfg)) {
        const char *p = json_string_value(json_object_get(
            json_object_get(json_object_get(cfg, "parameters"), "image_preset"), "string_value"));
        if (preset == NULL && p != NULL)
            preset = p;
    }
    if (preset == NULL)
        preset = "imagenet";

    if (o->classify) {
        bodies = calloc(o->n_images, sizeof(*bodies));
        if (bodies == NULL) {
            rc = ei_bl_fail(err, EI_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < o->n_images; i++) {
            rc = read_file(o->images[i], &bodies[i], err);
            if (rc != EI_OK)
                goto out;
            n_bodies++;
        }
        goto out;
    }

    rc = parse_inputs(meta, &ins, &n_ins, err);
    if (rc != EI_OK)
        goto out;
    for (size_t f = 0; f < o->n_files; f++) {
        size_t i = 0;
        while (i < n_ins && strcmp(ins[i].name, o->files[f].name) != 0)
            i++;
        if (i == n_ins) {
            rc = ei_bl_fail(err, EI_ENOTFOUND, "-i %s=%s: the model has no input '%s'",
                            o->files[f].name, o->files[f].path, o->files[f].name);
            goto out;
        }
        if (ins[i].t != NULL) {
            rc = ei_bl_fail(err, EI_EINVAL, "-i %s: given twice", o->files[f].name);
            goto out;
        }
        rc = load_file(&ins[i], o->files[f].path, err);
        if (rc != EI_OK)
            goto out;
    }
    size_t n_sets = o->n_images > 0 ? o->n_images : 1;
    size_t img_in = n_ins;
    if (o->n_images > 0) {
        for (size_t i = 0; i < n_ins && img_in == n_ins; i++) {
            if (ins[i].t == NULL && is_image_input(&ins[i]))
                img_in = i;
        }
        /* No pixel input: a BYTES input takes the encoded image (a pipeline model's). */
        for (size_t i = 0; i < n_ins && img_in == n_ins; i++) {
            if (ins[i].t == NULL && ins[i].dt == EI_DTYPE_STRING)
                img_in = i;
        }
        if (img_in == n_ins) {
            rc =
                ei_bl_fail(err, EI_EINVAL,
                           "--image: the model has no image input for /infer (FP32, FP16 or UINT8, "
                           "[N,3,H,W] or [N,H,W,3], or BYTES)");
            goto out;
        }
    }
    bodies = calloc(n_sets, sizeof(*bodies));
    if (bodies == NULL) {
        rc = ei_bl_fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t seed = o->seed;
    for (size_t s = 0; s < n_sets; s++) {
        if (o->n_images > 0) {
            ei_tensor_destroy(ins[img_in].t);
            ins[img_in].t = NULL;
            rc = ins[img_in].dt == EI_DTYPE_STRING
                     ? image_bytes(&ins[img_in], o->images[s], o, err)
                     : image_tensor(&ins[img_in], o->images[s], o, preset, err);
            if (rc != EI_OK) {
                char msg[EI_ERROR_MSG_SIZE];
                snprintf(msg, sizeof(msg), "%s", err->msg);
                rc = ei_bl_fail(err, rc, "input '%s' from %s: %s", ins[img_in].name, o->images[s],
                                msg);
                goto out;
            }
        }
        rc = fill_rest(ins, n_ins, o, &seed, err);
        if (rc == EI_OK)
            rc = o->grpc ? encode_grpc(ins, n_ins, o, &bodies[s], err)
                         : encode(ins, n_ins, o->binary, &bodies[s], err);
        if (rc != EI_OK)
            goto out;
        describe(ins, n_ins, &bodies[s]);
        n_bodies++;
    }
out:
    free_ins(ins, n_ins);
    json_decref(meta);
    json_decref(cfg);
    if (rc != EI_OK) {
        ei_bl_free_bodies(bodies, n_bodies);
        return rc;
    }
    *out = bodies;
    *n_out = n_bodies;
    return EI_OK;
}

ei_code_t ei_bl_body_headers(ei_bl_body_t *b, const char *const *extra, size_t n_extra,
                             ei_error_t *err)
{
    char line[128];
    struct curl_slist *h = NULL, *t;
    snprintf(line, sizeof(line), "Content-Type: %s", b->ctype);
    h = curl_slist_append(NULL, line);
    /* No "Expect: 100-continue" round trip before large bodies. */
    t = h ? curl_slist_append(h, "Expect:") : NULL;
    h = t ? t : h;
    if (t != NULL && b->hlen >= 0) {
        snprintf(line, sizeof(line), "Inference-Header-Content-Length: %ld", b->hlen);
        t = curl_slist_append(h, line);
        h = t ? t : h;
    }
    for (size_t i = 0; t != NULL && i < n_extra; i++) {
        t = curl_slist_append(h, extra[i]);
        h = t ? t : h;
    }
    if (t == NULL) {
        curl_slist_free_all(h);
        return ei_bl_fail(err, EI_ENOMEM, "out of memory");
    }
    b->headers = h;
    return EI_OK;
}

void ei_bl_free_bodies(ei_bl_body_t *b, size_t n)
{
    for (size_t i = 0; b != NULL && i < n; i++) {
        free(b[i].data);
        curl_slist_free_all(b[i].headers);
    }
    free(b);
}
