/* SPDX-License-Identifier: MIT */
/*
 * The gRPC transport of `edgeinfer bench --url --protocol grpc` (see bench_load.c for the load
 * itself), on gRPC's C core: one channel, one completion queue, one unary
 * /inference.GRPCInferenceService/ModelInfer call per request in flight, each with the run's
 * --timeout as its deadline (a call past it ends DEADLINE_EXCEEDED and is counted as such). The
 * statistics are a ModelStatistics call on the same queue at every window boundary, so the load
 * never pauses. The metadata and config (ModelMetadata, ModelConfig) are read once before, and
 * handed to bench_body.c as the REST JSON shapes it reads.
 *
 * The messages are protoc-c's code for src/server/grpc/grpc_service.proto, the very objects the
 * server's front-end is built with (target ei_grpc_proto): the wire format is one definition, not
 * library API (docs/ARCHITECTURE.md). Without gRPC (-DEI_GRPC=OFF) only the stubs at the end are
 * built and `--protocol grpc` says so.
 */
#include "bench_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef EI_CLI_GRPC

#include "grpc_service.pb-c.h"

#include <ctype.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <jansson.h>

#define METHOD(m) "/inference.GRPCInferenceService/" m
#define HINT_MAX 364

struct ei_bg {
    grpc_channel *ch;
    grpc_metadata *md; /* the -H headers as call metadata */
    size_t n_md;
    double timeout_s;
};

bool ei_bg_available(void)
{
    return true;
}

static gpr_timespec after_ns(uint64_t ns)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_nanos((int64_t)ns, GPR_TIMESPAN));
}

static gpr_timespec deadline(double secs)
{
    return after_ns((uint64_t)(secs * 1e9));
}

/* A received message as one malloc'd block (protobuf-c unpacks from contiguous bytes). */
static uint8_t *buffer_bytes(grpc_byte_buffer *bb, size_t *len)
{
    grpc_byte_buffer_reader r;
    *len = 0;
    if (bb == NULL || !grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    size_t n = GRPC_SLICE_LENGTH(s);
    uint8_t *p = malloc(n ? n : 1);
    if (p != NULL) {
        memcpy(p, GRPC_SLICE_START_PTR(s), n);
        *len = n;
    }
    grpc_slice_unref(s);
    return p;
}

static grpc_byte_buffer *pack(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    grpc_slice s = grpc_slice_malloc(n);
    protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* One call: the six ops of a unary call in one batch. */
typedef struct call {
    int kind; /* 0 a request slot, 1 the statistics fetch */
    grpc_call *call;
    grpc_byte_buffer *send, *recv;
    grpc_metadata_array md_in, trailers;
    grpc_status_code status;
    grpc_slice details;
    uint64_t start_ns;
    bool busy;
} call_t;

static bool call_start(grpc_channel *ch, grpc_completion_queue *cq, const char *method,
                       const ei_bg_t *g, call_t *c, grpc_byte_buffer *send)
{
    grpc_slice m = grpc_slice_from_static_string(method);
    c->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m, NULL,
                                       deadline(g->timeout_s), NULL);
    if (c->call == NULL) {
        grpc_byte_buffer_destroy(send);
        return false;
    }
    grpc_metadata_array_init(&c->md_in);
    grpc_metadata_array_init(&c->trailers);
    c->send = send;
    c->recv = NULL;
    c->status = GRPC_STATUS_OK;
    c->details = grpc_empty_slice();
    grpc_op ops[6];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = g->n_md;
    ops[0].data.send_initial_metadata.metadata = g->md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->md_in;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &c->recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &c->trailers;
    ops[5].data.recv_status_on_client.status = &c->status;
    ops[5].data.recv_status_on_client.status_details = &c->details;
    if (grpc_call_start_batch(c->call, ops, 6, c, NULL) != GRPC_CALL_OK) {
        grpc_call_unref(c->call);
        c->call = NULL;
        grpc_metadata_array_destroy(&c->md_in);
        grpc_metadata_array_destroy(&c->trailers);
        grpc_byte_buffer_destroy(send);
        return false;
    }
    c->busy = true;
    return true;
}

/* Frees what a finished call held but the received message (the caller reads it first). */
static void call_end(call_t *c)
{
    if (c->recv != NULL)
        grpc_byte_buffer_destroy(c->recv);
    c->recv = NULL;
    grpc_byte_buffer_destroy(c->send);
    c->send = NULL;
    grpc_slice_unref(c->details);
    grpc_metadata_array_destroy(&c->md_in);
    grpc_metadata_array_destroy(&c->trailers);
    grpc_call_unref(c->call);
    c->call = NULL;
    c->busy = false;
}

/* "gRPC NOT_FOUND: details" */
static void call_hint(const call_t *c, char *out, size_t size)
{
    int n = (int)GRPC_SLICE_LENGTH(c->details);
    snprintf(out, size, "gRPC %s: %.*s", ei_bl_grpc_status_name((size_t)c->status),
             n > 300 ? 300 : n, (const char *)GRPC_SLICE_START_PTR(c->details));
}

/* Drains a queue after its shutdown, then destroys it. */
static void cq_close(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(cq);
}

/* One blocking unary call (the metadata and config): the reply bytes, or an error naming the
 * status. */
static ei_code_t unary(ei_bg_t *g, const char *method, const ProtobufCMessage *req, uint8_t **out,
                       size_t *out_len, grpc_status_code *status, ei_error_t *err)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    call_t c;
    memset(&c, 0, sizeof(c));
    *out = NULL;
    if (cq == NULL)
        return ei_bl_fail(err, EI_ENOMEM, "out of memory");
    grpc_byte_buffer *bb = pack(req);
    if (!call_start(g->ch, cq, method, g, &c, bb)) {
        cq_close(cq);
        return ei_bl_fail(err, EI_ERUNTIME, "%s: the call could not start", method);
    }
    grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    ei_code_t rc = EI_OK;
    *status = c.status;
    if (ev.type != GRPC_OP_COMPLETE || !ev.success) {
        rc = ei_bl_fail(err, EI_ERUNTIME, "%s: the call failed", method);
    } else if (c.status != GRPC_STATUS_OK) {
        char hint[HINT_MAX];
        call_hint(&c, hint, sizeof(hint));
        rc = ei_bl_fail(err, c.status == GRPC_STATUS_DEADLINE_EXCEEDED ? EI_ETIMEDOUT : EI_ERUNTIME,
                        "%s: %s", method, hint);
    } else {
        *out = buffer_bytes(c.recv, out_len);
        if (*out == NULL)
            rc = ei_bl_fail(err, EI_EFORMAT, "%s: no reply message", method);
    }
    call_end(&c);
    cq_close(cq);
    return rc;
}

