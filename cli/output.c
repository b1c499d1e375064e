/* SPDX-License-Identifier: MIT */
/*
 * Output helpers for `info` and `run`: human-readable shapes and sizes, and jansson builders that
 * never fail on odd bytes in model-provided strings (names, doc strings, metadata).
 */
#include "output.h"

#include <stdlib.h>
#include <string.h>

char *ei_cli_format_dims(const int64_t *shape, const char *const *dim_names, size_t rank,
                         bool rank_known, char *buf, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (!rank_known) {
        snprintf(buf, size, "(unknown rank)");
        return buf;
    }
    n += (size_t)snprintf(buf, size, "[");
    for (size_t d = 0; d < rank && n < size; d++) {
        const char *sep = d ? "," : "";
        const char *name = dim_names != NULL ? dim_names[d] : NULL;
        if (shape[d] >= 0)
            n += (size_t)snprintf(buf + n, size - n, "%s%lld", sep, (long long)shape[d]);
        else if (name != NULL && name[0] != '\0')
            n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, name);
        else
            n += (size_t)snprintf(buf + n, size - n, "%s?", sep);
    }
    if (n < size)
        snprintf(buf + n, size - n, "]");
    return buf;
}

char *ei_cli_format_bytes(uint64_t n, char *buf, size_t size)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(buf, size, "%llu B", (unsigned long long)n);
        return buf;
    }
    double v = (double)n;
    size_t u = 0;
    v /= 1024.0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}

const char *ei_cli_value_kind_name(ei_value_kind_t kind)
{
    switch (kind) {
    case EI_VALUE_TENSOR:
        return "tensor";
    case EI_VALUE_SEQUENCE:
        return "sequence";
    case EI_VALUE_MAP:
        return "map";
    case EI_VALUE_OPTIONAL:
        return "optional";
    case EI_VALUE_SPARSE_TENSOR:
        return "sparse_tensor";
    case EI_VALUE_OTHER:
        break;
    }
    return "other";
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || s[0] > 0xF4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    /* Overlong three/four-byte forms, surrogates and values above U+10FFFF. */
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return len;
}

json_t *ei_cli_json_str(const char *s, size_t len)
{
    if (s == NULL)
        return json_string("");
    const unsigned char *u = (const unsigned char *)s;
    bool clean = true;
    for (size_t i = 0; i < len && clean;) {
        size_t k = u[i] == 0 ? 1 : utf8_len(u + i, len - i);
        clean = k != 0;
        i += k ? k : 1;
    }
    if (clean)
        return json_stringn(s, len);
    /* Each bad byte becomes U+FFFD (3 bytes), so 3 * len is always enough. */
    char *fixed = malloc(3 * len + 1);
    if (fixed == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_len(u + i, len - i);
        if (k == 0) {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(fixed + o, s + i, k);
            o += k;
            i += k;
        }
    }
    json_t *j = json_stringn(fixed, o);
    free(fixed);
    return j;
}

void ei_cli_json_set_str(json_t *obj, const char *key, const char *s)
{
    json_object_set_new(obj, key, ei_cli_json_str(s, s != NULL ? strlen(s) : 0));
}

json_t *ei_cli_json_shape(const int64_t *shape, size_t rank)
{
    json_t *a = json_array();
    for (size_t d = 0; a != NULL && d < rank; d++)
        json_array_append_new(a, json_integer((json_int_t)shape[d]));
    return a;
}

json_t *ei_cli_json_value_info(const ei_value_info_t *v)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    ei_cli_json_set_str(o, "name", v->name);
    json_object_set_new(o, "kind", json_string(ei_cli_value_kind_name(v->kind)));
    json_object_set_new(o, "dtype", json_string(ei_dtype_name(v->dtype)));
    if (!v->rank_known) {
        json_object_set_new(o, "shape", json_null());
        json_object_set_new(o, "dim_names", json_null());
        return o;
    }
    json_object_set_new(o, "shape", ei_cli_json_shape(v->shape, v->rank));
    json_t *names = json_array();
    for (size_t d = 0; names != NULL && d < v->rank; d++)
        json_array_append_new(names, ei_cli_json_str(v->dim_names[d], strlen(v->dim_names[d])));
    json_object_set_new(o, "dim_names", names);
    return o;
}

int ei_cli_print_json(json_t *root)
{
    if (root == NULL) {
        ei_cli_errorc(EI_ENOMEM, "out of memory building the JSON output");
        return EI_EXIT_FAILURE;
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
                                      JSON_REAL_PRECISION(9));
    json_decref(root);
    if (text == NULL) {
        ei_cli_errorc(EI_ERUNTIME, "cannot serialise the JSON output");
        return EI_EXIT_FAILURE;
    }
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    if (fflush(stdout) != 0) {
        ei_cli_errorc(EI_EIO, "writing to stdout failed");
        return EI_EXIT_FAILURE;
    }
    return EI_EXIT_OK;
}
