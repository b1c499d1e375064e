/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd glue: the daemons, body accumulation under the size limit, the graceful-stop gate,
 * and suspend/resume so that a request waiting for inference pins no I/O thread.
 *
 * How a request flows: MHD calls on_request() once with the headers (we allocate the request and
 * pass the stop gate), then once per body chunk (appended, up to max_body_bytes), then once more
 * with no data: the handler runs. A handler either responds at once or returns without a response
 * (it submitted inference); we then suspend the connection. The response may be set from a worker
 * thread; if the connection is already suspended we resume it, and MHD calls on_request() again,
 * where the response is queued. A per-request mutex orders "handler returned" against "response
 * set", so the connection is suspended exactly when no response exists yet. on_completed() writes
 * the access log line, updates the counters and frees the request.
 *
 * Which handler runs is decided by the daemon's route table (http.h), given by the server: this
 * file knows no endpoint.
 */
#include "http.h"

#include "sbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

unsigned ei__http_status_for(ei_code_t code)
{
    switch (code) {
    case EI_OK:
        return 200;
    case EI_EINVAL:
    case EI_EFORMAT:
    case EI_ECANCELED:
        return 400;
    case EI_ENOTFOUND:
    case EI_ENOENT:
        return 404;
    case EI_ELIMIT:
        return 413;
    case EI_EUNSUPPORTED:
        return 501;
    case EI_EBUSY:
    case EI_ENOMEM: /* the run-memory limit, or the system, has no room now: retry later */
        return 503;
    case EI_ETIMEDOUT:
        return 504;
    case EI_EIO:
    case EI_EMODEL:
    case EI_ERUNTIME:
        return 500;
    case EI__CODE_COUNT:
        return 500;
    }
    return 500;
}

