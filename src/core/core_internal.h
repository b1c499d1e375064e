/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of the core layer: access to the one OrtApi/OrtEnv, OrtStatus mapping, and
 * the tensor <-> OrtValue bridge. Only src/core and the layers above it include this; OrtStatus
 * never leaves src/core/ort_status.c.
 */
#ifndef EI_CORE_INTERNAL_H
#define EI_CORE_INTERNAL_H

#include "ei_util.h"

#include <edgeinfer/runtime.h>
#include <edgeinfer/session.h>
#include <edgeinfer/tensor.h>
#include <edgeinfer/value.h>
#include <onnxruntime_c_api.h>

/** The OrtApi table (never NULL once ei__env() succeeded). */
extern const OrtApi *ei__ort;

/** The process-wide environment, created with defaults on first use. NULL + err on failure. */
OrtEnv *ei__env(ei_error_t *err);
/** The run-memory arena's limit (ei_global_opts_t.run_memory_limit); 0 when none. */
size_t ei__env_run_memory_limit(void);
/** Counts a run the arena refused (ei_run_memory_stats) and has the next run shrink the arena. */
void ei__env_run_memory_refused(void);
/** True once after a refusal: this run should give the arena's free regions back. */
bool ei__env_run_memory_take_shrink(void);
/** Lets a session that uses the run-memory arena lend a handle for its statistics. */
void ei__env_run_memory_watch(OrtSession *sess);

/** Whether the env was created with global thread pools. */
bool ei__env_global_threads(void);

/** The default CPU memory info (created with the env). */
const OrtMemoryInfo *ei__cpu_meminfo(void);

/**
 * Maps an OrtStatus (NULL = success) to an ei_code_t, copies ORT's message into `err` and
 * releases the status. Returns EI_OK for NULL.
 */
ei_code_t ei__ort_check(OrtStatus *st, ei_error_t *err);

/** Rewrites an ONNX Runtime message in place in our words (see ort_status.c); log lines use it. */
void ei__ort_words(char *msg);

/** ORT's long provider name for a short one ("cuda" -> "CUDAExecutionProvider"), or NULL. */
const char *ei__provider_long_name(const char *short_name);
/** The short name for ORT's long name ("CUDAExecutionProvider" -> "cuda"); unknown ones lowercase.
 */
const char *ei__provider_short_name(const char *long_name);

/** Element `i` of `data` (of type `t`) as a double. */
double ei__dtype_read_f64(ei_dtype_t t, const void *data, size_t i);

/** Builds an OrtValue for the tensor (no copy for numeric tensors). Release with ReleaseValue. */
ei_code_t ei__tensor_to_ort(const ei_tensor_t *t, OrtValue **out, bool *borrowed, ei_error_t *err);
/** Wraps an ORT-owned tensor value (takes ownership of `v` on success). */
ei_code_t ei__tensor_from_ort(OrtValue *v, ei_tensor_t **out, ei_error_t *err);

/**
 * Builds an OrtValue for a value of any kind; `*borrowed` when it is the tensor's own value. `decl`
 * (may be NULL) supplies the element type of an empty sequence that lacks one.
 */
ei_code_t ei__value_to_ort(const ei_value_t *v, const ei_value_info_t *decl, OrtValue **out,
                           bool *borrowed, ei_error_t *err);
/** An empty sequence of `dtype` tensors (value_empty.c: the C API cannot create one). */
ei_code_t ei__ort_empty_sequence(ei_dtype_t dtype, OrtValue **out, ei_error_t *err);
/**
 * Turns an ORT output into a value, guided by its declaration (`decl` may be NULL): an output
 * declared optional becomes an optional value. Takes ownership of `v` whatever happens.
 */
ei_code_t ei__value_from_ort(OrtValue *v, const ei_value_info_t *decl, ei_value_t **out,
                             ei_error_t *err);

#endif
