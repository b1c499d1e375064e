/* SPDX-License-Identifier: MIT */
/*
 * ONNX TensorProto (.pb) files: the format of the ONNX backend test data and of model
 * initializers. Parsing goes through protobuf-c and the onnx.proto compiled at build time; this
 * file turns an Onnx__TensorProto into an ei_tensor_t (raw_data or any typed field) and back
 * (raw_data, or string_data for strings). SequenceProto, MapProto and OptionalProto are in
 * value_pb.c. External data and segmented tensors are refused with a message.
 */
#include "core_internal.h"
#include "pb_internal.h"

#include <edgeinfer/tensor_io.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Files larger than this are refused before reading (a TensorProto over 2 GiB is not valid). */
#define PB_MAX_FILE ((size_t)1 << 31)

/* protobuf-c allocates through our hooks, so ei_set_allocator() and OOM tests cover parsing too. */
static void *pb_alloc(void *unused, size_t size)
{
    (void)unused;
    return ei__malloc(size);
}

static void pb_free(void *unused, void *p)
{
    (void)unused;
    ei__free(p);
}

ProtobufCAllocator ei__pb_allocator = {pb_alloc, pb_free, NULL};
#define pb_allocator ei__pb_allocator

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Reverses every `width`-byte element in place (raw_data is little-endian on the wire). */
static void swap_elements(uint8_t *p, size_t nbytes, size_t width)
{
    if (width <= 1)
        return;
    for (size_t off = 0; off + width <= nbytes; off += width) {
        for (size_t i = 0; i < width / 2; i++) {
            uint8_t tmp = p[off + i];
            p[off + i] = p[off + width - 1 - i];
            p[off + width - 1 - i] = tmp;
        }
    }
}

/* Which typed field a data type stores its values in when raw_data is not used. */
typedef enum {
    FIELD_NONE,
    FIELD_FLOAT,
    FIELD_INT32,
    FIELD_INT64,
    FIELD_DOUBLE,
    FIELD_UINT64,
    FIELD_STRING
} pb_field_t;

static const char *const field_names[] = {"none",        "float_data",  "int32_data", "int64_data",
                                          "double_data", "uint64_data", "string_data"};

static pb_field_t typed_field_for(ei_dtype_t dt)
{
    switch (dt) {
    case EI_DTYPE_FLOAT32:
        return FIELD_FLOAT;
    case EI_DTYPE_INT32:
    case EI_DTYPE_INT16:
    case EI_DTYPE_INT8:
    case EI_DTYPE_UINT16:
    case EI_DTYPE_UINT8:
    case EI_DTYPE_BOOL:
    case EI_DTYPE_FLOAT16:
    case EI_DTYPE_BFLOAT16:
    case EI_DTYPE_FLOAT8E4M3FN:
    case EI_DTYPE_FLOAT8E4M3FNUZ:
    case EI_DTYPE_FLOAT8E5M2:
    case EI_DTYPE_FLOAT8E5M2FNUZ:
    case EI_DTYPE_UINT4:
    case EI_DTYPE_INT4:
        return FIELD_INT32;
    case EI_DTYPE_INT64:
        return FIELD_INT64;
    case EI_DTYPE_FLOAT64:
        return FIELD_DOUBLE;
    case EI_DTYPE_UINT32:
    case EI_DTYPE_UINT64:
        return FIELD_UINT64;
    case EI_DTYPE_STRING:
        return FIELD_STRING;
    default:
        return FIELD_NONE;
    }
}

/* The typed field that holds data in `tp` (first one found) and how many entries it has. */
static pb_field_t typed_field_present(const Onnx__TensorProto *tp, size_t *n, int *how_many)
{
    pb_field_t f = FIELD_NONE;
    *n = 0;
    *how_many = 0;
    const struct {
        pb_field_t field;
        size_t count;
    } all[] = {{FIELD_FLOAT, tp->n_float_data},   {FIELD_INT32, tp->n_int32_data},
               {FIELD_INT64, tp->n_int64_data},   {FIELD_DOUBLE, tp->n_double_data},
               {FIELD_UINT64, tp->n_uint64_data}, {FIELD_STRING, tp->n_string_data}};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (all[i].count > 0) {
            (*how_many)++;
            if (f == FIELD_NONE) {
                f = all[i].field;
                *n = all[i].count;
            }
        }
    }
    return f;
}

