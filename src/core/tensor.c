/* SPDX-License-Identifier: MIT */
/*
 * Tensors: owned (aligned, zeroed) buffers, borrowed caller memory, and ORT-owned output values,
 * behind one opaque type; plus the bridge to and from OrtValue.
 */
#include "core_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len;
} ei_str_t;

struct ei_tensor {
    ei_dtype_t dtype;
    size_t rank;
    int64_t shape[EI_MAX_RANK];
    size_t count;
    size_t nbytes;
    void *data;
    bool owns;     /* data was allocated by us (ei__aligned_alloc) */
    OrtValue *ort; /* set when the tensor is an ORT-owned value (outputs) */
    ei_str_t *strs;
};

#define EI_TENSOR_ALIGN 64

static ei_code_t check_shape(ei_dtype_t dtype, const int64_t *shape, size_t rank, size_t *count,
                             ei_error_t *err)
{
    if (!ei_dtype_valid(dtype))
        return ei__fail(err, EI_EUNSUPPORTED, "element type %s (%d) is not supported",
                        ei_dtype_name(dtype), (int)dtype);
    if (rank > EI_MAX_RANK)
        return ei__fail(err, EI_EUNSUPPORTED, "rank %zu exceeds the maximum of %d", rank,
                        EI_MAX_RANK);
    if (rank > 0 && shape == NULL)
        return ei__fail(err, EI_EINVAL, "shape is NULL for rank %zu", rank);
    size_t n = 1;
    for (size_t i = 0; i < rank; i++) {
        if (shape[i] < 0)
            return ei__fail(err, EI_EINVAL, "dim %zu is negative (%lld)", i, (long long)shape[i]);
        if (ei__mul_overflow(n, (size_t)shape[i], &n))
            return ei__fail(err, EI_ELIMIT, "element count overflows");
    }
    if (ei_dtype_nbytes(dtype, n) == SIZE_MAX)
        return ei__fail(err, EI_ELIMIT, "tensor byte size overflows");
    *count = n;
    return EI_OK;
}

static ei_tensor_t *tensor_new(ei_dtype_t dtype, const int64_t *shape, size_t rank, size_t count)
{
    ei_tensor_t *t = ei__calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->dtype = dtype;
    t->rank = rank;
    if (rank > 0)
        memcpy(t->shape, shape, rank * sizeof(int64_t));
    t->count = count;
    t->nbytes = dtype == EI_DTYPE_STRING ? 0 : ei_dtype_nbytes(dtype, count);
    return t;
}

