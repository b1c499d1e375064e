/* SPDX-License-Identifier: MIT */
/*
 * The gRPC front-end's transport (see grpc_frontend.h, grpc_internal.h), on gRPC's C core API.
 *
 * Why the C core and not the C++ API: the project is C11 and the core API is what gRPC's own
 * wrapped languages (Python, Ruby, PHP) sit on; it needs no C++ toolchain, no second language in
 * the sanitizer builds and no generated C++ service code. The price is the completion-queue state
 * machine below, which the C++ async API would otherwise hide. (This file is ~650 lines because
 that state machine - accept, receive, send queue, close, shutdown - reads best in one place.)
 *
 * Threads: `grpc_threads` threads poll one completion queue; every completion runs its tag's
 * function. A call is accepted with grpc_server_request_call (a few are always outstanding), then
 * two receives start: its close (RECV_CLOSE_ON_SERVER: tells us when the client cancelled or the
 * deadline passed) and its first message. Answers may be started from any thread (an inference's
 * worker); a per-call mutex orders grpc_call_start_batch as the core API requires. A call holds a
 * reference per batch in flight plus one while its handler may still answer; the last unref writes
 * the access line, leaves the drain gate and frees it.
 */
#include "grpc_internal.h"
#include "tls.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <string.h>

#define SERVICE_PREFIX "/inference.GRPCInferenceService/"
#define ACCEPTS 8 /* grpc_server_request_call()s kept outstanding */

/* Calls ------------------------------------------------------------------------------------------
 */

static void request_next(ei__grpc_t *g);
static void on_new(ei__grpc_call_t *c, bool ok);
static void on_recv(ei__grpc_call_t *c, bool ok);
static void on_close(ei__grpc_call_t *c, bool ok);
static void on_send(ei__grpc_call_t *c, bool ok);

