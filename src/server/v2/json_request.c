/* SPDX-License-Identifier: MIT */
/*
 * KServe v2 REST inference requests (see v2_json.h). The JSON header is parsed with jansson;
 * `data` may be flat or nested to any depth and only its element count must match the shape (as
 * Triton checks it). Integer types take JSON
 * integers (or integral reals) in range, floats take any number, BOOL takes true/false or 0/1,
 * BYTES takes strings. Binary tensors follow the header in the order of the inputs that declare
 * `binary_data_size`. Large numeric `data` arrays bypass jansson (json_scan.h).
 */
#include "ei_util.h"
#include "json_scan.h"
#include "sbuf.h"
#include "v2_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a JSON string holds a NUL (parsed with JSON_ALLOW_NUL, C string functions would stop). */
static bool has_nul(json_t *v)
{
    return json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v);
}

const char *ei__json_error_text(const json_error_t *je)
{
    /* jansson names its own flags in some messages; users should read what is wrong instead. */
    if (strstr(je->text, "JSON_ALLOW_NUL") != NULL)
        return "\\u0000 (a NUL character) is not allowed here";
    if (strstr(je->text, "JSON_") != NULL)
        return "invalid JSON";
    return je->text;
}

/* JSON data -> tensor ------------------------------------------------------------------------- */

typedef struct fill {
    ei_tensor_t *t;
    ei_dtype_t dtype;
    unsigned char *data;
    size_t idx, count;
    const char *name;
    ei_error_t *err;
} fill_t;

static ei_code_t put_int(fill_t *f, double dv, bool is_int, long long iv)
{
    static const struct {
        ei_dtype_t t;
        double lo, hi;
    } ranges[] = {
        {EI_DTYPE_UINT8, 0, 255},
        {EI_DTYPE_UINT16, 0, 65535},
        {EI_DTYPE_UINT32, 0, 4294967295.0},
        {EI_DTYPE_UINT64, 0, 18446744073709551615.0},
        {EI_DTYPE_INT8, -128, 127},
        {EI_DTYPE_INT16, -32768, 32767},
        {EI_DTYPE_INT32, -2147483648.0, 2147483647.0},
        {EI_DTYPE_INT64, -9223372036854775808.0, 9223372036854775807.0},
    };
    if (!is_int) {
        if (!isfinite(dv) || dv != floor(dv))
            return ei__fail(f->err, EI_EINVAL,
                            "input '%s': element %zu is %g, expected an integer for %s", f->name,
                            f->idx, dv, ei__v2_dtype_name(f->dtype));
        if (fabs(dv) >= 9223372036854775808.0)
            return ei__fail(f->err, EI_EINVAL, "input '%s': element %zu (%g) is out of range",
                            f->name, f->idx, dv);
        iv = (long long)dv;
    }
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        if (ranges[i].t != f->dtype)
            continue;
        if ((double)iv < ranges[i].lo || (double)iv > ranges[i].hi || (ranges[i].lo == 0 && iv < 0))
            return ei__fail(f->err, EI_EINVAL,
                            "input '%s': element %zu (%lld) is out of range for %s", f->name,
                            f->idx, iv, ei__v2_dtype_name(f->dtype));
    }
    unsigned char *p = f->data + f->idx * ei_dtype_size(f->dtype);
    switch (f->dtype) {
    case EI_DTYPE_UINT8: {
        uint8_t x = (uint8_t)iv;
        memcpy(p, &x, 1);
        break;
    }
    case EI_DTYPE_INT8: {
        int8_t x = (int8_t)iv;
        memcpy(p, &x, 1);
        break;
    }
    case EI_DTYPE_UINT16: {
        uint16_t x = (uint16_t)iv;
        memcpy(p, &x, 2);
        break;
    }
    case EI_DTYPE_INT16: {
        int16_t x = (int16_t)iv;
        memcpy(p, &x, 2);
        break;
    }
    case EI_DTYPE_UINT32: {
        uint32_t x = (uint32_t)iv;
        memcpy(p, &x, 4);
        break;
    }
    case EI_DTYPE_INT32: {
        int32_t x = (int32_t)iv;
        memcpy(p, &x, 4);
        break;
    }
    case EI_DTYPE_UINT64: {
        uint64_t x = (uint64_t)iv;
        memcpy(p, &x, 8);
        break;
    }
    default: {
        int64_t x = (int64_t)iv;
        memcpy(p, &x, 8);
        break;
    }
    }
    return EI_OK;
}