/* Copies the typed field into the tensor's buffer (the entry count was checked by the caller). */
static void copy_typed(const Onnx__TensorProto *tp, ei_dtype_t dt, ei_tensor_t *t)
{
    void *dst = ei_tensor_data(t);
    size_t n = ei_tensor_count(t);
    switch (dt) {
    case EI_DTYPE_FLOAT32:
        memcpy(dst, tp->float_data, n * sizeof(float));
        break;
    case EI_DTYPE_INT32:
        memcpy(dst, tp->int32_data, n * sizeof(int32_t));
        break;
    case EI_DTYPE_INT16:
    case EI_DTYPE_UINT16:
    case EI_DTYPE_FLOAT16:
    case EI_DTYPE_BFLOAT16:
        /* 16-bit types keep their value or bit pattern in the low half of each int32 entry. */
        for (size_t i = 0; i < n; i++)
            ((uint16_t *)dst)[i] = (uint16_t)((uint32_t)tp->int32_data[i] & 0xffffu);
        break;
    case EI_DTYPE_BOOL:
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)dst)[i] = tp->int32_data[i] != 0;
        break;
    case EI_DTYPE_UINT4:
    case EI_DTYPE_INT4:
        /* Each int32 entry holds one byte: two 4-bit elements, the first in the low nibble. */
        for (size_t i = 0; i < ei_dtype_nbytes(dt, n); i++)
            ((uint8_t *)dst)[i] = (uint8_t)((uint32_t)tp->int32_data[i] & 0xffu);
        break;
    case EI_DTYPE_INT8:
    case EI_DTYPE_UINT8:
    case EI_DTYPE_FLOAT8E4M3FN:
    case EI_DTYPE_FLOAT8E4M3FNUZ:
    case EI_DTYPE_FLOAT8E5M2:
    case EI_DTYPE_FLOAT8E5M2FNUZ:
        /* One value or float8 bit pattern per entry. */
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)dst)[i] = (uint8_t)((uint32_t)tp->int32_data[i] & 0xffu);
        break;
    case EI_DTYPE_INT64:
        memcpy(dst, tp->int64_data, n * sizeof(int64_t));
        break;
    case EI_DTYPE_FLOAT64:
        memcpy(dst, tp->double_data, n * sizeof(double));
        break;
    case EI_DTYPE_UINT32:
        for (size_t i = 0; i < n; i++)
            ((uint32_t *)dst)[i] = (uint32_t)tp->uint64_data[i];
        break;
    case EI_DTYPE_UINT64:
        memcpy(dst, tp->uint64_data, n * sizeof(uint64_t));
        break;
    default: /* STRING is copied by the caller; other types were refused earlier */
        break;
    }
}

