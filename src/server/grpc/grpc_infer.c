/* SPDX-License-Identifier: MIT */
/*
 * ModelInfer and ModelStreamInfer: the gRPC adapter of the v2 core. A ModelInferRequest becomes
 * the core's request object (typed `contents`, `raw_input_contents` read in place, or shared
 * memory; parameters: timeout, classification, shared_memory_region/_offset/_byte_size), the core
 * checks and queues it (the call's deadline goes with it, and a client that cancels or runs out of
 * time has its request dropped from the queue, never run), and the results come back on the
 * batcher's worker as a ModelInferResponse with raw_output_contents, as Triton answers.
 *
 * A stream carries any number of requests; each is answered in its own ModelStreamInferResponse
 * (errors in `error_message`, the stream goes on), in the order they finish. The stream ends OK
 * once the client has half-closed and every request has been answered; a cancelled stream (or one
 * past its deadline) has all its queued requests dropped; a drain (SIGTERM) ends it UNAVAILABLE
 * once its requests in flight are answered.
 */
#include "grpc_internal.h"
#include "grpc_parse.h"
#include "model_config.h"

#include <stdio.h>
#include <string.h>

/* The value of parameter `k` in a protobuf-c map of InferParameter, or NULL. */
#define PARAM(n, arr, k, out)                                                                      \
    do {                                                                                           \
        (out) = NULL;                                                                              \
        for (size_t i_ = 0; i_ < (n); i_++)                                                        \
            if (strcmp((arr)[i_]->key, (k)) == 0)                                                  \
                (out) = (arr)[i_]->value;                                                          \
    } while (0)

static bool param_int(const Inference__InferParameter *p, int64_t *v)
{
    if (!p)
        return false;
    if (p->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM) {
        *v = p->int64_param;
        return true;
    }
    if (p->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM &&
        p->uint64_param <= (uint64_t)INT64_MAX) {
        *v = (int64_t)p->uint64_param;
        return true;
    }
    return false;
}

static void free_wire(void *w)
{
    inference__model_infer_request__free_unpacked(w, &ei__grpc_pb_alloc);
}

/* Shared memory of an input or output (Triton's parameters); *region NULL when it names none. */
static ei_code_t
shm_params(size_t n, Inference__ModelInferRequest__InferInputTensor__ParametersEntry **in_p,
           Inference__ModelInferRequest__InferRequestedOutputTensor__ParametersEntry **out_p,
           const char *what, ei__shm_t *shm, ei__v2_request_t *rq, const char **region,
           uint8_t **ptr, uint64_t *size, ei_error_t *err)
{
    const Inference__InferParameter *pr = NULL, *ps = NULL, *po = NULL;
    if (in_p) {
        PARAM(n, in_p, "shared_memory_region", pr);
        PARAM(n, in_p, "shared_memory_byte_size", ps);
        PARAM(n, in_p, "shared_memory_offset", po);
    } else {
        PARAM(n, out_p, "shared_memory_region", pr);
        PARAM(n, out_p, "shared_memory_byte_size", ps);
        PARAM(n, out_p, "shared_memory_offset", po);
    }
    *region = NULL;
    if (!pr && !ps)
        return EI_OK;
    int64_t sz = 0, off = 0;
    if (!pr ||
        pr->parameter_choice_case != INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM)
        return ei__fail(err, EI_EINVAL,
                        "%s: shared_memory_region must be a string (with shared_memory_byte_size)",
                        what);
    if (!param_int(ps, &sz) || sz < 0)
        return ei__fail(err, EI_EINVAL,
                        "%s: shared_memory_byte_size must be a non-negative integer, given with "
                        "shared_memory_region",
                        what);
    if (po && (!param_int(po, &off) || off < 0))
        return ei__fail(err, EI_EINVAL, "%s: shared_memory_offset must be a non-negative integer",
                        what);
    if (!shm)
        return ei__fail(err, EI_EINVAL,
                        "%s: client shared memory is not enabled on this server (start it with "
                        "--allow-client-shm)",
                        what);
    ei__shm_region_t *g = NULL;
    ei_code_t rc =
        ei__shm_acquire(shm, pr->string_param, (uint64_t)off, (uint64_t)sz, what, &g, ptr, err);
    if (rc != EI_OK)
        return rc;
    rq->shm_refs[rq->n_shm_refs++] = g;
    *region = pr->string_param;
    *size = (uint64_t)sz;
    return EI_OK;
}

