/* SPDX-License-Identifier: MIT */
/*
 * The non-inference methods of inference.GRPCInferenceService: health, server and model metadata,
 * statistics, the repository API, system/CUDA shared memory, trace and log
 * settings; and the method table (ModelConfig is in grpc_config.c, inference in grpc_infer.c). Each
 * reads the same model side the REST endpoints read (through the v2 core), so both protocols answer
 * the same; status codes follow Triton's choices.
 */
#include "grpc_internal.h"
#include "model_config.h"

#include <edgeinfer/version.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static char *fmt_version(ei__arena_t *a, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return ei__arena_strdup(a, buf);
}

/* Health -----------------------------------------------------------------------------------------
 */

static void server_live(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__ServerLiveRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__server_live_request__unpack, msg, len, "ServerLiveRequest");
    inference__server_live_request__free_unpacked(rq, &ei__grpc_pb_alloc);
    Inference__ServerLiveResponse r = INFERENCE__SERVER_LIVE_RESPONSE__INIT;
    r.live = true;
    ei__grpc_reply(c, &r.base);
}

static void server_ready(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__ServerReadyRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__server_ready_request__unpack, msg, len, "ServerReadyRequest");
    inference__server_ready_request__free_unpacked(rq, &ei__grpc_pb_alloc);
    Inference__ServerReadyResponse r = INFERENCE__SERVER_READY_RESPONSE__INIT;
    r.ready = ei__v2_server_ready(c->g->core);
    ei__grpc_reply(c, &r.base);
}

static void model_ready(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__ModelReadyRequest *rq;
    int64_t version;
    EI__GRPC_UNPACK(c, rq, inference__model_ready_request__unpack, msg, len, "ModelReadyRequest");
    ei__grpc_note_model(c, rq->name, -1);
    if (ei__grpc_version(c, rq->version, &version)) {
        ei__repo_t *repo = ei__grpc_hold(c);
        if (repo) {
            /* As Triton: an unknown or not-ready model is "not ready", not an error. */
            ei__model_t *m = NULL;
            Inference__ModelReadyResponse r = INFERENCE__MODEL_READY_RESPONSE__INIT;
            r.ready = ei__repo_acquire(repo, rq->name, version, &m, NULL) == EI_OK;
            if (m)
                ei__model_release(m);
            ei__grpc_drop(c);
            ei__grpc_reply(c, &r.base);
        }
    }
    inference__model_ready_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

/* Metadata ---------------------------------------------------------------------------------------
 */

static void server_metadata(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__ServerMetadataRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__server_metadata_request__unpack, msg, len,
                    "ServerMetadataRequest");
    inference__server_metadata_request__free_unpacked(rq, &ei__grpc_pb_alloc);
    const char *const *ext = ei__v2_extensions(c->g->core);
    size_t n = 0;
    while (ext[n])
        n++;
    Inference__ServerMetadataResponse r = INFERENCE__SERVER_METADATA_RESPONSE__INIT;
    r.name = (char *)"edgeinfer";
    r.version = (char *)ei_version_string();
    r.n_extensions = n;
    r.extensions = (char **)ext;
    ei__grpc_reply(c, &r.base);
}

typedef struct versions {
    ei__arena_t *a;
    char **v;
    size_t n, cap;
} versions_t;

static void add_version(const ei__repo_entry_t *e, void *user)
{
    versions_t *vs = user;
    if (strcmp(e->state, "READY") != 0 || e->version < 0 || vs->n == vs->cap)
        return;
    vs->v[vs->n++] = fmt_version(vs->a, e->version);
}