ei_code_t ei__tensor_from_proto(const Onnx__TensorProto *tp, const char *what, ei_tensor_t **out,
                                ei_error_t *err)
{
    ei_tensor_t *t = NULL;
    ei_code_t rc = EI_OK;
    int64_t shape[EI_MAX_RANK];
    size_t count = 1;

    if (tp->segment != NULL) {
        rc = ei__fail(err, EI_EFORMAT,
                      "%s: segmented tensors (segment %lld..%lld) are not supported", what,
                      (long long)tp->segment->begin, (long long)tp->segment->end);
        goto out;
    }
    if (tp->n_external_data > 0 ||
        (tp->has_data_location &&
         tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)) {
        const char *loc = "?";
        for (size_t i = 0; i < tp->n_external_data; i++) {
            if (tp->external_data[i]->key != NULL &&
                strcmp(tp->external_data[i]->key, "location") == 0 &&
                tp->external_data[i]->value != NULL)
                loc = tp->external_data[i]->value;
        }
        rc =
            ei__fail(err, EI_EFORMAT,
                     "%s: tensor data is stored externally (location '%s'), which is not supported",
                     what, loc);
        goto out;
    }
    if (!tp->has_data_type || tp->data_type == EI_DTYPE_UNDEFINED) {
        rc = ei__fail(err, EI_EFORMAT, "%s: tensor has no data_type (not a TensorProto?)", what);
        goto out;
    }
    ei_dtype_t dt = (ei_dtype_t)tp->data_type;
    if (tp->data_type < 0 || tp->data_type >= EI__DTYPE_COUNT || !ei_dtype_valid(dt)) {
        rc = ei__fail(err, EI_EUNSUPPORTED, "%s: element type %d (%s) is not supported", what,
                      (int)tp->data_type, ei_dtype_name(dt));
        goto out;
    }
    if (tp->n_dims > EI_MAX_RANK) {
        rc = ei__fail(err, EI_EFORMAT, "%s: rank %zu exceeds the maximum of %d", what, tp->n_dims,
                      EI_MAX_RANK);
        goto out;
    }
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0) {
            rc = ei__fail(err, EI_EFORMAT, "%s: dim %zu is negative (%lld)", what, i,
                          (long long)tp->dims[i]);
            goto out;
        }
        shape[i] = tp->dims[i];
        if (ei__mul_overflow(count, (size_t)tp->dims[i], &count)) {
            rc = ei__fail(err, EI_EFORMAT, "%s: element count of the shape overflows", what);
            goto out;
        }
    }

    /* Check that the data present matches the shape before allocating anything for it. */
    size_t n_typed = 0;
    int n_fields = 0;
    pb_field_t present = typed_field_present(tp, &n_typed, &n_fields);
    /* An empty raw_data next to a typed field (or on a string tensor) is just an unset field. */
    bool raw =
        tp->has_raw_data && (tp->raw_data.len > 0 || (n_fields == 0 && dt != EI_DTYPE_STRING));
    pb_field_t want = typed_field_for(dt);
    char sbuf[128];
    ei_shape_format(shape, tp->n_dims, sbuf, sizeof(sbuf));
    if (n_fields > 1 || (raw && n_fields > 0)) {
        rc = ei__fail(err, EI_EFORMAT, "%s: tensor holds data in more than one field", what);
        goto out;
    }
    if (dt == EI_DTYPE_STRING) {
        if (raw) {
            rc = ei__fail(err, EI_EFORMAT, "%s: string tensor uses raw_data (expected string_data)",
                          what);
            goto out;
        }
    } else if (raw) {
        size_t need = ei_dtype_nbytes(dt, count);
        if (tp->raw_data.len != need) {
            rc = ei__fail(err, EI_EFORMAT,
                          "%s: raw_data holds %zu bytes, expected %zu for %s %s (%zu elements)",
                          what, tp->raw_data.len, need, ei_dtype_name(dt), sbuf, count);
            goto out;
        }
    }
    if (!raw) {
        if (present != FIELD_NONE && present != want) {
            rc = ei__fail(err, EI_EFORMAT, "%s: %s tensor stores its values in %s (expected %s)",
                          what, ei_dtype_name(dt), field_names[present], field_names[want]);
            goto out;
        }
        /* Two 4-bit elements share one int32_data entry. */
        size_t need =
            (dt == EI_DTYPE_UINT4 || dt == EI_DTYPE_INT4) ? ei_dtype_nbytes(dt, count) : count;
        if (n_typed != need) {
            rc = ei__fail(err, EI_EFORMAT, "%s: %s holds %zu values, expected %zu for %s %s", what,
                          field_names[want], n_typed, need, ei_dtype_name(dt), sbuf);
            goto out;
        }
    }

    rc = ei_tensor_create(dt, shape, tp->n_dims, &t, err);
    if (rc != EI_OK) {
        ei__error_prefix(err, "%s", what);
        goto out;
    }
    if (dt == EI_DTYPE_STRING) {
        for (size_t i = 0; i < count; i++) {
            rc = ei_tensor_set_string(t, i, (const char *)tp->string_data[i].data,
                                      tp->string_data[i].len, err);
            if (rc != EI_OK) {
                ei__error_prefix(err, "%s", what);
                goto out;
            }
        }
    } else if (raw) {
        if (tp->raw_data.len > 0)
            memcpy(ei_tensor_data(t), tp->raw_data.data, tp->raw_data.len);
        if (!host_is_little_endian())
            swap_elements(ei_tensor_data(t), tp->raw_data.len, ei_dtype_size(dt));
        if (dt == EI_DTYPE_BOOL) {
            uint8_t *b = ei_tensor_data(t);
            for (size_t i = 0; i < count; i++)
                b[i] = b[i] != 0;
        }
    } else if (count > 0) {
        copy_typed(tp, dt, t);
    }
out:
    if (rc != EI_OK) {
        ei_tensor_destroy(t);
        t = NULL;
    }
    *out = t;
    return rc;
}

