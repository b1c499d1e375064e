/* SPDX-License-Identifier: MIT */
/*
 * The sequence batcher on the model side, in process: the bundled silero VAD streamed in 512-sample
 * chunks as two interleaved sequences whose LSTM state (h, c) the server keeps gives the speech
 * probabilities of the same chunks run straight on an ei_session_t with the state carried by hand
 * (<= 1e-5); the idle limit, driven by the test clock (no sleeping); the direct strategy's backlog
 * (a second sequence waits for the only slot, runs when the first ends, and a stopping model drains
 * it); and sequence_batching config errors, each naming what is wrong.
 */
#define _XOPEN_SOURCE 700
#include "ei_util.h"
#include "model_repo.h"
#include "sequence.h"
#include "test.h"

#include <edgeinfer/runtime.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

static void new_root(void)
{
    snprintf(root, sizeof(root), "/tmp/ei_test_seq_XXXXXX");
    if (mkdtemp(root) == NULL)
        abort();
}

static void drop_root(void)
{
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put_model(const char *name, const char *src, const char *config)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s/%s", root, name);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/%s/1", root, name);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/%s/1/model.onnx", root, name);
    FILE *in = fopen(src, "rb"), *out = fopen(p, "wb");
    if (in == NULL || out == NULL)
        abort();
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    snprintf(p, sizeof(p), "%s/%s/config.pbtxt", root, name);
    out = fopen(p, "wb");
    if (out == NULL)
        abort();
    fputs(config, out);
    fclose(out);
}

/* One request in flight, with its own inputs and a completion flag. */
typedef struct call {
    ei__infer_req_t req;
    const char *names[2];
    ei_tensor_t *in[2];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} call_t;

