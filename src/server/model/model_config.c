/* SPDX-License-Identifier: MIT */
/*
 * ModelConfig: from the pbtxt tree (pbtxt.c) to ei__model_config_t, label files, lookups and
 * session options. Auto-complete/validation against the session is in model_autocomplete.c and
 * the JSON form in model_config_json.c. Unknown or unsupported fields are warnings naming
 * file:line (Triton would refuse some of them; a warning keeps a config written for Triton
 * usable); wrong types and bad numbers are errors naming file:line:column.
 *
 * Why one file of ~800 lines: it is one table-like walk over ModelConfig's fields (inputs, outputs,
 * batching, instance groups, policies, parameters), each a short section; splitting it by field
 * would scatter one schema over several files.
 */
#include "model_config.h"

#include "ei_util.h"
#include "model_config_parse.h"
#include "pbtxt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Types -----------------------------------------------------------------------------------------
 */

static const struct {
    ei_dtype_t dtype;
    const char *name;
} type_names[] = {
    {EI_DTYPE_BOOL, "TYPE_BOOL"},     {EI_DTYPE_UINT8, "TYPE_UINT8"},
    {EI_DTYPE_UINT16, "TYPE_UINT16"}, {EI_DTYPE_UINT32, "TYPE_UINT32"},
    {EI_DTYPE_UINT64, "TYPE_UINT64"}, {EI_DTYPE_INT8, "TYPE_INT8"},
    {EI_DTYPE_INT16, "TYPE_INT16"},   {EI_DTYPE_INT32, "TYPE_INT32"},
    {EI_DTYPE_INT64, "TYPE_INT64"},   {EI_DTYPE_FLOAT16, "TYPE_FP16"},
    {EI_DTYPE_FLOAT32, "TYPE_FP32"},  {EI_DTYPE_FLOAT64, "TYPE_FP64"},
    {EI_DTYPE_STRING, "TYPE_STRING"}, {EI_DTYPE_BFLOAT16, "TYPE_BF16"},
};

const char *ei__config_type_name(ei_dtype_t t)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (type_names[i].dtype == t)
            return type_names[i].name;
    }
    return "TYPE_INVALID";
}

const char *ei__wire_type_name(ei_dtype_t t)
{
    if (t == EI_DTYPE_STRING)
        return "BYTES";
    const char *n = ei__config_type_name(t);
    return strcmp(n, "TYPE_INVALID") != 0 ? n + 5 : ei_dtype_name(t);
}

ei_dtype_t ei__config_type_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (strcmp(type_names[i].name, name) == 0)
            return type_names[i].dtype;
    }
    return EI_DTYPE_UNDEFINED;
}

/* Freeing ---------------------------------------------------------------------------------------
 */

static void io_free(ei__config_io_t *io)
{
    ei__free(io->name);
    ei__free(io->label_filename);
    ei_labels_destroy(io->labels);
}

static void kv_free(ei__config_kv_t *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ei__free(kv[i].key);
        ei__free(kv[i].value);
    }
    ei__free(kv);
}

void ei__model_config_destroy(ei__model_config_t *c)
{
    if (c == NULL)
        return;
    ei__free(c->name);
    ei__free(c->platform);
    ei__free(c->backend);
    for (size_t i = 0; i < c->n_inputs; i++)
        io_free(&c->inputs[i]);
    ei__free(c->inputs);
    for (size_t i = 0; i < c->n_outputs; i++)
        io_free(&c->outputs[i]);
    ei__free(c->outputs);
    ei__free(c->preferred_batch_sizes);
    ei__free(c->versions);
    for (size_t i = 0; i < c->n_accels; i++) {
        ei__free(c->accels[i].name);
        for (size_t k = 0; k < c->accels[i].n_params; k++) {
            ei__free(c->accels[i].keys[k]);
            ei__free(c->accels[i].values[k]);
        }
        ei__free(c->accels[i].keys);
        ei__free(c->accels[i].values);
    }
    ei__free(c->accels);
    kv_free(c->params, c->n_params);
    ei__free(c->default_model_filename);
    for (size_t i = 0; i < c->seq.n_controls; i++)
        ei__free(c->seq.controls[i].name);
    ei__free(c->seq.controls);
    for (size_t i = 0; i < c->seq.n_states; i++) {
        ei__free(c->seq.states[i].input_name);
        ei__free(c->seq.states[i].output_name);
        ei__free(c->seq.states[i].initial_file);
        ei__free(c->seq.states[i].initial_name);
        ei__free(c->seq.states[i].initial_data);
    }
    ei__free(c->seq.states);
    ei__free(c->seq.preferred);
    for (size_t i = 0; i < c->n_op_libraries; i++)
        ei__free(c->op_libraries[i]);
    ei__free(c->op_libraries);
    ei__free(c);
}

/* Reading the tree ------------------------------------------------------------------------------
 */

