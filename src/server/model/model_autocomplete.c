/* SPDX-License-Identifier: MIT */
/*
 * Triton's auto-complete for ONNX models and the validation of a config against the session: fills
 * what config.pbtxt left out (inputs, outputs, dtypes, dims, max_batch_size, dynamic batching,
 * instance count, platform) and refuses what contradicts the model (unknown names, dtype, rank or
 * fixed-dim mismatches, a batch dim the model does not have). Parsing is in model_config.c.
 */
#include "ei_util.h"
#include "model_config.h"

#include <string.h>

static ei_code_t io_from_model(ei__config_io_t *io, const ei_value_info_t *v, bool batched,
                               ei_error_t *err)
{
    memset(io, 0, sizeof(*io));
    io->name = ei__strdup(v->name);
    if (io->name == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    io->dtype = v->dtype;
    size_t first = batched ? 1 : 0;
    for (size_t i = first; i < v->rank && io->n_dims < EI_MAX_RANK; i++)
        io->dims[io->n_dims++] = v->shape[i];
    return EI_OK;
}

static bool first_dim_free(const ei_value_info_t *v)
{
    return v->kind == EI_VALUE_TENSOR && v->rank_known && v->rank >= 1 && v->shape[0] == -1;
}

/* Checks one config entry against the model's value (dtype, rank, fixed dims). */
static ei_code_t check_io(const ei__model_config_t *c, const ei__config_io_t *io,
                          const ei_value_info_t *v, const char *what, ei_error_t *err)
{
    if (v->kind != EI_VALUE_TENSOR)
        return ei__fail(err, EI_EMODEL, "%s '%s': only tensor values are supported", what,
                        io->name);
    if (io->dtype != v->dtype)
        return ei__fail(err, EI_EMODEL,
                        "%s '%s': config data_type %s does not match the model's %s", what,
                        io->name, ei__config_type_name(io->dtype), ei__config_type_name(v->dtype));
    if (!v->rank_known)
        return EI_OK;
    size_t first = c->max_batch_size > 0 ? 1 : 0;
    if (first == 1 && v->rank == 0)
        return ei__fail(err, EI_EMODEL,
                        "%s '%s': max_batch_size %lld needs a batch dim, the model's is a scalar",
                        what, io->name, (long long)c->max_batch_size);
    if (first == 1 && v->shape[0] != -1 && !(v->shape[0] == 1 && c->max_batch_size == 1))
        return ei__fail(
            err, EI_EMODEL,
            "%s '%s': max_batch_size %lld needs a variable first dim, the model's is %lld", what,
            io->name, (long long)c->max_batch_size, (long long)v->shape[0]);
    const int64_t *dims = io->has_reshape ? io->reshape : io->dims;
    size_t nd = io->has_reshape ? io->n_reshape : io->n_dims;
    char want[160], got[160];
    ei_shape_format(dims, nd, want, sizeof(want));
    ei_shape_format(v->shape + first, v->rank - first, got, sizeof(got));
    if (nd != v->rank - first)
        return ei__fail(
            err, EI_EMODEL,
            "%s '%s': config dims %s (without the batch dim) do not match the model's %s", what,
            io->name, want, got);
    for (size_t i = 0; i < nd; i++) {
        if (dims[i] != -1 && v->shape[first + i] != -1 && dims[i] != v->shape[first + i])
            return ei__fail(err, EI_EMODEL,
                            "%s '%s': config dims %s do not match the model's %s (dim %zu)", what,
                            io->name, want, got, i);
    }
    return EI_OK;
}

/*
 * sequence_batching against the model: each control names a model input of its type, shaped
 * [-1, 1] ([1] without batching) as Triton feeds it; each state names an input and an output of
 * its type and rank; none of them is also a config input (the client does not send them).
 */
static ei_code_t check_sequence(const ei__model_config_t *c, const ei_session_t *s, ei_error_t *err)
{
    const ei__seq_config_t *sc = &c->seq;
    size_t first = c->max_batch_size > 0 ? 1 : 0;
    static const char *const kinds[] = {"CONTROL_SEQUENCE_START", "CONTROL_SEQUENCE_END",
                                        "CONTROL_SEQUENCE_READY", "CONTROL_SEQUENCE_CORRID"};
    for (size_t i = 0; i < sc->n_controls; i++) {
        const ei__seq_control_t *ctl = &sc->controls[i];
        int k = ei_session_input_index(s, ctl->name);
        if (k < 0)
            return ei__fail(err, EI_EMODEL,
                            "sequence_batching control input '%s' (%s) does not exist in the "
                            "model",
                            ctl->name, kinds[ctl->kind]);
        const ei_value_info_t *v = ei_session_input(s, (size_t)k);
        if (v->dtype != ctl->dtype)
            return ei__fail(err, EI_EMODEL,
                            "sequence_batching control input '%s' (%s) is %s in the config, %s in "
                            "the model",
                            ctl->name, kinds[ctl->kind], ei__config_type_name(ctl->dtype),
                            ei__config_type_name(v->dtype));
        if (v->rank_known &&
            (v->rank != first + 1 || (v->shape[first] != 1 && v->shape[first] != -1)))
            return ei__fail(err, EI_EMODEL,
                            "sequence_batching control input '%s': the model's input has rank "
                            "%zu, the server feeds %s",
                            ctl->name, v->rank, first ? "[batch, 1]" : "[1]");
        if (ei__model_config_input(c, ctl->name) != NULL)
            return ei__fail(err, EI_EMODEL,
                            "input '%s' is a sequence_batching control; remove it from 'input' "
                            "(the server feeds it)",
                            ctl->name);
    }
    for (size_t i = 0; i < sc->n_states; i++) {
        const ei__seq_state_t *st = &sc->states[i];
        int ki = ei_session_input_index(s, st->input_name);
        int ko = ei_session_output_index(s, st->output_name);
        if (ki < 0)
            return ei__fail(err, EI_EMODEL,
                            "sequence_batching state input '%s' does not exist in the model",
                            st->input_name);
        if (ko < 0)
            return ei__fail(err, EI_EMODEL,
                            "sequence_batching state output '%s' does not exist in the model",
                            st->output_name);
        const ei_value_info_t *vs[2] = {ei_session_input(s, (size_t)ki),
                                        ei_session_output(s, (size_t)ko)};
        for (size_t j = 0; j < 2; j++) {
            const ei_value_info_t *v = vs[j];
            if (v->dtype != st->dtype)
                return ei__fail(err, EI_EMODEL,
                                "sequence_batching state '%s': data_type %s, the model's %s is %s",
                                st->input_name, ei__config_type_name(st->dtype), v->name,
                                ei__config_type_name(v->dtype));
            if (v->rank_known && v->rank != st->n_dims + first)
                return ei__fail(err, EI_EMODEL,
                                "sequence_batching state '%s': %zu dims (without the batch dim), "
                                "the model's %s has %zu",
                                st->input_name, st->n_dims, v->name, v->rank - first);
        }
        if (ei__model_config_input(c, st->input_name) != NULL)
            return ei__fail(err, EI_EMODEL,
                            "input '%s' is a sequence_batching state; remove it from 'input' (the "
                            "server feeds it)",
                            st->input_name);
    }
    return EI_OK;
}

ei_code_t ei__model_config_complete(ei__model_config_t *c, const ei_session_t *s,
                                    int default_max_batch, ei_error_t *err)
{
    size_t ni = ei_session_input_count(s), no = ei_session_output_count(s);
    bool can_batch = true;
    for (size_t i = 0; i < ni; i++)
        can_batch = can_batch && first_dim_free(ei_session_input(s, i));
    for (size_t i = 0; i < no; i++)
        can_batch = can_batch && first_dim_free(ei_session_output(s, i));
    if (default_max_batch == 0)
        default_max_batch = 4;
    if (!c->has_max_batch_size && can_batch && default_max_batch > 0)
        c->max_batch_size = default_max_batch;

    /* The inputs the sequence batcher feeds and the state outputs it keeps are not the client's. */
    if (c->n_inputs == 0 && ni > 0) {
        c->inputs = ei__calloc(ni, sizeof(*c->inputs));
        if (c->inputs == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
        for (size_t i = 0; i < ni; i++) {
            if (ei__model_config_is_seq_input(c, ei_session_input(s, i)->name))
                continue;
            ei_code_t rc = io_from_model(&c->inputs[c->n_inputs++], ei_session_input(s, i),
                                         c->max_batch_size > 0, err);
            if (rc != EI_OK)
                return rc;
        }
    }
    if (c->n_outputs == 0 && no > 0) {
        c->outputs = ei__calloc(no, sizeof(*c->outputs));
        if (c->outputs == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
        for (size_t i = 0; i < no; i++) {
            if (ei__model_config_is_state_output(c, ei_session_output(s, i)->name))
                continue;
            ei_code_t rc = io_from_model(&c->outputs[c->n_outputs++], ei_session_output(s, i),
                                         c->max_batch_size > 0, err);
            if (rc != EI_OK)
                return rc;
        }
    }
    ei_code_t src = check_sequence(c, s, err);
    if (src != EI_OK)
        return src;
    for (size_t i = 0; i < c->n_inputs; i++) {
        int k = ei_session_input_index(s, c->inputs[i].name);
        if (k < 0)
            return ei__fail(err, EI_EMODEL, "config input '%s' does not exist in the model",
                            c->inputs[i].name);
        ei_code_t rc = check_io(c, &c->inputs[i], ei_session_input(s, (size_t)k), "input", err);
        if (rc != EI_OK)
            return rc;
    }
    /* Every model input needs a value; the config must declare each (Triton refuses otherwise). */
    for (size_t i = 0; i < ni; i++) {
        const ei_value_info_t *v = ei_session_input(s, i);
        if (ei__model_config_input(c, v->name) == NULL &&
            !ei__model_config_is_seq_input(c, v->name))
            return ei__fail(err, EI_EMODEL, "model input '%s' is missing from the config", v->name);
    }
    for (size_t i = 0; i < c->n_outputs; i++) {
        int k = ei_session_output_index(s, c->outputs[i].name);
        if (k < 0)
            return ei__fail(err, EI_EMODEL, "config output '%s' does not exist in the model",
                            c->outputs[i].name);
        ei_code_t rc = check_io(c, &c->outputs[i], ei_session_output(s, (size_t)k), "output", err);
        if (rc != EI_OK)
            return rc;
    }
    if (c->max_batch_size > 1 && !c->dynamic_batching && !c->seq.enabled)
        c->dynamic_batching = true;
    for (size_t i = 0; i < c->n_preferred; i++) {
        if (c->max_batch_size > 0 && c->preferred_batch_sizes[i] > c->max_batch_size)
            return ei__fail(err, EI_EMODEL, "preferred_batch_size %lld exceeds max_batch_size %lld",
                            (long long)c->preferred_batch_sizes[i], (long long)c->max_batch_size);
    }
    if (c->instance_count == 0)
        c->instance_count = 1;
    if (c->instance_kind == EI__KIND_AUTO)
        c->instance_kind = EI__KIND_CPU;
    if (c->platform == NULL) {
        c->platform = ei__strdup("onnxruntime_onnx");
        if (c->platform == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    if (c->backend == NULL) {
        c->backend = ei__strdup("onnxruntime");
        if (c->backend == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    return EI_OK;
}
