/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics on the metrics port: Prometheus text format 0.0.4. Triton's per-model counters
 * (nv_inference_*, labels model and version) so existing dashboards work, our histograms
 * (ei_*_duration_seconds, ei_batch_size), HTTP counters and the process's resident memory. Every
 * family is written once with all its samples, as the format requires.
 */
#include "http.h"
#include "prom.h"
#include "rest.h"
#include "sbuf.h"

#include <edgeinfer/runtime.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

typedef struct held {
    ei__model_t **m;
    size_t n, cap;
} held_t;

static void hold_one(ei__model_t *m, void *user)
{
    held_t *h = user;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        ei__model_t **p = ei__realloc(h->m, cap * sizeof *p);
        if (!p)
            return;
        h->m = p;
        h->cap = cap;
    }
    ei__model_retain(m);
    h->m[h->n++] = m;
}

/* model="<name>",version="<v>" with the label value escaped as the format requires. */
static void label_pairs(ei__sbuf_t *b, ei__model_t *m)
{
    ei__sbuf_adds(b, "model=\"");
    for (const char *p = ei__model_name(m); *p; p++) {
        if (*p == '\\' || *p == '"')
            ei__sbuf_addc(b, '\\');
        if (*p == '\n') {
            ei__sbuf_adds(b, "\\n");
            continue;
        }
        ei__sbuf_addc(b, *p);
    }
    ei__sbuf_printf(b, "\",version=\"%lld\"", (long long)ei__model_version(m));
}

/* {model="<name>",version="<v>"[,extra]} */
static void labels(ei__sbuf_t *b, ei__model_t *m, const char *extra)
{
    ei__sbuf_addc(b, '{');
    label_pairs(b, m);
    ei__sbuf_printf(b, "%s%s}", extra ? "," : "", extra ? extra : "");
}

enum counter_id {
    C_SUCCESS,
    C_FAILURE,
    C_COUNT,
    C_EXEC,
    C_PENDING,
    C_REQ_US,
    C_QUEUE_US,
    C_IN_US,
    C_INFER_US,
    C_OUT_US
};

static const struct {
    const char *name, *type, *help;
} counters[] = {
    {"nv_inference_request_success", "counter",
     "Number of successful inference requests, all batch sizes"},
    {"nv_inference_request_failure", "counter",
     "Number of failed inference requests, all batch sizes"},
    {"nv_inference_count", "counter", "Number of inferences performed (a batch of n counts n)"},
    {"nv_inference_exec_count", "counter", "Number of model executions performed"},
    {"nv_inference_pending_request_count", "gauge",
     "Instantaneous number of pending requests awaiting execution per-model"},
    {"nv_inference_request_duration_us", "counter",
     "Cumulative inference request duration in microseconds (includes cached requests)"},
    {"nv_inference_queue_duration_us", "counter",
     "Cumulative inference queuing duration in microseconds"},
    {"nv_inference_compute_input_duration_us", "counter",
     "Cumulative compute input duration in microseconds"},
    {"nv_inference_compute_infer_duration_us", "counter",
     "Cumulative compute inference duration in microseconds"},
    {"nv_inference_compute_output_duration_us", "counter",
     "Cumulative inference compute output duration in microseconds"},
};

static uint64_t counter_value(ei__model_stats_t *st, int id)
{
    switch ((enum counter_id)id) {
    case C_SUCCESS:
        return LD(st->success_count);
    case C_FAILURE:
        return LD(st->fail_count);
    case C_COUNT:
        return LD(st->inference_count);
    case C_EXEC:
        return LD(st->execution_count);
    case C_PENDING:
        return LD(st->pending);
    case C_REQ_US:
        return (LD(st->success_ns) + LD(st->fail_ns)) / 1000;
    case C_QUEUE_US:
        return LD(st->queue_ns) / 1000;
    case C_IN_US:
        return LD(st->compute_input_ns) / 1000;
    case C_INFER_US:
        return LD(st->compute_infer_ns) / 1000;
    case C_OUT_US:
        return LD(st->compute_output_ns) / 1000;
    }
    return 0;
}

