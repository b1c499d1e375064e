/* SPDX-License-Identifier: MIT */
/*
 * Values of every ONNX kind (tensor, sequence, map, optional) behind one opaque type, and the
 * bridge to and from OrtValue. Tensors inside stay ei_tensor_t, so an ORT-owned output tensor is
 * still handed out without a copy.
 */
#include "core_internal.h"

#include <edgeinfer/value.h>
#include <stdlib.h>
#include <string.h>

struct ei_value {
    ei_value_kind_t kind;
    ei_value_kind_t elem_kind; /* sequence/optional: what it holds; map/tensor: TENSOR */
    ei_dtype_t elem_dtype;     /* element type of the tensors held (UNDEFINED: not known) */
    ei_tensor_t *tensor;       /* TENSOR */
    ei_tensor_t *keys, *vals;  /* MAP */
    ei_value_t **items;        /* SEQUENCE elements; OPTIONAL: items[0] when not None */
    size_t n, cap;
};

static ei_value_t *value_new(ei_value_kind_t kind)
{
    ei_value_t *v = ei__calloc(1, sizeof(*v));
    if (v != NULL) {
        v->kind = kind;
        v->elem_kind = EI_VALUE_TENSOR;
    }
    return v;
}

const char *ei_value_kind_name(ei_value_kind_t k)
{
    switch (k) {
    case EI_VALUE_TENSOR:
        return "tensor";
    case EI_VALUE_SEQUENCE:
        return "sequence";
    case EI_VALUE_MAP:
        return "map";
    case EI_VALUE_OPTIONAL:
        return "optional";
    case EI_VALUE_SPARSE_TENSOR:
        return "sparse tensor";
    case EI_VALUE_OTHER:
        break;
    }
    return "value";
}