ei_code_t ei_tensor_create(ei_dtype_t dtype, const int64_t *shape, size_t rank, ei_tensor_t **out,
                           ei_error_t *err)
{
    size_t count;
    *out = NULL;
    ei_code_t rc = check_shape(dtype, shape, rank, &count, err);
    if (rc != EI_OK)
        return rc;
    ei_tensor_t *t = tensor_new(dtype, shape, rank, count);
    if (t == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for a tensor");
    if (dtype == EI_DTYPE_STRING) {
        t->strs = ei__calloc(count ? count : 1, sizeof(ei_str_t));
        if (t->strs == NULL)
            goto oom;
    } else {
        t->data = ei__aligned_alloc(EI_TENSOR_ALIGN, t->nbytes);
        if (t->data == NULL)
            goto oom;
        memset(t->data, 0, t->nbytes);
        t->owns = true;
    }
    *out = t;
    return EI_OK;
oom:
    ei_tensor_destroy(t);
    return ei__fail(err, EI_ENOMEM, "out of memory for a %s tensor of %zu elements",
                    ei_dtype_name(dtype), count);
}

ei_code_t ei_tensor_wrap(ei_dtype_t dtype, const int64_t *shape, size_t rank, void *data,
                         size_t nbytes, ei_tensor_t **out, ei_error_t *err)
{
    size_t count;
    *out = NULL;
    if (dtype == EI_DTYPE_STRING)
        return ei__fail(err, EI_EINVAL, "string tensors cannot wrap caller memory");
    ei_code_t rc = check_shape(dtype, shape, rank, &count, err);
    if (rc != EI_OK)
        return rc;
    size_t need = ei_dtype_nbytes(dtype, count);
    if (nbytes < need)
        return ei__fail(err, EI_EINVAL,
                        "buffer of %zu bytes is too small for %zu %s elements (%zu bytes)", nbytes,
                        count, ei_dtype_name(dtype), need);
    if (data == NULL && need > 0)
        return ei__fail(err, EI_EINVAL, "data is NULL");
    ei_tensor_t *t = tensor_new(dtype, shape, rank, count);
    if (t == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for a tensor");
    t->data = data;
    *out = t;
    return EI_OK;
}

void ei_tensor_destroy(ei_tensor_t *t)
{
    if (t == NULL)
        return;
    if (t->strs != NULL) {
        for (size_t i = 0; i < t->count; i++)
            ei__free(t->strs[i].p);
        ei__free(t->strs);
    }
    if (t->owns)
        ei__aligned_free(t->data);
    if (t->ort != NULL)
        ei__ort->ReleaseValue(t->ort);
    ei__free(t);
}

ei_dtype_t ei_tensor_dtype(const ei_tensor_t *t)
{
    return t->dtype;
}

size_t ei_tensor_rank(const ei_tensor_t *t)
{
    return t->rank;
}

const int64_t *ei_tensor_shape(const ei_tensor_t *t)
{
    return t->shape;
}

size_t ei_tensor_count(const ei_tensor_t *t)
{
    return t->count;
}

size_t ei_tensor_nbytes(const ei_tensor_t *t)
{
    return t->nbytes;
}

void *ei_tensor_data(const ei_tensor_t *t)
{
    return t->data;
}

bool ei_tensor_owns_data(const ei_tensor_t *t)
{
    return t->owns || t->ort != NULL;
}

ei_code_t ei_tensor_set_string(ei_tensor_t *t, size_t i, const char *s, size_t len, ei_error_t *err)
{
    if (t->dtype != EI_DTYPE_STRING)
        return ei__fail(err, EI_EINVAL, "tensor is %s, not string", ei_dtype_name(t->dtype));
    if (i >= t->count)
        return ei__fail(err, EI_EINVAL, "string index %zu out of range (%zu elements)", i,
                        t->count);
    char *copy = ei__strndup(len ? s : "", len);
    if (copy == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for a %zu-byte string", len);
    ei__free(t->strs[i].p);
    t->strs[i].p = copy;
    t->strs[i].len = len;
    return EI_OK;
}

const char *ei_tensor_string(const ei_tensor_t *t, size_t i, size_t *len)
{
    if (t->dtype != EI_DTYPE_STRING || i >= t->count)
        return NULL;
    if (len != NULL)
        *len = t->strs[i].len;
    return t->strs[i].p != NULL ? t->strs[i].p : "";
}

char *ei_shape_format(const int64_t *shape, size_t rank, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    int n = snprintf(buf, size, "[");
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < rank && used < size; i++) {
        n = snprintf(buf + used, size - used, i ? ",%lld" : "%lld", (long long)shape[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

double ei_tensor_get_f64(const ei_tensor_t *t, size_t i)
{
    if (t->dtype == EI_DTYPE_STRING || i >= t->count || t->data == NULL)
        return 0;
    return ei__dtype_read_f64(t->dtype, t->data, i);
}

ei_code_t ei__tensor_to_ort(const ei_tensor_t *t, OrtValue **out, bool *borrowed, ei_error_t *err)
{
    *out = NULL;
    *borrowed = false;
    if (t->ort != NULL) {
        *out = t->ort;
        *borrowed = true;
        return EI_OK;
    }
    OrtStatus *st;
    if (t->dtype == EI_DTYPE_STRING) {
        OrtAllocator *alloc = NULL;
        ei_code_t rc = ei__ort_check(ei__ort->GetAllocatorWithDefaultOptions(&alloc), err);
        if (rc != EI_OK)
            return rc;
        OrtValue *v = NULL;
        rc = ei__ort_check(ei__ort->CreateTensorAsOrtValue(
                               alloc, t->shape, t->rank, ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, &v),
                           err);
        if (rc != EI_OK)
            return rc;
        for (size_t i = 0; i < t->count; i++) {
            char *buf = NULL;
            rc = ei__ort_check(
                ei__ort->GetResizedStringTensorElementBuffer(v, i, t->strs[i].len, &buf), err);
            if (rc != EI_OK) {
                ei__ort->ReleaseValue(v);
                return rc;
            }
            if (t->strs[i].len > 0)
                memcpy(buf, t->strs[i].p, t->strs[i].len);
        }
        *out = v;
        return EI_OK;
    }
    /* ORT wants a non-NULL pointer even for empty tensors. */
    static uint64_t empty_dummy;
    void *data = t->data != NULL ? t->data : &empty_dummy;
    st = ei__ort->CreateTensorWithDataAsOrtValue(ei__cpu_meminfo(), data, t->nbytes, t->shape,
                                                 t->rank, (ONNXTensorElementDataType)t->dtype, out);
    return ei__ort_check(st, err);
}

ei_code_t ei__tensor_from_ort(OrtValue *v, ei_tensor_t **out, ei_error_t *err)
{
    *out = NULL;
    int is_tensor = 0;
    ei_code_t rc = ei__ort_check(ei__ort->IsTensor(v, &is_tensor), err);
    if (rc != EI_OK)
        return rc;
    if (!is_tensor) {
        ONNXType type = ONNX_TYPE_UNKNOWN;
        ei__ort_check(ei__ort->GetValueType(v, &type), NULL);
        return ei__fail(err, EI_EUNSUPPORTED, "output is a %s, not a tensor",
                        type == ONNX_TYPE_SEQUENCE   ? "sequence"
                        : type == ONNX_TYPE_MAP      ? "map"
                        : type == ONNX_TYPE_OPTIONAL ? "optional"
                                                     : "non-tensor value");
    }
    OrtTensorTypeAndShapeInfo *info = NULL;
    rc = ei__ort_check(ei__ort->GetTensorTypeAndShape(v, &info), err);
    if (rc != EI_OK)
        return rc;
    ONNXTensorElementDataType et = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    size_t rank = 0;
    int64_t shape[EI_MAX_RANK];
    rc = ei__ort_check(ei__ort->GetTensorElementType(info, &et), err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->GetDimensionsCount(info, &rank), err);
    if (rc == EI_OK && rank > EI_MAX_RANK)
        rc = ei__fail(err, EI_EUNSUPPORTED, "output rank %zu exceeds %d", rank, EI_MAX_RANK);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->GetDimensions(info, shape, rank), err);
    ei__ort->ReleaseTensorTypeAndShapeInfo(info);
    if (rc != EI_OK)
        return rc;
    ei_dtype_t dtype = (ei_dtype_t)et;
    size_t count;
    rc = check_shape(dtype, shape, rank, &count, err);
    if (rc != EI_OK)
        return rc;
    ei_tensor_t *t = tensor_new(dtype, shape, rank, count);
    if (t == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory for a tensor");
    if (dtype == EI_DTYPE_STRING) {
        /* Copy the strings out so the tensor behaves like any other string tensor. */
        t->strs = ei__calloc(count ? count : 1, sizeof(ei_str_t));
        if (t->strs == NULL) {
            ei_tensor_destroy(t);
            return ei__fail(err, EI_ENOMEM, "out of memory for string outputs");
        }
        for (size_t i = 0; i < count; i++) {
            size_t len = 0;
            rc = ei__ort_check(ei__ort->GetStringTensorElementLength(v, i, &len), err);
            if (rc != EI_OK)
                break;
            t->strs[i].p = ei__malloc(len + 1);
            if (t->strs[i].p == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "out of memory for string outputs");
                break;
            }
            rc = ei__ort_check(ei__ort->GetStringTensorElement(v, len, i, t->strs[i].p), err);
            if (rc != EI_OK)
                break;
            t->strs[i].p[len] = '\0';
            t->strs[i].len = len;
        }
        if (rc != EI_OK) {
            ei_tensor_destroy(t);
            return rc;
        }
        ei__ort->ReleaseValue(v);
    } else {
        void *data = NULL;
        if (count > 0) {
            rc = ei__ort_check(ei__ort->GetTensorMutableData(v, &data), err);
            if (rc != EI_OK) {
                ei_tensor_destroy(t);
                return rc;
            }
        }
        t->data = data;
        t->ort = v;
    }
    *out = t;
    return EI_OK;
}
