/* SPDX-License-Identifier: MIT */
/*
 * Per-version statistics: the histogram buckets and the one place that turns a finished request
 * into counter updates. Everything is a relaxed atomic add, so recording never takes a lock and
 * readers (the /stats and /metrics renderers) see each counter consistently, not all counters as
 * one snapshot.
 */
#include "batcher.h"
#include "ei_util.h"

#include <time.h>

const uint64_t ei__stats_bucket_us[EI__STATS_NBUCKETS] = {EI__STATS_BUCKETS_US};

static void add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

void ei__histogram_add(ei__histogram_t *h, uint64_t ns)
{
    uint64_t us = ns / 1000;
    size_t i = 0;
    while (i < EI__STATS_NBUCKETS && us > ei__stats_bucket_us[i])
        i++;
    add(&h->bucket[i], 1);
    add(&h->sum_ns, ns);
    add(&h->count, 1);
}

static uint64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ei__stats_record_request(ei__model_stats_t *st, const ei__infer_req_t *req, uint64_t end_ns)
{
    uint64_t start = req->received_ns != 0 ? req->received_ns : end_ns;
    uint64_t total = end_ns > start ? end_ns - start : 0;
    if (req->code == EI_OK) {
        add(&st->success_count, 1);
        add(&st->success_ns, total);
        add(&st->queue_count, 1);
        add(&st->queue_ns, req->queue_ns);
        add(&st->compute_input_count, 1);
        add(&st->compute_input_ns, req->compute_input_ns);
        add(&st->compute_infer_count, 1);
        add(&st->compute_infer_ns, req->compute_infer_ns);
        add(&st->compute_output_count, 1);
        add(&st->compute_output_ns, req->compute_output_ns);
        ei__histogram_add(&st->queue_hist, req->queue_ns);
        ei__histogram_add(&st->compute_hist,
                          req->compute_input_ns + req->compute_infer_ns + req->compute_output_ns);
    } else {
        add(&st->fail_count, 1);
        add(&st->fail_ns, total);
    }
    ei__histogram_add(&st->request_hist, total);
    atomic_store_explicit(&st->last_inference_ms, unix_ms(), memory_order_relaxed);
}
