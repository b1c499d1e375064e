/* SPDX-License-Identifier: MIT */
/*
 * Internal to the wire side of the server: the server object, one HTTP request as the handlers see
 * it, and the functions the HTTP glue (http.c), the KServe v2 handlers (kserve_v2.c), the metrics
 * page (metrics.c) and the log lines (log_lines.c) offer each other. The model side is reached only
 * through model_repo.h.
 */
#ifndef EI_SERVER_INTERNAL_H
#define EI_SERVER_INTERNAL_H

#include "ei_util.h"
#include "model_repo.h"
#include "sbuf.h"
#include "shm.h"

#include <edgeinfer/image.h>
#include <edgeinfer/server.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct MHD_Daemon;
struct MHD_Connection;

/** Counters of the HTTP layer itself (every request, also those that never reach a model). */
typedef struct ei__http_stats {
    _Atomic uint64_t requests;
    _Atomic uint64_t status_class[6]; /**< index status/100 (1xx..5xx); 0 unused */
    _Atomic uint64_t bytes_in, bytes_out;
    ei__histogram_t duration; /**< HTTP request duration, first byte to response queued */
} ei__http_stats_t;

/** Image pipelines for /classify, reused across requests (their resize tables and scratch rows). */
#define EI__PIPE_SLOTS 8
typedef struct ei__pipe_cache {
    pthread_mutex_t mu;
    struct {
        ei_image_opts_t opts;
        ei_image_pipeline_t *pipe;
        bool busy;
    } slot[EI__PIPE_SLOTS];
} ei__pipe_cache_t;

struct ei_server {
    ei_server_opts_t o; /* strings below are owned copies */
    char *repo_path;
    char *address;
    char **load_models;
    ei__repo_t *repo;
    /* Readers: request handlers using `repo`; writer: stop() when it tears the repository down. */
    pthread_rwlock_t repo_lock;
    struct MHD_Daemon *http;
    struct MHD_Daemon *metrics;
    int http_port, metrics_port;
    /* Graceful stop: requests past the gate are counted until their connection completes them. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t inflight;
    bool stopping, started, stopped;
    _Atomic uint64_t next_req_id;
    uint64_t start_ns;
    ei__http_stats_t http_stats;
    ei__pipe_cache_t pipes;
    ei__shm_t *shm; /* client shared-memory regions; NULL unless allow_client_shm */
};

/* HTTP content codings (http_encoding.c). */
enum { EI__ENC_IDENTITY = 0, EI__ENC_GZIP = 1, EI__ENC_DEFLATE = 2 };

/* The coding named by a Content-Encoding header value (NULL: identity); -1 when unsupported. */
int ei__content_encoding(const char *header);

/* The coding to answer with, given an Accept-Encoding header (NULL: identity): gzip before
 * deflate, none refused with q=0. */
int ei__accept_encoding(const char *header);

const char *ei__encoding_name(int enc);

/* Inflates a gzip/deflate body into a new NUL-terminated buffer (ei__free). EI_ELIMIT past
 * `limit` bytes (the check runs as it inflates), EI_EFORMAT for a corrupt, truncated or trailing-
 * garbage stream. */
ei_code_t ei__inflate(int enc, const char *in, size_t n, size_t limit, char **out, size_t *out_len,
                      ei_error_t *err);

/* Compresses a response body into a new buffer (ei__free). */
ei_code_t ei__deflate(int enc, const char *in, size_t n, char **out, size_t *out_len,
                      ei_error_t *err);

