/* SPDX-License-Identifier: MIT */
/*
 * The KServe v2 REST endpoints as Triton serves them, as one route table (ei__rest_v2_routes):
 * health, server and model metadata, model config and statistics, the repository API and system
 * shared memory. Inference (rest_infer.c) and the task heads (/classify, /ocr: rest_task.c) are in
 * the table too. Everything reaches the models through the v2 core (v2_core.h).
 */
#include "rest.h"
#include "v2_json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

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
    ei__http_respond_code(r, e);
}

void ei__rest_note_model(ei__http_req_t *r, const char *name, int64_t version)
{
    ei__strlcpy(r->model, name, sizeof r->model);
    r->version = version;
}

bool ei__rest_model_args(ei__http_req_t *r, const char *const *arg, size_t n_arg, const char **name,
                         int64_t *version)
{
    *name = arg[0];
    *version = -1;
    if (n_arg == 2 && (!ei__parse_i64(arg[1], version) || *version < 0)) {
        ei__http_respond_error(r, 400, "model version '%s': expected a non-negative integer",
                               arg[1]);
        return false;
    }
    ei__rest_note_model(r, *name, *version);
    return true;
}

/* Holds the repository for reading; NULL (after answering 503) when it is being torn down. */
static ei__repo_t *repo_hold(ei__http_req_t *r)
{
    ei_error_t e = {0};
    ei__repo_t *repo = ei__v2_repo_hold(r->http->core, &e);
    if (!repo)
        ei__http_respond_error(r, 503, "%s", e.msg);
    return repo;
}

static void repo_drop(ei__http_req_t *r)
{
    ei__v2_repo_drop(r->http->core);
}

/* Health and server metadata ------------------------------------------------------------------ */

static void server_metadata(ei__http_req_t *r)
{
    json_t *ext = json_array();
    for (const char *const *x = ei__v2_extensions(r->http->core); *x; x++)
        json_array_append_new(ext, json_string(*x));
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

/*
 * A load request's parameters (Triton's model-repository extension): `config`, the model config as
 * a JSON string, and `file:<version>/<name>`, a file's contents in base64 (allowed with `config`
 * only). Other parameters are ignored, as Triton ignores them. Fills `files` (the data
 * ei__malloc'd) and *config (borrowed from `p`).
 */
static ei_code_t load_params(json_t *p, const char **config, ei__repo_file_t *files, size_t cap,
                             size_t *n, ei_error_t *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
    {
        if (strcmp(k, "config") == 0) {
            if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
                return ei__fail(err, EI_EINVAL, "parameter 'config' must be a JSON string");
            *config = json_string_value(v);
        } else if (strncmp(k, "file:", 5) == 0) {
            if (*n >= cap)
                return ei__fail(err, EI_ELIMIT, "more than %zu file overrides", cap);
            if (!json_is_string(v))
                return ei__fail(err, EI_EINVAL,
                                "parameter '%s' must be a string (the file's bytes in base64)", k);
            unsigned char *data = NULL;
            size_t len = 0;
            if (!ei__base64_decode(json_string_value(v), json_string_length(v), &data, &len))
                return len == SIZE_MAX
                           ? ei__fail(err, EI_ENOMEM, "out of memory")
                           : ei__fail(err, EI_EINVAL, "parameter '%s': not valid base64", k);
            files[*n].path = k + 5;
            files[*n].data = data;
            files[*n].len = len;
            (*n)++;
        }
    }
    return EI_OK;
}

#define MAX_FILE_OVERRIDES 64

static void repo_load(ei__http_req_t *r, ei__repo_t *repo, const char *name, bool load)
{
    ei_error_t e = {0};
    ei__rest_note_model(r, name, -1);
    json_t *doc = NULL;
    const char *config = NULL;
    ei__repo_file_t files[MAX_FILE_OVERRIDES];
    size_t n_files = 0;
    ei_code_t rc = EI_OK;
    if (r->body_len) {
        json_error_t je;
        doc = json_loadb(r->body, r->body_len, JSON_ALLOW_NUL, &je);
        json_t *p = doc != NULL && json_is_object(doc) ? json_object_get(doc, "parameters") : NULL;
        if (doc == NULL || !json_is_object(doc))
            rc = ei__fail(&e, EI_EINVAL, "request body must be a JSON object");
        else if (p != NULL && !json_is_object(p))
            rc = ei__fail(&e, EI_EINVAL, "'parameters' must be an object");
        else if (p != NULL && load)
            rc = load_params(p, &config, files, MAX_FILE_OVERRIDES, &n_files, &e);
        if (rc != EI_OK)
            ei__error_prefix(&e, load ? "failed to load '%s'" : "unload '%s'", name);
    }
    if (rc == EI_OK && load)
        rc = ei__v2_load_with(r->http->core, repo, name, config, files, n_files, r->id, &e);
    else if (rc == EI_OK)
        rc = ei__v2_load(r->http->core, repo, name, false, r->id, &e);
    for (size_t i = 0; i < n_files; i++)
        ei__free((void *)files[i].data);
    if (doc)
        json_decref(doc);
    if (rc != EI_OK && load)
        ei__http_respond_error(r, ei__v2_load_status(rc), "%s", e.msg);
    else if (rc != EI_OK)
        respond_code(r, &e);
    else
        respond_text(r, 200, "application/json", "");
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
        ei__http_respond_error(r, 400, "register '%s': request JSON: %s", name,
                               ei__json_error_text(&je));
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
        if (ei__shm_register(r->http->core->shm, name, json_string_value(key),
                             off ? (uint64_t)json_integer_value(off) : 0,
                             (uint64_t)json_integer_value(size), &e) != EI_OK) {
            respond_code(r, &e);
        } else {
            ei__log_event(r->http->core, EI_LOG_INFO, r->id, NULL, -1,
                          "shared memory region '%s' registered (key %s, %lld bytes)", name,
                          json_string_value(key), (long long)json_integer_value(size));
            respond_text(r, 200, "application/json", "");
        }
    }
    if (doc)
        json_decref(doc);
}

