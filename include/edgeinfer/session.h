/* SPDX-License-Identifier: MIT */
/*
 * Sessions: a loaded ONNX model ready to run.
 *
 * A session is created once and then run from any number of threads at once (ONNX Runtime's Run
 * is thread-safe); configuration happens only at creation. Inputs are checked before ONNX Runtime
 * sees them: names, element types, ranks and fixed dims, with a message that names the input, what
 * was expected and what was given.
 */
#ifndef EDGEINFER_SESSION_H
#define EDGEINFER_SESSION_H

#include "model_crypto.h"
#include "status.h"
#include "tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ei_graph_opt {
    EI_GRAPH_OPT_ALL = 0, /**< the default */
    EI_GRAPH_OPT_DISABLE,
    EI_GRAPH_OPT_BASIC,
    EI_GRAPH_OPT_EXTENDED
} ei_graph_opt_t;

/** One execution provider request, in priority order. */
typedef struct ei_provider_opts {
    /** Short name ("cpu", "cuda", "tensorrt", "openvino", "coreml", "rocm", "dml", "xnnpack"...).
     */
    const char *name;
    /** A missing provider is an error instead of a warning and a fallback. */
    bool required;
    /** Provider options as key/value pairs (for example "device_id" = "0"). */
    const char *const *keys;
    const char *const *values;
    size_t n_options;
} ei_provider_opts_t;

/** A free (symbolic) dimension fixed to a value, by name ("batch" = 1). */
typedef struct ei_dim_override {
    const char *name;
    int64_t value;
} ei_dim_override_t;

/**
 * Session options. Initialise with ei_session_opts_init(); new fields only ever go at the end.
 * Strings and arrays are copied by ei_session_create() and need not outlive the call.
 */
typedef struct ei_session_opts {
    int intra_op_threads;             /**< 0: ONNX Runtime's default (one per core) */
    int inter_op_threads;             /**< 0: default */
    bool parallel_execution;          /**< ORT_PARALLEL instead of ORT_SEQUENTIAL */
    ei_graph_opt_t graph_opt;         /**< graph optimisation level */
    const char *optimized_model_path; /**< write the optimised model here (NULL: don't) */
    const char *profile_prefix; /**< enable profiling; the JSON trace file name starts with this */
    bool disable_mem_arena;     /**< turn off the CPU memory arena */
    bool disable_mem_pattern;   /**< turn off memory-pattern planning */
    bool use_global_threads;    /**< use the runtime's global pools (see ei_global_opts_t) */
    const ei_dim_override_t *dim_overrides;
    size_t n_dim_overrides;
    /** Providers in priority order; CPU is always appended as the last resort. */
    const ei_provider_opts_t *providers;
    size_t n_providers;
    /** Log lines from this session carry this id (NULL: the file name). */
    const char *log_id;
    /**
     * Trusted signing keys (ei_session_create() only): the model must carry a valid signature
     * "<model>.sig" from one of them, checked on the very bytes that are loaded. NULL: no check.
     * Not copied: must outlive the call.
     */
    const ei_keyring_t *verify_keys;
    /**
     * Key of an encrypted model (ei_session_create() only; see model_crypto.h): the file is
     * decrypted into locked memory, loaded from there and wiped. NULL: an encrypted model is an
     * error that says so. Not copied: must outlive the call.
     */
    const ei_model_key_t *model_key;
    /**
     * Custom-op libraries to load before the model, in order: shared objects exporting ONNX
     * Runtime's `RegisterCustomOps` entry point (the custom-op C API). A missing file is EI_ENOENT,
     * a library that cannot be loaded or registered EI_EMODEL, both naming the library.
     */
    const char *const *custom_op_libraries;
    size_t n_custom_op_libraries;
} ei_session_opts_t;

/** Fills `opts` with defaults. */
EI_API void ei_session_opts_init(ei_session_opts_t *opts);

/** The element kind of a model input or output. */
typedef enum ei_value_kind {
    EI_VALUE_TENSOR = 0,
    EI_VALUE_SEQUENCE,
    EI_VALUE_MAP,
    EI_VALUE_OPTIONAL,
    EI_VALUE_SPARSE_TENSOR,
    EI_VALUE_OTHER
} ei_value_kind_t;

/** Describes one model input or output. Valid as long as the session. */
typedef struct ei_value_info {
    const char *name;
    ei_value_kind_t kind;
    ei_dtype_t
        dtype;       /**< element type (for sequences/optionals: of the tensors inside, if known) */
    size_t rank;     /**< for tensors; 0 also for scalars */
    bool rank_known; /**< false when the model gives no shape at all */
    const int64_t *shape;         /**< -1 for a free dim */
    const char *const *dim_names; /**< "" when the dim has no symbolic name */
    /**
     * For sequences and optionals: the kind of what they hold (EI_VALUE_TENSOR, EI_VALUE_SEQUENCE
     * for an optional sequence, EI_VALUE_MAP for a sequence of maps); for maps: EI_VALUE_TENSOR
     * (the values); for tensors: EI_VALUE_TENSOR.
     */
    ei_value_kind_t elem_kind;
    /** For maps: the key type (INT64 or STRING); `dtype` is then the value type. */
    ei_dtype_t key_dtype;
} ei_value_info_t;