/* Typed contents -> a new tensor of `count` elements. */
static ei_code_t from_contents(const char *name, ei_dtype_t t, const int64_t *shape, size_t rank,
                               size_t count, const Inference__InferTensorContents *ct,
                               ei_tensor_t **out, ei_error_t *err)
{
    size_t have = 0;
    const char *field = "";
    switch (t) {
    case EI_DTYPE_BOOL:
        have = ct->n_bool_contents, field = "bool_contents";
        break;
    case EI_DTYPE_INT8:
    case EI_DTYPE_INT16:
    case EI_DTYPE_INT32:
        have = ct->n_int_contents, field = "int_contents";
        break;
    case EI_DTYPE_INT64:
        have = ct->n_int64_contents, field = "int64_contents";
        break;
    case EI_DTYPE_UINT8:
    case EI_DTYPE_UINT16:
    case EI_DTYPE_UINT32:
        have = ct->n_uint_contents, field = "uint_contents";
        break;
    case EI_DTYPE_UINT64:
        have = ct->n_uint64_contents, field = "uint64_contents";
        break;
    case EI_DTYPE_FLOAT32:
        have = ct->n_fp32_contents, field = "fp32_contents";
        break;
    case EI_DTYPE_FLOAT64:
        have = ct->n_fp64_contents, field = "fp64_contents";
        break;
    case EI_DTYPE_STRING:
        have = ct->n_bytes_contents, field = "bytes_contents";
        break;
    default:
        return ei__fail(err, EI_EINVAL,
                        "input '%s': %s has no typed contents field; send it in "
                        "raw_input_contents",
                        name, ei__v2_dtype_name(t));
    }
    if (have != count) {
        char sh[160];
        return ei__fail(err, EI_EINVAL, "input '%s': %s has %zu elements, shape %s needs %zu", name,
                        field, have, ei_shape_format(shape, rank, sh, sizeof sh), count);
    }
    ei_code_t rc = ei_tensor_create(t, shape, rank, out, err);
    if (rc != EI_OK)
        return rc;
    uint8_t *d = ei_tensor_data(*out);
    for (size_t i = 0; i < count && rc == EI_OK; i++) {
        switch (t) {
        case EI_DTYPE_BOOL:
            d[i] = ct->bool_contents[i] ? 1 : 0;
            break;
        case EI_DTYPE_INT8:
        case EI_DTYPE_INT16: {
            int32_t v = ct->int_contents[i];
            int32_t lo = t == EI_DTYPE_INT8 ? -128 : -32768, hi = t == EI_DTYPE_INT8 ? 127 : 32767;
            if (v < lo || v > hi)
                rc = ei__fail(err, EI_EINVAL, "input '%s': element %zu (%d) is out of range for %s",
                              name, i, v, ei__v2_dtype_name(t));
            else if (t == EI_DTYPE_INT8)
                ((int8_t *)d)[i] = (int8_t)v;
            else
                ((int16_t *)(void *)d)[i] = (int16_t)v;
            break;
        }
        case EI_DTYPE_INT32:
            memcpy(d + 4 * i, &ct->int_contents[i], 4);
            break;
        case EI_DTYPE_INT64:
            memcpy(d + 8 * i, &ct->int64_contents[i], 8);
            break;
        case EI_DTYPE_UINT8:
        case EI_DTYPE_UINT16: {
            uint32_t v = ct->uint_contents[i];
            if (v > (t == EI_DTYPE_UINT8 ? 255u : 65535u))
                rc = ei__fail(err, EI_EINVAL, "input '%s': element %zu (%u) is out of range for %s",
                              name, i, v, ei__v2_dtype_name(t));
            else if (t == EI_DTYPE_UINT8)
                d[i] = (uint8_t)v;
            else
                ((uint16_t *)(void *)d)[i] = (uint16_t)v;
            break;
        }
        case EI_DTYPE_UINT32:
            memcpy(d + 4 * i, &ct->uint_contents[i], 4);
            break;
        case EI_DTYPE_UINT64:
            memcpy(d + 8 * i, &ct->uint64_contents[i], 8);
            break;
        case EI_DTYPE_FLOAT32:
            memcpy(d + 4 * i, &ct->fp32_contents[i], 4);
            break;
        case EI_DTYPE_FLOAT64:
            memcpy(d + 8 * i, &ct->fp64_contents[i], 8);
            break;
        default: /* STRING */
            rc = ei_tensor_set_string(*out, i, (const char *)ct->bytes_contents[i].data,
                                      ct->bytes_contents[i].len, err);
            break;
        }
    }
    if (rc != EI_OK) {
        ei_tensor_destroy(*out);
        *out = NULL;
    }
    return rc;
}

