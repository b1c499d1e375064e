/* SPDX-License-Identifier: MIT */
/*
 * The inference server: KServe v2 (Open Inference Protocol) over HTTP/REST, as NVIDIA Triton
 * implements it, on a Triton-layout model repository, with dynamic batching, hot reload and
 * Prometheus metrics.
 *
 * Life cycle: ei_server_opts_init() -> ei_server_create() (checks the options) ->
 * ei_server_start() (binds the ports, serves on internal threads, loads the start-up models in the
 * background) -> ei_server_wait_loaded() (optional: until ready) ->
 * ei_server_stop() (graceful: stops accepting, answers every accepted request) ->
 * ei_server_destroy(). This header does not cover the wire protocol itself: see docs and
 * `edgeinfer serve --help`.
 *
 * Thread-safety: a server is driven by one thread (usually main); its own threads do the serving.
 * The log callback is called from those threads, concurrently.
 */
#ifndef EDGEINFER_SERVER_H
#define EDGEINFER_SERVER_H

#include "log.h"
#include "model_crypto.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How the model repository is managed after start-up (Triton's --model-control-mode). */
typedef enum ei_server_control_mode {
    EI_SERVER_CONTROL_NONE = 0, /**< load everything at start, ignore later changes */
    EI_SERVER_CONTROL_POLL,     /**< rescan every repository_poll_secs and (re)load changes */
    EI_SERVER_CONTROL_EXPLICIT  /**< load only load_models; then the repository API decides */
} ei_server_control_mode_t;

/** Format of the server's log lines. */
typedef enum ei_server_log_format {
    EI_SERVER_LOG_TEXT = 0, /**< `<ts> <LEVEL> <component> <message> key=value ...` */
    EI_SERVER_LOG_JSON      /**< one JSON object per line */
} ei_server_log_format_t;

/** Which stream a server log line belongs to. */
typedef enum ei_server_log_stream {
    EI_SERVER_LOG_ACCESS = 0, /**< one line per HTTP request */
    EI_SERVER_LOG_ERROR       /**< failures, start-up and shutdown events */
} ei_server_log_stream_t;

/**
 * Receives one formatted log line (no trailing newline). Called from server threads,
 * concurrently; the line is valid only during the call.
 */
typedef void (*ei_server_log_fn)(ei_server_log_stream_t stream, const char *line, void *user);

/** Resource limits; every client-controlled size has one. */
typedef struct ei_server_limits {
    size_t max_body_bytes;      /**< request body (413 beyond); default 64 MiB */
    size_t max_tensor_elements; /**< elements in one input tensor (400 beyond); default 2^26 */
    size_t max_header_bytes;    /**< request line + headers (431 beyond); default 16 KiB */
    unsigned max_connections;   /**< concurrent HTTP connections; default 512 */
    unsigned connection_timeout_secs; /**< idle or stalled connection timeout; default 30 */
} ei_server_limits_t;

/**
 * Server options. Initialise with ei_server_opts_init(); new fields only ever go at the end.
 * Strings and arrays are copied by ei_server_create() and need not outlive the call.
 */