/* /v2/{system,cuda}sharedmemory[/region/{name}]/{status|register|unregister}. */
static void shared_memory(ei__http_req_t *r, bool cuda, const char *name, const char *action)
{
    bool status = strcmp(action, "status") == 0;
    bool reg = strcmp(action, "register") == 0;
    bool unreg = strcmp(action, "unregister") == 0;
    ei__shm_t *shm = cuda ? NULL : r->http->core->shm;
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

/* The routes ---------------------------------------------------------------------------------- */

static void r_server_metadata(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    server_metadata(r);
}

static void r_live(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    health(r, false);
}

static void r_ready(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    health(r, true);
}

static void r_all_stats(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    ei__repo_t *repo = repo_hold(r);
    if (!repo)
        return;
    stats(r, repo, NULL, -1);
    repo_drop(r);
}

static void r_model_stats(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    const char *name;
    int64_t version;
    if (!ei__rest_model_args(r, arg, n_arg, &name, &version))
        return;
    ei__repo_t *repo = repo_hold(r);
    if (!repo)
        return;
    stats(r, repo, name, version);
    repo_drop(r);
}

enum model_action { MODEL_METADATA, MODEL_READY, MODEL_CONFIG };

/* GET /v2/models/{m}[/versions/{v}][/ready|/config]. */
static void model_get(ei__http_req_t *r, const char *const *arg, size_t n_arg,
                      enum model_action action)
{
    const char *name;
    int64_t version;
    if (!ei__rest_model_args(r, arg, n_arg, &name, &version))
        return;
    ei__repo_t *repo = repo_hold(r);
    if (!repo)
        return;
    ei__model_t *m = NULL;
    ei_error_t e = {0};
    ei_code_t rc = ei__repo_acquire(repo, name, version, &m, &e);
    if (action == MODEL_READY) {
        /* Health semantics, as Triton: 200 ready, 400 known but not ready, 404 unknown. */
        if (rc == EI_OK)
            respond_text(r, 200, "text/plain", "");
        else if (rc == EI_EBUSY)
            respond_text(r, 400, "text/plain", "");
        else
            respond_code(r, &e);
    } else if (rc != EI_OK) {
        respond_code(r, &e);
    } else if (action == MODEL_CONFIG) {
        ei__rest_note_model(r, name, ei__model_version(m));
        json_t *doc = ei__model_config_json(ei__model_config(m));
        if (doc)
            respond_json(r, 200, doc);
        else
            ei__http_respond_error(r, 500, "out of memory");
    } else {
        ei__rest_note_model(r, name, ei__model_version(m));
        model_metadata(r, repo, m);
    }
    if (m)
        ei__model_release(m);
    repo_drop(r);
}

static void r_model_metadata(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    model_get(r, arg, n_arg, MODEL_METADATA);
}

static void r_model_ready(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    model_get(r, arg, n_arg, MODEL_READY);
}

static void r_model_config(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    model_get(r, arg, n_arg, MODEL_CONFIG);
}

static void r_repo_index(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)arg;
    (void)n_arg;
    ei__repo_t *repo = repo_hold(r);
    if (!repo)
        return;
    repo_index(r, repo);
    repo_drop(r);
}

static void load_or_unload(ei__http_req_t *r, const char *name, bool load)
{
    ei__repo_t *repo = repo_hold(r);
    if (!repo)
        return;
    repo_load(r, repo, name, load);
    repo_drop(r);
}

static void r_load(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)n_arg;
    load_or_unload(r, arg[0], true);
}

static void r_unload(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    (void)n_arg;
    load_or_unload(r, arg[0], false);
}

