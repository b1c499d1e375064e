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

/** One TCP connection on the HTTP port (MHD's socket context), for the slow-client sweeper. */
typedef struct ei__conn {
    struct ei__conn *prev, *next;
    int fd;
    uint64_t since_ns; /* when the current request's line arrived (or the connection opened) */
    uint64_t body_ns;  /* when its headers were complete */
    uint64_t body_in;  /* body bytes of the current request so far */
    bool receiving;    /* between the request line and the last body byte */
    bool in_body;      /* headers complete, body still arriving */
    bool over;         /* accepted above max_connections: answered 503 */
    bool cut;          /* shut down by the sweeper */
    void *tls;         /* its TLS credentials (ei__tls_attach()), with TLS on */
} ei__conn_t;

/** Connections on the HTTP port and the thread that cuts slow ones. */
typedef struct ei__conns {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ei__conn_t *head;
    unsigned n;
    bool stop, running;
    pthread_t sweeper;
    _Atomic uint64_t refused, cut_deadline, cut_rate, over_limit;
} ei__conns_t;

typedef struct ei__http {
    ei__v2_core_t *core;
    const ei_server_opts_t *o;
    ei__http_routes_t routes;         /**< the HTTP port's endpoints */
    ei__http_routes_t metrics_routes; /**< the metrics port's endpoints */
    struct MHD_Daemon *daemon, *metrics;
    int port, metrics_port;
    int quiesced_fd; /**< the listening socket after quiesce (shut down), closed at stop */
    ei__http_stats_t stats;
    ei__conns_t conns;
    bool loopback_only;           /**< the HTTP port listens on a loopback address */
    _Atomic size_t mem_used;      /**< bytes of bodies and replies held (max_memory_bytes) */
    _Atomic uint64_t mem_refused; /**< requests answered 503 for the memory budget */
    /* Requests past the gate, for the shutdown deadline (ei__http_cancel_pending()). */
    pthread_mutex_t live_mu;
    ei__http_req_t *live;
    _Atomic bool cancel_all; /**< shutdown deadline passed: answer what is left 503 */
    /* Requests cancelled at the deadline whose model has not answered yet: their late answer
     * still reaches this struct, which must outlive it (ei__http_wait_late()). Signalled under
     * live_mu. */
    _Atomic unsigned late_pending;
    pthread_cond_t late_cv;
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
    bool over_limit;         /* its connection is above max_connections: 503 + Retry-After */
    bool over_budget;        /* its body would not fit the memory budget: 503 */
    size_t mem_held;         /* bytes of the memory budget it holds (body, reply) */
    const char *cors_origin; /* the request's Origin when CORS allows it (MHD's string) */
    bool preflight;          /* an allowed CORS preflight */
    ei__conn_t *tcp;         /* its connection's record (HTTP port only) */
    /* Shutdown: a request still waiting at the deadline is answered 503 (cancelled); the late
     * answer of its model then only frees it, if the connection has completed (conn_done). */
    bool cancelled, late_done, conn_done;
    ei__http_req_t *live_prev, *live_next; /* the front-end's list of gated requests */
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
/**
 * Shutdown deadline: answers 503 every request still waiting for its answer (its model's late
 * answer is then dropped) and every one that would start waiting from now on. Returns how many.
 */
unsigned ei__http_cancel_pending(ei__http_t *h);
/**
 * After the stop: waits up to `secs` for the late answers of the requests cancelled at the
 * deadline (their runs are terminated, so they come soon). False when some have not come: `h`
 * must then never be disposed or freed.
 */
bool ei__http_wait_late(ei__http_t *h, unsigned secs);

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
/** Records a request's queue and compute time for its access line, from any thread. A request
 * cancelled at the shutdown deadline was already answered (and may be logging): then nothing is
 * written. */
void ei__http_note_timings(ei__http_req_t *r, uint64_t queue_ns, uint64_t compute_ns);

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
