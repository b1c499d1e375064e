/* SPDX-License-Identifier: MIT */
/*
 * The HTTP transport of `edgeinfer bench --url` (see bench_load.c for the load itself): one
 * libcurl multi handle and a pool of easy handles, one per request in flight, each reused so its
 * keep-alive connection is too. A request's latency runs from the moment its handle was added to
 * the multi handle to the moment its completion was read. The statistics (Triton's
 * /v2/models/M/stats) are fetched through the same multi handle, asynchronously, so the load never
 * pauses. Also the one-shot GET the metadata and config are read with.
 */
#include "bench_url.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BODY_MAX 300

typedef struct slot {
    CURL *easy;
    uint64_t start_ns;
    bool busy;
    uint64_t bytes_in;
    char errbuf[CURL_ERROR_SIZE];
    char body[ERR_BODY_MAX + 1]; /* the start of the reply, for the first error's hint */
    size_t body_len;
} slot_t;

/* A reply read into memory, NUL-terminated, up to `max` bytes (a larger one aborts the read). */
typedef struct getbuf {
    char *p;
    size_t n, cap, max;
} getbuf_t;

typedef struct http {
    CURLM *multi;
    char *infer_url;
    char *stats_url;
    char *model;
    long timeout_ms;
    struct curl_slist *stats_headers;

    slot_t **slots; /* each slot on its own: the handles point into them */
    size_t n_slots;

    CURL *stats_easy;
    bool stats_busy;
    getbuf_t stats_buf;
    ei_bl_srv_stats_t *stats_dest; /* where the running fetch will land */
} http_t;

static size_t transport_kind(CURLcode c)
{
    switch (c) {
    case CURLE_OPERATION_TIMEDOUT:
        return 0;
    case CURLE_COULDNT_CONNECT:
        return 1;
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return 2;
    case CURLE_SEND_ERROR:
        return 3;
    case CURLE_RECV_ERROR:
        return 4;
    default:
        return 5;
    }
}

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *user)
{
    slot_t *s = user;
    size_t n = size * nmemb;
    s->bytes_in += n;
    if (s->body_len < ERR_BODY_MAX) {
        size_t take = n < ERR_BODY_MAX - s->body_len ? n : ERR_BODY_MAX - s->body_len;
        memcpy(s->body + s->body_len, ptr, take);
        s->body_len += take;
    }
    return n;
}

static size_t get_cb(char *ptr, size_t size, size_t nmemb, void *user)
{
    getbuf_t *g = user;
    size_t n = size * nmemb;
    if (g->n + n + 1 > g->cap) {
        if (g->n + n + 1 > g->max)
            return 0;
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->n + n + 1)
            cap *= 2;
        char *q = realloc(g->p, cap);
        if (q == NULL)
            return 0;
        g->p = q;
        g->cap = cap;
    }
    memcpy(g->p + g->n, ptr, n);
    g->n += n;
    g->p[g->n] = '\0';
    return n;
}

static uint64_t jget_u64(json_t *o, const char *a, const char *b)
{
    json_t *x = json_object_get(json_object_get(o, a), b);
    return json_is_integer(x) && json_integer_value(x) > 0 ? (uint64_t)json_integer_value(x) : 0;
}

void ei_bl_parse_stats(const char *text, size_t len, const char *model, ei_bl_srv_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    json_t *root = json_loadb(text, len, 0, NULL);
    json_t *arr = json_object_get(root, "model_stats");
    size_t i;
    json_t *m;
    if (!json_is_array(arr))
        goto out;
    json_array_foreach(arr, i, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        json_t *is = json_object_get(m, "inference_stats");
        if (name == NULL || strcmp(name, model) != 0 || !json_is_object(is))
            continue;
        out->ok = true;
        out->success_count += jget_u64(is, "success", "count");
        out->success_ns += jget_u64(is, "success", "ns");
        out->queue_count += jget_u64(is, "queue", "count");
        out->queue_ns += jget_u64(is, "queue", "ns");
        out->compute_count += jget_u64(is, "compute_infer", "count");
        out->compute_input_ns += jget_u64(is, "compute_input", "ns");
        out->compute_infer_ns += jget_u64(is, "compute_infer", "ns");
        out->compute_output_ns += jget_u64(is, "compute_output", "ns");
    }
out:
    json_decref(root);
}

static void set_common(CURL *e, long timeout_ms)
{
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
}