static void on_done(ei__infer_req_t *r)
{
    call_t *c = r->user;
    pthread_mutex_lock(&c->mu);
    c->done = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static ei_code_t submit(ei__model_t *m, call_t *c, size_t n_in, uint64_t id, const char *sid,
                        bool start, bool end, ei_error_t *err)
{
    memset(&c->req, 0, sizeof(c->req));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->done = false;
    c->req.n_inputs = n_in;
    c->req.input_names = c->names;
    c->req.inputs = c->in;
    c->req.done = on_done;
    c->req.user = c;
    c->req.received_ns = ei__now_ns();
    c->req.seq_id = id;
    c->req.seq_id_str = sid;
    c->req.seq_start = start;
    c->req.seq_end = end;
    return ei__model_submit(m, &c->req, err);
}

static void wait_call(call_t *c)
{
    pthread_mutex_lock(&c->mu);
    while (!c->done)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

static void free_call(call_t *c)
{
    for (size_t i = 0; i < c->req.n_results; i++)
        ei_tensor_destroy(c->req.results[i]);
    ei__free(c->req.results);
    c->req.results = NULL;
    c->req.n_results = 0;
    for (size_t i = 0; i < 2; i++) {
        ei_tensor_destroy(c->in[i]);
        c->in[i] = NULL;
    }
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

static const ei_tensor_t *result(const call_t *c, const char *name)
{
    for (size_t i = 0; i < c->req.n_results; i++) {
        if (strcmp(c->req.result_names[i], name) == 0)
            return c->req.results[i];
    }
    return NULL;
}

/* A deterministic test signal: tone bursts over low noise, different per stream. */
static void make_audio(float *a, size_t n, double hz, unsigned seed)
{
    unsigned x = seed;
    for (size_t k = 0; k < n; k++) {
        x = x * 1103515245u + 12345u;
        double noise = ((double)((x >> 8) & 0xffff) / 65535.0 - 0.5) * 0.04;
        double env = (k / 4000) % 2 ? 1.0 : 0.05;
        a[k] = (float)(0.4 * sin(2 * M_PI * hz * (double)k / 16000.0) * env + noise);
    }
}

#define CHUNK 512
#define CHUNKS 10

TEST(vad_state_kept_by_the_server)
{
    const char *models = getenv("EI_MODELS");
    char vad[1024];
    snprintf(vad, sizeof(vad), "%s/vad/silero_vad.onnx", models != NULL ? models : ".deps/models");
    if (access(vad, R_OK) != 0) {
        fprintf(stderr, "skip: %s missing\n", vad);
        return;
    }
    new_root();
    put_model("vad", vad,
              "max_batch_size: 0\ninstance_group [ { count: 2 } ]\n"
              "sequence_batching {\n  max_sequence_idle_microseconds: 600000000\n"
              "  state [ { input_name: \"h\" output_name: \"hn\" data_type: TYPE_FP32 dims: [2, 1, "
              "64] },\n"
              "          { input_name: \"c\" output_name: \"cn\" data_type: TYPE_FP32 dims: [2, 1, "
              "64] } ]\n}\n");
    ei__repo_opts_t o = {0};
    o.path = root;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "vad", -1, &m, &err), &err);

    static float audio[2][CHUNK * CHUNKS];
    make_audio(audio[0], CHUNK * CHUNKS, 220.0, 1);
    make_audio(audio[1], CHUNK * CHUNKS, 660.0, 2);

    /* The reference: the session itself, the state carried by hand. */
    float ref[2][CHUNKS];
    ei_session_t *s = NULL;
    ASSERT_OK(ei_session_create(vad, NULL, &s, &err), &err);
    for (int q = 0; q < 2; q++) {
        int64_t in_shape[2] = {1, CHUNK}, st_shape[3] = {2, 1, 64};
        ei_tensor_t *h = NULL, *c = NULL, *sr = NULL;
        ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, st_shape, 3, &h, &err), &err);
        ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, st_shape, 3, &c, &err), &err);
        ASSERT_OK(ei_tensor_create(EI_DTYPE_INT64, NULL, 0, &sr, &err), &err);
        *(int64_t *)ei_tensor_data(sr) = 16000;
        for (int k = 0; k < CHUNKS; k++) {
            ei_tensor_t *x = NULL;
            ASSERT_OK(ei_tensor_wrap(EI_DTYPE_FLOAT32, in_shape, 2, audio[q] + k * CHUNK,
                                     CHUNK * sizeof(float), &x, &err),
                      &err);
            const char *names[4] = {"input", "sr", "h", "c"};
            ei_tensor_t *ins[4] = {x, sr, h, c};
            const char *onames[3] = {"output", "hn", "cn"};
            ei_tensor_t *outs[3] = {NULL, NULL, NULL};
            ASSERT_OK(ei_session_run(s, names, ins, 4, onames, outs, 3, &err), &err);
            ref[q][k] = ((const float *)ei_tensor_data(outs[0]))[0];
            ei_tensor_destroy(x);
            ei_tensor_destroy(outs[0]);
            ei_tensor_destroy(h);
            ei_tensor_destroy(c);
            h = outs[1];
            c = outs[2];
        }
        ei_tensor_destroy(h);
        ei_tensor_destroy(c);
        ei_tensor_destroy(sr);
    }
    ei_session_destroy(s);

    /* The server: two sequences (a number and a string ID), interleaved chunk by chunk, each
     * pair submitted before either is awaited so they may run side by side. */
    double worst = 0, apart = 0;
    for (int k = 0; k < CHUNKS; k++) {
        call_t calls[2];
        memset(calls, 0, sizeof(calls));
        for (int q = 0; q < 2; q++) {
            int64_t in_shape[2] = {1, CHUNK};
            call_t *c = &calls[q];
            c->names[0] = "input";
            c->names[1] = "sr";
            ASSERT_OK(ei_tensor_wrap(EI_DTYPE_FLOAT32, in_shape, 2, audio[q] + k * CHUNK,
                                     CHUNK * sizeof(float), &c->in[0], &err),
                      &err);
            ASSERT_OK(ei_tensor_create(EI_DTYPE_INT64, NULL, 0, &c->in[1], &err), &err);
            *(int64_t *)ei_tensor_data(c->in[1]) = 16000;
            ASSERT_OK(submit(m, c, 2, q == 0 ? 7 : 0, q == 0 ? NULL : "stream-b", k == 0,
                             k == CHUNKS - 1, &err),
                      &err);
        }
        for (int q = 0; q < 2; q++) {
            wait_call(&calls[q]);
            ASSERT_OK(calls[q].req.code, &calls[q].req.err);
            const ei_tensor_t *p = result(&calls[q], "output");
            ASSERT_NOT_NULL(p);
            ASSERT_TRUE(result(&calls[q], "hn") == NULL); /* the state stays in the server */
            double d = fabs(((const float *)ei_tensor_data(p))[0] - ref[q][k]);
            worst = d > worst ? d : worst;
            free_call(&calls[q]);
        }
        double sep = fabs(ref[0][k] - ref[1][k]);
        apart = sep > apart ? sep : apart;
    }
    fprintf(stderr, "vad: worst difference %.3g over %d chunks x 2 sequences\n", worst, CHUNKS);
    ASSERT_TRUE(worst <= 1e-5);
    ASSERT_TRUE(apart > 1e-3); /* the streams differ, so a mix-up would show */
    ei__model_release(m);
    ei__repo_destroy(r);
    drop_root();
}