static void live_add(ei__grpc_t *g, int d)
{
    pthread_mutex_lock(&g->mu);
    g->live += d;
    if (g->live == 0)
        pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void call_free(ei__grpc_call_t *c)
{
    ei__grpc_t *g = c->g;
    if (c->call) {
        uint64_t dur = ei__now_ns() - c->start_ns;
        ei_log_level_t level = EI_LOG_INFO;
        if (c->status == GRPC_STATUS_INTERNAL || c->status == GRPC_STATUS_UNKNOWN ||
            c->status == GRPC_STATUS_UNAVAILABLE || c->status == GRPC_STATUS_DATA_LOSS)
            level = EI_LOG_WARN;
        char path[160];
        snprintf(path, sizeof path, "%.*s", (int)GRPC_SLICE_LENGTH(c->details.method),
                 (const char *)GRPC_SLICE_START_PTR(c->details.method));
        char *peer = grpc_call_get_peer(c->call);
        ei__access_t a = {.id = c->id,
                          .method = "GRPC",
                          .path = path,
                          .client = peer ? peer : "-",
                          .status = c->status,
                          .has_level = true,
                          .level = level,
                          .model = c->model,
                          .version = c->version,
                          .bytes_in = c->bytes_in,
                          .bytes_out = c->bytes_out,
                          .dur_ns = dur,
                          .queue_ns = c->queue_ns,
                          .compute_ns = c->compute_ns,
                          .error = c->error,
                          .key = c->key};
        ei__log_access(g->core, &a);
        gpr_free(peer);
        ei__grpc_method_stats_t *ms = &g->stats.method[ei__grpc_method_slot(c->method)];
        if (c->status < 17)
            atomic_fetch_add_explicit(&ms->status[c->status], 1, memory_order_relaxed);
        ei__histogram_add(&ms->duration, dur);
        atomic_fetch_add_explicit(&g->stats.bytes_in, c->bytes_in, memory_order_relaxed);
        atomic_fetch_add_explicit(&g->stats.bytes_out, c->bytes_out, memory_order_relaxed);
        grpc_call_unref(c->call);
    }
    if (c->s_linked) {
        pthread_mutex_lock(&g->mu);
        if (c->s_prev)
            c->s_prev->s_next = c->s_next;
        else
            g->streams = c->s_next;
        if (c->s_next)
            c->s_next->s_prev = c->s_prev;
        pthread_mutex_unlock(&g->mu);
    }
    if (c->gated)
        ei__v2_leave(g->core);
    while (c->out_head) {
        ei__grpc_out_t *o = c->out_head;
        c->out_head = o->next;
        ei__free(o->data);
        ei__free(o);
    }
    if (c->recv_buf)
        grpc_byte_buffer_destroy(c->recv_buf);
    grpc_call_details_destroy(&c->details);
    grpc_metadata_array_destroy(&c->md);
    pthread_mutex_destroy(&c->mu);
    ei__free(c);
    live_add(g, -1);
}

void ei__grpc_call_ref(ei__grpc_call_t *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void ei__grpc_call_unref(ei__grpc_call_t *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        call_free(c);
}

/* Starts a batch under c->mu (held by the caller); takes a reference for it. */
static bool start_locked(ei__grpc_call_t *c, const grpc_op *ops, size_t n, ei__grpc_tag_t *tag)
{
    ei__grpc_call_ref(c);
    EI__GRPC_HANDOFF(tag);
    if (grpc_call_start_batch(c->call, ops, n, tag, NULL) != GRPC_CALL_OK) {
        /* No completion will come; the reference cannot be the last (the caller holds one). */
        atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel);
        return false;
    }
    return true;
}

static void set_initial_md(ei__grpc_call_t *c, grpc_op *op)
{
    memset(op, 0, sizeof *op);
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    int level = c->g->o->grpc_compression_level;
    if (level > 0) {
        op->data.send_initial_metadata.maybe_compression_level.is_set = 1;
        op->data.send_initial_metadata.maybe_compression_level.level =
            level == 1   ? GRPC_COMPRESS_LEVEL_LOW
            : level == 2 ? GRPC_COMPRESS_LEVEL_MED
                         : GRPC_COMPRESS_LEVEL_HIGH;
    }
    c->initial_md_sent = true;
}

static void free_slice(void *p, size_t n)
{
    (void)n;
    ei__free(p);
}

static grpc_byte_buffer *byte_buffer(uint8_t *data, size_t len)
{
    grpc_slice s = grpc_slice_new_with_len(data, len, free_slice);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/*
 * Under c->mu: starts the send batch for the next thing to send: a queued message (streaming), the
 * final status once nothing is queued, or nothing. At most one send batch is in flight.
 */
static void send_next_locked(ei__grpc_call_t *c)
{
    if (c->sending)
        return;
    grpc_op ops[3];
    size_t n = 0;
    ei__grpc_send_t *st = &c->send;
    if (c->out_head) {
        ei__grpc_out_t *o = c->out_head;
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        if (!c->initial_md_sent)
            set_initial_md(c, &ops[n++]);
        memset(&ops[n], 0, sizeof ops[n]);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        st->buf = byte_buffer(o->data, o->len);
        ops[n++].data.send_message.send_message = st->buf;
        c->bytes_out += o->len;
        ei__free(o);
        c->sending = true;
        if (!start_locked(c, ops, n, &c->t_send)) {
            grpc_byte_buffer_destroy(st->buf);
            st->buf = NULL;
            c->sending = false;
        }
        return;
    }
    if (!c->finish_pending)
        return;
    c->finish_pending = false;
    if (!c->initial_md_sent)
        set_initial_md(c, &ops[n++]);
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = c->finish_status;
    if (c->finish_msg[0]) {
        st->details = grpc_slice_from_copied_string(c->finish_msg);
        st->has_details = true;
        ops[n].data.send_status_from_server.status_details = &st->details;
    }
    n++;
    c->status = (unsigned)c->finish_status;
    c->sending = true;
    if (!start_locked(c, ops, n, &c->t_send)) {
        c->sending = false;
        if (st->has_details)
            grpc_slice_unref(st->details);
        st->has_details = false;
    }
}

static void on_send(ei__grpc_call_t *c, bool ok)
{
    (void)ok;
    pthread_mutex_lock(&c->mu);
    ei__grpc_send_t *st = &c->send;
    if (st->buf)
        grpc_byte_buffer_destroy(st->buf);
    st->buf = NULL;
    if (st->has_details)
        grpc_slice_unref(st->details);
    st->has_details = false;
    c->sending = false;
    if (ok || c->finish_pending)
        send_next_locked(c);
    pthread_mutex_unlock(&c->mu);
    ei__grpc_call_unref(c);
}

/* Ends the call: `data` (taken, may be NULL) as the one reply message, then the status. */
static void answer(ei__grpc_call_t *c, uint8_t *data, size_t len, grpc_status_code status,
                   const char *msg)
{
    pthread_mutex_lock(&c->mu);
    if (c->answered) {
        pthread_mutex_unlock(&c->mu);
        ei__free(data);
        return;
    }
    c->answered = true;
    if (data) {
        ei__grpc_out_t *o = ei__calloc(1, sizeof *o);
        if (o) {
            o->data = data;
            o->len = len;
            if (c->out_tail)
                c->out_tail->next = o;
            else
                c->out_head = o;
            c->out_tail = o;
        } else {
            ei__free(data);
            status = GRPC_STATUS_RESOURCE_EXHAUSTED;
            msg = "out of memory";
        }
    }
    c->finish_status = status;
    ei__strlcpy(c->finish_msg, msg ? msg : "", sizeof c->finish_msg);
    if (status != GRPC_STATUS_OK && !c->error[0])
        ei__strlcpy(c->error, c->finish_msg, sizeof c->error);
    c->finish_pending = true;
    send_next_locked(c);
    pthread_mutex_unlock(&c->mu);
    ei__grpc_call_unref(c); /* the handler's reference */
}

void ei__grpc_reply_packed(ei__grpc_call_t *c, uint8_t *data, size_t len)
{
    if (!data) {
        answer(c, NULL, 0, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    answer(c, data, len, GRPC_STATUS_OK, NULL);
}

void ei__grpc_reply(ei__grpc_call_t *c, const ProtobufCMessage *msg)
{
    size_t len = 0;
    uint8_t *p = ei__grpc_pack(msg, &len);
    ei__grpc_reply_packed(c, p, len);
}

void ei__grpc_fail(ei__grpc_call_t *c, grpc_status_code status, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    answer(c, NULL, 0, status, msg);
}

void ei__grpc_fail_code(ei__grpc_call_t *c, const ei_error_t *e)
{
    ei__grpc_fail(c, ei__grpc_status_for(e->code), "%s", e->msg[0] ? e->msg : ei_code_str(e->code));
}

void ei__grpc_stream_send(ei__grpc_call_t *c, uint8_t *data, size_t len)
{
    ei__grpc_out_t *o = data ? ei__calloc(1, sizeof *o) : NULL;
    pthread_mutex_lock(&c->mu);
    if (!o || c->answered || c->closed) {
        pthread_mutex_unlock(&c->mu);
        ei__free(data);
        ei__free(o);
        return;
    }
    o->data = data;
    o->len = len;
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    send_next_locked(c);
    pthread_mutex_unlock(&c->mu);
}

void ei__grpc_stream_finish(ei__grpc_call_t *c, grpc_status_code status, const char *msg)
{
    answer(c, NULL, 0, status, msg);
}

void ei__grpc_note_model(ei__grpc_call_t *c, const char *name, int64_t version)
{
    /* Under mu: a stream's next message notes its model while a model worker (infer_done) or
     * the other completion-queue thread (on_close) logs the previous one's. */
    pthread_mutex_lock(&c->mu);
    ei__strlcpy(c->model, name, sizeof c->model);
    c->version = version;
    pthread_mutex_unlock(&c->mu);
}

bool ei__grpc_version(ei__grpc_call_t *c, const char *s, int64_t *version)
{
    *version = -1;
    if (!s || !*s)
        return true;
    if (!ei__parse_i64(s, version) || *version < 0) {
        ei__grpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
                      "model version '%.60s': expected a non-negative integer", s);
        return false;
    }
    return true;
}

/* Receiving ------------------------------------------------------------------------------------ */

static void start_recv(ei__grpc_call_t *c, bool with_initial_md)
{
    grpc_op ops[2];
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    if (with_initial_md && !c->initial_md_sent)
        set_initial_md(c, &ops[n++]);
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &c->recv_buf;
    bool ok = start_locked(c, ops, n, &c->t_recv);
    pthread_mutex_unlock(&c->mu);
    if (!ok)
        ei__grpc_fail(c, GRPC_STATUS_INTERNAL, "cannot receive the request message");
}

static void on_recv(ei__grpc_call_t *c, bool ok)
{
    grpc_byte_buffer *bb = c->recv_buf;
    c->recv_buf = NULL;
    if (!ok || !bb) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        if (c->method->streaming) {
            /* The client half-closed (or went away): the handler finishes when its work is done. */
            c->method->fn(c, NULL, 0);
        } else {
            ei__grpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "no request message");
        }
        ei__grpc_call_unref(c);
        return;
    }
    grpc_byte_buffer_reader rd;
    if (!grpc_byte_buffer_reader_init(&rd, bb)) {
        grpc_byte_buffer_destroy(bb);
        ei__grpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT, "cannot decompress the request message");
        ei__grpc_call_unref(c);
        return;
    }
    grpc_slice s = grpc_byte_buffer_reader_readall(&rd);
    grpc_byte_buffer_reader_destroy(&rd);
    grpc_byte_buffer_destroy(bb);
    c->bytes_in += GRPC_SLICE_LENGTH(s);
    c->method->fn(c, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
    grpc_slice_unref(s);
    if (c->method->streaming)
        start_recv(c, false);
    ei__grpc_call_unref(c);
}

static void on_close(ei__grpc_call_t *c, bool ok)
{
    (void)ok;
    pthread_mutex_lock(&c->mu);
    c->closed = true;
    unsigned queued = 0;
    if (c->cancelled) {
        /* Every inference of the call still queued (a stream may have many) is dropped, never
         * run. They stay linked until their done() runs, so none is freed under us. */
        for (ei__v2_call_t *i = c->infers; i; i = i->fe_next, queued++)
            ei__v2_call_cancel(i);
    }
    char model[sizeof c->model];
    ei__strlcpy(model, c->model, sizeof model);
    int64_t version = c->version;
    pthread_mutex_unlock(&c->mu);
    if (queued)
        ei__log_event(c->g->core, EI_LOG_INFO, c->id, model, version,
                      "the client cancelled the call (or its deadline passed): its %u request(s) "
                      "in flight are dropped from the queue unless already running",
                      queued);
    ei__grpc_call_unref(c);
}

static const ei__grpc_method_t *find_method(grpc_slice path)
{
    size_t len = GRPC_SLICE_LENGTH(path), pl = strlen(SERVICE_PREFIX);
    const char *p = (const char *)GRPC_SLICE_START_PTR(path);
    if (len <= pl || memcmp(p, SERVICE_PREFIX, pl) != 0)
        return NULL;
    for (const ei__grpc_method_t *m = ei__grpc_methods; m->name; m++)
        if (strlen(m->name) == len - pl && memcmp(m->name, p + pl, len - pl) == 0)
            return m;
    return NULL;
}

static uint64_t deadline_ns(gpr_timespec d)
{
    gpr_timespec inf = gpr_inf_future(d.clock_type);
    if (gpr_time_cmp(d, inf) >= 0)
        return 0;
    gpr_timespec now = gpr_now(d.clock_type);
    gpr_timespec left = gpr_time_sub(d, now);
    uint64_t at = ei__now_ns();
    if (left.tv_sec < 0)
        return at ? at : 1;
    return at + (uint64_t)left.tv_sec * 1000000000u + (uint64_t)left.tv_nsec;
}

/*
 * API keys (v2/auth.h): the `authorization` metadata entry ("Bearer TOKEN", as HTTP's header) must
 * hold a key with the method's scope. false after failing the call.
 */
static bool authorize(ei__grpc_call_t *c)
{
    char value[512];
    const char *auth = NULL;
    for (size_t i = 0; i < c->md.count; i++) {
        const grpc_slice *k = &c->md.metadata[i].key;
        const grpc_slice *v = &c->md.metadata[i].value;
        if (GRPC_SLICE_LENGTH(*k) == 13 &&
            memcmp(GRPC_SLICE_START_PTR(*k), "authorization", 13) == 0) {
            size_t n = GRPC_SLICE_LENGTH(*v);
            if (n >= sizeof value || memchr(GRPC_SLICE_START_PTR(*v), '\0', n))
                n = 0; /* too long or binary: an invalid credential, never a truncated valid one */
            memcpy(value, GRPC_SLICE_START_PTR(*v), n);
            value[n] = '\0';
            auth = value;
        }
    }
    unsigned scope = c->method->scope;
    ei__auth_verdict_t v = ei__auth_check(c->g->core->auth, scope, auth, c->key, sizeof c->key);
    if (v == EI__AUTH_ALLOW)
        return true;
    char msg[256];
    ei__auth_message(v, scope, c->key, msg, sizeof msg);
    ei__grpc_fail(
        c, v == EI__AUTH_FORBIDDEN ? GRPC_STATUS_PERMISSION_DENIED : GRPC_STATUS_UNAUTHENTICATED,
        "%s", msg);
    return false;
}

static void on_new(ei__grpc_call_t *c, bool ok)
{
    ei__grpc_t *g = c->g;
    if (!ok) {
        /* The server is shutting down: no call was accepted into this object. */
        c->call = NULL;
        ei__grpc_call_unref(c);
        return;
    }
    request_next(g);
    c->id = ei__v2_next_id(g->core);
    c->start_ns = ei__now_ns();
    c->deadline_ns = deadline_ns(c->details.deadline);
    c->method = find_method(c->details.method);
    c->gated = ei__v2_enter(g->core, false);
    /* Always learn about the end of the call (cancellation, deadline). */
    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &c->cancelled;
    pthread_mutex_lock(&c->mu);
    start_locked(c, &close_op, 1, &c->t_close);
    pthread_mutex_unlock(&c->mu);
    if (!c->gated) {
        ei__grpc_fail(c, GRPC_STATUS_UNAVAILABLE, "server is shutting down");
        return;
    }
    if (!c->method) {
        ei__grpc_fail(c, GRPC_STATUS_UNIMPLEMENTED, "unknown method '%.*s'",
                      (int)GRPC_SLICE_LENGTH(c->details.method),
                      (const char *)GRPC_SLICE_START_PTR(c->details.method));
        return;
    }
    if (!authorize(c))
        return;
    if (c->method->streaming) {
        /* Listed so that a drain can end it; refused when the drain has already begun. */
        pthread_mutex_lock(&g->mu);
        bool draining = g->draining;
        if (!draining) {
            c->s_next = g->streams;
            if (g->streams)
                g->streams->s_prev = c;
            g->streams = c;
            c->s_linked = true;
        }
        pthread_mutex_unlock(&g->mu);
        if (draining) {
            ei__grpc_fail(c, GRPC_STATUS_UNAVAILABLE, "server is shutting down");
            return;
        }
    }
    start_recv(c, c->method->streaming);
}

static void request_next(ei__grpc_t *g)
{
    ei__grpc_call_t *c = ei__calloc(1, sizeof *c);
    if (!c) {
        EI_LOG(EI_LOG_ERROR, "grpc", "out of memory accepting a call");
        return;
    }
    c->g = g;
    c->version = -1;
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->mu, NULL);
    grpc_call_details_init(&c->details);
    grpc_metadata_array_init(&c->md);
    c->t_new = (ei__grpc_tag_t){on_new, c};
    c->t_recv = (ei__grpc_tag_t){on_recv, c};
    c->t_close = (ei__grpc_tag_t){on_close, c};
    c->t_send = (ei__grpc_tag_t){on_send, c};
    live_add(g, 1);
    EI__GRPC_HANDOFF(&c->t_new);
    if (grpc_server_request_call(g->server, &c->call, &c->details, &c->md, g->cq, g->cq,
                                 &c->t_new) != GRPC_CALL_OK) {
        c->call = NULL;
        ei__grpc_call_unref(c);
    }
}