ei_code_t ei_bg_open(const char *target, const char *const *headers, size_t n_headers,
                     double timeout_s, ei_bg_t **out, ei_error_t *err)
{
    *out = NULL;
    grpc_init();
    ei_bg_t *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        grpc_shutdown();
        return ei_bl_fail(err, EI_ENOMEM, "out of memory");
    }
    g->timeout_s = timeout_s;
    *out = g;
    g->md = calloc(n_headers ? n_headers : 1, sizeof(*g->md));
    if (g->md == NULL)
        return ei_bl_fail(err, EI_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_headers; i++) {
        const char *colon = strchr(headers[i], ':');
        size_t klen = colon ? (size_t)(colon - headers[i]) : strlen(headers[i]);
        char key[256];
        if (klen == 0 || klen >= sizeof(key))
            return ei_bl_fail(err, EI_EINVAL, "--header '%s': not a metadata name", headers[i]);
        for (size_t k = 0; k < klen; k++)
            key[k] = (char)tolower((unsigned char)headers[i][k]);
        key[klen] = '\0';
        const char *v = colon ? colon + 1 : "";
        while (*v == ' ' || *v == '\t')
            v++;
        g->md[g->n_md].key = grpc_slice_from_copied_string(key);
        g->md[g->n_md].value = grpc_slice_from_copied_string(v);
        g->n_md++;
    }
    grpc_arg arg = {GRPC_ARG_INTEGER, (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, {.integer = -1}};
    grpc_channel_args args = {1, &arg};
    grpc_channel_credentials *cr = grpc_insecure_credentials_create();
    g->ch = grpc_channel_create(target, cr, &args);
    grpc_channel_credentials_release(cr);
    if (g->ch == NULL)
        return ei_bl_fail(err, EI_EINVAL, "cannot open a gRPC channel to '%s'", target);
    return EI_OK;
}

void ei_bg_close(ei_bg_t *g)
{
    if (g == NULL)
        return;
    if (g->ch != NULL)
        grpc_channel_destroy(g->ch);
    for (size_t i = 0; i < g->n_md; i++) {
        grpc_slice_unref(g->md[i].key);
        grpc_slice_unref(g->md[i].value);
    }
    free(g->md);
    free(g);
    grpc_shutdown();
}

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