/** Model metadata. Valid as long as the session. Strings are "" when absent. */
typedef struct ei_model_meta {
    const char *producer_name;
    const char *graph_name;
    const char *graph_description;
    const char *domain;
    const char *description;
    int64_t version;
    size_t n_custom;
    const char *const *custom_keys;
    const char *const *custom_values;
} ei_model_meta_t;

typedef struct ei_session ei_session_t;

/**
 * Loads an ONNX model from a file. `opts` may be NULL for defaults. On success `*out` owns a
 * session released with ei_session_destroy(); on failure `*out` is NULL and `err` says why (a
 * missing file is EI_ENOENT, a file that is not a valid model EI_EMODEL). With
 * `opts->verify_keys` or an encrypted file, the model is read with ei_model_read() and loaded
 * from memory (external data files are then looked up next to the model).
 */
EI_API EI_NODISCARD ei_code_t ei_session_create(const char *model_path,
                                                const ei_session_opts_t *opts, ei_session_t **out,
                                                ei_error_t *err);

/** Like ei_session_create() from `size` bytes of model in memory (copied as needed by ORT). */
EI_API EI_NODISCARD ei_code_t ei_session_create_from_memory(const void *data, size_t size,
                                                            const ei_session_opts_t *opts,
                                                            ei_session_t **out, ei_error_t *err);

/**
 * Releases a session. If profiling was on, the trace file is finished first. No run may be in
 * progress. NULL is a no-op.
 */
EI_API void ei_session_destroy(ei_session_t *s);

EI_API size_t ei_session_input_count(const ei_session_t *s);
EI_API size_t ei_session_output_count(const ei_session_t *s);
/** Input/output `i` (NULL when out of range). */
EI_API const ei_value_info_t *ei_session_input(const ei_session_t *s, size_t i);
EI_API const ei_value_info_t *ei_session_output(const ei_session_t *s, size_t i);
/** Index of the input/output called `name`, or -1. */
EI_API int ei_session_input_index(const ei_session_t *s, const char *name);
EI_API int ei_session_output_index(const ei_session_t *s, const char *name);
EI_API const ei_model_meta_t *ei_session_metadata(const ei_session_t *s);
/** Short names of the providers the session ended up with, in priority order ("cpu" last). */
EI_API size_t ei_session_providers(const ei_session_t *s, const char **names, size_t cap);

/**
 * Runs the model.
 *
 * `inputs[i]` is fed to the input called `input_names[i]` (n_inputs of them; every model input
 * must be given). `output_names` selects outputs (NULL: all, in model order, and n_outputs must be
 * ei_session_output_count()). On success `outputs[i]` is a new tensor the caller destroys; on
 * failure every `outputs[i]` is NULL. Thread-safe: many threads may run one session at once.
 * A kernel that rejects the inputs' shapes (the model cannot run them) is EI_EINVAL; running out of
 * memory EI_ENOMEM; other failures inside ONNX Runtime EI_ERUNTIME.
 */
EI_API EI_NODISCARD ei_code_t ei_session_run(ei_session_t *s, const char *const *input_names,
                                             ei_tensor_t *const *inputs, size_t n_inputs,
                                             const char *const *output_names, ei_tensor_t **outputs,
                                             size_t n_outputs, ei_error_t *err);

/**
 * Ends every run in progress on `s` as soon as ONNX Runtime checks (between nodes) and makes every
 * later run fail at once, with EI_ECANCELED. For shutting down: the session cannot run again.
 * Thread-safe; NULL is a no-op.
 */
EI_API void ei_session_terminate(ei_session_t *s);

/**
 * Checks inputs as ei_session_run() would, without running: names, types, ranks, fixed dims, and
 * that every model input is given.
 */
EI_API EI_NODISCARD ei_code_t ei_session_check_inputs(const ei_session_t *s,
                                                      const char *const *input_names,
                                                      ei_tensor_t *const *inputs, size_t n_inputs,
                                                      ei_error_t *err);

/**
 * Ends profiling and writes the trace; `*path` (may be NULL) receives the file name, valid as long
 * as the session. EI_EINVAL if profiling was not on.
 */
EI_API EI_NODISCARD ei_code_t ei_session_profile_end(ei_session_t *s, const char **path,
                                                     ei_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
