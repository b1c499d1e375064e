/* SPDX-License-Identifier: MIT */
/*
 * ModelConfig over gRPC: the completed model config (model_config.h) as Triton's ModelConfig
 * message, the same content GET /v2/models/{m}/config answers in JSON (model_config_json.c).
 */
#include "grpc_internal.h"
#include "model_config.h"

#include <stdio.h>
#include <string.h>

/* Model config ------------------------------------------------------------------------------------
 */

static Inference__DataType config_type(ei_dtype_t t)
{
    static const struct {
        ei_dtype_t t;
        Inference__DataType p;
    } map[] = {
        {EI_DTYPE_BOOL, INFERENCE__DATA_TYPE__TYPE_BOOL},
        {EI_DTYPE_UINT8, INFERENCE__DATA_TYPE__TYPE_UINT8},
        {EI_DTYPE_UINT16, INFERENCE__DATA_TYPE__TYPE_UINT16},
        {EI_DTYPE_UINT32, INFERENCE__DATA_TYPE__TYPE_UINT32},
        {EI_DTYPE_UINT64, INFERENCE__DATA_TYPE__TYPE_UINT64},
        {EI_DTYPE_INT8, INFERENCE__DATA_TYPE__TYPE_INT8},
        {EI_DTYPE_INT16, INFERENCE__DATA_TYPE__TYPE_INT16},
        {EI_DTYPE_INT32, INFERENCE__DATA_TYPE__TYPE_INT32},
        {EI_DTYPE_INT64, INFERENCE__DATA_TYPE__TYPE_INT64},
        {EI_DTYPE_FLOAT16, INFERENCE__DATA_TYPE__TYPE_FP16},
        {EI_DTYPE_FLOAT32, INFERENCE__DATA_TYPE__TYPE_FP32},
        {EI_DTYPE_FLOAT64, INFERENCE__DATA_TYPE__TYPE_FP64},
        {EI_DTYPE_STRING, INFERENCE__DATA_TYPE__TYPE_STRING},
        {EI_DTYPE_BFLOAT16, INFERENCE__DATA_TYPE__TYPE_BF16},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].t == t)
            return map[i].p;
    return INFERENCE__DATA_TYPE__TYPE_INVALID;
}

static Inference__ModelTensorReshape *reshape_of(ei__arena_t *a, const ei__config_io_t *io)
{
    if (!io->has_reshape)
        return NULL;
    Inference__ModelTensorReshape *r =
        EI__ARENA_MSG(a, Inference__ModelTensorReshape, INFERENCE__MODEL_TENSOR_RESHAPE__INIT);
    if (r) {
        r->n_shape = io->n_reshape;
        r->shape = (int64_t *)io->reshape;
    }
    return r;
}

static Inference__ModelOptimizationPolicy__ExecutionAccelerators__Accelerator **
accelerators(ei__arena_t *a, const ei__model_config_t *cfg, bool gpu, size_t *n);