ei_code_t ei_bg_model_docs(ei_bg_t *g, const char *model, const char *version, char **metadata,
                           char **config, ei_error_t *err)
{
    *metadata = NULL;
    *config = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    grpc_status_code st = GRPC_STATUS_OK;
    Inference__ModelMetadataRequest mreq = INFERENCE__MODEL_METADATA_REQUEST__INIT;
    mreq.name = (char *)model;
    mreq.version = (char *)(version ? version : "");
    ei_code_t rc = unary(g, METHOD("ModelMetadata"), &mreq.base, &bytes, &len, &st, err);
    if (rc != EI_OK)
        return rc;
    Inference__ModelMetadataResponse *mr =
        inference__model_metadata_response__unpack(NULL, len, bytes);
    free(bytes);
    if (mr == NULL)
        return ei_bl_fail(err, EI_EFORMAT,
                          "ModelMetadata: the reply is not a ModelMetadataResponse");
    json_t *inputs = json_array();
    for (size_t i = 0; inputs != NULL && i < mr->n_inputs; i++) {
        json_t *shape = json_array();
        for (size_t d = 0; shape != NULL && d < mr->inputs[i]->n_shape; d++)
            json_array_append_new(shape, json_integer(mr->inputs[i]->shape[d]));
        json_array_append_new(inputs,
                              json_pack("{s:s, s:s, s:o*}", "name", mr->inputs[i]->name, "datatype",
                                        mr->inputs[i]->datatype, "shape", shape));
    }
    *metadata = dump(json_pack("{s:s, s:o*}", "name", mr->name, "inputs", inputs));
    inference__model_metadata_response__free_unpacked(mr, NULL);
    if (*metadata == NULL)
        return ei_bl_fail(err, EI_ENOMEM, "out of memory");

    /* The config is optional (not every server has it): without it, none. */
    Inference__ModelConfigRequest creq = INFERENCE__MODEL_CONFIG_REQUEST__INIT;
    creq.name = (char *)model;
    creq.version = (char *)(version ? version : "");
    ei_error_t ignored = {0};
    if (unary(g, METHOD("ModelConfig"), &creq.base, &bytes, &len, &st, &ignored) != EI_OK)
        return EI_OK;
    Inference__ModelConfigResponse *cr = inference__model_config_response__unpack(NULL, len, bytes);
    free(bytes);
    if (cr == NULL || cr->config == NULL) {
        inference__model_config_response__free_unpacked(cr, NULL);
        return EI_OK;
    }
    json_t *params = json_object();
    for (size_t i = 0; params != NULL && i < cr->config->n_parameters; i++) {
        const Inference__ModelConfig__ParametersEntry *e = cr->config->parameters[i];
        if (e->key != NULL && e->value != NULL && e->value->string_value != NULL)
            json_object_set_new(params, e->key,
                                json_pack("{s:s}", "string_value", e->value->string_value));
    }
    *config = dump(json_pack("{s:s, s:i, s:o*}", "name", cr->config->name, "max_batch_size",
                             (int)cr->config->max_batch_size, "parameters", params));
    inference__model_config_response__free_unpacked(cr, NULL);
    return EI_OK;
}

ei_code_t ei_bg_encode(const char *model, const char *version, const ei_bl_tensor_in_t *ins,
                       size_t n, ei_bl_body_t *out, ei_error_t *err)
{
    Inference__ModelInferRequest req = INFERENCE__MODEL_INFER_REQUEST__INIT;
    Inference__ModelInferRequest__InferInputTensor *ts = calloc(n ? n : 1, sizeof(*ts));
    Inference__ModelInferRequest__InferInputTensor **tp = calloc(n ? n : 1, sizeof(*tp));
    ProtobufCBinaryData *raw = calloc(n ? n : 1, sizeof(*raw));
    int64_t(*shapes)[EI_MAX_RANK] = calloc(n ? n : 1, sizeof(*shapes));
    ei_code_t rc = EI_OK;
    if (ts == NULL || tp == NULL || raw == NULL || shapes == NULL) {
        rc = ei_bl_fail(err, EI_ENOMEM, "out of memory encoding the request");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        Inference__ModelInferRequest__InferInputTensor init =
            INFERENCE__MODEL_INFER_REQUEST__INFER_INPUT_TENSOR__INIT;
        ts[i] = init;
        ts[i].name = (char *)ins[i].name;
        ts[i].datatype = (char *)ins[i].datatype;
        ts[i].n_shape = ei_tensor_rank(ins[i].t);
        memcpy(shapes[i], ei_tensor_shape(ins[i].t), ts[i].n_shape * sizeof(int64_t));
        ts[i].shape = shapes[i];
        tp[i] = &ts[i];
        raw[i].data = (uint8_t *)ins[i].raw;
        raw[i].len = ins[i].raw_size;
    }
    req.model_name = (char *)model;
    req.model_version = (char *)(version ? version : "");
    req.n_inputs = n;
    req.inputs = tp;
    req.n_raw_input_contents = n;
    req.raw_input_contents = raw;
    size_t size = inference__model_infer_request__get_packed_size(&req);
    out->data = malloc(size ? size : 1);
    if (out->data == NULL) {
        rc = ei_bl_fail(err, EI_ENOMEM, "out of memory encoding the request");
        goto out;
    }
    out->size = inference__model_infer_request__pack(&req, (uint8_t *)out->data);
    out->hlen = -1;
    snprintf(out->ctype, sizeof(out->ctype), "application/grpc");
out:
    free(shapes);
    free(raw);
    free(tp);
    free(ts);
    return rc;
}

