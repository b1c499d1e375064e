/* SPDX-License-Identifier: MIT */
/*
 * Task heads over repository models, for every front-end (REST /classify and /ocr, the OCR
 * pipeline through /infer): the image worker pool, and the driver that runs a head
 * (<edgeinfer/task.h>) on an encoded image: decode and preprocess on an image worker, each stage
 * run submitted to its model's scheduler (so stage runs of concurrent calls batch together), the
 * head's JSON when the last stage is back. Nothing here knows HTTP or gRPC.
 *
 * Test hook (tests only, documented in docs/server.md): with EI_TEST_HOLD_DECODE=<fifo> in the
 * environment when the pool starts, each worker opens that FIFO and reads one byte before it
 * decodes, so a test can hold a decode for as long as it needs and release it, without sleeps.
 */
#ifndef EI_SERVER_V2_TASK_CALL_H
#define EI_SERVER_V2_TASK_CALL_H

#include "v2_core.h"

/* The image pool ------------------------------------------------------------------------------- */

/** A piece of work for the image pool. */
typedef struct ei__image_work {
    struct ei__image_work *next; /* the pool's */
    /** Runs once on a worker; `stopping`: the pool is shutting down, answer without working. */
    void (*run)(struct ei__image_work *w, bool stopping);
} ei__image_work_t;

/** Starts the image workers (c->o->image_workers, 0: one per CPU up to 8; queue image_queue). */
ei_code_t ei__v2_images_start(ei__v2_core_t *c, ei_error_t *err);
/**
 * Stops them after each queued piece of work ran (with `stopping` set); later pushes get
 * EI_EBUSY. The pool's memory stays until ei__v2_images_dispose() (a late push on another thread
 * must find it). Idempotent; NULL pool ok.
 */
void ei__v2_images_stop(ei__v2_core_t *c);
/** Stops the pool if needed and frees it and the pipeline cache (ei__v2_core_dispose() calls it).
 */
void ei__v2_images_dispose(ei__v2_core_t *c);
/**
 * Queues work; EI_EBUSY (message "all N image workers are busy and M images are waiting; retry
 * later") when every worker is busy and the queue is full, or when there is no pool.
 */
ei_code_t ei__v2_images_push(ei__v2_core_t *c, ei__image_work_t *w, ei_error_t *err);

/* The driver ----------------------------------------------------------------------------------- */

/** What a task call is asked to do. Everything is borrowed (see ei__task_call_start()). */
typedef struct ei__task_args {
    const char *head;  /**< "classify", "ocr" (ei_task_head_find()) */
    const char *model; /**< the model addressed (a head's first stage) */
    int64_t version;   /**< -1: the newest ready */
    const void *image; /**< the encoded image (JPEG, PNG, WebP): kept until done() ran */
    size_t image_len;
    /** A request parameter ("top_k"...) or NULL; called during ei__task_call_start() only. May be
     * NULL (no parameters). */
    const char *(*param)(void *ctx, const char *key);
    void *param_ctx;
    uint64_t received_ns; /**< ei__now_ns() when the request arrived */
    /** The caller counts the request in the addressed model's statistics itself (the pipeline
     * runner: one /infer request may carry several images); the call then counts nothing on it. */
    bool uncounted;
} ei__task_args_t;

/** How a call ended, for done(). Valid during done() only. */
typedef struct ei__task_outcome {
    ei_code_t code;
    ei_error_t err; /**< code != EI_OK: the reason (message never empty) */
    /** code == EI_OK: {"model_name":"m","model_version":"v",<the head's members>} */
    const char *json;
    size_t json_len;
    int64_t version;               /**< of the model addressed */
    uint64_t queue_ns, compute_ns; /**< summed over the call's stage runs */
} ei__task_outcome_t;

typedef void (*ei__task_done_fn)(const ei__task_outcome_t *o, void *user);

/**
 * Runs head a->head for model a->model on the encoded image. `repo` is held by the caller for the
 * duration of this call. Checks the model and parameters at once: any error (unknown head or
 * model, a model the head cannot use, a bad parameter, the image pool full: EI_EBUSY) is returned
 * here, counted as a failure of the model, and done() never runs. EI_OK: done(outcome, user) runs
 * exactly once, on an image worker or a model worker, maybe before this returns.
 * `*version` (may be NULL) receives the version of the model addressed, -1 when not found.
 */
ei_code_t ei__task_call_start(ei__v2_core_t *c, ei__repo_t *repo, const ei__task_args_t *a,
                              ei__task_done_fn done, void *user, int64_t *version, ei_error_t *err);

#endif
