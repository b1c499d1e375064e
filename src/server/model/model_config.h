/* SPDX-License-Identifier: MIT */
/*
 * A model's configuration in Triton's ModelConfig shape: parsed from config.pbtxt (the subset
 * people write), completed from the ONNX model as Triton's ORT backend does, validated against
 * it, and rendered as Triton's ModelConfig JSON for GET /v2/models/{m}/config. Also the TYPE_* <->
 * ei_dtype_t mapping. Not the repository scan or the scheduler (repo.c, batcher.c).
 *
 * A config is immutable once its model is loaded; it may then be read from any thread.
 */
#ifndef EI_SERVER_MODEL_CONFIG_H
#define EI_SERVER_MODEL_CONFIG_H

#include <edgeinfer/classify.h>
#include <edgeinfer/session.h>
#include <edgeinfer/status.h>
#include <edgeinfer/tensor.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One input or output. `dims` exclude the batch dim when max_batch_size > 0; -1 = variable. */
typedef struct ei__config_io {
    char *name;
    ei_dtype_t dtype;
    int64_t dims[EI_MAX_RANK];
    size_t n_dims;
    bool has_reshape;
    int64_t reshape[EI_MAX_RANK];
    size_t n_reshape;
    char *label_filename; /**< NULL when none */
    ei_labels_t *labels;  /**< loaded from label_filename (ei_labels_load()), or NULL */
    bool optional;
    int format; /**< inputs: 0 FORMAT_NONE, 1 FORMAT_NHWC, 2 FORMAT_NCHW (kept as written) */
} ei__config_io_t;

/** A key/value pair (parameters, accelerator parameters). */
typedef struct ei__config_kv {
    char *key;
    char *value;
} ei__config_kv_t;

/** One execution accelerator (optimization.execution_accelerators). */
typedef struct ei__config_accel {
    char *name;
    bool gpu;    /**< gpu_execution_accelerator (else cpu_execution_accelerator) */
    char **keys; /**< parameters, as parallel arrays (the shape ei_provider_opts_t wants) */
    char **values;
    size_t n_params;
} ei__config_accel_t;

/** What a sequence-batcher control input carries (ModelSequenceBatching.Control.Kind). */
typedef enum {
    EI__CTRL_START = 0, /**< CONTROL_SEQUENCE_START: the request starts its sequence */
    EI__CTRL_END,       /**< CONTROL_SEQUENCE_END: the request ends its sequence */
    EI__CTRL_READY,     /**< CONTROL_SEQUENCE_READY: the batch slot holds a request */
    EI__CTRL_CORRID     /**< CONTROL_SEQUENCE_CORRID: the correlation ID */
} ei__ctrl_kind_t;

/** One control input: a model input the server fills for each request of a sequence. */
typedef struct ei__seq_control {
    char *name; /**< the model input */
    ei__ctrl_kind_t kind;
    ei_dtype_t dtype;   /**< BOOL/INT32/FP32 for flags; the CORRID's data_type */
    double false_value; /**< flags: *_false_true[0] */
    double true_value;  /**< flags: *_false_true[1] */
} ei__seq_control_t;

/** One implicit state: output `output_name` of one request is input `input_name` of the next. */
typedef struct ei__seq_state {
    char *input_name;
    char *output_name;
    ei_dtype_t dtype;
    int64_t dims[EI_MAX_RANK]; /**< without the batch dim; -1 = variable (1 in the first request) */
    size_t n_dims;
    bool has_initial; /**< initial_state given (zero_data or data_file) */
    int64_t initial_dims[EI_MAX_RANK];
    size_t n_initial_dims;
    char *initial_name; /**< initial_state.name */
    char *initial_file; /**< initial_state.data_file (in <model>/initial_state/), or NULL */
    unsigned char *initial_data; /**< its bytes once loaded, or NULL (zeros) */
    size_t initial_len;
} ei__seq_state_t;

/** sequence_batching (ModelSequenceBatching). */
typedef struct ei__seq_config {
    bool enabled;
    bool oldest;                 /**< the oldest strategy (else direct) */
    uint64_t max_idle_us;        /**< max_sequence_idle_microseconds; 0 = Triton's 1 s */
    int64_t max_candidates;      /**< oldest.max_candidate_sequences; 0 = max(1, max_batch_size) */
    uint64_t max_queue_delay_us; /**< direct/oldest max_queue_delay_microseconds */
    int64_t *preferred;          /**< oldest.preferred_batch_size */
    size_t n_preferred;
    ei__seq_control_t *controls;
    size_t n_controls;
    ei__seq_state_t *states;
    size_t n_states;
} ei__seq_config_t;

typedef enum { EI__VPOLICY_LATEST = 0, EI__VPOLICY_ALL, EI__VPOLICY_SPECIFIC } ei__vpolicy_t;
typedef enum { EI__KIND_AUTO = 0, EI__KIND_CPU, EI__KIND_GPU, EI__KIND_MODEL } ei__instance_kind_t;

