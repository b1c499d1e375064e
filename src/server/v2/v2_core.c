/* SPDX-License-Identifier: MIT */
/*
 * The protocol-neutral KServe v2 core (see v2_core.h): the drain gate, the repository hold, model
 * load/unload, and one inference call from the parsed request object to the results.
 */
#include "v2_core.h"

#include "task_call.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void ei__v2_core_init(ei__v2_core_t *c, const ei_server_opts_t *o)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_rwlock_init(&c->repo_lock, NULL);
    c->start_ns = ei__now_ns();
}

void ei__v2_core_dispose(ei__v2_core_t *c)
{
    ei__v2_images_dispose(c); /* stopped by ei_server_stop(); freed once nothing can push */
    ei__shm_destroy(c->shm);  /* after every request has let go of its regions */
    c->shm = NULL;
    pthread_rwlock_destroy(&c->repo_lock);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

uint64_t ei__v2_next_id(ei__v2_core_t *c)
{
    return atomic_fetch_add_explicit(&c->next_req_id, 1, memory_order_relaxed) + 1;
}

/* The drain gate ------------------------------------------------------------------------------ */

bool ei__v2_enter(ei__v2_core_t *c, bool always)
{
    bool in = false;
    pthread_mutex_lock(&c->mu);
    if (!c->stopping || always) {
        c->inflight++;
        in = true;
    }
    pthread_mutex_unlock(&c->mu);
    return in;
}

void ei__v2_leave(ei__v2_core_t *c)
{
    pthread_mutex_lock(&c->mu);
    c->inflight--;
    if (c->inflight == 0)
        pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

uint64_t ei__v2_begin_stop(ei__v2_core_t *c)
{
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    uint64_t n = c->inflight;
    pthread_mutex_unlock(&c->mu);
    return n;
}

uint64_t ei__v2_inflight(ei__v2_core_t *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t n = c->inflight;
    pthread_mutex_unlock(&c->mu);
    return n;
}

bool ei__v2_wait_drained(ei__v2_core_t *c, unsigned secs)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)secs;
    bool drained;
    pthread_mutex_lock(&c->mu);
    while (c->inflight > 0) {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT)
            break;
    }
    drained = c->inflight == 0;
    pthread_mutex_unlock(&c->mu);
    return drained;
}

void ei__v2_core_teardown(ei__v2_core_t *c)
{
    pthread_rwlock_wrlock(&c->repo_lock);
    ei__repo_t *r = c->repo;
    c->repo = NULL;
    pthread_rwlock_unlock(&c->repo_lock);
    /* Outside the lock: destroying drains the queues, and the done() callbacks must not wait on
     * anything a handler holding the read lock could hold. */
    ei__repo_destroy(r);
}

/* The repository ----------------------------------------------------------------------------- */

ei__repo_t *ei__v2_repo_hold(ei__v2_core_t *c, ei_error_t *err)
{
    pthread_rwlock_rdlock(&c->repo_lock);
    if (!c->repo) {
        pthread_rwlock_unlock(&c->repo_lock);
        ei__fail(err, EI_EBUSY,
                 atomic_load(&c->loading) ? "server is starting: the models are loading"
                                          : "server is shutting down");
        return NULL;
    }
    return c->repo;
}

void ei__v2_repo_drop(ei__v2_core_t *c)
{
    pthread_rwlock_unlock(&c->repo_lock);
}

bool ei__v2_server_ready(ei__v2_core_t *c)
{
    ei__repo_t *repo = ei__v2_repo_hold(c, NULL);
    if (!repo)
        return false;
    bool ok = ei__repo_ready(repo);
    ei__v2_repo_drop(c);
    return ok;
}

ei_code_t ei__v2_load_with(ei__v2_core_t *c, ei__repo_t *repo, const char *name,
                           const char *config_json, const ei__repo_file_t *files, size_t n_files,
                           uint64_t req_id, ei_error_t *err)
{
    ei_code_t rc = ei__repo_load_with(repo, name, config_json, files, n_files, err);
    if (rc != EI_OK) {
        if (rc != EI_EUNSUPPORTED)
            ei__error_prefix(err, "failed to load '%s'", name);
        ei__log_event(c, EI_LOG_WARN, req_id, name, -1, "load failed: %s",
                      err ? err->msg : ei_code_str(rc));
    } else {
        ei__log_event(c, EI_LOG_INFO, req_id, name, -1, "loaded%s",
                      config_json != NULL ? " (with overrides)" : "");
    }
    return rc;
}

unsigned ei__v2_load_status(ei_code_t code)
{
    switch (code) {
    case EI_ENOTFOUND:
    case EI_ENOENT:
        return 404;
    case EI_ENOMEM:
    case EI_EIO:
        return 500;
    case EI_EUNSUPPORTED:
        return 501;
    default:
        return 400;
    }
}

