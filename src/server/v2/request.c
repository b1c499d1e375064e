/* SPDX-License-Identifier: MIT */
/*
 * The request object's own functions (see v2_request.h): v2 datatype names, disposal, and tensors
 * from the bytes of the binary tensor form, which every wire format shares (HTTP binary extension,
 * gRPC raw_input_contents, shared memory).
 */
#include "ei_util.h"
#include "v2_request.h"

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
    ei__free(r->seq_id_str);
    ei__free(r->id);
    if (r->doc)
        json_decref(r->doc);
    if (r->wire && r->wire_free)
        r->wire_free(r->wire);
    memset(r, 0, sizeof *r);
}

/* Binary data -> tensor ----------------------------------------------------------------------- */

ei_code_t ei__v2_tensor_from_bytes(const char *name, const char *size_name, ei_dtype_t t,
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
