/* SPDX-License-Identifier: MIT */
/*
 * The KServe v2 REST endpoints as Triton serves them: routing, health, server and model metadata,
 * model config and statistics, the repository API, and inference (parsed and written by
 * v2_infer.c, scheduled by the model side through ei__model_submit()). Inference answers from the
 * batcher's worker thread: the handler returns without a response, the HTTP glue suspends the
 * connection, and infer_done() responds (which resumes it).
 */
#include "server_internal.h"
#include "v2_request.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define V2_EXTENSIONS                                                                              \
    "[\"classification\",\"model_repository\",\"model_configuration\",\"binary_tensor_data\","     \
    "\"parameters\",\"statistics\",\"schedule_policy\"]"

/* Path segments of the URL (at most 8; extra ones make the route unknown). */
typedef struct route {
    char buf[512];
    const char *seg[9];
    size_t n;
} route_t;

static bool split_path(const char *url, route_t *r)
{
    r->n = 0;
    if (ei__strlcpy(r->buf, url, sizeof r->buf) >= sizeof r->buf)
        return false;
    char *q = strchr(r->buf, '?');
    if (q)
        *q = '\0';
    char *p = r->buf;
    while (*p) {
        while (*p == '/')
            *p++ = '\0';
        if (!*p)
            break;
        if (r->n == 9)
            return false;
        r->seg[r->n++] = p;
        while (*p && *p != '/')
            p++;
    }
    return true;
}

static bool is(const route_t *r, size_t i, const char *s)
{
    return i < r->n && strcmp(r->seg[i], s) == 0;
}

static bool method_is(const ei__http_req_t *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

static void respond_json(ei__http_req_t *r, unsigned status, json_t *doc)
{
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (doc)
        json_decref(doc);
    if (!s) {
        ei__http_respond_error(r, 500, "out of memory");
        return;
    }
    /* json_dumps allocates with jansson's allocator (malloc); the glue frees with ei__free. */
    size_t len = strlen(s);
    char *body = ei__malloc(len + 1);
    if (body)
        memcpy(body, s, len + 1);
    free(s);
    ei__http_respond(r, status, "application/json", body, len);
}

static void respond_text(ei__http_req_t *r, unsigned status, const char *ctype, const char *s)
{
    size_t len = strlen(s);
    char *body = ei__malloc(len + 1);
    if (body)
        memcpy(body, s, len + 1);
    ei__http_respond(r, status, ctype, body, len);
}

static void respond_code(ei__http_req_t *r, const ei_error_t *e)
{
    ei__http_respond_error(r, ei__http_status_for(e->code), "%s", e->msg);
}

static void method_not_allowed(ei__http_req_t *r, const char *allow)
{
    r->allow = allow;
    ei__http_respond_error(r, 405, "method %s not allowed on %s (allowed: %s)", r->method, r->url,
                           allow);
}

/* Version segment: a positive integer. */
static bool parse_version(ei__http_req_t *r, const char *s, int64_t *v)
{
    if (!ei__parse_i64(s, v) || *v < 0) {
        ei__http_respond_error(r, 400, "model version '%s': expected a non-negative integer", s);
        return false;
    }
    return true;
}

/* Holds the repository for reading; NULL (after answering 503) when it is being torn down. */
static ei__repo_t *repo_hold(ei__http_req_t *r)
{
    pthread_rwlock_rdlock(&r->srv->repo_lock);
    if (!r->srv->repo) {
        pthread_rwlock_unlock(&r->srv->repo_lock);
        ei__http_respond_error(r, 503, "server is shutting down");
        return NULL;
    }
    return r->srv->repo;
}

static void repo_drop(ei__http_req_t *r)
{
    pthread_rwlock_unlock(&r->srv->repo_lock);
}

static void note_model(ei__http_req_t *r, const char *name, int64_t version)
{
    ei__strlcpy(r->model, name, sizeof r->model);
    r->version = version;
}

/* Health and server metadata ------------------------------------------------------------------ */

static void server_metadata(ei__http_req_t *r)
{
    json_t *ext = json_loads(V2_EXTENSIONS, 0, NULL);
    if (ext && r->srv->shm)
        json_array_append_new(ext, json_string("system_shared_memory"));
    json_t *doc = json_pack("{s:s, s:s, s:o}", "name", "edgeinfer", "version", ei_version_string(),
                            "extensions", ext);
    respond_json(r, 200, doc);
}

static void health(ei__http_req_t *r, bool ready)
{
    if (!ready) {
        respond_text(r, 200, "text/plain", "");
        return;
    }
    ei__repo_t *repo = repo_hold(r);
    if (!repo)
        return;
    bool ok = ei__repo_ready(repo);
    repo_drop(r);
    respond_text(r, ok ? 200 : 400, "text/plain", "");
}

/* Model metadata, ready, config --------------------------------------------------------------- */

static void add_version(const ei__repo_entry_t *e, void *user)
{
    json_t *arr = user;
    if (strcmp(e->state, "READY") == 0 && e->version >= 0) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)e->version);
        json_array_append_new(arr, json_string(v));
    }
}