ei_code_t ei_value_from_tensor(ei_tensor_t *t, ei_value_t **out, ei_error_t *err)
{
    *out = NULL;
    if (t == NULL)
        return ei__fail(err, EI_EINVAL, "tensor is NULL");
    ei_value_t *v = value_new(EI_VALUE_TENSOR);
    if (v == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for a value");
    v->tensor = t;
    v->elem_dtype = ei_tensor_dtype(t);
    *out = v;
    return EI_OK;
}

ei_code_t ei_value_sequence_create(ei_value_kind_t elem_kind, ei_dtype_t elem_dtype,
                                   ei_value_t **out, ei_error_t *err)
{
    *out = NULL;
    if (elem_kind != EI_VALUE_TENSOR && elem_kind != EI_VALUE_MAP)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "a sequence of %ss is not supported (sequences hold tensors or maps)",
                        ei_value_kind_name(elem_kind));
    if (elem_dtype != EI_DTYPE_UNDEFINED && !ei_dtype_valid(elem_dtype))
        return ei__fail(err, EI_EUNSUPPORTED, "element type %d is not supported", (int)elem_dtype);
    ei_value_t *v = value_new(EI_VALUE_SEQUENCE);
    if (v == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for a sequence");
    v->elem_kind = elem_kind;
    v->elem_dtype = elem_dtype;
    *out = v;
    return EI_OK;
}

ei_code_t ei_value_sequence_append(ei_value_t *seq, ei_value_t *elem, ei_error_t *err)
{
    if (seq == NULL || elem == NULL)
        return ei__fail(err, EI_EINVAL, "sequence or element is NULL");
    if (seq->kind != EI_VALUE_SEQUENCE)
        return ei__fail(err, EI_EINVAL, "appending to a %s, not a sequence",
                        ei_value_kind_name(seq->kind));
    if (elem->kind != seq->elem_kind)
        return ei__fail(err, EI_EINVAL, "sequence element %zu is a %s; the sequence holds %ss",
                        seq->n, ei_value_kind_name(elem->kind), ei_value_kind_name(seq->elem_kind));
    if (seq->elem_dtype != EI_DTYPE_UNDEFINED && elem->elem_dtype != seq->elem_dtype)
        return ei__fail(err, EI_EINVAL,
                        "sequence element %zu has element type %s; the sequence "
                        "holds %s",
                        seq->n, ei_dtype_name(elem->elem_dtype), ei_dtype_name(seq->elem_dtype));
    if (seq->n == seq->cap) {
        size_t cap = seq->cap ? seq->cap * 2 : 4;
        ei_value_t **items = ei__realloc(seq->items, cap * sizeof(*items));
        if (items == NULL || cap < seq->cap)
            return ei__fail(err, EI_ENOMEM, "out of memory for %zu sequence elements", cap);
        seq->items = items;
        seq->cap = cap;
    }
    if (seq->elem_dtype == EI_DTYPE_UNDEFINED)
        seq->elem_dtype = elem->elem_dtype;
    seq->items[seq->n++] = elem;
    return EI_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* qsort has no context argument: the tensor whose strings cmp_str_idx() compares (per thread). */
static _Thread_local const ei_tensor_t *sort_strings_of;

static int cmp_str_idx(const void *a, const void *b)
{
    size_t la = 0, lb = 0;
    const char *sa = ei_tensor_string(sort_strings_of, *(const size_t *)a, &la);
    const char *sb = ei_tensor_string(sort_strings_of, *(const size_t *)b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    return c != 0 ? c : (la < lb ? -1 : la > lb);
}

/* Finds a duplicate key: 1 with its index in `*at`, 0 for none, -1 when out of memory. */
static int map_duplicate(const ei_tensor_t *keys, size_t *at)
{
    size_t n = ei_tensor_count(keys);
    if (n < 2)
        return 0;
    if (ei_tensor_dtype(keys) == EI_DTYPE_INT64) {
        int64_t *copy = ei__calloc(n, sizeof(int64_t));
        if (copy == NULL)
            return -1;
        memcpy(copy, ei_tensor_data(keys), n * sizeof(int64_t));
        qsort(copy, n, sizeof(int64_t), cmp_i64);
        int found = 0;
        for (size_t i = 1; i < n && !found; i++) {
            if (copy[i] == copy[i - 1]) {
                found = 1;
                for (size_t j = 0; j < n; j++) {
                    if (((const int64_t *)ei_tensor_data(keys))[j] == copy[i]) {
                        *at = j;
                        break;
                    }
                }
            }
        }
        ei__free(copy);
        return found;
    }
    /* Strings: sort their indices. */
    size_t *idx = ei__calloc(n, sizeof(size_t));
    if (idx == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    int found = 0;
    sort_strings_of = keys;
    qsort(idx, n, sizeof(size_t), cmp_str_idx);
    for (size_t i = 1; i < n && !found; i++) {
        if (cmp_str_idx(&idx[i], &idx[i - 1]) == 0) {
            found = 1;
            *at = idx[i] < idx[i - 1] ? idx[i] : idx[i - 1];
        }
    }
    ei__free(idx);
    return found;
}

ei_code_t ei_value_map_create(ei_tensor_t *keys, ei_tensor_t *values, ei_value_t **out,
                              ei_error_t *err)
{
    *out = NULL;
    if (keys == NULL || values == NULL)
        return ei__fail(err, EI_EINVAL, "map keys or values are NULL");
    ei_dtype_t kt = ei_tensor_dtype(keys), vt = ei_tensor_dtype(values);
    if (kt != EI_DTYPE_INT64 && kt != EI_DTYPE_STRING)
        return ei__fail(err, EI_EUNSUPPORTED, "map keys of type %s (keys are int64 or string)",
                        ei_dtype_name(kt));
    if (vt != EI_DTYPE_FLOAT32 && vt != EI_DTYPE_FLOAT64 && vt != EI_DTYPE_INT64 &&
        vt != EI_DTYPE_STRING)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "map values of type %s (values are float32, float64, int64 or string)",
                        ei_dtype_name(vt));
    if (ei_tensor_rank(keys) != 1 || ei_tensor_rank(values) != 1)
        return ei__fail(err, EI_EINVAL, "map keys and values must be 1-D (ranks %zu and %zu)",
                        ei_tensor_rank(keys), ei_tensor_rank(values));
    if (ei_tensor_count(keys) != ei_tensor_count(values))
        return ei__fail(err, EI_EINVAL, "map has %zu keys but %zu values", ei_tensor_count(keys),
                        ei_tensor_count(values));
    size_t at = 0;
    int dup = map_duplicate(keys, &at);
    if (dup < 0)
        return ei__fail(err, EI_ENOMEM, "out of memory checking map keys");
    if (dup > 0) {
        if (kt == EI_DTYPE_INT64)
            return ei__fail(err, EI_EINVAL, "map key %lld appears twice",
                            (long long)((const int64_t *)ei_tensor_data(keys))[at]);
        return ei__fail(err, EI_EINVAL, "map key '%.64s' appears twice",
                        ei_tensor_string(keys, at, NULL));
    }
    ei_value_t *v = value_new(EI_VALUE_MAP);
    if (v == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for a map");
    v->keys = keys;
    v->vals = values;
    v->elem_dtype = vt;
    *out = v;
    return EI_OK;
}

ei_code_t ei_value_optional_create(ei_value_t *inner, ei_value_kind_t none_kind,
                                   ei_dtype_t none_dtype, ei_value_t **out, ei_error_t *err)
{
    *out = NULL;
    ei_value_kind_t k = inner != NULL ? inner->kind : none_kind;
    if (k != EI_VALUE_TENSOR && k != EI_VALUE_SEQUENCE)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "an optional %s is not supported (optionals hold a tensor or a sequence)",
                        ei_value_kind_name(k));
    ei_value_t *v = value_new(EI_VALUE_OPTIONAL);
    if (v == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for an optional");
    v->elem_kind = k;
    v->elem_dtype = inner != NULL ? inner->elem_dtype : none_dtype;
    if (inner != NULL) {
        v->items = ei__malloc(sizeof(*v->items));
        if (v->items == NULL) {
            ei__free(v);
            return ei__fail(err, EI_ENOMEM, "out of memory for an optional");
        }
        v->items[0] = inner;
        v->n = v->cap = 1;
    }
    *out = v;
    return EI_OK;
}

void ei_value_destroy(ei_value_t *v)
{
    if (v == NULL)
        return;
    ei_tensor_destroy(v->tensor);
    ei_tensor_destroy(v->keys);
    ei_tensor_destroy(v->vals);
    for (size_t i = 0; i < v->n; i++)
        ei_value_destroy(v->items[i]);
    ei__free(v->items);
    ei__free(v);
}

ei_value_kind_t ei_value_kind(const ei_value_t *v)
{
    return v->kind;
}

ei_tensor_t *ei_value_tensor(const ei_value_t *v)
{
    return v->kind == EI_VALUE_TENSOR ? v->tensor : NULL;
}

size_t ei_value_count(const ei_value_t *v)
{
    switch (v->kind) {
    case EI_VALUE_TENSOR:
        return 1;
    case EI_VALUE_MAP:
        return ei_tensor_count(v->keys);
    default:
        return v->n;
    }
}

const ei_value_t *ei_value_element(const ei_value_t *v, size_t i)
{
    if (v->kind != EI_VALUE_SEQUENCE && v->kind != EI_VALUE_OPTIONAL)
        return NULL;
    return i < v->n ? v->items[i] : NULL;
}

ei_value_kind_t ei_value_elem_kind(const ei_value_t *v)
{
    return v->elem_kind;
}

ei_dtype_t ei_value_elem_dtype(const ei_value_t *v)
{
    return v->elem_dtype;
}

const ei_tensor_t *ei_value_map_keys(const ei_value_t *v)
{
    return v->kind == EI_VALUE_MAP ? v->keys : NULL;
}

const ei_tensor_t *ei_value_map_values(const ei_value_t *v)
{
    return v->kind == EI_VALUE_MAP ? v->vals : NULL;
}

/* OrtValue bridge ------------------------------------------------------------------------------ */

static void release_made(OrtValue **vals, const bool *borrowed, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!borrowed[i])
            ei__ort->ReleaseValue(vals[i]);
    }
}

ei_code_t ei__value_to_ort(const ei_value_t *v, const ei_value_info_t *decl, OrtValue **out,
                           bool *borrowed, ei_error_t *err)
{
    *out = NULL;
    *borrowed = false;
    switch (v->kind) {
    case EI_VALUE_TENSOR:
        return ei__tensor_to_ort(v->tensor, out, borrowed, err);
    case EI_VALUE_OPTIONAL:
        if (v->n == 0)
            return ei__fail(err, EI_EUNSUPPORTED,
                            "a None optional cannot be fed: ONNX Runtime 1.29 crashes on a None "
                            "input (whatever the model), so edgeinfer refuses it");
        return ei__value_to_ort(v->items[0], NULL, out, borrowed, err);
    case EI_VALUE_MAP: {
        OrtValue *kv[2] = {NULL, NULL};
        bool kb[2] = {false, false};
        ei_code_t rc = ei__tensor_to_ort(v->keys, &kv[0], &kb[0], err);
        if (rc != EI_OK)
            return rc;
        rc = ei__tensor_to_ort(v->vals, &kv[1], &kb[1], err);
        if (rc == EI_OK)
            rc = ei__ort_check(
                ei__ort->CreateValue((const OrtValue *const *)kv, 2, ONNX_TYPE_MAP, out), err);
        release_made(kv, kb, rc == EI_OK || kv[1] != NULL ? 2 : 1);
        return rc;
    }
    case EI_VALUE_SEQUENCE: {
        if (v->n == 0) {
            if (v->elem_kind != EI_VALUE_TENSOR)
                return ei__fail(err, EI_EUNSUPPORTED, "an empty sequence of maps cannot be fed");
            ei_dtype_t dt = v->elem_dtype;
            if (dt == EI_DTYPE_UNDEFINED && decl != NULL)
                dt = decl->dtype;
            return ei__ort_empty_sequence(dt, out, err);
        }
        OrtValue **elems = ei__calloc(v->n, sizeof(*elems));
        bool *eb = ei__calloc(v->n, sizeof(*eb));
        ei_code_t rc = EI_OK;
        size_t made = 0;
        if (elems == NULL || eb == NULL)
            rc = ei__fail(err, EI_ENOMEM, "out of memory for %zu sequence elements", v->n);
        for (; rc == EI_OK && made < v->n; made++) {
            rc = ei__value_to_ort(v->items[made], NULL, &elems[made], &eb[made], err);
            if (rc != EI_OK)
                ei__error_prefix(err, "sequence element %zu", made);
        }
        if (rc == EI_OK)
            rc = ei__ort_check(
                ei__ort->CreateValue((const OrtValue *const *)elems, v->n, ONNX_TYPE_SEQUENCE, out),
                err);
        if (elems != NULL && eb != NULL)
            release_made(elems, eb, rc == EI_OK ? v->n : made);
        ei__free(elems);
        ei__free(eb);
        return rc;
    }
    default:
        return ei__fail(err, EI_EUNSUPPORTED, "a %s cannot be fed", ei_value_kind_name(v->kind));
    }
}

/* Element `i` of an ORT sequence or map as a new OrtValue. */
static ei_code_t ort_get(const OrtValue *v, int i, OrtValue **out, ei_error_t *err)
{
    OrtAllocator *alloc = NULL;
    ei_code_t rc = ei__ort_check(ei__ort->GetAllocatorWithDefaultOptions(&alloc), err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->GetValue(v, i, alloc, out), err);
    return rc;
}

/* Takes ownership of `v` whatever happens. */
static ei_code_t tensor_value_from_ort(OrtValue *v, ei_value_t **out, ei_error_t *err)
{
    ei_tensor_t *t = NULL;
    ei_code_t rc = ei__tensor_from_ort(v, &t, err);
    if (rc != EI_OK) {
        ei__ort->ReleaseValue(v);
        return rc;
    }
    rc = ei_value_from_tensor(t, out, err);
    if (rc != EI_OK)
        ei_tensor_destroy(t);
    return rc;
}

ei_code_t ei__value_from_ort(OrtValue *v, const ei_value_info_t *decl, ei_value_t **out,
                             ei_error_t *err)
{
    *out = NULL;
    ei_code_t rc;
    if (decl != NULL && decl->kind == EI_VALUE_OPTIONAL) {
        int has = 0;
        rc = ei__ort_check(ei__ort->HasValue(v, &has), err);
        ei_value_t *inner = NULL;
        if (rc == EI_OK && has) {
            ei_value_info_t in_decl = *decl;
            in_decl.kind = decl->elem_kind;
            in_decl.elem_kind = EI_VALUE_TENSOR;
            rc = ei__value_from_ort(v, &in_decl, &inner, err);
            v = NULL; /* taken */
        }
        if (v != NULL)
            ei__ort->ReleaseValue(v);
        if (rc == EI_OK)
            rc = ei_value_optional_create(inner, decl->elem_kind, decl->dtype, out, err);
        if (rc != EI_OK)
            ei_value_destroy(inner);
        return rc;
    }
    ONNXType type = ONNX_TYPE_UNKNOWN;
    rc = ei__ort_check(ei__ort->GetValueType(v, &type), err);
    if (rc != EI_OK) {
        ei__ort->ReleaseValue(v);
        return rc;
    }
    switch (type) {
    case ONNX_TYPE_TENSOR:
        return tensor_value_from_ort(v, out, err);
    case ONNX_TYPE_MAP: {
        OrtValue *k = NULL, *x = NULL;
        ei_tensor_t *kt = NULL, *xt = NULL;
        rc = ort_get(v, 0, &k, err);
        if (rc == EI_OK)
            rc = ort_get(v, 1, &x, err);
        ei__ort->ReleaseValue(v);
        if (rc == EI_OK) {
            rc = ei__tensor_from_ort(k, &kt, err);
            if (rc == EI_OK)
                k = NULL;
        }
        if (rc == EI_OK) {
            rc = ei__tensor_from_ort(x, &xt, err);
            if (rc == EI_OK)
                x = NULL;
        }
        if (rc == EI_OK)
            rc = ei_value_map_create(kt, xt, out, err);
        if (rc != EI_OK) {
            ei_tensor_destroy(kt);
            ei_tensor_destroy(xt);
        }
        if (k != NULL)
            ei__ort->ReleaseValue(k);
        if (x != NULL)
            ei__ort->ReleaseValue(x);
        return rc;
    }
    case ONNX_TYPE_SEQUENCE: {
        size_t n = 0;
        ei_value_t *seq = NULL;
        ei_value_kind_t ek =
            decl != NULL && decl->kind == EI_VALUE_SEQUENCE ? decl->elem_kind : EI_VALUE_TENSOR;
        ei_dtype_t ed =
            decl != NULL && decl->kind == EI_VALUE_SEQUENCE ? decl->dtype : EI_DTYPE_UNDEFINED;
        rc = ei__ort_check(ei__ort->GetValueCount(v, &n), err);
        for (size_t i = 0; rc == EI_OK && i < n; i++) {
            OrtValue *e = NULL;
            ei_value_t *ev = NULL;
            rc = ort_get(v, (int)i, &e, err);
            if (rc == EI_OK)
                rc = ei__value_from_ort(e, NULL, &ev, err);
            if (rc == EI_OK && seq == NULL)
                rc = ei_value_sequence_create(
                    ev->kind, ed != EI_DTYPE_UNDEFINED ? ed : ev->elem_dtype, &seq, err);
            if (rc == EI_OK)
                rc = ei_value_sequence_append(seq, ev, err);
            if (rc != EI_OK) {
                ei_value_destroy(ev);
                ei__error_prefix(err, "sequence element %zu", i);
            }
        }
        if (rc == EI_OK && seq == NULL)
            rc = ei_value_sequence_create(ek, ed, &seq, err);
        ei__ort->ReleaseValue(v);
        if (rc != EI_OK) {
            ei_value_destroy(seq);
            return rc;
        }
        *out = seq;
        return EI_OK;
    }
    default:
        ei__ort->ReleaseValue(v);
        return ei__fail(err, EI_EUNSUPPORTED,
                        "the model returned a value of ONNX type %d, which "
                        "edgeinfer does not read",
                        (int)type);
    }
}
