/* SPDX-License-Identifier: MIT */
/*
 * A closed-loop gRPC load generator for bench/server/grpc_bench.py (what wrk is for HTTP): N calls
 * of one unary method always in flight on one channel, each sending the same serialized request,
 * for a fixed time. Prints requests/s, latency p50/p99 (ms) and the count of non-OK answers as one
 * line of JSON. gRPC's C core only (no stubs): the body is a ready-made message.
 *
 * Usage: ei_bench_grpc_load HOST:PORT /pkg.Service/Method BODY_FILE CONCURRENCY SECONDS
 */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct slot {
    grpc_call *call;
    grpc_byte_buffer *send; /* a copy per call: a sent buffer's contents are consumed */
    grpc_metadata_array md_in, trailers;
    grpc_byte_buffer *recv;
    grpc_status_code status;
    grpc_slice details;
    double t0;
} slot_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static grpc_channel *ch;
static grpc_completion_queue *cq;
static grpc_slice method;
static grpc_byte_buffer *body;

static int start(slot_t *s)
{
    s->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL,
                                       gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_metadata_array_init(&s->md_in);
    grpc_metadata_array_init(&s->trailers);
    s->recv = NULL;
    s->t0 = now_s();
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    s->send = grpc_byte_buffer_copy(body);
    ops[1].data.send_message.send_message = s->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->md_in;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &s->recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &s->trailers;
    ops[5].data.recv_status_on_client.status = &s->status;
    ops[5].data.recv_status_on_client.status_details = &s->details;
    return grpc_call_start_batch(s->call, ops, 6, s, NULL) == GRPC_CALL_OK ? 0 : -1;
}

static void finish(slot_t *s)
{
    if (s->recv)
        grpc_byte_buffer_destroy(s->recv);
    grpc_byte_buffer_destroy(s->send);
    grpc_slice_unref(s->details);
    grpc_metadata_array_destroy(&s->md_in);
    grpc_metadata_array_destroy(&s->trailers);
    grpc_call_unref(s->call);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST:PORT METHOD BODY CONCURRENCY SECONDS\n", argv[0]);
        return 2;
    }
    int conc = atoi(argv[4]);
    double secs = atof(argv[5]);
    FILE *f = fopen(argv[3], "rb");
    if (!f || conc < 1 || secs <= 0) {
        fprintf(stderr, "grpc_load: bad arguments or unreadable body '%s'\n", argv[3]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "grpc_load: cannot read the body\n");
        return 2;
    }
    fclose(f);
    grpc_init();
    grpc_slice sl = grpc_slice_from_copied_buffer(buf, (size_t)n);
    body = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);
    free(buf);
    method = grpc_slice_from_copied_string(argv[2]);
    grpc_arg arg = {GRPC_ARG_INTEGER, (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, {.integer = -1}};
    grpc_channel_args args = {1, &arg};
    grpc_channel_credentials *cr = grpc_insecure_credentials_create();
    ch = grpc_channel_create(argv[1], cr, &args);
    grpc_channel_credentials_release(cr);
    cq = grpc_completion_queue_create_for_next(NULL);
    slot_t *slots = calloc((size_t)conc, sizeof *slots);
    size_t cap = 1 << 20, nlat = 0;
    double *lat = malloc(cap * sizeof *lat);
    long errors = 0, done = 0, live = 0;
    double t_start = now_s(), t_end = t_start + secs;
    for (int i = 0; i < conc; i++)
        if (start(&slots[i]) == 0)
            live++;
    while (live > 0) {
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            break;
        slot_t *s = ev.tag;
        double t = now_s();
        if (!ev.success || s->status != GRPC_STATUS_OK) {
            if (errors++ == 0)
                fprintf(stderr, "grpc_load: first error: status %d: %.*s\n", (int)s->status,
                        (int)GRPC_SLICE_LENGTH(s->details),
                        (const char *)GRPC_SLICE_START_PTR(s->details));
        }
        done++;
        if (nlat < cap)
            lat[nlat++] = (t - s->t0) * 1000.0;
        finish(s);
        live--;
        if (t < t_end && start(s) == 0)
            live++;
    }
    double elapsed = now_s() - t_start;
    qsort(lat, nlat, sizeof *lat, cmp_double);
    printf("{\"requests_per_s\": %.2f, \"requests\": %ld, \"errors\": %ld, \"p50_ms\": %.3f, "
           "\"p99_ms\": %.3f}\n",
           (double)done / elapsed, done, errors, nlat ? lat[nlat / 2] : 0.0,
           nlat ? lat[(size_t)((double)nlat * 0.99)] : 0.0);
    free(lat);
    free(slots);
    grpc_byte_buffer_destroy(body);
    grpc_slice_unref(method);
    grpc_channel_destroy(ch);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(cq);
    grpc_shutdown();
    return 0;
}