ei_code_t ei__cfg_bad(ctx_t *cx, const ei__pb_node_t *n, const char *what)
{
    if (cx->json)
        return ei__fail(cx->err, EI_EFORMAT, "%s: field '%s': %s", cx->path, n->name, what);
    return ei__fail(cx->err, EI_EFORMAT, "%s:%d:%d: field '%s': %s", cx->path, n->line, n->col,
                    n->name, what);
}

ei_code_t ei__cfg_oom(ctx_t *cx)
{
    return ei__fail(cx->err, EI_ENOMEM, "%s: out of memory", cx->path);
}

void ei__cfg_unknown(ctx_t *cx, const ei__pb_node_t *n, const char *in)
{
    if (cx->quiet)
        return;
    EI_LOG(EI_LOG_WARN, "server", "%s:%d: unknown field '%s' in %s, ignored", cx->path, n->line,
           n->name, in);
}

void ei__cfg_unsupported(ctx_t *cx, const ei__pb_node_t *n)
{
    if (cx->quiet)
        return;
    EI_LOG(EI_LOG_WARN, "server", "%s:%d: field '%s' is not supported by edgeinfer, ignored",
           cx->path, n->line, n->name);
}

ei_code_t ei__cfg_want_msg(ctx_t *cx, const ei__pb_node_t *n)
{
    return n->kind == EI__PB_MESSAGE ? EI_OK : ei__cfg_bad(cx, n, "expected a message { ... }");
}

ei_code_t ei__cfg_get_i64(ctx_t *cx, const ei__pb_node_t *n, int64_t *out)
{
    bool number = n->kind == EI__PB_NUMBER || (cx->json && n->kind == EI__PB_STRING);
    if (!number || !ei__parse_i64(n->value, out)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "expected an integer, got '%.64s'",
                 n->value != NULL ? n->value : "{...}");
        return ei__cfg_bad(cx, n, msg);
    }
    return EI_OK;
}

ei_code_t ei__cfg_get_u64(ctx_t *cx, const ei__pb_node_t *n, uint64_t *out)
{
    int64_t v = 0;
    ei_code_t rc = ei__cfg_get_i64(cx, n, &v);
    if (rc != EI_OK)
        return rc;
    if (v < 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "expected a non-negative integer, got %lld", (long long)v);
        return ei__cfg_bad(cx, n, msg);
    }
    *out = (uint64_t)v;
    return EI_OK;
}

ei_code_t ei__cfg_get_bool(ctx_t *cx, const ei__pb_node_t *n, bool *out)
{
    if (n->value != NULL && n->kind != EI__PB_STRING) {
        if (strcmp(n->value, "true") == 0 || strcmp(n->value, "True") == 0 ||
            strcmp(n->value, "t") == 0 || strcmp(n->value, "1") == 0) {
            *out = true;
            return EI_OK;
        }
        if (strcmp(n->value, "false") == 0 || strcmp(n->value, "False") == 0 ||
            strcmp(n->value, "f") == 0 || strcmp(n->value, "0") == 0) {
            *out = false;
            return EI_OK;
        }
    }
    return ei__cfg_bad(cx, n, "expected true or false");
}

/* Replaces *out with a copy of a string field. */
ei_code_t ei__cfg_get_str(ctx_t *cx, const ei__pb_node_t *n, char **out)
{
    if (n->kind != EI__PB_STRING)
        return ei__cfg_bad(cx, n, "expected a quoted string");
    char *s = ei__strdup(n->value);
    if (s == NULL)
        return ei__cfg_oom(cx);
    ei__free(*out);
    *out = s;
    return EI_OK;
}

ei_code_t ei__cfg_get_ident(ctx_t *cx, const ei__pb_node_t *n, const char **out)
{
    if (n->kind != EI__PB_IDENT && !(cx->json && n->kind == EI__PB_STRING))
        return ei__cfg_bad(cx, n, "expected an enum name");
    *out = n->value;
    return EI_OK;
}

/* Appends one int64 to a growable array. */
ei_code_t ei__cfg_push_i64(ctx_t *cx, int64_t **arr, size_t *n, int64_t v)
{
    int64_t *p = ei__realloc(*arr, (*n + 1) * sizeof(int64_t));
    if (p == NULL)
        return ei__cfg_oom(cx);
    p[(*n)++] = v;
    *arr = p;
    return EI_OK;
}

ei_code_t ei__cfg_get_dim(ctx_t *cx, const ei__pb_node_t *n, int64_t *dims, size_t *nd)
{
    int64_t v = 0;
    ei_code_t rc = ei__cfg_get_i64(cx, n, &v);
    if (rc != EI_OK)
        return rc;
    if (v < -1)
        return ei__cfg_bad(cx, n, "a dim must be -1 (variable) or >= 0");
    if (*nd >= EI_MAX_RANK)
        return ei__cfg_bad(cx, n, "too many dims (at most 16)");
    dims[(*nd)++] = v;
    return EI_OK;
}