/*
 * ModelInferRequest -> request object. `rq` takes `m` (the unpacked message) whatever happens;
 * names and raw bytes point into it.
 */
static ei_code_t parse(Inference__ModelInferRequest *m, size_t max_elements, ei__shm_t *shm,
                       ei__v2_request_t *rq, ei_error_t *err)
{
    memset(rq, 0, sizeof *rq);
    rq->wire = m;
    rq->wire_free = free_wire;
    rq->binary_output = true;
    if (m->id[0] && !(rq->id = ei__strdup(m->id)))
        return ei__fail(err, EI_ENOMEM, "out of memory");
    const Inference__InferParameter *p;
    PARAM(m->n_parameters, m->parameters, "timeout", p);
    if (p) {
        int64_t v;
        if (!param_int(p, &v) || v < 0)
            return ei__fail(err, EI_EINVAL,
                            "parameter 'timeout' must be a non-negative integer (microseconds)");
        rq->timeout_us = (uint64_t)v;
    }
    /* Triton's sequence parameters (the model side decides whether the model needs them). */
    PARAM(m->n_parameters, m->parameters, "sequence_id", p);
    if (p &&
        p->parameter_choice_case == INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM) {
        if (!(rq->seq_id_str = ei__strdup(p->string_param)))
            return ei__fail(err, EI_ENOMEM, "out of memory");
    } else if (p && p->parameter_choice_case ==
                        INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM) {
        rq->seq_id = p->uint64_param;
    } else if (p) {
        int64_t v;
        if (!param_int(p, &v) || v < 0)
            return ei__fail(err, EI_EINVAL,
                            "parameter 'sequence_id' must be a non-negative integer or a string");
        rq->seq_id = (uint64_t)v;
    }
    static const char *const flags[2] = {"sequence_start", "sequence_end"};
    for (int k = 0; k < 2; k++) {
        PARAM(m->n_parameters, m->parameters, flags[k], p);
        if (p &&
            p->parameter_choice_case != INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM)
            return ei__fail(err, EI_EINVAL, "parameter '%s' must be a boolean", flags[k]);
        bool on = p && p->bool_param;
        if (k == 0)
            rq->seq_start = on;
        else
            rq->seq_end = on;
    }
    size_t n = m->n_inputs;
    if (n == 0)
        return ei__fail(err, EI_EINVAL, "request: 'inputs' must not be empty");
    rq->inputs = ei__calloc(n, sizeof *rq->inputs);
    rq->input_names = ei__calloc(n, sizeof *rq->input_names);
    rq->shm_refs = ei__calloc(n + m->n_outputs + 1, sizeof *rq->shm_refs);
    if (!rq->inputs || !rq->input_names || !rq->shm_refs)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    size_t raw_next = 0;
    for (size_t i = 0; i < n; i++) {
        const Inference__ModelInferRequest__InferInputTensor *in = m->inputs[i];
        const char *name = in->name;
        char what[160];
        snprintf(what, sizeof what, "input '%.120s'", name);
        for (size_t k = 0; k < i; k++)
            if (strcmp(rq->input_names[k], name) == 0)
                return ei__fail(err, EI_EINVAL, "input '%s' is given twice", name);
        ei_dtype_t t = ei__v2_dtype_parse(in->datatype);
        if (t == EI_DTYPE_UNDEFINED)
            return ei__fail(err, EI_EINVAL,
                            "input '%s': unknown datatype '%s' (expected BOOL, UINT8..UINT64, "
                            "INT8..INT64, FP16, FP32, FP64, BF16 or BYTES)",
                            name, in->datatype);
        if (in->n_shape > EI_MAX_RANK)
            return ei__fail(err, EI_EINVAL, "input '%s': shape has %zu dims, at most %d allowed",
                            name, in->n_shape, EI_MAX_RANK);
        size_t count = 1;
        for (size_t d = 0; d < in->n_shape; d++) {
            if (in->shape[d] < 0)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': shape dim %zu must be a non-negative integer", name,
                                d);
            if (ei__mul_overflow(count, (size_t)in->shape[d], &count) || count > max_elements)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': shape has more than the limit of %zu elements", name,
                                max_elements);
        }
        rq->input_names[i] = name;
        rq->n_inputs = i + 1;
        const char *region = NULL;
        uint8_t *sp = NULL;
        uint64_t sz = 0;
        ei_code_t rc = shm_params(in->n_parameters, in->parameters, NULL, what, shm, rq, &region,
                                  &sp, &sz, err);
        if (rc != EI_OK)
            return rc;
        bool has_contents = in->contents != NULL;
        if (region) {
            if (has_contents)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': give shared memory or contents, not both", name);
            rc =
                ei__v2_tensor_from_bytes(name, "shared_memory_byte_size", t, in->shape, in->n_shape,
                                         count, (const char *)sp, (size_t)sz, &rq->inputs[i], err);
        } else if (m->n_raw_input_contents) {
            if (has_contents)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': contents must not be given when the request uses "
                                "raw_input_contents",
                                name);
            if (raw_next >= m->n_raw_input_contents)
                return ei__fail(err, EI_EINVAL,
                                "input '%s': raw_input_contents has %zu entries, fewer than the "
                                "inputs that need one",
                                name, m->n_raw_input_contents);
            const ProtobufCBinaryData *raw = &m->raw_input_contents[raw_next++];
            rc = ei__v2_tensor_from_bytes(name, "its raw_input_contents size", t, in->shape,
                                          in->n_shape, count, (const char *)raw->data, raw->len,
                                          &rq->inputs[i], err);
        } else if (has_contents) {
            rc = from_contents(name, t, in->shape, in->n_shape, count, in->contents, &rq->inputs[i],
                               err);
        } else {
            return ei__fail(err, EI_EINVAL,
                            "input '%s': no contents, no raw_input_contents and no shared memory",
                            name);
        }
        if (rc != EI_OK)
            return rc;
    }
    if (raw_next != m->n_raw_input_contents)
        return ei__fail(err, EI_EINVAL,
                        "raw_input_contents has %zu entries but %zu inputs take one",
                        m->n_raw_input_contents, raw_next);
    if (m->n_outputs) {
        rq->outputs = ei__calloc(m->n_outputs, sizeof *rq->outputs);
        if (!rq->outputs)
            return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m->n_outputs; i++) {
        const Inference__ModelInferRequest__InferRequestedOutputTensor *o = m->outputs[i];
        ei__v2_output_t *ro = &rq->outputs[i];
        ro->name = o->name;
        ro->binary = true;
        for (size_t k = 0; k < i; k++)
            if (strcmp(rq->outputs[k].name, ro->name) == 0)
                return ei__fail(err, EI_EINVAL, "output '%s' is requested twice", ro->name);
        const Inference__InferParameter *cl;
        PARAM(o->n_parameters, o->parameters, "classification", cl);
        if (cl) {
            int64_t k = 0;
            if (!param_int(cl, &k) || k < 1)
                return ei__fail(err, EI_EINVAL,
                                "output '%s': classification must be a positive integer", ro->name);
            ro->classification = k;
        }
        char what[160];
        snprintf(what, sizeof what, "output '%.120s'", ro->name);
        ei_code_t rc = shm_params(o->n_parameters, NULL, o->parameters, what, shm, rq,
                                  &ro->shm_region, &ro->shm_ptr, &ro->shm_size, err);
        if (rc != EI_OK)
            return rc;
        if (ro->shm_region && ro->classification > 0)
            return ei__fail(err, EI_EINVAL,
                            "%s: shared memory cannot be combined with classification", what);
        rq->n_outputs = i + 1;
    }
    return EI_OK;
}

