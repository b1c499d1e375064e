/* SPDX-License-Identifier: MIT */
/*
 * The sequence_batching block of a model config (Triton's ModelSequenceBatching): the strategy
 * (direct or oldest), the idle limit, control inputs and implicit state, read from the same tree
 * as the rest of the config (model_config.c). The scheduler that uses it is sequence.c.
 */
#include "ei_util.h"
#include "model_config_parse.h"

#include <stdlib.h>
#include <string.h>

static ei_code_t get_number(ctx_t *cx, const ei__pb_node_t *n, double *out)
{
    char *end = NULL;
    if (n->kind == EI__PB_NUMBER || (cx->json && n->kind == EI__PB_STRING)) {
        *out = strtod(n->value, &end);
        if (end != n->value && *end == '\0')
            return EI_OK;
    }
    return ei__cfg_bad(cx, n, "expected a number");
}

static ei_code_t get_type(ctx_t *cx, const ei__pb_node_t *n, ei_dtype_t *out)
{
    const char *t = NULL;
    ei_code_t rc = ei__cfg_get_ident(cx, n, &t);
    if (rc == EI_OK) {
        *out = ei__config_type_parse(t);
        if (*out == EI_DTYPE_UNDEFINED)
            rc = ei__cfg_bad(cx, n, "unknown data type (expected TYPE_FP32, TYPE_INT64, ...)");
    }
    return rc;
}

/* One `control { kind ..._false_true / data_type }` of control_input `name`. */
static ei_code_t parse_control(ctx_t *cx, const ei__pb_node_t *m, const char *name,
                               ei__seq_config_t *sc)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    if (rc != EI_OK)
        return rc;
    ei__seq_control_t *p = ei__realloc(sc->controls, (sc->n_controls + 1) * sizeof(*p));
    if (p == NULL)
        return ei__cfg_oom(cx);
    sc->controls = p;
    ei__seq_control_t *ctl = &p[sc->n_controls++];
    memset(ctl, 0, sizeof(*ctl));
    ctl->name = ei__strdup(name != NULL ? name : "");
    if (ctl->name == NULL)
        return ei__cfg_oom(cx);
    bool has_kind = false;
    size_t n_values = 0;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "kind") == 0) {
            const char *k = NULL;
            rc = ei__cfg_get_ident(cx, n, &k);
            has_kind = rc == EI_OK;
            if (rc == EI_OK && strcmp(k, "CONTROL_SEQUENCE_START") == 0)
                ctl->kind = EI__CTRL_START;
            else if (rc == EI_OK && strcmp(k, "CONTROL_SEQUENCE_END") == 0)
                ctl->kind = EI__CTRL_END;
            else if (rc == EI_OK && strcmp(k, "CONTROL_SEQUENCE_READY") == 0)
                ctl->kind = EI__CTRL_READY;
            else if (rc == EI_OK && strcmp(k, "CONTROL_SEQUENCE_CORRID") == 0)
                ctl->kind = EI__CTRL_CORRID;
            else if (rc == EI_OK)
                rc = ei__cfg_bad(cx, n, "expected CONTROL_SEQUENCE_START, _END, _READY or _CORRID");
        } else if (strcmp(n->name, "int32_false_true") == 0 ||
                   strcmp(n->name, "fp32_false_true") == 0 ||
                   strcmp(n->name, "bool_false_true") == 0) {
            ei_dtype_t t = n->name[0] == 'i'   ? EI_DTYPE_INT32
                           : n->name[0] == 'f' ? EI_DTYPE_FLOAT32
                                               : EI_DTYPE_BOOL;
            if (n_values > 0 && ctl->dtype != t)
                rc = ei__cfg_bad(cx, n, "mixes two kinds of *_false_true");
            double v = 0;
            if (rc == EI_OK && t == EI_DTYPE_BOOL) {
                bool b = false;
                rc = ei__cfg_get_bool(cx, n, &b);
                v = b ? 1 : 0;
            } else if (rc == EI_OK) {
                rc = get_number(cx, n, &v);
            }
            if (rc == EI_OK && n_values >= 2)
                rc = ei__cfg_bad(cx, n, "expected exactly two values: [ false, true ]");
            if (rc == EI_OK) {
                ctl->dtype = t;
                if (n_values++ == 0)
                    ctl->false_value = v;
                else
                    ctl->true_value = v;
            }
        } else if (strcmp(n->name, "data_type") == 0) {
            rc = get_type(cx, n, &ctl->dtype);
        } else {
            ei__cfg_unknown(cx, n, "sequence_batching.control_input.control");
        }
    }
    if (rc == EI_OK && !has_kind)
        rc = ei__cfg_bad(cx, m, "missing 'kind'");
    if (rc == EI_OK && ctl->kind == EI__CTRL_CORRID) {
        ei_dtype_t t = ctl->dtype;
        if (t != EI_DTYPE_UINT64 && t != EI_DTYPE_INT64 && t != EI_DTYPE_UINT32 &&
            t != EI_DTYPE_INT32 && t != EI_DTYPE_STRING)
            rc = ei__cfg_bad(cx, m,
                             "CONTROL_SEQUENCE_CORRID needs data_type TYPE_UINT64, TYPE_INT64, "
                             "TYPE_UINT32, TYPE_INT32 or TYPE_STRING");
    } else if (rc == EI_OK && n_values != 2) {
        rc = ei__cfg_bad(cx, m,
                         "a START, END or READY control needs int32_false_true, fp32_false_true or "
                         "bool_false_true with two values");
    }
    return rc;
}

