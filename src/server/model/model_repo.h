/* SPDX-License-Identifier: MIT */
/*
 * The model side of the server: the model repository (Triton layout), the loaded model versions
 * (refcounted), the per-model scheduler (dynamic batcher, instances, queue bound, timeouts) and the
 * per-version statistics. The wire side (HTTP, KServe v2 JSON/binary, metrics) codes against this
 * header only; it never sees ONNX Runtime or the repository's locks.
 *
 * Thread-safety: every function here may be called from any thread, concurrently, except
 * ei__repo_create()/ei__repo_destroy(). An ei__model_t stays valid (session, config, names) as
 * long as the caller holds the reference it got from ei__repo_acquire().
 */
#ifndef EI_SERVER_MODEL_REPO_H
#define EI_SERVER_MODEL_REPO_H

#include "model_config.h"
#include "pipeline.h"

#include <edgeinfer/session.h>
#include <edgeinfer/status.h>
#include <edgeinfer/tensor.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The model repository and every loaded model. */
typedef struct ei__repo ei__repo_t;
/** ONE loaded version of one model; refcounted. */
typedef struct ei__model ei__model_t;
/** One inference request (below). */
typedef struct ei__infer_req ei__infer_req_t;

/** Model control mode, as Triton's --model-control-mode. */
typedef enum { EI__CONTROL_NONE, EI__CONTROL_POLL, EI__CONTROL_EXPLICIT } ei__control_mode_t;

/** Repository options. New fields only ever go at the end; zero-initialise unknown ones. */
typedef struct ei__repo_opts {
    const char *path; /**< repository directory */
    ei__control_mode_t mode;
    int poll_secs;                  /**< POLL mode interval (<= 0: 15) */
    const char *const *load_models; /**< EXPLICIT mode start-up list ("*" = all) */
    size_t n_load_models;
    int default_max_batch_size; /**< auto-complete default (Triton: 4); 0 = 4, < 0 = no batching */
    /** Sessions use the runtime's global thread pools (the caller did ei_global_init with them). */
    bool use_global_threads;
    /** Trusted signing keys: a version with a signature file is checked (NULL: none). */
    const ei_keyring_t *trusted_keys;
    /** With trusted_keys: a version without a signature is refused too. */
    bool require_signed;
    /** Key for encrypted versions (model.onnx.enc); NULL: they are UNAVAILABLE, saying why. */
    const ei_model_key_t *model_key;
    /**
     * Runs a request on a pipeline model (pipeline.h), with ei__model_submit()'s contract; the
     * server's runner (v2/) sets it. NULL: pipeline models load and list, but refuse requests.
     */
    ei_code_t (*pipeline_submit)(void *ctx, ei__repo_t *r, ei__model_t *m, ei__infer_req_t *req,
                                 ei_error_t *err);
    void *pipeline_ctx; /**< its first argument */
} ei__repo_opts_t;

/* Statistics --------------------------------------------------------------------------------- */

/** Histogram bucket upper bounds in microseconds; one more bucket (+Inf) follows the last. */
#define EI__STATS_BUCKETS_US                                                                       \
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,         \
        2500000, 5000000
/** Number of finite bucket bounds (the +Inf bucket is index EI__STATS_NBUCKETS). */
#define EI__STATS_NBUCKETS 15
/** Batch sizes 1..EI__STATS_MAX_BATCH have their own execution counters (larger ones count in the
 * last). */
#define EI__STATS_MAX_BATCH 64

/** Non-cumulative histogram: bucket[i] counts durations <= bound[i] and > bound[i-1]. */
typedef struct ei__histogram {
    _Atomic uint64_t bucket[EI__STATS_NBUCKETS + 1];
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t count;
} ei__histogram_t;

/** The bucket bounds (EI__STATS_NBUCKETS of them), in microseconds. */
extern const uint64_t ei__stats_bucket_us[EI__STATS_NBUCKETS];

/** Per-version statistics (Triton's /stats shape). All counters are atomics, read relaxed. */
typedef struct ei__model_stats {
    _Atomic uint64_t success_count, success_ns; /**< request end-to-end (received -> done) */
    _Atomic uint64_t fail_count, fail_ns;
    _Atomic uint64_t queue_count, queue_ns;
    _Atomic uint64_t compute_input_count, compute_input_ns;
    _Atomic uint64_t compute_infer_count, compute_infer_ns;
    _Atomic uint64_t compute_output_count, compute_output_ns;
    _Atomic uint64_t inference_count;   /**< requests x batch items */
    _Atomic uint64_t execution_count;   /**< session runs */
    _Atomic uint64_t last_inference_ms; /**< unix ms of the last finished request */
    _Atomic uint64_t pending;           /**< requests queued now (gauge) */
    /** batch_stats: index b-1 counts runs of batch size b (the last one: >= EI__STATS_MAX_BATCH).
     */
    _Atomic uint64_t batch_count[EI__STATS_MAX_BATCH];
    _Atomic uint64_t batch_input_ns[EI__STATS_MAX_BATCH];
    _Atomic uint64_t batch_infer_ns[EI__STATS_MAX_BATCH];
    _Atomic uint64_t batch_output_ns[EI__STATS_MAX_BATCH];
    ei__histogram_t request_hist, queue_hist, compute_hist; /**< compute = input + infer + output */
} ei__model_stats_t;