ei_code_t ei__grpc_parse_infer(const uint8_t *msg, size_t len, size_t max_elements, ei__shm_t *shm,
                               ei__v2_request_t *out, ei_error_t *err)
{
    memset(out, 0, sizeof *out);
    Inference__ModelInferRequest *m =
        inference__model_infer_request__unpack(&ei__grpc_pb_alloc, len, msg);
    if (!m)
        return ei__fail(err, EI_EINVAL, "cannot parse the ModelInferRequest message");
    return parse(m, max_elements, shm, out, err);
}

/* Results -> packed ModelInferResponse (ei__malloc'd). */
static uint8_t *write_response(ei__v2_call_t *call, size_t *len, ei_error_t *err)
{
    ei__infer_req_t *req = &call->req;
    ei__v2_reply_t rp;
    if (ei__v2_reply_prepare(&call->rq, ei__v2_call_config(call), req->results, req->result_names,
                             req->n_results, &rp, err) != EI_OK)
        return NULL;
    ei__arena_t a = {0};
    char ver[32];
    snprintf(ver, sizeof ver, "%lld", (long long)ei__model_version(call->model));
    Inference__ModelInferResponse r = INFERENCE__MODEL_INFER_RESPONSE__INIT;
    r.model_name = (char *)ei__model_name(call->model);
    r.model_version = ver;
    r.id = call->rq.id ? call->rq.id : (char *)"";
    r.outputs = ei__arena_alloc(&a, (rp.n + 1) * sizeof *r.outputs);
    r.raw_output_contents = ei__arena_alloc(&a, (rp.n + 1) * sizeof *r.raw_output_contents);
    for (size_t i = 0; r.outputs && r.raw_output_contents && i < rp.n; i++) {
        const ei__v2_reply_out_t *o = &rp.out[i];
        Inference__ModelInferResponse__InferOutputTensor *t =
            EI__ARENA_MSG(&a, Inference__ModelInferResponse__InferOutputTensor,
                          INFERENCE__MODEL_INFER_RESPONSE__INFER_OUTPUT_TENSOR__INIT);
        if (!t)
            break;
        t->name = (char *)o->name;
        t->datatype = (char *)ei__v2_dtype_name(ei_tensor_dtype(o->t));
        t->n_shape = ei_tensor_rank(o->t);
        t->shape = (int64_t *)ei_tensor_shape(o->t);
        ProtobufCBinaryData *raw = &r.raw_output_contents[i];
        if (o->shm) {
            /* Written into the client's region; the output names it (raw entry left empty). */
            Inference__ModelInferResponse__InferOutputTensor__ParametersEntry *pe[2];
            Inference__InferParameter *pv[2];
            for (int k = 0; k < 2; k++) {
                pe[k] = EI__ARENA_MSG(
                    &a, Inference__ModelInferResponse__InferOutputTensor__ParametersEntry,
                    INFERENCE__MODEL_INFER_RESPONSE__INFER_OUTPUT_TENSOR__PARAMETERS_ENTRY__INIT);
                pv[k] =
                    EI__ARENA_MSG(&a, Inference__InferParameter, INFERENCE__INFER_PARAMETER__INIT);
            }
            t->parameters = ei__arena_alloc(&a, 2 * sizeof *t->parameters);
            if (pe[0] && pe[1] && pv[0] && pv[1] && t->parameters) {
                pe[0]->key = (char *)"shared_memory_region";
                pv[0]->parameter_choice_case =
                    INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM;
                pv[0]->string_param = (char *)o->shm->shm_region;
                pe[0]->value = pv[0];
                pe[1]->key = (char *)"shared_memory_byte_size";
                pv[1]->parameter_choice_case =
                    INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM;
                pv[1]->int64_param = (int64_t)o->nbytes;
                pe[1]->value = pv[1];
                t->parameters[0] = pe[0];
                t->parameters[1] = pe[1];
                t->n_parameters = 2;
            }
            raw->len = 0;
            raw->data = NULL;
        } else if (ei_tensor_dtype(o->t) != EI_DTYPE_STRING) {
            raw->len = o->nbytes;
            raw->data = (uint8_t *)ei_tensor_data(o->t); /* packed straight from the tensor */
        } else {
            raw->data = ei__arena_alloc(&a, o->nbytes + 1);
            raw->len = raw->data ? o->nbytes : 0;
            if (raw->data)
                ei__v2_binary_write(raw->data, o->t);
        }
        r.outputs[i] = t;
        r.n_outputs = i + 1;
        r.n_raw_output_contents = i + 1;
    }
    uint8_t *out = NULL;
    if (a.oom || r.n_outputs != rp.n) {
        ei__fail(err, EI_ENOMEM, "out of memory writing the response");
    } else {
        out = ei__grpc_pack(&r.base, len);
        if (!out)
            ei__fail(err, EI_ENOMEM, "out of memory writing the response");
    }
    ei__arena_free(&a);
    ei__v2_reply_dispose(&rp);
    return out;
}