static ei_code_t parse_io(ctx_t *cx, const ei__pb_node_t *m, ei__config_io_t *io)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "name") == 0) {
            rc = ei__cfg_get_str(cx, n, &io->name);
        } else if (strcmp(n->name, "data_type") == 0) {
            const char *t = NULL;
            rc = ei__cfg_get_ident(cx, n, &t);
            if (rc == EI_OK) {
                io->dtype = ei__config_type_parse(t);
                if (io->dtype == EI_DTYPE_UNDEFINED)
                    rc = ei__cfg_bad(cx, n,
                                     "unknown data type (expected TYPE_FP32, TYPE_INT64, ...)");
            }
        } else if (strcmp(n->name, "dims") == 0) {
            rc = ei__cfg_get_dim(cx, n, io->dims, &io->n_dims);
        } else if (strcmp(n->name, "reshape") == 0) {
            rc = ei__cfg_want_msg(cx, n);
            io->has_reshape = true;
            for (const ei__pb_node_t *s = n->child; rc == EI_OK && s != NULL; s = s->next) {
                if (strcmp(s->name, "shape") == 0)
                    rc = ei__cfg_get_dim(cx, s, io->reshape, &io->n_reshape);
                else
                    ei__cfg_unknown(cx, s, "reshape");
            }
        } else if (strcmp(n->name, "label_filename") == 0) {
            rc = ei__cfg_get_str(cx, n, &io->label_filename);
        } else if (strcmp(n->name, "optional") == 0) {
            rc = ei__cfg_get_bool(cx, n, &io->optional);
        } else if (strcmp(n->name, "format") == 0) {
            const char *f = NULL;
            rc = ei__cfg_get_ident(cx, n, &f);
            if (rc == EI_OK && strcmp(f, "FORMAT_NONE") == 0)
                io->format = 0;
            else if (rc == EI_OK && strcmp(f, "FORMAT_NHWC") == 0)
                io->format = 1;
            else if (rc == EI_OK && strcmp(f, "FORMAT_NCHW") == 0)
                io->format = 2;
            else if (rc == EI_OK)
                rc = ei__cfg_bad(cx, n, "expected FORMAT_NONE, FORMAT_NHWC or FORMAT_NCHW");
        } else if (strcmp(n->name, "allow_ragged_batch") == 0 ||
                   strcmp(n->name, "is_shape_tensor") == 0 ||
                   strcmp(n->name, "is_non_linear_format_io") == 0) {
            ei__cfg_unsupported(cx, n);
        } else {
            ei__cfg_unknown(cx, n, "input/output");
        }
    }
    if (rc == EI_OK && io->name == NULL)
        rc = ei__cfg_bad(cx, m, "missing 'name'");
    return rc;
}

static ei_code_t add_io(ctx_t *cx, const ei__pb_node_t *m, ei__config_io_t **arr, size_t *n)
{
    ei__config_io_t *p = ei__realloc(*arr, (*n + 1) * sizeof(**arr));
    if (p == NULL)
        return ei__cfg_oom(cx);
    *arr = p;
    memset(&p[*n], 0, sizeof(p[*n]));
    (*n)++;
    return parse_io(cx, m, &p[*n - 1]);
}

static ei_code_t parse_queue_policy(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "max_queue_size") == 0) {
            rc = ei__cfg_get_u64(cx, n, &c->max_queue_size);
        } else if (strcmp(n->name, "default_timeout_microseconds") == 0) {
            rc = ei__cfg_get_u64(cx, n, &c->default_timeout_us);
        } else if (strcmp(n->name, "allow_timeout_override") == 0) {
            rc = ei__cfg_get_bool(cx, n, &c->allow_timeout_override);
        } else if (strcmp(n->name, "timeout_action") == 0) {
            const char *a = NULL;
            rc = ei__cfg_get_ident(cx, n, &a);
            if (rc == EI_OK && strcmp(a, "REJECT") == 0)
                c->timeout_action_delay = false;
            else if (rc == EI_OK && strcmp(a, "DELAY") == 0)
                c->timeout_action_delay = true;
            else if (rc == EI_OK)
                rc = ei__cfg_bad(cx, n, "expected REJECT or DELAY");
        } else {
            ei__cfg_unknown(cx, n, "default_queue_policy");
        }
    }
    return rc;
}

