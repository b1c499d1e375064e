/* SPDX-License-Identifier: MIT */
/*
 * The model repository on temporary repositories built from copies of the PP-OCR classifier: a
 * model that fails to load (corrupt model.onnx, broken config) is UNAVAILABLE with its reason while
 * the others serve; non-numeric and leading-zero version directories are ignored; explicit load of
 * a new version and unload (a held version keeps working until released); poll mode picks up a new
 * version, keeps serving the old one when a newer version is broken, reloads on a config change and
 * unloads a removed model.
 */
#define _XOPEN_SOURCE 700
#include "ei_util.h"
#include "model_repo.h"
#include "test.h"

#include <edgeinfer/runtime.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char root[256];

static void pathf(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/%s", root, rel);
}

static void mkdirs(const char *rel)
{
    char p[1024];
    pathf(p, sizeof(p), rel);
    for (char *s = p + strlen(root) + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

static void write_file(const char *rel, const char *text)
{
    char p[1024], tmp[1100];
    pathf(p, sizeof(p), rel);
    /* Write then rename, as a careful deployer does, so a poll never sees half a file. */
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        abort();
    fputs(text, f);
    fclose(f);
    rename(tmp, p);
}

static void copy_cls(const char *rel_dir)
{
    const char *models = getenv("EI_MODELS");
    char src[1024], dst[1024], tmp[1100];
    snprintf(src, sizeof(src), "%s/ppocr/cls.onnx", models != NULL ? models : ".deps/models");
    mkdirs(rel_dir);
    pathf(dst, sizeof(dst), rel_dir);
    snprintf(tmp, sizeof(tmp), "%s/model.onnx.tmp", dst);
    FILE *in = fopen(src, "rb"), *out = fopen(tmp, "wb");
    if (in == NULL || out == NULL)
        abort();
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    snprintf(dst + strlen(dst), sizeof(dst) - strlen(dst), "/model.onnx");
    rename(tmp, dst);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

static void rm_rel(const char *rel)
{
    char p[1024];
    pathf(p, sizeof(p), rel);
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void new_root(void)
{
    snprintf(root, sizeof(root), "/tmp/ei_test_repo_XXXXXX");
    if (mkdtemp(root) == NULL)
        abort();
}

static void drop_root(void)
{
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Index rows collected as "name@version STATE reason" lines. */
static char rows[8192];

static void collect(const ei__repo_entry_t *e, void *user)
{
    (void)user;
    size_t n = strlen(rows);
    snprintf(rows + n, sizeof(rows) - n, "%s@%lld %s %s\n", e->name, (long long)e->version,
             e->state, e->reason);
}

static const char *index_text(ei__repo_t *r)
{
    rows[0] = '\0';
    ei__repo_index(r, false, collect, NULL, NULL);
    return rows;
}

/* The repository at `root` in EXPLICIT mode, loading `first` at start. */
static ei_code_t open_explicit(const char *first, ei__repo_t **r, ei_error_t *err)
{
    ei__repo_opts_t o = {0};
    o.path = root;
    o.mode = EI__CONTROL_EXPLICIT;
    o.load_models = &first;
    o.n_load_models = 1;
    return ei__repo_create(&o, r, err);
}

/* Synchronous inference through the scheduler. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} sync_t;

static void on_done(ei__infer_req_t *r)
{
    sync_t *s = r->user;
    pthread_mutex_lock(&s->mu);
    s->done = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static ei_code_t infer_once(ei__model_t *m, ei_error_t *err)
{
    /* Every model here is the classifier; with or without batching its input is [1,3,48,w]. */
    int64_t shape[4] = {1, 3, 48, 64};
    ei_tensor_t *t = NULL;
    ei_code_t rc = ei_tensor_create(EI_DTYPE_FLOAT32, shape, 4, &t, err);
    if (rc != EI_OK)
        return rc;
    const char *names[1] = {"x"};
    ei_tensor_t *in[1] = {t};
    sync_t s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    ei__infer_req_t req;
    memset(&req, 0, sizeof(req));
    req.n_inputs = 1;
    req.input_names = names;
    req.inputs = in;
    req.done = on_done;
    req.user = &s;
    req.received_ns = ei__now_ns();
    rc = ei__model_submit(m, &req, err);
    if (rc == EI_OK) {
        pthread_mutex_lock(&s.mu);
        while (!s.done)
            pthread_cond_wait(&s.cv, &s.mu);
        pthread_mutex_unlock(&s.mu);
        rc = req.code;
        if (rc != EI_OK && err != NULL)
            *err = req.err;
        if (rc == EI_OK && (req.n_results != 1 || ei_tensor_count(req.results[0]) != 2))
            rc = ei__fail(err, EI_ERUNTIME, "unexpected result");
        for (size_t i = 0; i < req.n_results; i++)
            ei_tensor_destroy(req.results[i]);
        ei__free(req.results);
    }
    ei_tensor_destroy(t);
    return rc;
}

static int64_t newest(ei__repo_t *r, const char *name)
{
    ei__model_t *m = NULL;
    if (ei__repo_acquire(r, name, -1, &m, NULL) != EI_OK)
        return -1;
    int64_t v = ei__model_version(m);
    ei__model_release(m);
    return v;
}

TEST(failures_are_isolated)
{
    new_root();
    copy_cls("good/1");
    mkdirs("good/01");     /* leading zero: ignored */
    mkdirs("good/latest"); /* not numeric: ignored */
    write_file("good/labels.txt", "0\n180\n");
    write_file("good/config.pbtxt",
               "name: \"good\"\noutput { name: \"softmax_0.tmp_0\" data_type: TYPE_FP32 dims: [2] "
               "label_filename: \"labels.txt\" }\n"
               "parameters { key: \"image_preset\" value { string_value: \"ppocr\" } }\n");
    mkdirs("corrupt/1");
    write_file("corrupt/1/model.onnx", "this is not an onnx model");
    copy_cls("badcfg/1");
    write_file("badcfg/config.pbtxt", "max_batch_size: {\n");
    copy_cls("badtype/1");
    write_file("badtype/config.pbtxt",
               "input { name: \"x\" data_type: TYPE_INT32 dims: [3, -1, -1] }");
    mkdirs("empty");
    /* Accelerators this build may lack fall back to the CPU; thread settings from parameters. */
    copy_cls("accel/1");
    write_file("accel/config.pbtxt",
               "optimization { execution_accelerators {\n"
               "  gpu_execution_accelerator [ { name: \"tensorrt\" parameters { key: "
               "\"precision_mode\" value: \"FP16\" } } ]\n"
               "  cpu_execution_accelerator [ { name: \"openvino\" } ] } }\n"
               "parameters { key: \"intra_op_thread_count\" value { string_value: \"1\" } }\n"
               "parameters { key: \"execution_mode\" value { string_value: \"0\" } }\n");

    ei__repo_opts_t o = {0};
    o.path = root;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    ASSERT_TRUE(ei__repo_ready(r));
    const char *idx = index_text(r);
    fprintf(stderr, "%s", idx);
    ASSERT_CONTAINS(idx, "good@1 READY \n");
    ASSERT_CONTAINS(idx, "accel@1 READY \n");
    ASSERT_CONTAINS(idx, "corrupt@1 UNAVAILABLE model corrupt@1");
    ASSERT_CONTAINS(idx, "badcfg@-1 UNAVAILABLE model 'badcfg'");
    ASSERT_CONTAINS(idx, "config.pbtxt:2:1: unexpected end of input");
    ASSERT_CONTAINS(idx, "badtype@1 UNAVAILABLE");
    ASSERT_CONTAINS(idx, "TYPE_INT32 does not match the model's TYPE_FP32");
    ASSERT_CONTAINS(idx, "empty@-1 UNAVAILABLE no version");
    ASSERT_TRUE(strstr(idx, "good@0") == NULL);

    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "good", -1, &m, &err), &err);
    ASSERT_EQ(ei__model_version(m), 1);
    ASSERT_STR_EQ(ei__model_name(m), "good");
    const ei__model_config_t *c = ei__model_config(m);
    ASSERT_EQ(c->max_batch_size, 4);
    ASSERT_EQ(ei_labels_count(c->outputs[0].labels), 2);
    ASSERT_STR_EQ(ei_labels_get(c->outputs[0].labels, 1), "180");
    ASSERT_STR_EQ(ei__model_config_param(c, "image_preset"), "ppocr");
    ASSERT_NOT_NULL(ei__model_session(m));
    ASSERT_OK(infer_once(m, &err), &err);
    ASSERT_EQ(atomic_load(&ei__model_stats(m)->success_count), 1);
    ei__model_release(m);

    /* Triton's wording, which its clients match on, with the reason after it. */
    ASSERT_EQ(ei__repo_acquire(r, "corrupt", -1, &m, &err), EI_EBUSY);
    ASSERT_CONTAINS(err.msg, "Request for unknown model: 'corrupt' has no available versions: "
                             "model corrupt@1: ");
    ASSERT_EQ(ei__repo_acquire(r, "good", 2, &m, &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "Request for unknown model: 'good' version 2 is not found");
    ASSERT_EQ(ei__repo_acquire(r, "nope", -1, &m, &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "Request for unknown model: 'nope' is not found");
    ASSERT_EQ(ei__repo_load(r, "good", &err), EI_EUNSUPPORTED);
    ASSERT_EQ(ei__repo_unload(r, "good", &err), EI_EUNSUPPORTED);
    ei__repo_destroy(r);
    drop_root();
}

static void count_models(ei__model_t *m, void *user)
{
    (void)m;
    (*(int *)user)++;
}

TEST(explicit_load_unload)
{
    new_root();
    copy_cls("a/1");
    copy_cls("b/1");
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(open_explicit("a", &r, &err), &err);
    const char *idx = index_text(r);
    ASSERT_CONTAINS(idx, "a@1 READY");
    ASSERT_CONTAINS(idx, "b@-1 UNAVAILABLE unloaded");
    ei__model_t *m = NULL;
    ASSERT_EQ(ei__repo_acquire(r, "b", -1, &m, &err), EI_EBUSY);
    ASSERT_OK(ei__repo_load(r, "b", &err), &err);
    ASSERT_EQ(newest(r, "b"), 1);

    /* A new version of a: explicit load swaps it in, the held old one keeps working. */
    ei__model_t *old = NULL;
    ASSERT_OK(ei__repo_acquire(r, "a", -1, &old, &err), &err);
    long live = ei__model_live_count(); /* a@1, b@1 */
    copy_cls("a/2");
    ASSERT_OK(ei__repo_load(r, "a", &err), &err);
    ASSERT_EQ(newest(r, "a"), 2);
    ASSERT_EQ(ei__repo_acquire(r, "a", 1, &m, &err), EI_ENOTFOUND); /* latest {1}: v1 dropped */
    ASSERT_EQ(ei__model_live_count(), live + 1); /* a@1 drains: still alive for its holder */
    ASSERT_OK(infer_once(old, &err), &err);
    ei__model_release(old);
    ASSERT_EQ(ei__model_live_count(), live); /* ...and freed at its last release */

    int n = 0;
    ei__repo_foreach(r, count_models, &n);
    ASSERT_EQ(n, 2);

    /* Unload: gone for new requests, a held reference still serves until released. */
    ASSERT_OK(ei__repo_acquire(r, "a", -1, &old, &err), &err);
    ASSERT_OK(ei__repo_unload(r, "a", &err), &err);
    ASSERT_EQ(ei__repo_acquire(r, "a", -1, &m, &err), EI_EBUSY);
    ASSERT_CONTAINS(index_text(r), "a@-1 UNAVAILABLE unloaded");
    ASSERT_OK(infer_once(old, &err), &err);
    ASSERT_EQ(ei__model_live_count(), live);
    ei__model_release(old);
    ASSERT_EQ(ei__model_live_count(), live - 1);
    ASSERT_EQ(ei__repo_unload(r, "zzz", &err), EI_ENOTFOUND);
    /* Unknown names leave no entry behind, and the error does not reveal where the repository is.
     */
    size_t entries = ei__repo_entry_count(r);
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "nope_%d", i);
        ASSERT_EQ(ei__repo_load(r, name, &err), EI_ENOTFOUND);
    }
    ASSERT_EQ(ei__repo_entry_count(r), entries);
    ASSERT_EQ(ei__repo_load(r, "zzz", &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "model 'zzz' not found in the repository");
    ASSERT_TRUE(strstr(err.msg, root) == NULL);
    ASSERT_EQ(ei__repo_load(r, "../etc", &err), EI_EINVAL);

    /* A broken reload keeps the old version serving and reports the error. */
    write_file("b/config.pbtxt", "max_batch_size: \"x\"");
    ASSERT_EQ(ei__repo_load(r, "b", &err), EI_EFORMAT);
    ASSERT_EQ(newest(r, "b"), 1);
    ASSERT_CONTAINS(index_text(r), "b@1 READY reload failed");
    ASSERT_TRUE(strstr(index_text(r), root) == NULL);
    ASSERT_TRUE(strstr(err.msg, root) == NULL);
    ASSERT_CONTAINS(err.msg, "b/config.pbtxt");
    ei__repo_destroy(r);
    ASSERT_EQ(ei__model_live_count(), 0);
    drop_root();
}

/* Waits (polling every 50 ms, up to 20 s) until `pred` holds. */
static bool eventually(bool (*pred)(ei__repo_t *), ei__repo_t *r)
{
    for (int i = 0; i < 400; i++) {
        if (pred(r))
            return true;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    return pred(r);
}

static bool has_v2(ei__repo_t *r)
{
    return newest(r, "m") == 2;
}

static bool v3_unavailable(ei__repo_t *r)
{
    return strstr(index_text(r), "m@3 UNAVAILABLE") != NULL;
}

static bool batch_is_2(ei__repo_t *r)
{
    ei__model_t *m = NULL;
    if (ei__repo_acquire(r, "m", -1, &m, NULL) != EI_OK)
        return false;
    bool ok = ei__model_config(m)->max_batch_size == 2;
    ei__model_release(m);
    return ok;
}

static bool n_gone(ei__repo_t *r)
{
    ei__model_t *m = NULL;
    ei_code_t rc = ei__repo_acquire(r, "n", -1, &m, NULL);
    ei__model_release(m); /* NULL when not found */
    return rc == EI_ENOTFOUND;
}

static bool one_live(ei__repo_t *r)
{
    (void)r;
    return ei__model_live_count() == 1; /* m@2 only */
}

TEST(poll_mode)
{
    new_root();
    copy_cls("m/1");
    copy_cls("n/1");
    ei__repo_opts_t o = {0};
    o.path = root;
    o.mode = EI__CONTROL_POLL;
    o.poll_secs = 1;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    ASSERT_EQ(newest(r, "m"), 1);
    ASSERT_EQ(ei__repo_load(r, "m", &err), EI_EUNSUPPORTED); /* as Triton: poll mode only */
    ASSERT_CONTAINS(err.msg, "mode poll");
    ei__model_t *old = NULL;
    ASSERT_OK(ei__repo_acquire(r, "m", -1, &old, &err), &err);

    long live = ei__model_live_count(); /* m@1, n@1 */
    copy_cls("m/2");
    ASSERT_TRUE(eventually(has_v2, r));
    ASSERT_EQ(ei__model_live_count(), live + 1);
    ASSERT_OK(infer_once(old, &err), &err); /* the drained version still answers its holder */
    ei__model_release(old);
    ASSERT_EQ(ei__model_live_count(), live); /* m@1 freed at its last release */

    /* A broken newer version: the old one keeps serving, the reason is in the index. */
    mkdirs("m/3");
    write_file("m/3/model.onnx", "garbage");
    ASSERT_TRUE(eventually(v3_unavailable, r));
    ASSERT_EQ(newest(r, "m"), 2);
    ASSERT_CONTAINS(index_text(r), "m@2 READY kept serving");

    /* Config change: reload (v3 still broken, v2 with the new config). */
    rm_rel("m/3");
    write_file("m/config.pbtxt", "max_batch_size: 2");
    ASSERT_TRUE(eventually(batch_is_2, r));
    ASSERT_EQ(newest(r, "m"), 2);
    ASSERT_OK(ei__repo_acquire(r, "m", -1, &old, &err), &err);
    ASSERT_OK(infer_once(old, &err), &err);
    ei__model_release(old);

    /* A removed model unloads. */
    rm_rel("n");
    ASSERT_TRUE(eventually(n_gone, r));
    ASSERT_TRUE(strstr(index_text(r), "n@") == NULL);
    ASSERT_TRUE(eventually(one_live, r)); /* n@1 released right after it left the index */
    ei__repo_destroy(r);
    ASSERT_EQ(ei__model_live_count(), 0);
    drop_root();
}

/* A config-only pipeline model: loading it (EXPLICIT mode) loads its stages; it is READY only
 * while they are; without a runner it refuses requests. */
TEST(pipeline_model)
{
    new_root();
    copy_cls("det/1");
    copy_cls("rec/1");
    mkdirs("p");
    write_file("p/config.pbtxt",
               "platform: \"edgeinfer_ocr\"\n"
               "parameters { key: \"detection_model\" value: { string_value: \"det\" } }\n"
               "parameters { key: \"recognition_model\" value: { string_value: \"rec\" } }\n");
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(open_explicit("p", &r, &err), &err);
    const char *idx = index_text(r);
    ASSERT_CONTAINS(idx, "p@1 READY");
    ASSERT_CONTAINS(idx, "det@1 READY");
    ASSERT_CONTAINS(idx, "rec@1 READY");
    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "p", -1, &m, &err), &err);
    ASSERT_TRUE(ei__model_pipeline(m) != NULL && ei__model_session(m) == NULL);
    ASSERT_EQ(strcmp(ei__model_pipeline(m)->stage[EI__STAGE_REC], "rec"), 0);
    ASSERT_TRUE(ei__model_pipeline(m)->stage[EI__STAGE_CLS] == NULL);
    ASSERT_EQ(ei__model_config(m)->n_outputs, 5);
    ei__infer_req_t q = {0};
    ASSERT_EQ(ei__model_submit(m, &q, &err), EI_EUNSUPPORTED);
    ei__model_release(m);

    ASSERT_OK(ei__repo_unload(r, "rec", &err), &err);
    ASSERT_CONTAINS(index_text(r), "p@1 UNAVAILABLE stage model 'rec' is not ready: unloaded");
    ASSERT_EQ(ei__repo_acquire(r, "p", -1, &m, &err), EI_EBUSY);
    ASSERT_CONTAINS(err.msg, "stage model 'rec'");
    ASSERT_OK(ei__repo_load(r, "rec", &err), &err);
    ASSERT_CONTAINS(index_text(r), "p@1 READY");
    ASSERT_OK(ei__repo_unload(r, "p", &err), &err);
    idx = index_text(r);
    ASSERT_CONTAINS(idx, "det@1 READY");
    ASSERT_CONTAINS(idx, "p@-1 UNAVAILABLE unloaded");
    ei__repo_destroy(r);
    ASSERT_EQ(ei__model_live_count(), 0);
    drop_root();
}

/* scripts/make_default_repo.sh builds a repository whose three models all load. */
TEST(default_repository)
{
    const char *src = getenv("EI_SOURCE_DIR");
    const char *models = getenv("EI_MODELS");
    if (src == NULL || models == NULL) {
        fprintf(stderr, "EI_SOURCE_DIR/EI_MODELS not set: skipped\n");
        return;
    }
    new_root();
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s/scripts/make_default_repo.sh' '%s/repo' >/dev/null", src, root);
    ASSERT_EQ(system(cmd), 0);
    ASSERT_EQ(system(cmd), 0); /* idempotent */
    ei__repo_opts_t o = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/repo", root);
    o.path = path;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei__repo_create(&o, &r, &err), &err);
    const char *idx = index_text(r);
    ASSERT_CONTAINS(idx, "ppocr_cls@1 READY");
    ASSERT_CONTAINS(idx, "ppocr_rec@1 READY");
    ASSERT_CONTAINS(idx, "silero_vad@1 READY");
    ASSERT_CONTAINS(idx, "ocr@1 READY");
    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "ppocr_cls", -1, &m, &err), &err);
    ASSERT_EQ(ei_labels_count(ei__model_config(m)->outputs[0].labels), 2);
    ASSERT_STR_EQ(ei__model_config_param(ei__model_config(m), "image_preset"), "ppocr");
    ASSERT_OK(infer_once(m, &err), &err);
    ei__model_release(m);
    ASSERT_OK(ei__repo_acquire(r, "ppocr_rec", -1, &m, &err), &err);
    ASSERT_EQ(ei_labels_count(ei__model_config(m)->outputs[0].labels), 6625);
    ASSERT_STR_EQ(ei_labels_get(ei__model_config(m)->outputs[0].labels, 0), "blank");
    ASSERT_STR_EQ(ei_labels_get(ei__model_config(m)->outputs[0].labels, 6624), " ");
    ei__model_release(m);
    ASSERT_OK(ei__repo_acquire(r, "silero_vad", -1, &m, &err), &err);
    ASSERT_EQ(ei__model_config(m)->max_batch_size, 0); /* 'sr' is a scalar: cannot batch */
    ASSERT_EQ(ei__model_config(m)->n_inputs, 4);
    ei__model_release(m);
    ei__repo_destroy(r);
    drop_root();
}

