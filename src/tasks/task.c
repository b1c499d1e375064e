/* SPDX-License-Identifier: MIT */
/*
 * The task-head boundary (<edgeinfer/task.h>): the registry of heads, the job object every head's
 * state hangs off, and the cache of image pipelines that jobs share. The heads themselves are
 * classify_head.c and ocr_head.c.
 */
#include "task_head.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const ei_task_head_t *const heads[] = {&ei__classify_head, &ei__ocr_head};

struct ei_task_job {
    const ei_task_head_t *head;
    void *state;
    ei_task_runner_t runner;
    void (*finished)(ei_task_job_t *job, void *user);
    void *user;
    int32_t width, height;
    bool prepared, started, ended;
    ei_error_t error; /* code EI_OK: none */
};

const ei_task_head_t *ei_task_head_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(heads) / sizeof(heads[0]); i++)
        if (strcmp(heads[i]->name, name) == 0)
            return heads[i];
    return NULL;
}

const char *ei_task_head_name(const ei_task_head_t *h)
{
    return h == NULL ? NULL : h->name;
}

ei_code_t ei_task_job_create(const ei_task_head_t *h, const ei_task_env_t *env, ei_task_job_t **out,
                             ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (h == NULL || env == NULL || env->stage == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "task: NULL argument");
    ei_task_job_t *j = ei__calloc(1, sizeof(*j));
    if (j == NULL)
        return ei__fail(err, EI_ENOMEM, "%s: out of memory", h->name);
    j->head = h;
    ei_code_t rc = h->create(j, env, &j->state, err);
    if (rc != EI_OK) {
        ei__free(j);
        return rc;
    }
    *out = j;
    return EI_OK;
}

void ei_task_job_destroy(ei_task_job_t *job)
{
    if (job == NULL)
        return;
    if (job->state != NULL)
        job->head->destroy(job->state);
    ei__free(job);
}

static ei_code_t prepare(ei_task_job_t *job, const ei_image_t *img, ei_image_t **take,
                         ei_task_cache_t *cache, ei_error_t *err)
{
    if (job == NULL || img == NULL)
        return ei__fail(err, EI_EINVAL, "task: NULL argument");
    if (job->started)
        return ei__fail(err, EI_EINVAL, "%s: the job has already started", job->head->name);
    job->width = ei_image_width(img);
    job->height = ei_image_height(img);
    ei_code_t rc = job->head->prepare(job->state, img, take, cache, err);
    job->prepared = rc == EI_OK;
    return rc;
}

ei_code_t ei_task_job_prepare(ei_task_job_t *job, const ei_image_t *img, ei_task_cache_t *cache,
                              ei_error_t *err)
{
    return prepare(job, img, NULL, cache, err);
}

static ei_code_t prepare_decoded(ei_task_job_t *job, ei_code_t rc, ei_image_t *img,
                                 ei_task_cache_t *cache, ei_error_t *err)
{
    if (rc != EI_OK) {
        ei__error_prefix(err, "%s: cannot decode the image", job->head->name);
        if (rc != EI_ELIMIT && rc != EI_ENOMEM) {
            rc = EI_EFORMAT; /* whatever the decoder found wrong, the bytes are the problem */
            if (err != NULL)
                err->code = rc;
        }
        return rc;
    }
    rc = prepare(job, img, &img, cache, err);
    ei_image_destroy(img); /* NULL when the head took it */
    return rc;
}

/* Decodes a file (`path`) or bytes, then prepares the job with the image. */
static ei_code_t prepare_source(ei_task_job_t *job, const char *path, const void *data, size_t size,
                                uint64_t max_pixels, ei_task_cache_t *cache, ei_error_t *err)
{
    ei_image_decode_opts_t d;
    ei_image_decode_opts_init(&d);
    if (max_pixels > 0)
        d.max_pixels = max_pixels;
    ei_image_t *img = NULL;
    ei_code_t rc = path != NULL ? ei_image_load(path, &d, &img, err)
                                : ei_image_decode(data, size, &d, &img, err);
    return prepare_decoded(job, rc, img, cache, err);
}

ei_code_t ei_task_job_prepare_bytes(ei_task_job_t *job, const void *data, size_t size,
                                    uint64_t max_pixels, ei_task_cache_t *cache, ei_error_t *err)
{
    if (job == NULL || (data == NULL && size > 0))
        return ei__fail(err, EI_EINVAL, "task: NULL argument");
    return prepare_source(job, NULL, data, size, max_pixels, cache, err);
}

ei_code_t ei_task_job_prepare_file(ei_task_job_t *job, const char *path, uint64_t max_pixels,
                                   ei_task_cache_t *cache, ei_error_t *err)
{
    if (job == NULL || path == NULL)
        return ei__fail(err, EI_EINVAL, "task: NULL argument");
    return prepare_source(job, path, NULL, 0, max_pixels, cache, err);
}

void ei_task_job_start(ei_task_job_t *job, const ei_task_runner_t *runner,
                       void (*finished)(ei_task_job_t *job, void *user), void *user)
{
    job->finished = finished;
    job->user = user;
    job->started = true;
    if (runner == NULL || runner->run == NULL || !job->prepared) {
        ei_error_t e = {0};
        ei__fail(&e, EI_EINVAL, "%s: %s", job->head->name,
                 job->prepared ? "no stage runner" : "the job was not prepared");
        ei__task_finish(job, e.code, &e);
        return;
    }
    job->runner = *runner;
    job->head->start(job, job->state);
}

void ei_task_stage_done(ei_task_job_t *job, void *ticket, ei_code_t code, const ei_tensor_t *output,
                        const ei_error_t *err)
{
    job->head->stage_done(job, job->state, ticket, code, output, err);
}