/* The server ----------------------------------------------------------------------------------- */

/* Runs one completion; false when the queue is shut down. */
static bool dispatch(ei__grpc_t *g)
{
    grpc_event ev = grpc_completion_queue_next(g->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN)
        return false;
    if (ev.type != GRPC_OP_COMPLETE)
        return true;
    EI__GRPC_TAKEN(ev.tag);
    if (ev.tag == &g->shutdown_tag) {
        pthread_mutex_lock(&g->mu);
        g->shutdown_done = true;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
        return true;
    }
    ei__grpc_tag_t *t = ev.tag;
    t->fn(t->call, ev.success != 0);
    return true;
}

static void *cq_main(void *arg)
{
    ei__grpc_t *g = arg;
    while (dispatch(g)) {
    }
    return NULL;
}

static bool finished(ei__grpc_t *g)
{
    pthread_mutex_lock(&g->mu);
    bool done = g->shutdown_done && g->live == 0;
    pthread_mutex_unlock(&g->mu);
    return done;
}

/*
 * gRPC's certificate-config fetcher: called once when the port is added and before each TLS
 * handshake (any gRPC thread). The set in force (v2/tls.h) is copied only when its generation
 * differs from the one gRPC holds, so a SIGHUP reload reaches the next connection; connections
 * already open keep their handshake's certificate.
 */
