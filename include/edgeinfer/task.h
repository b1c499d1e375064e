/* SPDX-License-Identifier: MIT */
/*
 * Task heads: the one interface between "an image and some models" and "an answer". A head says
 * what it needs from an image (its preprocessing into the first stage's input, from decoded
 * pixels, encoded bytes or a file), which models it runs (its stages), how it turns their outputs
 * into a result, and how that result is written as JSON. Classification ("classify") and OCR
 * ("ocr") are heads; a server route or a CLI command drives any of them the same way:
 *
 *     ei_task_job_t *job;
 *     ei_task_job_create(ei_task_head_find("classify"), &env, &job, &err);  // stages, parameters
 *     ei_task_job_prepare_bytes(job, data, size, 0, cache, &err);            // decode + preprocess
 *     ei_task_job_start(job, &runner, finished, user);                       // runs the stages
 *     ...  finished(job, user) runs once; then:
 *     ei_task_job_status(job, &err);                                         // EI_OK or the error
 *     ei_task_job_json(job, &json, &len, &err);                              // "image":{...},...
 *     ei_task_job_destroy(job);
 *
 * The head never runs a model itself: it hands each model run ("this tensor on stage S") to the
 * caller's runner, which may run it at once (ei_session_run) or queue it on a scheduler and report
 * back later from another thread with ei_task_stage_done(). That is how a server batches the
 * recognition lines of concurrent OCR requests together.
 *
 * The environment (ei_task_env_t) tells the head about its models and parameters without the head
 * knowing where they come from (a model repository's configs, or sessions loaded in process).
 *
 * Thread-safety: a job is driven by one caller; ei_task_stage_done() may be called from any thread,
 * also concurrently for different stage runs of one job. Heads are stateless tables. A cache may be
 * shared by any number of jobs and threads.
 */
#ifndef EDGEINFER_TASK_H
#define EDGEINFER_TASK_H

#include "classify.h"
#include "image.h"
#include "session.h"
#include "status.h"
#include "tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a head is told about one of its stage models. Pointers are borrowed for the job's life. */
typedef struct ei_task_model {
    const char *name;
    size_t n_inputs;
    const char *input_name; /**< The first input. */
    ei_dtype_t input_dtype;
    /** The first input's dims without the batch dim when `max_batch` > 0, else all of them. */
    const int64_t *input_dims;
    size_t input_rank;
    /** Rows one run may carry; 0 when the model takes no batch dim (its dims are used as is). */
    size_t max_batch;
    size_t n_outputs;
    const char *const *output_names;
    /** Labels per output (entries may be NULL); NULL when there are none at all. */
    const ei_labels_t *const *output_labels;
} ei_task_model_t;

/** Where a head finds its models and parameters. */
typedef struct ei_task_env {
    /**
     * Adds model `name` as a stage (NULL: the model the job is addressed to, always stage 0),
     * describes it in `*m` and returns its stage index in `*stage`. An error (unknown model...)
     * is returned with its message in `err`.
     */
    ei_code_t (*stage)(void *ctx, const char *name, size_t *stage, ei_task_model_t *m,
                       ei_error_t *err);
    /** A parameter of the job's model (its configuration), NULL when not set. */
    const char *(*model_param)(void *ctx, const char *key);
    /** A parameter of this request (a query argument...), NULL when not given. May be NULL. */
    const char *(*request_param)(void *ctx, const char *key);
    void *ctx;
} ei_task_env_t;

typedef struct ei_task_job ei_task_job_t;

/** Runs stage models for a job (the caller's scheduler). */
typedef struct ei_task_runner {
    /**
     * Runs `input` (borrowed until ei_task_stage_done() for `ticket` has returned) on stage
     * `stage` and reads its output `output_name`. EI_OK: ei_task_stage_done(job, ticket, ...) is
     * called exactly once, now or later, from any thread. Any other code: not run (no callback),
     * with the reason in `err`.
     */
    ei_code_t (*run)(void *ctx, ei_task_job_t *job, size_t stage, const char *input_name,
                     ei_tensor_t *input, const char *output_name, void *ticket, ei_error_t *err);
    void *ctx;
} ei_task_runner_t;

/** Pipelines and scratch reused across jobs (e.g. image pipelines by options). Thread-safe. */
typedef struct ei_task_cache ei_task_cache_t;
EI_API EI_NODISCARD ei_code_t ei_task_cache_create(ei_task_cache_t **out, ei_error_t *err);
/** Releases the cache; no job may be using it. NULL is a no-op. */
EI_API void ei_task_cache_destroy(ei_task_cache_t *c);

/** A head: a table of functions (src/tasks/). Fields are only ever added at the end. */
typedef struct ei_task_head ei_task_head_t;

