/* SPDX-License-Identifier: MIT */
/*
 * The per-model-version scheduler: a bounded FIFO queue, `instance_count` worker threads that run
 * one shared session, and Triton's dynamic batcher (requests whose non-batch dims match are
 * concatenated along dim 0, run once, and the outputs split back). Request validation against the
 * config happens here too, synchronously in submit. The repository (repo.c) owns one batcher per
 * loaded version; the wire side reaches it only through ei__model_submit().
 */
#ifndef EI_SERVER_BATCHER_H
#define EI_SERVER_BATCHER_H

#include "model_config.h"
#include "model_repo.h"

typedef struct ei__batcher ei__batcher_t;

/** Internal cap on queued requests when the config sets no max_queue_size. */
#define EI__BATCHER_DEFAULT_QUEUE_CAP 1024

/**
 * Starts the workers. `c`, `s` and `stats` are borrowed and must outlive the batcher; `log_id`
 * ("name@version") is copied.
 */
ei_code_t ei__batcher_create(const ei__model_config_t *c, ei_session_t *s, ei__model_stats_t *stats,
                             const char *log_id, ei__batcher_t **out, ei_error_t *err);

/** Validates and queues a request; see ei__model_submit(). */
ei_code_t ei__batcher_submit(ei__batcher_t *b, ei__infer_req_t *req, ei_error_t *err);

/**
 * Stops accepting, runs every queued request (without waiting for batch delays), stops the
 * workers and frees the batcher. Safe to call from one of its own workers (from inside a done()
 * callback): the batcher is then handed to a reaper thread, which joins the workers and frees it
 * (a scheduler never frees itself from its own thread). NULL is a no-op.
 */
void ei__batcher_destroy(ei__batcher_t *b);

/**
 * Waits (up to `timeout_ms`) until the reaper has freed every batcher handed to it, so a process
 * can end without a thread still running. Returns whether none is left. Not from a worker.
 */
bool ei__batcher_wait_detached(int timeout_ms);

/** Records one request's timings and outcome in `st` (used by the batcher and by tests). */
void ei__stats_record_request(ei__model_stats_t *st, const ei__infer_req_t *req, uint64_t end_ns);

#endif
