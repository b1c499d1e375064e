/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer serve`: the KServe v2 / Triton-compatible inference server on a model repository.
 * Parses options, installs the log sinks (access lines on stdout, everything else on stderr, text
 * or JSON), starts the server, writes the chosen ports to --port-file once it accepts connections,
 * and waits for SIGTERM/SIGINT, on which it stops gracefully (answers what was accepted) and exits
 * 0. The signals are blocked in every thread and taken with sigwait() here, so no work happens in
 * a signal handler.
 */
#include "cli.h"
#include "commands.h"

#include <edgeinfer/server.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static bool json_logs;

static void usage(void)
{
    printf("usage: edgeinfer serve --model-repository DIR [options]\n"
           "\n"
           "Serves the models of a Triton-layout repository (<DIR>/<model>/config.pbtxt,\n"
           "<DIR>/<model>/<version>/model.onnx) over KServe v2 REST and gRPC, as Triton does.\n"
           "\n"
           "options:\n"
           "  --model-repository DIR       the model repository (required)\n"
           "  --http-address ADDR          address or host name to bind (default 127.0.0.1)\n"
           "  --http-port N                HTTP port (default 8000; 0 picks a free one)\n"
           "  --metrics-port N             Prometheus /metrics port (default 8002; 0 picks a free\n"
           "                               one; -1 turns metrics off)\n"
           "  --grpc-port N                gRPC port (default 8001; 0 picks a free one; -1 turns\n"
           "                               gRPC off)\n"
           "  --grpc-address ADDR          numeric address for gRPC (default: the HTTP address)\n"
           "  --grpc-max-message-bytes N   largest gRPC message in or out (default: "
           "--max-body-bytes)\n"
           "  --grpc-threads N             gRPC completion-queue threads (default 2)\n"
           "  --grpc-infer-response-compression-level L\n"
           "                               none (default), low, medium or high: compress gRPC\n"
           "                               answers with an algorithm the client accepts\n");
    printf(
        "  --model-control-mode MODE    none (default), poll or explicit\n"
        "  --repository-poll-secs N     poll mode interval (default 15)\n"
        "  --load-model NAME            explicit mode: load NAME at start ('*' = all); repeatable\n"
        "  --log-format text|json       log line format (default text)\n"
        "  --log-verbose N              0: access + errors; 1: + per-request timings; 2: + debug\n"
        "  --http-threads N             HTTP I/O threads (default 2)\n"
        "  --max-body-bytes N           largest request body (default 67108864)\n"
        "  --max-connections N          concurrent connections (default 512)\n"
        "  --connection-timeout N       seconds before an idle or stalled connection is closed\n"
        "                               (default 30)\n"
        "  --shutdown-timeout N         seconds to finish accepted requests on SIGTERM (default "
        "30)\n"
        "  --request-timeout N          seconds a whole request (headers and body) may take to\n"
        "                               arrive (default 60; 0 = off)\n"
        "  --min-transfer-rate N        bytes/s a request body must average once it is 5 s old\n"
        "                               (default 1024; 0 = off)\n"
        "  --max-connections-per-ip N   connections from one client address (default 128;\n"
        "                               0 = no cap)\n"
        "  --cors-allow-origin ORIGIN   let web pages from ORIGIN call the server (CORS);\n"
        "                               repeatable; '*' = any (default: CORS off)\n"
        "  --allowed-host NAME          also accept Host: NAME on POST requests (by default a\n"
        "                               loopback listener accepts only loopback names)\n");
    /* Two strings: C99 compilers need not take one longer than 4095 characters. */
    printf(
        "  --image-workers N            threads that decode /classify images (default: the\n"
        "                               number of CPUs, at most 8)\n"
        "  --image-queue N              images that may wait for a worker before /classify\n"
        "                               answers 503 (default 16)\n"
        "  --max-memory N               bytes of request bodies and replies held at once;\n"
        "                               more is answered 503 (default 1073741824; 0 = none)\n"
        "  --max-run-memory N           bytes ONNX Runtime may hold for tensors while models\n"
        "                               run, all models together; a run that needs more is\n"
        "                               answered 503 (default: a quarter of the\n"
        "                               machine's memory, at most 2147483648; 0 = none)\n"
        "  --max-image-pixels N         largest image /classify decodes, width x height\n"
        "                               (default 100000000)\n"
        "  --port-file F                once the models are loaded (ready), write\n"
        "                               \"http=N\\nmetrics=N\\ngrpc=N\\n\" to F (the ports answer\n"
        "                               /v2/health/live while the models load)\n"
        "  --allow-client-shm           let clients register POSIX shared-memory regions for\n"
        "                               tensors (Triton's system_shared_memory; off by default)\n"
        "  --no-ui                      do not serve the web console (GET / and /ui/...)\n"
        "\n"
        "security (docs/security.md):\n"
        "  --tls-cert FILE --tls-key FILE  HTTPS on every port (PEM certificate chain and key)\n"
        "  --tls-client-ca FILE         mutual TLS: require client certificates from these CAs\n"
        "  --api-keys FILE              require 'Authorization: Bearer KEY' with the route's\n"
        "                               scope ('NAME sha256:HEX SCOPES' lines; see\n"
        "                               'edgeinfer keygen --api-key')\n"
        "  --auth-health                with --api-keys: health needs the 'health' scope too\n"
        "  --trusted-keys DIR           check model signatures (MODEL.sig) against DIR/*.pub\n"
        "  --require-signed-models      with --trusted-keys: refuse unsigned models\n"
        "  --model-key-file FILE        key of encrypted models (model.onnx.enc; default:\n"
        "                               $EDGEINFER_MODEL_KEY)\n"
        "\n"
        "Access log lines go to stdout, the rest to stderr. SIGTERM or SIGINT stops accepting,\n"
        "answers the requests already accepted and exits 0. SIGHUP re-reads the TLS\n"
        "certificate, key and client CA, and the API keys (a bad file keeps the old ones).\n");
}

static void now_iso(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char tmp[32];
    strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03ldZ", tmp, ts.tv_nsec / 1000000L);
}

/* Library messages (model loading, the runtime...), in the same format as the server's lines. */
static void lib_sink(ei_log_level_t level, const char *component, const char *msg, void *user)
{
    (void)user;
    char ts[48];
    now_iso(ts, sizeof ts);
    pthread_mutex_lock(&out_lock);
    if (json_logs) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ts", ts, "level", ei_log_level_name(level),
                      "stream", "server", "component", component, "msg", msg, "req", "-");
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s)
            fprintf(stderr, "%s\n", s);
        free(s);
        json_decref(o);
    } else {
        char up[8];
        size_t i = 0;
        for (const char *p = ei_log_level_name(level); *p && i < sizeof up - 1; p++)
            up[i++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        up[i] = '\0';
        fprintf(stderr, "%s %s %s %s req=- model=-\n", ts, up, component, msg);
    }
    pthread_mutex_unlock(&out_lock);
}

static void server_sink(ei_server_log_stream_t stream, const char *line, void *user)
{
    (void)user;
    FILE *f = stream == EI_SERVER_LOG_ACCESS ? stdout : stderr;
    pthread_mutex_lock(&out_lock);
    fputs(line, f);
    fputc('\n', f);
    pthread_mutex_unlock(&out_lock);
}

static int write_port_file(const char *path, int http, int metrics, int grpc)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        ei_cli_errorc(EI_EIO, "port file '%s': %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "http=%d\nmetrics=%d\ngrpc=%d\n", http, metrics, grpc);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        ei_cli_errorc(EI_EIO, "port file '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* --max-run-memory's default: a quarter of the machine's memory, at most 2 GiB. */
static size_t default_run_memory(void)
{
    const size_t cap = (size_t)2 << 30;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return cap;
    uint64_t quarter = (uint64_t)pages * (uint64_t)page / 4;
    return quarter < cap ? (size_t)quarter : cap;
}

static int run_serve(int argc, char **argv)
{
    ei_server_opts_t o;
    ei_server_opts_init(&o);
    const char *port_file = NULL;
    const char **models = NULL;
    size_t n_models = 0;
    size_t run_memory = default_run_memory(); /* --max-run-memory */
    char *cors = NULL, *hosts = NULL;         /* comma-joined repeatable flags */
    long long v = 0;
    int rc = EI_EXIT_OK;
    ei_server_t *srv = NULL;
    ei_error_t err = {0};
    models = calloc((size_t)argc, sizeof *models);
    if (!models) {
        ei_cli_errorc(EI_ENOMEM, "out of memory");
        return EI_EXIT_FAILURE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            goto out;
        }
#define NEED_VALUE()                                                                               \
    do {                                                                                           \
        if (!val) {                                                                                \
            rc = ei_cli_usage_error("serve", "option '%s' needs a value", a);                      \
            goto out;                                                                              \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
#define INT_VALUE(lo, hi)                                                                          \
    do {                                                                                           \
        NEED_VALUE();                                                                              \
        if (!ei_cli_parse_int(val, lo, hi, &v)) {                                                  \
            rc = ei_cli_usage_error("serve", "%s '%s': expected an integer in %lld..%lld", a, val, \
                                    (long long)(lo), (long long)(hi));                             \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)
        if (strcmp(a, "--model-repository") == 0) {
            NEED_VALUE();
            o.model_repository = val;
        } else if (strcmp(a, "--http-address") == 0) {
            NEED_VALUE();
            o.http_address = val;
        } else if (strcmp(a, "--http-port") == 0) {
            INT_VALUE(0, 65535);
            o.http_port = (int)v;
        } else if (strcmp(a, "--metrics-port") == 0) {
            INT_VALUE(-1, 65535);
            o.metrics_port = (int)v;
        } else if (strcmp(a, "--grpc-port") == 0) {
            INT_VALUE(-1, 65535);
            o.grpc_port = (int)v;
        } else if (strcmp(a, "--grpc-address") == 0) {
            NEED_VALUE();
            o.grpc_address = val;
        } else if (strcmp(a, "--grpc-max-message-bytes") == 0) {
            INT_VALUE(1, 2147483647);
            o.grpc_max_message_bytes = (size_t)v;
        } else if (strcmp(a, "--grpc-threads") == 0) {
            INT_VALUE(1, 256);
            o.grpc_threads = (int)v;
        } else if (strcmp(a, "--grpc-infer-response-compression-level") == 0) {
            NEED_VALUE();
            static const char *const levels[] = {"none", "low", "medium", "high"};
            int level = -1;
            for (int k = 0; k < 4; k++)
                if (strcmp(val, levels[k]) == 0)
                    level = k;
            if (level < 0) {
                rc = ei_cli_usage_error("serve", "%s '%s': expected none, low, medium or high", a,
                                        val);
                goto out;
            }
            o.grpc_compression_level = level;
        } else if (strcmp(a, "--model-control-mode") == 0) {
            NEED_VALUE();
            if (strcmp(val, "none") == 0)
                o.model_control_mode = EI_SERVER_CONTROL_NONE;
            else if (strcmp(val, "poll") == 0)
                o.model_control_mode = EI_SERVER_CONTROL_POLL;
            else if (strcmp(val, "explicit") == 0)
                o.model_control_mode = EI_SERVER_CONTROL_EXPLICIT;
            else {
                rc = ei_cli_usage_error(
                    "serve", "--model-control-mode '%s': expected none, poll or explicit", val);
                goto out;
            }
        } else if (strcmp(a, "--repository-poll-secs") == 0) {
            INT_VALUE(1, 86400);
            o.repository_poll_secs = (int)v;
        } else if (strcmp(a, "--load-model") == 0) {
            NEED_VALUE();
            models[n_models++] = val;
        } else if (strcmp(a, "--log-format") == 0) {
            NEED_VALUE();
            if (strcmp(val, "text") == 0)
                o.log_format = EI_SERVER_LOG_TEXT;
            else if (strcmp(val, "json") == 0)
                o.log_format = EI_SERVER_LOG_JSON;
            else {
                rc = ei_cli_usage_error("serve", "--log-format '%s': expected text or json", val);
                goto out;
            }
        } else if (strcmp(a, "--log-verbose") == 0) {
            INT_VALUE(0, 10);
            o.log_verbose = (int)v;
        } else if (strcmp(a, "--http-threads") == 0) {
            INT_VALUE(1, 256);
            o.http_threads = (int)v;
        } else if (strcmp(a, "--max-body-bytes") == 0) {
            INT_VALUE(1, (long long)1 << 40);
            o.limits.max_body_bytes = (size_t)v;
        } else if (strcmp(a, "--max-connections") == 0) {
            INT_VALUE(1, 1000000);
            o.limits.max_connections = (unsigned)v;
        } else if (strcmp(a, "--connection-timeout") == 0) {
            INT_VALUE(1, 86400);
            o.limits.connection_timeout_secs = (unsigned)v;
        } else if (strcmp(a, "--shutdown-timeout") == 0) {
            INT_VALUE(0, 86400);
            o.shutdown_timeout_secs = (unsigned)v;
        } else if (strcmp(a, "--image-workers") == 0) {
            INT_VALUE(1, 256);
            o.image_workers = (unsigned)v;
        } else if (strcmp(a, "--image-queue") == 0) {
            INT_VALUE(0, 1000000);
            o.image_queue = (unsigned)v;
        } else if (strcmp(a, "--max-memory") == 0) {
            INT_VALUE(0, 1LL << 50);
            o.max_memory_bytes = (size_t)v;
        } else if (strcmp(a, "--max-run-memory") == 0) {
            INT_VALUE(0, 1LL << 50);
            run_memory = (size_t)v;
        } else if (strcmp(a, "--max-image-pixels") == 0) {
            INT_VALUE(1, 1000000000000LL);
            o.max_image_pixels = (uint64_t)v;
        } else if (strcmp(a, "--request-timeout") == 0) {
            INT_VALUE(0, 86400);
            o.request_timeout_secs = (unsigned)v;
        } else if (strcmp(a, "--min-transfer-rate") == 0) {
            INT_VALUE(0, 1LL << 30);
            o.min_transfer_rate = (unsigned)v;
        } else if (strcmp(a, "--max-connections-per-ip") == 0) {
            INT_VALUE(0, 1000000);
            o.max_connections_per_ip = (unsigned)v;
        } else if (strcmp(a, "--cors-allow-origin") == 0 || strcmp(a, "--allowed-host") == 0) {
            NEED_VALUE();
            char **list = a[2] == 'c' ? &cors : &hosts;
            size_t len = (*list ? strlen(*list) + 1 : 0) + strlen(val) + 1;
            char *p = realloc(*list, len);
            if (!p) {
                ei_cli_error("out of memory");
                rc = EI_EXIT_FAILURE;
                goto out;
            }
            if (*list)
                strcat(strcat(p, ","), val);
            else
                strcpy(p, val);
            *list = p;
        } else if (strcmp(a, "--allow-client-shm") == 0) {
            o.allow_client_shm = true;
        } else if (strcmp(a, "--no-ui") == 0) {
            o.no_ui = true;
        } else if (strcmp(a, "--port-file") == 0) {
            NEED_VALUE();
            port_file = val;
        } else if (strcmp(a, "--tls-cert") == 0) {
            NEED_VALUE();
            o.tls_cert = val;
        } else if (strcmp(a, "--tls-key") == 0) {
            NEED_VALUE();
            o.tls_key = val;
        } else if (strcmp(a, "--tls-client-ca") == 0) {
            NEED_VALUE();
            o.tls_client_ca = val;
        } else if (strcmp(a, "--api-keys") == 0) {
            NEED_VALUE();
            o.api_keys = val;
        } else if (strcmp(a, "--auth-health") == 0) {
            o.auth_health = true;
        } else if (strcmp(a, "--trusted-keys") == 0) {
            NEED_VALUE();
            o.trusted_keys = val;
        } else if (strcmp(a, "--require-signed-models") == 0) {
            o.require_signed_models = true;
        } else if (strcmp(a, "--model-key-file") == 0) {
            NEED_VALUE();
            o.model_key_file = val;
        } else {
            rc = ei_cli_usage_error("serve", "unknown option '%s'", a);
            goto out;
        }
#undef INT_VALUE
#undef NEED_VALUE
    }
    if (!o.model_repository) {
        rc = ei_cli_usage_error("serve", "--model-repository DIR is required");
        goto out;
    }
    if ((o.tls_cert != NULL) != (o.tls_key != NULL) || (o.tls_client_ca && !o.tls_cert)) {
        rc = ei_cli_usage_error("serve", "--tls-cert and --tls-key go together (and "
                                         "--tls-client-ca needs them)");
        goto out;
    }
    if ((o.auth_health && !o.api_keys) || (o.require_signed_models && !o.trusted_keys)) {
        rc = ei_cli_usage_error("serve", "%s",
                                o.auth_health ? "--auth-health needs --api-keys FILE"
                                              : "--require-signed-models needs --trusted-keys DIR");
        goto out;
    }
    if (n_models && o.model_control_mode != EI_SERVER_CONTROL_EXPLICIT) {
        rc = ei_cli_usage_error("serve", "--load-model needs --model-control-mode explicit");
        goto out;
    }
    o.load_models = models;
    o.n_load_models = n_models;
    o.cors_allow_origins = cors;
    o.allowed_hosts = hosts;
    json_logs = o.log_format == EI_SERVER_LOG_JSON;
    o.log_fn = server_sink;
    o.use_global_threads = true;

    /* Block the stop signals in this thread before any other starts, so every thread inherits
     * the mask and only sigwait() below ever takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    /* A shell starts background jobs with SIGINT ignored, and an ignored signal is discarded
     * even while blocked: restore the default action so that sigwait() can take it. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    rc = ei_cli_init_runtime_limited(o.log_verbose >= 2 ? EI_LOG_DEBUG : EI_LOG_INFO, true, 0,
                                     run_memory);
    if (rc != EI_EXIT_OK)
        goto out;
    ei_log_set(lib_sink, NULL);
    if (ei_server_create(&o, &srv, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "starting the server");
        goto out;
    }
    if (ei_server_start(srv, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "starting the server");
        goto out;
    }
    /* Live (the ports answer) from here; the port file is written once the models are loaded. */
    if (ei_server_wait_loaded(srv, &err) != EI_OK) {
        rc = ei_cli_fail(&err, "loading the model repository");
        goto out;
    }
    if (port_file && write_port_file(port_file, ei_server_http_port(srv),
                                     ei_server_metrics_port(srv), ei_server_grpc_port(srv)) != 0) {
        rc = EI_EXIT_FAILURE;
        goto out;
    }
    /* SIGHUP re-reads the TLS certificate and the API keys (the server logs the outcome);
     * SIGTERM and SIGINT stop. */
    for (;;) {
        int sig = 0;
        if (sigwait(&stop, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        ei_error_t herr = {0};
        (void)!ei_server_reload_credentials(srv, &herr);
    }
    ei_server_stop(srv);
out:
    ei_server_destroy(srv);
    free(models);
    free(cors);
    free(hosts);
    return rc;
}

const ei_cli_command_t ei_cli_cmd_serve = {
    "serve", run_serve,
    "serve a model repository over KServe v2 / Triton HTTP and gRPC (with metrics)"};