/** The head named `name` ("classify", "ocr"), or NULL. */
EI_API const ei_task_head_t *ei_task_head_find(const char *name);
/** A head's name. */
EI_API const char *ei_task_head_name(const ei_task_head_t *h);

/**
 * A job of head `h`: asks `env` for its stages and parameters and checks them (EI_EINVAL for a
 * model or parameter the head cannot use, naming it; errors of env->stage() as they are). `env`
 * is used during this call only; what it describes must outlive the job.
 */
EI_API EI_NODISCARD ei_code_t ei_task_job_create(const ei_task_head_t *h, const ei_task_env_t *env,
                                                 ei_task_job_t **out, ei_error_t *err);

/** Preprocesses a decoded image (not kept) into the first stage's input. `cache` may be NULL. */
EI_API EI_NODISCARD ei_code_t ei_task_job_prepare(ei_task_job_t *job, const ei_image_t *img,
                                                  ei_task_cache_t *cache, ei_error_t *err);
/**
 * As ei_task_job_prepare() from encoded bytes (JPEG, PNG, WebP), decoded with at most
 * `max_pixels` pixels (0: the decoder's default). A decode failure is EI_ELIMIT (past
 * max_pixels), EI_ENOMEM or EI_EFORMAT, with "<head>: cannot decode the image: " before the
 * decoder's message.
 */
EI_API EI_NODISCARD ei_code_t ei_task_job_prepare_bytes(ei_task_job_t *job, const void *data,
                                                        size_t size, uint64_t max_pixels,
                                                        ei_task_cache_t *cache, ei_error_t *err);
/** As ei_task_job_prepare_bytes() from an image file. */
EI_API EI_NODISCARD ei_code_t ei_task_job_prepare_file(ei_task_job_t *job, const char *path,
                                                       uint64_t max_pixels, ei_task_cache_t *cache,
                                                       ei_error_t *err);

/**
 * Runs the prepared job through `runner` (copied). `finished(job, user)` is called exactly once
 * when the job is complete, successfully or not (possibly before this returns, and on whichever
 * thread reported the last stage); the job must not be destroyed before that. A stage run that is
 * refused or fails, or an output the head cannot read, ends the job with that error.
 */
EI_API void ei_task_job_start(ei_task_job_t *job, const ei_task_runner_t *runner,
                              void (*finished)(ei_task_job_t *job, void *user), void *user);

/**
 * Reports a stage run of `job` (see ei_task_runner_t.run): `code` EI_OK with the run's `output`
 * (borrowed for this call), or the run's failure with its message in `err` (may be NULL).
 */
EI_API void ei_task_stage_done(ei_task_job_t *job, void *ticket, ei_code_t code,
                               const ei_tensor_t *output, const ei_error_t *err);

/** How a finished job ended: EI_OK, or its first error (copied to `err`). */
EI_API ei_code_t ei_task_job_status(const ei_task_job_t *job, ei_error_t *err);

/**
 * The result of a finished, successful job as the members of a JSON object, without the braces
 * (`"image":{"width":W,"height":H},...`), so a caller can frame them with its own members.
 * `*json` (NUL-terminated, `*len` bytes) is released with ei_free_string().
 */
EI_API EI_NODISCARD ei_code_t ei_task_job_json(const ei_task_job_t *job, char **json, size_t *len,
                                               ei_error_t *err);

/** The upright size of the job's image (0 before it is prepared). */
EI_API void ei_task_job_image_size(const ei_task_job_t *job, int32_t *width, int32_t *height);

/** Releases a job that was never started or has finished. NULL is a no-op. */
EI_API void ei_task_job_destroy(ei_task_job_t *job);

/* In process ------------------------------------------------------------------------------------
 */

/** A model for ei_task_run_local(). */
typedef struct ei_task_local_model {
    const char *name;      /**< The name the head's parameters use for it. */
    ei_session_t *session; /**< Borrowed; NULL for a model that only names others (a pipeline). */
    const ei_labels_t *labels; /**< Labels of its first output, or NULL. */
} ei_task_local_model_t;

/**
 * Runs head `h` in process on a decoded image: models[0] is the model the job is addressed to,
 * the others are found by name; `params` is NULL or a NULL-terminated list of key, value, key,
 * value... (the model parameters, e.g. "image_top_k", "5"). Each stage runs at once on the calling
 * thread (ei_session_run()). On success `*json` holds the result's members as
 * ei_task_job_json() writes them (release with ei_free_string()).
 */
EI_API EI_NODISCARD ei_code_t ei_task_run_local(const ei_task_head_t *h,
                                                const ei_task_local_model_t *models,
                                                size_t n_models, const char *const *params,
                                                const ei_image_t *img, char **json, size_t *len,
                                                ei_error_t *err);

/** Releases a string the library returned. NULL is a no-op. (Also declared in ocr.h.) */
EI_API void ei_free_string(char *s);

#ifdef __cplusplus
}
#endif
#endif
