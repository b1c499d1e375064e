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
#include <onnxruntime_c_api.h>

/** The OrtApi table (never NULL once ei__env() succeeded). */
extern const OrtApi *ei__ort;

/** The process-wide environment, created with defaults on first use. NULL + err on failure. */
OrtEnv *ei__env(ei_error_t *err);

/** Whether the env was created with global thread pools. */
bool ei__env_global_threads(void);

/** The default CPU memory info (created with the env). */
const OrtMemoryInfo *ei__cpu_meminfo(void);

/**
 * Maps an OrtStatus (NULL = success) to an ei_code_t, copies ORT's message into `err` and
 * releases the status. Returns EI_OK for NULL.
 */
ei_code_t ei__ort_check(OrtStatus *st, ei_error_t *err);

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

#endif
