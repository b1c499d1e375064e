/* SPDX-License-Identifier: MIT */
/*
 * The protocol-neutral KServe v2 core: what every front-end (HTTP/REST in ../http, gRPC) drives.
 * It holds the one model repository, the client shared-memory regions and the drain gate shared by
 * every protocol, and runs an inference from a parsed request object (v2_request.h) to the result
 * tensors: acquire the model, check the requested outputs, submit to the model's scheduler, hand
 * the results back on the worker thread. A front-end only translates its wire format into an
 * ei__v2_request_t and the results (ei__v2_reply_prepare()) back into its wire format.
 *
 * Nothing here knows HTTP or gRPC; the front-ends are registered by the server (../server.c).
 */
#ifndef EI_SERVER_V2_CORE_H
#define EI_SERVER_V2_CORE_H

#include "auth.h"
#include "ei_util.h"
#include "model_repo.h"
#include "shm.h"
#include "tls.h"
#include "v2_request.h"

#include <edgeinfer/server.h>
#include <edgeinfer/task.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct ei__sbuf;

/** The state every front-end shares. Owned by the server object. */
typedef struct ei__v2_core {
    const ei_server_opts_t *o; /**< the server's options (limits, logging) */
    ei__repo_t *repo;          /**< NULL once torn down */
    /* Readers: requests using `repo`; writer: ei__v2_core_teardown(). */
    pthread_rwlock_t repo_lock;
    ei__shm_t *shm; /**< client shared-memory regions; NULL unless allow_client_shm */
    /* The drain gate: requests past it are counted until their front-end completes them. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t inflight;
    bool stopping;
    _Atomic bool loading; /**< the start-up models are loading (repo is NULL until done) */
    _Atomic uint64_t next_req_id;
    uint64_t start_ns;
    /**
     * Security every front-end applies (set by the server, owned by it): API keys checked with
     * ei__auth_check() (auth.h; NULL: no keys, everything open) and the TLS credentials
     * (tls.h; NULL: plain). Both reload themselves on ei_server_reload_credentials().
     */
    ei__auth_t *auth;
    ei__tls_t *tls;
    /** The image workers and the task heads' shared pipelines (task_call.h; image_pool.c). */
    struct ei__img_pool *images;
    ei_task_cache_t *task_cache;
    /**
     * Another front-end's families for /metrics (set by the server: the gRPC front-end's per-call
     * counters; NULL: none): appends Prometheus text (prom.h) to `b`. Any thread.
     */
    void (*metrics_extra)(void *user, struct ei__sbuf *b);
    void *metrics_extra_user;
} ei__v2_core_t;

/** Initialises the locks and counters (the repository and shm are set by the server). */
void ei__v2_core_init(ei__v2_core_t *c, const ei_server_opts_t *o);
/** Frees the shared-memory table and the locks (after every request has finished). */
void ei__v2_core_dispose(ei__v2_core_t *c);
/** A new request id (1, 2, ...), shared by every protocol so log lines never repeat one. */
uint64_t ei__v2_next_id(ei__v2_core_t *c);

/* The drain gate ------------------------------------------------------------------------------ */

/**
 * Counts a request in; false when the server is stopping (the front-end refuses it), unless
 * `always` (requests that must still be answered while draining, e.g. metrics scrapes).
 */
bool ei__v2_enter(ei__v2_core_t *c, bool always);
/** Counts a request out (exactly once per successful ei__v2_enter()). */
void ei__v2_leave(ei__v2_core_t *c);
/** Closes the gate; returns how many requests are in flight. */
uint64_t ei__v2_begin_stop(ei__v2_core_t *c);
/** Waits until no request is in flight or `secs` passed; true when drained. */
bool ei__v2_wait_drained(ei__v2_core_t *c, unsigned secs);
/** Requests in flight now (for metrics). */
uint64_t ei__v2_inflight(ei__v2_core_t *c);
/**
 * Tears the repository down: drains its queues (every accepted request gets done(), with EI_EBUSY
 * when it never ran) and frees it. Requests arriving afterwards get EI_EBUSY "shutting down".
 */
void ei__v2_core_teardown(ei__v2_core_t *c);

/* The repository ----------------------------------------------------------------------------- */

/** Holds the repository for reading; NULL (with EI_EBUSY in err) while it is being torn down. */
ei__repo_t *ei__v2_repo_hold(ei__v2_core_t *c, ei_error_t *err);
void ei__v2_repo_drop(ei__v2_core_t *c);
/** Server readiness: the repository exists and start-up loading is over. */
bool ei__v2_server_ready(ei__v2_core_t *c);
/** Loads or unloads a model (EXPLICIT mode) and logs the outcome under request `req_id`. */
ei_code_t ei__v2_load(ei__v2_core_t *c, ei__repo_t *repo, const char *name, bool load,
                      uint64_t req_id, ei_error_t *err);