ei_code_t ei_tensor_parse_pb(const void *data, size_t size, const char *what, ei_tensor_t **out,
                             char **name, ei_error_t *err)
{
    Onnx__TensorProto *tp = NULL;
    ei_tensor_t *t = NULL;
    char *nm = NULL;
    ei_code_t rc = EI_OK;

    *out = NULL;
    if (name != NULL)
        *name = NULL;
    if (what == NULL)
        what = "tensor";
    if (data == NULL && size > 0) {
        rc = ei__fail(err, EI_EINVAL, "%s: data is NULL", what);
        goto out;
    }
    tp = onnx__tensor_proto__unpack(&pb_allocator, size, data);
    if (tp == NULL) {
        rc = ei__fail(err, EI_EFORMAT,
                      "%s: not a valid TensorProto (%zu bytes could not be parsed as protobuf)",
                      what, size);
        goto out;
    }
    rc = ei__tensor_from_proto(tp, what, &t, err);
    if (rc != EI_OK)
        goto out;
    if (name != NULL) {
        nm = ei__strdup(tp->name != NULL ? tp->name : "");
        if (nm == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "%s: out of memory for the tensor name", what);
            goto out;
        }
    }
out:
    if (tp != NULL)
        onnx__tensor_proto__free_unpacked(tp, &pb_allocator);
    if (rc != EI_OK) {
        ei_tensor_destroy(t);
        ei__free(nm);
        return rc;
    }
    *out = t;
    if (name != NULL)
        *name = nm;
    return EI_OK;
}

ei_code_t ei_tensor_load_pb(const char *path, ei_tensor_t **out, char **name, ei_error_t *err)
{
    uint8_t *data = NULL;
    size_t size = 0;
    *out = NULL;
    if (name != NULL)
        *name = NULL;
    if (path == NULL)
        return ei__fail(err, EI_EINVAL, "path is NULL");
    ei_code_t rc = ei__file_read(path, PB_MAX_FILE, &data, &size, err);
    if (rc == EI_OK)
        rc = ei_tensor_parse_pb(data, size, path, out, name, err);
    ei__free(data);
    return rc;
}

ei_code_t ei__tensor_to_proto(const ei_tensor_t *t, Onnx__TensorProto *tp, void **scratch,
                              ei_error_t *err)
{
    *scratch = NULL;
    ei_dtype_t dt = ei_tensor_dtype(t);
    size_t count = ei_tensor_count(t);
    tp->n_dims = ei_tensor_rank(t);
    tp->dims = (int64_t *)(uintptr_t)ei_tensor_shape(t);
    tp->has_data_type = 1;
    tp->data_type = (int32_t)dt;
    if (dt == EI_DTYPE_STRING) {
        ProtobufCBinaryData *strs = ei__calloc(count ? count : 1, sizeof(*strs));
        if (strs == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory for %zu strings", count);
        for (size_t i = 0; i < count; i++) {
            size_t len = 0;
            const char *str = ei_tensor_string(t, i, &len);
            strs[i].data = (uint8_t *)(uintptr_t)str;
            strs[i].len = len;
        }
        tp->n_string_data = count;
        tp->string_data = strs;
        *scratch = strs;
        return EI_OK;
    }
    size_t nbytes = ei_tensor_nbytes(t);
    tp->has_raw_data = 1;
    tp->raw_data.len = nbytes;
    tp->raw_data.data = ei_tensor_data(t);
    if (!host_is_little_endian() && nbytes > 0) {
        uint8_t *raw = ei__malloc(nbytes);
        if (raw == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory for %zu bytes", nbytes);
        memcpy(raw, ei_tensor_data(t), nbytes);
        swap_elements(raw, nbytes, ei_dtype_size(dt));
        tp->raw_data.data = raw;
        *scratch = raw;
    }
    return EI_OK;
}

ei_code_t ei_tensor_save_pb(const ei_tensor_t *t, const char *name, const char *path,
                            ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    void *scratch = NULL;
    uint8_t *buf = NULL;

    if (t == NULL || path == NULL)
        return ei__fail(err, EI_EINVAL, "tensor or path is NULL");
    if (name != NULL && name[0] != '\0')
        tp.name = (char *)(uintptr_t)name;
    rc = ei__tensor_to_proto(t, &tp, &scratch, err);
    if (rc != EI_OK) {
        ei__error_prefix(err, "%s", path);
        goto out;
    }
    size_t size = onnx__tensor_proto__get_packed_size(&tp);
    buf = ei__malloc(size ? size : 1);
    if (buf == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory for %zu bytes", path, size);
        goto out;
    }
    if (onnx__tensor_proto__pack(&tp, buf) != size) {
        rc = ei__fail(err, EI_ERUNTIME, "%s: protobuf packing wrote an unexpected size", path);
        goto out;
    }
    const void *parts[] = {buf};
    rc = ei__file_write(path, parts, &size, 1, err);
out:
    ei__free(buf);
    ei__free(scratch);
    return rc;
}