typedef struct ei_server_opts {
    const char *model_repository; /**< repository directory (required) */
    const char *http_address;     /**< numeric IPv4/IPv6 address to bind; default "127.0.0.1" */
    int http_port;                /**< default 8000; 0 picks a free port */
    int metrics_port;             /**< default 8002; 0 picks a free port; -1 turns metrics off */
    ei_server_control_mode_t model_control_mode; /**< default EI_SERVER_CONTROL_NONE */
    int repository_poll_secs;                    /**< POLL mode interval; default 15 */
    const char *const *load_models;              /**< EXPLICIT mode start-up models ("*" = all) */
    size_t n_load_models;
    ei_server_log_format_t log_format; /**< default EI_SERVER_LOG_TEXT */
    int log_verbose; /**< 0: access + error lines; >= 1: also per-request timings */
    ei_server_limits_t limits;
    int http_threads;        /**< HTTP I/O threads; default 2 */
    ei_server_log_fn log_fn; /**< NULL: lines go to the library log sink (ei_log_set) */
    void *log_user;
    int default_max_batch_size; /**< auto-completed max_batch_size (Triton: 4); default 4 */
    unsigned
        shutdown_timeout_secs; /**< ei_server_stop() waits this long for requests; default 30 */
    /** Sessions share the runtime's global thread pools (ei_global_init() must have made them). */
    bool use_global_threads;
    /**
     * Let clients register POSIX shared-memory regions (Triton's system shared-memory extension)
     * and pass tensors through them. Off by default, as in Triton: a client that can register a
     * region can read and write any shared-memory object the server's user can open.
     */
    bool allow_client_shm;
    /**
     * HTTPS on every port: PEM files of the certificate (chain, leaf first) and its private key;
     * both or neither. Checked at creation (readable, matching, within the validity period).
     */
    const char *tls_cert;
    const char *tls_key;
    /** Mutual TLS: clients must present a certificate from a CA in this PEM file. */
    const char *tls_client_ca;
    /**
     * API keys file ("NAME sha256:HEX SCOPES" per line, docs/security.md): every route but health
     * then needs `Authorization: Bearer TOKEN` with a key holding the route's scope. NULL: open.
     */
    const char *api_keys;
    /** With api_keys: the health routes need a key with the "health" scope too. */
    bool auth_health;
    /**
     * Directory of trusted signing keys (*.pub): a model version with a signature file is checked
     * before it loads (a failure makes it UNAVAILABLE with the reason).
     */
    const char *trusted_keys;
    /** With trusted_keys: a version without a valid signature is UNAVAILABLE. */
    bool require_signed_models;
    /**
     * Key file for encrypted models (model.onnx.enc); NULL: the EDGEINFER_MODEL_KEY environment
     * variable when set.
     */
    const char *model_key_file;
    /** Turn the web console off (GET / and /ui/... answer 404). Default false: it is served. */
    bool no_ui;
    /**
     * Whole-request deadline in seconds: from the request line to the last body byte (headers and
     * body together; an idle timeout alone lets a client that trickles bytes hold a connection
     * for ever). Past it the connection is closed. Default 60; 0 turns it off.
     */
    unsigned request_timeout_secs;
    /**
     * Minimum average upload rate of a request (bytes/s, checked once the request is 5 s old);
     * slower requests are cut. Default 1024; 0 turns it off.
     */
    unsigned min_transfer_rate;
    /** Concurrent connections from one client address; default 128; 0 = no per-address cap. */
    unsigned max_connections_per_ip;
    /**
     * CORS: comma-separated origins (`https://app.example:8443`) that browsers may call the server
     * from, or "*" for any. NULL (default): no CORS headers, preflights refused, and POSTs that
     * carry a foreign Origin are refused (403).
     */
    const char *cors_allow_origins;
    /**
     * Comma-separated extra Host names accepted on state-changing (POST) requests. When the server
     * listens on a loopback address only loopback names (localhost, 127.x, ::1) are accepted by
     * default, which defeats DNS rebinding; on other addresses Host is checked only when set.
     */
    const char *allowed_hosts;
    /**
     * Workers that decode and preprocess /classify images, off the HTTP I/O threads (so health,
     * metadata and metrics are answered while images decode). Default: the number of CPUs (at
     * most 8); 0 = the default.
     */
    unsigned image_workers;
    /** Images that may wait for a worker; past that /classify answers 503 at once. Default 16. */
    unsigned image_queue;
    /** Largest image /classify decodes (width x height; 400 beyond). Default 100000000. */
    uint64_t max_image_pixels;
    /** gRPC (inference.GRPCInferenceService) port: default 8001; 0 picks a free port; -1 turns
     * gRPC off. Always -1 in a build without gRPC (EI_GRPC=OFF). */
    int grpc_port;
    const char *grpc_address; /**< numeric IPv4/IPv6 address; NULL: the http_address */
    /** Largest gRPC message received or sent; 0 (default): limits.max_body_bytes (64 MiB). */
    size_t grpc_max_message_bytes;
    int grpc_threads; /**< gRPC completion-queue threads; default 2 */
    /** gRPC response compression: 0 none (default), 1 low, 2 medium, 3 high; the algorithm
     * (gzip/deflate) is one the client accepts. Compressed requests are always accepted. */
    int grpc_compression_level;
    /**
     * Budget for the request bodies (as received and inflated) and the replies the HTTP port holds
     * at once; a request that would go over it is answered 503 at once. Default 1 GiB; 0 = none.
     */
    size_t max_memory_bytes;
} ei_server_opts_t;

