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
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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
        return 503;
    case EI_ETIMEDOUT:
        return 504;
    case EI_ENOMEM:
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

static void req_free(ei__http_req_t *r)
{
    if (!r)
        return;
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
    resp = MHD_create_response_from_buffer_with_free_callback(r->resp_len, r->resp, ei__free);
    if (!resp)
        return MHD_NO;
    r->resp = NULL; /* the response owns it now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : "text/plain");
    if (r->has_infer_header) {
        char v[32];
        snprintf(v, sizeof v, "%zu", r->infer_header_len);
        MHD_add_response_header(resp, "Inference-Header-Content-Length", v);
    }
    if (r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->www_auth[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_auth);
    if (r->resp_enc != EI__ENC_IDENTITY)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                ei__encoding_name(r->resp_enc));
    if (r->accept_enc != EI__ENC_IDENTITY)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (r->rejected || r->too_large || r->auth_refused)
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

void ei__http_respond_error(ei__http_req_t *r, unsigned status, const char *fmt, ...)
{
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

/* The gate: after stop() began, new requests are refused with 503 and "Connection: close". */
static void gate(ei__http_t *h, ei__http_req_t *r)
{
    if (ei__v2_enter(h->core, r->metrics_port))
        r->gated = true;
    else
        r->rejected = true;
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
        char *p = ei__realloc(r->body, cap);
        if (!p)
            return false;
        r->body = p;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->bytes_in += n;
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
    ei__free(r->body);
    r->body = plain;
    r->body_len = plain_len;
    r->body_cap = plain_len + 1;
    return true;
}

static void dispatch(ei__http_req_t *r)
{
    if (r->rejected) {
        ei__http_respond_error(r, 503, "server is shutting down");
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
        gate(h, r);
        if (!r->rejected && !authorize(r)) {
            /* Answered before the body is read; the connection closes after the reply. */
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
            r->dispatched = true;
            dispatch(r);
            return queue_response(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->dispatched && !r->too_large && !body_append(r, upload_data, *upload_data_size)) {
            if (!r->too_large) {
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
        r->dispatched = true;
        dispatch(r);
        pthread_mutex_lock(&r->mu);
        bool ready = r->responded;
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
    if (r->gated)
        ei__v2_leave(h->core);
    req_free(r);
}

/* TLS connections: attach the credentials in force when the connection starts (before the
 * handshake), and let go of them when it closes. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
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
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_TURBO;
    struct sockaddr_in *in4 = (struct sockaddr_in *)(void *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&ss;
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        ei__fail(err, EI_EINVAL, "http address '%s': expected a numeric IPv4 or IPv6 address",
                 addr);
        return NULL;
    }
    const ei_server_limits_t *L = &h->o->limits;
    /* MHD's per-connection memory pool holds the request line and headers (and the read buffer),
     * so it is what limits header size; it answers 431 itself beyond that. */
    size_t pool = L->max_header_bytes + 4096;
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)L->max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        (intptr_t)L->connection_timeout_secs, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 511, NULL};
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
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, metrics ? on_metrics : on_http, h,
                         MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
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
    pthread_mutex_init(&h->pipes.mu, NULL);
}

void ei__http_dispose(ei__http_t *h)
{
    for (int i = 0; i < EI__PIPE_SLOTS; i++) {
        ei_image_pipeline_destroy(h->pipes.slot[i].pipe);
        h->pipes.slot[i].pipe = NULL;
    }
    pthread_mutex_destroy(&h->pipes.mu);
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