/* The transport ------------------------------------------------------------------------------ */

typedef struct gt {
    ei_bg_t *g;
    grpc_completion_queue *cq;
    char *model;
    grpc_byte_buffer *stats_req; /* the ModelStatistics request, packed once */
    call_t **slots;
    size_t n_slots;
    call_t stats;
    ei_bl_srv_stats_t *stats_dest;
} gt_t;

static bool gt_grow(void *tp, size_t n)
{
    gt_t *t = tp;
    if (n <= t->n_slots)
        return true;
    call_t **arr = realloc(t->slots, n * sizeof(*arr));
    if (arr == NULL)
        return false;
    t->slots = arr;
    while (t->n_slots < n) {
        call_t *c = calloc(1, sizeof(*c));
        if (c == NULL)
            return false;
        arr[t->n_slots++] = c;
    }
    return true;
}

static bool gt_start(void *tp, const ei_bl_body_t *b, uint64_t start_ns)
{
    gt_t *t = tp;
    call_t *c = NULL;
    for (size_t i = 0; i < t->n_slots && c == NULL; i++) {
        if (!t->slots[i]->busy)
            c = t->slots[i];
    }
    if (c == NULL)
        return false;
    grpc_slice s = grpc_slice_from_static_buffer(b->data, b->size); /* the bodies outlive us */
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    c->start_ns = start_ns;
    return call_start(t->g->ch, t->cq, METHOD("ModelInfer"), t->g, c, bb);
}

static void parse_stats(const uint8_t *p, size_t len, const char *model, ei_bl_srv_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    Inference__ModelStatisticsResponse *r =
        inference__model_statistics_response__unpack(NULL, len, p);
    for (size_t i = 0; r != NULL && i < r->n_model_stats; i++) {
        const Inference__ModelStatistics *m = r->model_stats[i];
        const Inference__InferStatistics *is = m->inference_stats;
        if (m->name == NULL || strcmp(m->name, model) != 0 || is == NULL)
            continue;
        out->ok = true;
#define D(f, x) (is->f != NULL ? is->f->x : 0)
        out->success_count += D(success, count);
        out->success_ns += D(success, ns);
        out->queue_count += D(queue, count);
        out->queue_ns += D(queue, ns);
        out->compute_count += D(compute_infer, count);
        out->compute_input_ns += D(compute_input, ns);
        out->compute_infer_ns += D(compute_infer, ns);
        out->compute_output_ns += D(compute_output, ns);
#undef D
    }
    inference__model_statistics_response__free_unpacked(r, NULL);
}

static void gt_pump(void *tp, ei_bl_t *bl, uint64_t wake_ns)
{
    gt_t *t = tp;
    uint64_t now = ei_bench_now_ns();
    uint64_t wait = wake_ns > now ? wake_ns - now : 0;
    if (wait > 100000000ull)
        wait = 100000000ull;
    grpc_event ev = grpc_completion_queue_next(t->cq, after_ns(wait), NULL);
    if (ev.type != GRPC_OP_COMPLETE)
        return;
    call_t *c = ev.tag;
    if (c->kind == 1) {
        if (t->stats_dest != NULL) {
            size_t len = 0;
            uint8_t *p =
                ev.success && c->status == GRPC_STATUS_OK ? buffer_bytes(c->recv, &len) : NULL;
            if (p != NULL)
                parse_stats(p, len, t->model, t->stats_dest);
            else
                memset(t->stats_dest, 0, sizeof(*t->stats_dest));
            free(p);
            t->stats_dest = NULL;
        }
        call_end(c);
        return;
    }
    ei_bl_outcome_t o = {EI_BL_OK, 0, c->recv ? grpc_byte_buffer_length(c->recv) : 0, NULL};
    char hint[HINT_MAX];
    if (!ev.success || c->status != GRPC_STATUS_OK || c->recv == NULL) {
        o.kind = EI_BL_GRPC;
        o.code = c->status != GRPC_STATUS_OK ? (int)c->status : GRPC_STATUS_UNKNOWN;
        call_hint(c, hint, sizeof(hint));
        o.error = hint;
    }
    uint64_t start = c->start_ns;
    call_end(c);
    ei_bl_done(bl, start, &o);
}

