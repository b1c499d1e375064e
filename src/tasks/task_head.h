/* SPDX-License-Identifier: MIT */
/*
 * What a task head implements (the table behind ei_task_head_t, <edgeinfer/task.h>) and the
 * helpers heads use to run stages and end a job. One head per file: classify_head.c, ocr_head.c;
 * the registry is task.c's `heads[]`.
 */
#ifndef EI_TASKS_TASK_HEAD_H
#define EI_TASKS_TASK_HEAD_H

#include "ei_util.h"
#include "sbuf.h"

#include <edgeinfer/task.h>

struct ei_task_head {
    const char *name;
    /** Reads the head's stages and parameters from `env` into a new state (`*state`). */
    ei_code_t (*create)(ei_task_job_t *job, const ei_task_env_t *env, void **state,
                        ei_error_t *err);
    /**
     * Preprocesses the image into the first stage's input. `take` is non-NULL when the caller owns
     * the image: a head that keeps it takes it (sets *take to NULL) instead of copying it.
     */
    ei_code_t (*prepare)(void *state, const ei_image_t *img, ei_image_t **take,
                         ei_task_cache_t *cache, ei_error_t *err);
    /**
     * Submits the first stage runs (ei__task_submit()). Ends the job with ei__task_finish() once,
     * from here or from stage_done(); touches nothing of the job or state after that call.
     */
    void (*start)(ei_task_job_t *job, void *state);
    /** A stage run is back (see ei_task_stage_done()). */
    void (*stage_done)(ei_task_job_t *job, void *state, void *ticket, ei_code_t code,
                       const ei_tensor_t *output, const ei_error_t *err);
    /** Appends the result's JSON members (no braces) to `b`. */
    ei_code_t (*json)(const void *state, ei__sbuf_t *b, ei_error_t *err);
    void (*destroy)(void *state);
};

/** Hands a stage run to the job's runner (see ei_task_runner_t.run). */
ei_code_t ei__task_submit(ei_task_job_t *job, size_t stage, const char *input_name,
                          ei_tensor_t *input, const char *output_name, void *ticket,
                          ei_error_t *err);
/** Ends the job (code EI_OK or its error, message in `err`) and calls its finished callback. */
void ei__task_finish(ei_task_job_t *job, ei_code_t code, const ei_error_t *err);
/** Records the upright image size (ei_task_job_image_size()). */
void ei__task_set_size(ei_task_job_t *job, int32_t width, int32_t height);

/** An image pipeline for `opts` from the cache (or a new one when none is free / no cache). */
ei_code_t ei__task_pipe_get(ei_task_cache_t *c, const ei_image_opts_t *opts,
                            ei_image_pipeline_t **out, ei_error_t *err);
/** Gives a pipeline from ei__task_pipe_get() back. */
void ei__task_pipe_put(ei_task_cache_t *c, ei_image_pipeline_t *p);

/** A stage's error with a message that is never empty (`e` may be NULL). */
void ei__task_stage_error(ei_code_t code, const ei_error_t *e, ei_error_t *out);

extern const ei_task_head_t ei__classify_head;
extern const ei_task_head_t ei__ocr_head;

#endif
