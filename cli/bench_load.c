/* SPDX-License-Identifier: MIT */
/*
 * The load of `edgeinfer bench --url`: one thread, one libcurl multi handle, a pool of easy
 * handles (one per request in flight, each reused so its keep-alive connection is too).
 *
 * Closed loop (--concurrency N): N requests are always in flight; a finished one is replaced at
 * once. Open loop (--rate R): sends are due every 1/R s from the step's start; a due send that
 * finds every slot busy (--max-inflight) waits for one and is counted as late, so the achieved
 * rate is what is reported, never the asked one.
 *
 * A step is a warm-up (requests sent, nothing recorded), then measurement windows of --duration
 * each, back to back. A request is counted in the window in which it completes; its latency runs
 * from the moment its handle was added to the multi handle to the moment its completion was read
 * (so it includes the client's own queueing in this loop, which stays in the microseconds). At
 * every window boundary the server's statistics are fetched through the same multi handle,
 * asynchronously, so the load never pauses; the server-side split of a set of windows is the
 * difference of the snapshots at its two ends. A step ends when the last three windows agree
 * (throughput and mean latency each within --stability of their mean, as perf_analyzer checks)
 * or after --max-windows; its report merges those last three windows. With --min-requests N a
 * window also lasts until N requests ended in it.
 */
#include "bench_url.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WINDOWS 64
#define MERGE 3
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

/* What one window saw. */
typedef struct window {
    ei_bench_samples_t samples;
    uint64_t ok, bytes_out, bytes_in, late;
    ei_bl_errors_t errors;
    uint64_t t0, t1;
    ei_bl_srv_stats_t srv_end; /* the snapshot taken at its end */
} window_t;

struct ei_bl {
    CURLM *multi;
    const char *infer_url;
    char *stats_url;
    char *model;
    const ei_bl_body_t *bodies;
    size_t n_bodies, next_body;
    long timeout_ms;
    struct curl_slist *stats_headers;

    slot_t **slots; /* each slot on its own: the handles point into them */
    size_t n_slots;
    size_t inflight;

    /* the current mode */
    size_t target; /* closed loop */
    size_t limit;  /* open loop: most in flight */
    double rate;   /* open loop, 0 = closed */
    uint64_t next_due_ns, interval_ns;
    bool stopping;

    window_t *rec; /* the window being recorded, or NULL */

    /* the statistics fetch */
    CURL *stats_easy;
    bool stats_busy;
    char *stats_buf;
    size_t stats_len, stats_cap;
    ei_bl_srv_stats_t *stats_dest; /* where the running fetch will land */

    char first_error[ERR_BODY_MAX + 64];
};

static const char *const transport_names[EI_BL_N_TRANSPORT] = {"timeout", "refused", "closed",
                                                               "send",    "recv",    "other"};

const char *ei_bl_transport_name(size_t i)
{
    return i < EI_BL_N_TRANSPORT ? transport_names[i] : "other";
}

uint64_t ei_bl_errors_total(const ei_bl_errors_t *e)
{
    uint64_t n = 0;
    for (size_t i = 0; i < 600; i++)
        n += e->status[i];
    for (size_t i = 0; i < EI_BL_N_TRANSPORT; i++)
        n += e->transport[i];
    return n;
}

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

