/* SPDX-License-Identifier: MIT */
/*
 * The server object (include/edgeinfer/server.h): options, the v2 core (model repository, shared
 * memory), the front-ends with their route tables, and the graceful stop. The stop order matters:
 * close the listening socket, refuse new requests on kept-alive connections (503 + close), wait for
 * every accepted request to be answered, and only then tear the repository down and close the
 * daemons; when the wait times out, tearing the repository down first answers the still-queued
 * requests (the batcher calls done() for each), so no connection is left suspended when MHD stops
 * (which it does not allow).
 */
#include "rest.h"
#include "server_internal.h"

#include <string.h>

void ei_server_opts_init(ei_server_opts_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->http_address = "127.0.0.1";
    o->http_port = 8000;
    o->metrics_port = 8002;
    o->model_control_mode = EI_SERVER_CONTROL_NONE;
    o->repository_poll_secs = 15;
    o->log_format = EI_SERVER_LOG_TEXT;
    o->limits.max_body_bytes = (size_t)64 << 20;
    o->limits.max_tensor_elements = (size_t)1 << 26;
    o->limits.max_header_bytes = 16 << 10;
    o->limits.max_connections = 512;
    o->limits.connection_timeout_secs = 30;
    o->http_threads = 2;
    o->default_max_batch_size = 4;
    o->shutdown_timeout_secs = 30;
}

static void free_strings(ei_server_t *s)
{
    ei__free(s->repo_path);
    ei__free(s->address);
    if (s->load_models) {
        for (size_t i = 0; i < s->o.n_load_models; i++)
            ei__free(s->load_models[i]);
        ei__free(s->load_models);
    }
}

ei_code_t ei_server_create(const ei_server_opts_t *opts, ei_server_t **out, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    ei_server_t *s = NULL;
    if (out)
        *out = NULL;
    if (!opts || !out)
        return ei__fail(err, EI_EINVAL, "ei_server_create: opts and out are required");
    if (!opts->model_repository || !*opts->model_repository)
        return ei__fail(err, EI_EINVAL, "model repository: no directory given");
    if (opts->http_port < 0 || opts->http_port > 65535)
        return ei__fail(err, EI_EINVAL, "http port %d: expected 0..65535", opts->http_port);
    if (opts->metrics_port < -1 || opts->metrics_port > 65535)
        return ei__fail(err, EI_EINVAL, "metrics port %d: expected -1 (off) or 0..65535",
                        opts->metrics_port);
    if (opts->limits.max_body_bytes == 0 || opts->limits.max_header_bytes < 1024 ||
        opts->limits.max_connections == 0 || opts->limits.max_tensor_elements == 0)
        return ei__fail(err, EI_EINVAL,
                        "limits: body, tensor elements and connections must be > 0 and the "
                        "header limit >= 1024 bytes");
    s = ei__calloc(1, sizeof *s);
    if (!s)
        return ei__fail(err, EI_ENOMEM, "server: out of memory");
    s->o = *opts;
    /* The server registers the endpoints: the front-end knows none of them. */
    ei__v2_core_init(&s->core, &s->o);
    ei__http_init(&s->http, &s->core, &s->o, &ei__rest_v2_routes, &ei__metrics_routes);
    s->repo_path = ei__strdup(opts->model_repository);
    s->address = ei__strdup(opts->http_address ? opts->http_address : "127.0.0.1");
    if (opts->n_load_models) {
        s->load_models = ei__calloc(opts->n_load_models, sizeof *s->load_models);
        if (s->load_models) {
            for (size_t i = 0; i < opts->n_load_models; i++) {
                s->load_models[i] = ei__strdup(opts->load_models[i]);
                if (!s->load_models[i])
                    rc = EI_ENOMEM;
            }
        } else {
            rc = EI_ENOMEM;
        }
    }
    if (!s->repo_path || !s->address || rc != EI_OK) {
        rc = ei__fail(err, EI_ENOMEM, "server: out of memory");
        goto out;
    }
    s->o.model_repository = s->repo_path;
    s->o.http_address = s->address;
    s->o.load_models = (const char *const *)s->load_models;

    ei__repo_opts_t ro;
    memset(&ro, 0, sizeof ro);
    ro.path = s->repo_path;
    switch (opts->model_control_mode) {
    case EI_SERVER_CONTROL_NONE:
        ro.mode = EI__CONTROL_NONE;
        break;
    case EI_SERVER_CONTROL_POLL:
        ro.mode = EI__CONTROL_POLL;
        break;
    case EI_SERVER_CONTROL_EXPLICIT:
        ro.mode = EI__CONTROL_EXPLICIT;
        break;
    }
    ro.poll_secs = opts->repository_poll_secs;
    ro.load_models = s->o.load_models;
    ro.n_load_models = opts->n_load_models;
    ro.default_max_batch_size = opts->default_max_batch_size;
    ro.use_global_threads = opts->use_global_threads;
    rc = ei__repo_create(&ro, &s->core.repo, err); /* its messages name the repository */
    if (rc != EI_OK)
        goto out;
    if (opts->allow_client_shm)
        rc = ei__shm_create(&s->core.shm, err);
out:
    if (rc != EI_OK) {
        ei_server_destroy(s);
        return rc;
    }
    *out = s;
    return EI_OK;
}

ei_code_t ei_server_start(ei_server_t *s, ei_error_t *err)
{
    if (!s)
        return ei__fail(err, EI_EINVAL, "ei_server_start: no server");
    if (s->started)
        return ei__fail(err, EI_EINVAL, "server already started");
    ei_code_t rc = ei__http_start(&s->http, err);
    if (rc != EI_OK)
        return rc;
    s->started = true;
    ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1, "serving http on %s:%d, metrics %s%d",
                  s->address, s->http.port, s->http.metrics_port >= 0 ? "on port " : "off ",
                  s->http.metrics_port);
    return EI_OK;
}

int ei_server_http_port(const ei_server_t *s)
{
    return s && s->started ? s->http.port : -1;
}

int ei_server_metrics_port(const ei_server_t *s)
{
    return s && s->started ? s->http.metrics_port : -1;
}

void ei_server_stop(ei_server_t *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    if (s->started) {
        ei__http_quiesce(&s->http);
        uint64_t n = ei__v2_begin_stop(&s->core);
        ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1,
                      "stopping: no new connections; waiting for %llu request(s) in flight",
                      (unsigned long long)n);
        if (!ei__v2_wait_drained(&s->core, s->o.shutdown_timeout_secs)) {
            ei__log_event(&s->core, EI_LOG_WARN, 0, NULL, -1,
                          "requests still in flight after %u s: answering the queued ones 503",
                          s->o.shutdown_timeout_secs);
            ei__v2_core_teardown(&s->core);
            ei__v2_wait_drained(&s->core, 5);
        }
        ei__http_stop(&s->http);
        ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1, "stopped");
    }
    ei__v2_core_teardown(&s->core);
}

void ei_server_destroy(ei_server_t *s)
{
    if (!s)
        return;
    ei_server_stop(s);
    ei__http_dispose(&s->http);
    ei__v2_core_dispose(&s->core); /* after every request has let go of its regions */
    free_strings(s);
    ei__free(s);
}