const char *ei__http_header(ei__http_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *ei__http_query(ei__http_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* The memory budget (max_memory_bytes) for bodies and replies: take `n` bytes of it, or fail. */
static bool mem_take(ei__http_t *h, size_t n)
{
    size_t budget = h->o->max_memory_bytes;
    size_t used = atomic_load(&h->mem_used);
    do {
        if (budget && (used + n > budget || used + n < used))
            return false;
    } while (!atomic_compare_exchange_weak(&h->mem_used, &used, used + n));
    return true;
}

static void mem_give(ei__http_t *h, size_t n)
{
    if (n)
        atomic_fetch_sub(&h->mem_used, n);
}

static void req_free(ei__http_req_t *r)
{
    if (!r)
        return;
    mem_give(r->http, r->mem_held);
    ei__free(r->body);
    ei__free(r->resp);
    pthread_mutex_destroy(&r->mu);
    ei__free(r);
}

/* Queues the stored response on the connection (MHD thread, inside on_request). */
static enum MHD_Result queue_response(ei__http_req_t *r)
{
    struct MHD_Response *resp;
    r->queued = true;
    pthread_mutex_lock(&r->mu);
    bool cancelled = r->cancelled; /* then its model's worker may still write the fields below */
    pthread_mutex_unlock(&r->mu);
    resp = MHD_create_response_from_buffer_with_free_callback(r->resp_len, r->resp, ei__free);
    if (!resp)
        return MHD_NO;
    r->resp = NULL; /* the response owns it now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : "text/plain");
    if (!cancelled && r->has_infer_header) {
        char v[32];
        snprintf(v, sizeof v, "%zu", r->infer_header_len);
        MHD_add_response_header(resp, "Inference-Header-Content-Length", v);
    }
    if (!cancelled && r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->www_auth[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_auth);
    if (r->resp_enc != EI__ENC_IDENTITY)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                ei__encoding_name(r->resp_enc));
    if (r->accept_enc != EI__ENC_IDENTITY)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (r->cors_origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", r->cors_origin);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
        if (r->preflight) {
            MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST");
            MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                    "Content-Type, Content-Encoding, Accept-Encoding, "
                                    "Inference-Header-Content-Length, Authorization");
            MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
        } else {
            MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                                    "Inference-Header-Content-Length");
        }
    }
    if (r->status == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    if (r->rejected || r->too_large || r->over_limit || r->auth_refused || r->over_budget)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->ui_page) {
        /* Revalidate (a new binary brings new files); scripts only from here; not framed. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self' "
                                "'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Below this, compressing a response saves less than it costs. */
#define MIN_COMPRESS_BYTES 512

void ei__http_respond(ei__http_req_t *r, unsigned status, const char *ctype, char *body, size_t len)
{
    int enc = EI__ENC_IDENTITY;
    if (r->accept_enc != EI__ENC_IDENTITY && status == 200 && body && len >= MIN_COMPRESS_BYTES) {
        /* Off the I/O thread for inference replies (this runs on the worker that finished). */
        char *z = NULL;
        size_t zlen = 0;
        ei_error_t e = {0};
        if (ei__deflate(r->accept_enc, body, len, &z, &zlen, &e) == EI_OK && zlen < len) {
            ei__free(body);
            body = z;
            len = zlen;
            enc = r->accept_enc;
        } else {
            ei__free(z); /* incompressible, or out of memory: send it as it is */
        }
    }
    pthread_mutex_lock(&r->mu);
    if (r->responded && r->cancelled && !r->late_done) {
        /* The late answer of a request cancelled at the shutdown deadline: drop it. */
        r->late_done = true;
        bool free_now = r->conn_done;
        ei__http_t *h = r->http;
        pthread_mutex_unlock(&r->mu);
        ei__free(body);
        if (free_now)
            req_free(r);
        /* Last: once counted, ei__http_wait_late() may return and the server go. */
        pthread_mutex_lock(&h->live_mu);
        atomic_fetch_sub(&h->late_pending, 1);
        pthread_cond_broadcast(&h->late_cv);
        pthread_mutex_unlock(&h->live_mu);
        return;
    }
    if (r->responded) {
        /* A handler bug; keep the first response. */
        pthread_mutex_unlock(&r->mu);
        ei__free(body);
        EI_LOG(EI_LOG_ERROR, "server", "request %llu answered twice", (unsigned long long)r->id);
        return;
    }
    if (!body && len == 0) {
        body = ei__malloc(1);
        if (body)
            body[0] = '\0';
    }
    if (body && len > 4096) {
        /* A large reply counts against the memory budget until the request is freed. */
        if (mem_take(r->http, len)) {
            r->mem_held += len;
        } else {
            static const char busy[] = "{\"error\":\"the reply does not fit the server's memory "
                                       "budget now (--max-memory); retry later\"}";
            ei__free(body);
            atomic_fetch_add_explicit(&r->http->mem_refused, 1, memory_order_relaxed);
            body = ei__malloc(sizeof busy);
            status = 503;
            ctype = "application/json";
            enc = EI__ENC_IDENTITY;
            len = body ? sizeof busy - 1 : 0;
            r->has_infer_header = false;
            if (body)
                memcpy(body, busy, sizeof busy);
        }
    }
    if (!body) {
        /* Out of memory building the body: answer 500 with a static message. */
        static const char oom[] = "{\"error\":\"out of memory\"}";
        body = ei__malloc(sizeof oom);
        status = 500;
        ctype = "application/json";
        len = body ? sizeof oom - 1 : 0;
        if (body)
            memcpy(body, oom, sizeof oom);
    }
    r->status = status;
    r->ctype = ctype;
    r->resp_enc = body ? enc : EI__ENC_IDENTITY;
    r->resp = body;
    r->resp_len = body ? len : 0;
    r->responded = true;
    bool resume = r->suspended;
    r->suspended = false;
    if (resume)
        MHD_resume_connection(r->conn);
    pthread_mutex_unlock(&r->mu);
}

void ei__http_note_timings(ei__http_req_t *r, uint64_t queue_ns, uint64_t compute_ns)
{
    pthread_mutex_lock(&r->mu);
    if (!r->cancelled) {
        r->queue_ns = queue_ns;
        r->compute_ns = compute_ns;
    }
    pthread_mutex_unlock(&r->mu);
}

void ei__http_respond_error(ei__http_req_t *r, unsigned status, const char *fmt, ...)
{
    pthread_mutex_lock(&r->mu);
    bool cancelled = r->cancelled;
    pthread_mutex_unlock(&r->mu);
    if (cancelled) {
        /* Answered already; r->error belongs to the access line being written. */
        ei__http_respond(r, status, "application/json", NULL, 0);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    ei__sbuf_t b = {0};
    ei__sbuf_adds(&b, "{\"error\":");
    ei__sbuf_json_str(&b, r->error, strlen(r->error));
    ei__sbuf_addc(&b, '}');
    size_t len = 0;
    char *body = ei__sbuf_take(&b, &len);
    r->has_infer_header = false;
    ei__http_respond(r, status, "application/json", body, len);
}

void ei__http_respond_code(ei__http_req_t *r, const ei_error_t *e)
{
    ei__http_respond_error(r, ei__http_status_for(e->code), "%s", e->msg);
}

static const char cancel_msg[] =
    "{\"error\":\"server shutting down: the request was cancelled at the shutdown deadline\"}";

/* Under r->mu, r waiting for its answer: answers 503 now; the model's answer comes later. */
static bool cancel_locked(ei__http_req_t *r)
{
    char *body = ei__malloc(sizeof cancel_msg);
    if (!body)
        return false;
    memcpy(body, cancel_msg, sizeof cancel_msg);
    r->cancelled = true;
    r->status = 503;
    r->ctype = "application/json";
    r->resp_enc = EI__ENC_IDENTITY;
    r->resp = body;
    r->resp_len = sizeof cancel_msg - 1;
    r->responded = true;
    r->rejected = true; /* Connection: close */
    ei__strlcpy(r->error, "cancelled at the shutdown deadline", sizeof r->error);
    atomic_fetch_add(&r->http->late_pending, 1); /* its handler's answer is still to come */
    return true;
}

bool ei__http_wait_late(ei__http_t *h, unsigned secs)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)secs;
    pthread_mutex_lock(&h->live_mu);
    while (atomic_load(&h->late_pending) > 0) {
        if (pthread_cond_timedwait(&h->late_cv, &h->live_mu, &until) == ETIMEDOUT)
            break;
    }
    bool done = atomic_load(&h->late_pending) == 0;
    pthread_mutex_unlock(&h->live_mu);
    return done;
}

unsigned ei__http_cancel_pending(ei__http_t *h)
{
    unsigned n = 0;
    pthread_mutex_lock(&h->live_mu);
    atomic_store(&h->cancel_all, true);
    for (ei__http_req_t *r = h->live; r; r = r->live_next) {
        pthread_mutex_lock(&r->mu);
        if (r->suspended && !r->responded && cancel_locked(r)) {
            r->suspended = false;
            MHD_resume_connection(r->conn);
            n++;
        }
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&h->live_mu);
    return n;
}

/* The gate: after stop() began, new requests are refused with 503 and "Connection: close". */
static void gate(ei__http_t *h, ei__http_req_t *r)
{
    if (!ei__v2_enter(h->core, r->metrics_port)) {
        r->rejected = true;
        return;
    }
    r->gated = true;
    pthread_mutex_lock(&h->live_mu);
    r->live_next = h->live;
    if (h->live)
        h->live->live_prev = r;
    h->live = r;
    pthread_mutex_unlock(&h->live_mu);
}

static bool body_append(ei__http_req_t *r, const char *data, size_t n)
{
    size_t limit = r->http->o->limits.max_body_bytes;
    if (r->too_large || r->body_len + n > limit || r->body_len + n < r->body_len) {
        r->too_large = true;
        return false;
    }
    if (r->body_cap - r->body_len <= n) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap - r->body_len <= n)
            cap *= 2;
        if (cap > limit + 1)
            cap = limit + 1;
        if (!mem_take(r->http, cap - r->body_cap)) {
            r->over_budget = true;
            return false;
        }
        r->mem_held += cap - r->body_cap;
        char *p = ei__realloc(r->body, cap);
        if (!p)
            return false;
        r->body = p;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->bytes_in += n;
    if (r->tcp) {
        pthread_mutex_lock(&r->http->conns.mu);
        r->tcp->body_in += n;
        pthread_mutex_unlock(&r->http->conns.mu);
    }
    r->body[r->body_len] = '\0';
    return true;
}

/* Inflates a body sent with a Content-Encoding; false when it has answered with an error. */
static bool decode_body(ei__http_req_t *r)
{
    const char *ce = ei__http_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING);
    int enc = ei__content_encoding(ce);
    if (enc < 0) {
        ei__http_respond_error(r, 400,
                               "unsupported Content-Encoding '%.60s' (gzip, deflate or "
                               "identity)",
                               ce);
        return false;
    }
    if (enc == EI__ENC_IDENTITY)
        return true;
    char *plain = NULL;
    size_t plain_len = 0;
    ei_error_t e = {0};
    size_t limit = r->http->o->limits.max_body_bytes;
    ei_code_t rc = ei__inflate(enc, r->body, r->body_len, limit, &plain, &plain_len, &e);
    if (rc != EI_OK) {
        ei__http_respond_error(r, rc == EI_ELIMIT ? 413 : rc == EI_ENOMEM ? 500 : 400, "%s", e.msg);
        return false;
    }
    if (!mem_take(r->http, plain_len + 1)) {
        ei__free(plain);
        r->over_budget = true;
        atomic_fetch_add_explicit(&r->http->mem_refused, 1, memory_order_relaxed);
        ei__http_respond_error(r, 503,
                               "the inflated body (%zu bytes) does not fit the server's memory "
                               "budget for requests now (--max-memory %zu); retry later",
                               plain_len, r->http->o->max_memory_bytes);
        return false;
    }
    mem_give(r->http, r->body_cap);
    r->mem_held = r->mem_held - r->body_cap + plain_len + 1;
    ei__free(r->body);
    r->body = plain;
    r->body_len = plain_len;
    r->body_cap = plain_len + 1;
    return true;
}