static ei_code_t parse_dynamic_batching(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    c->dynamic_batching = true;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "preferred_batch_size") == 0) {
            int64_t v = 0;
            rc = ei__cfg_get_i64(cx, n, &v);
            if (rc == EI_OK && v < 1)
                rc = ei__cfg_bad(cx, n, "a preferred batch size must be >= 1");
            if (rc == EI_OK)
                rc = ei__cfg_push_i64(cx, &c->preferred_batch_sizes, &c->n_preferred, v);
        } else if (strcmp(n->name, "max_queue_delay_microseconds") == 0) {
            rc = ei__cfg_get_u64(cx, n, &c->max_queue_delay_us);
        } else if (strcmp(n->name, "preserve_ordering") == 0) {
            rc = ei__cfg_get_bool(cx, n, &c->preserve_ordering);
        } else if (strcmp(n->name, "default_queue_policy") == 0) {
            rc = parse_queue_policy(cx, n, c);
        } else if (strcmp(n->name, "priority_levels") == 0 ||
                   strcmp(n->name, "default_priority_level") == 0 ||
                   strcmp(n->name, "priority_queue_policy") == 0) {
            ei__cfg_unsupported(cx, n);
        } else {
            ei__cfg_unknown(cx, n, "dynamic_batching");
        }
    }
    return rc;
}

static ei_code_t parse_instance_group(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    int64_t count = 1;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "count") == 0) {
            rc = ei__cfg_get_i64(cx, n, &count);
            if (rc == EI_OK && (count < 1 || count > 64))
                rc = ei__cfg_bad(cx, n, "count must be between 1 and 64");
        } else if (strcmp(n->name, "kind") == 0) {
            const char *k = NULL;
            rc = ei__cfg_get_ident(cx, n, &k);
            if (rc != EI_OK)
                break;
            if (strcmp(k, "KIND_CPU") == 0)
                c->instance_kind = EI__KIND_CPU;
            else if (strcmp(k, "KIND_GPU") == 0)
                c->instance_kind = EI__KIND_GPU;
            else if (strcmp(k, "KIND_MODEL") == 0)
                c->instance_kind = EI__KIND_MODEL;
            else if (strcmp(k, "KIND_AUTO") == 0)
                c->instance_kind = EI__KIND_AUTO;
            else
                rc = ei__cfg_bad(cx, n, "expected KIND_AUTO, KIND_CPU, KIND_GPU or KIND_MODEL");
        } else if (strcmp(n->name, "name") == 0 || strcmp(n->name, "gpus") == 0) {
            /* Accepted: a name is cosmetic and every instance shares the session's device. */
        } else {
            ei__cfg_unknown(cx, n, "instance_group");
        }
    }
    if (rc == EI_OK)
        c->instance_count += (int)count;
    if (rc == EI_OK && c->instance_count > 64)
        rc = ei__cfg_bad(cx, m, "more than 64 instances in total");
    return rc;
}

static ei_code_t parse_version_policy(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        rc = ei__cfg_want_msg(cx, n);
        if (rc != EI_OK)
            break;
        if (strcmp(n->name, "latest") == 0) {
            c->version_policy = EI__VPOLICY_LATEST;
            for (const ei__pb_node_t *s = n->child; rc == EI_OK && s != NULL; s = s->next) {
                if (strcmp(s->name, "num_versions") == 0) {
                    rc = ei__cfg_get_i64(cx, s, &c->num_versions);
                    if (rc == EI_OK && c->num_versions < 1)
                        rc = ei__cfg_bad(cx, s, "num_versions must be >= 1");
                } else {
                    ei__cfg_unknown(cx, s, "version_policy.latest");
                }
            }
        } else if (strcmp(n->name, "all") == 0) {
            c->version_policy = EI__VPOLICY_ALL;
        } else if (strcmp(n->name, "specific") == 0) {
            c->version_policy = EI__VPOLICY_SPECIFIC;
            for (const ei__pb_node_t *s = n->child; rc == EI_OK && s != NULL; s = s->next) {
                if (strcmp(s->name, "versions") == 0) {
                    int64_t v = 0;
                    rc = ei__cfg_get_i64(cx, s, &v);
                    if (rc == EI_OK)
                        rc = ei__cfg_push_i64(cx, &c->versions, &c->n_versions, v);
                } else {
                    ei__cfg_unknown(cx, s, "version_policy.specific");
                }
            }
        } else {
            ei__cfg_unknown(cx, n, "version_policy");
        }
    }
    return rc;
}

/*
 * `parameters` entries: map<string, string> (`key: "k" value: "v"`, accelerators) or
 * map<string, ModelParameter> (`key: "k" value: { string_value: "v" }`, the model's).
 */
static ei_code_t parse_kv(ctx_t *cx, const ei__pb_node_t *m, char **key, char **value)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "key") == 0) {
            rc = ei__cfg_get_str(cx, n, key);
        } else if (strcmp(n->name, "value") == 0) {
            if (n->kind != EI__PB_MESSAGE) {
                rc = ei__cfg_get_str(cx, n, value);
                continue;
            }
            for (const ei__pb_node_t *s = n->child; rc == EI_OK && s != NULL; s = s->next) {
                if (strcmp(s->name, "string_value") == 0)
                    rc = ei__cfg_get_str(cx, s, value);
                else
                    ei__cfg_unknown(cx, s, "parameters.value");
            }
        } else {
            ei__cfg_unknown(cx, n, "parameters");
        }
    }
    if (rc == EI_OK && *key == NULL)
        rc = ei__cfg_bad(cx, m, "missing 'key'");
    if (rc == EI_OK && *value == NULL)
        rc = ei__cfg_bad(cx, m, "missing 'value' (expected value: { string_value: \"...\" })");
    return rc;
}

