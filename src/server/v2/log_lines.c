/* SPDX-License-Identifier: MIT */
/*
 * The server's access and error log lines, as text (`<ts> <LEVEL> <stream> <message> key=value`)
 * or as one JSON object per line. Every line carries the request id (`req`) and
 * `model=<name>@<ver>` when a model was involved ("-" when none), so one request can be followed
 * across both streams. Lines go to the options' log callback, or to the library log sink when there
 * is none.
 */
#include "sbuf.h"
#include "v2_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void timestamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char tmp[32];
    strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03ldZ", tmp, ts.tv_nsec / 1000000L);
}

static const char *level_upper(ei_log_level_t l)
{
    switch (l) {
    case EI_LOG_DEBUG:
        return "DEBUG";
    case EI_LOG_INFO:
        return "INFO";
    case EI_LOG_WARN:
        return "WARN";
    case EI_LOG_ERROR:
        return "ERROR";
    case EI_LOG_OFF:
        return "OFF";
    }
    return "INFO";
}

static void emit(const ei__v2_core_t *c, ei_server_log_stream_t stream, ei_log_level_t level,
                 ei__sbuf_t *b)
{
    if (b->oom || !b->data) {
        ei__sbuf_free(b);
        return;
    }
    if (c->o->log_fn)
        c->o->log_fn(stream, b->data, c->o->log_user);
    else
        EI_LOG(level, stream == EI_SERVER_LOG_ACCESS ? "access" : "server", "%s", b->data);
    ei__sbuf_free(b);
}

/* A byte a text line must not carry raw: controls (CR/LF would forge a line), DEL, non-ASCII. */
static bool unsafe_byte(unsigned char c)
{
    return c < 0x20 || c >= 0x7f;
}

/* Appends request-controlled text to a text line with unsafe bytes written as \xNN. */
static void add_text(ei__sbuf_t *b, const char *v)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (unsafe_byte(*p)) {
            char e[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
            ei__sbuf_add(b, e, 4);
        } else {
            ei__sbuf_addc(b, (char)*p);
        }
    }
}

/* Appends key=value (text: value quoted when it has spaces, unsafe bytes escaped) or
 * "key":"value" (JSON). */
static void kv_str(ei__sbuf_t *b, bool json, const char *k, const char *v)
{
    if (json) {
        ei__sbuf_printf(b, ",\"%s\":", k);
        ei__sbuf_json_str(b, v, strlen(v));
        return;
    }
    ei__sbuf_printf(b, " %s=", k);
    bool plain = *v != '\0' && strpbrk(v, " \t\"=\\") == NULL;
    for (const unsigned char *p = (const unsigned char *)v; plain && *p; p++)
        plain = !unsafe_byte(*p);
    if (plain) {
        ei__sbuf_adds(b, v);
    } else {
        ei__sbuf_addc(b, '"');
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\')
                ei__sbuf_addc(b, '\\');
            char one[2] = {*p, '\0'};
            add_text(b, one);
        }
        ei__sbuf_addc(b, '"');
    }
}

static void kv_u64(ei__sbuf_t *b, bool json, const char *k, uint64_t v)
{
    ei__sbuf_printf(b, json ? ",\"%s\":%llu" : " %s=%llu", k, (unsigned long long)v);
}

static void head(ei__sbuf_t *b, bool json, ei_log_level_t level, const char *stream,
                 const char *msg)
{
    char ts[48];
    timestamp(ts, sizeof ts);
    if (json) {
        ei__sbuf_printf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"stream\":\"%s\",\"msg\":", ts,
                        ei_log_level_name(level), stream);
        ei__sbuf_json_str(b, msg, strlen(msg));
    } else {
        ei__sbuf_printf(b, "%s %s %s ", ts, level_upper(level), stream);
        add_text(b, msg);
    }
}

static void model_kv(ei__sbuf_t *b, bool json, const char *model, int64_t version)
{
    char mv[200];
    if (model && *model && version >= 0)
        snprintf(mv, sizeof mv, "%s@%lld", model, (long long)version);
    else if (model && *model)
        snprintf(mv, sizeof mv, "%s", model);
    else
        snprintf(mv, sizeof mv, "-");
    kv_str(b, json, "model", mv);
}

void ei__log_access(const ei__v2_core_t *c, const ei__access_t *a)
{
    bool json = c->o->log_format == EI_SERVER_LOG_JSON;
    ei__sbuf_t b = {0};
    ei_log_level_t level = a->has_level                         ? a->level
                           : a->status >= 500 || a->status == 0 ? EI_LOG_WARN
                                                                : EI_LOG_INFO;
    char msg[64];
    snprintf(msg, sizeof msg, "%s", a->method ? a->method : "-");
    head(&b, json, level, "access", msg);
    kv_u64(&b, json, "req", a->id);
    model_kv(&b, json, a->model, a->version);
    kv_str(&b, json, "client", a->client ? a->client : "-");
    if (a->key && a->key[0]) /* the API key's name; the token itself is never logged */
        kv_str(&b, json, "key", a->key);
    kv_str(&b, json, "path", a->path ? a->path : "-");
    kv_u64(&b, json, "status", a->status);
    kv_u64(&b, json, "bytes_in", a->bytes_in);
    kv_u64(&b, json, "bytes_out", a->bytes_out);
    kv_u64(&b, json, "dur_us", a->dur_ns / 1000);
    if (c->o->log_verbose >= 1 && (a->queue_ns || a->compute_ns)) {
        kv_u64(&b, json, "queue_us", a->queue_ns / 1000);
        kv_u64(&b, json, "compute_us", a->compute_ns / 1000);
    }
    if (a->error && a->error[0])
        kv_str(&b, json, "error", a->error);
    if (json)
        ei__sbuf_addc(&b, '}');
    emit(c, EI_SERVER_LOG_ACCESS, level, &b);
}

void ei__log_event(const ei__v2_core_t *c, ei_log_level_t level, uint64_t req_id, const char *model,
                   int64_t version, const char *fmt, ...)
{
    if (level < EI_LOG_INFO && c->o->log_verbose < 1)
        return;
    bool json = c->o->log_format == EI_SERVER_LOG_JSON;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ei__sbuf_t b = {0};
    head(&b, json, level, "server", msg);
    if (req_id)
        kv_u64(&b, json, "req", req_id);
    else
        kv_str(&b, json, "req", "-");
    model_kv(&b, json, model, version);
    if (json)
        ei__sbuf_addc(&b, '}');
    emit(c, EI_SERVER_LOG_ERROR, level, &b);
}