static ei_code_t parse_control_input(ctx_t *cx, const ei__pb_node_t *m, ei__seq_config_t *sc)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    const char *name = NULL;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "name") == 0) {
            if (n->kind != EI__PB_STRING)
                rc = ei__cfg_bad(cx, n, "expected a quoted string");
            name = n->value;
        }
    }
    if (rc == EI_OK && name == NULL)
        rc = ei__cfg_bad(cx, m, "missing 'name'");
    size_t before = sc->n_controls;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "control") == 0)
            rc = parse_control(cx, n, name, sc);
        else if (strcmp(n->name, "name") != 0)
            ei__cfg_unknown(cx, n, "sequence_batching.control_input");
    }
    if (rc == EI_OK && sc->n_controls != before + 1)
        rc = ei__cfg_bad(cx, m, "a control_input needs exactly one control");
    return rc;
}

static ei_code_t parse_state(ctx_t *cx, const ei__pb_node_t *m, ei__seq_config_t *sc)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    if (rc != EI_OK)
        return rc;
    ei__seq_state_t *p = ei__realloc(sc->states, (sc->n_states + 1) * sizeof(*p));
    if (p == NULL)
        return ei__cfg_oom(cx);
    sc->states = p;
    ei__seq_state_t *st = &p[sc->n_states++];
    memset(st, 0, sizeof(*st));
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "input_name") == 0) {
            rc = ei__cfg_get_str(cx, n, &st->input_name);
        } else if (strcmp(n->name, "output_name") == 0) {
            rc = ei__cfg_get_str(cx, n, &st->output_name);
        } else if (strcmp(n->name, "data_type") == 0) {
            rc = get_type(cx, n, &st->dtype);
        } else if (strcmp(n->name, "dims") == 0) {
            rc = ei__cfg_get_dim(cx, n, st->dims, &st->n_dims);
        } else if (strcmp(n->name, "initial_state") == 0) {
            rc = ei__cfg_want_msg(cx, n);
            if (rc == EI_OK && st->has_initial)
                rc = ei__cfg_bad(cx, n, "at most one initial_state per state");
            st->has_initial = true;
            ei_dtype_t t = EI_DTYPE_UNDEFINED;
            bool has_data = false, has_name = false;
            for (const ei__pb_node_t *f = n->child; rc == EI_OK && f != NULL; f = f->next) {
                if (strcmp(f->name, "data_type") == 0) {
                    rc = get_type(cx, f, &t);
                } else if (strcmp(f->name, "dims") == 0) {
                    rc = ei__cfg_get_dim(cx, f, st->initial_dims, &st->n_initial_dims);
                    if (rc == EI_OK && st->initial_dims[st->n_initial_dims - 1] < 0)
                        rc = ei__cfg_bad(cx, f, "initial_state dims must be fixed (no -1)");
                } else if (strcmp(f->name, "zero_data") == 0) {
                    bool z = false;
                    rc = ei__cfg_get_bool(cx, f, &z);
                    has_data = has_data || z;
                } else if (strcmp(f->name, "data_file") == 0) {
                    rc = ei__cfg_get_str(cx, f, &st->initial_file);
                    has_data = true;
                } else if (strcmp(f->name, "name") == 0) {
                    rc = ei__cfg_get_str(cx, f, &st->initial_name);
                    has_name = true;
                } else {
                    ei__cfg_unknown(cx, f, "sequence_batching.state.initial_state");
                }
            }
            if (rc == EI_OK && !has_data)
                rc = ei__cfg_bad(cx, n, "initial_state needs zero_data: true or a data_file");
            if (rc == EI_OK && !has_name)
                rc = ei__cfg_bad(cx, n, "initial_state needs a 'name'");
            if (rc == EI_OK && t != EI_DTYPE_UNDEFINED && st->dtype != EI_DTYPE_UNDEFINED &&
                t != st->dtype)
                rc = ei__cfg_bad(cx, n, "initial_state data_type differs from the state's");
        } else if (strcmp(n->name, "use_same_buffer_for_input_output") == 0 ||
                   strcmp(n->name, "use_growable_memory") == 0) {
            /* GPU buffer hints of Triton's TensorRT backend; nothing to do on ONNX Runtime. */
        } else {
            ei__cfg_unknown(cx, n, "sequence_batching.state");
        }
    }
    if (rc == EI_OK && (st->input_name == NULL || st->output_name == NULL))
        rc = ei__cfg_bad(cx, m, "a state needs input_name and output_name");
    if (rc == EI_OK && st->dtype == EI_DTYPE_UNDEFINED)
        rc = ei__cfg_bad(cx, m, "a state needs a data_type");
    if (rc == EI_OK && st->has_initial && st->n_initial_dims != st->n_dims)
        rc = ei__cfg_bad(cx, m, "initial_state dims must have as many dims as the state");
    return rc;
}