static ei_code_t parse_accel(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c, bool gpu)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    if (rc != EI_OK)
        return rc;
    ei__config_accel_t *p = ei__realloc(c->accels, (c->n_accels + 1) * sizeof(*p));
    if (p == NULL)
        return ei__cfg_oom(cx);
    c->accels = p;
    ei__config_accel_t *a = &p[c->n_accels++];
    memset(a, 0, sizeof(*a));
    a->gpu = gpu;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "name") == 0) {
            rc = ei__cfg_get_str(cx, n, &a->name);
        } else if (strcmp(n->name, "parameters") == 0) {
            char **k = ei__realloc(a->keys, (a->n_params + 1) * sizeof(char *));
            if (k != NULL)
                a->keys = k;
            char **v = ei__realloc(a->values, (a->n_params + 1) * sizeof(char *));
            if (v != NULL)
                a->values = v;
            if (k == NULL || v == NULL)
                return ei__cfg_oom(cx);
            a->keys[a->n_params] = NULL;
            a->values[a->n_params] = NULL;
            a->n_params++;
            rc = parse_kv(cx, n, &a->keys[a->n_params - 1], &a->values[a->n_params - 1]);
        } else {
            ei__cfg_unknown(cx, n, "execution accelerator");
        }
    }
    if (rc == EI_OK && a->name == NULL)
        rc = ei__cfg_bad(cx, m, "missing 'name'");
    return rc;
}

static ei_code_t parse_optimization(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "execution_accelerators") == 0) {
            rc = ei__cfg_want_msg(cx, n);
            for (const ei__pb_node_t *s = n->child; rc == EI_OK && s != NULL; s = s->next) {
                if (strcmp(s->name, "gpu_execution_accelerator") == 0)
                    rc = parse_accel(cx, s, c, true);
                else if (strcmp(s->name, "cpu_execution_accelerator") == 0)
                    rc = parse_accel(cx, s, c, false);
                else
                    ei__cfg_unknown(cx, s, "execution_accelerators");
            }
        } else if (strcmp(n->name, "graph") == 0) {
            rc = ei__cfg_want_msg(cx, n);
            for (const ei__pb_node_t *s = n->child; rc == EI_OK && s != NULL; s = s->next) {
                if (strcmp(s->name, "level") == 0) {
                    rc = ei__cfg_get_i64(cx, s, &c->graph_level);
                    c->has_graph_level = rc == EI_OK;
                } else {
                    ei__cfg_unknown(cx, s, "optimization.graph");
                }
            }
        } else if (strcmp(n->name, "priority") == 0 ||
                   strcmp(n->name, "input_pinned_memory") == 0 ||
                   strcmp(n->name, "output_pinned_memory") == 0 || strcmp(n->name, "cuda") == 0 ||
                   strcmp(n->name, "gather_kernel_buffer_threshold") == 0 ||
                   strcmp(n->name, "eager_batching") == 0) {
            ei__cfg_unsupported(cx, n);
        } else {
            ei__cfg_unknown(cx, n, "optimization");
        }
    }
    return rc;
}

static ei_code_t parse_param(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei__config_kv_t *p = ei__realloc(c->params, (c->n_params + 1) * sizeof(*p));
    if (p == NULL)
        return ei__cfg_oom(cx);
    c->params = p;
    ei__config_kv_t *kv = &p[c->n_params++];
    kv->key = NULL;
    kv->value = NULL;
    return parse_kv(cx, m, &kv->key, &kv->value);
}

/* Triton's model_operations { op_library_filename: "lib.so" } (repeated; a list is fine too). */
static ei_code_t parse_model_operations(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "op_library_filename") != 0) {
            ei__cfg_unknown(cx, n, "model_operations");
            continue;
        }
        char *lib = NULL;
        rc = ei__cfg_get_str(cx, n, &lib);
        if (rc == EI_OK && lib[0] == '\0')
            rc = ei__cfg_bad(cx, n, "empty library path");
        if (rc == EI_OK) {
            char **p = ei__realloc(c->op_libraries, (c->n_op_libraries + 1) * sizeof(*p));
            if (p == NULL) {
                rc = ei__cfg_oom(cx);
            } else {
                c->op_libraries = p;
                p[c->n_op_libraries++] = lib;
                lib = NULL;
            }
        }
        ei__free(lib);
    }
    return rc;
}