/* Whether `item` is in the comma-separated `list` (case-insensitive, spaces around ignored). */
static bool in_list(const char *list, const char *item, size_t n)
{
    for (const char *p = list; p != NULL && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((size_t)(t - p) == n && strncasecmp(p, item, n) == 0)
            return true;
        p = e;
    }
    return false;
}

/* The host part of a Host header value (no port, IPv6 without brackets). */
static size_t host_part(const char *h, const char **start)
{
    if (h[0] == '[') {
        const char *e = strchr(h, ']');
        *start = h + 1;
        return e ? (size_t)(e - h - 1) : strlen(h + 1);
    }
    *start = h;
    const char *c = strchr(h, ':');
    return c ? (size_t)(c - h) : strlen(h);
}

static bool loopback_name(const char *h, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, h, n);
    buf[n] = '\0';
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, buf, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, buf, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcasecmp(buf, "localhost") == 0 ||
           (n > 10 && strcasecmp(buf + n - 10, ".localhost") == 0);
}

/*
 * Browser safety, before any handler runs: CORS (off unless origins are allowed), and for
 * state-changing requests (POST) the Origin and Host checks that stop a web page from driving the
 * server (cross-site "simple" POSTs, DNS rebinding). False when it has answered.
 */
static bool browser_checks(ei__http_req_t *r)
{
    const ei_server_opts_t *o = r->http->o;
    const char *origin = ei__http_header(r, "Origin");
    bool allowed_origin = origin != NULL && o->cors_allow_origins != NULL &&
                          (in_list(o->cors_allow_origins, "*", 1) ||
                           in_list(o->cors_allow_origins, origin, strlen(origin)));
    if (allowed_origin)
        r->cors_origin = origin;
    if (strcmp(r->method, "OPTIONS") == 0 &&
        ei__http_header(r, "Access-Control-Request-Method") != NULL) {
        if (!allowed_origin) {
            ei__http_respond_error(r, 403, "CORS: origin '%.100s' is not allowed",
                                   origin ? origin : "");
            return false;
        }
        r->preflight = true;
        ei__http_respond(r, 204, "text/plain", NULL, 0);
        return false;
    }
    if (strcmp(r->method, "POST") != 0)
        return true;
    const char *host = ei__http_header(r, MHD_HTTP_HEADER_HOST);
    if (host != NULL) {
        const char *hp = NULL;
        size_t n = host_part(host, &hp);
        bool ok = in_list(o->allowed_hosts, hp, n) ||
                  (r->http->loopback_only ? loopback_name(hp, n) : o->allowed_hosts == NULL);
        if (!ok) {
            ei__http_respond_error(
                r, 403, "Host '%.100s' is not allowed for this request (--allowed-host)", host);
            return false;
        }
    }
    if (origin != NULL && !allowed_origin && strcmp(origin, "null") != 0) {
        /* Same-origin requests (the page was served from this host) are fine. */
        const char *sch = strstr(origin, "://");
        bool same = sch != NULL && host != NULL && strcasecmp(sch + 3, host) == 0;
        if (!same) {
            ei__http_respond_error(r, 403,
                                   "cross-origin request from '%.100s' refused (CORS is off, or "
                                   "the origin is not in --cors-allow-origin)",
                                   origin);
            return false;
        }
    } else if (origin != NULL && strcmp(origin, "null") == 0 && !allowed_origin) {
        ei__http_respond_error(r, 403, "cross-origin request from an opaque origin refused");
        return false;
    }
    return true;
}

