/* SPDX-License-Identifier: MIT */
/*
 * The config as Triton's ModelConfig JSON (GET /v2/models/{m}/config): protobuf field names, enums
 * as strings, int64 fields as JSON numbers (as Triton prints them), defaults filled in the way
 * Triton shows an auto-completed config. Rendering only; see model_config.c for the struct.
 */
#include "model_config.h"

#include <stdio.h>

static json_t *dims_json(const int64_t *d, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)d[i]));
    return a;
}

static json_t *io_json(const ei__config_io_t *io, bool input)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "name", json_string(io->name));
    json_object_set_new(o, "data_type", json_string(ei__config_type_name(io->dtype)));
    if (input)
        json_object_set_new(o, "format",
                            json_string(io->format == 1   ? "FORMAT_NHWC"
                                        : io->format == 2 ? "FORMAT_NCHW"
                                                          : "FORMAT_NONE"));
    json_object_set_new(o, "dims", dims_json(io->dims, io->n_dims));
    if (io->has_reshape) {
        json_t *r = json_object();
        json_object_set_new(r, "shape", dims_json(io->reshape, io->n_reshape));
        json_object_set_new(o, "reshape", r);
    }
    if (!input)
        json_object_set_new(o, "label_filename",
                            json_string(io->label_filename != NULL ? io->label_filename : ""));
    json_object_set_new(o, "is_shape_tensor", json_false());
    if (input) {
        json_object_set_new(o, "allow_ragged_batch", json_false());
        json_object_set_new(o, "optional", json_boolean(io->optional));
    }
    return o;
}

static json_t *kv_map_json(char *const *keys, char *const *values, size_t n, bool wrapped)
{
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < n; i++) {
        if (wrapped) {
            json_t *v = json_object();
            json_object_set_new(v, "string_value", json_string(values[i]));
            json_object_set_new(o, keys[i], v);
        } else {
            json_object_set_new(o, keys[i], json_string(values[i]));
        }
    }
    return o;
}

static json_t *number_pair(double f, double t, bool integer)
{
    json_t *a = json_array();
    json_array_append_new(a, integer ? json_integer((json_int_t)f) : json_real(f));
    json_array_append_new(a, integer ? json_integer((json_int_t)t) : json_real(t));
    return a;
}