static json_t *io_list(const ei__model_config_t *c, const ei__config_io_t *io, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *shape = json_array();
        if (c->max_batch_size > 0)
            json_array_append_new(shape, json_integer(-1));
        for (size_t d = 0; d < io[i].n_dims; d++)
            json_array_append_new(shape, json_integer(io[i].dims[d]));
        const char *dt = ei__v2_dtype_name(io[i].dtype);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "name", io[i].name, "datatype",
                                             dt ? dt : "INVALID", "shape", shape));
    }
    return arr;
}

static void model_metadata(ei__http_req_t *r, ei__repo_t *repo, ei__model_t *m)
{
    const ei__model_config_t *c = ei__model_config(m);
    json_t *versions = json_array();
    ei__repo_versions(repo, ei__model_name(m), add_version, versions, NULL);
    json_t *doc = json_pack("{s:s, s:o, s:s, s:o, s:o}", "name", ei__model_name(m), "versions",
                            versions, "platform", c->platform ? c->platform : "onnxruntime_onnx",
                            "inputs", io_list(c, c->inputs, c->n_inputs), "outputs",
                            io_list(c, c->outputs, c->n_outputs));
    respond_json(r, 200, doc);
}

/* Statistics ---------------------------------------------------------------------------------- */

static json_t *cn(uint64_t count, uint64_t ns)
{
    return json_pack("{s:I, s:I}", "count", (json_int_t)count, "ns", (json_int_t)ns);
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static json_t *model_stats_json(ei__model_t *m)
{
    ei__model_stats_t *st = ei__model_stats(m);
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)ei__model_version(m));
    json_t *infer = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "success",
        cn(LD(st->success_count), LD(st->success_ns)), "fail",
        cn(LD(st->fail_count), LD(st->fail_ns)), "queue", cn(LD(st->queue_count), LD(st->queue_ns)),
        "compute_input", cn(LD(st->compute_input_count), LD(st->compute_input_ns)), "compute_infer",
        cn(LD(st->compute_infer_count), LD(st->compute_infer_ns)), "compute_output",
        cn(LD(st->compute_output_count), LD(st->compute_output_ns)), "cache_hit", cn(0, 0),
        "cache_miss", cn(0, 0));
    json_t *batches = json_array();
    for (size_t b = 0; b < EI__STATS_MAX_BATCH; b++) {
        uint64_t c = LD(st->batch_count[b]);
        if (!c)
            continue;
        json_array_append_new(batches,
                              json_pack("{s:I, s:o, s:o, s:o}", "batch_size", (json_int_t)(b + 1),
                                        "compute_input", cn(c, LD(st->batch_input_ns[b])),
                                        "compute_infer", cn(c, LD(st->batch_infer_ns[b])),
                                        "compute_output", cn(c, LD(st->batch_output_ns[b]))));
    }
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:[]}", "name", ei__model_name(m),
                     "version", v, "last_inference", (json_int_t)LD(st->last_inference_ms),
                     "inference_count", (json_int_t)LD(st->inference_count), "execution_count",
                     (json_int_t)LD(st->execution_count), "inference_stats", infer, "batch_stats",
                     batches, "memory_usage");
}

typedef struct stats_filter {
    const char *name;
    int64_t version;
    json_t *arr;
} stats_filter_t;

static void stats_one(ei__model_t *m, void *user)
{
    stats_filter_t *f = user;
    if (f->name && strcmp(f->name, ei__model_name(m)) != 0)
        return;
    if (f->version >= 0 && f->version != ei__model_version(m))
        return;
    json_array_append_new(f->arr, model_stats_json(m));
}