static const char *simple_sequence_config(const char *name, const char *extra)
{
    static char buf[2048];
    snprintf(buf, sizeof(buf),
             "name: \"%s\"\nmax_batch_size: 8\n"
             "sequence_batching {\n  max_sequence_idle_microseconds: 600000000\n%s"
             "  control_input [ { name: \"START\" control [ { kind: CONTROL_SEQUENCE_START "
             "int32_false_true: [0, 1] } ] },\n"
             "                  { name: \"READY\" control [ { kind: CONTROL_SEQUENCE_READY "
             "int32_false_true: [0, 1] } ] } ]\n}\n"
             "input [ { name: \"INPUT\" data_type: TYPE_INT32 dims: [ 1 ] } ]\n"
             "output [ { name: \"OUTPUT\" data_type: TYPE_INT32 dims: [ 1 ] } ]\n",
             name, extra);
    return buf;
}

static void simple_model_path(char *buf, size_t size)
{
    const char *src = getenv("EI_SOURCE_DIR");
    snprintf(buf, size, "%s/tests/data/seq_repo/simple_sequence/1/model.onnx",
             src != NULL ? src : ".");
}

/* One int32 value through simple_sequence; returns the request's code, *out its OUTPUT. */
static ei_code_t one(ei__model_t *m, int32_t v, uint64_t id, bool start, bool end, int32_t *out,
                     ei_error_t *err)
{
    call_t c;
    memset(&c, 0, sizeof(c));
    int64_t shape[2] = {1, 1};
    c.names[0] = "INPUT";
    ei_code_t rc = ei_tensor_create(EI_DTYPE_INT32, shape, 2, &c.in[0], err);
    if (rc != EI_OK)
        return rc;
    *(int32_t *)ei_tensor_data(c.in[0]) = v;
    rc = submit(m, &c, 1, id, NULL, start, end, err);
    if (rc == EI_OK) {
        wait_call(&c);
        rc = c.req.code;
        if (rc != EI_OK)
            *err = c.req.err;
        else
            *out = *(const int32_t *)ei_tensor_data(c.req.results[0]);
    }
    free_call(&c);
    return rc;
}

TEST(idle_limit_follows_the_test_clock)
{
    char model[1024];
    simple_model_path(model, sizeof(model));
    new_root();
    put_model("seq", model, simple_sequence_config("seq", ""));
    ei__repo_opts_t o = {0};
    o.path = root;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "seq", -1, &m, &err), &err);
    int32_t v = 0;
    ASSERT_OK(one(m, 3, 5, true, false, &v, &err), &err);
    ASSERT_EQ(v, 4);
    ASSERT_OK(one(m, 3, 5, false, false, &v, &err), &err); /* 600 s have not passed */
    ASSERT_EQ(v, 3);
    /* 601 s later (on the test clock) the sequence is gone, and its next request says why. */
    ei__seqs_test_advance_clock(601ull * 1000000000ull);
    ASSERT_EQ(one(m, 3, 5, false, false, &v, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "inference request for sequence 5 to model 'seq' must specify the "
                             "START flag on the first request of the sequence");
    ASSERT_CONTAINS(err.msg, "idle for longer than max_sequence_idle_microseconds 600000000");
    /* An ID never seen gets the plain message. */
    ASSERT_EQ(one(m, 3, 6, false, false, &v, &err), EI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "idle") == NULL);
    /* A new START with the expired ID works. */
    ASSERT_OK(one(m, 2, 5, true, true, &v, &err), &err);
    ASSERT_EQ(v, 3);
    ei__model_release(m);
    ei__repo_destroy(r);
    drop_root();
}