/** Adds one duration to a histogram. */
void ei__histogram_add(ei__histogram_t *h, uint64_t ns);

/* Repository --------------------------------------------------------------------------------- */

/**
 * Scans the repository and loads the start-up models (in parallel where possible). A model that
 * fails is UNAVAILABLE with its reason, the others are served. Fails only when the repository
 * itself cannot be read.
 */
ei_code_t ei__repo_create(const ei__repo_opts_t *o, ei__repo_t **out, ei_error_t *err);
/** Stops polling, drains queues (every accepted request gets done()), frees everything. NULL ok. */
void ei__repo_destroy(ei__repo_t *r);
/**
 * Whether start-up loading is over and the repository is not shutting down. Models that failed
 * are UNAVAILABLE (see ei__repo_index()); they do not make the repository unready.
 */
bool ei__repo_ready(const ei__repo_t *r);

/**
 * Lookup. version -1 = the newest READY version allowed by the policy. EI_ENOTFOUND: unknown model
 * or version (HTTP 404); EI_EBUSY: known but not ready (503), which for a pipeline model includes
 * a stage model that is not ready now (the message names it). The caller releases.
 */
ei_code_t ei__repo_acquire(ei__repo_t *r, const char *name, int64_t version, ei__model_t **out,
                           ei_error_t *err);
/** Drops a reference; the last release of an unloaded/replaced version frees its session. */
void ei__model_release(ei__model_t *m);
/** Takes one more reference (for a caller that hands the model to another thread). */
void ei__model_retain(ei__model_t *m);
const char *ei__model_name(const ei__model_t *m);
int64_t ei__model_version(const ei__model_t *m);
/** The complete (auto-completed) config; see model_config.h. Valid while the model is held. */
const struct ei__model_config *ei__model_config(const ei__model_t *m);
/** The session; NULL for a pipeline model. */
ei_session_t *ei__model_session(const ei__model_t *m);
/** A pipeline model's description (pipeline.h); NULL for an ordinary model. */
const ei__pipeline_t *ei__model_pipeline(const ei__model_t *m);
/**
 * Records a finished request in the model's statistics (what the batcher does for an ordinary
 * model; a pipeline runner calls it for the pipeline's own requests before done()).
 */
void ei__model_record(ei__model_t *m, const ei__infer_req_t *req);
ei__model_stats_t *ei__model_stats(ei__model_t *m);

/** One row of the repository index. Strings are valid during the callback only. */
typedef struct {
    const char *name;
    int64_t version;    /**< -1 when the model has no usable version at all */
    const char *state;  /**< "READY" | "UNAVAILABLE" | "LOADING" | "UNLOADING" */
    const char *reason; /**< "" when none */
} ei__repo_entry_t;

/**
 * Repository index: every model/version with state and reason (ready_only: READY ones only). The
 * callback runs under the repository lock: it must not call back into the repository.
 */
ei_code_t ei__repo_index(ei__repo_t *r, bool ready_only,
                         void (*fn)(const ei__repo_entry_t *e, void *user), void *user,
                         ei_error_t *err);
/**
 * Versions of one model (for /v2/models/{m} "versions"), same callback rules as ei__repo_index().
 * EI_ENOTFOUND for an unknown model.
 */
ei_code_t ei__repo_versions(ei__repo_t *r, const char *name,
                            void (*fn)(const ei__repo_entry_t *e, void *user), void *user,
                            ei_error_t *err);
/**
 * Synchronous (re)load of `name` from disk; a failed reload keeps the old version serving and
 * returns the error. EI_EUNSUPPORTED unless the mode is EXPLICIT (Triton refuses load/unload in
 * NONE and POLL modes). EI_ENOTFOUND when the repository has no such model directory.
 */
ei_code_t ei__repo_load(ei__repo_t *r, const char *name, ei_error_t *err);
/** One file of a load request's overrides: `path` is "<version>/<name>", `data` its bytes. */
typedef struct ei__repo_file {
    const char *path;
    const unsigned char *data;
    size_t len;
} ei__repo_file_t;

