/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer bench --url URL --model M`: a load generator for any KServe v2 server, in three
 * parts that meet here:
 *   bench_url.c   options, the model's metadata, the steps and the reports (text, --json, --csv);
 *   bench_body.c  request bodies: random / .npy / .pb tensors or images, encoded as JSON or
 *                 Triton's binary tensor extension, or raw images for /classify;
 *   bench_load.c  the load itself, whatever the protocol: a closed loop at a fixed concurrency or
 *                 an open loop at a fixed rate, measured in windows, with the server's statistics
 *                 read at every window boundary; it drives one transport (ei_bl_transport_t):
 *   bench_http.c  HTTP/1.1: one thread driving libcurl's multi interface (statistics: GET /stats);
 *   bench_grpc.c  gRPC: one channel and one completion queue of gRPC's C core, N unary ModelInfer
 *                 calls in flight (statistics: the ModelStatistics call); the metadata, config and
 *                 request messages over protoc-c's code for src/server/grpc/grpc_service.proto.
 * Not for in-process benchmarks of a model file: that is `edgeinfer bench MODEL` (cmd_bench.c).
 */
#ifndef EI_CLI_BENCH_URL_H
#define EI_CLI_BENCH_URL_H

#include "bench_stats.h"
#include "cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Entry point of the --url mode (argv as given to `edgeinfer bench`). */
int ei_cli_bench_url(int argc, char **argv);

/** Fills `err` (code and message) and returns the code. */
ei_code_t ei_bl_fail(ei_error_t *err, ei_code_t code, const char *fmt, ...) EI_CLI_PRINTF(3, 4);

/* Request bodies ------------------------------------------------------------------------------- */

/** One prepared request: the bytes and the headers that go with them. */
typedef struct ei_bl_body {
    char *data;
    size_t size;
    char ctype[48];     /**< Content-Type */
    long hlen;          /**< Inference-Header-Content-Length, or -1 for none */
    void *headers;      /**< struct curl_slist *, built by ei_bl_body_headers() */
    char describe[256]; /**< "x FP32 [1,3,48,192] (random)" or "photo.jpg (image/jpeg)" */
} ei_bl_body_t;

/** What the bodies are made of and how they are encoded. */
typedef enum { EI_BL_FILL_RANDOM = 0, EI_BL_FILL_ZEROS } ei_bl_fill_t;

typedef struct ei_bl_input_file {
    char name[128];
    const char *path;
} ei_bl_input_file_t;

typedef struct ei_bl_shape_arg {
    char name[128];
    int64_t dims[16];
    size_t rank;
} ei_bl_shape_arg_t;

typedef struct ei_bl_body_opts {
    bool classify; /**< POST raw images to /classify (else tensors to /infer) */
    bool binary;   /**< Triton's binary tensor extension (else JSON `data` arrays) */
    bool grpc;     /**< serialized ModelInferRequest messages instead (ei_bg_encode) */
    const char *model, *version; /**< for the gRPC messages (version may be NULL) */
    ei_bl_fill_t fill;
    uint64_t seed;
    int64_t batch; /**< the batch dim when the model batches (max_batch_size > 0) */
    const ei_bl_input_file_t *files;
    size_t n_files;
    const ei_bl_shape_arg_t *shapes;
    size_t n_shapes;
    const char *const *images;
    size_t n_images;
    const char *preset; /**< image preset for images sent to /infer; NULL: config or imagenet */
} ei_bl_body_opts_t;

/**
 * Builds the request bodies from the model's metadata and config JSON texts (config may be NULL:
 * not every server has it). On success `*out` holds `*n` bodies (one per image, else one).
 * Errors name the input, the file or the missing --shape.
 */
ei_code_t ei_bl_make_bodies(const char *metadata, const char *config, const ei_bl_body_opts_t *o,
                            ei_bl_body_t **out, size_t *n, ei_error_t *err);

/** Whether the model (its metadata JSON) takes images as BYTES and has no pixel input (an OCR
 * pipeline model): then --image goes to /infer, not /classify. */
bool ei_bl_image_as_bytes(const char *metadata);

/** Adds Content-Type, the binary header length, "Expect:" and the user's extra headers. */
ei_code_t ei_bl_body_headers(ei_bl_body_t *b, const char *const *extra, size_t n_extra,
                             ei_error_t *err);

void ei_bl_free_bodies(ei_bl_body_t *b, size_t n);

/* The load ------------------------------------------------------------------------------------- */

/** The server's cumulative statistics for the model (Triton's /stats), as read at one moment. */
typedef struct ei_bl_srv_stats {
    bool ok;
    uint64_t success_count, success_ns;
    uint64_t queue_count, queue_ns;
    uint64_t compute_count; /**< compute_infer count (requests) */
    uint64_t compute_input_ns, compute_infer_ns, compute_output_ns;
} ei_bl_srv_stats_t;

/** Error counts by kind: HTTP status, gRPC status, or a transport failure. */
#define EI_BL_N_TRANSPORT 6
#define EI_BL_N_GRPC 17
typedef struct ei_bl_errors {
    uint64_t status[600];                  /**< by HTTP status (non-2xx) */
    uint64_t grpc[EI_BL_N_GRPC];           /**< by gRPC status (non-OK) */
    uint64_t transport[EI_BL_N_TRANSPORT]; /**< see ei_bl_transport_name() */
} ei_bl_errors_t;

/** "timeout", "refused", "closed", "send", "recv", "other". */
const char *ei_bl_transport_name(size_t i);
/** gRPC's status names: "CANCELLED", "DEADLINE_EXCEEDED", ... ("OK" for 0). */
const char *ei_bl_grpc_status_name(size_t i);
uint64_t ei_bl_errors_total(const ei_bl_errors_t *e);

/** How one step is driven and measured. */
typedef struct ei_bl_step_opts {
    int concurrency;  /**< closed loop: this many requests always in flight (when rate == 0) */
    double rate;      /**< open loop: requests per second, evenly spaced (0: closed loop) */
    int max_inflight; /**< open loop: at most this many in flight (later sends wait) */
    double warmup_s;
    double window_s;
    int max_windows;
    double stability;      /**< fraction, e.g. 0.10 */
    uint64_t min_requests; /**< a window also lasts until this many requests ended in it */
} ei_bl_step_opts_t;

/** The result of one step: the last (up to) three windows merged. */
typedef struct ei_bl_step {
    int concurrency;
    double rate;
    int windows; /**< windows measured */
    bool stable;
    double secs; /**< measured time of the merged windows */
    uint64_t ok;
    ei_bl_errors_t errors;
    ei_bench_stats_t lat; /**< successful requests only, ms */
    uint64_t bytes_out, bytes_in;
    uint64_t late; /**< open loop: sends that waited for a free slot */
    bool srv_ok;   /**< the server deltas below are valid */
    uint64_t srv_requests;
    double srv_queue_ms, srv_compute_ms, srv_compute_infer_ms;
} ei_bl_step_t;

typedef struct ei_bl ei_bl_t;

/** Called after every window (progress); `w` is that window alone. */
typedef void (*ei_bl_progress_fn)(const ei_bl_step_opts_t *o, int window, const ei_bl_step_t *w,
                                  void *user);

/** How one request ended, as a transport tells the load (ei_bl_done()). */
typedef enum { EI_BL_OK = 0, EI_BL_HTTP, EI_BL_GRPC, EI_BL_TRANSPORT } ei_bl_kind_t;
typedef struct ei_bl_outcome {
    ei_bl_kind_t kind;
    int code;          /**< the HTTP status, gRPC status or transport kind (ei_bl_transport_name) */
    uint64_t bytes_in; /**< what came back */
    const char
        *error; /**< for the first error's hint: the reply's start or the failure; may be NULL */
} ei_bl_outcome_t;

/**
 * One protocol under the load: requests in flight in slots, completions read by pump(), which
 * calls ei_bl_done() for each with the start time given to start(). The statistics fetch is
 * asynchronous: stats_start() lands a snapshot in *dest later (dest->ok = false when it failed).
 */
typedef struct ei_bl_transport {
    bool (*grow)(void *t, size_t n); /**< room for n requests in flight */
    bool (*start)(void *t, const ei_bl_body_t *b, uint64_t start_ns);
    void (*pump)(void *t, ei_bl_t *bl, uint64_t wake_ns);  /**< wait at most until wake_ns */
    bool (*stats_start)(void *t, ei_bl_srv_stats_t *dest); /**< false: none can start */
    bool (*stats_busy)(void *t);
    void (*destroy)(void *t); /**< abandons what is in flight */
} ei_bl_transport_t;

/** A transport reports one finished request. */
void ei_bl_done(ei_bl_t *bl, uint64_t start_ns, const ei_bl_outcome_t *o);

/**
 * Creates the load generator over transport `t` (owned from then on, destroyed with it), sending
 * the bodies round-robin (they must outlive it).
 */
ei_code_t ei_bl_create(const ei_bl_transport_t *tr, void *t, const ei_bl_body_t *bodies,
                       size_t n_bodies, ei_bl_t **out, ei_error_t *err);

/** Runs one step (warm-up, then windows until stable or max_windows) and fills `out`. */
ei_code_t ei_bl_run_step(ei_bl_t *bl, const ei_bl_step_opts_t *o, ei_bl_progress_fn progress,
                         void *user, ei_bl_step_t *out, ei_error_t *err);

/** The first failed request's status and body (for a hint); "" when none failed. */
const char *ei_bl_first_error(const ei_bl_t *bl);

/** Abandons the requests in flight (closing their connections) and frees everything. */
void ei_bl_destroy(ei_bl_t *bl);

/* HTTP (bench_http.c) ------------------------------------------------------------------------- */

/**
 * The HTTP transport: requests POSTed to `infer_url`, `stats_url` (may be NULL) read at every
 * window boundary and parsed for `model`. `timeout_s` bounds each request.
 */
ei_code_t ei_bl_http_transport(const char *infer_url, const char *stats_url, const char *model,
                               double timeout_s, const char *const *extra_headers, size_t n_extra,
                               const ei_bl_transport_t **tr, void **t, ei_error_t *err);

/**
 * Parses Triton's statistics JSON for `model` (all its versions summed); ok = false when the
 * text is not that.
 */
void ei_bl_parse_stats(const char *text, size_t len, const char *model, ei_bl_srv_stats_t *out);

/** GET `url` into a malloc'd NUL-terminated string; `*status` gets the HTTP status. */
ei_code_t ei_bl_http_get(const char *url, const char *const *extra, size_t n_extra,
                         double timeout_s, char **body, long *status, ei_error_t *err);

/* gRPC (bench_grpc.c) ------------------------------------------------------------------------- */

/** The gRPC side of a run: one channel to the server (NULL-safe to free). */
typedef struct ei_bg ei_bg_t;

/** false when this build has no gRPC (-DEI_GRPC=OFF). */
bool ei_bg_available(void);

/**
 * Opens a channel to `target` (HOST:PORT; insecure). `headers` ("Name: value") go with every
 * call as metadata (lower-cased names), `timeout_s` is every call's deadline.
 */
ei_code_t ei_bg_open(const char *target, const char *const *headers, size_t n_headers,
                     double timeout_s, ei_bg_t **out, ei_error_t *err);

/**
 * The model's metadata and config over ModelMetadata / ModelConfig, as the JSON texts that
 * ei_bl_make_bodies() reads (the REST shapes: name, inputs[name, datatype, shape];
 * max_batch_size, parameters). `*config` is NULL when the server has no ModelConfig.
 */
ei_code_t ei_bg_model_docs(ei_bg_t *g, const char *model, const char *version, char **metadata,
                           char **config, ei_error_t *err);

/**
 * The transport: ModelInfer calls with the bodies (serialized ModelInferRequest messages from
 * ei_bl_make_bodies() with o->grpc), ModelStatistics for `model` at every window boundary.
 * The channel stays with `g`, which must outlive the transport.
 */
ei_code_t ei_bg_transport(ei_bg_t *g, const char *model, const char *version,
                          const ei_bl_transport_t **tr, void **t, ei_error_t *err);

void ei_bg_close(ei_bg_t *g);

/**
 * Encodes tensors as one serialized ModelInferRequest (raw_input_contents); for bench_body.c.
 */
typedef struct ei_bl_tensor_in {
    const char *name;
    const char *datatype; /**< KServe v2 name */
    const ei_tensor_t *t; /**< its shape */
    const void *raw;      /**< its bytes (BYTES: each element a 4-byte length, then the bytes) */
    size_t raw_size;
} ei_bl_tensor_in_t;
ei_code_t ei_bg_encode(const char *model, const char *version, const ei_bl_tensor_in_t *ins,
                       size_t n, ei_bl_body_t *out, ei_error_t *err);

#endif
