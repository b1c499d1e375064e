/* SPDX-License-Identifier: MIT */
/*
 * The load of `edgeinfer bench --url`, whatever the protocol (the transports, bench_http.c and
 * bench_grpc.c, send the requests and report how each ended; see bench_url.h).
 *
 * Closed loop (--concurrency N): N requests are always in flight; a finished one is replaced at
 * once. Open loop (--rate R): sends are due every 1/R s from the step's start; a due send that
 * finds every slot busy (--max-inflight) waits for one and is counted as late, so the achieved
 * rate is what is reported, never the asked one.
 *
 * A step is a warm-up (requests sent, nothing recorded), then measurement windows of --duration
 * each, back to back. A request is counted in the window in which it completes; its latency runs
 * from the moment it was handed to the transport to the moment its completion was read (so it
 * includes the client's own queueing in this loop, which stays in the microseconds). At every
 * window boundary the server's statistics are fetched through the transport, asynchronously, so
 * the load never pauses; the server-side split of a set of windows is the difference of the
 * snapshots at its two ends. A step ends when the last three windows agree (throughput and mean
 * latency each within --stability of their mean, as perf_analyzer checks) or after --max-windows;
 * its report merges those last three windows. With --min-requests N a window also lasts until N
 * requests ended in it.
 */
#include "bench_url.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WINDOWS 64
#define MERGE 3
#define ERR_HINT_MAX 364

/* What one window saw. */
typedef struct window {
    ei_bench_samples_t samples;
    uint64_t ok, bytes_out, bytes_in, late;
    ei_bl_errors_t errors;
    uint64_t t0, t1;
    ei_bl_srv_stats_t srv_end; /* the snapshot taken at its end */
} window_t;

struct ei_bl {
    const ei_bl_transport_t *tr;
    void *t;
    const ei_bl_body_t *bodies;
    size_t n_bodies, next_body;
    size_t inflight;

    /* the current mode */
    size_t target; /* closed loop */
    size_t limit;  /* open loop: most in flight */
    double rate;   /* open loop, 0 = closed */
    uint64_t next_due_ns, interval_ns;
    bool stopping;

    window_t *rec; /* the window being recorded, or NULL */

    char first_error[ERR_HINT_MAX];
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
    for (size_t i = 0; i < EI_BL_N_GRPC; i++)
        n += e->grpc[i];
    for (size_t i = 0; i < EI_BL_N_TRANSPORT; i++)
        n += e->transport[i];
    return n;
}

static const char *const grpc_names[EI_BL_N_GRPC] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

const char *ei_bl_grpc_status_name(size_t i)
{
    return i < EI_BL_N_GRPC ? grpc_names[i] : "UNKNOWN";
}

ei_code_t ei_bl_create(const ei_bl_transport_t *tr, void *t, const ei_bl_body_t *bodies,
                       size_t n_bodies, ei_bl_t **out, ei_error_t *err)
{
    *out = NULL;
    ei_bl_t *bl = calloc(1, sizeof(*bl));
    if (bl == NULL) {
        tr->destroy(t);
        snprintf(err->msg, sizeof(err->msg), "out of memory setting up the load generator");
        err->code = EI_ENOMEM;
        return EI_ENOMEM;
    }
    bl->tr = tr;
    bl->t = t;
    bl->bodies = bodies;
    bl->n_bodies = n_bodies;
    *out = bl;
    return EI_OK;
}

const char *ei_bl_first_error(const ei_bl_t *bl)
{
    return bl->first_error;
}

static bool start_one(ei_bl_t *bl)
{
    const ei_bl_body_t *b = &bl->bodies[bl->next_body];
    if (!bl->tr->start(bl->t, b, ei_bench_now_ns()))
        return false;
    bl->next_body = (bl->next_body + 1) % bl->n_bodies;
    bl->inflight++;
    if (bl->rec != NULL)
        bl->rec->bytes_out += b->size;
    return true;
}

void ei_bl_done(ei_bl_t *bl, uint64_t start_ns, const ei_bl_outcome_t *o)
{
    uint64_t now = ei_bench_now_ns();
    bl->inflight--;
    if (o->kind != EI_BL_OK && bl->first_error[0] == '\0')
        snprintf(bl->first_error, sizeof(bl->first_error), "%s",
                 o->error != NULL && o->error[0] ? o->error : "(no detail)");
    window_t *w = bl->rec;
    if (w == NULL)
        return;
    w->bytes_in += o->bytes_in;
    switch (o->kind) {
    case EI_BL_OK:
        w->ok++;
        /* A failed push (out of memory) loses a sample, never the count. */
        (void)ei_bench_samples_push(&w->samples, now - start_ns);
        break;
    case EI_BL_HTTP:
        w->errors.status[o->code >= 0 && o->code < 600 ? o->code : 0]++;
        break;
    case EI_BL_GRPC:
        w->errors.grpc[o->code > 0 && o->code < EI_BL_N_GRPC ? o->code : 2]++;
        break;
    case EI_BL_TRANSPORT:
        w->errors.transport[o->code >= 0 && o->code < EI_BL_N_TRANSPORT ? o->code : 5]++;
        break;
    }
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
        if (until_ns == 0 && bl->inflight == 0 && !bl->tr->stats_busy(bl->t))
            break;
        feed(bl, now);
        uint64_t wake = until_ns != 0 ? until_ns : now + 100000000ull;
        if (bl->rate > 0.0 && !bl->stopping && bl->inflight < bl->limit && bl->next_due_ns < wake)
            wake = bl->next_due_ns;
        bl->tr->pump(bl->t, bl, wake);
    }
}

/* Starts a statistics fetch that will land in *dest; false when one is still running. */
static bool fetch_stats(ei_bl_t *bl, ei_bl_srv_stats_t *dest)
{
    memset(dest, 0, sizeof(*dest));
    return bl->tr->stats_start(bl->t, dest);
}

static void wait_stats(ei_bl_t *bl)
{
    while (bl->tr->stats_busy(bl->t)) {
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
    for (size_t i = 0; i < EI_BL_N_GRPC; i++)
        d->grpc[i] += s->grpc[i];
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
    if (!bl->tr->grow(bl->t, need)) {
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
    /* Requests still in flight are abandoned: the run is over. */
    bl->tr->destroy(bl->t);
    free(bl);
}