/** The whole config. All strings are owned by the config. */
typedef struct ei__model_config {
    char *name;
    char *platform; /**< "onnxruntime_onnx" after completion */
    char *backend;  /**< "onnxruntime" after completion */
    int64_t max_batch_size;
    ei__config_io_t *inputs;
    size_t n_inputs;
    ei__config_io_t *outputs;
    size_t n_outputs;

    bool dynamic_batching;
    int64_t *preferred_batch_sizes;
    size_t n_preferred;
    uint64_t max_queue_delay_us;
    bool preserve_ordering;
    uint64_t max_queue_size; /**< default_queue_policy; 0 = unbounded (an internal cap applies) */
    uint64_t default_timeout_us; /**< 0 = none */
    bool timeout_action_delay;   /**< DELAY instead of REJECT */
    bool allow_timeout_override;

    int instance_count; /**< 0 until completed (then >= 1) */
    ei__instance_kind_t instance_kind;

    ei__vpolicy_t version_policy;
    int64_t num_versions; /**< LATEST */
    int64_t *versions;    /**< SPECIFIC */
    size_t n_versions;

    ei__config_accel_t *accels;
    size_t n_accels;
    bool has_graph_level;
    int64_t graph_level; /**< -1 basic, 0 default (all), 1 extended, 2+ all */

    ei__config_kv_t *params;
    size_t n_params;
    char *default_model_filename; /**< NULL: model.onnx */
    /** model_operations { op_library_filename: ... }: custom-op libraries, as written. */
    char **op_libraries;
    size_t n_op_libraries;

    ei__seq_config_t seq; /**< sequence_batching; seq.enabled when the config has it */

    /* Which fields the file set (so auto-complete fills only the rest). */
    bool has_max_batch_size;
    bool has_inputs, has_outputs;
} ei__model_config_t;

/**
 * Parses config.pbtxt text. `path` names the file in messages (file:line:column for syntax errors,
 * file:line warnings through EI_LOG for unknown fields). `*out` is destroyed with
 * ei__model_config_destroy().
 */
ei_code_t ei__model_config_parse(const char *text, size_t len, const char *path,
                                 ei__model_config_t **out, ei_error_t *err);

/** Reads `<model_dir>/config.pbtxt` if it exists (an empty config otherwise); name defaults to
 * `name`. */
ei_code_t ei__model_config_load(const char *model_dir, const char *name, ei__model_config_t **out,
                                ei_error_t *err);

/**
 * As ei__model_config_load(), with two options: `json` (non-NULL) is Triton's ModelConfig as JSON
 * (a load request's `config` parameter), used instead of config.pbtxt; `quiet` parses without the
 * warnings about unknown or unsupported fields (for a second read of a config already reported).
 */
ei_code_t ei__model_config_load_from(const char *model_dir, const char *name, const char *json,
                                     bool quiet, ei__model_config_t **out, ei_error_t *err);

/**
 * Completes the config from the session as Triton does (inputs/outputs, dtypes, dims,
 * max_batch_size = default_max_batch when every input and output has a free first dim, dynamic
 * batching when max_batch_size > 1 and no scheduler was given, one instance) and validates it
 * (unknown names, dtype and rank mismatches -> EI_EMODEL with a message).
 */
ei_code_t ei__model_config_complete(ei__model_config_t *c, const ei_session_t *s,
                                    int default_max_batch, ei_error_t *err);

/** Loads label files (relative to `model_dir`) for outputs that name one. */
ei_code_t ei__model_config_load_labels(ei__model_config_t *c, const char *model_dir,
                                       ei_error_t *err);

/** Session options from the config (threads, execution mode, graph level, accelerators). The
 * arrays in `opts` point into `c` and into `storage` (caller-provided, at least c->n_accels + 1).
 */
void ei__model_config_session_opts(const ei__model_config_t *c, ei_session_opts_t *opts,
                                   ei_provider_opts_t *storage, size_t storage_cap);

/** Frees a config. NULL is a no-op. */
void ei__model_config_destroy(ei__model_config_t *c);

/** Triton's ModelConfig JSON (new reference; NULL on OOM). */
json_t *ei__model_config_json(const struct ei__model_config *c);

/** The value of config parameter `key` (parameters { key: .. value: { string_value: .. } }), or
 * NULL. */
const char *ei__model_config_param(const struct ei__model_config *c, const char *key);

/** Whether `name` is a sequence control or state input (a model input the server fills). */
bool ei__model_config_is_seq_input(const ei__model_config_t *c, const char *name);
/** Whether output `name` is only an implicit-state output (not in the config's outputs). */
bool ei__model_config_is_state_output(const ei__model_config_t *c, const char *name);

/** The input/output called `name`, or NULL. */
const ei__config_io_t *ei__model_config_input(const ei__model_config_t *c, const char *name);
const ei__config_io_t *ei__model_config_output(const ei__model_config_t *c, const char *name);

/** "TYPE_FP32" etc. for a dtype ("TYPE_INVALID" when it has none). */
const char *ei__config_type_name(ei_dtype_t t);
/**
 * The name a client wrote for a dtype, for messages: KServe v2's "FP32", "INT64", "BYTES"...
 * (edgeinfer's lowercase name for a type v2 lacks). Static storage.
 */
const char *ei__wire_type_name(ei_dtype_t t);
/** The dtype of a "TYPE_*" name; EI_DTYPE_UNDEFINED when unknown. */
ei_dtype_t ei__config_type_parse(const char *name);

#endif