static Inference__ModelMetadataResponse__TensorMetadata **
tensor_list(ei__arena_t *a, const ei__model_config_t *cfg, const ei__config_io_t *io, size_t n)
{
    Inference__ModelMetadataResponse__TensorMetadata **l = ei__arena_alloc(a, (n + 1) * sizeof *l);
    for (size_t i = 0; l && i < n; i++) {
        Inference__ModelMetadataResponse__TensorMetadata *t =
            EI__ARENA_MSG(a, Inference__ModelMetadataResponse__TensorMetadata,
                          INFERENCE__MODEL_METADATA_RESPONSE__TENSOR_METADATA__INIT);
        if (!t)
            return l;
        const char *dt = ei__v2_dtype_name(io[i].dtype);
        t->name = io[i].name;
        t->datatype = (char *)(dt ? dt : "INVALID");
        t->shape = ei__arena_alloc(a, (io[i].n_dims + 1) * sizeof *t->shape);
        if (t->shape) {
            if (cfg->max_batch_size > 0)
                t->shape[t->n_shape++] = -1;
            for (size_t d = 0; d < io[i].n_dims; d++)
                t->shape[t->n_shape++] = io[i].dims[d];
        }
        l[i] = t;
    }
    return l;
}

static void model_metadata(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__ModelMetadataRequest *rq;
    int64_t version;
    EI__GRPC_UNPACK(c, rq, inference__model_metadata_request__unpack, msg, len,
                    "ModelMetadataRequest");
    ei__grpc_note_model(c, rq->name, -1);
    ei__repo_t *repo = NULL;
    if (ei__grpc_version(c, rq->version, &version) && (repo = ei__grpc_hold(c)) != NULL) {
        ei__model_t *m = NULL;
        ei_error_t e = {0};
        if (ei__repo_acquire(repo, rq->name, version, &m, &e) != EI_OK) {
            ei__grpc_fail_code(c, &e);
        } else {
            ei__arena_t a = {0};
            const ei__model_config_t *cfg = ei__model_config(m);
            ei__grpc_note_model(c, rq->name, ei__model_version(m));
            versions_t vs = {&a, ei__arena_alloc(&a, 64 * sizeof(char *)), 0, 64};
            if (vs.v)
                ei__repo_versions(repo, ei__model_name(m), add_version, &vs, NULL);
            Inference__ModelMetadataResponse r = INFERENCE__MODEL_METADATA_RESPONSE__INIT;
            r.name = (char *)ei__model_name(m);
            r.n_versions = vs.n;
            r.versions = vs.v;
            r.platform = cfg->platform ? cfg->platform : (char *)"onnxruntime_onnx";
            r.inputs = tensor_list(&a, cfg, cfg->inputs, cfg->n_inputs);
            r.n_inputs = r.inputs ? cfg->n_inputs : 0;
            r.outputs = tensor_list(&a, cfg, cfg->outputs, cfg->n_outputs);
            r.n_outputs = r.outputs ? cfg->n_outputs : 0;
            if (a.oom)
                ei__grpc_fail(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
            else
                ei__grpc_reply(c, &r.base);
            ei__arena_free(&a);
            ei__model_release(m);
        }
        ei__grpc_drop(c);
    }
    inference__model_metadata_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

/* Statistics --------------------------------------------------------------------------------------
 */

static Inference__StatisticDuration *dur(ei__arena_t *a, uint64_t count, uint64_t ns)
{
    Inference__StatisticDuration *d =
        EI__ARENA_MSG(a, Inference__StatisticDuration, INFERENCE__STATISTIC_DURATION__INIT);
    if (d) {
        d->count = count;
        d->ns = ns;
    }
    return d;
}

typedef struct stats_ctx {
    ei__arena_t *a;
    const char *name;
    int64_t version;
    Inference__ModelStatistics **l;
    size_t n, cap;
} stats_ctx_t;

static void stats_one(ei__model_t *m, void *user)
{
    stats_ctx_t *x = user;
    ei__arena_t *a = x->a;
    if (x->name && strcmp(x->name, ei__model_name(m)) != 0)
        return;
    if (x->version >= 0 && x->version != ei__model_version(m))
        return;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        Inference__ModelStatistics **l = ei__arena_alloc(a, cap * sizeof *l);
        if (!l)
            return;
        if (x->n)
            memcpy(l, x->l, x->n * sizeof *l);
        x->l = l;
        x->cap = cap;
    }
    ei__model_stats_t *st = ei__model_stats(m);
    Inference__ModelStatistics *s =
        EI__ARENA_MSG(a, Inference__ModelStatistics, INFERENCE__MODEL_STATISTICS__INIT);
    Inference__InferStatistics *is =
        EI__ARENA_MSG(a, Inference__InferStatistics, INFERENCE__INFER_STATISTICS__INIT);
    if (!s || !is)
        return;
    s->name = ei__arena_strdup(a, ei__model_name(m));
    s->version = fmt_version(a, ei__model_version(m));
    s->last_inference = LD(st->last_inference_ms);
    s->inference_count = LD(st->inference_count);
    s->execution_count = LD(st->execution_count);
    is->success = dur(a, LD(st->success_count), LD(st->success_ns));
    is->fail = dur(a, LD(st->fail_count), LD(st->fail_ns));
    is->queue = dur(a, LD(st->queue_count), LD(st->queue_ns));
    is->compute_input = dur(a, LD(st->compute_input_count), LD(st->compute_input_ns));
    is->compute_infer = dur(a, LD(st->compute_infer_count), LD(st->compute_infer_ns));
    is->compute_output = dur(a, LD(st->compute_output_count), LD(st->compute_output_ns));
    is->cache_hit = dur(a, 0, 0);
    is->cache_miss = dur(a, 0, 0);
    s->inference_stats = is;
    s->batch_stats = ei__arena_alloc(a, EI__STATS_MAX_BATCH * sizeof *s->batch_stats);
    for (size_t b = 0; s->batch_stats && b < EI__STATS_MAX_BATCH; b++) {
        uint64_t n = LD(st->batch_count[b]);
        if (!n)
            continue;
        Inference__InferBatchStatistics *bs = EI__ARENA_MSG(
            a, Inference__InferBatchStatistics, INFERENCE__INFER_BATCH_STATISTICS__INIT);
        if (!bs)
            break;
        bs->batch_size = b + 1;
        bs->compute_input = dur(a, n, LD(st->batch_input_ns[b]));
        bs->compute_infer = dur(a, n, LD(st->batch_infer_ns[b]));
        bs->compute_output = dur(a, n, LD(st->batch_output_ns[b]));
        s->batch_stats[s->n_batch_stats++] = bs;
    }
    x->l[x->n++] = s;
}

static void model_statistics(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__ModelStatisticsRequest *rq;
    int64_t version;
    EI__GRPC_UNPACK(c, rq, inference__model_statistics_request__unpack, msg, len,
                    "ModelStatisticsRequest");
    ei__repo_t *repo = NULL;
    if (ei__grpc_version(c, rq->version, &version) && (repo = ei__grpc_hold(c)) != NULL) {
        ei__arena_t a = {0};
        stats_ctx_t x = {&a, rq->name[0] ? rq->name : NULL, version, NULL, 0, 0};
        ei_error_t e = {0};
        ei__model_t *m = NULL;
        if (x.name)
            ei__grpc_note_model(c, x.name, version);
        if (x.name && ei__repo_acquire(repo, x.name, version, &m, &e) != EI_OK) {
            /* An unknown model or version is NOT_FOUND, as for every other model method. */
            ei__grpc_fail_code(c, &e);
        } else {
            if (m)
                ei__model_release(m);
            ei__repo_foreach(repo, stats_one, &x);
            Inference__ModelStatisticsResponse r = INFERENCE__MODEL_STATISTICS_RESPONSE__INIT;
            r.n_model_stats = x.n;
            r.model_stats = x.l;
            if (a.oom)
                ei__grpc_fail(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
            else
                ei__grpc_reply(c, &r.base);
        }
        ei__arena_free(&a);
        ei__grpc_drop(c);
    }
    inference__model_statistics_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

/* Repository -------------------------------------------------------------------------------------
 */

typedef struct index_ctx {
    ei__arena_t *a;
    Inference__RepositoryIndexResponse__ModelIndex **l;
    size_t n, cap;
} index_ctx_t;

static void index_row(const ei__repo_entry_t *e, void *user)
{
    index_ctx_t *x = user;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 32;
        Inference__RepositoryIndexResponse__ModelIndex **l = ei__arena_alloc(x->a, cap * sizeof *l);
        if (!l)
            return;
        if (x->n)
            memcpy(l, x->l, x->n * sizeof *l);
        x->l = l;
        x->cap = cap;
    }
    Inference__RepositoryIndexResponse__ModelIndex *r =
        EI__ARENA_MSG(x->a, Inference__RepositoryIndexResponse__ModelIndex,
                      INFERENCE__REPOSITORY_INDEX_RESPONSE__MODEL_INDEX__INIT);
    if (!r)
        return;
    r->name = ei__arena_strdup(x->a, e->name);
    r->version = e->version >= 0 ? fmt_version(x->a, e->version) : (char *)"";
    r->state = ei__arena_strdup(x->a, e->state);
    r->reason = ei__arena_strdup(x->a, e->reason ? e->reason : "");
    x->l[x->n++] = r;
}

static void repository_index(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__RepositoryIndexRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__repository_index_request__unpack, msg, len,
                    "RepositoryIndexRequest");
    ei__repo_t *repo = ei__grpc_hold(c);
    if (repo) {
        ei__arena_t a = {0};
        index_ctx_t x = {&a, NULL, 0, 0};
        ei_error_t e = {0};
        if (ei__repo_index(repo, rq->ready, index_row, &x, &e) != EI_OK) {
            ei__grpc_fail_code(c, &e);
        } else if (a.oom) {
            ei__grpc_fail(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        } else {
            Inference__RepositoryIndexResponse r = INFERENCE__REPOSITORY_INDEX_RESPONSE__INIT;
            r.n_models = x.n;
            r.models = x.l;
            ei__grpc_reply(c, &r.base);
        }
        ei__arena_free(&a);
        ei__grpc_drop(c);
    }
    inference__repository_index_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

static void load_or_unload(ei__grpc_call_t *c, const char *name, bool load, const char *config,
                           const ei__repo_file_t *files, size_t n_files)
{
    ei__grpc_note_model(c, name, -1);
    ei__repo_t *repo = ei__grpc_hold(c);
    if (!repo)
        return;
    ei_error_t e = {0};
    ei_code_t rc = load && (config || n_files)
                       ? ei__v2_load_with(c->g->core, repo, name, config, files, n_files, c->id, &e)
                       : ei__v2_load(c->g->core, repo, name, load, c->id, &e);
    if (rc != EI_OK) {
        /* Triton reports what is wrong with the request, the model or its config as
         * INVALID_ARGUMENT (HTTP 400), an unknown model NOT_FOUND. */
        unsigned http = load ? ei__v2_load_status(rc) : 0;
        grpc_status_code code = http == 400   ? GRPC_STATUS_INVALID_ARGUMENT
                                : http == 404 ? GRPC_STATUS_NOT_FOUND
                                              : ei__grpc_status_for(rc);
        ei__grpc_fail(c, code, "%s", e.msg);
    } else if (load) {
        Inference__RepositoryModelLoadResponse r = INFERENCE__REPOSITORY_MODEL_LOAD_RESPONSE__INIT;
        ei__grpc_reply(c, &r.base);
    } else {
        Inference__RepositoryModelUnloadResponse r =
            INFERENCE__REPOSITORY_MODEL_UNLOAD_RESPONSE__INIT;
        ei__grpc_reply(c, &r.base);
    }
    ei__grpc_drop(c);
}

#define MAX_FILES 64

static void repository_model_load(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__RepositoryModelLoadRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__repository_model_load_request__unpack, msg, len,
                    "RepositoryModelLoadRequest");
    /* Triton's load overrides: "config" (ModelConfig JSON, a string) and "file:<version>/<name>"
     * (the file's raw bytes: gRPC needs no base64). */
    const char *config = NULL;
    ei__repo_file_t files[MAX_FILES];
    size_t n = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < rq->n_parameters; i++) {
        const char *k = rq->parameters[i]->key;
        const Inference__ModelRepositoryParameter *v = rq->parameters[i]->value;
        if (strcmp(k, "config") == 0) {
            ok = v && v->parameter_choice_case ==
                          INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_STRING_PARAM;
            if (ok)
                config = v->string_param;
            else
                ei__grpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
                              "load '%s': parameter 'config' must be a string (ModelConfig JSON)",
                              rq->model_name);
        } else if (strncmp(k, "file:", 5) == 0) {
            ok = v &&
                 v->parameter_choice_case ==
                     INFERENCE__MODEL_REPOSITORY_PARAMETER__PARAMETER_CHOICE_BYTES_PARAM &&
                 n < MAX_FILES;
            if (ok)
                files[n++] = (ei__repo_file_t){k + 5, v->bytes_param.data, v->bytes_param.len};
            else
                ei__grpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
                              "load '%s': parameter '%.100s' must be bytes (at most %d files)",
                              rq->model_name, k, MAX_FILES);
        }
    }
    if (ok && n && !config) {
        ok = false;
        ei__grpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
                      "load '%s': file overrides need a 'config' parameter too", rq->model_name);
    }
    if (ok)
        load_or_unload(c, rq->model_name, true, config, files, n);
    inference__repository_model_load_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

