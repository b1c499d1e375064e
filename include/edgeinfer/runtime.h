/* SPDX-License-Identifier: MIT */
/*
 * The process-wide runtime: one ONNX Runtime environment shared by every session.
 *
 * ei_global_init() creates it (log level, optional global thread pools). It is optional: the first
 * ei_session_create() initialises the runtime with defaults if nobody did. ei_global_init() and
 * ei_global_cleanup() are the only calls that are not thread-safe; make them from main().
 */
#ifndef EDGEINFER_RUNTIME_H
#define EDGEINFER_RUNTIME_H

#include "log.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ei_global_opts {
    /** Threshold for ONNX Runtime's own log lines routed to the edgeinfer log sink. */
    ei_log_level_t ort_log_level;
    /**
     * Create process-wide intra/inter-op thread pools that sessions with
     * ei_session_opts_t.use_global_threads share, so several models on a small device do not each
     * spawn a pool per core.
     */
    bool global_thread_pools;
    int global_intra_threads; /**< 0: one per core */
    int global_inter_threads; /**< 0: ONNX Runtime's default */
    /**
     * A bound on the memory ONNX Runtime holds for tensors while sessions run (activations,
     * outputs and scratch buffers of every CPU session together; not model weights), in bytes;
     * 0: none. It becomes one CPU arena shared by every session, with this as its limit: a run
     * that would need more fails with EI_ENOMEM instead of growing the process. The arena keeps
     * what it has grown to (up to the limit) for later runs.
     */
    size_t run_memory_limit;
} ei_global_opts_t;

/** Fills `opts` with defaults: ORT warnings and up, no global pools. */
EI_API void ei_global_opts_init(ei_global_opts_t *opts);

/**
 * Creates the runtime. `opts` may be NULL for defaults. Calling it again after success returns
 * EI_OK and changes nothing (EI_EBUSY if the options differ in the thread-pool settings).
 */
EI_API EI_NODISCARD ei_code_t ei_global_init(const ei_global_opts_t *opts, ei_error_t *err);

/**
 * Releases the runtime. Every session must be destroyed first. After it, ei_global_init() may be
 * called again.
 */
EI_API void ei_global_cleanup(void);

/** How the shared run-memory arena (ei_global_opts_t.run_memory_limit) stands, in bytes. */
typedef struct ei_run_memory_stats {
    size_t limit;      /**< the limit; 0 when there is none (the other fields are then 0) */
    size_t reserved;   /**< what the arena holds from the system */
    size_t in_use;     /**< what tensors use of it now */
    size_t max_in_use; /**< the most they ever used at once */
    uint64_t failures; /**< runs refused for want of memory under the limit */
} ei_run_memory_stats_t;

/** Fills `out`; all zero when the runtime has no run-memory limit. */
EI_API void ei_run_memory_stats(ei_run_memory_stats_t *out);

/** ONNX Runtime's version string, for example "1.29.0". */
EI_API const char *ei_ort_version(void);

/**
 * The execution providers this ONNX Runtime build has, as short lowercase names ("cpu", "cuda",
 * "tensorrt", "openvino", "coreml", "rocm", "dml", "xnnpack", "qnn"...). Writes up to `cap` names
 * (static storage, valid until ei_global_cleanup()) and returns the total count. Initialises the
 * runtime with defaults if needed; returns 0 if that fails.
 */
EI_API size_t ei_providers_available(const char **names, size_t cap);

/** Whether `name` (short or ONNX Runtime's "CUDAExecutionProvider" form) is available. */
EI_API bool ei_provider_available(const char *name);

#ifdef __cplusplus
}
#endif
#endif
