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

/*
 * TLS credentials, API keys, trusted signing keys and the model key: all read and checked before
 * the repository loads anything, so a bad file fails the start at once, naming itself. The option
 * strings are not kept (the objects copy what they need to reload).
 */
static ei_code_t security_create(ei_server_t *s, const ei_server_opts_t *o, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    s->o.tls_cert = s->o.tls_key = s->o.tls_client_ca = NULL;
    s->o.api_keys = s->o.trusted_keys = s->o.model_key_file = NULL;
    if ((o->tls_cert != NULL) != (o->tls_key != NULL))
        return ei__fail(err, EI_EINVAL, "TLS needs both a certificate and a key file");
    if (o->tls_client_ca != NULL && o->tls_cert == NULL)
        return ei__fail(err, EI_EINVAL, "a TLS client CA needs a TLS certificate and key too");
    if (o->tls_cert != NULL) {
        rc = ei__tls_create(o->tls_cert, o->tls_key, o->tls_client_ca, &s->core.tls, err);
        if (rc != EI_OK)
            return rc;
    }
    if (o->api_keys != NULL) {
        rc = ei__auth_create(o->api_keys, o->auth_health, &s->core.auth, err);
        if (rc != EI_OK) {
            ei__error_prefix(err, "API keys");
            return rc;
        }
    } else if (o->auth_health) {
        return ei__fail(err, EI_EINVAL, "protecting health needs an API keys file");
    }
    if (o->require_signed_models && o->trusted_keys == NULL)
        return ei__fail(err, EI_EINVAL, "requiring signed models needs a trusted keys directory");
    if (o->trusted_keys != NULL) {
        rc = ei_keyring_create(&s->trusted_keys, err);
        if (rc == EI_OK)
            rc = ei_keyring_add_dir(s->trusted_keys, o->trusted_keys, err);
        if (rc != EI_OK) {
            ei__error_prefix(err, "trusted keys");
            return rc;
        }
    }
    if (o->model_key_file != NULL) {
        rc = ei_model_key_load(o->model_key_file, &s->model_key, err);
    } else {
        rc = ei_model_key_from_env(NULL, &s->model_key, err);
        if (rc == EI_ENOTFOUND)
            rc = EI_OK; /* no key: encrypted models are refused, saying why */
    }
    if (rc != EI_OK)
        ei__error_prefix(err, "model key");
    return rc;
}

ei_code_t ei_server_reload_credentials(ei_server_t *s, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    ei_error_t e = {0};
    if (!s)
        return ei__fail(err, EI_EINVAL, "no server");
    if (s->core.tls) {
        if (ei__tls_reload(s->core.tls, &e) == EI_OK) {
            ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1, "TLS certificate reloaded");
        } else {
            ei__log_event(&s->core, EI_LOG_ERROR, 0, NULL, -1,
                          "TLS certificate not reloaded (the old one stays in force): %s", e.msg);
            rc = ei__fail(err, e.code, "TLS: %s", e.msg);
        }
    }
    if (s->core.auth) {
        ei_error_t a = {0};
        if (ei__auth_reload(s->core.auth, &a) == EI_OK) {
            ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1, "API keys reloaded: %zu keys",
                          ei__auth_key_count(s->core.auth));
        } else {
            ei__log_event(&s->core, EI_LOG_ERROR, 0, NULL, -1,
                          "API keys not reloaded (the old ones stay in force): %s", a.msg);
            if (rc == EI_OK)
                rc = ei__fail(err, a.code, "API keys: %s", a.msg);
        }
    }
    return rc;
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
    rc = security_create(s, opts, err);
    if (rc != EI_OK)
        goto out;
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
    ro.trusted_keys = s->trusted_keys;
    ro.require_signed = opts->require_signed_models;
    ro.model_key = s->model_key;
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
    ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1, "serving %s on %s:%d, metrics %s%d%s",
                  s->core.tls ? "https" : "http", s->address, s->http.port,
                  s->http.metrics_port >= 0 ? "on port " : "off ", s->http.metrics_port,
                  s->core.tls && ei__tls_mutual(s->core.tls) ? " (client certificates required)"
                                                             : "");
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
    ei__tls_destroy(s->core.tls);  /* after the daemons: no session uses its credentials */
    ei__auth_destroy(s->core.auth);
    ei_keyring_destroy(s->trusted_keys);
    ei_model_key_destroy(s->model_key);
    free_strings(s);
    ei__free(s);
}
