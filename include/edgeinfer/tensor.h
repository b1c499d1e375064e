/* SPDX-License-Identifier: MIT */
/*
 * Tensors: a dense, row-major array of one element type with a shape.
 *
 * A tensor either owns its buffer (ei_tensor_create: zero-filled, 64-byte aligned) or borrows the
 * caller's (ei_tensor_wrap: no copy; the memory must outlive the tensor and is handed to ONNX
 * Runtime as is). Tensors returned by ei_session_run() own their data. STRING tensors always own
 * their strings. A tensor is used by one thread at a time; a tensor passed as an input may be read
 * by several concurrent runs as long as nobody writes to it.
 */
#ifndef EDGEINFER_TENSOR_H
#define EDGEINFER_TENSOR_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Element types. The numbers are ONNX's TensorProto.DataType (and ONNX Runtime's), so a value read
 * from a model or a .pb file converts by a cast.
 */
typedef enum ei_dtype {
    EI_DTYPE_UNDEFINED = 0,
    EI_DTYPE_FLOAT32 = 1,
    EI_DTYPE_UINT8 = 2,
    EI_DTYPE_INT8 = 3,
    EI_DTYPE_UINT16 = 4,
    EI_DTYPE_INT16 = 5,
    EI_DTYPE_INT32 = 6,
    EI_DTYPE_INT64 = 7,
    EI_DTYPE_STRING = 8,
    EI_DTYPE_BOOL = 9,
    EI_DTYPE_FLOAT16 = 10,
    EI_DTYPE_FLOAT64 = 11,
    EI_DTYPE_UINT32 = 12,
    EI_DTYPE_UINT64 = 13,
    EI_DTYPE_COMPLEX64 = 14,
    EI_DTYPE_COMPLEX128 = 15,
    EI_DTYPE_BFLOAT16 = 16,
    EI_DTYPE_FLOAT8E4M3FN = 17,
    EI_DTYPE_FLOAT8E4M3FNUZ = 18,
    EI_DTYPE_FLOAT8E5M2 = 19,
    EI_DTYPE_FLOAT8E5M2FNUZ = 20,
    EI_DTYPE_UINT4 = 21,
    EI_DTYPE_INT4 = 22,
    EI__DTYPE_COUNT
} ei_dtype_t;

/** Most dimensions a tensor may have. */
#define EI_MAX_RANK 16

/**
 * Short lowercase name: "float32", "uint8", "float16", "bfloat16", "bool", "string"...
 * "undefined" for an unknown value. Static storage.
 */
EI_API const char *ei_dtype_name(ei_dtype_t t);

/** Parses a name as ei_dtype_name() prints it (also "float", "double", "half"); UNDEFINED if
 * unknown. */
EI_API ei_dtype_t ei_dtype_parse(const char *name);

/**
 * Bytes per element; 0 for STRING, UNDEFINED and the 4-bit types (which pack two elements in a
 * byte, see ei_dtype_nbytes()).
 */
EI_API size_t ei_dtype_size(ei_dtype_t t);

/** Bytes needed for `count` elements of `t` (4-bit types round up); 0 for STRING. */
EI_API size_t ei_dtype_nbytes(ei_dtype_t t, size_t count);

/** Whether ONNX Runtime can hold this type in a tensor and edgeinfer can create it. */
EI_API bool ei_dtype_valid(ei_dtype_t t);

typedef struct ei_tensor ei_tensor_t;

/**
 * Creates a tensor that owns a zero-filled buffer (strings: empty strings). Every dim must be
 * >= 0; rank 0 is a scalar. On success `*out` is released with ei_tensor_destroy().
 */
EI_API EI_NODISCARD ei_code_t ei_tensor_create(ei_dtype_t dtype, const int64_t *shape, size_t rank,
                                               ei_tensor_t **out, ei_error_t *err);

/**
 * Creates a tensor over caller memory, without copying: `data` must hold at least
 * ei_dtype_nbytes(dtype, elements) bytes (checked against `nbytes`) and outlive the tensor.
 * STRING tensors cannot be wrapped.
 */
EI_API EI_NODISCARD ei_code_t ei_tensor_wrap(ei_dtype_t dtype, const int64_t *shape, size_t rank,
                                             void *data, size_t nbytes, ei_tensor_t **out,
                                             ei_error_t *err);

/** Releases a tensor (and its buffer if it owns one). NULL is a no-op. */
EI_API void ei_tensor_destroy(ei_tensor_t *t);

EI_API ei_dtype_t ei_tensor_dtype(const ei_tensor_t *t);
EI_API size_t ei_tensor_rank(const ei_tensor_t *t);
/** The dims (ei_tensor_rank() of them); valid as long as the tensor. */
EI_API const int64_t *ei_tensor_shape(const ei_tensor_t *t);
/** Number of elements (1 for a scalar). */
EI_API size_t ei_tensor_count(const ei_tensor_t *t);
/** Bytes of element data; 0 for STRING tensors. */
EI_API size_t ei_tensor_nbytes(const ei_tensor_t *t);
/** The element data (NULL for STRING tensors). Writable unless the tensor came from a const source.
 */
EI_API void *ei_tensor_data(const ei_tensor_t *t);
/** Whether the tensor owns its buffer (false for ei_tensor_wrap()). */
EI_API bool ei_tensor_owns_data(const ei_tensor_t *t);

/** Sets element `i` of a STRING tensor to a copy of `len` bytes at `s` (need not be
 * NUL-terminated). */
EI_API EI_NODISCARD ei_code_t ei_tensor_set_string(ei_tensor_t *t, size_t i, const char *s,
                                                   size_t len, ei_error_t *err);

/**
 * Element `i` of a STRING tensor, NUL-terminated (it may also hold NULs: use `*len`). Valid until
 * the element is set again or the tensor is destroyed. NULL when `t` is not STRING or `i` is out of
 * range.
 */
EI_API const char *ei_tensor_string(const ei_tensor_t *t, size_t i, size_t *len);

/** Writes "[1,3,224,224]" into `buf` (always terminated); returns `buf`. */
EI_API char *ei_shape_format(const int64_t *shape, size_t rank, char *buf, size_t size);

/* Half-precision conversions (round to nearest even; NaN and Inf preserved). */
EI_API float ei_f16_to_f32(uint16_t h);
EI_API uint16_t ei_f32_to_f16(float f);
EI_API float ei_bf16_to_f32(uint16_t h);
EI_API uint16_t ei_f32_to_bf16(float f);

/**
 * Reads element `i` of a numeric or BOOL tensor as a double (float8 and 4-bit types included).
 * Returns 0 for STRING tensors or an index out of range.
 */
EI_API double ei_tensor_get_f64(const ei_tensor_t *t, size_t i);

#ifdef __cplusplus
}
#endif
#endif