static grpc_ssl_certificate_config_reload_status
fetch_certificate(void *user, grpc_ssl_server_certificate_config **config)
{
    ei__grpc_t *g = user;
    unsigned long gen = ei__tls_generation(g->core->tls);
    pthread_mutex_lock(&g->mu);
    unsigned long held = g->tls_gen;
    pthread_mutex_unlock(&g->mu);
    if (held == gen)
        return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
    char *cert = NULL, *key = NULL, *ca = NULL;
    ei_error_t e = {0};
    if (ei__tls_pem_copy(g->core->tls, &cert, &key, &ca, &e) != EI_OK) {
        pthread_mutex_lock(&g->mu);
        ei__strlcpy(g->tls_failed, e.msg, sizeof g->tls_failed);
        pthread_mutex_unlock(&g->mu);
        EI_LOG(EI_LOG_ERROR, "grpc", "TLS certificate not taken up: %s", e.msg);
        return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
    }
    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    /* gRPC asserts that a fetched config has root certificates even when no client certificate
     * is requested (then they are never used): without a client CA, give it our own chain. */
    *config = grpc_ssl_server_certificate_config_create(ca ? ca : cert, &pair, 1); /* copied */
    explicit_bzero(key, strlen(key));
    ei__free(key);
    ei__free(cert);
    ei__free(ca);
    if (!*config) {
        EI_LOG(EI_LOG_ERROR, "grpc", "TLS certificate not taken up: out of memory");
        return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
    }
    pthread_mutex_lock(&g->mu);
    g->tls_gen = gen;
    pthread_mutex_unlock(&g->mu);
    if (held != 0)
        ei__log_event(g->core, EI_LOG_INFO, 0, NULL, -1,
                      "gRPC: the reloaded TLS certificate is in force for new connections");
    return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
}