/* sequence_batching as Triton prints it: every field, the unused ones empty. */
static json_t *sequence_json(const ei__model_config_t *c)
{
    const ei__seq_config_t *sc = &c->seq;
    static const char *const kinds[] = {"CONTROL_SEQUENCE_START", "CONTROL_SEQUENCE_END",
                                        "CONTROL_SEQUENCE_READY", "CONTROL_SEQUENCE_CORRID"};
    json_t *o = json_object(), *strat = json_object();
    json_object_set_new(strat, "max_queue_delay_microseconds",
                        json_integer((json_int_t)sc->max_queue_delay_us));
    if (sc->oldest) {
        json_object_set_new(strat, "max_candidate_sequences",
                            json_integer((json_int_t)sc->max_candidates));
        json_object_set_new(strat, "preferred_batch_size",
                            dims_json(sc->preferred, sc->n_preferred));
        json_object_set_new(strat, "preserve_ordering", json_false());
        json_object_set_new(o, "oldest", strat);
    } else {
        json_object_set_new(strat, "minimum_slot_utilization", json_real(0));
        json_object_set_new(o, "direct", strat);
    }
    json_object_set_new(
        o, "max_sequence_idle_microseconds",
        json_integer((json_int_t)(sc->max_idle_us != 0 ? sc->max_idle_us : 1000000)));
    json_t *ci = json_array();
    for (size_t i = 0; i < sc->n_controls; i++) {
        const ei__seq_control_t *ctl = &sc->controls[i];
        json_t *entry = json_object(), *ctls = json_array(), *k = json_object();
        bool corr = ctl->kind == EI__CTRL_CORRID;
        json_object_set_new(k, "kind", json_string(kinds[ctl->kind]));
        json_object_set_new(k, "int32_false_true",
                            !corr && ctl->dtype == EI_DTYPE_INT32
                                ? number_pair(ctl->false_value, ctl->true_value, true)
                                : json_array());
        json_object_set_new(k, "fp32_false_true",
                            !corr && ctl->dtype == EI_DTYPE_FLOAT32
                                ? number_pair(ctl->false_value, ctl->true_value, false)
                                : json_array());
        json_t *bools = json_array();
        if (!corr && ctl->dtype == EI_DTYPE_BOOL) {
            json_array_append_new(bools, json_boolean(ctl->false_value != 0));
            json_array_append_new(bools, json_boolean(ctl->true_value != 0));
        }
        json_object_set_new(k, "bool_false_true", bools);
        json_object_set_new(k, "data_type",
                            json_string(corr ? ei__config_type_name(ctl->dtype) : "TYPE_INVALID"));
        json_array_append_new(ctls, k);
        json_object_set_new(entry, "name", json_string(ctl->name));
        json_object_set_new(entry, "control", ctls);
        json_array_append_new(ci, entry);
    }
    json_object_set_new(o, "control_input", ci);
    json_t *states = json_array();
    for (size_t i = 0; i < sc->n_states; i++) {
        const ei__seq_state_t *st = &sc->states[i];
        json_t *e = json_object(), *init = json_array();
        json_object_set_new(e, "input_name", json_string(st->input_name));
        json_object_set_new(e, "output_name", json_string(st->output_name));
        json_object_set_new(e, "data_type", json_string(ei__config_type_name(st->dtype)));
        json_object_set_new(e, "dims", dims_json(st->dims, st->n_dims));
        if (st->has_initial) {
            json_t *is = json_object();
            json_object_set_new(is, "name",
                                json_string(st->initial_name != NULL ? st->initial_name : ""));
            json_object_set_new(is, "data_type", json_string(ei__config_type_name(st->dtype)));
            json_object_set_new(is, "dims", dims_json(st->initial_dims, st->n_initial_dims));
            if (st->initial_file != NULL)
                json_object_set_new(is, "data_file", json_string(st->initial_file));
            else
                json_object_set_new(is, "zero_data", json_true());
            json_array_append_new(init, is);
        }
        json_object_set_new(e, "initial_state", init);
        json_object_set_new(e, "use_same_buffer_for_input_output", json_false());
        json_object_set_new(e, "use_growable_memory", json_false());
        json_array_append_new(states, e);
    }
    json_object_set_new(o, "state", states);
    json_object_set_new(o, "iterative_sequence", json_false());
    return o;
}

