/* SPDX-License-Identifier: MIT */
/*
 * The task-head driver (task_call.h): a head (<edgeinfer/task.h>) over repository models. The
 * head asks for its stage models by name (env_stage(): acquired from the repository and held until
 * the call ends) and for its parameters (the addressed model's config parameters, the request's);
 * an image worker decodes and preprocesses; every stage run the head asks for becomes an
 * ei__infer_req_t submitted to that stage model's scheduler; the last report finishes the call.
 */
#include "task_call.h"

#include "sbuf.h"

#include <stdlib.h>
#include <string.h>

/* Most stage models one head may name. */
#define MAX_STAGES 8

typedef struct task_stage {
    ei__model_t *model;
    const char **out_names;
    const ei_labels_t **labels;
} task_stage_t;

typedef struct task_call {
    ei__image_work_t work; /* first: the pool hands it back */
    ei__v2_core_t *core;
    ei_task_job_t *job;
    task_stage_t stage[MAX_STAGES];
    size_t n_stages;
    const ei_task_head_t *head;
    const ei__task_args_t *args; /* during ei__task_call_start() only */
    ei__repo_t *repo;            /* likewise */
    const void *image;
    size_t image_len;
    uint64_t received_ns;
    bool submitted; /* a stage run was submitted: its model counts the failures from then on */
    bool ran_first; /* a stage run went to the model addressed (else the call is counted on it) */
    bool uncounted; /* ei__task_args_t.uncounted */
    _Atomic uint64_t queue_ns, compute_ns;
    ei__task_done_fn done;
    void *user;
} task_call_t;

/* One stage run in flight. */
typedef struct stage_run {
    ei__infer_req_t req;
    task_call_t *call;
    void *ticket;
    const char *in_name, *out_name;
    ei_tensor_t *input;
} stage_run_t;

static void call_free(task_call_t *t)
{
    ei_task_job_destroy(t->job);
    for (size_t i = 0; i < t->n_stages; i++) {
        ei__model_release(t->stage[i].model);
        ei__free(t->stage[i].out_names);
        ei__free(t->stage[i].labels);
    }
    ei__free(t);
}

/* The head's view of the repository ----------------------------------------------------------- */

/* Acquires `name` at `version` as the next stage and notes its outputs' names and labels. */
static ei_code_t add_stage(task_call_t *t, const char *name, int64_t version, size_t *stage,
                           ei_error_t *err)
{
    if (t->n_stages == MAX_STAGES)
        return ei__fail(err, EI_ELIMIT, "a task head may use at most %d models", MAX_STAGES);
    task_stage_t *s = &t->stage[t->n_stages];
    ei_code_t rc = ei__repo_acquire(t->repo, name, version, &s->model, err);
    if (rc != EI_OK)
        return rc;
    *stage = t->n_stages++;
    const ei__model_config_t *cfg = ei__model_config(s->model);
    size_t n = cfg->n_outputs ? cfg->n_outputs : 1;
    s->out_names = ei__calloc(n, sizeof *s->out_names);
    s->labels = ei__calloc(n, sizeof *s->labels);
    if (s->out_names == NULL || s->labels == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->n_outputs; i++) {
        s->out_names[i] = cfg->outputs[i].name;
        s->labels[i] = cfg->outputs[i].labels;
    }
    return EI_OK;
}

static ei_code_t env_stage(void *ctx, const char *name, size_t *stage, ei_task_model_t *m,
                           ei_error_t *err)
{
    task_call_t *t = ctx;
    *stage = 0; /* NULL: the model addressed, acquired by ei__task_call_start() */
    if (name != NULL) {
        ei_code_t rc = add_stage(t, name, -1, stage, err);
        if (rc != EI_OK)
            return rc;
    }
    const task_stage_t *s = &t->stage[*stage];
    const ei__model_config_t *cfg = ei__model_config(s->model);
    memset(m, 0, sizeof *m);
    m->name = ei__model_name(s->model);
    m->n_inputs = cfg->n_inputs;
    if (cfg->n_inputs > 0) {
        m->input_name = cfg->inputs[0].name;
        m->input_dtype = cfg->inputs[0].dtype;
        m->input_dims = cfg->inputs[0].dims;
        m->input_rank = cfg->inputs[0].n_dims;
    }
    m->max_batch = cfg->max_batch_size > 0 ? (size_t)cfg->max_batch_size : 0;
    m->n_outputs = cfg->n_outputs;
    m->output_names = s->out_names;
    m->output_labels = s->labels;
    return EI_OK;
}