/* Makes room for `n` slots (never shrinks: handles keep their connections). */
static bool http_grow(void *tp, size_t n)
{
    http_t *bl = tp;
    if (n <= bl->n_slots)
        return true;
    slot_t **arr = realloc(bl->slots, n * sizeof(*arr));
    if (arr == NULL)
        return false;
    bl->slots = arr;
    while (bl->n_slots < n) {
        slot_t *s = calloc(1, sizeof(*s));
        if (s == NULL)
            return false;
        s->easy = curl_easy_init();
        if (s->easy == NULL) {
            free(s);
            return false;
        }
        set_common(s->easy, bl->timeout_ms);
        curl_easy_setopt(s->easy, CURLOPT_URL, bl->infer_url);
        curl_easy_setopt(s->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard_cb);
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(s->easy, CURLOPT_PRIVATE, (void *)s);
        curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
        arr[bl->n_slots++] = s;
    }
    /* Keep a connection per slot, and a few spare for the statistics fetch. */
    curl_multi_setopt(bl->multi, CURLMOPT_MAXCONNECTS, (long)n + 4);
    return true;
}

static bool http_start(void *tp, const ei_bl_body_t *b, uint64_t start_ns)
{
    http_t *bl = tp;
    slot_t *s = NULL;
    for (size_t i = 0; i < bl->n_slots; i++) {
        if (!bl->slots[i]->busy) {
            s = bl->slots[i];
            break;
        }
    }
    if (s == NULL)
        return false;
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, b->data);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->size);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)b->headers);
    s->bytes_in = 0;
    s->body_len = 0;
    s->errbuf[0] = '\0';
    s->start_ns = start_ns;
    if (curl_multi_add_handle(bl->multi, s->easy) != CURLM_OK)
        return false;
    s->busy = true;
    return true;
}

static void finish_stats(http_t *bl, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(bl->stats_easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(bl->multi, bl->stats_easy);
    bl->stats_busy = false;
    if (bl->stats_dest == NULL)
        return;
    if (cc == CURLE_OK && status == 200)
        ei_bl_parse_stats(bl->stats_buf.p ? bl->stats_buf.p : "", bl->stats_buf.n, bl->model,
                          bl->stats_dest);
    else
        memset(bl->stats_dest, 0, sizeof(*bl->stats_dest));
    bl->stats_dest = NULL;
}

/* Reads completions and hands them to the load. Returns how many transfers ended. */
static size_t reap(http_t *h, ei_bl_t *bl)
{
    CURLMsg *m;
    int left;
    size_t ended = 0;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        ended++;
        CURL *e = m->easy_handle;
        CURLcode cc = m->data.result;
        if (e == h->stats_easy) {
            finish_stats(h, cc);
            continue;
        }
        slot_t *s = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(h->multi, e);
        s->busy = false;
        ei_bl_outcome_t o = {EI_BL_OK, 0, s->bytes_in, NULL};
        char hint[ERR_BODY_MAX + 64];
        if (cc != CURLE_OK) {
            o.kind = EI_BL_TRANSPORT;
            o.code = (int)transport_kind(cc);
            o.error = s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc);
        } else if (status < 200 || status >= 300) {
            int n = (int)s->body_len;
            while (n > 0 && (s->body[n - 1] == '\n' || s->body[n - 1] == '\r'))
                n--;
            snprintf(hint, sizeof(hint), "HTTP %ld: %.*s", status, n, s->body);
            o.kind = EI_BL_HTTP;
            o.code = status > 0 && status < 600 ? (int)status : 0;
            o.error = hint;
        }
        ei_bl_done(bl, s->start_ns, &o);
    }
    return ended;
}

static void http_pump(void *tp, ei_bl_t *bl, uint64_t wake_ns)
{
    http_t *h = tp;
    int running = 0;
    curl_multi_perform(h->multi, &running);
    if (reap(h, bl) > 0)
        return; /* refill the freed slots before waiting */
    uint64_t now = ei_bench_now_ns();
    if (wake_ns <= now)
        return;
    /* Whole milliseconds, rounded up: an open loop may send up to 1 ms late, and the next sends
     * catch up (their due times do not move). */
    uint64_t ms = (wake_ns - now + 999999ull) / 1000000ull;
    if (ms > 100)
        ms = 100;
    curl_multi_poll(h->multi, NULL, 0, (int)ms, NULL);
}

static bool http_stats_start(void *tp, ei_bl_srv_stats_t *dest)
{
    http_t *bl = tp;
    if (bl->stats_easy == NULL || bl->stats_busy)
        return false;
    bl->stats_buf.n = 0;
    bl->stats_dest = dest;
    if (curl_multi_add_handle(bl->multi, bl->stats_easy) != CURLM_OK) {
        bl->stats_dest = NULL;
        return false;
    }
    bl->stats_busy = true;
    return true;
}

static bool http_stats_busy(void *tp)
{
    return ((http_t *)tp)->stats_busy;
}