json_t *ei__model_config_json(const struct ei__model_config *c)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "name", json_string(c->name != NULL ? c->name : ""));
    json_object_set_new(o, "platform", json_string(c->platform != NULL ? c->platform : ""));
    json_object_set_new(o, "backend", json_string(c->backend != NULL ? c->backend : ""));
    json_t *vp = json_object(), *pol = json_object();
    if (c->version_policy == EI__VPOLICY_ALL) {
        json_object_set_new(vp, "all", pol);
    } else if (c->version_policy == EI__VPOLICY_SPECIFIC) {
        json_object_set_new(pol, "versions", dims_json(c->versions, c->n_versions));
        json_object_set_new(vp, "specific", pol);
    } else {
        json_object_set_new(pol, "num_versions", json_integer((json_int_t)c->num_versions));
        json_object_set_new(vp, "latest", pol);
    }
    json_object_set_new(o, "version_policy", vp);
    json_object_set_new(o, "max_batch_size", json_integer((json_int_t)c->max_batch_size));
    json_t *in = json_array(), *outs = json_array();
    for (size_t i = 0; i < c->n_inputs; i++)
        json_array_append_new(in, io_json(&c->inputs[i], true));
    for (size_t i = 0; i < c->n_outputs; i++)
        json_array_append_new(outs, io_json(&c->outputs[i], false));
    json_object_set_new(o, "input", in);
    json_object_set_new(o, "output", outs);
    json_object_set_new(o, "batch_input", json_array());
    json_object_set_new(o, "batch_output", json_array());

    json_t *opt = json_object();
    if (c->has_graph_level) {
        json_t *g = json_object();
        json_object_set_new(g, "level", json_integer((json_int_t)c->graph_level));
        json_object_set_new(opt, "graph", g);
    }
    json_object_set_new(opt, "priority", json_string("PRIORITY_DEFAULT"));
    if (c->n_accels > 0) {
        json_t *ea = json_object(), *gpu = json_array(), *cpu = json_array();
        for (size_t i = 0; i < c->n_accels; i++) {
            json_t *a = json_object();
            json_object_set_new(a, "name", json_string(c->accels[i].name));
            json_object_set_new(
                a, "parameters",
                kv_map_json(c->accels[i].keys, c->accels[i].values, c->accels[i].n_params, false));
            json_array_append_new(c->accels[i].gpu ? gpu : cpu, a);
        }
        json_object_set_new(ea, "gpu_execution_accelerator", gpu);
        json_object_set_new(ea, "cpu_execution_accelerator", cpu);
        json_object_set_new(opt, "execution_accelerators", ea);
    }
    json_object_set_new(o, "optimization", opt);

    if (c->dynamic_batching) {
        json_t *db = json_object(), *qp = json_object();
        json_object_set_new(db, "preferred_batch_size",
                            dims_json(c->preferred_batch_sizes, c->n_preferred));
        json_object_set_new(db, "max_queue_delay_microseconds",
                            json_integer((json_int_t)c->max_queue_delay_us));
        json_object_set_new(db, "preserve_ordering", json_boolean(c->preserve_ordering));
        json_object_set_new(db, "priority_levels", json_integer(0));
        json_object_set_new(db, "default_priority_level", json_integer(0));
        json_object_set_new(qp, "timeout_action",
                            json_string(c->timeout_action_delay ? "DELAY" : "REJECT"));
        json_object_set_new(qp, "default_timeout_microseconds",
                            json_integer((json_int_t)c->default_timeout_us));
        json_object_set_new(qp, "allow_timeout_override", json_boolean(c->allow_timeout_override));
        json_object_set_new(qp, "max_queue_size", json_integer((json_int_t)c->max_queue_size));
        json_object_set_new(db, "default_queue_policy", qp);
        json_object_set_new(db, "priority_queue_policy", json_object());
        json_object_set_new(o, "dynamic_batching", db);
    }
    if (c->seq.enabled)
        json_object_set_new(o, "sequence_batching", sequence_json(c));
    json_t *ig = json_array(), *g = json_object();
    char gname[300];
    snprintf(gname, sizeof(gname), "%s_0", c->name != NULL ? c->name : "");
    static const char *const kinds[] = {"KIND_AUTO", "KIND_CPU", "KIND_GPU", "KIND_MODEL"};
    json_object_set_new(g, "name", json_string(gname));
    json_object_set_new(g, "kind", json_string(kinds[c->instance_kind]));
    json_object_set_new(g, "count", json_integer(c->instance_count));
    json_object_set_new(g, "gpus", json_array());
    json_array_append_new(ig, g);
    json_object_set_new(o, "instance_group", ig);
    json_object_set_new(
        o, "default_model_filename",
        json_string(c->default_model_filename != NULL ? c->default_model_filename : "model.onnx"));
    json_object_set_new(o, "cc_model_filenames", json_object());
    json_object_set_new(o, "metric_tags", json_object());
    json_t *params = json_object();
    for (size_t i = 0; i < c->n_params; i++) {
        json_t *v = json_object();
        json_object_set_new(v, "string_value", json_string(c->params[i].value));
        json_object_set_new(params, c->params[i].key, v);
    }
    json_object_set_new(o, "parameters", params);
    json_object_set_new(o, "model_warmup", json_array());
    return o;
}