/* One number into element f->idx (every type but BYTES); advances on success. */
static ei_code_t put_number(fill_t *f, bool is_int, long long iv, double dv)
{
    ei_dtype_t t = f->dtype;
    ei_code_t rc = EI_OK;
    if (f->idx >= f->count)
        return ei__fail(f->err, EI_EINVAL,
                        "input '%s': 'data' has more elements than the shape's %zu", f->name,
                        f->count);
    unsigned char *p = f->data + f->idx * ei_dtype_size(t);
    switch (t) {
    case EI_DTYPE_BOOL:
        if (!is_int || (iv != 0 && iv != 1))
            return ei__fail(f->err, EI_EINVAL,
                            "input '%s': element %zu is not a boolean, expected true or false",
                            f->name, f->idx);
        *p = (uint8_t)iv;
        break;
    case EI_DTYPE_FLOAT32: {
        float x = (float)dv;
        memcpy(p, &x, 4);
        break;
    }
    case EI_DTYPE_FLOAT64:
        memcpy(p, &dv, 8);
        break;
    case EI_DTYPE_FLOAT16: {
        uint16_t h = ei_f32_to_f16((float)dv);
        memcpy(p, &h, 2);
        break;
    }
    case EI_DTYPE_BFLOAT16: {
        uint16_t h = ei_f32_to_bf16((float)dv);
        memcpy(p, &h, 2);
        break;
    }
    default:
        rc = put_int(f, dv, is_int, iv);
        break;
    }
    if (rc == EI_OK)
        f->idx++;
    return rc;
}

static ei_code_t put_elem(fill_t *f, json_t *v)
{
    if (f->idx >= f->count)
        return ei__fail(f->err, EI_EINVAL,
                        "input '%s': 'data' has more elements than the shape's %zu", f->name,
                        f->count);
    ei_dtype_t t = f->dtype;
    ei_code_t rc = EI_OK;
    if (t == EI_DTYPE_STRING) {
        if (!json_is_string(v))
            return ei__fail(f->err, EI_EINVAL,
                            "input '%s': element %zu is not a string, expected BYTES as strings",
                            f->name, f->idx);
        rc =
            ei_tensor_set_string(f->t, f->idx, json_string_value(v), json_string_length(v), f->err);
        f->idx++;
        return rc;
    }
    if (t == EI_DTYPE_BOOL && json_is_boolean(v)) {
        f->data[f->idx++] = json_is_true(v) ? 1 : 0;
        return EI_OK;
    }
    if (!json_is_number(v))
        return ei__fail(f->err, EI_EINVAL, "input '%s': element %zu is not a %s (%s)", f->name,
                        f->idx, t == EI_DTYPE_BOOL ? "boolean" : "number",
                        json_is_string(v) ? "a string" : "another JSON type");
    bool is_int = json_is_integer(v);
    return put_number(f, is_int, is_int ? (long long)json_integer_value(v) : 0,
                      json_number_value(v));
}

static ei_code_t fill_json(fill_t *f, json_t *v)
{
    if (!json_is_array(v))
        return put_elem(f, v);
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        ei_code_t rc = fill_json(f, json_array_get(v, i));
        if (rc != EI_OK)
            return rc;
    }
    return EI_OK;
}

/* Numeric data arrays the scanner found (json_scan.h), converted straight from the text. */

#define MAX_SPANS 64

