/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the gRPC front-end: protobuf-c on the library allocator, message packing, reply
 * arenas, the status code mapping, the repository hold.
 */
#include "grpc_internal.h"
#include "prom.h"

#include <stdio.h>
#include <string.h>

/* protobuf-c through the library allocator ----------------------------------------------------- */

static void *pb_alloc(void *data, size_t n)
{
    (void)data;
    return ei__malloc(n ? n : 1);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    ei__free(p);
}

ProtobufCAllocator ei__grpc_pb_alloc = {pb_alloc, pb_free, NULL};

uint8_t *ei__grpc_pack(const ProtobufCMessage *msg, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *p = ei__malloc(n ? n : 1);
    if (p)
        protobuf_c_message_pack(msg, p);
    *len = n;
    return p;
}

/* Arenas -------------------------------------------------------------------------------------- */

void *ei__arena_alloc(ei__arena_t *a, size_t n)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        void **p = ei__realloc(a->p, cap * sizeof *p);
        if (!p) {
            a->oom = true;
            return NULL;
        }
        a->p = p;
        a->cap = cap;
    }
    void *x = ei__calloc(1, n ? n : 1);
    if (!x) {
        a->oom = true;
        return NULL;
    }
    a->p[a->n++] = x;
    return x;
}

void *ei__arena_msg(ei__arena_t *a, const void *init, size_t size)
{
    void *x = ei__arena_alloc(a, size);
    if (x)
        memcpy(x, init, size);
    return x;
}

char *ei__arena_strdup(ei__arena_t *a, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *x = ei__arena_alloc(a, n + 1);
    if (x)
        memcpy(x, s, n + 1);
    return x ? x : (char *)"";
}

void ei__arena_free(ei__arena_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        ei__free(a->p[i]);
    ei__free(a->p);
    memset(a, 0, sizeof *a);
}

/* Status codes --------------------------------------------------------------------------------- */

grpc_status_code ei__grpc_status_for(ei_code_t code)
{
    /* Triton: INVALID_ARG -> INVALID_ARGUMENT, NOT_FOUND -> NOT_FOUND, UNAVAILABLE -> UNAVAILABLE,
     * UNSUPPORTED -> UNIMPLEMENTED, INTERNAL -> INTERNAL, CANCELLED -> CANCELLED. */
    switch (code) {
    case EI_OK:
        return GRPC_STATUS_OK;
    case EI_EINVAL:
    case EI_EFORMAT:
        return GRPC_STATUS_INVALID_ARGUMENT;
    case EI_ECANCELED:
        return GRPC_STATUS_CANCELLED;
    case EI_ENOTFOUND:
    case EI_ENOENT:
        return GRPC_STATUS_NOT_FOUND;
    case EI_ELIMIT:
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    case EI_EUNSUPPORTED:
        return GRPC_STATUS_UNIMPLEMENTED;
    case EI_EBUSY:
    case EI_ENOMEM: /* as REST's 503: no room now, retry later */
        return GRPC_STATUS_UNAVAILABLE;
    case EI_ETIMEDOUT:
        return GRPC_STATUS_DEADLINE_EXCEEDED;
    case EI_EIO:
    case EI_EMODEL:
    case EI_ERUNTIME:
    case EI__CODE_COUNT:
        return GRPC_STATUS_INTERNAL;
    }
    return GRPC_STATUS_INTERNAL;
}

/* The repository ------------------------------------------------------------------------------ */

ei__repo_t *ei__grpc_hold(ei__grpc_call_t *c)
{
    ei_error_t e = {0};
    ei__repo_t *repo = ei__v2_repo_hold(c->g->core, &e);
    if (!repo)
        ei__grpc_fail(c, GRPC_STATUS_UNAVAILABLE, "%s", e.msg);
    return repo;
}

void ei__grpc_drop(ei__grpc_call_t *c)
{
    ei__v2_repo_drop(c->g->core);
}

/* /metrics ------------------------------------------------------------------------------------ */

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static const char *const status_names[17] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

/* A method's label value: its name in the table, "unknown" for the slot of unknown methods (a
 * client's path is never written into a label). NULL for a slot no method uses. */
static const char *slot_name(size_t slot)
{
    if (slot == EI__GRPC_METHOD_SLOTS - 1)
        return "unknown";
    for (size_t i = 0; ei__grpc_methods[i].name; i++)
        if (i == slot)
            return ei__grpc_methods[i].name;
    return NULL;
}

void ei__grpc_metrics(void *user, ei__sbuf_t *b)
{
    ei__grpc_t *g = user;
    if (g->port < 0)
        return;
    ei__grpc_stats_t *st = &g->stats;
    /* Only the (method, code) pairs that occurred, as usual for labelled counters. */
    ei__prom_family(b, "ei_grpc_requests_total", "counter",
                    "gRPC calls finished, by method and status code");
    for (size_t m = 0; m < EI__GRPC_METHOD_SLOTS; m++) {
        const char *name = slot_name(m);
        for (size_t k = 0; name && k < 17; k++) {
            uint64_t n = LD(st->method[m].status[k]);
            if (n)
                ei__sbuf_printf(b, "ei_grpc_requests_total{method=\"%s\",code=\"%s\"} %llu\n", name,
                                status_names[k], (unsigned long long)n);
        }
    }
    ei__prom_family(b, "ei_grpc_request_duration_seconds", "histogram",
                    "gRPC call duration, accepted to finished (a stream: its whole life)");
    for (size_t m = 0; m < EI__GRPC_METHOD_SLOTS; m++) {
        const char *name = slot_name(m);
        if (!name || LD(st->method[m].duration.count) == 0)
            continue;
        char label[64];
        snprintf(label, sizeof label, "method=\"%s\"", name);
        ei__prom_histogram(b, "ei_grpc_request_duration_seconds", &st->method[m].duration, label);
    }
    ei__prom_family(b, "ei_grpc_received_bytes_total", "counter",
                    "gRPC request message bytes received (decompressed)");
    ei__sbuf_printf(b, "ei_grpc_received_bytes_total %llu\n", (unsigned long long)LD(st->bytes_in));
    ei__prom_family(b, "ei_grpc_sent_bytes_total", "counter",
                    "gRPC response message bytes sent (before compression)");
    ei__sbuf_printf(b, "ei_grpc_sent_bytes_total %llu\n", (unsigned long long)LD(st->bytes_out));
}