/*
 * Streaming: one ModelStreamInferResponse, framed by hand around the packed ModelInferResponse
 * (field 2) or the error (field 1), so the inner message is not packed twice.
 */
static void stream_answer(ei__grpc_call_t *c, const char *error, uint8_t *packed, size_t len)
{
    if (!error)
        error = "";
    const uint8_t *body = packed ? packed : (const uint8_t *)error;
    size_t n = packed ? len : strlen(error);
    uint8_t *p = ei__malloc(n + 11);
    if (p) {
        size_t k = 0;
        p[k++] = packed ? 0x12 : 0x0a; /* field 2 or 1, length-delimited */
        for (size_t v = n;; v >>= 7) {
            p[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            if (v <= 0x7f)
                break;
        }
        memcpy(p + k, body, n);
        n += k;
    }
    ei__free(packed);
    ei__grpc_stream_send(c, p, p ? n : 0);
}

static void request_error(ei__grpc_call_t *c, bool stream, const ei_error_t *e)
{
    if (stream)
        stream_answer(c, e->msg, NULL, 0);
    else
        ei__grpc_fail_code(c, e);
}

void ei__grpc_infer_link(ei__grpc_call_t *c, ei__v2_call_t *call)
{
    call->fe_prev = NULL;
    call->fe_next = c->infers;
    if (c->infers)
        c->infers->fe_prev = call;
    c->infers = call;
}

void ei__grpc_infer_unlink(ei__grpc_call_t *c, ei__v2_call_t *call)
{
    if (call->fe_prev)
        call->fe_prev->fe_next = call->fe_next;
    else if (c->infers == call)
        c->infers = call->fe_next;
    if (call->fe_next)
        call->fe_next->fe_prev = call->fe_prev;
    call->fe_prev = call->fe_next = NULL;
}

/*
 * Ends a stream once nothing is left in flight and either the client half-closed (OK) or the
 * server is draining (UNAVAILABLE, as a new call is refused then). Takes and drops mu.
 */
static void stream_end_if_over(ei__grpc_call_t *c)
{
    pthread_mutex_lock(&c->mu);
    bool over = c->pending == 0 && !c->answered && (c->half_closed || c->draining);
    bool ok = c->half_closed;
    pthread_mutex_unlock(&c->mu);
    if (over && ok)
        ei__grpc_stream_finish(c, GRPC_STATUS_OK, NULL);
    else if (over)
        ei__grpc_stream_finish(c, GRPC_STATUS_UNAVAILABLE, "server is shutting down");
}

void ei__grpc_stream_drain(ei__grpc_call_t *c)
{
    pthread_mutex_lock(&c->mu);
    c->draining = true;
    pthread_mutex_unlock(&c->mu);
    stream_end_if_over(c);
}

/* Runs on a batcher worker thread. */
static void infer_done(ei__v2_call_t *call)
{
    ei__grpc_call_t *c = call->user;
    bool stream = c->method->streaming;
    ei__infer_req_t *req = &call->req;
    pthread_mutex_lock(&c->mu);
    ei__grpc_infer_unlink(c, call);
    c->queue_ns = req->queue_ns;
    c->compute_ns = req->compute_input_ns + req->compute_infer_ns + req->compute_output_ns;
    /* A stream's next message may be noting its model meanwhile (ei__grpc_note_model). */
    char model[sizeof c->model];
    ei__strlcpy(model, c->model, sizeof model);
    int64_t version = c->version;
    pthread_mutex_unlock(&c->mu);
    if (req->code != EI_OK) {
        ei_error_t e;
        ei__v2_call_error(call, &e);
        ei__log_event(c->g->core, EI_LOG_WARN, c->id, model, version, "inference failed: %s",
                      e.msg);
        request_error(c, stream, &e);
    } else {
        ei_error_t e = {0};
        size_t len = 0;
        uint8_t *p = write_response(call, &len, &e);
        if (!p)
            request_error(c, stream, &e);
        else if (stream)
            stream_answer(c, NULL, p, len);
        else
            ei__grpc_reply_packed(c, p, len);
    }
    ei__v2_call_free(call);
    if (stream) {
        pthread_mutex_lock(&c->mu);
        c->pending--;
        pthread_mutex_unlock(&c->mu);
        stream_end_if_over(c);
    }
    ei__grpc_call_unref(c);
}

static void infer(ei__grpc_call_t *c, const uint8_t *msg, size_t len, bool stream)
{
    ei__v2_core_t *core = c->g->core;
    ei_error_t e = {0};
    if (stream) {
        pthread_mutex_lock(&c->mu);
        bool draining = c->draining;
        pthread_mutex_unlock(&c->mu);
        if (draining) {
            ei__fail(&e, EI_EBUSY, "server is shutting down");
            request_error(c, stream, &e);
            return;
        }
    }
    Inference__ModelInferRequest *m =
        inference__model_infer_request__unpack(&ei__grpc_pb_alloc, len, msg);
    if (!m) {
        ei__fail(&e, EI_EINVAL, "cannot parse the ModelInferRequest message");
        request_error(c, stream, &e);
        return;
    }
    int64_t version = -1;
    if (m->model_version[0] && (!ei__parse_i64(m->model_version, &version) || version < 0)) {
        ei__fail(&e, EI_EINVAL, "model version '%.60s': expected a non-negative integer",
                 m->model_version);
        free_wire(m);
        request_error(c, stream, &e);
        return;
    }
    ei__grpc_note_model(c, m->model_name, version);
    ei__repo_t *repo = ei__v2_repo_hold(core, &e);
    if (!repo) {
        free_wire(m);
        request_error(c, stream, &e);
        return;
    }
    ei__v2_call_t *call = NULL;
    if (ei__v2_call_begin(core, repo, m->model_name, version, ei__now_ns(), &call, &e) != EI_OK) {
        free_wire(m);
        request_error(c, stream, &e);
        ei__v2_repo_drop(core);
        return;
    }
    ei__grpc_note_model(c, m->model_name, ei__model_version(call->model));
    size_t max_el = c->g->o->limits.max_tensor_elements;
    if (parse(m, max_el, core->shm, &call->rq, &e) != EI_OK) {
        ei__v2_call_failed(call);
        ei__v2_call_free(call); /* frees m too */
        request_error(c, stream, &e);
        ei__v2_repo_drop(core);
        return;
    }
    call->req.client_deadline_ns = c->deadline_ns;
    call->done = infer_done;
    call->user = c;
    ei__grpc_call_ref(c); /* held by the inference until infer_done() */
    pthread_mutex_lock(&c->mu);
    if (stream)
        c->pending++;
    ei__grpc_infer_link(c, call);
    bool gone = c->closed && c->cancelled;
    pthread_mutex_unlock(&c->mu);
    if (gone)
        ei__v2_call_cancel(call); /* already cancelled: dropped at once, never run */
    if (ei__v2_call_submit(call, &e) != EI_OK) {
        pthread_mutex_lock(&c->mu);
        if (stream)
            c->pending--;
        ei__grpc_infer_unlink(c, call);
        pthread_mutex_unlock(&c->mu);
        ei__v2_call_free(call);
        request_error(c, stream, &e);
        ei__grpc_call_unref(c);
    }
    ei__v2_repo_drop(core);
}

void ei__grpc_model_infer(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    infer(c, msg, len, false);
}

void ei__grpc_model_stream_infer(ei__grpc_call_t *c, const uint8_t *msg, size_t len)
{
    if (msg) {
        infer(c, msg, len, true);
        return;
    }
    /* The client half-closed: finish once every request in flight has been answered. */
    pthread_mutex_lock(&c->mu);
    c->half_closed = true;
    pthread_mutex_unlock(&c->mu);
    stream_end_if_over(c);
}