ei_code_t ei_task_job_status(const ei_task_job_t *job, ei_error_t *err)
{
    if (job == NULL)
        return ei__fail(err, EI_EINVAL, "task: NULL argument");
    if (!job->ended)
        return ei__fail(err, EI_EINVAL, "%s: the job has not finished", job->head->name);
    if (job->error.code != EI_OK && err != NULL)
        *err = job->error;
    return job->error.code;
}

ei_code_t ei_task_job_json(const ei_task_job_t *job, char **json, size_t *len, ei_error_t *err)
{
    if (json != NULL)
        *json = NULL;
    if (job == NULL || json == NULL)
        return ei__fail(err, EI_EINVAL, "task: NULL argument");
    if (!job->ended || job->error.code != EI_OK)
        return ei__fail(err, EI_EINVAL, "%s: no result (the job %s)", job->head->name,
                        job->ended ? "failed" : "has not finished");
    ei__sbuf_t b = {0};
    ei_code_t rc = job->head->json(job->state, &b, err);
    if (rc != EI_OK) {
        ei__sbuf_free(&b);
        return rc;
    }
    size_t n = 0;
    char *s = ei__sbuf_take(&b, &n);
    if (s == NULL)
        return ei__fail(err, EI_ENOMEM, "%s: out of memory", job->head->name);
    *json = s;
    if (len != NULL)
        *len = n;
    return EI_OK;
}

void ei_task_job_image_size(const ei_task_job_t *job, int32_t *width, int32_t *height)
{
    if (width != NULL)
        *width = job != NULL ? job->width : 0;
    if (height != NULL)
        *height = job != NULL ? job->height : 0;
}

/* For heads ----------------------------------------------------------------------------------- */

ei_code_t ei__task_submit(ei_task_job_t *job, size_t stage, const char *input_name,
                          ei_tensor_t *input, const char *output_name, void *ticket,
                          ei_error_t *err)
{
    return job->runner.run(job->runner.ctx, job, stage, input_name, input, output_name, ticket,
                           err);
}

void ei__task_finish(ei_task_job_t *job, ei_code_t code, const ei_error_t *err)
{
    if (code != EI_OK)
        ei__task_stage_error(code, err, &job->error);
    job->ended = true;
    job->finished(job, job->user); /* may destroy the job */
}

void ei__task_set_size(ei_task_job_t *job, int32_t width, int32_t height)
{
    job->width = width;
    job->height = height;
}

void ei__task_stage_error(ei_code_t code, const ei_error_t *e, ei_error_t *out)
{
    ei_error_t r = {0};
    if (e != NULL)
        r = *e;
    r.code = code != EI_OK ? code : EI_ERUNTIME;
    if (!r.msg[0])
        ei__strlcpy(r.msg, ei_code_str(r.code), sizeof r.msg);
    *out = r;
}

/* The pipeline cache -------------------------------------------------------------------------- */

/* Image pipelines reused across jobs: their resize tables and scratch rows. */
#define PIPE_SLOTS 8

struct ei_task_cache {
    pthread_mutex_t mu;
    struct {
        ei_image_opts_t opts;
        ei_image_pipeline_t *pipe;
        bool busy;
    } slot[PIPE_SLOTS];
};

ei_code_t ei_task_cache_create(ei_task_cache_t **out, ei_error_t *err)
{
    if (out == NULL)
        return ei__fail(err, EI_EINVAL, "task cache: NULL argument");
    *out = ei__calloc(1, sizeof(**out));
    if (*out == NULL)
        return ei__fail(err, EI_ENOMEM, "task cache: out of memory");
    pthread_mutex_init(&(*out)->mu, NULL);
    return EI_OK;
}

void ei_task_cache_destroy(ei_task_cache_t *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < PIPE_SLOTS; i++)
        ei_image_pipeline_destroy(c->slot[i].pipe);
    pthread_mutex_destroy(&c->mu);
    ei__free(c);
}

ei_code_t ei__task_pipe_get(ei_task_cache_t *c, const ei_image_opts_t *opts,
                            ei_image_pipeline_t **out, ei_error_t *err)
{
    int empty = -1;
    *out = NULL;
    if (c != NULL) {
        pthread_mutex_lock(&c->mu);
        for (int i = 0; i < PIPE_SLOTS; i++) {
            if (!c->slot[i].pipe) {
                if (empty < 0)
                    empty = i;
            } else if (!c->slot[i].busy && memcmp(&c->slot[i].opts, opts, sizeof *opts) == 0) {
                c->slot[i].busy = true;
                *out = c->slot[i].pipe;
                break;
            }
        }
        pthread_mutex_unlock(&c->mu);
    }
    if (*out)
        return EI_OK;
    ei_image_pipeline_t *p = NULL;
    ei_code_t rc = ei_image_pipeline_create(opts, &p, err);
    if (rc != EI_OK)
        return rc;
    if (empty >= 0) {
        /* Cache it when its slot is still free (another thread may have taken it meanwhile). */
        pthread_mutex_lock(&c->mu);
        if (!c->slot[empty].pipe) {
            c->slot[empty].opts = *opts;
            c->slot[empty].pipe = p;
            c->slot[empty].busy = true;
        }
        pthread_mutex_unlock(&c->mu);
    }
    *out = p;
    return EI_OK;
}

void ei__task_pipe_put(ei_task_cache_t *c, ei_image_pipeline_t *p)
{
    bool cached = false;
    if (p == NULL)
        return;
    if (c != NULL) {
        pthread_mutex_lock(&c->mu);
        for (int i = 0; i < PIPE_SLOTS; i++) {
            if (c->slot[i].pipe == p) {
                c->slot[i].busy = false;
                cached = true;
            }
        }
        pthread_mutex_unlock(&c->mu);
    }
    if (!cached)
        ei_image_pipeline_destroy(p);
}
