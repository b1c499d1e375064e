/* SPDX-License-Identifier: MIT */
/*
 * KServe v2 inference request parsing and response writing (see v2_infer.h).
 *
 * Requests: the JSON header is parsed with jansson; `data` may be flat or nested to any depth and
 * only its element count must match the shape (as Triton checks it). Integer types take JSON
 * integers (or integral reals) in range, floats take any number, BOOL takes true/false or 0/1,
 * BYTES takes strings. Binary tensors follow the header in the order of the inputs that declare
 * `binary_data_size`. Responses are written by hand into one buffer: that is much faster than
 * building a jansson tree for large outputs, and floats print as the shortest decimal that reads
 * back to the same value.
 */
#include "v2_request.h"

#include "ei_util.h"
#include "sbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    ei_dtype_t t;
} v2_types[] = {
    {"BOOL", EI_DTYPE_BOOL},     {"UINT8", EI_DTYPE_UINT8},   {"UINT16", EI_DTYPE_UINT16},
    {"UINT32", EI_DTYPE_UINT32}, {"UINT64", EI_DTYPE_UINT64}, {"INT8", EI_DTYPE_INT8},
    {"INT16", EI_DTYPE_INT16},   {"INT32", EI_DTYPE_INT32},   {"INT64", EI_DTYPE_INT64},
    {"FP16", EI_DTYPE_FLOAT16},  {"FP32", EI_DTYPE_FLOAT32},  {"FP64", EI_DTYPE_FLOAT64},
    {"BF16", EI_DTYPE_BFLOAT16}, {"BYTES", EI_DTYPE_STRING},
};

const char *ei__v2_dtype_name(ei_dtype_t t)
{
    for (size_t i = 0; i < sizeof v2_types / sizeof v2_types[0]; i++)
        if (v2_types[i].t == t)
            return v2_types[i].name;
    return NULL;
}

ei_dtype_t ei__v2_dtype_parse(const char *name)
{
    for (size_t i = 0; i < sizeof v2_types / sizeof v2_types[0]; i++)
        if (strcmp(v2_types[i].name, name) == 0)
            return v2_types[i].t;
    return EI_DTYPE_UNDEFINED;
}

void ei__v2_request_dispose(ei__v2_request_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_inputs; i++)
        if (r->inputs)
            ei_tensor_destroy(r->inputs[i]);
    ei__free(r->inputs);
    ei__free(r->input_names);
    ei__free(r->outputs);
    for (size_t i = 0; i < r->n_shm_refs; i++)
        ei__shm_release(r->shm_refs[i]);
    ei__free(r->shm_refs);
    ei__free(r->id);
    if (r->doc)
        json_decref(r->doc);
    memset(r, 0, sizeof *r);
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

/* Fast path for numeric `data` arrays ---------------------------------------------------------
 *
 * jansson builds one json_t per number, which made a 224x224x3 FP32 request spend most of its time
 * parsing. Before handing the header to jansson, a light scanner finds every inputs[i].data whose
 * value is an array (nested or flat) of numbers only, validates it with the JSON number grammar,
 * and blanks it out (`null`) in a copy of the header; jansson then parses the small remainder, and
 * the numbers are converted straight from the text into the tensor. Anything unexpected (strings,
 * booleans, odd nesting, escapes in keys) leaves the value to jansson, so behaviour is the same.
 */

#define NO_SPAN SIZE_MAX
#define MAX_SPANS 64

typedef struct data_span {
    size_t input; /* index in "inputs" */
    size_t start, end;
} data_span_t;

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* s[i] == '"': the index after the closing quote, or NO_SPAN. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return NO_SPAN;
}