static void dispatch(ei__http_req_t *r)
{
    if (r->rejected) {
        ei__http_respond_error(r, 503, "server is shutting down");
        return;
    }
    if (r->over_limit) {
        ei__http_respond_error(r, 503, "too many connections (limit %u); retry later",
                               r->http->o->limits.max_connections);
        return;
    }
    if (!r->metrics_port && !browser_checks(r))
        return;
    if (r->over_budget) {
        atomic_fetch_add_explicit(&r->http->mem_refused, 1, memory_order_relaxed);
        ei__http_respond_error(r, 503,
                               "the request body does not fit the server's memory budget for "
                               "requests now (--max-memory %zu bytes, held by other requests); "
                               "retry later",
                               r->http->o->max_memory_bytes);
        return;
    }
    if (r->too_large) {
        ei__http_respond_error(r, 413, "request body larger than the limit of %zu bytes",
                               r->http->o->limits.max_body_bytes);
        return;
    }
    if (!r->metrics_port && r->body_len > 0 && !decode_body(r))
        return;
    r->accept_enc = ei__accept_encoding(ei__http_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    if (!r->body) {
        r->body = ei__malloc(1);
        if (!r->body) {
            ei__http_respond_error(r, 500, "out of memory");
            return;
        }
        r->body[0] = '\0';
    }
    ei__http_route(r, r->metrics_port ? &r->http->metrics_routes : &r->http->routes);
}

/*
 * API keys: the route's scope against the presented credential, before the body is read. True
 * when the request may go on; otherwise it has been answered 401 or 403 (JSON, with
 * WWW-Authenticate as RFC 6750 has it).
 */
static bool authorize(ei__http_req_t *r)
{
    ei__http_t *h = r->http;
    /* A CORS preflight carries no credentials and changes nothing. */
    if (!h->core->auth || strcmp(r->method, "OPTIONS") == 0)
        return true;
    unsigned scope =
        ei__http_route_scope(r->metrics_port ? &h->metrics_routes : &h->routes, r->url);
    ei__auth_verdict_t v = ei__auth_check(h->core->auth, scope, ei__http_header(r, "Authorization"),
                                          r->key_name, sizeof r->key_name);
    if (v == EI__AUTH_ALLOW)
        return true;
    char msg[160];
    ei__auth_message(v, scope, r->key_name, msg, sizeof msg);
    if (v == EI__AUTH_FORBIDDEN)
        snprintf(r->www_auth, sizeof r->www_auth,
                 "Bearer realm=\"edgeinfer\", error=\"insufficient_scope\", scope=\"%s\"",
                 ei__scope_name(scope));
    else
        snprintf(r->www_auth, sizeof r->www_auth, "Bearer realm=\"edgeinfer\"%s",
                 v == EI__AUTH_INVALID ? ", error=\"invalid_token\"" : "");
    ei__http_respond_error(r, v == EI__AUTH_FORBIDDEN ? 403 : 401, "%s", msg);
    return false;
}

/* With mutual TLS: the peer's certificate, checked again behind the handshake's own check. */
static bool peer_ok(ei__http_t *h, struct MHD_Connection *conn)
{
    if (!h->core->tls || !ei__tls_mutual(h->core->tls))
        return true;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci != NULL && ci->tls_session != NULL && ei__tls_peer_ok(h->core->tls, ci->tls_session);
}

/* Adds up the request head as sent: request line, "Name: value\r\n" lines. */
static enum MHD_Result add_header_len(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static size_t head_bytes(ei__http_req_t *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (ci)
        return ci->header_size;
    size_t n = strlen(r->method) + strlen(r->url) + 12;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header_len, &n);
    return n;
}

/* The request has been received in full (or refused): the sweeper leaves its connection alone. */
static void received(ei__http_req_t *r)
{
    if (!r->tcp)
        return;
    pthread_mutex_lock(&r->http->conns.mu);
    r->tcp->receiving = false;
    r->tcp->in_body = false;
    pthread_mutex_unlock(&r->http->conns.mu);
}

static enum MHD_Result on_request(ei__http_t *h, bool metrics, struct MHD_Connection *conn,
                                  const char *url, const char *method, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    ei__http_req_t *r = *con_cls;
    if (!r) {
        if (!peer_ok(h, conn))
            return MHD_NO; /* close: no HTTP for a client the TLS layer should have refused */
        r = ei__calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        pthread_mutex_init(&r->mu, NULL);
        r->http = h;
        r->conn = conn;
        r->method = method;
        r->url = url;
        r->version = -1;
        r->start_ns = ei__now_ns();
        r->id = ei__v2_next_id(h->core);
        r->metrics_port = metrics;
        *con_cls = r;
        if (!metrics) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
            r->tcp = ci ? ci->socket_context : NULL;
        }
        if (r->tcp) {
            pthread_mutex_lock(&h->conns.mu);
            r->over_limit = r->tcp->over;
            r->tcp->in_body = true;
            r->tcp->body_ns = ei__now_ns();
            r->tcp->body_in = 0;
            pthread_mutex_unlock(&h->conns.mu);
        }
        gate(h, r);
        size_t head = head_bytes(r);
        if (!r->over_limit && head > h->o->limits.max_header_bytes) {
            received(r);
            r->dispatched = true;
            ei__http_respond_error(r, 431,
                                   "request head of %zu bytes is larger than the limit of %zu "
                                   "bytes",
                                   head, h->o->limits.max_header_bytes);
            r->too_large = true; /* Connection: close, the body is not read */
            return queue_response(r);
        }
        /* libmicrohttpd 0.9.75 frames only "chunked"; any other Transfer-Encoding reaches here
         * with the body read as if until the connection closes (the client waits for ever).
         * A transfer coding other than chunked alone cannot frame a request body: 400 now. */
        const char *te =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        if (!r->over_limit && te && strcasecmp(te, "chunked") != 0) {
            received(r);
            r->dispatched = true;
            ei__http_respond_error(r, 400,
                                   "Transfer-Encoding '%.80s' cannot frame a request body (only "
                                   "'chunked' alone, or Content-Length)",
                                   te);
            r->too_large = true; /* Connection: close, the body is not read */
            return queue_response(r);
        }
        if (r->over_limit) {
            /* Above the connection limit: 503 + Retry-After at once, without reading a body. */
            received(r);
            r->dispatched = true;
            dispatch(r);
            return queue_response(r);
        }
        if (!r->rejected && !authorize(r)) {
            /* Answered before the body is read; the connection closes after the reply. */
            received(r);
            r->dispatched = true;
            r->auth_refused = true;
            return queue_response(r);
        }
        /* Refuse an announced oversized body before reading it. */
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t n = 0;
        if (cl && ei__parse_i64(cl, &n) && n > 0 && (uint64_t)n > h->o->limits.max_body_bytes) {
            r->too_large = true;
            received(r);
            r->dispatched = true;
            dispatch(r);
            return queue_response(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->dispatched && !r->too_large && !r->over_budget &&
            !body_append(r, upload_data, *upload_data_size)) {
            if (!r->too_large && !r->over_budget) {
                /* Out of memory: drop the connection rather than answer half a body. */
                return MHD_NO;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->queued)
        return MHD_YES;
    if (!r->dispatched) {
        received(r);
        r->dispatched = true;
        dispatch(r);
        pthread_mutex_lock(&r->mu);
        bool ready = r->responded;
        if (!ready && atomic_load(&h->cancel_all) && cancel_locked(r))
            ready = true; /* past the shutdown deadline: never suspend again */
        if (!ready) {
            r->suspended = true;
            MHD_suspend_connection(conn);
        }
        pthread_mutex_unlock(&r->mu);
        if (!ready)
            return MHD_YES;
        return queue_response(r);
    }
    /* Resumed: the response is there. */
    pthread_mutex_lock(&r->mu);
    bool ready = r->responded;
    pthread_mutex_unlock(&r->mu);
    if (!ready)
        return MHD_YES;
    return queue_response(r);
}

static enum MHD_Result on_http(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    (void)version;
    return on_request(cls, false, conn, url, method, upload_data, upload_data_size, con_cls);
}

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    return on_request(cls, true, conn, url, method, upload_data, upload_data_size, con_cls);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    ei__http_t *h = cls;
    ei__http_req_t *r = *con_cls;
    (void)toe;
    if (!r)
        return;
    *con_cls = NULL;
    uint64_t dur = ei__now_ns() - r->start_ns;
    char client[64] = "-";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client,
                      sizeof client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, client,
                      sizeof client);
    }
    if (!r->responded)
        r->status = 0; /* the client went away before we answered */
    if (!r->metrics_port) {
        ei__http_stats_t *hs = &h->stats;
        atomic_fetch_add_explicit(&hs->requests, 1, memory_order_relaxed);
        if (r->status >= 100 && r->status < 600)
            atomic_fetch_add_explicit(&hs->status_class[r->status / 100], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&hs->bytes_in, r->bytes_in, memory_order_relaxed);
        atomic_fetch_add_explicit(&hs->bytes_out, r->resp_len, memory_order_relaxed);
        ei__histogram_add(&hs->duration, dur);
        ei__access_t a = {.id = r->id,
                          .method = r->method,
                          .path = r->url,
                          .client = client,
                          .status = r->status,
                          .model = r->model,
                          .version = r->version,
                          .bytes_in = r->bytes_in,
                          .bytes_out = r->resp_len,
                          .dur_ns = dur,
                          .queue_ns = r->queue_ns,
                          .compute_ns = r->compute_ns,
                          .error = r->error,
                          .key = r->key_name};
        ei__log_access(h->core, &a);
    }
    if (r->gated) {
        pthread_mutex_lock(&h->live_mu);
        if (r->live_prev)
            r->live_prev->live_next = r->live_next;
        else
            h->live = r->live_next;
        if (r->live_next)
            r->live_next->live_prev = r->live_prev;
        pthread_mutex_unlock(&h->live_mu);
    }
    bool gated = r->gated;
    pthread_mutex_lock(&r->mu);
    r->conn_done = true;
    bool keep = r->cancelled && !r->late_done; /* its model still answers: that frees it */
    pthread_mutex_unlock(&r->mu);
    if (!keep)
        req_free(r); /* (when kept, r may be gone from here on) */
    if (gated)
        ei__v2_leave(h->core);
}