/**
 * ei__repo_load() with Triton's load overrides: `config_json` (non-NULL) is the model's config as
 * ModelConfig JSON, used instead of config.pbtxt; `files` (which need `config_json`) replace the
 * model's directory: they are written into a private directory the model is loaded from. Later
 * reloads keep using the overrides until a plain load or an unload; a load that fails leaves the
 * previous overrides (and whatever was serving) in place. Config errors are EI_EFORMAT/EI_EMODEL,
 * bad file paths EI_EINVAL.
 */
ei_code_t ei__repo_load_with(ei__repo_t *r, const char *name, const char *config_json,
                             const ei__repo_file_t *files, size_t n_files, ei_error_t *err);
/**
 * Unloads every version of `name`: new requests fail at once, requests in flight finish on the
 * version they hold, and the last release frees it. EI_EUNSUPPORTED unless the mode is EXPLICIT.
 */
ei_code_t ei__repo_unload(ei__repo_t *r, const char *name, ei_error_t *err);
/** Names the repository keeps an entry for (models seen on disk, even if gone since). */
size_t ei__repo_entry_count(ei__repo_t *r);
/** Calls fn for every loaded version (for metrics/stats); the model is held during the call. */
void ei__repo_foreach(ei__repo_t *r, void (*fn)(ei__model_t *m, void *user), void *user);

/**
 * How many loaded versions are alive in the process (held by a repository or by requests still
 * running on them): a replaced or unloaded version leaves this count when its last user releases
 * it, which is when its session and memory are freed.
 */
long ei__model_live_count(void);

/* Inference ---------------------------------------------------------------------------------- */

/** One inference request. Zero-initialise it, then set the caller's fields. */
struct ei__infer_req {
    /* Set by the caller (W), owned by the caller: */
    size_t n_inputs;
    const char *const *input_names;
    ei_tensor_t *const *inputs; /**< with max_batch_size > 0 the first dim is the batch */
    size_t n_outputs;           /**< 0 = all outputs in model order */
    const char *const *output_names;
    uint64_t timeout_us;  /**< 0 = the model's default queue policy */
    uint64_t received_ns; /**< ei__now_ns() when the request arrived */
    /** ei__now_ns() after which the client has given up (a gRPC deadline), 0 = none: the request is
     * dropped from the queue then (EI_ETIMEDOUT), whatever the model's queue policy says. */
    uint64_t client_deadline_ns;
    /** Set (ei__infer_cancel()) when the client went away: dropped from the queue (EI_ECANCELED),
     * never run. */
    _Atomic bool cancelled;
    void (*done)(
        ei__infer_req_t *req); /**< exactly once, from a worker thread, after the fields below */
    void *user;
    /* Sequence batcher (models with sequence_batching; ignored by the others), as Triton's request
     * parameters sequence_id / sequence_start / sequence_end: */
    uint64_t seq_id;        /**< the correlation ID; 0 = none (unless seq_id_str is set) */
    const char *seq_id_str; /**< a string correlation ID instead, or NULL; borrowed */
    bool seq_start;         /**< the request starts its sequence */
    bool seq_end;           /**< the request ends its sequence */
    /* Set by the model side before done(): */
    ei_code_t
        code; /**< EI_OK, EI_EINVAL (400), EI_EBUSY (503 queue full), EI_ETIMEDOUT, EI_ERUNTIME */
    ei_error_t err;
    size_t n_results;
    ei_tensor_t *
        *results; /**< owned by the request after done(): destroy each, ei__free the array */
    const char *const *result_names; /**< valid while the caller holds the model */
    uint64_t queue_ns, compute_input_ns, compute_infer_ns, compute_output_ns;
    /* Internal to the scheduler; do not touch. */
    ei__infer_req_t *next_;
    uint64_t deadline_ns_;
    int64_t batch_;
    struct ei__seq *seq_;   /* its sequence (sequence batcher) */
    ei_tensor_t **seq_in_;  /* control tensors, then state tensors (borrowed from the sequence) */
    ei_tensor_t **seq_out_; /* state outputs of this request, until stored in the sequence */
};

/**
 * Validates the request against the config (names, dtypes, shapes, batch <= max_batch_size)
 * synchronously: returns an error code WITHOUT calling done() if invalid or the queue is full
 * (EI_EBUSY); returns EI_OK when accepted (done() will follow). The caller must hold its
 * ei__model_t reference until done() ran.
 */
ei_code_t ei__model_submit(ei__model_t *m, ei__infer_req_t *req, ei_error_t *err);

/**
 * Marks a submitted request cancelled: if it is still queued it is dropped at the scheduler's next
 * look at the queue and done() reports EI_ECANCELED; if it already runs, it finishes normally.
 * Callable from any thread until done() ran.
 */
void ei__infer_cancel(ei__infer_req_t *req);

#endif
