/* SPDX-License-Identifier: MIT */
/*
 * The HTTP front-end: libmicrohttpd daemons (http.c), request bodies and content codings
 * (http_encoding.c), and a route table per daemon. The endpoints themselves (rest_*.c, metrics.c)
 * are route tables handed to ei__http_start() by the server; http.c knows none of them. Handlers
 * answer with ei__http_respond*() (now, or later from a worker thread) and reach the models only
 * through the protocol-neutral core (../v2/v2_core.h).
 */
#ifndef EI_SERVER_HTTP_H
#define EI_SERVER_HTTP_H

#include "ei_util.h"
#include "v2_core.h"

#include <edgeinfer/image.h>
#include <edgeinfer/server.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct MHD_Daemon;
struct MHD_Connection;

typedef struct ei__http_req ei__http_req_t;

/* Routes ------------------------------------------------------------------------------------- */

/** Most `{}` captures one route pattern may have. */
#define EI__HTTP_MAX_ARGS 4

/** One endpoint: a path pattern, the methods it takes, and its handler. */
typedef struct ei__http_route {
    const char *pattern; /**< "/v2/models/{}/versions/{}/infer": each "{}" captures one segment */
    const char *methods; /**< "GET, HEAD" or "POST": also the Allow header of a 405 */
    /** Handles one complete request; `arg` holds the captured segments, in order. */
    void (*fn)(ei__http_req_t *r, const char *const *arg, size_t n_arg);
    /**
     * The API-key scope the route needs (../v2/auth.h: EI__SCOPE_INFER...; EI__SCOPE_OPEN for
     * none). Left out (0), any valid key will do: a new route is never open by accident.
     */
    unsigned scope;
} ei__http_route_t;

/** A route table: the first route whose pattern and method match handles the request. */
typedef struct ei__http_routes {
    const ei__http_route_t *route;
    size_t n;
    const char *not_found_hint; /**< appended to the 404 message, e.g. " (metrics are at ...)" */
} ei__http_routes_t;

/** Runs the handler of the route `r` matches, or answers 404/405 (http.c calls it). */
void ei__http_route(ei__http_req_t *r, const ei__http_routes_t *rt);

/**
 * The scope of the first route whose pattern matches `url` (whatever the method: a 405 needs the
 * same key as the route); EI__SCOPE_AUTHENTICATED for a path no route matches.
 */
unsigned ei__http_route_scope(const ei__http_routes_t *rt, const char *url);

/* The front-end ------------------------------------------------------------------------------ */

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

typedef struct ei__http {
    ei__v2_core_t *core;
    const ei_server_opts_t *o;
    ei__http_routes_t routes;         /**< the HTTP port's endpoints */
    ei__http_routes_t metrics_routes; /**< the metrics port's endpoints */
    struct MHD_Daemon *daemon, *metrics;
    int port, metrics_port;
    int quiesced_fd; /**< the listening socket after quiesce (shut down), closed at stop */
    ei__http_stats_t stats;
    ei__pipe_cache_t pipes;
} ei__http_t;

/** One HTTP request from the first header line to the response leaving. */
struct ei__http_req {
    ei__http_t *http;
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
    bool too_large, rejected, gated, dispatched, queued, auth_refused;
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
    bool ui_page; /* a web console file: no caching, the browser's security headers */
    /* For the log lines. */
    char key_name[65]; /* the API key's name, "" when none */
    char www_auth[96]; /* WWW-Authenticate of a 401/403 */
    char model[128];
    int64_t version;
    char error[384];
    uint64_t queue_ns, compute_ns;
};

/** Initialises the front-end (nothing listens yet). */
void ei__http_init(ei__http_t *h, ei__v2_core_t *core, const ei_server_opts_t *o,
                   const ei__http_routes_t *routes, const ei__http_routes_t *metrics_routes);
/** Frees what ei__http_init() set up (after ei__http_stop()). */
void ei__http_dispose(ei__http_t *h);
/** Starts the HTTP daemon and, unless its port is -1, the metrics daemon. */
ei_code_t ei__http_start(ei__http_t *h, ei_error_t *err);
/** Stops accepting connections (keeps serving the accepted ones). */
void ei__http_quiesce(ei__http_t *h);
/** Closes everything; every suspended request must have been answered. */
void ei__http_stop(ei__http_t *h);

/* For handlers ------------------------------------------------------------------------------- */

/** A request header (case-insensitive name), or NULL. */
const char *ei__http_header(ei__http_req_t *r, const char *name);
/** A URL query argument, or NULL. */
const char *ei__http_query(ei__http_req_t *r, const char *name);
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
/** Responds with the error's message and the HTTP status for its code. */
void ei__http_respond_code(ei__http_req_t *r, const ei_error_t *e);
/** The HTTP status for a library code (one switch, no default). */
unsigned ei__http_status_for(ei_code_t code);

/* Content codings (http_encoding.c) ----------------------------------------------------------- */

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

#endif