/* Connections ---------------------------------------------------------------------------------- */

/* Extra connections accepted above max_connections only to be answered 503 + Retry-After; beyond
 * these, new connections are closed at once (never left waiting in the kernel's backlog). */
#define OVER_LIMIT_SLOTS 64

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    ei__http_t *h = cls;
    (void)addr;
    (void)addrlen;
    pthread_mutex_lock(&h->conns.mu);
    bool ok = h->conns.n < h->o->limits.max_connections + OVER_LIMIT_SLOTS;
    pthread_mutex_unlock(&h->conns.mu);
    if (!ok)
        atomic_fetch_add_explicit(&h->conns.refused, 1, memory_order_relaxed);
    return ok ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    ei__http_t *h = cls;
    ei__conns_t *cs = &h->conns;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        ei__conn_t *c = ei__calloc(1, sizeof *c);
        *socket_context = c;
        if (!c)
            return;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = ci ? ci->connect_fd : -1;
        c->since_ns = ei__now_ns();
        if (h->core->tls) {
            /* Each connection gets the TLS credentials in force (../v2/tls.c), so a reload needs
             * no restart. */
            const union MHD_ConnectionInfo *ti =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            c->tls = ti && ti->tls_session ? ei__tls_attach(h->core->tls, ti->tls_session) : NULL;
            if (!c->tls)
                EI_LOG(EI_LOG_ERROR, "server", "TLS: could not set up a connection's credentials");
        }
        pthread_mutex_lock(&cs->mu);
        c->next = cs->head;
        if (cs->head)
            cs->head->prev = c;
        cs->head = c;
        cs->n++;
        c->over = cs->n > h->o->limits.max_connections;
        pthread_mutex_unlock(&cs->mu);
        if (c->over)
            atomic_fetch_add_explicit(&cs->over_limit, 1, memory_order_relaxed);
        return;
    }
    /* Closed: MHD closes the socket only after this returns, so the sweeper (which holds the lock
     * while it shuts sockets down) never touches a descriptor that could have been reused. */
    ei__conn_t *c = *socket_context;
    *socket_context = NULL;
    if (!c)
        return;
    pthread_mutex_lock(&cs->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cs->n--;
    pthread_mutex_unlock(&cs->mu);
    if (c->tls)
        ei__tls_detach(h->core->tls, c->tls);
    ei__free(c);
}