/* The strategy blocks: direct { } and oldest { }. */
static ei_code_t parse_seq_strategy(ctx_t *cx, const ei__pb_node_t *m, ei__seq_config_t *sc)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    sc->oldest = strcmp(m->name, "oldest") == 0;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "max_queue_delay_microseconds") == 0) {
            rc = ei__cfg_get_u64(cx, n, &sc->max_queue_delay_us);
        } else if (sc->oldest && strcmp(n->name, "max_candidate_sequences") == 0) {
            rc = ei__cfg_get_i64(cx, n, &sc->max_candidates);
            if (rc == EI_OK && (sc->max_candidates < 0 || sc->max_candidates > 65536))
                rc = ei__cfg_bad(cx, n, "max_candidate_sequences must be between 0 and 65536");
        } else if (sc->oldest && strcmp(n->name, "preferred_batch_size") == 0) {
            int64_t v = 0;
            rc = ei__cfg_get_i64(cx, n, &v);
            if (rc == EI_OK && v < 1)
                rc = ei__cfg_bad(cx, n, "a preferred batch size must be >= 1");
            if (rc == EI_OK)
                rc = ei__cfg_push_i64(cx, &sc->preferred, &sc->n_preferred, v);
        } else if (strcmp(n->name, "minimum_slot_utilization") == 0 ||
                   strcmp(n->name, "preserve_ordering") == 0) {
            /* Accepted: batches hold only ready requests, in arrival order. */
        } else {
            ei__cfg_unknown(cx, n,
                            sc->oldest ? "sequence_batching.oldest" : "sequence_batching.direct");
        }
    }
    return rc;
}

ei_code_t ei__cfg_parse_sequence_batching(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c)
{
    ei_code_t rc = ei__cfg_want_msg(cx, m);
    ei__seq_config_t *sc = &c->seq;
    sc->enabled = true;
    for (const ei__pb_node_t *n = m->child; rc == EI_OK && n != NULL; n = n->next) {
        if (strcmp(n->name, "max_sequence_idle_microseconds") == 0)
            rc = ei__cfg_get_u64(cx, n, &sc->max_idle_us);
        else if (strcmp(n->name, "direct") == 0 || strcmp(n->name, "oldest") == 0)
            rc = parse_seq_strategy(cx, n, sc);
        else if (strcmp(n->name, "control_input") == 0)
            rc = parse_control_input(cx, n, sc);
        else if (strcmp(n->name, "state") == 0)
            rc = parse_state(cx, n, sc);
        else if (strcmp(n->name, "iterative_sequence") == 0)
            ei__cfg_unsupported(cx, n);
        else
            ei__cfg_unknown(cx, n, "sequence_batching");
    }
    /* Each input is fed once: two controls or states on one input would contradict each other. */
    for (size_t i = 0; rc == EI_OK && i < sc->n_controls + sc->n_states; i++) {
        const char *a =
            i < sc->n_controls ? sc->controls[i].name : sc->states[i - sc->n_controls].input_name;
        for (size_t j = i + 1; rc == EI_OK && j < sc->n_controls + sc->n_states; j++) {
            const char *b = j < sc->n_controls ? sc->controls[j].name
                                               : sc->states[j - sc->n_controls].input_name;
            if (strcmp(a, b) == 0)
                rc = ei__fail(cx->err, EI_EFORMAT,
                              "%s: sequence_batching feeds input '%s' twice (two controls or "
                              "states name it)",
                              cx->path, a);
        }
    }
    return rc;
}