/* The end of any value starting at s[i] (structure only; jansson validates it later). */
static size_t skip_value(const char *s, size_t i, size_t n, int depth)
{
    if (i >= n || depth > 64)
        return NO_SPAN;
    if (s[i] == '"')
        return skip_string(s, i, n);
    if (s[i] == '[' || s[i] == '{') {
        char close = s[i] == '[' ? ']' : '}';
        i = skip_ws(s, i + 1, n);
        if (i < n && s[i] == close)
            return i + 1;
        for (;;) {
            i = skip_value(s, i, n, depth + 1);
            if (i == NO_SPAN)
                return NO_SPAN;
            i = skip_ws(s, i, n);
            if (i < n && close == '}' && s[i] == ':') {
                i = skip_value(s, skip_ws(s, i + 1, n), n, depth + 1);
                if (i == NO_SPAN)
                    return NO_SPAN;
                i = skip_ws(s, i, n);
            }
            if (i >= n)
                return NO_SPAN;
            if (s[i] == close)
                return i + 1;
            if (s[i] != ',')
                return NO_SPAN;
            i = skip_ws(s, i + 1, n);
        }
    }
    size_t start = i;
    while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}' && s[i] != ' ' && s[i] != '\n' &&
           s[i] != '\t' && s[i] != '\r' && s[i] != ':')
        i++;
    /* Nothing consumed (a stray ':' or ','): not a value; the caller must not loop on it. */
    return i > start ? i : NO_SPAN;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A JSON number at s[i] (grammar checked): its end, or NO_SPAN. */
static size_t number_end(const char *s, size_t i, size_t n)
{
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !is_digit(s[i]))
        return NO_SPAN;
    if (s[i] == '0')
        i++;
    else
        while (i < n && is_digit(s[i]))
            i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return NO_SPAN;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return NO_SPAN;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i;
}

/* s[i] == '[': the end of an array holding only numbers and arrays of numbers, or NO_SPAN. */
static size_t numeric_array_end(const char *s, size_t i, size_t n, int depth)
{
    if (depth > 32)
        return NO_SPAN;
    i = skip_ws(s, i + 1, n);
    if (i < n && s[i] == ']')
        return i + 1;
    for (;;) {
        if (i >= n)
            return NO_SPAN;
        i = s[i] == '[' ? numeric_array_end(s, i, n, depth + 1) : number_end(s, i, n);
        if (i == NO_SPAN)
            return NO_SPAN;
        i = skip_ws(s, i, n);
        if (i >= n)
            return NO_SPAN;
        if (s[i] == ']')
            return i + 1;
        if (s[i] != ',')
            return NO_SPAN;
        i = skip_ws(s, i + 1, n);
    }
}

static bool key_is(const char *s, size_t k0, size_t k1, const char *key)
{
    size_t len = strlen(key);
    return k1 - k0 == len + 2 && memcmp(s + k0 + 1, key, len) == 0;
}

/*
 * Finds the numeric inputs[i].data values. Returns how many spans it stored (0 when the header
 * does not look like a request it understands; jansson then does everything).
 */