static ei_code_t fill_span(fill_t *f, const char *s, size_t i, size_t end)
{
    while (i < end) {
        char ch = s[i];
        if (ch == '[' || ch == ']' || ch == ',' || ch == ' ' || ch == '\n' || ch == '\t' ||
            ch == '\r') {
            i++;
            continue;
        }
        size_t e = ei__json_number_end(s, i, end);
        if (e == EI__JSON_NO_SPAN)
            return ei__fail(f->err, EI_EINVAL, "input '%s': malformed number in 'data'", f->name);
        bool is_int;
        long long iv;
        double dv;
        ei__json_parse_number(s, i, e, &is_int, &iv, &dv);
        ei_code_t rc = put_number(f, is_int, iv, dv);
        if (rc != EI_OK)
            return rc;
        i = e;
    }
    return EI_OK;
}

/* The shape as given, with the element count (checked for overflow and the limit). */
static ei_code_t read_shape(const char *name, json_t *js, int64_t *shape, size_t *rank,
                            size_t *count, size_t max_elements, ei_error_t *err)
{
    if (!json_is_array(js))
        return ei__fail(err, EI_EINVAL, "input '%s': 'shape' must be an array of integers", name);
    size_t r = json_array_size(js);
    if (r > EI_MAX_RANK)
        return ei__fail(err, EI_EINVAL, "input '%s': shape has %zu dims, at most %d allowed", name,
                        r, EI_MAX_RANK);
    size_t c = 1;
    for (size_t i = 0; i < r; i++) {
        json_t *d = json_array_get(js, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': shape dim %zu must be a non-negative integer", name, i);
        shape[i] = json_integer_value(d);
        if (ei__mul_overflow(c, (size_t)shape[i], &c) || c > max_elements)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': shape has more than the limit of %zu elements", name,
                            max_elements);
    }
    *rank = r;
    *count = c;
    return EI_OK;
}

static ei_code_t parse_raw(const char *body, size_t len, size_t max_elements,
                           const ei__model_config_t *cfg, ei__v2_request_t *out, ei_error_t *err)
{
    if (!cfg || cfg->n_inputs != 1)
        return ei__fail(err, EI_EINVAL,
                        "raw binary request (Inference-Header-Content-Length: 0): the model must "
                        "have exactly one input, it has %zu",
                        cfg ? cfg->n_inputs : 0);
    const ei__config_io_t *in = &cfg->inputs[0];
    int64_t shape[EI_MAX_RANK + 1];
    size_t rank = 0;
    int var = -1;
    if (cfg->max_batch_size > 0)
        shape[rank++] = 1;
    if (in->dtype == EI_DTYPE_STRING) {
        shape[rank++] = 1;
    } else {
        for (size_t i = 0; i < in->n_dims && rank < EI_MAX_RANK; i++) {
            if (in->dims[i] < 0) {
                if (var >= 0)
                    return ei__fail(err, EI_EINVAL,
                                    "raw binary request: input '%s' has more than one variable "
                                    "dim, send a JSON header with the shape",
                                    in->name);
                var = (int)rank;
                shape[rank++] = 1;
            } else {
                shape[rank++] = in->dims[i];
            }
        }
    }
    size_t count = 1;
    for (size_t i = 0; i < rank; i++)
        if (ei__mul_overflow(count, (size_t)shape[i], &count))
            count = SIZE_MAX;
    ei_dtype_t t = in->dtype;
    if (t != EI_DTYPE_STRING && var >= 0) {
        size_t es = ei_dtype_size(t);
        if (es == 0 || count == 0 || len % (es * count) != 0)
            return ei__fail(err, EI_EINVAL,
                            "raw binary request: %zu bytes do not fill input '%s' of %s", len,
                            in->name, ei__v2_dtype_name(t) ? ei__v2_dtype_name(t) : "?");
        shape[var] = (int64_t)(len / (es * count));
        count = len / es;
    }
    if (count > max_elements)
        return ei__fail(err, EI_EINVAL, "input '%s': more than the limit of %zu elements", in->name,
                        max_elements);
    out->raw = true;
    out->binary_output = true;
    out->inputs = ei__calloc(1, sizeof *out->inputs);
    out->input_names = ei__calloc(1, sizeof *out->input_names);
    if (!out->inputs || !out->input_names)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    out->n_inputs = 1;
    out->input_names[0] = in->name;
    if (t == EI_DTYPE_STRING) {
        /* One element: the whole body (Triton's raw form carries a single BYTES element as is). */
        ei_code_t rc = ei_tensor_create(t, shape, rank, &out->inputs[0], err);
        if (rc == EI_OK)
            rc = ei_tensor_set_string(out->inputs[0], 0, body, len, err);
        return rc;
    }
    return ei__v2_tensor_from_bytes(in->name, "the raw body", t, shape, rank, count, body, len,
                                    &out->inputs[0], err);
}