TEST(direct_backlog_waits_for_a_slot)
{
    char model[1024];
    simple_model_path(model, sizeof(model));
    new_root();
    /* max_batch_size 1 and one instance: one slot. */
    char cfg[2048];
    snprintf(cfg, sizeof(cfg), "%s", simple_sequence_config("one", "  direct { }\n"));
    char *mbs = strstr(cfg, "max_batch_size: 8");
    mbs[16] = '1';
    put_model("one", model, cfg);
    ei__repo_opts_t o = {0};
    o.path = root;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "one", -1, &m, &err), &err);
    int32_t v = 0;
    ASSERT_OK(one(m, 10, 1, true, false, &v, &err), &err);
    ASSERT_EQ(v, 11);
    /* Sequence 2 starts while 1 holds the slot: it is accepted and waits. */
    call_t c2;
    memset(&c2, 0, sizeof(c2));
    int64_t shape[2] = {1, 1};
    c2.names[0] = "INPUT";
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT32, shape, 2, &c2.in[0], &err), &err);
    *(int32_t *)ei_tensor_data(c2.in[0]) = 20;
    ASSERT_OK(submit(m, &c2, 1, 2, NULL, true, true, &err), &err);
    ASSERT_OK(one(m, 1, 1, false, true, &v, &err), &err); /* ends 1: the slot goes to 2 */
    ASSERT_EQ(v, 1);
    wait_call(&c2);
    ASSERT_OK(c2.req.code, &c2.req.err);
    ASSERT_EQ(*(const int32_t *)ei_tensor_data(c2.req.results[0]), 21);
    free_call(&c2);

    /* A backlogged request when the model goes away still gets its answer. */
    ASSERT_OK(one(m, 10, 3, true, false, &v, &err), &err);
    call_t c4;
    memset(&c4, 0, sizeof(c4));
    c4.names[0] = "INPUT";
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT32, shape, 2, &c4.in[0], &err), &err);
    *(int32_t *)ei_tensor_data(c4.in[0]) = 40;
    ASSERT_OK(submit(m, &c4, 1, 4, NULL, true, false, &err), &err);
    ei__model_release(m);
    ei__repo_destroy(r); /* drains: sequence 4 runs although 3 never ended */
    wait_call(&c4);
    ASSERT_OK(c4.req.code, &c4.req.err);
    ASSERT_EQ(*(const int32_t *)ei_tensor_data(c4.req.results[0]), 41);
    free_call(&c4);
    drop_root();
}

TEST(oldest_batches_across_sequences)
{
    const char *src = getenv("EI_SOURCE_DIR");
    char model[1024];
    snprintf(model, sizeof(model), "%s/tests/data/seq_repo/seq_accumulate/1/model.onnx",
             src != NULL ? src : ".");
    new_root();
    /* Waits (600 s) until three sequences have a request ready, then runs them as one batch. */
    put_model("acc", model,
              "max_batch_size: 4\nsequence_batching {\n  max_sequence_idle_microseconds: "
              "600000000\n"
              "  oldest { max_candidate_sequences: 3 preferred_batch_size: [ 3 ] "
              "max_queue_delay_microseconds: 600000000 }\n"
              "  control_input [ { name: \"START\" control [ { kind: CONTROL_SEQUENCE_START "
              "bool_false_true: [ false, true ] } ] } ]\n"
              "  state [ { input_name: \"INPUT_STATE\" output_name: \"OUTPUT_STATE\" data_type: "
              "TYPE_INT32 dims: [ -1 ] } ]\n}\n"
              "input [ { name: \"INPUT\" data_type: TYPE_INT32 dims: [ -1 ] } ]\n"
              "output [ { name: \"OUTPUT\" data_type: TYPE_INT32 dims: [ -1 ] } ]\n");
    ei__repo_opts_t o = {0};
    o.path = root;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "acc", -1, &m, &err), &err);
    for (int step = 0; step < 2; step++) {
        call_t calls[3];
        memset(calls, 0, sizeof(calls));
        for (int q = 0; q < 3; q++) {
            int64_t shape[2] = {1, 3};
            calls[q].names[0] = "INPUT";
            ASSERT_OK(ei_tensor_create(EI_DTYPE_INT32, shape, 2, &calls[q].in[0], &err), &err);
            int32_t *d = ei_tensor_data(calls[q].in[0]);
            for (int k = 0; k < 3; k++)
                d[k] = (q + 1) * 10 + k;
            ASSERT_OK(submit(m, &calls[q], 1, (uint64_t)q + 1, NULL, step == 0, step == 1, &err),
                      &err);
        }
        for (int q = 0; q < 3; q++) {
            wait_call(&calls[q]);
            ASSERT_OK(calls[q].req.code, &calls[q].req.err);
            const int32_t *y = ei_tensor_data(calls[q].req.results[0]);
            for (int k = 0; k < 3; k++)
                ASSERT_EQ(y[k], (step + 1) * ((q + 1) * 10 + k)); /* each its own running sum */
            free_call(&calls[q]);
        }
    }
    /* Two runs, each of three requests (one per sequence), states concatenated and split back. */
    ei__model_stats_t *st = ei__model_stats(m);
    ASSERT_EQ(atomic_load(&st->execution_count), 2);
    ASSERT_EQ(atomic_load(&st->batch_count[2]), 2);
    ei__model_release(m);
    ei__repo_destroy(r);
    drop_root();
}

