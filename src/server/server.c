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
#include "pipeline_run.h"
#include "rest.h"
#include "server_internal.h"
#include "task_call.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    o->request_timeout_secs = 60;
    o->min_transfer_rate = 1024;
    o->max_connections_per_ip = 128;
    o->image_queue = 16;
    o->max_image_pixels = EI_IMAGE_DEFAULT_MAX_PIXELS;
    o->grpc_port = 8001;
    o->grpc_threads = 2;
    o->max_memory_bytes = (size_t)1 << 30;
}

static void free_strings(ei_server_t *s)
{
    ei__free(s->repo_path);
    ei__free(s->address);
    ei__free(s->cors_origins);
    ei__free(s->allowed_hosts);
    ei__free(s->grpc_address);
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
    if (opts->grpc_port < -1 || opts->grpc_port > 65535)
        return ei__fail(err, EI_EINVAL, "grpc port %d: expected -1 (off) or 0..65535",
                        opts->grpc_port);
    if (opts->grpc_compression_level < 0 || opts->grpc_compression_level > 3)
        return ei__fail(err, EI_EINVAL,
                        "grpc compression level %d: expected 0 (none), 1, 2 or 3 (high)",
                        opts->grpc_compression_level);
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
    pthread_mutex_init(&s->load_mu, NULL);
    pthread_cond_init(&s->load_cv, NULL);
    ei__http_init(&s->http, &s->core, &s->o, &ei__rest_v2_routes, &ei__metrics_routes);
#ifdef EI_HAVE_GRPC
    ei__grpc_init(&s->grpc, &s->core, &s->o);
    s->core.metrics_extra = ei__grpc_metrics; /* its families on /metrics */
    s->core.metrics_extra_user = &s->grpc;
#else
    s->o.grpc_port = -1;
#endif
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
    if (opts->cors_allow_origins != NULL) {
        s->cors_origins = ei__strdup(opts->cors_allow_origins);
        rc = s->cors_origins ? rc : EI_ENOMEM;
    }
    if (opts->allowed_hosts != NULL) {
        s->allowed_hosts = ei__strdup(opts->allowed_hosts);
        rc = s->allowed_hosts ? rc : EI_ENOMEM;
    }
    if (opts->grpc_address && !(s->grpc_address = ei__strdup(opts->grpc_address)))
        rc = EI_ENOMEM;
    if (!s->repo_path || !s->address || rc != EI_OK) {
        rc = ei__fail(err, EI_ENOMEM, "server: out of memory");
        goto out;
    }
    rc = security_create(s, opts, err);
    if (rc != EI_OK)
        goto out;
    s->o.model_repository = s->repo_path;
    s->o.http_address = s->address;
    s->o.grpc_address = s->grpc_address;
    s->o.load_models = (const char *const *)s->load_models;
    s->o.cors_allow_origins = s->cors_origins;
    s->o.allowed_hosts = s->allowed_hosts;

    /* The models load after the ports are bound (ei_server_start()); a repository that is not
     * there is still an error now. */
    struct stat st;
    if (stat(s->repo_path, &st) != 0) {
        rc = ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "model repository %s: %s",
                      s->repo_path, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = ei__fail(err, EI_ENOENT, "model repository %s: not a directory", s->repo_path);
        goto out;
    }
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

/* The start-up load, on its own thread once the ports are bound: live at once, ready when done. */
static void *loader_main(void *arg)
{
    ei_server_t *s = arg;
    const char *hold = getenv("EI_TEST_HOLD_LOAD"); /* tests only: wait for a byte on a FIFO */
    if (hold && *hold) {
        int fd = open(hold, O_RDONLY | O_CLOEXEC);
        char b;
        if (fd >= 0) {
            while (read(fd, &b, 1) < 0 && errno == EINTR) {
            }
            close(fd);
        }
    }
    ei__repo_opts_t ro;
    memset(&ro, 0, sizeof ro);
    ro.path = s->repo_path;
    switch (s->o.model_control_mode) {
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
    ro.poll_secs = s->o.repository_poll_secs;
    ro.load_models = s->o.load_models;
    ro.n_load_models = s->o.n_load_models;
    ro.default_max_batch_size = s->o.default_max_batch_size;
    ro.use_global_threads = s->o.use_global_threads;
    ro.trusted_keys = s->trusted_keys;
    ro.require_signed = s->o.require_signed_models;
    ro.model_key = s->model_key;
    ro.pipeline_submit = ei__v2_pipeline_submit; /* /infer on pipeline models (v2/pipeline_run.h) */
    ro.pipeline_ctx = &s->core;
    ei__repo_t *repo = NULL;
    ei_error_t e = {0};
    ei_code_t rc = ei__repo_create(&ro, &repo, &e); /* its messages name the repository */
    pthread_rwlock_wrlock(&s->core.repo_lock);
    s->core.repo = repo;
    pthread_rwlock_unlock(&s->core.repo_lock);
    pthread_mutex_lock(&s->load_mu);
    s->load_rc = rc;
    s->load_err = e;
    s->loaded = true;
    atomic_store(&s->core.loading, false);
    pthread_cond_broadcast(&s->load_cv);
    pthread_mutex_unlock(&s->load_mu);
    if (rc != EI_OK)
        ei__log_event(&s->core, EI_LOG_ERROR, 0, NULL, -1, "loading the model repository: %s",
                      e.msg);
    return NULL;
}

ei_code_t ei_server_wait_loaded(ei_server_t *s, ei_error_t *err)
{
    if (!s || !s->loader_started)
        return ei__fail(err, EI_EINVAL, "ei_server_wait_loaded: the server was not started");
    pthread_mutex_lock(&s->load_mu);
    while (!s->loaded)
        pthread_cond_wait(&s->load_cv, &s->load_mu);
    ei_code_t rc = s->load_rc;
    if (rc != EI_OK && err)
        *err = s->load_err;
    pthread_mutex_unlock(&s->load_mu);
    return rc;
}

ei_code_t ei_server_start(ei_server_t *s, ei_error_t *err)
{
    if (!s)
        return ei__fail(err, EI_EINVAL, "ei_server_start: no server");
    if (s->started)
        return ei__fail(err, EI_EINVAL, "server already started");
    ei_code_t rc = ei__v2_images_start(&s->core, err);
    if (rc == EI_OK) {
        rc = ei__http_start(&s->http, err);
        if (rc != EI_OK)
            ei__v2_images_dispose(&s->core);
    }
    if (rc != EI_OK)
        return rc;
#ifdef EI_HAVE_GRPC
    rc = ei__grpc_start(&s->grpc, err);
    if (rc != EI_OK) {
        ei__http_quiesce(&s->http);
        ei__http_stop(&s->http);
        ei__v2_images_dispose(&s->core);
        return rc;
    }
#endif
    s->started = true;
    ei__log_event(
        &s->core, EI_LOG_INFO, 0, NULL, -1, "serving %s on %s:%d, grpc %s%d, metrics %s%d%s",
        s->core.tls ? "https" : "http", s->address, s->http.port,
        ei_server_grpc_port(s) >= 0 ? "on port " : "off ", ei_server_grpc_port(s),
        s->http.metrics_port >= 0 ? "on port " : "off ", s->http.metrics_port,
        s->core.tls && ei__tls_mutual(s->core.tls) ? " (client certificates required)" : "");
    atomic_store(&s->core.loading, true);
    if (pthread_create(&s->loader, NULL, loader_main, s) != 0) {
        atomic_store(&s->core.loading, false);
        return ei__fail(err, EI_ERUNTIME, "cannot start the model loading thread");
    }
    s->loader_started = true;
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

int ei_server_grpc_port(const ei_server_t *s)
{
#ifdef EI_HAVE_GRPC
    return s && s->started ? s->grpc.port : -1;
#else
    (void)s;
    return -1;
#endif
}

static void terminate_model(ei__model_t *m, void *user)
{
    (void)user;
    ei_session_terminate(ei__model_session(m));
}

void ei_server_stop(ei_server_t *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    if (s->loader_started) {
        /* Loading is not interruptible: a stop during start-up waits for it. */
        pthread_join(s->loader, NULL);
        s->loader_started = false;
        s->loader_joined = true;
    }
    if (s->started) {
        ei__http_quiesce(&s->http);
#ifdef EI_HAVE_GRPC
        ei__grpc_quiesce(&s->grpc);
#endif
        uint64_t n = ei__v2_begin_stop(&s->core);
        ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1,
                      "stopping: no new connections; waiting for %llu request(s) in flight",
                      (unsigned long long)n);
        uint64_t drain_start = ei__now_ns();
        if (ei__v2_wait_drained(&s->core, s->o.shutdown_timeout_secs)) {
            ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1,
                          "drained in %llu ms: every request in flight was answered",
                          (unsigned long long)((ei__now_ns() - drain_start) / 1000000u));
        } else {
            /* Every request still waiting is answered 503 now (its connection resumes and
             * completes); the runs in progress are terminated so the models let go quickly. */
            unsigned cancelled = ei__http_cancel_pending(&s->http);
            ei__log_event(&s->core, EI_LOG_WARN, 0, NULL, -1,
                          "requests still in flight after %u s: %u answered 503 (cancelled)",
                          s->o.shutdown_timeout_secs, cancelled);
            ei__repo_t *repo = ei__v2_repo_hold(&s->core, NULL);
            if (repo) {
                ei__repo_foreach(repo, terminate_model, NULL);
                ei__v2_repo_drop(&s->core);
            }
            if (!ei__v2_wait_drained(&s->core, 10))
                ei__log_event(&s->core, EI_LOG_WARN, 0, NULL, -1,
                              "requests still arriving after the deadline: their connections are "
                              "closed");
        }
        ei__http_stop(&s->http);
        ei__v2_images_stop(&s->core); /* after its queued images were answered */
        /* A request cancelled at the deadline still gets its model's (dropped) answer, which
         * reaches the HTTP front-end and the core: wait for them (the runs were terminated, so
         * they come soon); if some never come, the server is never freed. */
        if (!ei__http_wait_late(&s->http, 60)) {
            s->late_unanswered = true;
            ei__log_event(&s->core, EI_LOG_ERROR, 0, NULL, -1,
                          "%u cancelled request(s) still unanswered by their model 60 s after "
                          "the deadline: the server's memory is kept for them",
                          atomic_load(&s->http.late_pending));
        }
#ifdef EI_HAVE_GRPC
        ei__grpc_stop(&s->grpc);
#endif
        ei__log_event(&s->core, EI_LOG_INFO, 0, NULL, -1, "stopped");
    }
    ei__v2_core_teardown(&s->core);
}

void ei_server_destroy(ei_server_t *s)
{
    if (!s)
        return;
    ei_server_stop(s);
    if (s->late_unanswered)
        return; /* a model may still answer into it (logged by ei_server_stop) */
    ei__http_dispose(&s->http);
#ifdef EI_HAVE_GRPC
    ei__grpc_stop(&s->grpc); /* when started but never stopped through ei_server_stop() */
    ei__grpc_dispose(&s->grpc);
#endif
    ei__v2_core_dispose(&s->core); /* after every request has let go of its regions */
    ei__tls_destroy(s->core.tls);  /* after the daemons: no session uses its credentials */
    ei__auth_destroy(s->core.auth);
    ei_keyring_destroy(s->trusted_keys);
    ei_model_key_destroy(s->model_key);
    pthread_cond_destroy(&s->load_cv);
    pthread_mutex_destroy(&s->load_mu);
    free_strings(s);
    ei__free(s);
}