static void repository_model_unload(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__RepositoryModelUnloadRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__repository_model_unload_request__unpack, msg, len,
                    "RepositoryModelUnloadRequest");
    /* Triton's only unload parameter, unload_dependents, has no meaning here: ignored. */
    load_or_unload(c, rq->model_name, false, NULL, NULL, 0);
    inference__repository_model_unload_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

/* Shared memory ----------------------------------------------------------------------------------
 */

#define SHM_OFF_MSG                                                                                \
    "client shared memory is not enabled on this server (start it with --allow-client-shm)"

static void shm_status(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__SystemSharedMemoryStatusRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__system_shared_memory_status_request__unpack, msg, len,
                    "SystemSharedMemoryStatusRequest");
    ei__shm_t *shm = c->g->core->shm;
    const char *name = rq->name[0] ? rq->name : NULL;
    Inference__SystemSharedMemoryStatusResponse r =
        INFERENCE__SYSTEM_SHARED_MEMORY_STATUS_RESPONSE__INIT;
    json_t *doc = NULL;
    ei_error_t e = {0};
    if (!shm && !name) {
        ei__grpc_reply(c, &r.base); /* nothing can be registered */
    } else if (!shm) {
        ei__grpc_fail(c, GRPC_STATUS_PERMISSION_DENIED, SHM_OFF_MSG);
    } else if (ei__shm_status(shm, name, &doc, &e) != EI_OK) {
        ei__grpc_fail_code(c, &e);
    } else {
        ei__arena_t a = {0};
        size_t n = json_array_size(doc);
        r.regions = ei__arena_alloc(&a, (n + 1) * sizeof *r.regions);
        for (size_t i = 0; r.regions && i < n; i++) {
            json_t *o = json_array_get(doc, i);
            Inference__SystemSharedMemoryStatusResponse__RegionsEntry *en =
                EI__ARENA_MSG(&a, Inference__SystemSharedMemoryStatusResponse__RegionsEntry,
                              INFERENCE__SYSTEM_SHARED_MEMORY_STATUS_RESPONSE__REGIONS_ENTRY__INIT);
            Inference__SystemSharedMemoryStatusResponse__RegionStatus *st =
                EI__ARENA_MSG(&a, Inference__SystemSharedMemoryStatusResponse__RegionStatus,
                              INFERENCE__SYSTEM_SHARED_MEMORY_STATUS_RESPONSE__REGION_STATUS__INIT);
            if (!en || !st)
                break;
            st->name = ei__arena_strdup(&a, json_string_value(json_object_get(o, "name")));
            st->key = ei__arena_strdup(&a, json_string_value(json_object_get(o, "key")));
            st->offset = (uint64_t)json_integer_value(json_object_get(o, "offset"));
            st->byte_size = (uint64_t)json_integer_value(json_object_get(o, "byte_size"));
            en->key = st->name;
            en->value = st;
            r.regions[r.n_regions++] = en;
        }
        if (a.oom)
            ei__grpc_fail(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        else
            ei__grpc_reply(c, &r.base);
        ei__arena_free(&a);
        json_decref(doc);
    }
    inference__system_shared_memory_status_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

static void shm_register(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__SystemSharedMemoryRegisterRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__system_shared_memory_register_request__unpack, msg, len,
                    "SystemSharedMemoryRegisterRequest");
    ei__shm_t *shm = c->g->core->shm;
    ei_error_t e = {0};
    if (!shm) {
        ei__grpc_fail(c, GRPC_STATUS_PERMISSION_DENIED, SHM_OFF_MSG);
    } else if (!rq->name[0] || rq->byte_size == 0) {
        ei__grpc_fail(c, GRPC_STATUS_INVALID_ARGUMENT,
                      "register: a region needs a name and a byte_size > 0");
    } else if (ei__shm_register(shm, rq->name, rq->key, rq->offset, rq->byte_size, &e) != EI_OK) {
        ei__grpc_fail_code(c, &e);
    } else {
        ei__log_event(c->g->core, EI_LOG_INFO, c->id, NULL, -1,
                      "shared memory region '%s' registered (key %s, %llu bytes)", rq->name,
                      rq->key, (unsigned long long)rq->byte_size);
        Inference__SystemSharedMemoryRegisterResponse r =
            INFERENCE__SYSTEM_SHARED_MEMORY_REGISTER_RESPONSE__INIT;
        ei__grpc_reply(c, &r.base);
    }
    inference__system_shared_memory_register_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

static void shm_unregister(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__SystemSharedMemoryUnregisterRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__system_shared_memory_unregister_request__unpack, msg, len,
                    "SystemSharedMemoryUnregisterRequest");
    if (c->g->core->shm)
        ei__shm_unregister(c->g->core->shm, rq->name[0] ? rq->name : NULL);
    Inference__SystemSharedMemoryUnregisterResponse r =
        INFERENCE__SYSTEM_SHARED_MEMORY_UNREGISTER_RESPONSE__INIT;
    ei__grpc_reply(c, &r.base);
    inference__system_shared_memory_unregister_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

#define CUDA_MSG "CUDA shared memory is not supported by this server (it runs on the CPU)"

static void cuda_status(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__CudaSharedMemoryStatusRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__cuda_shared_memory_status_request__unpack, msg, len,
                    "CudaSharedMemoryStatusRequest");
    if (rq->name[0]) {
        ei__grpc_fail(c, GRPC_STATUS_UNIMPLEMENTED, CUDA_MSG);
    } else {
        Inference__CudaSharedMemoryStatusResponse r =
            INFERENCE__CUDA_SHARED_MEMORY_STATUS_RESPONSE__INIT;
        ei__grpc_reply(c, &r.base); /* nothing can be registered */
    }
    inference__cuda_shared_memory_status_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}