static char rows[8192];

static void collect(const ei__repo_entry_t *e, void *user)
{
    (void)user;
    size_t n = strlen(rows);
    snprintf(rows + n, sizeof(rows) - n, "%s@%lld %s %s\n", e->name, (long long)e->version,
             e->state, e->reason);
}

static void expect_parse_error(const char *sb, const char *needle)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "max_batch_size: 8\nsequence_batching {\n%s\n}\n"
             "input [ { name: \"INPUT\" data_type: TYPE_INT32 dims: [ 1 ] } ]\n",
             sb);
    ei__model_config_t *c = NULL;
    ei_error_t err = {0};
    ASSERT_EQ(ei__model_config_parse(text, strlen(text), "cfg", &c, &err), EI_EFORMAT);
    ASSERT_NULL(c);
    ASSERT_CONTAINS(err.msg, needle);
}

TEST(config_errors)
{
    expect_parse_error("control_input [ { name: \"S\" control [ { int32_false_true: [0, 1] } ] } ]",
                       "missing 'kind'");
    expect_parse_error("control_input [ { name: \"S\" control [ { kind: CONTROL_SEQUENCE_START } ] "
                       "} ]",
                       "needs int32_false_true, fp32_false_true or bool_false_true");
    expect_parse_error("control_input [ { name: \"S\" control [ { kind: CONTROL_SEQUENCE_START "
                       "int32_false_true: [0, 1, 2] } ] } ]",
                       "exactly two values");
    expect_parse_error("control_input [ { name: \"S\" control [ { kind: CONTROL_SEQUENCE_START "
                       "int32_false_true: 0 fp32_false_true: 1 } ] } ]",
                       "mixes two kinds");
    expect_parse_error("control_input [ { name: \"C\" control [ { kind: CONTROL_SEQUENCE_CORRID "
                       "data_type: TYPE_FP32 } ] } ]",
                       "CONTROL_SEQUENCE_CORRID needs data_type TYPE_UINT64");
    expect_parse_error("control_input [ { name: \"S\" control [ { kind: CONTROL_SEQUENCE_BEGIN "
                       "int32_false_true: [0, 1] } ] } ]",
                       "expected CONTROL_SEQUENCE_START");
    expect_parse_error("control_input [ { control [ { kind: CONTROL_SEQUENCE_START "
                       "int32_false_true: [0, 1] } ] } ]",
                       "missing 'name'");
    expect_parse_error("state [ { output_name: \"O\" data_type: TYPE_INT32 dims: [1] } ]",
                       "needs input_name and output_name");
    expect_parse_error("state [ { input_name: \"I\" output_name: \"O\" dims: [1] } ]",
                       "needs a data_type");
    expect_parse_error("state [ { input_name: \"I\" output_name: \"O\" data_type: TYPE_INT32 dims: "
                       "[-1] initial_state { data_type: TYPE_INT32 dims: [-1] zero_data: true "
                       "name: \"z\" } } ]",
                       "initial_state dims must be fixed");
    expect_parse_error("state [ { input_name: \"I\" output_name: \"O\" data_type: TYPE_INT32 dims: "
                       "[1] initial_state { dims: [1] name: \"z\" } } ]",
                       "zero_data: true or a data_file");
    expect_parse_error("oldest { max_candidate_sequences: -1 }", "max_candidate_sequences");
    expect_parse_error("control_input [ { name: \"S\" control [ { kind: CONTROL_SEQUENCE_START "
                       "int32_false_true: [0, 1] } ] } ]\n"
                       "state [ { input_name: \"S\" output_name: \"O\" data_type: TYPE_INT32 dims: "
                       "[1] } ]",
                       "feeds input 'S' twice");
    const char *both = "dynamic_batching { }\nsequence_batching { }\n";
    ei__model_config_t *c = NULL;
    ei_error_t err = {0};
    ASSERT_EQ(ei__model_config_parse(both, strlen(both), "cfg", &c, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "dynamic_batching and sequence_batching are both given");

    /* Against the model: wrong names, types and inputs the client would have to send. */
    char model[1024];
    simple_model_path(model, sizeof(model));
    new_root();
    char cfg[2048];
    snprintf(cfg, sizeof(cfg), "%s", simple_sequence_config("badname", ""));
    memcpy(strstr(cfg, "\"READY\""), "\"RAEDY\"", 7);
    put_model("badname", model, cfg);
    put_model("badtype", model,
              "max_batch_size: 8\nsequence_batching { control_input [ { name: \"START\" control [ "
              "{ kind: CONTROL_SEQUENCE_START fp32_false_true: [0, 1] } ] } ] }\n"
              "input [ { name: \"INPUT\" data_type: TYPE_INT32 dims: [ 1 ] },\n"
              "        { name: \"READY\" data_type: TYPE_INT32 dims: [ 1 ] } ]\n");
    put_model("listed", model,
              "max_batch_size: 8\nsequence_batching { control_input [ { name: \"START\" control [ "
              "{ kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] } ] }\n"
              "input [ { name: \"INPUT\" data_type: TYPE_INT32 dims: [ 1 ] },\n"
              "        { name: \"START\" data_type: TYPE_INT32 dims: [ 1 ] },\n"
              "        { name: \"READY\" data_type: TYPE_INT32 dims: [ 1 ] } ]\n");
    put_model("noready", model,
              "max_batch_size: 8\nsequence_batching { control_input [ { name: \"START\" control [ "
              "{ kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] } ] }\n");
    ei__repo_opts_t o = {0};
    o.path = root;
    ei__repo_t *r = NULL;
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    const char *want[][2] = {
        {"badname", "sequence_batching control input 'RAEDY' (CONTROL_SEQUENCE_READY) does not "
                    "exist in the model"},
        {"badtype", "sequence_batching control input 'START' (CONTROL_SEQUENCE_START) is TYPE_FP32 "
                    "in the config, TYPE_INT32 in the model"},
        {"listed", "input 'START' is a sequence_batching control; remove it from 'input'"},
        /* READY is an ordinary input then, and auto-complete asks the client for it. */
        {"noready", NULL},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ei__model_t *m = NULL;
        ei_error_t e = {0};
        ei_code_t rc = ei__repo_acquire(r, want[i][0], -1, &m, &e);
        if (want[i][1] == NULL) {
            ASSERT_OK(rc, &e);
            ASSERT_NOT_NULL(ei__model_config_input(ei__model_config(m), "READY"));
            ASSERT_NULL(ei__model_config_input(ei__model_config(m), "START"));
            ei__model_release(m);
            continue;
        }
        ASSERT_NE(rc, EI_OK);
        rows[0] = '\0';
        ei__repo_index(r, false, collect, NULL, NULL);
        ASSERT_CONTAINS(rows, want[i][1]);
    }
    ei__repo_destroy(r);
    drop_root();
}

int main(void)
{
    if (ei_global_init(NULL, NULL) != EI_OK)
        return 1;
    ei_log_set_level(EI_LOG_OFF);
    int rc =
        RUN_TESTS(vad_state_kept_by_the_server, idle_limit_follows_the_test_clock,
                  direct_backlog_waits_for_a_slot, oldest_batches_across_sequences, config_errors);
    ei_global_cleanup();
    return rc;
}