static void stats(ei__http_req_t *r, ei__repo_t *repo, const char *name, int64_t version)
{
    stats_filter_t f = {name, version, json_array()};
    if (name) {
        /* An unknown model or version is a 404, as for every other model endpoint. */
        ei__model_t *m = NULL;
        ei_error_t e = {0};
        if (ei__repo_acquire(repo, name, version, &m, &e) != EI_OK) {
            json_decref(f.arr);
            respond_code(r, &e);
            return;
        }
        ei__model_release(m);
    }
    ei__repo_foreach(repo, stats_one, &f);
    respond_json(r, 200, json_pack("{s:o}", "model_stats", f.arr));
}

/* Repository API ------------------------------------------------------------------------------ */

static void index_row(const ei__repo_entry_t *e, void *user)
{
    json_t *row = json_pack("{s:s, s:s, s:s}", "name", e->name, "state", e->state, "reason",
                            e->reason ? e->reason : "");
    if (e->version >= 0) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)e->version);
        json_object_set_new(row, "version", json_string(v));
    }
    json_array_append_new(user, row);
}

static void repo_index(ei__http_req_t *r, ei__repo_t *repo)
{
    bool ready = false;
    if (r->body_len) {
        json_error_t je;
        json_t *doc = json_loadb(r->body, r->body_len, 0, &je);
        if (!doc || !json_is_object(doc)) {
            if (doc)
                json_decref(doc);
            ei__http_respond_error(r, 400, "repository index: request body must be a JSON object");
            return;
        }
        json_t *rd = json_object_get(doc, "ready");
        if (rd && !json_is_boolean(rd)) {
            json_decref(doc);
            ei__http_respond_error(r, 400, "repository index: 'ready' must be a boolean");
            return;
        }
        ready = rd && json_is_true(rd);
        json_decref(doc);
    }
    json_t *arr = json_array();
    ei_error_t e = {0};
    if (ei__repo_index(repo, ready, index_row, arr, &e) != EI_OK) {
        json_decref(arr);
        respond_code(r, &e);
        return;
    }
    respond_json(r, 200, arr);
}

static void repo_load(ei__http_req_t *r, ei__repo_t *repo, const char *name, bool load)
{
    ei_error_t e = {0};
    note_model(r, name, -1);
    if (r->body_len) {
        json_error_t je;
        json_t *doc = json_loadb(r->body, r->body_len, 0, &je);
        bool ok = doc && json_is_object(doc);
        json_t *p = ok ? json_object_get(doc, "parameters") : NULL;
        if (ok && p && (!json_is_object(p) || (load && json_object_get(p, "config")))) {
            json_decref(doc);
            ei__http_respond_error(r, 400,
                                   "%s '%s': load parameters (config/file overrides) are not "
                                   "supported",
                                   load ? "load" : "unload", name);
            return;
        }
        if (doc)
            json_decref(doc);
        if (!ok) {
            ei__http_respond_error(r, 400, "%s '%s': request body must be a JSON object",
                                   load ? "load" : "unload", name);
            return;
        }
    }
    ei_code_t rc = load ? ei__repo_load(repo, name, &e) : ei__repo_unload(repo, name, &e);
    if (rc != EI_OK) {
        ei__log_event(r->srv, EI_LOG_WARN, r->id, name, -1, "%s failed: %s",
                      load ? "load" : "unload", e.msg);
        respond_code(r, &e);
        return;
    }
    ei__log_event(r->srv, EI_LOG_INFO, r->id, name, -1, "%s", load ? "loaded" : "unloaded");
    respond_text(r, 200, "application/json", "");
}

/* Inference ----------------------------------------------------------------------------------- */

typedef struct infer_ctx {
    ei__infer_req_t req;
    ei__http_req_t *http;
    ei__model_t *model;
    ei__v2_request_t rq;
    const char **onames;
} infer_ctx_t;

static void infer_ctx_free(infer_ctx_t *c)
{
    if (c->req.results) {
        for (size_t i = 0; i < c->req.n_results; i++)
            ei_tensor_destroy(c->req.results[i]);
        ei__free(c->req.results);
    }
    ei__v2_request_dispose(&c->rq);
    ei__free(c->onames);
    if (c->model)
        ei__model_release(c->model);
    ei__free(c);
}