/* The shared-memory routes: the URL says which API (system/CUDA) and which action. */
#define SHM_ROUTE(fn, cuda, action)                                                                \
    static void fn(ei__http_req_t *r, const char *const *arg, size_t n_arg)                        \
    {                                                                                              \
        shared_memory(r, cuda, n_arg ? arg[0] : NULL, action);                                     \
    }
SHM_ROUTE(r_sys_status, false, "status")
SHM_ROUTE(r_sys_register, false, "register")
SHM_ROUTE(r_sys_unregister, false, "unregister")
SHM_ROUTE(r_cuda_status, true, "status")
SHM_ROUTE(r_cuda_register, true, "register")
SHM_ROUTE(r_cuda_unregister, true, "unregister")

#define GET "GET, HEAD"
#define POST "POST"

/* Order matters only where patterns overlap: /v2/models/stats before /v2/models/{}. */
static const ei__http_route_t routes[] = {
    {"/", GET, ei__ui_index, EI__SCOPE_OPEN},
    {"/ui/info.json", GET, ei__ui_info, EI__SCOPE_METADATA},
    {"/ui/metrics", GET, ei__ui_metrics, EI__SCOPE_METRICS},
    {"/ui/{}", GET, ei__ui_file, EI__SCOPE_OPEN},
    {"/v2", GET, r_server_metadata, EI__SCOPE_METADATA},
    {"/v2/health/live", GET, r_live, EI__SCOPE_HEALTH},
    {"/v2/health/ready", GET, r_ready, EI__SCOPE_HEALTH},
    {"/v2/models/stats", GET, r_all_stats, EI__SCOPE_STATISTICS},
    {"/v2/models/{}", GET, r_model_metadata, EI__SCOPE_METADATA},
    {"/v2/models/{}/versions/{}", GET, r_model_metadata, EI__SCOPE_METADATA},
    {"/v2/models/{}/ready", GET, r_model_ready, EI__SCOPE_HEALTH},
    {"/v2/models/{}/versions/{}/ready", GET, r_model_ready, EI__SCOPE_HEALTH},
    {"/v2/models/{}/config", GET, r_model_config, EI__SCOPE_METADATA},
    {"/v2/models/{}/versions/{}/config", GET, r_model_config, EI__SCOPE_METADATA},
    {"/v2/models/{}/stats", GET, r_model_stats, EI__SCOPE_STATISTICS},
    {"/v2/models/{}/versions/{}/stats", GET, r_model_stats, EI__SCOPE_STATISTICS},
    {"/v2/models/{}/infer", POST, ei__rest_infer, EI__SCOPE_INFER},
    {"/v2/models/{}/versions/{}/infer", POST, ei__rest_infer, EI__SCOPE_INFER},
    {"/v2/models/{}/classify", POST, ei__rest_task, EI__SCOPE_INFER},
    {"/v2/models/{}/versions/{}/classify", POST, ei__rest_task, EI__SCOPE_INFER},
    {"/v2/models/{}/ocr", POST, ei__rest_task, EI__SCOPE_INFER},
    {"/v2/models/{}/versions/{}/ocr", POST, ei__rest_task, EI__SCOPE_INFER},
    {"/v2/repository/index", POST, r_repo_index, EI__SCOPE_REPOSITORY},
    {"/v2/repository/models/{}/load", POST, r_load, EI__SCOPE_REPOSITORY},
    {"/v2/repository/models/{}/unload", POST, r_unload, EI__SCOPE_REPOSITORY},
    {"/v2/systemsharedmemory/status", GET, r_sys_status, EI__SCOPE_SHM},
    {"/v2/systemsharedmemory/unregister", POST, r_sys_unregister, EI__SCOPE_SHM},
    {"/v2/systemsharedmemory/region/{}/status", GET, r_sys_status, EI__SCOPE_SHM},
    {"/v2/systemsharedmemory/region/{}/register", POST, r_sys_register, EI__SCOPE_SHM},
    {"/v2/systemsharedmemory/region/{}/unregister", POST, r_sys_unregister, EI__SCOPE_SHM},
    {"/v2/cudasharedmemory/status", GET, r_cuda_status, EI__SCOPE_SHM},
    {"/v2/cudasharedmemory/unregister", POST, r_cuda_unregister, EI__SCOPE_SHM},
    {"/v2/cudasharedmemory/region/{}/status", GET, r_cuda_status, EI__SCOPE_SHM},
    {"/v2/cudasharedmemory/region/{}/register", POST, r_cuda_register, EI__SCOPE_SHM},
    {"/v2/cudasharedmemory/region/{}/unregister", POST, r_cuda_unregister, EI__SCOPE_SHM},
};

const ei__http_routes_t ei__rest_v2_routes = {routes, sizeof routes / sizeof routes[0], ""};
