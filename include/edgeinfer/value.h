/* SPDX-License-Identifier: MIT */
/*
 * Values: everything an ONNX model input or output can be. A value is a tensor, a sequence (of
 * tensors, or of maps), a map (scalar keys to scalar values, as ONNX Runtime supports them: int64
 * or string keys; float, double, int64 or string values), or an optional (holding a tensor or a
 * sequence, or nothing: None). A sequence holds tensors or maps, an optional a tensor or a
 * sequence: the kinds ONNX Runtime can hold.
 *
 * Ownership: a value owns everything inside it, and ei_value_destroy() releases it all. The
 * constructors take ownership of the tensors and values handed to them ONLY on success; on failure
 * the caller still owns (and must release) them. Accessors return borrowed pointers that stay
 * valid as long as the value that returned them. A value is used by one thread at a time; a value
 * passed as an input may be read by several concurrent runs as long as nobody changes it.
 */
#ifndef EDGEINFER_VALUE_H
#define EDGEINFER_VALUE_H

#include "session.h"
#include "status.h"
#include "tensor.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ei_value ei_value_t;

/** Wraps a tensor; on success the value owns `t`. */
EI_API EI_NODISCARD ei_code_t ei_value_from_tensor(ei_tensor_t *t, ei_value_t **out,
                                                   ei_error_t *err);

/**
 * Creates an empty sequence. `elem_kind` is what it holds (EI_VALUE_TENSOR or EI_VALUE_MAP);
 * for tensors, `elem_dtype` is their element type (every element must have it). Add elements with
 * ei_value_sequence_append().
 */
EI_API EI_NODISCARD ei_code_t ei_value_sequence_create(ei_value_kind_t elem_kind,
                                                       ei_dtype_t elem_dtype, ei_value_t **out,
                                                       ei_error_t *err);

/**
 * Appends `elem` to sequence `seq`; on success `seq` owns it. `elem` must be of the sequence's
 * element kind (and element type); a tensor of another type is EI_EINVAL.
 */
EI_API EI_NODISCARD ei_code_t ei_value_sequence_append(ei_value_t *seq, ei_value_t *elem,
                                                       ei_error_t *err);

/**
 * Creates a map from two 1-D tensors of the same length: `keys` (INT64 or STRING, no duplicates)
 * and `values` (FLOAT32, FLOAT64, INT64 or STRING); entry i maps keys[i] to values[i]. On success
 * the map owns both tensors.
 */
EI_API EI_NODISCARD ei_code_t ei_value_map_create(ei_tensor_t *keys, ei_tensor_t *values,
                                                  ei_value_t **out, ei_error_t *err);

/**
 * Creates an optional holding `inner` (a tensor or a sequence; the optional owns it on success),
 * or None when `inner` is NULL. A None optional remembers what it would hold (`none_kind`,
 * `none_dtype`; ignored when `inner` is given) so that it can be written to a file.
 *
 * ONNX Runtime's C API has no way to build a None value, so a None optional cannot be fed as an
 * input (ei_session_run_values() says so with EI_EUNSUPPORTED); it can be received as an output.
 */
EI_API EI_NODISCARD ei_code_t ei_value_optional_create(ei_value_t *inner, ei_value_kind_t none_kind,
                                                       ei_dtype_t none_dtype, ei_value_t **out,
                                                       ei_error_t *err);

/** Releases a value and everything it owns. NULL is a no-op. */
EI_API void ei_value_destroy(ei_value_t *v);

/** EI_VALUE_TENSOR, EI_VALUE_SEQUENCE, EI_VALUE_MAP or EI_VALUE_OPTIONAL. */
EI_API ei_value_kind_t ei_value_kind(const ei_value_t *v);

/** The tensor of a tensor value (borrowed), NULL for other kinds. */
EI_API ei_tensor_t *ei_value_tensor(const ei_value_t *v);

/**
 * Elements of a sequence, entries of a map, 0 or 1 for an optional (0: None), 1 for a tensor.
 */
EI_API size_t ei_value_count(const ei_value_t *v);

/**
 * Element `i` of a sequence, or the content of an optional (`i` == 0); borrowed. NULL when out of
 * range, for a None optional, and for tensors and maps.
 */
EI_API const ei_value_t *ei_value_element(const ei_value_t *v, size_t i);

/**
 * What a sequence or optional holds (for a None optional: what it would hold), and for tensors
 * inside, their element type (UNDEFINED when not known). For a map: EI_VALUE_TENSOR and the
 * values' element type. For a tensor: EI_VALUE_TENSOR and its element type.
 */
EI_API ei_value_kind_t ei_value_elem_kind(const ei_value_t *v);
EI_API ei_dtype_t ei_value_elem_dtype(const ei_value_t *v);

/** The keys / values tensors of a map (1-D, same length; borrowed), NULL for other kinds. */
EI_API const ei_tensor_t *ei_value_map_keys(const ei_value_t *v);
EI_API const ei_tensor_t *ei_value_map_values(const ei_value_t *v);

/** "tensor", "sequence", "map", "optional", "sparse tensor", "value". Static storage. */
EI_API const char *ei_value_kind_name(ei_value_kind_t k);

/**
 * Runs the model on values of any kind (see ei_session_run(), which this generalises: same
 * names, checks and thread-safety). Inputs are checked against the model's declaration: the kind
 * (an optional input also takes a plain tensor or sequence of the kind it holds), the element
 * type of tensors inside sequences and optionals, and the full tensor checks for tensor inputs.
 * On success `outputs[i]` is a new value the caller destroys with ei_value_destroy(); an output the
 * model declares optional always comes back as an optional value (None when the model produced
 * nothing). On failure every `outputs[i]` is NULL.
 */
EI_API EI_NODISCARD ei_code_t ei_session_run_values(ei_session_t *s, const char *const *input_names,
                                                    ei_value_t *const *inputs, size_t n_inputs,
                                                    const char *const *output_names,
                                                    ei_value_t **outputs, size_t n_outputs,
                                                    ei_error_t *err);

/**
 * Loads a serialized ONNX value: a TensorProto (`kind` EI_VALUE_TENSOR), SequenceProto,
 * MapProto or OptionalProto (the file does not say which it is; the model's input or output
 * declaration does). Nested values (a sequence of maps, an optional sequence) are read as
 * ei_value_sequence_append() and friends would build them. `*name`, when not NULL, receives a copy
 * of the stored name (free with ei_free(); "" when absent). Everything malformed is EI_EFORMAT with
 * the file named.
 */
EI_API EI_NODISCARD ei_code_t ei_value_load_pb(const char *path, ei_value_kind_t kind,
                                               ei_value_t **out, char **name, ei_error_t *err);

/** Like ei_value_load_pb() from memory; `what` names the source in errors. */
EI_API EI_NODISCARD ei_code_t ei_value_parse_pb(const void *data, size_t size, const char *what,
                                                ei_value_kind_t kind, ei_value_t **out, char **name,
                                                ei_error_t *err);

/**
 * Saves a value as the matching proto (TensorProto, SequenceProto, MapProto, OptionalProto), so
 * that ei_value_load_pb() with the same kind (and ONNX's own onnx.load_tensor / numpy_helper
 * readers) get it back.
 */
EI_API EI_NODISCARD ei_code_t ei_value_save_pb(const ei_value_t *v, const char *name,
                                               const char *path, ei_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