/**
 * Loads a model with Triton's load overrides (see ei__repo_load_with(): `config_json` or NULL,
 * `files` with their bytes already decoded). A failure's message starts with Triton's "failed to
 * load '<name>': ", which clients match on; ei__v2_load_status() says how to report it.
 */
ei_code_t ei__v2_load_with(ei__v2_core_t *c, ei__repo_t *repo, const char *name,
                           const char *config_json, const ei__repo_file_t *files, size_t n_files,
                           uint64_t req_id, ei_error_t *err);
/**
 * The HTTP status of a failed load, as Triton reports one: 400 for what is wrong with the
 * request, the model or its config; 404 for a model the repository does not have; 500 for the
 * server's own faults; the code's usual status for a load the control mode refuses.
 */
unsigned ei__v2_load_status(ei_code_t code);
/** The v2 extensions this server speaks (Triton's names), NULL-terminated. */
const char *const *ei__v2_extensions(const ei__v2_core_t *c);

/**
 * Counts a request that reached a model but failed before the scheduler accepted it (bad input,
 * queue full), so nv_inference_request_failure and the statistics' "fail" include it as Triton's
 * do.
 */
void ei__v2_count_failure(ei__model_t *m, uint64_t start_ns);

/* Inference ---------------------------------------------------------------------------------- */

typedef struct ei__v2_call ei__v2_call_t;
/**
 * One inference through the core. ei__v2_call_begin() acquires the model (its config is then
 * available to parse the request against), the front-end fills `rq`, ei__v2_call_submit() checks
 * and queues it, and `done` runs once on a worker thread with the results in `req`. Whoever ends
 * up with the call frees it with ei__v2_call_free().
 */
struct ei__v2_call {
    ei__v2_core_t *core;
    ei__model_t *model; /**< held until the call is freed */
    ei__v2_request_t rq;
    ei__infer_req_t req; /**< req.code / req.results / timings once done() runs */
    const char **onames;
    uint64_t received_ns;
    /** Set by the front-end before submitting: runs once, on a worker thread. */
    void (*done)(ei__v2_call_t *call);
    void *user;
    /** Free for the front-end's own list of its calls in flight (gRPC: a call's inferences). */
    ei__v2_call_t *fe_prev, *fe_next;
};

/**
 * A new call for model `name` at `version` (-1: newest ready). EI_ENOTFOUND / EI_EBUSY from the
 * repository (the call is not created then). `repo` is held by the caller for the duration.
 */
ei_code_t ei__v2_call_begin(ei__v2_core_t *c, ei__repo_t *repo, const char *name, int64_t version,
                            uint64_t received_ns, ei__v2_call_t **out, ei_error_t *err);
/** The model's config, for parsing the request (valid while the call lives). */
const ei__model_config_t *ei__v2_call_config(const ei__v2_call_t *call);
/**
 * Checks the requested outputs and submits. EI_OK: accepted, `done` will run (maybe already has,
 * and the call may be gone). Any other code: not accepted, counted as a failure; the caller still
 * owns the call.
 */
ei_code_t ei__v2_call_submit(ei__v2_call_t *call, ei_error_t *err);
/** Counts a call that failed before submission (a bad request) as a model failure. */
void ei__v2_call_failed(ei__v2_call_t *call);
/** The error of a finished call (req.code != EI_OK) with a message that is never empty. */
void ei__v2_call_error(const ei__v2_call_t *call, ei_error_t *out);
/** The client went away: a call still queued is dropped, never run (done() says EI_ECANCELED). */
void ei__v2_call_cancel(ei__v2_call_t *call);
/** Frees the call, its request, its results and its model reference. NULL ok. */
void ei__v2_call_free(ei__v2_call_t *call);

/* Log lines (log_lines.c) --------------------------------------------------------------------- */

/** What an access line says about one finished request, whatever its protocol. */
typedef struct ei__access {
    uint64_t id;
    const char *method; /**< HTTP method, or the gRPC method name */
    const char *path;
    const char *client;
    unsigned status; /**< HTTP status, or the gRPC status code */
    bool has_level;  /**< `level` is set; otherwise it follows from the HTTP status */
    ei_log_level_t level;
    const char *model;
    int64_t version;
    uint64_t bytes_in, bytes_out, dur_ns, queue_ns, compute_ns;
    const char *error; /**< "" when none */
    const char *key;   /**< the API key's name (never the token); NULL or "" when none */
} ei__access_t;

/** Writes the access line for a finished request. */
void ei__log_access(const ei__v2_core_t *c, const ei__access_t *a);
/** Writes one error-stream line: level, message, optional request id (0: none) and model. */
void ei__log_event(const ei__v2_core_t *c, ei_log_level_t level, uint64_t req_id, const char *model,
                   int64_t version, const char *fmt, ...) EI__PRINTF(6, 7);

#endif