static ei_code_t parse_root(ctx_t *cx, const ei__pb_node_t *root, ei__model_config_t *c)
{
    ei_code_t rc = EI_OK;
    for (const ei__pb_node_t *n = root->child; rc == EI_OK && n != NULL; n = n->next) {
        const char *f = n->name;
        if (strcmp(f, "name") == 0) {
            rc = ei__cfg_get_str(cx, n, &c->name);
        } else if (strcmp(f, "platform") == 0) {
            rc = ei__cfg_get_str(cx, n, &c->platform);
        } else if (strcmp(f, "backend") == 0) {
            rc = ei__cfg_get_str(cx, n, &c->backend);
        } else if (strcmp(f, "max_batch_size") == 0) {
            rc = ei__cfg_get_i64(cx, n, &c->max_batch_size);
            if (rc == EI_OK && (c->max_batch_size < 0 || c->max_batch_size > 1 << 20))
                rc = ei__cfg_bad(cx, n, "max_batch_size must be between 0 and 1048576");
            c->has_max_batch_size = true;
        } else if (strcmp(f, "input") == 0) {
            c->has_inputs = true;
            rc = add_io(cx, n, &c->inputs, &c->n_inputs);
        } else if (strcmp(f, "output") == 0) {
            c->has_outputs = true;
            rc = add_io(cx, n, &c->outputs, &c->n_outputs);
        } else if (strcmp(f, "dynamic_batching") == 0) {
            rc = parse_dynamic_batching(cx, n, c);
        } else if (strcmp(f, "instance_group") == 0) {
            rc = parse_instance_group(cx, n, c);
        } else if (strcmp(f, "version_policy") == 0) {
            rc = parse_version_policy(cx, n, c);
        } else if (strcmp(f, "optimization") == 0) {
            rc = parse_optimization(cx, n, c);
        } else if (strcmp(f, "parameters") == 0) {
            rc = parse_param(cx, n, c);
        } else if (strcmp(f, "default_model_filename") == 0) {
            rc = ei__cfg_get_str(cx, n, &c->default_model_filename);
        } else if (strcmp(f, "model_operations") == 0) {
            rc = parse_model_operations(cx, n, c);
        } else if (strcmp(f, "sequence_batching") == 0) {
            rc = ei__cfg_parse_sequence_batching(cx, n, c);
        } else if (strcmp(f, "model_warmup") == 0 || strcmp(f, "ensemble_scheduling") == 0 ||
                   strcmp(f, "batch_input") == 0 || strcmp(f, "batch_output") == 0 ||
                   strcmp(f, "response_cache") == 0 || strcmp(f, "model_transaction_policy") == 0 ||
                   strcmp(f, "runtime") == 0 || strcmp(f, "cc_model_filenames") == 0 ||
                   strcmp(f, "metric_tags") == 0 || strcmp(f, "model_repository_agents") == 0) {
            ei__cfg_unsupported(cx, n);
        } else {
            ei__cfg_unknown(cx, n, "the model config");
        }
    }
    if (rc == EI_OK && c->seq.enabled && c->dynamic_batching)
        rc = ei__fail(cx->err, EI_EFORMAT,
                      "%s: dynamic_batching and sequence_batching are both given (a model has one "
                      "scheduler)",
                      cx->path);
    /* Names must be unique: Triton refuses duplicates and a lookup by name would be ambiguous. */
    for (size_t i = 0; rc == EI_OK && i < c->n_inputs; i++) {
        for (size_t j = i + 1; j < c->n_inputs; j++) {
            if (strcmp(c->inputs[i].name, c->inputs[j].name) == 0)
                rc = ei__fail(cx->err, EI_EFORMAT, "%s: input '%s' is declared twice", cx->path,
                              c->inputs[i].name);
        }
    }
    for (size_t i = 0; rc == EI_OK && i < c->n_outputs; i++) {
        for (size_t j = i + 1; j < c->n_outputs; j++) {
            if (strcmp(c->outputs[i].name, c->outputs[j].name) == 0)
                rc = ei__fail(cx->err, EI_EFORMAT, "%s: output '%s' is declared twice", cx->path,
                              c->outputs[i].name);
        }
    }
    return rc;
}

ei_code_t ei__model_config_parse(const char *text, size_t len, const char *path,
                                 ei__model_config_t **out, ei_error_t *err)
{
    *out = NULL;
    ctx_t cx = {path != NULL ? path : "config.pbtxt", err, false, false};
    ei__pb_node_t *root = NULL;
    ei__model_config_t *c = ei__calloc(1, sizeof(*c));
    if (c == NULL)
        return ei__cfg_oom(&cx);
    c->num_versions = 1;
    ei_code_t rc = ei__pb_parse(text, len, cx.path, &root, err);
    if (rc == EI_OK)
        rc = parse_root(&cx, root, c);
    ei__pb_free(root);
    if (rc != EI_OK) {
        ei__model_config_destroy(c);
        return rc;
    }
    *out = c;
    return EI_OK;
}