static size_t stats_cb(char *ptr, size_t size, size_t nmemb, void *user)
{
    ei_bl_t *bl = user;
    size_t n = size * nmemb;
    if (bl->stats_len + n + 1 > bl->stats_cap) {
        if (bl->stats_len + n + 1 > ((size_t)16 << 20))
            return 0; /* a statistics reply this large is not one: abort it */
        size_t cap = bl->stats_cap ? bl->stats_cap : 4096;
        while (cap < bl->stats_len + n + 1)
            cap *= 2;
        char *p = realloc(bl->stats_buf, cap);
        if (p == NULL)
            return 0;
        bl->stats_buf = p;
        bl->stats_cap = cap;
    }
    memcpy(bl->stats_buf + bl->stats_len, ptr, n);
    bl->stats_len += n;
    bl->stats_buf[bl->stats_len] = '\0';
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

ei_code_t ei_bl_create(const char *infer_url, const char *stats_url, const char *model,
                       const ei_bl_body_t *bodies, size_t n_bodies, double timeout_s,
                       const char *const *extra_headers, size_t n_extra, ei_bl_t **out,
                       ei_error_t *err)
{
    *out = NULL;
    ei_bl_t *bl = calloc(1, sizeof(*bl));
    if (bl == NULL)
        goto oom;
    bl->infer_url = infer_url;
    bl->bodies = bodies;
    bl->n_bodies = n_bodies;
    bl->timeout_ms = (long)(timeout_s * 1000.0);
    if (bl->timeout_ms < 1)
        bl->timeout_ms = 1;
    bl->model = strdup(model);
    bl->multi = curl_multi_init();
    if (bl->model == NULL || bl->multi == NULL)
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
        curl_easy_setopt(bl->stats_easy, CURLOPT_WRITEFUNCTION, stats_cb);
        curl_easy_setopt(bl->stats_easy, CURLOPT_WRITEDATA, bl);
    }
    *out = bl;
    return EI_OK;
oom:
    ei_bl_destroy(bl);
    snprintf(err->msg, sizeof(err->msg), "out of memory setting up the load generator");
    err->code = EI_ENOMEM;
    return EI_ENOMEM;
}

const char *ei_bl_first_error(const ei_bl_t *bl)
{
    return bl->first_error;
}

/* Makes room for `n` slots (never shrinks: handles keep their connections). */
static bool grow_slots(ei_bl_t *bl, size_t n)
{
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

static bool start_one(ei_bl_t *bl)
{
    slot_t *s = NULL;
    for (size_t i = 0; i < bl->n_slots; i++) {
        if (!bl->slots[i]->busy) {
            s = bl->slots[i];
            break;
        }
    }
    if (s == NULL)
        return false;
    const ei_bl_body_t *b = &bl->bodies[bl->next_body];
    bl->next_body = (bl->next_body + 1) % bl->n_bodies;
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, b->data);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->size);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)b->headers);
    s->bytes_in = 0;
    s->body_len = 0;
    s->errbuf[0] = '\0';
    s->start_ns = ei_bench_now_ns();
    if (curl_multi_add_handle(bl->multi, s->easy) != CURLM_OK)
        return false;
    s->busy = true;
    bl->inflight++;
    if (bl->rec != NULL)
        bl->rec->bytes_out += b->size;
    return true;
}