/* Runs on a batcher worker thread: writes the response and resumes the connection. */
static void infer_done(ei__infer_req_t *req)
{
    infer_ctx_t *c = req->user;
    ei__http_req_t *r = c->http;
    r->queue_ns = req->queue_ns;
    r->compute_ns = req->compute_input_ns + req->compute_infer_ns + req->compute_output_ns;
    if (req->code != EI_OK) {
        ei_error_t e = req->err;
        if (e.code == EI_OK)
            e.code = req->code;
        if (!e.msg[0])
            ei__strlcpy(e.msg, ei_code_str(req->code), sizeof e.msg);
        e.code = req->code;
        ei__log_event(r->srv, EI_LOG_WARN, r->id, r->model, r->version, "inference failed: %s",
                      e.msg);
        respond_code(r, &e);
        infer_ctx_free(c);
        return;
    }
    char *body = NULL;
    size_t len = 0, jlen = 0;
    ei_error_t e = {0};
    ei_code_t rc = ei__v2_write_response(
        &c->rq, ei__model_name(c->model), ei__model_version(c->model), ei__model_config(c->model),
        req->results, req->result_names, req->n_results, &body, &len, &jlen, &e);
    if (rc != EI_OK) {
        respond_code(r, &e);
    } else if (jlen) {
        r->has_infer_header = true;
        r->infer_header_len = jlen;
        ei__http_respond(r, 200, "application/octet-stream", body, len);
    } else {
        ei__http_respond(r, 200, "application/json", body, len);
    }
    infer_ctx_free(c);
}

