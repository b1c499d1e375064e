/* SPDX-License-Identifier: MIT */
/*
 * Tensor files: NumPy .npy and ONNX TensorProto .pb (the format of the ONNX backend test data).
 *
 * Loading checks everything against the file size before allocating (a header that promises more
 * data than the file holds is EI_EFORMAT, never a crash), and error messages name the file.
 */
#ifndef EDGEINFER_TENSOR_IO_H
#define EDGEINFER_TENSOR_IO_H

#include "status.h"
#include "tensor.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Loads a .npy file (format versions 1.0, 2.0 and 3.0; little- or big-endian; C or Fortran order,
 * Fortran order is transposed into row-major; dtypes b1 i1 i2 i4 i8 u1 u2 u4 u8 f2 f4 f8, and
 * fixed-width byte/unicode strings S/U as STRING tensors). On success `*out` is an owning tensor.
 */
EI_API EI_NODISCARD ei_code_t ei_tensor_load_npy(const char *path, ei_tensor_t **out,
                                                 ei_error_t *err);

/** Like ei_tensor_load_npy() from `size` bytes in memory; `what` names the source in errors. */
EI_API EI_NODISCARD ei_code_t ei_tensor_parse_npy(const void *data, size_t size, const char *what,
                                                  ei_tensor_t **out, ei_error_t *err);

/**
 * Saves a tensor as .npy (version 1.0, little-endian, C order). STRING tensors are written as
 * fixed-width unicode ('<U<n>') when every string is valid UTF-8, else as fixed-width bytes
 * ('|S<n>'); bfloat16, float8 and 4-bit types, which NumPy lacks, are refused with
 * EI_EUNSUPPORTED.
 */
EI_API EI_NODISCARD ei_code_t ei_tensor_save_npy(const ei_tensor_t *t, const char *path,
                                                 ei_error_t *err);

/**
 * Loads a serialized ONNX TensorProto (.pb): raw_data or the typed fields (float_data, int32_data,
 * int64_data, double_data, uint64_data, string_data), every element type. `*name`, when not NULL,
 * receives a copy of the tensor's name (free with ei_free(); "" when absent). Tensors with external
 * data, segments, or a field size that does not match the shape are EI_EFORMAT.
 */
EI_API EI_NODISCARD ei_code_t ei_tensor_load_pb(const char *path, ei_tensor_t **out, char **name,
                                                ei_error_t *err);

/** Like ei_tensor_load_pb() from memory; `what` names the source in errors. */
EI_API EI_NODISCARD ei_code_t ei_tensor_parse_pb(const void *data, size_t size, const char *what,
                                                 ei_tensor_t **out, char **name, ei_error_t *err);

/** Saves a tensor as a TensorProto .pb with raw_data (strings in string_data). */
EI_API EI_NODISCARD ei_code_t ei_tensor_save_pb(const ei_tensor_t *t, const char *name,
                                                const char *path, ei_error_t *err);

/** Frees memory the library handed to the caller (such as a name from ei_tensor_load_pb()). */
EI_API void ei_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