typedef struct ei_server ei_server_t;

/** Fills `opts` with the defaults listed in ei_server_opts_t. */
EI_API void ei_server_opts_init(ei_server_opts_t *opts);

/**
 * Creates a server: checks the options and that the repository directory exists. Binds nothing
 * and loads nothing yet (ei_server_start() binds, then loads the start-up models; a model that
 * fails to load is reported UNAVAILABLE and the others are served).
 * On success `*out` is released with ei_server_destroy(); on failure it is NULL and `err` says why.
 * Needs ei_global_init() first.
 */
EI_API EI_NODISCARD ei_code_t ei_server_create(const ei_server_opts_t *opts, ei_server_t **out,
                                               ei_error_t *err);

/**
 * Binds the HTTP (and metrics and gRPC) ports, starts serving on internal threads, and starts
 * loading the start-up models on a thread of its own; returns once the server accepts connections
 * (live; ready after ei_server_wait_loaded()). A port that cannot be bound is reported before any
 * model loads: EI_EIO; EI_EINVAL when already started.
 */
EI_API EI_NODISCARD ei_code_t ei_server_start(ei_server_t *s, ei_error_t *err);

/**
 * Waits until the start-up models have loaded (ei_server_start() binds the ports first and loads
 * them on a thread: /v2/health/live answers at once, /v2/health/ready once this returns). Returns
 * the repository's error if it could not be read; models that fail to load are UNAVAILABLE and
 * not an error here.
 */
EI_API EI_NODISCARD ei_code_t ei_server_wait_loaded(ei_server_t *s, ei_error_t *err);

/** The bound HTTP port (useful with http_port 0), or -1 when not started. */
EI_API int ei_server_http_port(const ei_server_t *s);

/** The bound metrics port, or -1 when not started or metrics are off. */
EI_API int ei_server_metrics_port(const ei_server_t *s);

/** The bound gRPC port, or -1 when not started or gRPC is off. */
EI_API int ei_server_grpc_port(const ei_server_t *s);

/**
 * Graceful stop: stops accepting connections, answers every request already accepted (waiting at
 * most shutdown_timeout_secs; requests still queued then are answered 503), then closes
 * everything. Idempotent; NULL is a no-op. Not async-signal-safe: call it from a normal thread.
 */
EI_API void ei_server_stop(ei_server_t *s);

/**
 * Re-reads what SIGHUP should refresh: the TLS certificate, key and client CA, and the API keys
 * file. Each that reads and checks well replaces the old one for new connections / requests; one
 * that does not leaves the old in force, is logged, and makes the call fail with its reason (the
 * others are still reloaded). Thread-safe against serving; call from one thread at a time.
 */
EI_API EI_NODISCARD ei_code_t ei_server_reload_credentials(ei_server_t *s, ei_error_t *err);

/**
 * Makes a new API key: writes a random token ("ei_" + 43 base64url characters) to `token` and
 * the line for the --api-keys file ("NAME sha256:HEX SCOPES") to `line`. EI_EINVAL for a bad
 * name (1-64 of A-Z a-z 0-9 - _ . @) or scope list; EI_ELIMIT when a buffer is too small (64
 * bytes for the token and 256 for the line are enough).
 */
EI_API EI_NODISCARD ei_code_t ei_server_api_key_new(const char *name, const char *scopes,
                                                    char *token, size_t token_size, char *line,
                                                    size_t line_size, ei_error_t *err);

/** Stops the server if needed and releases it. NULL is a no-op. */
EI_API void ei_server_destroy(ei_server_t *s);

#ifdef __cplusplus
}
#endif

#endif