static void cuda_register(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    (void)msg;
    (void)len;
    ei__grpc_fail(c, GRPC_STATUS_UNIMPLEMENTED, CUDA_MSG);
}

static void cuda_unregister(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__CudaSharedMemoryUnregisterRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__cuda_shared_memory_unregister_request__unpack, msg, len,
                    "CudaSharedMemoryUnregisterRequest");
    inference__cuda_shared_memory_unregister_request__free_unpacked(rq, &ei__grpc_pb_alloc);
    Inference__CudaSharedMemoryUnregisterResponse r =
        INFERENCE__CUDA_SHARED_MEMORY_UNREGISTER_RESPONSE__INIT;
    ei__grpc_reply(c, &r.base); /* nothing is registered */
}

/* Trace and log settings (read-only) --------------------------------------------------------------
 */

static void trace_setting(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__TraceSettingRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__trace_setting_request__unpack, msg, len,
                    "TraceSettingRequest");
    bool update = rq->n_settings > 0;
    inference__trace_setting_request__free_unpacked(rq, &ei__grpc_pb_alloc);
    if (update) {
        ei__grpc_fail(c, GRPC_STATUS_UNIMPLEMENTED,
                      "tracing is not supported by this server; its settings can only be read");
        return;
    }
    static const char *const keys[] = {"trace_file",  "trace_level",   "trace_rate",
                                       "trace_count", "log_frequency", "trace_mode"};
    static const char *const vals[] = {"", "OFF", "1000", "-1", "0", "triton"};
    enum { N = sizeof keys / sizeof keys[0] };
    Inference__TraceSettingResponse__SettingValue v[N];
    Inference__TraceSettingResponse__SettingsEntry e[N], *ep[N];
    char *vp[N];
    for (size_t i = 0; i < N; i++) {
        Inference__TraceSettingResponse__SettingValue vi =
            INFERENCE__TRACE_SETTING_RESPONSE__SETTING_VALUE__INIT;
        Inference__TraceSettingResponse__SettingsEntry ei =
            INFERENCE__TRACE_SETTING_RESPONSE__SETTINGS_ENTRY__INIT;
        v[i] = vi;
        e[i] = ei;
        vp[i] = (char *)vals[i];
        v[i].n_value = 1;
        v[i].value = &vp[i];
        e[i].key = (char *)keys[i];
        e[i].value = &v[i];
        ep[i] = &e[i];
    }
    Inference__TraceSettingResponse r = INFERENCE__TRACE_SETTING_RESPONSE__INIT;
    r.n_settings = N;
    r.settings = ep;
    ei__grpc_reply(c, &r.base);
}