static Inference__ModelConfig *config_message(ei__arena_t *a, const ei__model_config_t *cfg)
{
    Inference__ModelConfig *m =
        EI__ARENA_MSG(a, Inference__ModelConfig, INFERENCE__MODEL_CONFIG__INIT);
    if (!m)
        return NULL;
    m->name = cfg->name ? cfg->name : (char *)"";
    m->platform = cfg->platform ? cfg->platform : (char *)"";
    m->backend = cfg->backend ? cfg->backend : (char *)"";
    m->max_batch_size = (int32_t)cfg->max_batch_size;
    m->default_model_filename =
        cfg->default_model_filename ? cfg->default_model_filename : (char *)"model.onnx";
    Inference__ModelVersionPolicy *vp =
        EI__ARENA_MSG(a, Inference__ModelVersionPolicy, INFERENCE__MODEL_VERSION_POLICY__INIT);
    if (vp && cfg->version_policy == EI__VPOLICY_ALL) {
        vp->policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_ALL;
        vp->all = EI__ARENA_MSG(a, Inference__ModelVersionPolicy__All,
                                INFERENCE__MODEL_VERSION_POLICY__ALL__INIT);
    } else if (vp && cfg->version_policy == EI__VPOLICY_SPECIFIC) {
        vp->policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_SPECIFIC;
        vp->specific = EI__ARENA_MSG(a, Inference__ModelVersionPolicy__Specific,
                                     INFERENCE__MODEL_VERSION_POLICY__SPECIFIC__INIT);
        if (vp->specific) {
            vp->specific->n_versions = cfg->n_versions;
            vp->specific->versions = cfg->versions;
        }
    } else if (vp) {
        vp->policy_choice_case = INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_LATEST;
        vp->latest = EI__ARENA_MSG(a, Inference__ModelVersionPolicy__Latest,
                                   INFERENCE__MODEL_VERSION_POLICY__LATEST__INIT);
        if (vp->latest)
            vp->latest->num_versions = (uint32_t)cfg->num_versions;
    }
    m->version_policy = vp;
    m->input = ei__arena_alloc(a, (cfg->n_inputs + 1) * sizeof *m->input);
    for (size_t i = 0; m->input && i < cfg->n_inputs; i++) {
        const ei__config_io_t *io = &cfg->inputs[i];
        Inference__ModelInput *in =
            EI__ARENA_MSG(a, Inference__ModelInput, INFERENCE__MODEL_INPUT__INIT);
        if (!in)
            break;
        in->name = io->name;
        in->data_type = config_type(io->dtype);
        in->n_dims = io->n_dims;
        in->dims = (int64_t *)io->dims;
        in->reshape = reshape_of(a, io);
        in->optional = io->optional;
        m->input[m->n_input++] = in;
    }
    m->output = ei__arena_alloc(a, (cfg->n_outputs + 1) * sizeof *m->output);
    for (size_t i = 0; m->output && i < cfg->n_outputs; i++) {
        const ei__config_io_t *io = &cfg->outputs[i];
        Inference__ModelOutput *out =
            EI__ARENA_MSG(a, Inference__ModelOutput, INFERENCE__MODEL_OUTPUT__INIT);
        if (!out)
            break;
        out->name = io->name;
        out->data_type = config_type(io->dtype);
        out->n_dims = io->n_dims;
        out->dims = (int64_t *)io->dims;
        out->reshape = reshape_of(a, io);
        out->label_filename = io->label_filename ? io->label_filename : (char *)"";
        m->output[m->n_output++] = out;
    }
    Inference__ModelInstanceGroup *g =
        EI__ARENA_MSG(a, Inference__ModelInstanceGroup, INFERENCE__MODEL_INSTANCE_GROUP__INIT);
    m->instance_group = ei__arena_alloc(a, sizeof *m->instance_group);
    if (g && m->instance_group) {
        char gname[200];
        snprintf(gname, sizeof gname, "%s_0", m->name);
        g->name = ei__arena_strdup(a, gname);
        g->count = cfg->instance_count;
        g->kind =
            cfg->instance_kind == EI__KIND_CPU   ? INFERENCE__MODEL_INSTANCE_GROUP__KIND__KIND_CPU
            : cfg->instance_kind == EI__KIND_GPU ? INFERENCE__MODEL_INSTANCE_GROUP__KIND__KIND_GPU
            : cfg->instance_kind == EI__KIND_MODEL
                ? INFERENCE__MODEL_INSTANCE_GROUP__KIND__KIND_MODEL
                : INFERENCE__MODEL_INSTANCE_GROUP__KIND__KIND_AUTO;
        m->instance_group[0] = g;
        m->n_instance_group = 1;
    }
    if (cfg->dynamic_batching) {
        Inference__ModelDynamicBatching *db = EI__ARENA_MSG(
            a, Inference__ModelDynamicBatching, INFERENCE__MODEL_DYNAMIC_BATCHING__INIT);
        Inference__ModelQueuePolicy *qp =
            EI__ARENA_MSG(a, Inference__ModelQueuePolicy, INFERENCE__MODEL_QUEUE_POLICY__INIT);
        if (db && qp) {
            db->preferred_batch_size = ei__arena_alloc(a, (cfg->n_preferred + 1) * sizeof(int32_t));
            for (size_t i = 0; db->preferred_batch_size && i < cfg->n_preferred; i++)
                db->preferred_batch_size[db->n_preferred_batch_size++] =
                    (int32_t)cfg->preferred_batch_sizes[i];
            db->max_queue_delay_microseconds = cfg->max_queue_delay_us;
            db->preserve_ordering = cfg->preserve_ordering;
            qp->timeout_action = cfg->timeout_action_delay
                                     ? INFERENCE__MODEL_QUEUE_POLICY__TIMEOUT_ACTION__DELAY
                                     : INFERENCE__MODEL_QUEUE_POLICY__TIMEOUT_ACTION__REJECT;
            qp->default_timeout_microseconds = cfg->default_timeout_us;
            qp->allow_timeout_override = cfg->allow_timeout_override;
            qp->max_queue_size = (uint32_t)cfg->max_queue_size;
            db->default_queue_policy = qp;
            m->scheduling_choice_case = INFERENCE__MODEL_CONFIG__SCHEDULING_CHOICE_DYNAMIC_BATCHING;
            m->dynamic_batching = db;
        }
    }
    Inference__ModelOptimizationPolicy *opt = EI__ARENA_MSG(
        a, Inference__ModelOptimizationPolicy, INFERENCE__MODEL_OPTIMIZATION_POLICY__INIT);
    if (opt) {
        if (cfg->has_graph_level) {
            opt->graph = EI__ARENA_MSG(a, Inference__ModelOptimizationPolicy__Graph,
                                       INFERENCE__MODEL_OPTIMIZATION_POLICY__GRAPH__INIT);
            if (opt->graph)
                opt->graph->level = (int32_t)cfg->graph_level;
        }
        if (cfg->n_accels) {
            Inference__ModelOptimizationPolicy__ExecutionAccelerators *ea =
                EI__ARENA_MSG(a, Inference__ModelOptimizationPolicy__ExecutionAccelerators,
                              INFERENCE__MODEL_OPTIMIZATION_POLICY__EXECUTION_ACCELERATORS__INIT);
            if (ea) {
                ea->gpu_execution_accelerator =
                    accelerators(a, cfg, true, &ea->n_gpu_execution_accelerator);
                ea->cpu_execution_accelerator =
                    accelerators(a, cfg, false, &ea->n_cpu_execution_accelerator);
                opt->execution_accelerators = ea;
            }
        }
        m->optimization = opt;
    }
    m->parameters = ei__arena_alloc(a, (cfg->n_params + 1) * sizeof *m->parameters);
    for (size_t i = 0; m->parameters && i < cfg->n_params; i++) {
        Inference__ModelConfig__ParametersEntry *e =
            EI__ARENA_MSG(a, Inference__ModelConfig__ParametersEntry,
                          INFERENCE__MODEL_CONFIG__PARAMETERS_ENTRY__INIT);
        Inference__ModelParameter *v =
            EI__ARENA_MSG(a, Inference__ModelParameter, INFERENCE__MODEL_PARAMETER__INIT);
        if (!e || !v)
            break;
        e->key = cfg->params[i].key;
        v->string_value = cfg->params[i].value;
        e->value = v;
        m->parameters[m->n_parameters++] = e;
    }
    return m;
}

