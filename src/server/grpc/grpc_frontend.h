/* SPDX-License-Identifier: MIT */
/*
 * The gRPC front-end: inference.GRPCInferenceService (KServe v2 / Triton) on gRPC's C core API
 * (Debian libgrpc-dev), with messages from protoc-c (grpc_service.proto). Like the HTTP front-end
 * it only translates: every method drives the protocol-neutral core (../v2/v2_core.h), so both
 * protocols share one repository, one batcher per model, one set of statistics and one drain gate.
 *
 * Files: grpc_frontend.c (server, completion-queue threads, call lifecycle), grpc_util.c
 * (protobuf-c allocator, arenas, status codes), grpc_methods.c (health, metadata, statistics,
 * repository, shared memory, settings, the method table), grpc_config.c (ModelConfig), grpc_infer.c
 * (ModelInfer and ModelStreamInfer), grpc_service.proto (the protocol).
 */
#ifndef EI_SERVER_GRPC_FRONTEND_H
#define EI_SERVER_GRPC_FRONTEND_H

#include "v2_core.h"

#include <edgeinfer/server.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/** Method slots of the per-method counters: the method table's, then one for unknown methods. */
#define EI__GRPC_METHOD_SLOTS 32

/** Counters of one method (for /metrics). */
typedef struct ei__grpc_method_stats {
    _Atomic uint64_t status[17]; /**< calls finished, by gRPC status code */
    ei__histogram_t duration;    /**< accepted to finished (a stream: its whole life) */
} ei__grpc_method_stats_t;

/** Counters of the gRPC front-end (for /metrics). */
typedef struct ei__grpc_stats {
    _Atomic uint64_t bytes_in, bytes_out; /**< message bytes (decompressed) */
    ei__grpc_method_stats_t method[EI__GRPC_METHOD_SLOTS];
} ei__grpc_stats_t;

typedef struct ei__grpc {
    ei__v2_core_t *core;
    const ei_server_opts_t *o;
    struct grpc_server *server;
    struct grpc_completion_queue *cq;
    pthread_t *threads;
    int n_threads;
    int port; /**< bound port, -1 when off */
    bool inited, started, shut_down;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t live;      /**< call objects not yet freed (also those waiting to accept) */
    int shutdown_tag;   /**< its address is the tag of grpc_server_shutdown_and_notify() */
    bool shutdown_done; /**< that tag completed */
    struct ei__grpc_call *streams; /**< open ModelStreamInfer calls (under mu) */
    bool draining;                 /**< ei__grpc_quiesce() ran (under mu) */
    unsigned long tls_gen;         /**< TLS set gRPC holds (v2/tls.h generation; 0: none yet) */
    char tls_failed[256];          /**< why the TLS set could not be taken (under mu) */
    ei__grpc_stats_t stats;
} ei__grpc_t;

/** Initialises the front-end (nothing listens yet). */
void ei__grpc_init(ei__grpc_t *g, ei__v2_core_t *core, const ei_server_opts_t *o);
/** Binds the gRPC port (o->grpc_port; -1: stays off) and starts the completion-queue threads. */
ei_code_t ei__grpc_start(ei__grpc_t *g, ei_error_t *err);
/**
 * Stops accepting calls: the calls in progress are answered, and an open ModelStreamInfer stream
 * ends (UNAVAILABLE) once its requests in flight are answered, at once when it has none, so an
 * idle stream never holds the drain.
 */
void ei__grpc_quiesce(ei__grpc_t *g);
/** Cancels what is left, joins the threads and frees the gRPC server. */
void ei__grpc_stop(ei__grpc_t *g);
/**
 * The front-end's /metrics families (`user` is the ei__grpc_t; for ei__v2_core_t.metrics_extra):
 * ei_grpc_requests_total{method,code}, ei_grpc_request_duration_seconds{method},
 * ei_grpc_received_bytes_total, ei_grpc_sent_bytes_total. Nothing when gRPC is off.
 */
void ei__grpc_metrics(void *user, struct ei__sbuf *b);
/** Frees what ei__grpc_init() set up (after ei__grpc_stop()). */
void ei__grpc_dispose(ei__grpc_t *g);

#endif