/*
 * Reads the shared-memory parameters of an input or output (`what`: "input 'x'"), takes a
 * reference to the region for the request and returns where its bytes are. Triton's rules: the
 * region name and byte size go together, the offset is optional.
 */
static ei_code_t shm_param(json_t *params, const char *what, ei__shm_t *shm, ei__v2_request_t *out,
                           const char **region, uint8_t **ptr, uint64_t *size, ei_error_t *err)
{
    json_t *jr = json_object_get(params, "shared_memory_region");
    json_t *js = json_object_get(params, "shared_memory_byte_size");
    json_t *jo = json_object_get(params, "shared_memory_offset");
    if (!jr || !json_is_string(jr) || has_nul(jr))
        return ei__fail(err, EI_EINVAL,
                        "%s: shared_memory_region must be a string (with shared_memory_byte_size)",
                        what);
    if (!js || !json_is_integer(js) || json_integer_value(js) < 0)
        return ei__fail(err, EI_EINVAL,
                        "%s: shared_memory_byte_size must be a non-negative integer, given with "
                        "shared_memory_region",
                        what);
    if (jo && (!json_is_integer(jo) || json_integer_value(jo) < 0))
        return ei__fail(err, EI_EINVAL, "%s: shared_memory_offset must be a non-negative integer",
                        what);
    if (!shm)
        return ei__fail(err, EI_EINVAL,
                        "%s: client shared memory is not enabled on this server (start it with "
                        "--allow-client-shm)",
                        what);
    *region = json_string_value(jr);
    *size = (uint64_t)json_integer_value(js);
    uint64_t off = jo ? (uint64_t)json_integer_value(jo) : 0;
    ei__shm_region_t *g = NULL;
    ei_code_t rc = ei__shm_acquire(shm, *region, off, *size, what, &g, ptr, err);
    if (rc != EI_OK)
        return rc;
    out->shm_refs[out->n_shm_refs++] = g;
    return EI_OK;
}

/*
 * Triton's sequence parameters: sequence_id (an unsigned integer or a string), sequence_start and
 * sequence_end (booleans). Whether a model needs them is the model side's business.
 */