static void infer(ei__http_req_t *r, ei__repo_t *repo, const char *name, int64_t version)
{
    ei_error_t e = {0};
    int64_t hlen = -1;
    const char *h = NULL;
    const ei__model_config_t *cfg = NULL;
    infer_ctx_t *c = ei__calloc(1, sizeof *c);
    if (!c) {
        ei__http_respond_error(r, 500, "out of memory");
        return;
    }
    c->http = r;
    note_model(r, name, version);
    if (ei__repo_acquire(repo, name, version, &c->model, &e) != EI_OK) {
        respond_code(r, &e);
        goto fail;
    }
    note_model(r, name, ei__model_version(c->model));
    cfg = ei__model_config(c->model);
    h = ei__http_header(r, "Inference-Header-Content-Length");
    if (h && (!ei__parse_i64(h, &hlen) || hlen < 0)) {
        ei__http_respond_error(r, 400,
                               "Inference-Header-Content-Length '%s': expected a non-negative "
                               "integer",
                               h);
        goto fail;
    }
    if (ei__v2_parse_request(r->body, r->body_len, hlen, r->srv->o.limits.max_tensor_elements, cfg,
                             r->srv->shm, &c->rq, &e) != EI_OK) {
        respond_code(r, &e);
        goto fail;
    }
    /* Outputs the client names must exist (the model side checks inputs). */
    for (size_t i = 0; i < c->rq.n_outputs; i++) {
        if (!ei__model_config_output(cfg, c->rq.outputs[i].name)) {
            ei__http_respond_error(r, 400, "model '%s': unknown output '%s'", name,
                                   c->rq.outputs[i].name);
            goto fail;
        }
    }
    c->req.n_inputs = c->rq.n_inputs;
    c->req.input_names = c->rq.input_names;
    c->req.inputs = c->rq.inputs;
    c->req.n_outputs = c->rq.n_outputs;
    c->req.timeout_us = c->rq.timeout_us;
    c->req.received_ns = r->start_ns;
    c->req.done = infer_done;
    c->req.user = c;
    if (c->rq.n_outputs) {
        c->onames = ei__calloc(c->rq.n_outputs, sizeof *c->onames);
        if (!c->onames) {
            ei__http_respond_error(r, 500, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < c->rq.n_outputs; i++)
            c->onames[i] = c->rq.outputs[i].name;
    }
    c->req.output_names = c->onames;
    if (ei__model_submit(c->model, &c->req, &e) != EI_OK) {
        respond_code(r, &e);
        goto fail;
    }
    /* Accepted: infer_done() owns `c` from here on, and may already have run. */
    return;
fail:
    if (c->model)
        ei__count_wire_failure(c->model, r->start_ns);
    infer_ctx_free(c);
}

/* System shared memory ------------------------------------------------------------------------ */

/* POST /v2/systemsharedmemory/region/{name}/register {"key": "/k", "offset": N, "byte_size": N} */
static void shm_register(ei__http_req_t *r, const char *name)
{
    json_error_t je;
    json_t *doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    json_t *key = doc ? json_object_get(doc, "key") : NULL;
    json_t *off = doc ? json_object_get(doc, "offset") : NULL;
    json_t *size = doc ? json_object_get(doc, "byte_size") : NULL;
    if (!doc)
        ei__http_respond_error(r, 400, "register '%s': request JSON: %s", name, je.text);
    else if (!json_is_string(key) ||
             (off && (!json_is_integer(off) || json_integer_value(off) < 0)) ||
             !json_is_integer(size) || json_integer_value(size) <= 0)
        ei__http_respond_error(
            r, 400,
            "register '%s': expected {\"key\": string, \"offset\": integer >= 0, "
            "\"byte_size\": integer > 0}",
            name);
    else {
        ei_error_t e = {0};
        if (ei__shm_register(r->srv->shm, name, json_string_value(key),
                             off ? (uint64_t)json_integer_value(off) : 0,
                             (uint64_t)json_integer_value(size), &e) != EI_OK) {
            respond_code(r, &e);
        } else {
            ei__log_event(r->srv, EI_LOG_INFO, r->id, NULL, -1,
                          "shared memory region '%s' registered (key %s, %lld bytes)", name,
                          json_string_value(key), (long long)json_integer_value(size));
            respond_text(r, 200, "application/json", "");
        }
    }
    if (doc)
        json_decref(doc);
}

/* /v2/systemsharedmemory[/region/{name}]/{status|register|unregister}, and the CUDA variant. */
static void shared_memory_route(ei__http_req_t *r, const route_t *rt, bool get, bool post)
{
    bool cuda = is(rt, 1, "cudasharedmemory");
    const char *name = NULL, *action = NULL;
    if (rt->n == 3)
        action = rt->seg[2];
    else if (rt->n == 5 && is(rt, 2, "region"))
        name = rt->seg[3], action = rt->seg[4];
    bool status = action && strcmp(action, "status") == 0;
    bool reg = action && name && strcmp(action, "register") == 0;
    bool unreg = action && strcmp(action, "unregister") == 0;
    if (!status && !reg && !unreg) {
        ei__http_respond_error(r, 404, "unknown endpoint '%.200s'", r->url);
        return;
    }
    if (status ? !get : !post) {
        method_not_allowed(r, status ? "GET, HEAD" : "POST");
        return;
    }
    ei__shm_t *shm = cuda ? NULL : r->srv->shm;
    if (!shm && status && !name) {
        respond_text(r, 200, "application/json", "[]"); /* nothing can be registered */
        return;
    }
    if (!shm && (reg || status)) {
        if (cuda)
            ei__http_respond_error(r, 400, "CUDA shared memory is not supported by this server");
        else
            ei__http_respond_error(r, 403,
                                   "client shared memory is not enabled on this server (start "
                                   "it with --allow-client-shm)");
        return;
    }
    if (unreg) {
        if (shm)
            ei__shm_unregister(shm, name);
        respond_text(r, 200, "application/json", "");
        return;
    }
    if (reg) {
        shm_register(r, name);
        return;
    }
    json_t *doc = NULL;
    ei_error_t e = {0};
    if (ei__shm_status(shm, name, &doc, &e) != EI_OK)
        respond_code(r, &e);
    else
        respond_json(r, 200, doc);
}

/* Routing ------------------------------------------------------------------------------------- */

/* /v2/models/{m}[/versions/{v}][/{action}] once the model and version are known. */
static void model_route(ei__http_req_t *r, const char *name, int64_t version, const char *action)
{
    bool get = method_is(r, "GET") || method_is(r, "HEAD");
    bool post = method_is(r, "POST");
    bool is_infer = action && (strcmp(action, "infer") == 0 || strcmp(action, "classify") == 0);
    if (action && !is_infer && strcmp(action, "ready") != 0 && strcmp(action, "config") != 0 &&
        strcmp(action, "stats") != 0) {
        ei__http_respond_error(r, 404, "unknown endpoint '%s'", r->url);
        return;
    }
    if (is_infer ? !post : !get) {
        method_not_allowed(r, is_infer ? "POST" : "GET, HEAD");
        return;
    }
    ei__repo_t *repo = repo_hold(r);
    if (!repo)
        return;
    note_model(r, name, version);
    if (is_infer && strcmp(action, "classify") == 0) {
        ei__classify_handle(r, repo, name, version);
    } else if (is_infer) {
        infer(r, repo, name, version);
    } else if (action && strcmp(action, "stats") == 0) {
        stats(r, repo, name, version);
    } else {
        ei__model_t *m = NULL;
        ei_error_t e = {0};
        ei_code_t rc = ei__repo_acquire(repo, name, version, &m, &e);
        if (action && strcmp(action, "ready") == 0) {
            /* Health semantics, as Triton: 200 ready, 400 known but not ready, 404 unknown. */
            if (rc == EI_OK)
                respond_text(r, 200, "text/plain", "");
            else if (rc == EI_EBUSY)
                respond_text(r, 400, "text/plain", "");
            else
                respond_code(r, &e);
        } else if (rc != EI_OK) {
            respond_code(r, &e);
        } else if (action) {
            note_model(r, name, ei__model_version(m));
            json_t *doc = ei__model_config_json(ei__model_config(m));
            if (doc)
                respond_json(r, 200, doc);
            else
                ei__http_respond_error(r, 500, "out of memory");
        } else {
            note_model(r, name, ei__model_version(m));
            model_metadata(r, repo, m);
        }
        if (m)
            ei__model_release(m);
    }
    repo_drop(r);
}

void ei__kserve_handle(ei__http_req_t *r)
{
    route_t rt;
    if (!split_path(r->url, &rt) || rt.n == 0 || !is(&rt, 0, "v2")) {
        ei__http_respond_error(r, 404, "unknown endpoint '%.200s'", r->url);
        return;
    }
    bool get = method_is(r, "GET") || method_is(r, "HEAD");
    bool post = method_is(r, "POST");
    if (rt.n == 1) {
        if (!get)
            method_not_allowed(r, "GET, HEAD");
        else
            server_metadata(r);
        return;
    }
    if (is(&rt, 1, "health") && rt.n == 3 && (is(&rt, 2, "live") || is(&rt, 2, "ready"))) {
        if (!get)
            method_not_allowed(r, "GET, HEAD");
        else
            health(r, is(&rt, 2, "ready"));
        return;
    }
    if (is(&rt, 1, "models")) {
        if (rt.n == 3 && is(&rt, 2, "stats")) {
            if (!get) {
                method_not_allowed(r, "GET, HEAD");
                return;
            }
            ei__repo_t *repo = repo_hold(r);
            if (!repo)
                return;
            stats(r, repo, NULL, -1);
            repo_drop(r);
            return;
        }
        if (rt.n >= 3 && rt.n <= 6) {
            const char *name = rt.seg[2];
            int64_t version = -1;
            size_t next = 3;
            if (is(&rt, 3, "versions")) {
                if (rt.n < 5) {
                    ei__http_respond_error(r, 404, "unknown endpoint '%.200s'", r->url);
                    return;
                }
                if (!parse_version(r, rt.seg[4], &version))
                    return;
                next = 5;
            }
            if (rt.n > next + 1) {
                ei__http_respond_error(r, 404, "unknown endpoint '%.200s'", r->url);
                return;
            }
            model_route(r, name, version, rt.n == next + 1 ? rt.seg[next] : NULL);
            return;
        }
    }
    if (is(&rt, 1, "systemsharedmemory") || is(&rt, 1, "cudasharedmemory")) {
        shared_memory_route(r, &rt, get, post);
        return;
    }
    if (is(&rt, 1, "repository")) {
        bool idx = rt.n == 3 && is(&rt, 2, "index");
        bool ld = rt.n == 5 && is(&rt, 2, "models") && (is(&rt, 4, "load") || is(&rt, 4, "unload"));
        if (idx || ld) {
            if (!post) {
                method_not_allowed(r, "POST");
                return;
            }
            ei__repo_t *repo = repo_hold(r);
            if (!repo)
                return;
            if (idx)
                repo_index(r, repo);
            else
                repo_load(r, repo, rt.seg[3], is(&rt, 4, "load"));
            repo_drop(r);
            return;
        }
    }
    ei__http_respond_error(r, 404, "unknown endpoint '%.200s'", r->url);
}