static void log_settings(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__LogSettingsRequest *rq;
    EI__GRPC_UNPACK(c, rq, inference__log_settings_request__unpack, msg, len, "LogSettingsRequest");
    bool update = rq->n_settings > 0;
    inference__log_settings_request__free_unpacked(rq, &ei__grpc_pb_alloc);
    if (update) {
        ei__grpc_fail(c, GRPC_STATUS_UNIMPLEMENTED,
                      "log settings can only be read here; set them with serve's --log-* options");
        return;
    }
    const ei_server_opts_t *o = c->g->o;
    enum { N = 6 };
    static const char *const keys[N] = {"log_file",  "log_info",          "log_warning",
                                        "log_error", "log_verbose_level", "log_format"};
    Inference__LogSettingsResponse__SettingValue v[N];
    Inference__LogSettingsResponse__SettingsEntry e[N], *ep[N];
    for (size_t i = 0; i < N; i++) {
        Inference__LogSettingsResponse__SettingValue vi =
            INFERENCE__LOG_SETTINGS_RESPONSE__SETTING_VALUE__INIT;
        Inference__LogSettingsResponse__SettingsEntry ei =
            INFERENCE__LOG_SETTINGS_RESPONSE__SETTINGS_ENTRY__INIT;
        v[i] = vi;
        e[i] = ei;
        e[i].key = (char *)keys[i];
        e[i].value = &v[i];
        ep[i] = &e[i];
    }
    v[0].parameter_choice_case =
        INFERENCE__LOG_SETTINGS_RESPONSE__SETTING_VALUE__PARAMETER_CHOICE_STRING_PARAM;
    v[0].string_param = (char *)"";
    for (int i = 1; i <= 3; i++) {
        v[i].parameter_choice_case =
            INFERENCE__LOG_SETTINGS_RESPONSE__SETTING_VALUE__PARAMETER_CHOICE_BOOL_PARAM;
        v[i].bool_param = true;
    }
    v[4].parameter_choice_case =
        INFERENCE__LOG_SETTINGS_RESPONSE__SETTING_VALUE__PARAMETER_CHOICE_UINT32_PARAM;
    v[4].uint32_param = o->log_verbose > 0 ? (uint32_t)o->log_verbose : 0;
    v[5].parameter_choice_case =
        INFERENCE__LOG_SETTINGS_RESPONSE__SETTING_VALUE__PARAMETER_CHOICE_STRING_PARAM;
    v[5].string_param = (char *)(o->log_format == EI_SERVER_LOG_JSON ? "json" : "default");
    Inference__LogSettingsResponse r = INFERENCE__LOG_SETTINGS_RESPONSE__INIT;
    r.n_settings = N;
    r.settings = ep;
    ei__grpc_reply(c, &r.base);
}