static Inference__ModelOptimizationPolicy__ExecutionAccelerators__Accelerator **
accelerators(ei__arena_t *a, const ei__model_config_t *cfg, bool gpu, size_t *n)
{
    typedef Inference__ModelOptimizationPolicy__ExecutionAccelerators__Accelerator acc_t;
    typedef Inference__ModelOptimizationPolicy__ExecutionAccelerators__Accelerator__ParametersEntry
        kv_t;
    acc_t **l = ei__arena_alloc(a, (cfg->n_accels + 1) * sizeof *l);
    *n = 0;
    for (size_t i = 0; l && i < cfg->n_accels; i++) {
        const ei__config_accel_t *ac = &cfg->accels[i];
        if (ac->gpu != gpu)
            continue;
        acc_t *x = EI__ARENA_MSG(
            a, acc_t,
            INFERENCE__MODEL_OPTIMIZATION_POLICY__EXECUTION_ACCELERATORS__ACCELERATOR__INIT);
        if (!x)
            break;
        x->name = ac->name;
        x->parameters = ei__arena_alloc(a, (ac->n_params + 1) * sizeof *x->parameters);
        for (size_t k = 0; x->parameters && k < ac->n_params; k++) {
            kv_t *kv = EI__ARENA_MSG(
                a, kv_t,
                INFERENCE__MODEL_OPTIMIZATION_POLICY__EXECUTION_ACCELERATORS__ACCELERATOR__PARAMETERS_ENTRY__INIT);
            if (!kv)
                break;
            kv->key = ac->keys[k];
            kv->value = ac->values[k];
            x->parameters[x->n_parameters++] = kv;
        }
        l[(*n)++] = x;
    }
    return l;
}

void ei__grpc_model_config(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    Inference__ModelConfigRequest *rq;
    int64_t version;
    EI__GRPC_UNPACK(c, rq, inference__model_config_request__unpack, msg, len, "ModelConfigRequest");
    ei__grpc_note_model(c, rq->name, -1);
    ei__repo_t *repo = NULL;
    if (ei__grpc_version(c, rq->version, &version) && (repo = ei__grpc_hold(c)) != NULL) {
        ei__model_t *m = NULL;
        ei_error_t e = {0};
        if (ei__repo_acquire(repo, rq->name, version, &m, &e) != EI_OK) {
            ei__grpc_fail_code(c, &e);
        } else {
            ei__arena_t a = {0};
            ei__grpc_note_model(c, rq->name, ei__model_version(m));
            Inference__ModelConfigResponse r = INFERENCE__MODEL_CONFIG_RESPONSE__INIT;
            r.config = config_message(&a, ei__model_config(m));
            if (a.oom || !r.config)
                ei__grpc_fail(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
            else
                ei__grpc_reply(c, &r.base);
            ei__arena_free(&a);
            ei__model_release(m);
        }
        ei__grpc_drop(c);
    }
    inference__model_config_request__free_unpacked(rq, &ei__grpc_pb_alloc);
}