static ei_code_t parse_tree(ctx_t *cx, ei__pb_node_t *root, ei__model_config_t **out)
{
    ei__model_config_t *c = ei__calloc(1, sizeof(*c));
    if (c == NULL)
        return ei__cfg_oom(cx);
    c->num_versions = 1;
    ei_code_t rc = parse_root(cx, root, c);
    if (rc != EI_OK) {
        ei__model_config_destroy(c);
        return rc;
    }
    *out = c;
    return EI_OK;
}

ei_code_t ei__model_config_load(const char *model_dir, const char *name, ei__model_config_t **out,
                                ei_error_t *err)
{
    return ei__model_config_load_from(model_dir, name, NULL, false, out, err);
}

ei_code_t ei__model_config_load_from(const char *model_dir, const char *name, const char *json,
                                     bool quiet, ei__model_config_t **out, ei_error_t *err)
{
    *out = NULL;
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    ei__model_config_t *c = NULL;
    ei_code_t rc = EI_OK;
    int pn = snprintf(path, sizeof(path), "%s/config.pbtxt", model_dir);
    if (pn < 0 || (size_t)pn >= sizeof(path))
        return ei__fail(err, EI_ELIMIT, "%s: model directory path too long", model_dir);
    FILE *probe = json == NULL ? fopen(path, "rb") : NULL;
    if (json != NULL) {
        ctx_t cx = {"config override", err, quiet, true};
        ei__pb_node_t *root = NULL;
        snprintf(path, sizeof(path), "the config parameter");
        rc = ei__pb_from_json(json, strlen(json), &root, err);
        if (rc == EI_OK)
            rc = parse_tree(&cx, root, &c);
        ei__pb_free(root);
    } else if (probe != NULL) {
        fclose(probe);
        rc = ei__file_read(path, 4u << 20, (unsigned char **)&text, &len, err);
        if (rc == EI_OK) {
            ctx_t cx = {path, err, quiet, false};
            ei__pb_node_t *root = NULL;
            rc = ei__pb_parse(text, len, path, &root, err);
            if (rc == EI_OK)
                rc = parse_tree(&cx, root, &c);
            ei__pb_free(root);
        }
    } else {
        c = ei__calloc(1, sizeof(*c));
        if (c == NULL)
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
        else
            c->num_versions = 1;
    }
    if (rc == EI_OK && c->name != NULL && strcmp(c->name, name) != 0)
        rc = ei__fail(err, EI_EFORMAT, "%s: name '%s' does not match the directory name '%s'", path,
                      c->name, name);
    if (rc == EI_OK && c->name == NULL) {
        c->name = ei__strdup(name);
        if (c->name == NULL)
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
    }
    /* "edgeinfer_ocr": a pipeline model (pipeline.h). */
    if (rc == EI_OK && c->platform != NULL && strcmp(c->platform, "onnxruntime_onnx") != 0 &&
        strcmp(c->platform, "onnx_onnxv1") != 0 && strcmp(c->platform, "edgeinfer_ocr") != 0)
        rc = ei__fail(err, EI_EUNSUPPORTED,
                      "%s: platform '%s' is not supported (expected onnxruntime_onnx, or "
                      "edgeinfer_ocr for an OCR pipeline)",
                      path, c->platform);
    if (rc == EI_OK && c->backend != NULL && strcmp(c->backend, "onnxruntime") != 0 &&
        strcmp(c->backend, "edgeinfer_ocr") != 0)
        rc = ei__fail(err, EI_EUNSUPPORTED,
                      "%s: backend '%s' is not supported (expected onnxruntime, or edgeinfer_ocr "
                      "for an OCR pipeline)",
                      path, c->backend);
    ei__free(text);
    if (rc != EI_OK) {
        ei__model_config_destroy(c);
        return rc;
    }
    *out = c;
    return EI_OK;
}