static size_t find_data_spans(const char *s, size_t n, data_span_t *spans, size_t max)
{
    size_t ns = 0;
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{')
        return 0;
    i = skip_ws(s, i + 1, n);
    while (i < n && s[i] != '}') {
        if (s[i] != '"')
            return 0;
        size_t k0 = i, k1 = skip_string(s, i, n);
        if (k1 == NO_SPAN)
            return 0;
        i = skip_ws(s, k1, n);
        if (i >= n || s[i] != ':')
            return 0;
        i = skip_ws(s, i + 1, n);
        if (key_is(s, k0, k1, "inputs") && i < n && s[i] == '[') {
            size_t idx = 0;
            i = skip_ws(s, i + 1, n);
            while (i < n && s[i] != ']') {
                if (s[i] == '{') {
                    i = skip_ws(s, i + 1, n);
                    while (i < n && s[i] != '}') {
                        if (s[i] != '"')
                            return 0;
                        size_t j0 = i, j1 = skip_string(s, i, n);
                        if (j1 == NO_SPAN)
                            return 0;
                        i = skip_ws(s, j1, n);
                        if (i >= n || s[i] != ':')
                            return 0;
                        i = skip_ws(s, i + 1, n);
                        size_t end = NO_SPAN;
                        if (key_is(s, j0, j1, "data") && i < n && s[i] == '[' && ns < max) {
                            end = numeric_array_end(s, i, n, 0);
                            if (end != NO_SPAN)
                                spans[ns++] = (data_span_t){idx, i, end};
                        }
                        if (end == NO_SPAN)
                            end = skip_value(s, i, n, 0);
                        if (end == NO_SPAN)
                            return 0;
                        i = skip_ws(s, end, n);
                        if (i < n && s[i] == ',')
                            i = skip_ws(s, i + 1, n);
                    }
                    if (i >= n)
                        return 0;
                    i++;
                } else {
                    i = skip_value(s, i, n, 0);
                    if (i == NO_SPAN)
                        return 0;
                }
                idx++;
                i = skip_ws(s, i, n);
                if (i < n && s[i] == ',')
                    i = skip_ws(s, i + 1, n);
            }
            if (i >= n)
                return 0;
            i++;
        } else {
            i = skip_value(s, i, n, 0);
            if (i == NO_SPAN)
                return 0;
        }
        i = skip_ws(s, i, n);
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
    }
    return ns;
}

/* Parses a validated number token [i, end). */
static void parse_number(const char *s, size_t i, size_t end, bool *is_int, long long *iv,
                         double *dv)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t start = i;
    bool neg = s[i] == '-';
    if (neg)
        i++;
    uint64_t m = 0;
    int digits = 0, e10 = 0;
    bool frac = false, big = false;
    for (; i < end && is_digit(s[i]); i++) {
        if (digits < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            if (m)
                digits++;
        } else {
            big = true;
        }
    }
    if (i < end && s[i] == '.') {
        frac = true;
        for (i++; i < end && is_digit(s[i]); i++) {
            if (digits < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                if (m)
                    digits++;
                e10--;
            }
        }
    }
    bool has_exp = i < end;
    if (has_exp) {
        i++;
        bool eneg = s[i] == '-';
        if (s[i] == '+' || s[i] == '-')
            i++;
        int ev = 0;
        for (; i < end; i++)
            if (ev < 100000)
                ev = ev * 10 + (s[i] - '0');
        e10 += eneg ? -ev : ev;
    }
    *is_int = !frac && !has_exp && !big &&
              (m <= (uint64_t)INT64_MAX || (neg && m == (uint64_t)INT64_MAX + 1));
    if (*is_int) {
        if (neg && m == (uint64_t)INT64_MAX + 1)
            *iv = INT64_MIN;
        else
            *iv = neg ? -(long long)m : (long long)m;
        *dv = neg && m == 0 ? -0.0 : (double)*iv; /* "-0" stays negative zero for floats */
        return;
    }
    *iv = 0;
    if (!big && m <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
        /* Exact: both m and 10^|e10| are doubles, so one correctly rounded operation. */
        double v = e10 < 0 ? (double)m / p10[-e10] : (double)m * p10[e10];
        *dv = neg ? -v : v;
        return;
    }
    *dv = strtod(s + start, NULL);
}

static ei_code_t fill_span(fill_t *f, const char *s, size_t i, size_t end)
{
    while (i < end) {
        char ch = s[i];
        if (ch == '[' || ch == ']' || ch == ',' || ch == ' ' || ch == '\n' || ch == '\t' ||
            ch == '\r') {
            i++;
            continue;
        }
        size_t e = number_end(s, i, end);
        if (e == NO_SPAN)
            return ei__fail(f->err, EI_EINVAL, "input '%s': malformed number in 'data'", f->name);
        bool is_int;
        long long iv;
        double dv;
        parse_number(s, i, e, &is_int, &iv, &dv);
        ei_code_t rc = put_number(f, is_int, iv, dv);
        if (rc != EI_OK)
            return rc;
        i = e;
    }
    return EI_OK;
}

/* Binary data -> tensor ----------------------------------------------------------------------- */