/* MHD calls this when a request line has arrived: the whole-request deadline starts. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    ei__http_t *h = cls;
    (void)uri;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    ei__conn_t *c = ci ? ci->socket_context : NULL;
    if (c) {
        pthread_mutex_lock(&h->conns.mu);
        c->receiving = true;
        c->in_body = false;
        c->since_ns = ei__now_ns();
        c->body_in = 0;
        pthread_mutex_unlock(&h->conns.mu);
    }
    return NULL; /* the request is allocated by on_request() */
}

/* How long a request's body may arrive before the minimum rate applies. */
#define RATE_GRACE_NS (5ull * 1000000000ull)

/*
 * Once a second: shuts down the sockets of requests past the whole-request deadline or below the
 * minimum upload rate, and of connections above the limit that sent nothing. MHD then sees the
 * connection end and cleans it up on its own thread (the sweeper never closes a descriptor).
 */
static void *sweeper_main(void *arg)
{
    ei__http_t *h = arg;
    ei__conns_t *cs = &h->conns;
    uint64_t deadline = (uint64_t)h->o->request_timeout_secs * 1000000000ull;
    uint64_t rate = h->o->min_transfer_rate;
    pthread_mutex_lock(&cs->mu);
    while (!cs->stop) {
        uint64_t now = ei__now_ns();
        for (ei__conn_t *c = cs->head; c; c = c->next) {
            if (c->cut || c->fd < 0)
                continue;
            bool late = c->receiving && deadline && now - c->since_ns > deadline;
            bool slow = c->in_body && rate && now - c->body_ns > RATE_GRACE_NS &&
                        c->body_in < rate * ((now - c->body_ns) / 1000000000ull);
            bool idle_over = c->over && !c->receiving && now - c->since_ns > 1000000000ull;
            if (late || slow || idle_over) {
                shutdown(c->fd, SHUT_RDWR);
                c->cut = true;
                atomic_fetch_add_explicit(late ? &cs->cut_deadline : &cs->cut_rate, 1,
                                          memory_order_relaxed);
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&cs->cv, &cs->mu, &until);
    }
    pthread_mutex_unlock(&cs->mu);
    return NULL;
}

/* Resolves a numeric address or a host name ("localhost", "::", "myhost.lan") to bind to. */
static bool resolve(const char *addr, int port, struct sockaddr_storage *ss, ei_error_t *err)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(addr, ps, &hints, &res);
    if (g != 0 || res == NULL) {
        ei__fail(err, EI_EINVAL, "http address '%s': %s", addr,
                 g != 0 ? gai_strerror(g) : "no address");
        return false;
    }
    /* The first IPv4 answer if there is one ("localhost" is 127.0.0.1 before ::1), else the first.
     */
    const struct addrinfo *pick = res;
    for (const struct addrinfo *a = res; a; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    }
    memset(ss, 0, sizeof *ss);
    memcpy(ss, pick->ai_addr, pick->ai_addrlen);
    freeaddrinfo(res);
    return ss->ss_family == AF_INET || ss->ss_family == AF_INET6;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr) >> 24) ==
               127;
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr);
}