ei_code_t ei__model_config_load_labels(ei__model_config_t *c, const char *model_dir,
                                       ei_error_t *err)
{
    for (size_t i = 0; i < c->n_outputs; i++) {
        ei__config_io_t *io = &c->outputs[i];
        if (io->label_filename == NULL || io->labels != NULL)
            continue;
        if (strstr(io->label_filename, "..") != NULL || io->label_filename[0] == '/')
            return ei__fail(
                err, EI_EFORMAT,
                "output '%s': label_filename '%s' must be a file in the model directory", io->name,
                io->label_filename);
        char path[4096];
        int pn = snprintf(path, sizeof(path), "%s/%s", model_dir, io->label_filename);
        if (pn < 0 || (size_t)pn >= sizeof(path))
            return ei__fail(err, EI_ELIMIT, "output '%s': label file path too long", io->name);
        /* The one label reader (src/tasks/labels.c): one label per line. */
        ei_code_t rc = ei_labels_load(path, &io->labels, err);
        if (rc != EI_OK) {
            ei__error_prefix(err, "output '%s' labels", io->name);
            return rc;
        }
    }
    for (size_t i = 0; i < c->seq.n_states; i++) {
        ei__seq_state_t *st = &c->seq.states[i];
        if (st->initial_file == NULL || st->initial_data != NULL)
            continue;
        if (strstr(st->initial_file, "..") != NULL || st->initial_file[0] == '/')
            return ei__fail(err, EI_EFORMAT,
                            "state '%s': initial_state data_file '%s' must be a file in "
                            "<model>/initial_state/",
                            st->input_name, st->initial_file);
        char path[4096];
        int pn = snprintf(path, sizeof(path), "%s/initial_state/%s", model_dir, st->initial_file);
        if (pn < 0 || (size_t)pn >= sizeof(path))
            return ei__fail(err, EI_ELIMIT, "state '%s': initial_state path too long",
                            st->input_name);
        ei_code_t rc = ei__file_read(path, 1u << 30, &st->initial_data, &st->initial_len, err);
        if (rc != EI_OK) {
            ei__error_prefix(err, "state '%s' initial_state", st->input_name);
            return rc;
        }
    }
    return EI_OK;
}

const char *ei__model_config_param(const struct ei__model_config *c, const char *key)
{
    for (size_t i = 0; c != NULL && i < c->n_params; i++) {
        if (strcmp(c->params[i].key, key) == 0)
            return c->params[i].value;
    }
    return NULL;
}

bool ei__model_config_is_seq_input(const ei__model_config_t *c, const char *name)
{
    for (size_t i = 0; i < c->seq.n_controls; i++) {
        if (strcmp(c->seq.controls[i].name, name) == 0)
            return true;
    }
    for (size_t i = 0; i < c->seq.n_states; i++) {
        if (strcmp(c->seq.states[i].input_name, name) == 0)
            return true;
    }
    return false;
}

bool ei__model_config_is_state_output(const ei__model_config_t *c, const char *name)
{
    for (size_t i = 0; i < c->seq.n_states; i++) {
        if (strcmp(c->seq.states[i].output_name, name) == 0)
            return ei__model_config_output(c, name) == NULL;
    }
    return false;
}

const ei__config_io_t *ei__model_config_input(const ei__model_config_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_inputs; i++) {
        if (strcmp(c->inputs[i].name, name) == 0)
            return &c->inputs[i];
    }
    return NULL;
}

const ei__config_io_t *ei__model_config_output(const ei__model_config_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_outputs; i++) {
        if (strcmp(c->outputs[i].name, name) == 0)
            return &c->outputs[i];
    }
    return NULL;
}

static int param_int(const ei__model_config_t *c, const char *key, int dflt)
{
    const char *v = ei__model_config_param(c, key);
    int64_t x = 0;
    if (v == NULL)
        return dflt;
    if (!ei__parse_i64(v, &x) || x < 0 || x > 1024) {
        EI_LOG(EI_LOG_WARN, "server", "model '%s': parameter %s='%s' is not a count, ignored",
               c->name, key, v);
        return dflt;
    }
    return (int)x;
}

void ei__model_config_session_opts(const ei__model_config_t *c, ei_session_opts_t *opts,
                                   ei_provider_opts_t *storage, size_t storage_cap)
{
    opts->intra_op_threads = param_int(c, "intra_op_thread_count", opts->intra_op_threads);
    opts->inter_op_threads = param_int(c, "inter_op_thread_count", opts->inter_op_threads);
    opts->parallel_execution =
        param_int(c, "execution_mode", opts->parallel_execution ? 1 : 0) == 1;
    const char *arena = ei__model_config_param(c, "enable_mem_arena");
    if (arena != NULL && strcmp(arena, "0") == 0)
        opts->disable_mem_arena = true;
    const char *pattern = ei__model_config_param(c, "enable_mem_pattern");
    if (pattern != NULL && strcmp(pattern, "0") == 0)
        opts->disable_mem_pattern = true;
    if (c->has_graph_level) {
        /* Triton's ORT backend: -1 basic, 1 extended, anything else everything. */
        if (c->graph_level == -1)
            opts->graph_opt = EI_GRAPH_OPT_BASIC;
        else if (c->graph_level == 1)
            opts->graph_opt = EI_GRAPH_OPT_EXTENDED;
        else
            opts->graph_opt = EI_GRAPH_OPT_ALL;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->n_accels && n < storage_cap; i++) {
        ei_provider_opts_t *p = &storage[n++];
        memset(p, 0, sizeof(*p));
        p->name = c->accels[i].name;
        p->required = false; /* a missing accelerator falls back to the CPU with a warning */
        p->keys = (const char *const *)c->accels[i].keys;
        p->values = (const char *const *)c->accels[i].values;
        p->n_options = c->accels[i].n_params;
    }
    opts->providers = n > 0 ? storage : NULL;
    opts->n_providers = n;
}