static ei_code_t tensor_from_binary(const char *name, const char *size_name, ei_dtype_t t,
                                    const int64_t *shape, size_t rank, size_t count, const char *p,
                                    size_t n, ei_tensor_t **out, ei_error_t *err)
{
    if (t == EI_DTYPE_STRING) {
        ei_code_t rc = ei_tensor_create(t, shape, rank, out, err);
        if (rc != EI_OK)
            return rc;
        size_t off = 0;
        for (size_t i = 0; i < count; i++) {
            uint32_t l;
            if (n - off < 4) {
                rc = ei__fail(err, EI_EINVAL,
                              "input '%s': binary BYTES data ends inside the length of element %zu",
                              name, i);
                break;
            }
            memcpy(&l, p + off, 4); /* little-endian hosts only, as everything here */
            off += 4;
            if (n - off < l) {
                rc = ei__fail(err, EI_EINVAL,
                              "input '%s': binary BYTES element %zu claims %u bytes, %zu left",
                              name, i, l, n - off);
                break;
            }
            rc = ei_tensor_set_string(*out, i, p + off, l, err);
            if (rc != EI_OK)
                break;
            off += l;
        }
        if (rc == EI_OK && off != n)
            rc = ei__fail(err, EI_EINVAL,
                          "input '%s': %s is %zu but the %zu BYTES elements take %zu", name,
                          size_name, n, count, off);
        if (rc != EI_OK) {
            ei_tensor_destroy(*out);
            *out = NULL;
        }
        return rc;
    }
    size_t need = ei_dtype_nbytes(t, count);
    if (n != need) {
        char sh[160];
        return ei__fail(err, EI_EINVAL, "input '%s': %s is %zu bytes, shape %s of %s needs %zu",
                        name, size_name, n, ei_shape_format(shape, rank, sh, sizeof sh),
                        ei__v2_dtype_name(t), need);
    }
    /* Borrow the body when the bytes are naturally aligned for the element type; otherwise copy
     * (the JSON header length decides where they start). */
    size_t align = ei_dtype_size(t);
    if (align && ((uintptr_t)p % 16 == 0 || ((uintptr_t)p % align == 0 && align <= 2)) &&
        need > 0) {
        return ei_tensor_wrap(t, shape, rank, (void *)(uintptr_t)p, n, out, err);
    }
    ei_code_t rc = ei_tensor_create(t, shape, rank, out, err);
    if (rc == EI_OK && need)
        memcpy(ei_tensor_data(*out), p, need);
    return rc;
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
    return tensor_from_binary(in->name, "the raw body", t, shape, rank, count, body, len,
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
    if (!jr || !json_is_string(jr))
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
    data_span_t spans[MAX_SPANS];
    size_t nspans = find_data_spans(body, hlen, spans, MAX_SPANS);
    if (nspans == 0) {
        out->doc = json_loadb(body, hlen, JSON_REJECT_DUPLICATES, &je);
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
        out->doc = json_loadb(hb.data, hb.len, JSON_REJECT_DUPLICATES, &je);
        ei__sbuf_free(&hb);
    }
    if (!out->doc)
        return ei__fail(err, EI_EINVAL, "request JSON: %s at line %d column %d", je.text, je.line,
                        je.column);
    json_t *root = out->doc;
    if (!json_is_object(root))
        return ei__fail(err, EI_EINVAL, "request JSON: expected an object");
    json_t *id = json_object_get(root, "id");
    if (id) {
        if (!json_is_string(id))
            return ei__fail(err, EI_EINVAL, "request 'id' must be a string");
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
        const char *name = json_string_value(jn);
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->input_names[k], name) == 0)
                return ei__fail(err, EI_EINVAL, "input '%s' is given twice", name);
        json_t *jt = json_object_get(in, "datatype");
        if (!json_is_string(jt))
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
            rc = tensor_from_binary(name, "shared_memory_byte_size", t, shape, rank, count,
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
            rc = tensor_from_binary(name, "binary_data_size", t, shape, rank, count, body + off,
                                    (size_t)sz, &out->inputs[i], err);
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
        const data_span_t *sp = NULL;
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
                if (ro->classification > 0 || bd)
                    return ei__fail(err, EI_EINVAL,
                                    "%s: shared memory cannot be combined with classification "
                                    "or binary_data",
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

/* Responses ----------------------------------------------------------------------------------- */

typedef struct ranked {
    double v;
    size_t i;
} ranked_t;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i ? 1 : 0);
}

/*
 * The classification extension: per batch item (when the model batches), the top K values of the
 * output as BYTES "value:index[:label]" (Triton prints the value with %f). NaNs sort last.
 */
static ei_code_t classify(const ei_tensor_t *t, int64_t k, bool batched, const ei__config_io_t *io,
                          ei_tensor_t **out, ei_error_t *err)
{
    ei_dtype_t dt = ei_tensor_dtype(t);
    if (dt == EI_DTYPE_STRING || dt == EI_DTYPE_BOOL)
        return ei__fail(err, EI_EINVAL, "classification needs a numeric output, this one is %s",
                        ei__v2_dtype_name(dt) ? ei__v2_dtype_name(dt) : ei_dtype_name(dt));
    size_t rank = ei_tensor_rank(t);
    const int64_t *sh = ei_tensor_shape(t);
    size_t total = ei_tensor_count(t);
    size_t batch = batched && rank > 0 ? (size_t)sh[0] : 1;
    size_t per = batch ? total / batch : 0;
    size_t kk = (size_t)k < per ? (size_t)k : per;
    int64_t oshape[2] = {(int64_t)batch, (int64_t)kk};
    ei_code_t rc = batched && rank > 0 ? ei_tensor_create(EI_DTYPE_STRING, oshape, 2, out, err)
                                       : ei_tensor_create(EI_DTYPE_STRING, oshape + 1, 1, out, err);
    if (rc != EI_OK)
        return rc;
    ranked_t *rk = per ? ei__calloc(per, sizeof *rk) : NULL;
    if (per && !rk) {
        ei_tensor_destroy(*out);
        *out = NULL;
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    for (size_t b = 0; b < batch && rc == EI_OK; b++) {
        for (size_t i = 0; i < per; i++) {
            double v = ei_tensor_get_f64(t, b * per + i);
            rk[i].v = isnan(v) ? -INFINITY : v;
            rk[i].i = i;
        }
        qsort(rk, per, sizeof *rk, ranked_cmp);
        for (size_t j = 0; j < kk && rc == EI_OK; j++) {
            char s[512];
            int n;
            if (io && rk[j].i < io->n_labels)
                n = snprintf(s, sizeof s, "%f:%zu:%s", rk[j].v, rk[j].i, io->labels[rk[j].i]);
            else
                n = snprintf(s, sizeof s, "%f:%zu", rk[j].v, rk[j].i);
            if (n < 0)
                n = 0;
            if ((size_t)n >= sizeof s)
                n = (int)sizeof s - 1;
            rc = ei_tensor_set_string(*out, b * kk + j, s, (size_t)n, err);
        }
    }
    ei__free(rk);
    if (rc != EI_OK) {
        ei_tensor_destroy(*out);
        *out = NULL;
    }
    return rc;
}

static void write_json_data(ei__sbuf_t *b, const ei_tensor_t *t)
{
    ei_dtype_t dt = ei_tensor_dtype(t);
    size_t n = ei_tensor_count(t);
    const unsigned char *p = ei_tensor_data(t);
    ei__sbuf_addc(b, '[');
    for (size_t i = 0; i < n && !b->oom; i++) {
        if (i)
            ei__sbuf_addc(b, ',');
        switch (dt) {
        case EI_DTYPE_STRING: {
            size_t l = 0;
            const char *s = ei_tensor_string(t, i, &l);
            ei__sbuf_json_str(b, s ? s : "", s ? l : 0);
            break;
        }
        case EI_DTYPE_BOOL:
            ei__sbuf_adds(b, p[i] ? "true" : "false");
            break;
        case EI_DTYPE_FLOAT32: {
            float f;
            memcpy(&f, p + 4 * i, 4);
            ei__sbuf_json_num(b, (double)f, 9);
            break;
        }
        case EI_DTYPE_FLOAT64: {
            double d;
            memcpy(&d, p + 8 * i, 8);
            ei__sbuf_json_num(b, d, 17);
            break;
        }
        case EI_DTYPE_FLOAT16:
        case EI_DTYPE_BFLOAT16:
            ei__sbuf_json_num(b, ei_tensor_get_f64(t, i), 9);
            break;
        case EI_DTYPE_UINT64: {
            uint64_t u;
            memcpy(&u, p + 8 * i, 8);
            ei__sbuf_printf(b, "%llu", (unsigned long long)u);
            break;
        }
        case EI_DTYPE_INT64: {
            int64_t v;
            memcpy(&v, p + 8 * i, 8);
            ei__sbuf_printf(b, "%lld", (long long)v);
            break;
        }
        default:
            ei__sbuf_printf(b, "%lld", (long long)ei_tensor_get_f64(t, i));
            break;
        }
    }
    ei__sbuf_addc(b, ']');
}

/* The binary form of a tensor (BYTES: 4-byte length + bytes per element) into memory with room
 * for binary_size(t) bytes. */
static void write_binary_to(uint8_t *dst, const ei_tensor_t *t)
{
    if (ei_tensor_dtype(t) != EI_DTYPE_STRING) {
        if (ei_tensor_nbytes(t))
            memcpy(dst, ei_tensor_data(t), ei_tensor_nbytes(t));
        return;
    }
    size_t n = ei_tensor_count(t);
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        const char *s = ei_tensor_string(t, i, &l);
        uint32_t l32 = (uint32_t)l;
        memcpy(dst, &l32, 4);
        memcpy(dst + 4, s, l);
        dst += 4 + l;
    }
}

static size_t binary_size(const ei_tensor_t *t);

/* The binary form of a tensor, appended to `b`. */
static void write_binary(ei__sbuf_t *b, const ei_tensor_t *t)
{
    size_t n = binary_size(t);
    if (n && ei__sbuf_reserve(b, n)) {
        write_binary_to((uint8_t *)b->data + b->len, t);
        b->len += n;
        b->data[b->len] = '\0'; /* the buffer's invariant */
    }
}

static size_t binary_size(const ei_tensor_t *t)
{
    if (ei_tensor_dtype(t) != EI_DTYPE_STRING)
        return ei_tensor_nbytes(t);
    size_t n = ei_tensor_count(t), total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        ei_tensor_string(t, i, &l);
        total += 4 + l;
    }
    return total;
}