/** One HTTP request from the first header line to the response leaving. */
typedef struct ei__http_req {
    ei_server_t *srv;
    struct MHD_Connection *conn;
    uint64_t id;
    uint64_t start_ns;
    const char *method; /* MHD's, valid for the request */
    const char *url;
    char *body; /* request body (ei__malloc'd, NUL-terminated), body_len bytes, inflated */
    size_t body_len, body_cap;
    size_t bytes_in;   /* as received (before inflating) */
    int accept_enc;    /* EI__ENC_*: the coding the client accepts for the response */
    int resp_enc;      /* EI__ENC_*: the coding of resp */
    bool metrics_port; /* arrived on the metrics daemon */
    bool too_large, rejected, gated, dispatched, queued;
    /* The response, set by ei__http_respond(). */
    pthread_mutex_t mu;
    bool suspended, responded;
    unsigned status;
    char *resp;
    size_t resp_len;
    const char *ctype;
    size_t infer_header_len; /* Inference-Header-Content-Length, when has_infer_header */
    bool has_infer_header;
    const char *allow;
    /* For the log lines. */
    char model[128];
    int64_t version;
    char error[384];
    uint64_t queue_ns, compute_ns;
} ei__http_req_t;

/**
 * Counts a request that reached a model but failed before the scheduler accepted it (bad input,
 * queue full), so nv_inference_request_failure and /stats "fail" include it as Triton's do.
 */
static inline void ei__count_wire_failure(ei__model_t *m, uint64_t start_ns)
{
    ei__model_stats_t *st = ei__model_stats(m);
    uint64_t now = ei__now_ns();
    atomic_fetch_add_explicit(&st->fail_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->fail_ns, now > start_ns ? now - start_ns : 0,
                              memory_order_relaxed);
}

/* http.c --------------------------------------------------------------------------------------- */

/** Starts the HTTP and metrics daemons. */
ei_code_t ei__http_start(ei_server_t *s, ei_error_t *err);
/** Stops accepting connections (keeps serving the accepted ones). */
void ei__http_quiesce(ei_server_t *s);
/** Closes everything; every suspended request must have been answered. */
void ei__http_stop(ei_server_t *s);
/** A request header (case-insensitive name), or NULL. */
const char *ei__http_header(ei__http_req_t *r, const char *name);
/**
 * Sets the response: status, content type (static string), body (ei__malloc'd; taken, also on
 * failure). Exactly once per request; may be called from any thread once the handler returned
 * or from within the handler.
 */
void ei__http_respond(ei__http_req_t *r, unsigned status, const char *ctype, char *body,
                      size_t len);
/** Responds {"error": "<message>"} with `status` and records the message for the logs. */
void ei__http_respond_error(ei__http_req_t *r, unsigned status, const char *fmt, ...)
    EI__PRINTF(3, 4);
/** The HTTP status for a library code (one switch, no default). */
unsigned ei__http_status_for(ei_code_t code);

/* kserve_v2.c ---------------------------------------------------------------------------------- */

/** Handles one complete request on the HTTP port (responds now or later). */
void ei__kserve_handle(ei__http_req_t *r);

/* v2_classify.c -------------------------------------------------------------------------------- */

/** POST /v2/models/{m}[/versions/{v}]/classify: an encoded image in, top-k JSON out. */
void ei__classify_handle(ei__http_req_t *r, ei__repo_t *repo, const char *name, int64_t version);

/** A pipeline for `opts` (an idle cached one, or a new one); give it back with ei__pipe_put(). */
ei_code_t ei__pipe_get(ei_server_t *s, const ei_image_opts_t *opts, ei_image_pipeline_t **out,
                       ei_error_t *err);
void ei__pipe_put(ei_server_t *s, ei_image_pipeline_t *p);
/** Frees every cached pipeline (none may be in use). */
void ei__pipe_cache_dispose(ei_server_t *s);

/* metrics.c ------------------------------------------------------------------------------------ */

/** Handles one complete request on the metrics port. */
void ei__metrics_handle(ei__http_req_t *r);

/* log_lines.c ---------------------------------------------------------------------------------- */

/** Writes the access line for a finished request. */
void ei__log_access(ei_server_t *s, const ei__http_req_t *r, uint64_t dur_ns, const char *client);
/** Writes one error-stream line: level, message, optional request id (0: none) and model. */
void ei__log_event(ei_server_t *s, ei_log_level_t level, uint64_t req_id, const char *model,
                   int64_t version, const char *fmt, ...) EI__PRINTF(6, 7);

#endif