ei_code_t ei__v2_load(ei__v2_core_t *c, ei__repo_t *repo, const char *name, bool load,
                      uint64_t req_id, ei_error_t *err)
{
    if (load)
        return ei__v2_load_with(c, repo, name, NULL, NULL, 0, req_id, err);
    ei_code_t rc = ei__repo_unload(repo, name, err);
    if (rc != EI_OK)
        ei__log_event(c, EI_LOG_WARN, req_id, name, -1, "%s failed: %s", load ? "load" : "unload",
                      err ? err->msg : ei_code_str(rc));
    else
        ei__log_event(c, EI_LOG_INFO, req_id, name, -1, "%s", load ? "loaded" : "unloaded");
    return rc;
}

const char *const *ei__v2_extensions(const ei__v2_core_t *c)
{
    static const char *const base[] = {
        "classification",      "sequence",           "model_repository",
        "model_configuration", "binary_tensor_data", "parameters",
        "statistics",          "schedule_policy",    NULL};
    static const char *const with_shm[] = {
        "classification",       "sequence",   "model_repository", "model_configuration",
        "binary_tensor_data",   "parameters", "statistics",       "schedule_policy",
        "system_shared_memory", NULL};
    return c->shm ? with_shm : base;
}

void ei__v2_count_failure(ei__model_t *m, uint64_t start_ns)
{
    ei__model_stats_t *st = ei__model_stats(m);
    uint64_t now = ei__now_ns();
    atomic_fetch_add_explicit(&st->fail_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->fail_ns, now > start_ns ? now - start_ns : 0,
                              memory_order_relaxed);
}

/* Inference ---------------------------------------------------------------------------------- */

void ei__v2_call_free(ei__v2_call_t *call)
{
    if (!call)
        return;
    if (call->req.results) {
        for (size_t i = 0; i < call->req.n_results; i++)
            ei_tensor_destroy(call->req.results[i]);
        ei__free(call->req.results);
    }
    ei__v2_request_dispose(&call->rq);
    ei__free(call->onames);
    if (call->model)
        ei__model_release(call->model);
    ei__free(call);
}

ei_code_t ei__v2_call_begin(ei__v2_core_t *c, ei__repo_t *repo, const char *name, int64_t version,
                            uint64_t received_ns, ei__v2_call_t **out, ei_error_t *err)
{
    *out = NULL;
    ei__v2_call_t *call = ei__calloc(1, sizeof *call);
    if (!call)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    call->core = c;
    call->received_ns = received_ns;
    ei_code_t rc = ei__repo_acquire(repo, name, version, &call->model, err);
    if (rc != EI_OK) {
        ei__free(call);
        return rc;
    }
    *out = call;
    return EI_OK;
}

const ei__model_config_t *ei__v2_call_config(const ei__v2_call_t *call)
{
    return ei__model_config(call->model);
}

void ei__v2_call_failed(ei__v2_call_t *call)
{
    if (call && call->model)
        ei__v2_count_failure(call->model, call->received_ns);
}

/* Runs on a batcher worker thread. */
static void call_done(ei__infer_req_t *req)
{
    ei__v2_call_t *call = req->user;
    call->done(call);
}

ei_code_t ei__v2_call_submit(ei__v2_call_t *call, ei_error_t *err)
{
    const ei__model_config_t *cfg = ei__model_config(call->model);
    ei__v2_request_t *rq = &call->rq;
    ei_code_t rc = EI_OK;
    /* Outputs the client names must exist (the model side checks inputs). */
    for (size_t i = 0; i < rq->n_outputs && rc == EI_OK; i++)
        if (!ei__model_config_output(cfg, rq->outputs[i].name))
            rc = ei__fail(err, EI_EINVAL, "model '%s': unknown output '%s'",
                          ei__model_name(call->model), rq->outputs[i].name);
    if (rc == EI_OK && rq->n_outputs) {
        call->onames = ei__calloc(rq->n_outputs, sizeof *call->onames);
        if (!call->onames)
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
        for (size_t i = 0; call->onames && i < rq->n_outputs; i++)
            call->onames[i] = rq->outputs[i].name;
    }
    if (rc == EI_OK) {
        call->req.n_inputs = rq->n_inputs;
        call->req.input_names = rq->input_names;
        call->req.inputs = rq->inputs;
        call->req.n_outputs = rq->n_outputs;
        call->req.output_names = call->onames;
        call->req.timeout_us = rq->timeout_us;
        call->req.seq_id = rq->seq_id;
        call->req.seq_id_str = rq->seq_id_str;
        call->req.seq_start = rq->seq_start;
        call->req.seq_end = rq->seq_end;
        call->req.received_ns = call->received_ns;
        call->req.done = call_done;
        call->req.user = call;
        rc = ei__model_submit(call->model, &call->req, err);
    }
    /* Accepted: done() owns the call from here on, and may already have run. */
    if (rc != EI_OK)
        ei__v2_call_failed(call);
    return rc;
}

void ei__v2_call_error(const ei__v2_call_t *call, ei_error_t *out)
{
    *out = call->req.err;
    out->code = call->req.code != EI_OK ? call->req.code : EI_ERUNTIME;
    if (!out->msg[0])
        ei__strlcpy(out->msg, ei_code_str(out->code), sizeof out->msg);
}

void ei__v2_call_cancel(ei__v2_call_t *call)
{
    ei__infer_cancel(&call->req);
}