/* The method table
 * ---------------------------------------------------------------------------------- */

#define HEALTH EI__SCOPE_HEALTH
#define META EI__SCOPE_METADATA
#define INFER EI__SCOPE_INFER
#define REPO EI__SCOPE_REPOSITORY
#define STATS EI__SCOPE_STATISTICS
#define SHM EI__SCOPE_SHM

/* The scopes are the REST routes' (http/rest_v2.c); settings need any valid key. */
const ei__grpc_method_t ei__grpc_methods[] = {
    {"ServerLive", false, HEALTH, server_live},
    {"ServerReady", false, HEALTH, server_ready},
    {"ModelReady", false, HEALTH, model_ready},
    {"ServerMetadata", false, META, server_metadata},
    {"ModelMetadata", false, META, model_metadata},
    {"ModelInfer", false, INFER, ei__grpc_model_infer},
    {"ModelStreamInfer", true, INFER, ei__grpc_model_stream_infer},
    {"ModelConfig", false, META, ei__grpc_model_config},
    {"ModelStatistics", false, STATS, model_statistics},
    {"RepositoryIndex", false, REPO, repository_index},
    {"RepositoryModelLoad", false, REPO, repository_model_load},
    {"RepositoryModelUnload", false, REPO, repository_model_unload},
    {"SystemSharedMemoryStatus", false, SHM, shm_status},
    {"SystemSharedMemoryRegister", false, SHM, shm_register},
    {"SystemSharedMemoryUnregister", false, SHM, shm_unregister},
    {"CudaSharedMemoryStatus", false, SHM, cuda_status},
    {"CudaSharedMemoryRegister", false, SHM, cuda_register},
    {"CudaSharedMemoryUnregister", false, SHM, cuda_unregister},
    {"TraceSetting", false, EI__SCOPE_AUTHENTICATED, trace_setting},
    {"LogSettings", false, EI__SCOPE_AUTHENTICATED, log_settings},
    {NULL, false, 0, NULL},
};
/* Every method has its own stats slot, and the last slot is left for unknown methods. */
_Static_assert(sizeof ei__grpc_methods / sizeof ei__grpc_methods[0] <= EI__GRPC_METHOD_SLOTS,
               "raise EI__GRPC_METHOD_SLOTS");

size_t ei__grpc_method_slot(const ei__grpc_method_t *m)
{
    return m ? (size_t)(m - ei__grpc_methods) : EI__GRPC_METHOD_SLOTS - 1;
}