static void http_destroy(void *tp)
{
    http_t *bl = tp;
    if (bl == NULL)
        return;
    /* Requests still in flight are abandoned (their connections closed): the run is over. */
    for (size_t i = 0; i < bl->n_slots; i++) {
        if (bl->slots[i]->busy)
            curl_multi_remove_handle(bl->multi, bl->slots[i]->easy);
        curl_easy_cleanup(bl->slots[i]->easy);
        free(bl->slots[i]);
    }
    free(bl->slots);
    if (bl->stats_easy != NULL) {
        if (bl->stats_busy)
            curl_multi_remove_handle(bl->multi, bl->stats_easy);
        curl_easy_cleanup(bl->stats_easy);
    }
    curl_slist_free_all(bl->stats_headers);
    if (bl->multi != NULL)
        curl_multi_cleanup(bl->multi);
    free(bl->stats_buf.p);
    free(bl->stats_url);
    free(bl->infer_url);
    free(bl->model);
    free(bl);
}

static const ei_bl_transport_t http_transport = {http_grow,        http_start,      http_pump,
                                                 http_stats_start, http_stats_busy, http_destroy};

ei_code_t ei_bl_http_transport(const char *infer_url, const char *stats_url, const char *model,
                               double timeout_s, const char *const *extra_headers, size_t n_extra,
                               const ei_bl_transport_t **tr, void **t, ei_error_t *err)
{
    http_t *bl = calloc(1, sizeof(*bl));
    if (bl == NULL)
        goto oom;
    bl->timeout_ms = (long)(timeout_s * 1000.0);
    if (bl->timeout_ms < 1)
        bl->timeout_ms = 1;
    bl->infer_url = strdup(infer_url);
    bl->model = strdup(model);
    bl->multi = curl_multi_init();
    if (bl->infer_url == NULL || bl->model == NULL || bl->multi == NULL)
        goto oom;
    if (stats_url != NULL) {
        bl->stats_url = strdup(stats_url);
        bl->stats_easy = curl_easy_init();
        if (bl->stats_url == NULL || bl->stats_easy == NULL)
            goto oom;
        for (size_t i = 0; i < n_extra; i++) {
            struct curl_slist *h = curl_slist_append(bl->stats_headers, extra_headers[i]);
            if (h == NULL)
                goto oom;
            bl->stats_headers = h;
        }
        set_common(bl->stats_easy, bl->timeout_ms);
        curl_easy_setopt(bl->stats_easy, CURLOPT_URL, bl->stats_url);
        curl_easy_setopt(bl->stats_easy, CURLOPT_HTTPHEADER, bl->stats_headers);
        bl->stats_buf.max = (size_t)16 << 20; /* a statistics reply this large is not one */
        curl_easy_setopt(bl->stats_easy, CURLOPT_WRITEFUNCTION, get_cb);
        curl_easy_setopt(bl->stats_easy, CURLOPT_WRITEDATA, &bl->stats_buf);
    }
    *tr = &http_transport;
    *t = bl;
    return EI_OK;
oom:
    http_destroy(bl);
    snprintf(err->msg, sizeof(err->msg), "out of memory setting up the load generator");
    err->code = EI_ENOMEM;
    return EI_ENOMEM;
}

ei_code_t ei_bl_http_get(const char *url, const char *const *extra, size_t n_extra,
                         double timeout_s, char **body, long *status, ei_error_t *err)
{
    *body = NULL;
    *status = 0;
    getbuf_t g = {NULL, 0, 0, (size_t)64 << 20};
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hl = NULL;
    ei_code_t rc = EI_OK;
    CURL *e = curl_easy_init();
    if (e == NULL) {
        err->code = EI_ENOMEM;
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return EI_ENOMEM;
    }
    for (size_t i = 0; i < n_extra; i++) {
        struct curl_slist *h = curl_slist_append(hl, extra[i]);
        if (h == NULL) {
            rc = EI_ENOMEM;
            snprintf(err->msg, sizeof(err->msg), "out of memory");
            goto out;
        }
        hl = h;
    }
    set_common(e, (long)(timeout_s * 1000.0));
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, get_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(e);
    if (cc != CURLE_OK) {
        rc = cc == CURLE_OPERATION_TIMEDOUT ? EI_ETIMEDOUT : EI_EIO;
        snprintf(err->msg, sizeof(err->msg), "GET %s: %s", url,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    if (g.p == NULL) {
        g.p = calloc(1, 1);
        if (g.p == NULL) {
            rc = EI_ENOMEM;
            snprintf(err->msg, sizeof(err->msg), "out of memory");
            goto out;
        }
    }
    *body = g.p;
    g.p = NULL;
out:
    if (rc != EI_OK)
        err->code = rc;
    free(g.p);
    curl_slist_free_all(hl);
    curl_easy_cleanup(e);
    return rc;
}