static void note_first_error(ei_bl_t *bl, const slot_t *s, long status, CURLcode cc)
{
    if (bl->first_error[0] != '\0')
        return;
    if (cc != CURLE_OK) {
        snprintf(bl->first_error, sizeof(bl->first_error), "%s",
                 s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
        return;
    }
    int n = (int)s->body_len;
    while (n > 0 && (s->body[n - 1] == '\n' || s->body[n - 1] == '\r'))
        n--;
    snprintf(bl->first_error, sizeof(bl->first_error), "HTTP %ld: %.*s", status, n, s->body);
}

static void finish_stats(ei_bl_t *bl, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(bl->stats_easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(bl->multi, bl->stats_easy);
    bl->stats_busy = false;
    if (bl->stats_dest == NULL)
        return;
    if (cc == CURLE_OK && status == 200)
        ei_bl_parse_stats(bl->stats_buf ? bl->stats_buf : "", bl->stats_len, bl->model,
                          bl->stats_dest);
    else
        memset(bl->stats_dest, 0, sizeof(*bl->stats_dest));
    bl->stats_dest = NULL;
}

/* Reads completions: records them in the current window and frees their slots. Returns how
 * many transfers ended. */
static size_t reap(ei_bl_t *bl)
{
    CURLMsg *m;
    int left;
    size_t ended = 0;
    while ((m = curl_multi_info_read(bl->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        ended++;
        CURL *e = m->easy_handle;
        CURLcode cc = m->data.result;
        if (e == bl->stats_easy) {
            finish_stats(bl, cc);
            continue;
        }
        uint64_t now = ei_bench_now_ns();
        slot_t *s = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(bl->multi, e);
        s->busy = false;
        bl->inflight--;
        bool ok = cc == CURLE_OK && status >= 200 && status < 300;
        if (!ok)
            note_first_error(bl, s, status, cc);
        window_t *w = bl->rec;
        if (w == NULL)
            continue;
        w->bytes_in += s->bytes_in;
        if (ok) {
            w->ok++;
            /* A failed push (out of memory) loses a sample, never the count. */
            (void)ei_bench_samples_push(&w->samples, now - s->start_ns);
        } else if (cc != CURLE_OK) {
            w->errors.transport[transport_kind(cc)]++;
        } else {
            w->errors.status[status > 0 && status < 600 ? status : 0]++;
        }
    }
    return ended;
}

/* Starts what the mode asks for at `now`. */
static void feed(ei_bl_t *bl, uint64_t now)
{
    if (bl->stopping)
        return;
    if (bl->rate <= 0.0) {
        while (bl->inflight < bl->target && start_one(bl)) {
        }
        return;
    }
    while (bl->next_due_ns <= now) {
        if (bl->inflight >= bl->limit || !start_one(bl))
            return; /* every slot busy: it goes as soon as one frees */
        if (bl->rec != NULL && now - bl->next_due_ns > bl->interval_ns)
            bl->rec->late++;
        bl->next_due_ns += bl->interval_ns;
    }
}

/* Drives the load until `until_ns` (or, with until_ns == 0, until nothing is in flight). */
static void run_until(ei_bl_t *bl, uint64_t until_ns)
{
    for (;;) {
        uint64_t now = ei_bench_now_ns();
        if (until_ns != 0 && now >= until_ns)
            break;
        if (until_ns == 0 && bl->inflight == 0 && !bl->stats_busy)
            break;
        feed(bl, now);
        int running = 0;
        curl_multi_perform(bl->multi, &running);
        if (reap(bl) > 0)
            continue; /* refill the freed slots before waiting */
        now = ei_bench_now_ns();
        uint64_t wake = until_ns != 0 ? until_ns : now + 100000000ull;
        if (bl->rate > 0.0 && !bl->stopping && bl->inflight < bl->limit && bl->next_due_ns < wake)
            wake = bl->next_due_ns;
        if (wake <= now)
            continue;
        /* Whole milliseconds, rounded up: an open loop may send up to 1 ms late, and the next
         * sends catch up (their due times do not move). */
        uint64_t ms = (wake - now + 999999ull) / 1000000ull;
        if (ms > 100)
            ms = 100;
        curl_multi_poll(bl->multi, NULL, 0, (int)ms, NULL);
    }
}

/* Starts a statistics fetch that will land in *dest; false when one is still running. */
static bool fetch_stats(ei_bl_t *bl, ei_bl_srv_stats_t *dest)
{
    memset(dest, 0, sizeof(*dest));
    if (bl->stats_easy == NULL || bl->stats_busy)
        return false;
    bl->stats_len = 0;
    bl->stats_dest = dest;
    if (curl_multi_add_handle(bl->multi, bl->stats_easy) != CURLM_OK) {
        bl->stats_dest = NULL;
        return false;
    }
    bl->stats_busy = true;
    return true;
}

static void wait_stats(ei_bl_t *bl)
{
    while (bl->stats_busy) {
        uint64_t now = ei_bench_now_ns();
        run_until(bl, now + 2000000ull);
    }
}

static void srv_delta(const ei_bl_srv_stats_t *a, const ei_bl_srv_stats_t *b, ei_bl_step_t *st)
{
    st->srv_ok = a->ok && b->ok && b->success_count >= a->success_count &&
                 b->queue_count >= a->queue_count && b->compute_count >= a->compute_count;
    if (!st->srv_ok)
        return;
    st->srv_requests = b->success_count - a->success_count;
    uint64_t qn = b->queue_count - a->queue_count;
    uint64_t cn = b->compute_count - a->compute_count;
    st->srv_queue_ms = qn ? (double)(b->queue_ns - a->queue_ns) / (double)qn / 1e6 : 0.0;
    double comp = (double)(b->compute_input_ns - a->compute_input_ns) +
                  (double)(b->compute_infer_ns - a->compute_infer_ns) +
                  (double)(b->compute_output_ns - a->compute_output_ns);
    st->srv_compute_ms = cn ? comp / (double)cn / 1e6 : 0.0;
    st->srv_compute_infer_ms =
        cn ? (double)(b->compute_infer_ns - a->compute_infer_ns) / (double)cn / 1e6 : 0.0;
}

static void errors_add(ei_bl_errors_t *d, const ei_bl_errors_t *s)
{
    for (size_t i = 0; i < 600; i++)
        d->status[i] += s->status[i];
    for (size_t i = 0; i < EI_BL_N_TRANSPORT; i++)
        d->transport[i] += s->transport[i];
}

static double window_mean_ms(const window_t *w)
{
    double sum = 0.0;
    for (size_t i = 0; i < w->samples.n; i++)
        sum += (double)w->samples.ns[i];
    return w->samples.n ? sum / (double)w->samples.n / 1e6 : 0.0;
}

static double window_rps(const window_t *w)
{
    return w->t1 > w->t0 ? (double)w->ok / ((double)(w->t1 - w->t0) / 1e9) : 0.0;
}

/* perf_analyzer's rule: the last three windows' throughput and mean latency within +-stability
 * of their mean. */
static bool stable(const window_t *w, int n, double tol)
{
    if (n < MERGE)
        return false;
    double rps[MERGE], lat[MERGE], mr = 0.0, ml = 0.0;
    for (int i = 0; i < MERGE; i++) {
        rps[i] = window_rps(&w[n - MERGE + i]);
        lat[i] = window_mean_ms(&w[n - MERGE + i]);
        mr += rps[i] / MERGE;
        ml += lat[i] / MERGE;
    }
    if (mr <= 0.0)
        return false;
    for (int i = 0; i < MERGE; i++) {
        if (fabs(rps[i] - mr) > tol * mr || fabs(lat[i] - ml) > tol * ml)
            return false;
    }
    return true;
}

/* Merges windows [from, to) into the step report. */
static ei_code_t merge(window_t *w, int from, int to, const ei_bl_srv_stats_t *srv_start,
                       ei_bl_step_t *st, ei_error_t *err)
{
    ei_bench_samples_t all = {0};
    size_t n = 0;
    for (int i = from; i < to; i++)
        n += w[i].samples.n;
    if (!ei_bench_samples_reserve(&all, n ? n : 1)) {
        err->code = EI_ENOMEM;
        snprintf(err->msg, sizeof(err->msg), "out of memory merging %zu latency samples", n);
        return EI_ENOMEM;
    }
    st->secs = 0.0;
    for (int i = from; i < to; i++) {
        memcpy(all.ns + all.n, w[i].samples.ns, w[i].samples.n * sizeof(uint64_t));
        all.n += w[i].samples.n;
        st->ok += w[i].ok;
        st->bytes_in += w[i].bytes_in;
        st->bytes_out += w[i].bytes_out;
        st->late += w[i].late;
        st->secs += (double)(w[i].t1 - w[i].t0) / 1e9;
        errors_add(&st->errors, &w[i].errors);
    }
    ei_bench_stats_compute(all.ns, all.n, &st->lat);
    ei_bench_samples_free(&all);
    srv_delta(from == 0 ? srv_start : &w[from - 1].srv_end, &w[to - 1].srv_end, st);
    return EI_OK;
}

ei_code_t ei_bl_run_step(ei_bl_t *bl, const ei_bl_step_opts_t *o, ei_bl_progress_fn progress,
                         void *user, ei_bl_step_t *out, ei_error_t *err)
{
    memset(out, 0, sizeof(*out));
    out->concurrency = o->concurrency;
    out->rate = o->rate;
    int max_w = o->max_windows < 1             ? 1
                : o->max_windows > MAX_WINDOWS ? MAX_WINDOWS
                                               : o->max_windows;
    size_t need = o->rate > 0.0 ? (size_t)o->max_inflight : (size_t)o->concurrency;
    if (!grow_slots(bl, need)) {
        err->code = EI_ENOMEM;
        snprintf(err->msg, sizeof(err->msg), "cannot set up %zu connections", need);
        return EI_ENOMEM;
    }
    window_t *w = calloc((size_t)max_w, sizeof(*w));
    if (w == NULL) {
        err->code = EI_ENOMEM;
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return EI_ENOMEM;
    }
    bl->target = o->rate > 0.0 ? 0 : (size_t)o->concurrency;
    bl->rate = o->rate;
    bl->limit = need;
    bl->stopping = false;
    uint64_t now = ei_bench_now_ns();
    if (o->rate > 0.0) {
        bl->interval_ns = (uint64_t)(1e9 / o->rate);
        if (bl->interval_ns == 0)
            bl->interval_ns = 1;
        bl->next_due_ns = now;
    }

    /* Warm-up, then the snapshot that opens the first window. */
    run_until(bl, now + (uint64_t)(o->warmup_s * 1e9));
    wait_stats(bl);
    ei_bl_srv_stats_t srv_start;
    fetch_stats(bl, &srv_start);
    wait_stats(bl);

    uint64_t win_ns = (uint64_t)(o->window_s * 1e9);
    ei_code_t rc = EI_OK;
    int n = 0;
    while (n < max_w) {
        window_t *cur = &w[n];
        size_t guess = o->rate > 0.0 ? (size_t)(o->rate * o->window_s * 1.5) + 64 : 4096;
        if (!ei_bench_samples_reserve(&cur->samples, guess)) {
            rc = EI_ENOMEM;
            snprintf(err->msg, sizeof(err->msg), "out of memory for latency samples");
            err->code = rc;
            goto out;
        }
        cur->t0 = ei_bench_now_ns();
        bl->rec = cur;
        run_until(bl, cur->t0 + win_ns);
        /* Count windows (perf_analyzer's count_windows): also wait for enough answers, each
         * bounded by the request timeout, so a slow server still gives a measurement. */
        while (cur->ok + ei_bl_errors_total(&cur->errors) < o->min_requests)
            run_until(bl, ei_bench_now_ns() + 1000000ull);
        bl->rec = NULL;
        cur->t1 = ei_bench_now_ns();
        /* The next window starts now; the snapshot lands a moment later (load goes on). */
        wait_stats(bl);
        fetch_stats(bl, &cur->srv_end);
        n++;
        if (progress != NULL) {
            ei_bl_step_t one;
            memset(&one, 0, sizeof(one));
            one.concurrency = o->concurrency;
            one.rate = o->rate;
            wait_stats(bl);
            rc = merge(w, n - 1, n, &srv_start, &one, err);
            if (rc != EI_OK)
                goto out;
            progress(o, n, &one, user);
        }
        if (stable(w, n, o->stability)) {
            out->stable = true;
            break;
        }
    }
    wait_stats(bl);
    out->windows = n;
    rc = merge(w, n > MERGE ? n - MERGE : 0, n, &srv_start, out, err);
out:
    bl->rec = NULL;
    for (int i = 0; i < max_w; i++)
        ei_bench_samples_free(&w[i].samples);
    free(w);
    return rc;
}

void ei_bl_destroy(ei_bl_t *bl)
{
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
    free(bl->stats_buf);
    free(bl->stats_url);
    free(bl->model);
    free(bl);
}

typedef struct getbuf {
    char *p;
    size_t n, cap;
} getbuf_t;

static size_t get_cb(char *ptr, size_t size, size_t nmemb, void *user)
{
    getbuf_t *g = user;
    size_t n = size * nmemb;
    if (g->n + n + 1 > g->cap) {
        if (g->n + n + 1 > ((size_t)64 << 20))
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

ei_code_t ei_bl_http_get(const char *url, const char *const *extra, size_t n_extra,
                         double timeout_s, char **body, long *status, ei_error_t *err)
{
    *body = NULL;
    *status = 0;
    getbuf_t g = {0};
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