/* TLS connections: attach the credentials in force when the connection starts (before the
 * handshake), and let go of them when it closes. */
/* TLS credentials of a connection on the metrics port (the HTTP port's on_connection() does the
 * same for its connections). */
static void on_connection_tls(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    ei__http_t *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        *socket_context =
            ci && ci->tls_session ? ei__tls_attach(h->core->tls, ci->tls_session) : NULL;
        if (!*socket_context)
            EI_LOG(EI_LOG_ERROR, "server", "TLS: could not set up a connection's credentials");
    } else if (*socket_context) {
        ei__tls_detach(h->core->tls, *socket_context);
        *socket_context = NULL;
    }
}

static struct MHD_Daemon *start_daemon(ei__http_t *h, const char *addr, int port, unsigned threads,
                                       bool metrics, int *bound, ei_error_t *err)
{
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_TURBO;
    if (!resolve(addr, port, &ss, err))
        return NULL;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (!metrics)
        h->loopback_only = is_loopback(&ss);
    const ei_server_limits_t *L = &h->o->limits;
    /* MHD's per-connection memory pool holds the request line, the headers, the parsed query
     * arguments (about 48 bytes each on top of the text) and the read buffer. Sized to the header
     * limit alone it ran out on ~300 query arguments and dropped the connection without an answer
     * (libmicrohttpd 0.9.75), and twice the limit still left ~1,000 arguments (a 9 KB URL) to
     * hang or drop, so it is sized for the densest head under the limit ("a&a&...": one
     * argument per 2 bytes, ~48 bytes of bookkeeping each), and the documented limit is checked
     * in on_request() (head_bytes()): 431 with a message. The pool is mapped lazily (only what a
     * request uses is resident: 500 idle connections add nothing measurable). */
    size_t pool = 40 * L->max_header_bytes + 65536;
    /* MHD's own limit is never the one reached (past it MHD stops accepting and clients wait in
     * the backlog): on_accept() enforces ours, and MHD splits its limit over the pool threads. */
    unsigned mhd_limit = (L->max_connections + OVER_LIMIT_SLOTS) * (threads > 1 ? threads : 1);
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                        (intptr_t)(metrics ? L->max_connections : mhd_limit), NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        (intptr_t)L->connection_timeout_secs, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 511, NULL};
    if (!metrics) {
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, h};
        if (h->o->max_connections_per_ip > 0)
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                                (intptr_t)h->o->max_connections_per_ip, NULL};
    }
    if (threads > 1)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL};
    ei__tls_t *tls = h->core->tls;
    if (tls) {
        /* MHD starts TLS with the first credentials; each connection then gets the set in force
         * (../v2/tls.c) from on_connection(), which is what lets a reload need no restart.
         * libmicrohttpd 0.9.75's epoll loop spins while a TLS handshake waits for the client
         * (measured: 4.6 ms of server CPU per curl connection with epoll + turbo, 1.2 ms with
         * poll), so a TLS daemon uses poll() (docs/BENCHMARKS.md, part 5). */
        flags &= ~(unsigned)(MHD_USE_EPOLL | MHD_USE_TURBO);
        flags |= MHD_USE_TLS | MHD_USE_POLL;
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                            (void *)ei__tls_initial_cert_pem(tls)};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                            (void *)ei__tls_initial_key_pem(tls)};
        if (metrics) /* the HTTP port's on_connection() attaches the credentials itself */
            opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                                (intptr_t)on_connection_tls, h};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, (uint16_t)port, metrics ? NULL : on_accept, metrics ? NULL : h,
                         metrics ? on_metrics : on_http, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d) {
        ei__fail(err, EI_EIO,
                 "cannot listen on %s port %d (in use, or not an address of this host?)", addr,
                 port);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *bound = di ? (int)di->port : port;
    return d;
}