static const char *env_model_param(void *ctx, const char *key)
{
    task_call_t *t = ctx;
    return t->n_stages ? ei__model_config_param(ei__model_config(t->stage[0].model), key) : NULL;
}

static const char *env_request_param(void *ctx, const char *key)
{
    task_call_t *t = ctx;
    const ei__task_args_t *a = t->args;
    return a != NULL && a->param != NULL ? a->param(a->param_ctx, key) : NULL;
}

/* Running stages --------------------------------------------------------------------------------
 */

static void run_done(ei__infer_req_t *req)
{
    stage_run_t *r = req->user;
    task_call_t *t = r->call;
    atomic_fetch_add_explicit(&t->queue_ns, req->queue_ns, memory_order_relaxed);
    atomic_fetch_add_explicit(
        &t->compute_ns, req->compute_input_ns + req->compute_infer_ns + req->compute_output_ns,
        memory_order_relaxed);
    ei_error_t e = req->err;
    ei_code_t code = req->code;
    if (code == EI_OK && req->n_results < 1)
        code = ei__fail(&e, EI_ERUNTIME, "a stage model returned no output");
    /* May finish the call (and free it): nothing of `t` is touched afterwards. */
    ei_task_stage_done(t->job, r->ticket, code, code == EI_OK ? req->results[0] : NULL, &e);
    for (size_t i = 0; i < req->n_results; i++)
        ei_tensor_destroy(req->results[i]);
    ei__free(req->results);
    ei__free(r);
}