ei_code_t ei__v2_write_response(const ei__v2_request_t *rq, const char *model, int64_t version,
                                const ei__model_config_t *cfg, ei_tensor_t *const *results,
                                const char *const *names, size_t n, char **body, size_t *len,
                                size_t *json_len, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    ei__sbuf_t b = {0};
    ei_tensor_t **cls = ei__calloc(n ? n : 1, sizeof *cls);
    bool *bin = ei__calloc(n ? n : 1, sizeof *bin);
    const ei__v2_output_t **shm = ei__calloc(n ? n : 1, sizeof *shm);
    bool any_bin = false;
    *body = NULL;
    *len = 0;
    *json_len = 0;
    if (!cls || !bin || !shm) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    /* Per output: binary or JSON, and the classification tensor when asked for. */
    for (size_t i = 0; i < n; i++) {
        const ei__v2_output_t *ro = NULL;
        for (size_t k = 0; k < rq->n_outputs; k++)
            if (strcmp(rq->outputs[k].name, names[i]) == 0)
                ro = &rq->outputs[k];
        shm[i] = ro && ro->shm_ptr ? ro : NULL;
        bin[i] = shm[i] ? false : ro ? ro->binary : rq->binary_output;
        if (ro && ro->classification > 0) {
            const ei__config_io_t *io = cfg ? ei__model_config_output(cfg, names[i]) : NULL;
            rc = classify(results[i], ro->classification, cfg && cfg->max_batch_size > 0, io,
                          &cls[i], err);
            if (rc != EI_OK) {
                ei__error_prefix(err, "output '%s'", names[i]);
                goto out;
            }
        }
        const ei_tensor_t *t = cls[i] ? cls[i] : results[i];
        if (!ei__v2_dtype_name(ei_tensor_dtype(t))) {
            rc = ei__fail(err, EI_EUNSUPPORTED,
                          "output '%s': element type %s has no KServe v2 datatype", names[i],
                          ei_dtype_name(ei_tensor_dtype(t)));
            goto out;
        }
        any_bin |= bin[i];
        if (shm[i]) {
            size_t need = binary_size(t);
            if (need > shm[i]->shm_size) {
                rc = ei__fail(err, EI_EINVAL,
                              "output '%s': shared_memory_byte_size %llu is smaller than the "
                              "result (%zu bytes)",
                              names[i], (unsigned long long)shm[i]->shm_size, need);
                goto out;
            }
        }
    }
    /* Every check has passed: only now write into the clients' shared memory. */
    for (size_t i = 0; i < n; i++)
        if (shm[i])
            write_binary_to(shm[i]->shm_ptr, results[i]);
    ei__sbuf_adds(&b, "{\"model_name\":");
    ei__sbuf_json_str(&b, model, strlen(model));
    ei__sbuf_printf(&b, ",\"model_version\":\"%lld\"", (long long)version);
    if (rq->id) {
        ei__sbuf_adds(&b, ",\"id\":");
        ei__sbuf_json_str(&b, rq->id, strlen(rq->id));
    }
    ei__sbuf_adds(&b, ",\"outputs\":[");
    for (size_t i = 0; i < n; i++) {
        const ei_tensor_t *t = cls[i] ? cls[i] : results[i];
        if (i)
            ei__sbuf_addc(&b, ',');
        ei__sbuf_adds(&b, "{\"name\":");
        ei__sbuf_json_str(&b, names[i], strlen(names[i]));
        ei__sbuf_printf(&b, ",\"datatype\":\"%s\",\"shape\":[",
                        ei__v2_dtype_name(ei_tensor_dtype(t)));
        const int64_t *sh = ei_tensor_shape(t);
        for (size_t d = 0; d < ei_tensor_rank(t); d++)
            ei__sbuf_printf(&b, "%s%lld", d ? "," : "", (long long)sh[d]);
        ei__sbuf_addc(&b, ']');
        if (shm[i]) {
            ei__sbuf_adds(&b, ",\"parameters\":{\"shared_memory_region\":");
            ei__sbuf_json_str(&b, shm[i]->shm_region, strlen(shm[i]->shm_region));
            ei__sbuf_printf(&b, ",\"shared_memory_byte_size\":%zu}}", binary_size(t));
        } else if (bin[i]) {
            ei__sbuf_printf(&b, ",\"parameters\":{\"binary_data_size\":%zu}}", binary_size(t));
        } else {
            ei__sbuf_adds(&b, ",\"data\":");
            write_json_data(&b, t);
            ei__sbuf_addc(&b, '}');
        }
    }
    ei__sbuf_adds(&b, "]}");
    if (any_bin) {
        *json_len = b.len;
        for (size_t i = 0; i < n; i++)
            if (bin[i])
                write_binary(&b, cls[i] ? cls[i] : results[i]);
    }
    if (b.oom) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory writing the response");
        goto out;
    }
    *body = ei__sbuf_take(&b, len);
out:
    if (cls)
        for (size_t i = 0; i < n; i++)
            ei_tensor_destroy(cls[i]);
    ei__free(cls);
    ei__free(bin);
    ei__free((void *)shm);
    ei__sbuf_free(&b);
    if (rc != EI_OK)
        *json_len = 0;
    return rc;
}