static bool gt_stats_start(void *tp, ei_bl_srv_stats_t *dest)
{
    gt_t *t = tp;
    if (t->stats.busy)
        return false;
    t->stats_dest = dest;
    if (!call_start(t->g->ch, t->cq, METHOD("ModelStatistics"), t->g, &t->stats,
                    grpc_byte_buffer_copy(t->stats_req))) {
        t->stats_dest = NULL;
        return false;
    }
    return true;
}

static bool gt_stats_busy(void *tp)
{
    return ((gt_t *)tp)->stats.busy;
}

static void gt_destroy(void *tp)
{
    gt_t *t = tp;
    if (t == NULL)
        return;
    /* Cancel what is in flight, and read every cancelled call's completion before freeing. */
    size_t live = 0;
    for (size_t i = 0; i < t->n_slots; i++) {
        if (t->slots[i]->busy) {
            grpc_call_cancel(t->slots[i]->call, NULL);
            live++;
        }
    }
    if (t->stats.busy) {
        grpc_call_cancel(t->stats.call, NULL);
        live++;
    }
    while (live > 0 && t->cq != NULL) {
        grpc_event ev = grpc_completion_queue_next(t->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            break;
        call_end(ev.tag);
        live--;
    }
    for (size_t i = 0; i < t->n_slots; i++)
        free(t->slots[i]);
    free(t->slots);
    if (t->cq != NULL)
        cq_close(t->cq);
    if (t->stats_req != NULL)
        grpc_byte_buffer_destroy(t->stats_req);
    free(t->model);
    free(t);
}

static const ei_bl_transport_t grpc_transport = {gt_grow,        gt_start,      gt_pump,
                                                 gt_stats_start, gt_stats_busy, gt_destroy};

ei_code_t ei_bg_transport(ei_bg_t *g, const char *model, const char *version,
                          const ei_bl_transport_t **tr, void **tp, ei_error_t *err)
{
    gt_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return ei_bl_fail(err, EI_ENOMEM, "out of memory setting up the load generator");
    t->g = g;
    t->stats.kind = 1;
    t->model = strdup(model);
    t->cq = grpc_completion_queue_create_for_next(NULL);
    Inference__ModelStatisticsRequest sreq = INFERENCE__MODEL_STATISTICS_REQUEST__INIT;
    sreq.name = (char *)model;
    sreq.version = (char *)(version ? version : "");
    t->stats_req = pack(&sreq.base);
    if (t->model == NULL || t->cq == NULL || t->stats_req == NULL) {
        gt_destroy(t);
        return ei_bl_fail(err, EI_ENOMEM, "out of memory setting up the load generator");
    }
    *tr = &grpc_transport;
    *tp = t;
    return EI_OK;
}

#else /* no gRPC in this build */

bool ei_bg_available(void)
{
    return false;
}

static ei_code_t not_built(ei_error_t *err)
{
    snprintf(err->msg, sizeof(err->msg), "gRPC is not built in (-DEI_GRPC=OFF)");
    err->code = EI_EUNSUPPORTED;
    return EI_EUNSUPPORTED;
}

ei_code_t ei_bg_open(const char *target, const char *const *headers, size_t n_headers,
                     double timeout_s, ei_bg_t **out, ei_error_t *err)
{
    (void)target, (void)headers, (void)n_headers, (void)timeout_s;
    *out = NULL;
    return not_built(err);
}

ei_code_t ei_bg_model_docs(ei_bg_t *g, const char *model, const char *version, char **metadata,
                           char **config, ei_error_t *err)
{
    (void)g, (void)model, (void)version;
    *metadata = *config = NULL;
    return not_built(err);
}

ei_code_t ei_bg_transport(ei_bg_t *g, const char *model, const char *version,
                          const ei_bl_transport_t **tr, void **t, ei_error_t *err)
{
    (void)g, (void)model, (void)version, (void)tr, (void)t;
    return not_built(err);
}

ei_code_t ei_bg_encode(const char *model, const char *version, const ei_bl_tensor_in_t *ins,
                       size_t n, ei_bl_body_t *out, ei_error_t *err)
{
    (void)model, (void)version, (void)ins, (void)n, (void)out;
    return not_built(err);
}

void ei_bg_close(ei_bg_t *g)
{
    (void)g;
}

#endif
