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

    if (c->n_inputs == 0 && ni > 0) {
        c->inputs = ei__calloc(ni, sizeof(*c->inputs));
        if (c->inputs == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
        for (size_t i = 0; i < ni; i++) {
            c->n_inputs = i + 1;
            ei_code_t rc =
                io_from_model(&c->inputs[i], ei_session_input(s, i), c->max_batch_size > 0, err);
            if (rc != EI_OK)
                return rc;
        }
    }
    if (c->n_outputs == 0 && no > 0) {
        c->outputs = ei__calloc(no, sizeof(*c->outputs));
        if (c->outputs == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
        for (size_t i = 0; i < no; i++) {
            c->n_outputs = i + 1;
            ei_code_t rc =
                io_from_model(&c->outputs[i], ei_session_output(s, i), c->max_batch_size > 0, err);
            if (rc != EI_OK)
                return rc;
        }
    }
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
        if (ei__model_config_input(c, v->name) == NULL)
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
    if (c->max_batch_size > 1 && !c->dynamic_batching)
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