/* A histogram's samples (cumulative buckets in seconds, sum, count), labelled by `m` or none. */
static void histogram(ei__sbuf_t *b, const char *name, ei__histogram_t *h, ei__model_t *m)
{
    ei__sbuf_t l = {0};
    if (m)
        label_pairs(&l, m);
    if (l.oom)
        b->oom = true;
    ei__prom_histogram(b, name, h, l.data);
    ei__sbuf_free(&l);
}

static uint64_t resident_bytes(void)
{
    unsigned long long size = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return (uint64_t)rss * (uint64_t)(page > 0 ? page : 4096);
}

void ei__metrics_render(ei__http_t *s, ei__sbuf_t *b)
{
    held_t h = {0};
    ei__repo_t *repo = ei__v2_repo_hold(s->core, NULL);
    if (repo) {
        ei__repo_foreach(repo, hold_one, &h);
        ei__v2_repo_drop(s->core);
    }

    for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
        ei__prom_family(b, counters[c].name, counters[c].type, counters[c].help);
        for (size_t i = 0; i < h.n; i++) {
            ei__sbuf_adds(b, counters[c].name);
            labels(b, h.m[i], NULL);
            ei__sbuf_printf(b, " %llu\n",
                            (unsigned long long)counter_value(ei__model_stats(h.m[i]), (int)c));
        }
    }
    static const struct {
        const char *name, *help;
        size_t off;
    } hists[] = {
        {"ei_request_duration_seconds", "Inference request duration, received to answered",
         offsetof(ei__model_stats_t, request_hist)},
        {"ei_queue_duration_seconds", "Time requests waited in the scheduler queue",
         offsetof(ei__model_stats_t, queue_hist)},
        {"ei_compute_duration_seconds", "Compute time (input + infer + output) per request",
         offsetof(ei__model_stats_t, compute_hist)},
    };
    for (size_t k = 0; k < sizeof hists / sizeof hists[0]; k++) {
        ei__prom_family(b, hists[k].name, "histogram", hists[k].help);
        for (size_t i = 0; i < h.n; i++) {
            ei__histogram_t *hist =
                (ei__histogram_t *)(void *)((char *)ei__model_stats(h.m[i]) + hists[k].off);
            histogram(b, hists[k].name, hist, h.m[i]);
        }
    }
    /* Batch sizes: a histogram over the runs, from the per-size execution counters. */
    ei__prom_family(b, "ei_batch_size", "histogram", "Batch size of each model execution");
    for (size_t i = 0; i < h.n; i++) {
        ei__model_stats_t *st = ei__model_stats(h.m[i]);
        static const unsigned bounds[] = {1, 2, 4, 8, 16, 32, 64};
        uint64_t cum = 0, total = 0, sum = 0;
        size_t next = 0;
        for (size_t bs = 1; bs <= EI__STATS_MAX_BATCH; bs++) {
            uint64_t c = LD(st->batch_count[bs - 1]);
            total += c;
            sum += c * bs;
        }
        for (size_t bs = 1; bs <= EI__STATS_MAX_BATCH && next < 7; bs++) {
            cum += LD(st->batch_count[bs - 1]);
            if (bs == bounds[next]) {
                char le[32];
                snprintf(le, sizeof le, "le=\"%u\"", bounds[next]);
                ei__sbuf_adds(b, "ei_batch_size_bucket");
                labels(b, h.m[i], le);
                ei__sbuf_printf(b, " %llu\n", (unsigned long long)cum);
                next++;
            }
        }
        ei__sbuf_adds(b, "ei_batch_size_bucket");
        labels(b, h.m[i], "le=\"+Inf\"");
        ei__sbuf_printf(b, " %llu\nei_batch_size_sum", (unsigned long long)total);
        labels(b, h.m[i], NULL);
        ei__sbuf_printf(b, " %llu\nei_batch_size_count", (unsigned long long)sum);
        labels(b, h.m[i], NULL);
        ei__sbuf_printf(b, " %llu\n", (unsigned long long)total);
    }
    for (size_t i = 0; i < h.n; i++)
        ei__model_release(h.m[i]);
    ei__free(h.m);

    ei__http_stats_t *hs = &s->stats;
    ei__prom_family(b, "ei_http_requests_total", "counter",
                    "HTTP requests answered, by status class");
    for (int c = 1; c <= 5; c++)
        ei__sbuf_printf(b, "ei_http_requests_total{code=\"%dxx\"} %llu\n", c,
                        (unsigned long long)LD(hs->status_class[c]));
    ei__prom_family(b, "ei_http_received_bytes_total", "counter", "Request body bytes received");
    ei__sbuf_printf(b, "ei_http_received_bytes_total %llu\n", (unsigned long long)LD(hs->bytes_in));
    ei__prom_family(b, "ei_http_sent_bytes_total", "counter", "Response body bytes sent");
    ei__sbuf_printf(b, "ei_http_sent_bytes_total %llu\n", (unsigned long long)LD(hs->bytes_out));
    ei__prom_family(b, "ei_http_request_duration_seconds", "histogram",
                    "HTTP request duration, first byte to response queued");
    histogram(b, "ei_http_request_duration_seconds", &hs->duration, NULL);
    /* Another front-end's families (gRPC's per-call counters), when the server registered one. */
    if (s->core->metrics_extra)
        s->core->metrics_extra(s->core->metrics_extra_user, b);
    uint64_t inflight = ei__v2_inflight(s->core);
    ei__prom_family(b, "ei_http_requests_in_flight", "gauge", "HTTP requests being handled now");
    ei__sbuf_printf(b, "ei_http_requests_in_flight %llu\n", (unsigned long long)inflight);
    ei__prom_family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes");
    ei__sbuf_printf(b, "process_resident_memory_bytes %llu\n",
                    (unsigned long long)resident_bytes());
    ei_run_memory_stats_t rm;
    ei_run_memory_stats(&rm);
    if (rm.limit > 0) {
        ei__prom_family(
            b, "ei_run_memory_limit_bytes", "gauge",
            "Bytes ONNX Runtime may hold for tensors of running models (--max-run-memory)");
        ei__sbuf_printf(b, "ei_run_memory_limit_bytes %zu\n", rm.limit);
        ei__prom_family(b, "ei_run_memory_reserved_bytes", "gauge",
                        "Bytes the run-memory arena holds from the system now");
        ei__sbuf_printf(b, "ei_run_memory_reserved_bytes %zu\n", rm.reserved);
        ei__prom_family(b, "ei_run_memory_in_use_bytes", "gauge",
                        "Bytes of the run-memory arena that tensors use now");
        ei__sbuf_printf(b, "ei_run_memory_in_use_bytes %zu\n", rm.in_use);
        ei__prom_family(b, "ei_run_memory_max_in_use_bytes", "gauge",
                        "The most bytes of the run-memory arena tensors ever used at once");
        ei__sbuf_printf(b, "ei_run_memory_max_in_use_bytes %zu\n", rm.max_in_use);
        ei__prom_family(b, "ei_run_memory_refused_total", "counter",
                        "Model runs that failed because the run-memory limit left too little");
        ei__sbuf_printf(b, "ei_run_memory_refused_total %llu\n", (unsigned long long)rm.failures);
    }
    ei__prom_family(b, "ei_uptime_seconds", "gauge", "Seconds since the server was created");
    ei__sbuf_printf(b, "ei_uptime_seconds %.3f\n",
                    (double)(ei__now_ns() - s->core->start_ns) / 1e9);
}

static void metrics(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    ei__sbuf_t b = {0};
    ei__metrics_render(r->http, &b);
    size_t len = 0;
    char *body = ei__sbuf_take(&b, &len);
    ei__http_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

static const ei__http_route_t metrics_routes[] = {
    {"/metrics", "GET, HEAD", metrics, EI__SCOPE_METRICS}};

const ei__http_routes_t ei__metrics_routes = {
    metrics_routes, sizeof metrics_routes / sizeof metrics_routes[0], " (metrics are at /metrics)"};