static ei_code_t runner_run(void *ctx, ei_task_job_t *job, size_t stage, const char *input_name,
                            ei_tensor_t *input, const char *output_name, void *ticket,
                            ei_error_t *err)
{
    task_call_t *t = ctx;
    (void)job;
    if (stage >= t->n_stages)
        return ei__fail(err, EI_EINVAL, "task head asked for stage %zu of %zu", stage, t->n_stages);
    ei__model_t *m = t->stage[stage].model;
    stage_run_t *r = ei__calloc(1, sizeof *r);
    if (r == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    r->call = t;
    r->ticket = ticket;
    r->in_name = input_name;
    r->out_name = output_name;
    r->input = input;
    r->req.n_inputs = 1;
    r->req.input_names = &r->in_name;
    r->req.inputs = &r->input;
    r->req.n_outputs = 1;
    r->req.output_names = &r->out_name;
    r->req.received_ns = t->submitted || stage != 0 ? ei__now_ns() : t->received_ns;
    r->req.done = run_done;
    r->req.user = r;
    /* Set before submitting: once accepted, the call may end (and be freed) on a model worker. A
     * refused run is counted here, so call_end() must not count it again. */
    if (!t->submitted)
        t->submitted = true;
    if (stage == 0 && !t->ran_first)
        t->ran_first = true;
    ei_code_t rc = ei__model_submit(m, &r->req, err);
    if (rc != EI_OK) {
        ei__v2_count_failure(m, r->req.received_ns);
        ei__free(r);
        return rc;
    }
    return EI_OK; /* neither r nor t is touched from here: run_done() may already have run */
}

/* Ending -------------------------------------------------------------------------------------- */

static void call_end(task_call_t *t, ei_code_t code, const ei_error_t *e)
{
    ei__task_outcome_t o;
    memset(&o, 0, sizeof o);
    o.version = ei__model_version(t->stage[0].model);
    o.queue_ns = atomic_load_explicit(&t->queue_ns, memory_order_relaxed);
    o.compute_ns = atomic_load_explicit(&t->compute_ns, memory_order_relaxed);
    char *members = NULL, *body = NULL;
    size_t n = 0;
    if (code == EI_OK)
        code = ei_task_job_json(t->job, &members, &n, &o.err);
    else if (e != NULL)
        o.err = *e;
    if (code == EI_OK) {
        const char *name = ei__model_name(t->stage[0].model);
        ei__sbuf_t b = {0};
        ei__sbuf_adds(&b, "{\"model_name\":");
        ei__sbuf_json_str(&b, name, strlen(name));
        ei__sbuf_printf(&b, ",\"model_version\":\"%lld\",", (long long)o.version);
        ei__sbuf_add(&b, members, n);
        ei__sbuf_addc(&b, '}');
        body = ei__sbuf_take(&b, &o.json_len);
        if (body == NULL)
            code = ei__fail(&o.err, EI_ENOMEM, "out of memory");
    }
    o.code = code;
    o.json = body;
    if (t->submitted && !t->ran_first && !t->uncounted) {
        /* A pipeline model (its head ran other models only) counts the call as its own. */
        ei__infer_req_t q = {0};
        q.code = code;
        q.received_ns = t->received_ns;
        ei__model_record(t->stage[0].model, &q);
    }
    if (code != EI_OK) {
        o.err.code = code;
        if (!o.err.msg[0])
            ei__strlcpy(o.err.msg, ei_code_str(code), sizeof o.err.msg);
        if (!t->submitted && !t->uncounted)
            ei__v2_count_failure(t->stage[0].model, t->received_ns);
        ei__log_event(t->core, EI_LOG_WARN, 0, ei__model_name(t->stage[0].model), o.version,
                      "%s failed: %s", ei_task_head_name(t->head), o.err.msg);
    }
    t->done(&o, t->user);
    ei__free(members);
    ei__free(body);
    call_free(t);
}

static void job_finished(ei_task_job_t *job, void *user)
{
    task_call_t *t = user;
    ei_error_t e = {0};
    ei_code_t code = ei_task_job_status(job, &e);
    call_end(t, code, &e);
}

/* On an image worker: decode, preprocess, start the stages. */
static void work_run(ei__image_work_t *w, bool stopping)
{
    task_call_t *t = (task_call_t *)w;
    ei_error_t e = {0};
    if (stopping) {
        ei__fail(&e, EI_EBUSY, "server is shutting down");
        call_end(t, e.code, &e);
        return;
    }
    uint64_t max_pixels = t->core->o->max_image_pixels;
    ei_code_t rc = ei_task_job_prepare_bytes(t->job, t->image, t->image_len, max_pixels,
                                             t->core->task_cache, &e);
    if (rc != EI_OK) {
        call_end(t, rc, &e);
        return;
    }
    ei_task_runner_t runner = {runner_run, t};
    ei_task_job_start(t->job, &runner, job_finished, t); /* job_finished() ends the call */
}

ei_code_t ei__task_call_start(ei__v2_core_t *c, ei__repo_t *repo, const ei__task_args_t *a,
                              ei__task_done_fn done, void *user, int64_t *version, ei_error_t *err)
{
    if (version != NULL)
        *version = -1;
    const ei_task_head_t *h = ei_task_head_find(a->head);
    if (h == NULL)
        return ei__fail(err, EI_EINVAL, "no task head '%s'", a->head ? a->head : "(null)");
    task_call_t *t = ei__calloc(1, sizeof *t);
    if (t == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    t->core = c;
    t->args = a;
    t->image = a->image;
    t->image_len = a->image_len;
    t->received_ns = a->received_ns;
    t->uncounted = a->uncounted;
    t->done = done;
    t->user = user;
    t->repo = repo;
    t->head = h;
    t->work.run = work_run;
    ei_task_env_t env = {env_stage, env_model_param, env_request_param, t};
    size_t first = 0;
    ei_code_t rc = add_stage(t, a->model, a->version, &first, err);
    if (t->n_stages > 0 && version != NULL)
        *version = ei__model_version(t->stage[0].model);
    if (rc == EI_OK)
        rc = ei_task_job_create(h, &env, &t->job, err);
    t->args = NULL;
    t->repo = NULL;
    if (rc == EI_OK) {
        rc = ei__v2_images_push(c, &t->work, err);
        if (rc != EI_OK)
            ei__error_prefix(err, "%s", a->head);
    }
    if (rc != EI_OK) {
        if (t->n_stages > 0 && !a->uncounted)
            ei__v2_count_failure(t->stage[0].model, a->received_ns);
        call_free(t);
        return rc;
    }
    return EI_OK; /* a worker goes on (and may already have finished: t is not ours) */
}