static ei_code_t sequence_params(json_t *params, ei__v2_request_t *out, ei_error_t *err)
{
    json_t *id = json_object_get(params, "sequence_id");
    if (id != NULL && json_is_string(id)) {
        if (strlen(json_string_value(id)) != json_string_length(id))
            return ei__fail(err, EI_EINVAL, "parameter 'sequence_id' contains a NUL character");
        out->seq_id_str = ei__strdup(json_string_value(id));
        if (out->seq_id_str == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
    } else if (id != NULL) {
        /* jansson reads integers as signed 64-bit: larger IDs cannot be written in JSON here. */
        if (!json_is_integer(id) || json_integer_value(id) < 0)
            return ei__fail(err, EI_EINVAL,
                            "parameter 'sequence_id' must be a non-negative integer (below 2^63) "
                            "or a string");
        out->seq_id = (uint64_t)json_integer_value(id);
    }
    json_t *st = json_object_get(params, "sequence_start");
    json_t *en = json_object_get(params, "sequence_end");
    if (st != NULL && !json_is_boolean(st))
        return ei__fail(err, EI_EINVAL, "parameter 'sequence_start' must be a boolean");
    if (en != NULL && !json_is_boolean(en))
        return ei__fail(err, EI_EINVAL, "parameter 'sequence_end' must be a boolean");
    out->seq_start = st != NULL && json_is_true(st);
    out->seq_end = en != NULL && json_is_true(en);
    return EI_OK;
}

ei_code_t ei__v2_parse_request(const char *body, size_t len, int64_t header_len,
                               size_t max_elements, const ei__model_config_t *cfg, ei__shm_t *shm,
                               ei__v2_request_t *out, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    memset(out, 0, sizeof *out);
    if (header_len == 0)
        return parse_raw(body, len, max_elements, cfg, out, err);
    size_t hlen = len;
    if (header_len > 0) {
        if ((uint64_t)header_len > len)
            return ei__fail(err, EI_EINVAL,
                            "Inference-Header-Content-Length %lld is larger than the body (%zu "
                            "bytes)",
                            (long long)header_len, len);
        hlen = (size_t)header_len;
    }
    json_error_t je;
    ei__json_span_t spans[MAX_SPANS];
    size_t nspans = ei__json_find_data_spans(body, hlen, spans, MAX_SPANS);
    if (nspans == 0) {
        out->doc = json_loadb(body, hlen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    } else {
        /* The header without the numeric arrays: each becomes `null`. */
        ei__sbuf_t hb = {0};
        size_t at = 0;
        for (size_t k = 0; k < nspans; k++) {
            ei__sbuf_add(&hb, body + at, spans[k].start - at);
            ei__sbuf_add(&hb, "null", 4);
            at = spans[k].end;
        }
        ei__sbuf_add(&hb, body + at, hlen - at);
        if (hb.oom) {
            ei__sbuf_free(&hb);
            return ei__fail(err, EI_ENOMEM, "out of memory");
        }
        out->doc = json_loadb(hb.data, hb.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
        ei__sbuf_free(&hb);
    }
    if (!out->doc)
        return ei__fail(err, EI_EINVAL, "request JSON: %s at line %d column %d",
                        ei__json_error_text(&je), je.line, je.column);
    json_t *root = out->doc;
    if (!json_is_object(root))
        return ei__fail(err, EI_EINVAL, "request JSON: expected an object");
    /* BYTES elements may hold \u0000 (the replies write it); names and IDs may not. */
    json_t *id = json_object_get(root, "id");
    if (id) {
        if (!json_is_string(id))
            return ei__fail(err, EI_EINVAL, "request 'id' must be a string");
        if (has_nul(id))
            return ei__fail(err, EI_EINVAL, "request 'id' contains a NUL character");
        out->id = ei__strdup(json_string_value(id));
        if (!out->id)
            return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    json_t *params = json_object_get(root, "parameters");
    if (params) {
        if (!json_is_object(params))
            return ei__fail(err, EI_EINVAL, "request 'parameters' must be an object");
        json_t *bdo = json_object_get(params, "binary_data_output");
        if (bdo) {
            if (!json_is_boolean(bdo))
                return ei__fail(err, EI_EINVAL, "parameter 'binary_data_output' must be a boolean");
            out->binary_output = json_is_true(bdo);
        }
        json_t *to = json_object_get(params, "timeout");
        if (to) {
            if (!json_is_integer(to) || json_integer_value(to) < 0)
                return ei__fail(
                    err, EI_EINVAL,
                    "parameter 'timeout' must be a non-negative integer (microseconds)");
            out->timeout_us = (uint64_t)json_integer_value(to);
        }
        rc = sequence_params(params, out, err);
        if (rc != EI_OK)
            return rc;
    }
    json_t *inputs = json_object_get(root, "inputs");
    if (!json_is_array(inputs) || json_array_size(inputs) == 0)
        return ei__fail(err, EI_EINVAL, "request: 'inputs' must be a non-empty array");
    size_t n = json_array_size(inputs);
    json_t *outs = json_object_get(root, "outputs");
    size_t n_outs = json_is_array(outs) ? json_array_size(outs) : 0;
    out->inputs = ei__calloc(n, sizeof *out->inputs);
    out->input_names = ei__calloc(n, sizeof *out->input_names);
    out->shm_refs = ei__calloc(n + n_outs, sizeof *out->shm_refs);
    if (!out->inputs || !out->input_names || !out->shm_refs)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    size_t off = hlen;
    for (size_t i = 0; i < n; i++) {
        json_t *in = json_array_get(inputs, i);
        if (!json_is_object(in))
            return ei__fail(err, EI_EINVAL, "request: inputs[%zu] is not an object", i);
        json_t *jn = json_object_get(in, "name");
        if (!json_is_string(jn))
            return ei__fail(err, EI_EINVAL, "request: inputs[%zu] has no 'name' string", i);
        if (has_nul(jn))
            return ei__fail(err, EI_EINVAL, "request: inputs[%zu] 'name' contains a NUL character",
                            i);
        const char *name = json_string_value(jn);
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->input_names[k], name) == 0)
                return ei__fail(err, EI_EINVAL, "input '%s' is given twice", name);
        json_t *jt = json_object_get(in, "datatype");
        if (!json_is_string(jt) || has_nul(jt))
            return ei__fail(err, EI_EINVAL, "input '%s': no 'datatype' string", name);
        ei_dtype_t t = ei__v2_dtype_parse(json_string_value(jt));
        if (t == EI_DTYPE_UNDEFINED)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': unknown datatype '%s' (expected BOOL, UINT8..UINT64, "
                            "INT8..INT64, FP16, FP32, FP64, BF16 or BYTES)",
                            name, json_string_value(jt));
        int64_t shape[EI_MAX_RANK];
        size_t rank = 0, count = 0;
        rc =
            read_shape(name, json_object_get(in, "shape"), shape, &rank, &count, max_elements, err);
        if (rc != EI_OK)
            return rc;
        json_t *ip = json_object_get(in, "parameters");
        json_t *bds = ip && json_is_object(ip) ? json_object_get(ip, "binary_data_size") : NULL;
        json_t *data = json_object_get(in, "data");
        bool in_shm = ip && json_is_object(ip) &&
                      (json_object_get(ip, "shared_memory_region") ||
                       json_object_get(ip, "shared_memory_byte_size"));
        if ((bds != NULL) + (data != NULL) + in_shm > 1)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': give one of 'data', 'binary_data_size' or "
                            "'shared_memory_region', not several",
                            name);
        out->input_names[i] = name;
        out->n_inputs = i + 1;
        if (in_shm) {
            char what[160];
            snprintf(what, sizeof what, "input '%.120s'", name);
            const char *region = NULL;
            uint8_t *p = NULL;
            uint64_t sz = 0;
            rc = shm_param(ip, what, shm, out, &region, &p, &sz, err);
            if (rc != EI_OK)
                return rc;
            rc = ei__v2_tensor_from_bytes(name, "shared_memory_byte_size", t, shape, rank, count,
                                          (const char *)p, (size_t)sz, &out->inputs[i], err);
            if (rc != EI_OK)
                return rc;
            continue;
        }
        if (bds) {
            if (!json_is_integer(bds) || json_integer_value(bds) < 0)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': binary_data_size must be a non-negative integer",
                                name);
            if (header_len < 0)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': binary_data_size given without an "
                                "Inference-Header-Content-Length header",
                                name);
            uint64_t sz = (uint64_t)json_integer_value(bds);
            if (sz > len - off)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': binary_data_size %llu but only %zu bytes of binary "
                                "data are left in the body",
                                name, (unsigned long long)sz, len - off);
            rc = ei__v2_tensor_from_bytes(name, "binary_data_size", t, shape, rank, count,
                                          body + off, (size_t)sz, &out->inputs[i], err);
            if (rc != EI_OK)
                return rc;
            off += (size_t)sz;
            continue;
        }
        if (!data)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': no 'data' and no 'binary_data_size' parameter", name);
        rc = ei_tensor_create(t, shape, rank, &out->inputs[i], err);
        if (rc != EI_OK)
            return rc;
        fill_t f = {out->inputs[i], t, ei_tensor_data(out->inputs[i]), 0, count, name, err};
        const ei__json_span_t *sp = NULL;
        for (size_t k = 0; k < nspans && json_is_null(data); k++)
            if (spans[k].input == i)
                sp = &spans[k];
        if (sp && t != EI_DTYPE_STRING)
            rc = fill_span(&f, body, sp->start, sp->end);
        else if (sp)
            rc = ei__fail(err, EI_EINVAL,
                          "input '%s': element 0 is not a string, expected BYTES as strings", name);
        else
            rc = fill_json(&f, data);
        if (rc != EI_OK)
            return rc;
        if (f.idx != count) {
            char sh[160];
            return ei__fail(err, EI_EINVAL,
                            "input '%s': 'data' has %zu elements, shape %s needs %zu", name, f.idx,
                            ei_shape_format(shape, rank, sh, sizeof sh), count);
        }
    }
    if (off != len)
        return ei__fail(err, EI_EINVAL,
                        "request body has %zu bytes after the header and the binary inputs",
                        len - off);
    if (outs) {
        if (!json_is_array(outs))
            return ei__fail(err, EI_EINVAL, "request: 'outputs' must be an array");
        size_t m = json_array_size(outs);
        if (m) {
            out->outputs = ei__calloc(m, sizeof *out->outputs);
            if (!out->outputs)
                return ei__fail(err, EI_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < m; i++) {
            json_t *o = json_array_get(outs, i);
            json_t *on = json_is_object(o) ? json_object_get(o, "name") : NULL;
            if (!json_is_string(on))
                return ei__fail(err, EI_EINVAL, "request: outputs[%zu] has no 'name' string", i);
            if (has_nul(on))
                return ei__fail(err, EI_EINVAL,
                                "request: outputs[%zu] 'name' contains a NUL character", i);
            ei__v2_output_t *ro = &out->outputs[i];
            ro->name = json_string_value(on);
            for (size_t k = 0; k < i; k++)
                if (strcmp(out->outputs[k].name, ro->name) == 0)
                    return ei__fail(err, EI_EINVAL, "output '%s' is requested twice", ro->name);
            ro->binary = out->binary_output;
            json_t *op = json_object_get(o, "parameters");
            if (op && !json_is_object(op))
                return ei__fail(err, EI_EINVAL, "output '%s': 'parameters' must be an object",
                                ro->name);
            json_t *bd = op ? json_object_get(op, "binary_data") : NULL;
            if (bd) {
                if (!json_is_boolean(bd))
                    return ei__fail(err, EI_EINVAL, "output '%s': binary_data must be a boolean",
                                    ro->name);
                ro->binary = json_is_true(bd);
            }
            json_t *cl = op ? json_object_get(op, "classification") : NULL;
            if (cl) {
                if (!json_is_integer(cl) || json_integer_value(cl) < 1)
                    return ei__fail(err, EI_EINVAL,
                                    "output '%s': classification must be a positive integer",
                                    ro->name);
                ro->classification = json_integer_value(cl);
            }
            if (op && (json_object_get(op, "shared_memory_region") ||
                       json_object_get(op, "shared_memory_byte_size"))) {
                char what[160];
                snprintf(what, sizeof what, "output '%.120s'", ro->name);
                /* Triton's client always sends binary_data; only true contradicts the region. */
                if (ro->classification > 0 || (bd && json_is_true(bd)))
                    return ei__fail(err, EI_EINVAL,
                                    "%s: shared memory cannot be combined with classification "
                                    "or binary_data: true",
                                    what);
                rc = shm_param(op, what, shm, out, &ro->shm_region, &ro->shm_ptr, &ro->shm_size,
                               err);
                if (rc != EI_OK)
                    return rc;
                ro->binary = false;
            }
            out->n_outputs = i + 1;
        }
    }
    return EI_OK;
}
