/* SPDX-License-Identifier: MIT */
/*
 * A task head in process (ei_task_run_local(), <edgeinfer/task.h>): the environment describes
 * sessions the caller loaded, and the runner runs each stage at once with ei_session_run() on the
 * calling thread.
 */
#include "task_head.h"

#include <stdlib.h>
#include <string.h>

/* Most models and outputs one local run describes. */
#define MAX_LOCAL 8
#define MAX_OUTPUTS 16

typedef struct local {
    const ei_task_local_model_t *models;
    size_t n_models;
    const char *const *params;
    /* Per model: its output names and labels, as ei_task_model_t lends them. */
    const char *outs[MAX_LOCAL][MAX_OUTPUTS];
    const ei_labels_t *labels[MAX_LOCAL][MAX_OUTPUTS];
    bool done;
} local_t;

static ei_code_t local_stage(void *ctx, const char *name, size_t *stage, ei_task_model_t *m,
                             ei_error_t *err)
{
    local_t *l = ctx;
    size_t i = 0;
    if (name != NULL) {
        for (i = 0; i < l->n_models; i++)
            if (l->models[i].name != NULL && strcmp(l->models[i].name, name) == 0)
                break;
        if (i == l->n_models)
            return ei__fail(err, EI_ENOTFOUND, "no model '%s' was given", name);
    }
    const ei_task_local_model_t *lm = &l->models[i];
    memset(m, 0, sizeof *m);
    m->name = lm->name != NULL ? lm->name : "model";
    *stage = i;
    if (lm->session == NULL)
        return EI_OK; /* a model of no inputs or outputs (a pipeline's name) */
    m->n_inputs = ei_session_input_count(lm->session);
    if (m->n_inputs > 0) {
        const ei_value_info_t *in = ei_session_input(lm->session, 0);
        m->input_name = in->name;
        m->input_dtype = in->dtype;
        m->input_dims = in->shape;
        m->input_rank = in->rank;
    }
    m->n_outputs = ei_session_output_count(lm->session);
    if (m->n_outputs > MAX_OUTPUTS)
        m->n_outputs = MAX_OUTPUTS;
    for (size_t k = 0; k < m->n_outputs; k++) {
        l->outs[i][k] = ei_session_output(lm->session, k)->name;
        l->labels[i][k] = k == 0 ? lm->labels : NULL;
    }
    m->output_names = l->outs[i];
    m->output_labels = l->labels[i];
    return EI_OK;
}

static const char *local_param(void *ctx, const char *key)
{
    local_t *l = ctx;
    for (size_t i = 0; l->params != NULL && l->params[i] != NULL && l->params[i + 1] != NULL;
         i += 2)
        if (strcmp(l->params[i], key) == 0)
            return l->params[i + 1];
    return NULL;
}

static ei_code_t local_run(void *ctx, ei_task_job_t *job, size_t stage, const char *input_name,
                           ei_tensor_t *input, const char *output_name, void *ticket,
                           ei_error_t *err)
{
    local_t *l = ctx;
    ei_session_t *s = stage < l->n_models ? l->models[stage].session : NULL;
    if (s == NULL)
        return ei__fail(err, EI_EINVAL, "stage %zu has no session to run", stage);
    ei_tensor_t *out = NULL;
    ei_error_t e = {0};
    ei_code_t rc = ei_session_run(s, &input_name, &input, 1, &output_name, &out, 1, &e);
    ei_task_stage_done(job, ticket, rc, rc == EI_OK ? out : NULL, &e);
    ei_tensor_destroy(out);
    return EI_OK;
}

static void local_finished(ei_task_job_t *job, void *user)
{
    (void)job;
    ((local_t *)user)->done = true;
}

ei_code_t ei_task_run_local(const ei_task_head_t *h, const ei_task_local_model_t *models,
                            size_t n_models, const char *const *params, const ei_image_t *img,
                            char **json, size_t *len, ei_error_t *err)
{
    if (json != NULL)
        *json = NULL;
    if (h == NULL || models == NULL || n_models == 0 || img == NULL || json == NULL)
        return ei__fail(err, EI_EINVAL, "ei_task_run_local: NULL argument");
    if (n_models > MAX_LOCAL)
        return ei__fail(err, EI_ELIMIT, "ei_task_run_local: at most %d models", MAX_LOCAL);
    local_t *l = ei__calloc(1, sizeof *l);
    if (l == NULL)
        return ei__fail(err, EI_ENOMEM, "%s: out of memory", ei_task_head_name(h));
    l->models = models;
    l->n_models = n_models;
    l->params = params;
    ei_task_env_t env = {local_stage, local_param, NULL, l};
    ei_task_job_t *job = NULL;
    ei_code_t rc = ei_task_job_create(h, &env, &job, err);
    if (rc == EI_OK)
        rc = ei_task_job_prepare(job, img, NULL, err);
    if (rc == EI_OK) {
        ei_task_runner_t runner = {local_run, l};
        ei_task_job_start(job, &runner, local_finished, l);
        rc = l->done ? ei_task_job_status(job, err)
                     : ei__fail(err, EI_ERUNTIME, "%s: the job did not finish", h->name);
    }
    if (rc == EI_OK)
        rc = ei_task_job_json(job, json, len, err);
    ei_task_job_destroy(job);
    ei__free(l);
    return rc;
}