static char log_buf[4096];
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/* A log sink may be called from several threads at once (models load in parallel). */
static void capture(ei_log_level_t level, const char *component, const char *msg, void *user)
{
    (void)level;
    (void)component;
    (void)user;
    pthread_mutex_lock(&log_mu);
    size_t n = strlen(log_buf);
    snprintf(log_buf + n, sizeof(log_buf) - n, "%s\n", msg);
    pthread_mutex_unlock(&log_mu);
}

/* With the runtime's global pools, a model that sets thread counts gets its own pools. */
TEST(global_thread_pools)
{
    new_root();
    copy_cls("shared/1");
    copy_cls("own/1");
    write_file("own/config.pbtxt",
               "parameters { key: \"intra_op_thread_count\" value { string_value: \"1\" } }");
    ei__repo_opts_t o = {0};
    o.path = root;
    o.use_global_threads = true;
    ei__repo_t *r = NULL;
    ei_error_t err = {0};
    log_buf[0] = '\0';
    ei_log_set(capture, NULL);
    ei_log_set_level(EI_LOG_INFO);
    ei_code_t rc = ei__repo_create(&o, &r, &err);
    ei_log_set_level(EI_LOG_OFF);
    ei_log_set(NULL, NULL);
    ASSERT_OK(rc, &err);
    const char *idx = index_text(r);
    ASSERT_CONTAINS(idx, "shared@1 READY");
    ASSERT_CONTAINS(idx, "own@1 READY");
    ASSERT_CONTAINS(log_buf, "model own@1: own thread pools");
    ASSERT_TRUE(strstr(log_buf, "model shared@1: own thread pools") == NULL);
    ei__model_t *m = NULL;
    ASSERT_OK(ei__repo_acquire(r, "shared", -1, &m, &err), &err);
    ASSERT_OK(infer_once(m, &err), &err);
    ei__model_release(m);
    ei__repo_destroy(r);
    drop_root();
}

int main(void)
{
    /* Global pools exist for the whole process; only repositories that ask use them. */
    ei_global_opts_t go;
    ei_global_opts_init(&go);
    go.global_thread_pools = true;
    go.global_intra_threads = 2;
    if (ei_global_init(&go, NULL) != EI_OK)
        return 1;
    ei_log_set_level(EI_LOG_OFF);
    int rc = RUN_TESTS(failures_are_isolated, explicit_load_unload, poll_mode, pipeline_model,
                       default_repository, global_thread_pools);
    ei_global_cleanup();
    return rc;
}