void ei__http_init(ei__http_t *h, ei__v2_core_t *core, const ei_server_opts_t *o,
                   const ei__http_routes_t *routes, const ei__http_routes_t *metrics_routes)
{
    memset(h, 0, sizeof *h);
    h->core = core;
    h->o = o;
    h->routes = *routes;
    h->metrics_routes = *metrics_routes;
    h->port = -1;
    h->metrics_port = -1;
    h->quiesced_fd = -1;
    pthread_mutex_init(&h->conns.mu, NULL);
    pthread_cond_init(&h->conns.cv, NULL);
    pthread_mutex_init(&h->live_mu, NULL);
    pthread_cond_init(&h->late_cv, NULL);
}

void ei__http_dispose(ei__http_t *h)
{
    pthread_cond_destroy(&h->conns.cv);
    pthread_mutex_destroy(&h->conns.mu);
    pthread_mutex_destroy(&h->live_mu);
    pthread_cond_destroy(&h->late_cv);
}

ei_code_t ei__http_start(ei__http_t *h, ei_error_t *err)
{
    if (h->core->tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "this libmicrohttpd was built without TLS support (HTTPS unavailable)");
    const char *addr = h->o->http_address ? h->o->http_address : "127.0.0.1";
    unsigned threads = h->o->http_threads > 0 ? (unsigned)h->o->http_threads : 2;
    h->daemon = start_daemon(h, addr, h->o->http_port, threads, false, &h->port, err);
    if (!h->daemon)
        return err ? err->code : EI_EIO;
    if (h->o->metrics_port >= 0) {
        h->metrics = start_daemon(h, addr, h->o->metrics_port, 1, true, &h->metrics_port, err);
        if (!h->metrics) {
            ei__error_prefix(err, "metrics");
            MHD_stop_daemon(h->daemon);
            h->daemon = NULL;
            return err ? err->code : EI_EIO;
        }
    } else {
        h->metrics_port = -1;
    }
    if (h->o->request_timeout_secs > 0 || h->o->min_transfer_rate > 0) {
        h->conns.running = pthread_create(&h->conns.sweeper, NULL, sweeper_main, h) == 0;
        if (!h->conns.running)
            ei__log_event(h->core, EI_LOG_WARN, 0, NULL, -1,
                          "cannot start the slow-client sweeper: no request deadline");
    }
    return EI_OK;
}

void ei__http_quiesce(ei__http_t *h)
{
    if (!h->daemon)
        return;
    /* MHD hands the listening socket back; shutting it down makes new connects fail at once
     * instead of waiting in the kernel's backlog for an accept() that never comes. It is closed
     * only after MHD_stop_daemon(): MHD's threads may still be taking it out of their epoll sets,
     * and a descriptor closed under them could be reused by another socket (ThreadSanitizer). */
    MHD_socket fd = MHD_quiesce_daemon(h->daemon);
    if (fd != MHD_INVALID_SOCKET) {
        shutdown(fd, SHUT_RDWR);
        h->quiesced_fd = fd;
    }
}

void ei__http_stop(ei__http_t *h)
{
    if (h->conns.running) {
        pthread_mutex_lock(&h->conns.mu);
        h->conns.stop = true;
        pthread_cond_broadcast(&h->conns.cv);
        pthread_mutex_unlock(&h->conns.mu);
        pthread_join(h->conns.sweeper, NULL);
        h->conns.running = false;
    }
    if (h->metrics)
        MHD_stop_daemon(h->metrics);
    h->metrics = NULL;
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    h->daemon = NULL;
    if (h->quiesced_fd >= 0)
        close(h->quiesced_fd);
    h->quiesced_fd = -1;
}