void ei__grpc_init(ei__grpc_t *g, ei__v2_core_t *core, const ei_server_opts_t *o)
{
    memset(g, 0, sizeof *g);
    g->core = core;
    g->o = o;
    g->port = -1;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

ei_code_t ei__grpc_start(ei__grpc_t *g, ei_error_t *err)
{
    const ei_server_opts_t *o = g->o;
    if (o->grpc_port < 0)
        return EI_OK;
    const char *addr = o->grpc_address   ? o->grpc_address
                       : o->http_address ? o->http_address
                                         : "127.0.0.1";
    char target[300];
    if (strchr(addr, ':'))
        snprintf(target, sizeof target, "[%s]:%d", addr, o->grpc_port);
    else
        snprintf(target, sizeof target, "%s:%d", addr, o->grpc_port);
    size_t max_msg =
        o->grpc_max_message_bytes ? o->grpc_max_message_bytes : o->limits.max_body_bytes;
    if (max_msg > INT32_MAX)
        max_msg = INT32_MAX;
    grpc_init();
    g->inited = true;
    grpc_arg args[4];
    memset(args, 0, sizeof args);
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = (int)max_msg;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = (int)max_msg;
    /* identity, deflate and gzip (bits 0..2): requests in any; answers as the level says. */
    args[2].type = GRPC_ARG_INTEGER;
    args[2].key = (char *)GRPC_COMPRESSION_CHANNEL_ENABLED_ALGORITHMS_BITSET;
    args[2].value.integer = 0x7;
    /* One process per port: never share it with another server (SO_REUSEPORT). */
    args[3].type = GRPC_ARG_INTEGER;
    args[3].key = (char *)GRPC_ARG_ALLOW_REUSEPORT;
    args[3].value.integer = 0;
    grpc_channel_args chargs = {4, args};
    g->cq = grpc_completion_queue_create_for_next(NULL);
    g->server = grpc_server_create(&chargs, NULL);
    grpc_server_register_completion_queue(g->server, g->cq, NULL);
    grpc_server_credentials *creds = NULL;
    if (g->core->tls) {
        /* The same certificate (and client CA) as HTTPS, fetched by gRPC at start and before each
         * handshake: a reload (SIGHUP) reaches new gRPC connections as it reaches HTTPS. */
        grpc_ssl_server_credentials_options *opts =
            grpc_ssl_server_credentials_create_options_using_config_fetcher(
                ei__tls_mutual(g->core->tls)
                    ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                    : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
                fetch_certificate, g);
        creds = opts ? grpc_ssl_server_credentials_create_with_options(opts) : NULL;
    } else {
        creds = grpc_insecure_server_credentials_create();
    }
    int port = creds ? grpc_server_add_http2_port(g->server, target, creds) : 0;
    if (creds)
        grpc_server_credentials_release(creds);
    if (port <= 0) {
        if (g->tls_failed[0])
            ei__fail(err, EI_EIO, "grpc: TLS: %s", g->tls_failed);
        else
            ei__fail(err, EI_EIO,
                     "grpc: cannot listen on %s (in use, or not an address of this host?)", target);
        grpc_server_destroy(g->server);
        g->server = NULL;
        grpc_completion_queue_shutdown(g->cq);
        while (grpc_completion_queue_next(g->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
               GRPC_QUEUE_SHUTDOWN) {
        }
        grpc_completion_queue_destroy(g->cq);
        g->cq = NULL;
        grpc_shutdown();
        g->inited = false;
        return EI_EIO;
    }
    g->port = port;
    grpc_server_start(g->server);
    g->started = true;
    int n = o->grpc_threads > 0 ? o->grpc_threads : 2;
    g->threads = ei__calloc((size_t)n, sizeof *g->threads);
    for (int i = 0; g->threads && i < n; i++) {
        if (pthread_create(&g->threads[i], NULL, cq_main, g) != 0)
            break;
        g->n_threads++;
    }
    if (g->n_threads == 0) {
        ei__grpc_quiesce(g);
        ei__grpc_stop(g);
        return ei__fail(err, EI_ENOMEM, "grpc: cannot start its threads");
    }
    for (int i = 0; i < ACCEPTS; i++)
        request_next(g);
    return EI_OK;
}

void ei__grpc_quiesce(ei__grpc_t *g)
{
    if (!g->started || g->shut_down)
        return;
    g->shut_down = true;
    /* New calls are refused from here on; the ones in progress continue. */
    EI__GRPC_HANDOFF(&g->shutdown_tag);
    grpc_server_shutdown_and_notify(g->server, g->cq, &g->shutdown_tag);
    /* Open streams end once what they have in flight is answered (idle ones now). Each is visited
     * once, with a reference taken under g->mu so it cannot be freed while being drained; one
     * whose last reference is already gone is being freed and needs nothing. */
    pthread_mutex_lock(&g->mu);
    g->draining = true;
    pthread_mutex_unlock(&g->mu);
    for (;;) {
        ei__grpc_call_t *c = NULL;
        pthread_mutex_lock(&g->mu);
        for (ei__grpc_call_t *s = g->streams; s && !c; s = s->s_next) {
            if (s->drain_seen)
                continue;
            s->drain_seen = true;
            int r = atomic_load_explicit(&s->refs, memory_order_relaxed);
            while (r > 0 && !atomic_compare_exchange_weak_explicit(
                                &s->refs, &r, r + 1, memory_order_acq_rel, memory_order_relaxed)) {
            }
            if (r > 0)
                c = s;
        }
        pthread_mutex_unlock(&g->mu);
        if (!c)
            break;
        ei__grpc_stream_drain(c);
        ei__grpc_call_unref(c);
    }
}

void ei__grpc_stop(ei__grpc_t *g)
{
    if (g->started) {
        ei__grpc_quiesce(g);
        /* Whatever is still open (a stream the client keeps open) is cancelled now. */
        grpc_server_cancel_all_calls(g->server);
        if (g->n_threads == 0) {
            while (!finished(g) && dispatch(g)) {
            }
        }
        pthread_mutex_lock(&g->mu);
        while (!g->shutdown_done || g->live > 0)
            pthread_cond_wait(&g->cv, &g->mu);
        pthread_mutex_unlock(&g->mu);
        grpc_completion_queue_shutdown(g->cq);
        for (int i = 0; i < g->n_threads; i++)
            pthread_join(g->threads[i], NULL);
        ei__free(g->threads);
        g->threads = NULL;
        g->n_threads = 0;
        grpc_server_destroy(g->server);
        grpc_completion_queue_destroy(g->cq);
        g->server = NULL;
        g->cq = NULL;
        g->started = false;
    }
    if (g->inited) {
        grpc_shutdown();
        g->inited = false;
    }
}

void ei__grpc_dispose(ei__grpc_t *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}
