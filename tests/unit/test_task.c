/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the task-head boundary (<edgeinfer/task.h>) with a fake environment and a fake
 * stage runner (no model is loaded): the classification and OCR heads' stage requests, results
 * and JSON; runs reported at once and later, out of order (as a scheduler does); a stage that
 * fails or refuses; outputs of the wrong shape or type; models and parameters a head cannot use;
 * bytes that are not an image.
 */
#include "ei_util.h"
#include "test.h"

#include <edgeinfer/classify.h>
#include <edgeinfer/edgeinfer.h>
#include <edgeinfer/ocr.h>
#include <edgeinfer/task.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inputs the fake stages did not expect (checked by the tests after each run). */
static int bad_inputs;
#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            bad_inputs++;                                                                          \
    } while (0)

/* The fake environment ------------------------------------------------------------------------ */

typedef struct fake_model {
    ei_task_model_t m;
    int64_t dims[4];
    const char *outs[2];
    const ei_labels_t *labels[2];
} fake_model_t;

typedef struct fake_env {
    fake_model_t model[4];
    size_t n_models;
    size_t addressed; /* the model stage NULL names */
    const char *keys[4], *values[4];
    size_t n_params;
    const char *rkey, *rvalue; /* one request parameter */
    size_t stages_asked;
} fake_env_t;

static ei_code_t env_stage(void *ctx, const char *name, size_t *stage, ei_task_model_t *m,
                           ei_error_t *err)
{
    fake_env_t *e = ctx;
    for (size_t i = 0; i < e->n_models; i++) {
        if ((name == NULL && i == e->addressed) ||
            (name != NULL && strcmp(name, e->model[i].m.name) == 0)) {
            *stage = i;
            *m = e->model[i].m;
            e->stages_asked++;
            return EI_OK;
        }
    }
    return ei__fail(err, EI_ENOTFOUND, "no model '%s'", name);
}

static const char *env_param(void *ctx, const char *key)
{
    fake_env_t *e = ctx;
    for (size_t i = 0; i < e->n_params; i++)
        if (strcmp(e->keys[i], key) == 0)
            return e->values[i];
    return NULL;
}

static const char *env_rparam(void *ctx, const char *key)
{
    fake_env_t *e = ctx;
    return e->rkey != NULL && strcmp(e->rkey, key) == 0 ? e->rvalue : NULL;
}

static void set_model(fake_model_t *f, const char *name, const char *out, int64_t c, int64_t h,
                      int64_t w, size_t max_batch, const ei_labels_t *labels)
{
    memset(f, 0, sizeof *f);
    f->dims[0] = c;
    f->dims[1] = h;
    f->dims[2] = w;
    f->outs[0] = out;
    f->labels[0] = labels;
    f->m.name = name;
    f->m.n_inputs = 1;
    f->m.input_name = "x";
    f->m.input_dtype = EI_DTYPE_FLOAT32;
    f->m.input_dims = f->dims;
    f->m.input_rank = 3;
    f->m.max_batch = max_batch;
    f->m.n_outputs = 1;
    f->m.output_names = f->outs;
    f->m.output_labels = f->labels;
}

/* The fake runner ----------------------------------------------------------------------------- */

/* Makes the output of one run (or fails it). */
typedef ei_code_t (*respond_fn)(size_t stage, const ei_tensor_t *in, ei_tensor_t **out,
                                ei_error_t *err);

typedef struct pending_run {
    size_t stage;
    ei_tensor_t *input;
    void *ticket;
} pending_run_t;

typedef struct fake_runner {
    respond_fn respond;
    bool deferred;    /* keep the runs; the test reports them later, newest first */
    ei_code_t refuse; /* != EI_OK: run() refuses with it */
    pending_run_t run[64];
    size_t n_run, total;
    size_t per_stage[3];
    char out_names[3][32];
    bool finished;
    int finished_count;
} fake_runner_t;

static void report(ei_task_job_t *job, fake_runner_t *f, const pending_run_t *p)
{
    ei_error_t e = {0};
    ei_tensor_t *out = NULL;
    ei_code_t rc = f->respond(p->stage, p->input, &out, &e);
    ei_task_stage_done(job, p->ticket, rc, rc == EI_OK ? out : NULL, &e);
    ei_tensor_destroy(out);
}

static ei_code_t fake_run(void *ctx, ei_task_job_t *job, size_t stage, const char *in_name,
                          ei_tensor_t *input, const char *out_name, void *ticket, ei_error_t *err)
{
    fake_runner_t *f = ctx;
    if (f->refuse != EI_OK)
        return ei__fail(err, f->refuse, "the queue is full");
    if (strcmp(in_name, "x") != 0 || stage > 2)
        return ei__fail(err, EI_EINVAL, "unexpected input '%s' / stage %zu", in_name, stage);
    ei__strlcpy(f->out_names[stage], out_name, sizeof f->out_names[stage]);
    f->per_stage[stage]++;
    f->total++;
    pending_run_t p = {stage, input, ticket};
    if (!f->deferred) {
        report(job, f, &p);
        return EI_OK;
    }
    if (f->n_run == 64)
        return ei__fail(err, EI_ELIMIT, "too many runs");
    f->run[f->n_run++] = p;
    return EI_OK;
}

static void on_finished(ei_task_job_t *job, void *user)
{
    (void)job;
    fake_runner_t *f = user;
    f->finished = true;
    f->finished_count++;
}

/* Runs a prepared job to its end; deferred runs are reported newest first. */
static void drive(ei_task_job_t *job, fake_runner_t *f)
{
    ei_task_runner_t r = {fake_run, f};
    ei_task_job_start(job, &r, on_finished, f);
    while (!f->finished && f->n_run > 0) {
        pending_run_t p = f->run[--f->n_run];
        report(job, f, &p);
    }
}

static ei_image_t *grey_image(int32_t w, int32_t h)
{
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    memset(px, 200, (size_t)w * (size_t)h * 3);
    ei_image_t *img = NULL;
    ei_error_t err = {0};
    if (ei_image_from_pixels(px, w, h, 3, 0, &img, &err) != EI_OK)
        abort();
    free(px);
    return img;
}

static ei_tensor_t *f32(const int64_t *shape, size_t rank, const float *v, size_t n)
{
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    if (ei_tensor_create(EI_DTYPE_FLOAT32, shape, rank, &t, &err) != EI_OK)
        abort();
    if (v != NULL)
        memcpy(ei_tensor_data(t), v, n * sizeof(float));
    return t;
}

/* Classification -------------------------------------------------------------------------------
 */

static ei_labels_t *animal_labels(void)
{
    ei_labels_t *l = NULL;
    if (ei_labels_parse("cat\ndog\neel\n", 12, "test", &l, NULL) != EI_OK)
        abort();
    return l;
}

static void classify_env(fake_env_t *e, const ei_labels_t *labels)
{
    memset(e, 0, sizeof *e);
    set_model(&e->model[0], "animals", "probs", 3, 8, 8, 4, labels);
    e->n_models = 1;
}

static ei_code_t logits_123(size_t stage, const ei_tensor_t *in, ei_tensor_t **out, ei_error_t *err)
{
    (void)err;
    EXPECT(stage == 0);
    /* One slot of the model's input: [1,3,8,8] float32. */
    EXPECT(ei_tensor_rank(in) == 4);
    EXPECT(ei_tensor_shape(in)[0] == 1);
    EXPECT(ei_tensor_shape(in)[2] == 8);
    int64_t shape[2] = {1, 3};
    float v[3] = {1.0f, 3.0f, 2.0f};
    *out = f32(shape, 2, v, 3);
    return EI_OK;
}

TEST(classify_head_result_and_json)
{
    ei_labels_t *labels = animal_labels();
    fake_env_t e;
    classify_env(&e, labels);
    e.keys[0] = "image_top_k";
    e.values[0] = "3";
    e.n_params = 1;
    e.rkey = "top_k";
    e.rvalue = "2";
    ei_task_env_t env = {env_stage, env_param, env_rparam, &e};
    ei_error_t err = {0};
    ei_task_job_t *job = NULL;
    const ei_task_head_t *h = ei_task_head_find("classify");
    ASSERT_NOT_NULL(h);
    ASSERT_STR_EQ(ei_task_head_name(h), "classify");
    ASSERT_NULL(ei_task_head_find("nope"));
    ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
    ei_task_cache_t *cache = NULL;
    ASSERT_OK(ei_task_cache_create(&cache, &err), &err);
    ei_image_t *img = grey_image(5, 4);
    for (int round = 0; round < 2; round++) { /* the second takes the cached pipeline */
        if (round == 1) {
            ei_task_job_destroy(job);
            ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
        }
        ASSERT_OK(ei_task_job_prepare(job, img, cache, &err), &err);
        fake_runner_t f = {.respond = logits_123, .deferred = round == 1};
        drive(job, &f);
        ASSERT_EQ(f.finished_count, 1);
        ASSERT_EQ(f.total, 1);
        ASSERT_STR_EQ(f.out_names[0], "probs");
        ASSERT_OK(ei_task_job_status(job, &err), &err);
        int32_t w = 0, hh = 0;
        ei_task_job_image_size(job, &w, &hh);
        ASSERT_EQ(w, 5);
        ASSERT_EQ(hh, 4);
        char *json = NULL;
        size_t len = 0;
        ASSERT_OK(ei_task_job_json(job, &json, &len, &err), &err);
        ASSERT_EQ(len, strlen(json));
        ASSERT_CONTAINS(json, "\"image\":{\"width\":5,\"height\":4}");
        ASSERT_CONTAINS(json, "\"softmax_applied\":true,\"classes\":3,\"top\":[{\"index\":1,");
        ASSERT_CONTAINS(json, "\"label\":\"dog\"},{\"index\":2,");
        ASSERT_TRUE(strstr(json, "\"cat\"") == NULL); /* top_k=2 from the request */
        ei_free_string(json);
    }
    ei_image_destroy(img);
    ei_task_job_destroy(job);
    ei_task_cache_destroy(cache);
    ASSERT_EQ(bad_inputs, 0);
    ei_labels_destroy(labels);
}

static ei_code_t fails(size_t stage, const ei_tensor_t *in, ei_tensor_t **out, ei_error_t *err)
{
    (void)stage;
    (void)in;
    (void)out;
    return ei__fail(err, EI_ERUNTIME, "the stage model exploded");
}

static ei_code_t strings_out(size_t stage, const ei_tensor_t *in, ei_tensor_t **out,
                             ei_error_t *err)
{
    (void)stage;
    (void)in;
    int64_t shape[2] = {1, 3};
    return ei_tensor_create(EI_DTYPE_STRING, shape, 2, out, err);
}

TEST(classify_head_errors)
{
    fake_env_t e;
    classify_env(&e, NULL);
    ei_task_env_t env = {env_stage, env_param, env_rparam, &e};
    const ei_task_head_t *h = ei_task_head_find("classify");
    ei_error_t err = {0};
    ei_task_job_t *job = NULL;
    ei_image_t *img = grey_image(5, 4);

    /* A stage that fails: its code and message reach the caller. */
    ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
    ASSERT_OK(ei_task_job_prepare(job, img, NULL, &err), &err);
    fake_runner_t f = {.respond = fails, .deferred = true};
    drive(job, &f);
    ASSERT_EQ(f.finished_count, 1);
    ASSERT_EQ(ei_task_job_status(job, &err), EI_ERUNTIME);
    ASSERT_CONTAINS(err.msg, "the stage model exploded");
    char *json = NULL;
    ASSERT_EQ(ei_task_job_json(job, &json, NULL, &err), EI_EINVAL);
    ASSERT_NULL(json);
    ei_task_job_destroy(job);

    /* A run the runner refuses. */
    ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
    ASSERT_OK(ei_task_job_prepare(job, img, NULL, &err), &err);
    fake_runner_t g = {.respond = logits_123, .refuse = EI_EBUSY};
    drive(job, &g);
    ASSERT_EQ(g.finished_count, 1);
    ASSERT_EQ(ei_task_job_status(job, &err), EI_EBUSY);
    ASSERT_CONTAINS(err.msg, "queue is full");
    ei_task_job_destroy(job);

    /* An output that is not numeric. */
    ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
    ASSERT_OK(ei_task_job_prepare(job, img, NULL, &err), &err);
    fake_runner_t s = {.respond = strings_out};
    drive(job, &s);
    ASSERT_EQ(ei_task_job_status(job, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "output 'probs': not numeric");
    ei_task_job_destroy(job);

    /* Not started when not prepared. */
    ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
    fake_runner_t n = {.respond = logits_123};
    drive(job, &n);
    ASSERT_EQ(n.total, 0);
    ASSERT_EQ(ei_task_job_status(job, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "not prepared");
    ei_task_job_destroy(job);

    /* Bytes that are not an image. */
    ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
    ASSERT_EQ(ei_task_job_prepare_bytes(job, "not an image", 12, 0, NULL, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "classify: cannot decode the image");
    ASSERT_EQ(ei_task_job_prepare_file(job, "/nonexistent/x.png", 0, NULL, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "cannot decode");
    ei_task_job_destroy(job);

    /* A bad request parameter, a model with two inputs, a rank-2 input, an unknown output. */
    e.rkey = "top_k";
    e.rvalue = "0";
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EINVAL);
    ASSERT_NULL(job);
    ASSERT_CONTAINS(err.msg, "top_k '0'");
    e.rkey = NULL;
    e.model[0].m.n_inputs = 2;
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "model 'animals': classify needs one input");
    e.model[0].m.n_inputs = 1;
    e.model[0].m.input_rank = 1;
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "image input of rank 4");
    e.model[0].m.input_rank = 3;
    e.keys[0] = "image_output";
    e.values[0] = "nope";
    e.n_params = 1;
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "unknown output 'nope'");
    ei_image_destroy(img);
}

/* OCR ------------------------------------------------------------------------------------------ */

static ei_labels_t *ab_labels(void)
{
    ei_labels_t *l = NULL;
    if (ei_labels_parse("blank\na\nb\n \n", 12, "test", &l, NULL) != EI_OK)
        abort();
    return l;
}

/* The stages and a pipeline model "ocr" (no input of its own) naming them. */
static void ocr_env(fake_env_t *e, const ei_labels_t *rec_labels)
{
    memset(e, 0, sizeof *e);
    set_model(&e->model[0], "det", "prob", 3, -1, -1, 1, NULL);
    set_model(&e->model[1], "cls", "angle", 3, 48, 192, 6, NULL);
    set_model(&e->model[2], "rec", "chars", 3, 48, -1, 6, rec_labels);
    set_model(&e->model[3], "ocr", "text", 0, 0, 0, 0, NULL);
    e->model[3].m.n_inputs = 0;
    e->n_models = 4;
    e->addressed = 3;
    e->keys[0] = "classification_model";
    e->values[0] = "cls";
    e->keys[1] = "recognition_model";
    e->values[1] = "rec";
    e->keys[2] = "detection_model";
    e->values[2] = "det";
    e->n_params = 3;
}

/* What the fake stages answer: a detection map with one text block, orientation, characters. */
static int ocr_mode; /* 0 fine, 1 det of the wrong shape, 2 cls of the wrong shape */

static ei_code_t ocr_stages(size_t stage, const ei_tensor_t *in, ei_tensor_t **out, ei_error_t *err)
{
    (void)err;
    const int64_t *s = ei_tensor_shape(in);
    if (stage == 0) {
        int64_t h = s[2], w = s[3];
        int64_t shape[4] = {1, ocr_mode == 1 ? 2 : 1, h, w};
        *out = f32(shape, 4, NULL, 0);
        float *p = ei_tensor_data(*out);
        memset(p, 0, ei_tensor_nbytes(*out));
        for (int64_t y = h / 4; y < 3 * h / 4; y++)
            for (int64_t x = w / 8; x < 7 * w / 8; x++)
                p[y * w + x] = 0.9f;
        return EI_OK;
    }
    if (stage == 1) {
        EXPECT(s[2] == 48);
        EXPECT(s[3] == 192);
        int64_t shape[2] = {s[0], ocr_mode == 2 ? 3 : 2};
        *out = f32(shape, 2, NULL, 0);
        float *p = ei_tensor_data(*out);
        for (int64_t i = 0; i < shape[0] * shape[1]; i++)
            p[i] = i % shape[1] == 0 ? 0.95f : 0.05f;
        return EI_OK;
    }
    EXPECT(s[2] == 48);
    /* [n, 4 steps, 4 classes]: a, a, blank, b -> "ab". */
    int64_t shape[3] = {s[0], 4, 4};
    *out = f32(shape, 3, NULL, 0);
    float *p = ei_tensor_data(*out);
    static const int best[4] = {1, 1, 0, 2};
    for (int64_t n = 0; n < s[0]; n++)
        for (int t = 0; t < 4; t++)
            for (int c = 0; c < 4; c++)
                p[(n * 4 + t) * 4 + c] = c == best[t] ? 0.85f : 0.05f;
    return EI_OK;
}

TEST(ocr_head_three_stages)
{
    ei_labels_t *labels = ab_labels();
    fake_env_t e;
    ocr_env(&e, labels);
    ei_task_env_t env = {env_stage, env_param, NULL, &e};
    const ei_task_head_t *h = ei_task_head_find("ocr");
    ASSERT_NOT_NULL(h);
    ei_error_t err = {0};
    ei_image_t *img = grey_image(320, 64);
    for (int deferred = 0; deferred < 2; deferred++) {
        ei_task_job_t *job = NULL;
        ocr_mode = 0;
        ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
        ASSERT_OK(ei_task_job_prepare(job, img, NULL, &err), &err);
        fake_runner_t f = {.respond = ocr_stages, .deferred = deferred};
        drive(job, &f);
        ASSERT_EQ(f.finished_count, 1);
        ASSERT_OK(ei_task_job_status(job, &err), &err);
        ASSERT_EQ(f.per_stage[0], 1);
        ASSERT_EQ(f.per_stage[1], 1);
        ASSERT_EQ(f.per_stage[2], 1);
        ASSERT_STR_EQ(f.out_names[2], "chars");
        char *json = NULL;
        ASSERT_OK(ei_task_job_json(job, &json, NULL, &err), &err);
        ASSERT_CONTAINS(json,
                        "\"image\":{\"width\":320,\"height\":64},\"lines\":[{\"text\":\"ab\"");
        ASSERT_CONTAINS(json, "\"angle\":0,\"polygon\":[[");
        ASSERT_CONTAINS(json, "\"timings_ms\":{\"detection\":");
        ei_free_string(json);
        ei_task_job_destroy(job);
    }
    ASSERT_EQ(bad_inputs, 0);
    ei_image_destroy(img);
    ei_labels_destroy(labels);
}

TEST(ocr_head_errors)
{
    ei_labels_t *labels = ab_labels();
    fake_env_t e;
    ocr_env(&e, labels);
    ei_task_env_t env = {env_stage, env_param, NULL, &e};
    const ei_task_head_t *h = ei_task_head_find("ocr");
    ei_error_t err = {0};
    ei_task_job_t *job = NULL;
    ei_image_t *img = grey_image(320, 64);

    /* Outputs of the wrong shape: a clear error naming the stage, for either stage. */
    for (ocr_mode = 1; ocr_mode <= 2; ocr_mode++) {
        ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
        ASSERT_OK(ei_task_job_prepare(job, img, NULL, &err), &err);
        fake_runner_t f = {.respond = ocr_stages, .deferred = true};
        drive(job, &f);
        ASSERT_EQ(f.finished_count, 1);
        ASSERT_EQ(ei_task_job_status(job, &err), EI_EMODEL);
        if (ocr_mode == 2)
            ASSERT_CONTAINS(err.msg, "orientation model: output is not [N,2] float32");
        else
            ASSERT_EQ(f.per_stage[1], 0);
        ei_task_job_destroy(job);
    }
    ocr_mode = 0;

    /* A failing stage. */
    ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
    ASSERT_OK(ei_task_job_prepare(job, img, NULL, &err), &err);
    fake_runner_t g = {.respond = fails};
    drive(job, &g);
    ASSERT_EQ(ei_task_job_status(job, &err), EI_ERUNTIME);
    ASSERT_CONTAINS(err.msg, "exploded");
    ei_task_job_destroy(job);

    /* A recogniser without its alphabet, a stage model that is missing, no pipeline at all. */
    e.model[2].labels[0] = NULL;
    ASSERT_NE(ei_task_job_create(h, &env, &job, &err), EI_OK);
    ASSERT_CONTAINS(err.msg, "recogniser's output labels");
    e.model[2].labels[0] = labels;
    e.values[0] = "gone";
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EBUSY);
    ASSERT_CONTAINS(err.msg, "ocr pipeline 'ocr': stage model");
    ASSERT_CONTAINS(err.msg, "no model 'gone'");
    e.n_params = 0;
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "model 'ocr' is not an OCR pipeline");
    ASSERT_NULL(job);
    ei_image_destroy(img);
    ei_labels_destroy(labels);
}

/* The pipeline's options: drop_score set by its parameters; a bad value; a detector that is not
 * one. */
TEST(ocr_head_options)
{
    ei_labels_t *labels = ab_labels();
    fake_env_t e;
    ocr_env(&e, labels);
    e.keys[3] = "drop_score";
    e.values[3] = "0.5";
    e.n_params = 4;
    ei_task_env_t env = {env_stage, env_param, NULL, &e};
    const ei_task_head_t *h = ei_task_head_find("ocr");
    ei_error_t err = {0};
    ei_image_t *img = grey_image(320, 64);
    ocr_mode = 0;
    for (int round = 0; round < 2; round++) {
        /* drop_score 0.5 keeps the line (score 0.85), 0.9 drops it. */
        e.values[3] = round == 0 ? "0.5" : "0.9";
        ei_task_job_t *job = NULL;
        ASSERT_OK(ei_task_job_create(h, &env, &job, &err), &err);
        ASSERT_OK(ei_task_job_prepare(job, img, NULL, &err), &err);
        fake_runner_t f = {.respond = ocr_stages, .deferred = true};
        drive(job, &f);
        ASSERT_OK(ei_task_job_status(job, &err), &err);
        ASSERT_EQ(f.per_stage[0] + f.per_stage[1] + f.per_stage[2], 3);
        char *json = NULL;
        ASSERT_OK(ei_task_job_json(job, &json, NULL, &err), &err);
        if (round == 0)
            ASSERT_CONTAINS(json, "\"lines\":[{\"text\":\"ab\"");
        else
            ASSERT_CONTAINS(json, "\"lines\":[],");
        ei_free_string(json);
        ei_task_job_destroy(job);
    }
    e.values[3] = "lots";
    ei_task_job_t *job = NULL;
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg,
                    "model 'ocr': parameter drop_score='lots': expected a number in [0, 1]");
    e.values[3] = "0.5";
    e.model[0].m.n_inputs = 2;
    ASSERT_EQ(ei_task_job_create(h, &env, &job, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "detection model 'det' needs one input");
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    ASSERT_OK(ei_ocr_opts_set(&o, "det_limit_side_len", "640", &err), &err);
    ASSERT_EQ(o.det_limit_side, 640);
    ASSERT_EQ(ei_ocr_opts_set(&o, "det_limit_side_len", "8", &err), EI_EINVAL);
    ASSERT_EQ(ei_ocr_opts_set(&o, "colour", "1", &err), EI_ENOTFOUND);
    ASSERT_EQ(bad_inputs, 0);
    ei_image_destroy(img);
    ei_labels_destroy(labels);
}

/* In process, with real sessions ------------------------------------------------------------------
 */

static void path_in(char *buf, size_t size, const char *env, const char *fallback, const char *rel)
{
    const char *d = getenv(env);
    snprintf(buf, size, "%s/%s", d != NULL ? d : fallback, rel);
}

TEST(local_classify)
{
    char path[1024];
    path_in(path, sizeof path, "EI_SOURCE_DIR", ".", "tests/classify/data/gap_softmax.onnx");
    ei_session_t *s = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_session_create(path, NULL, &s, &err), &err);
    ei_labels_t *labels = animal_labels();
    uint8_t px[6 * 4 * 3];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = i % 3 == 2 ? 255 : 0; /* blue: class 2 */
    ei_image_t *img = NULL;
    ASSERT_OK(ei_image_from_pixels(px, 6, 4, 3, 0, &img, &err), &err);
    ei_task_local_model_t m = {"gap", s, labels};
    const char *params[] = {"image_top_k", "1", NULL};
    char *json = NULL;
    size_t len = 0;
    ASSERT_OK(
        ei_task_run_local(ei_task_head_find("classify"), &m, 1, params, img, &json, &len, &err),
        &err);
    ASSERT_CONTAINS(json, "\"image\":{\"width\":6,\"height\":4},\"softmax_applied\":false,"
                          "\"classes\":3,\"top\":[{\"index\":2,");
    ASSERT_CONTAINS(json, "\"label\":\"eel\"}]");
    ei_free_string(json);
    /* A model the head cannot use: a clear error, nothing returned. */
    ASSERT_EQ(ei_task_run_local(ei_task_head_find("ocr"), &m, 1, NULL, img, &json, &len, &err),
              EI_EINVAL);
    ASSERT_NULL(json);
    ASSERT_CONTAINS(err.msg, "not an OCR pipeline");
    ei_image_destroy(img);
    ei_labels_destroy(labels);
    ei_session_destroy(s);
}

/* The OCR head with the bundled PP-OCR models reads the sample lines as ei_ocr_run() does. */
TEST(local_ocr_bundled_models)
{
    char det[1024], cls[1024], rec[1024], keys[1024], img_path[1024];
    path_in(det, sizeof det, "EI_MODELS", ".deps/models", "ppocr/det.onnx");
    path_in(cls, sizeof cls, "EI_MODELS", ".deps/models", "ppocr/cls.onnx");
    path_in(rec, sizeof rec, "EI_MODELS", ".deps/models", "ppocr/rec.onnx");
    path_in(keys, sizeof keys, "EI_MODELS", ".deps/models", "ppocr/keys.txt");
    FILE *f = fopen(keys, "rb");
    if (f == NULL) {
        printf("(the bundled PP-OCR models are not set up: skipped)\n");
        return;
    }
    /* The recogniser's labels as a repository gives them: blank, the dictionary, space. */
    char *text = malloc(1 << 20);
    size_t n = fread(text + 6, 1, (1 << 20) - 16, f);
    fclose(f);
    memcpy(text, "blank\n", 6);
    n += 6;
    if (text[n - 1] != '\n')
        text[n++] = '\n';
    memcpy(text + n, " \n", 2);
    n += 2;
    ei_labels_t *labels = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_labels_parse(text, n, "rec labels", &labels, &err), &err);
    free(text);
    ei_session_t *sd = NULL, *sc = NULL, *sr = NULL;
    ASSERT_OK(ei_session_create(det, NULL, &sd, &err), &err);
    ASSERT_OK(ei_session_create(cls, NULL, &sc, &err), &err);
    ASSERT_OK(ei_session_create(rec, NULL, &sr, &err), &err);
    ei_task_local_model_t m[4] = {
        {"ocr", NULL, NULL}, {"det", sd, NULL}, {"cls", sc, NULL}, {"rec", sr, labels}};
    const char *params[] = {
        "detection_model", "det", "classification_model", "cls", "recognition_model", "rec", NULL};
    static const char *const files[2] = {"examples/images/line.jpg",
                                         "examples/images/line_upside_down.png"};
    for (int i = 0; i < 2; i++) {
        path_in(img_path, sizeof img_path, "EI_SOURCE_DIR", ".", files[i]);
        ei_image_t *img = NULL;
        ASSERT_OK(ei_image_load(img_path, NULL, &img, &err), &err);
        char *json = NULL;
        ASSERT_OK(ei_task_run_local(ei_task_head_find("ocr"), m, 4, params, img, &json, NULL, &err),
                  &err);
        ASSERT_CONTAINS(json, "\"lines\":[{\"text\":\"Total due: 42.50 EUR\"");
        ASSERT_CONTAINS(json, i == 0 ? "\"angle\":0," : "\"angle\":180,");
        ASSERT_TRUE(strstr(json, "},{\"text\"") == NULL); /* one line */
        ei_free_string(json);
        ei_image_destroy(img);
    }
    /* A stage named by a model without a session (no inputs, no outputs): a clear error naming
     * it, for the orientation and the recognition stage alike (both dereferenced its missing
     * output names before). */
    ei_image_t *img = NULL;
    ASSERT_OK(ei_image_load(img_path, NULL, &img, &err), &err);
    for (int k = 2; k <= 3; k++) {
        ei_task_local_model_t bad[4];
        memcpy(bad, m, sizeof bad);
        bad[k].session = NULL;
        char *json = NULL;
        ASSERT_NE(
            ei_task_run_local(ei_task_head_find("ocr"), bad, 4, params, img, &json, NULL, &err),
            EI_OK);
        ASSERT_NULL(json);
        ASSERT_CONTAINS(err.msg, k == 2 ? "'cls'" : "'rec'");
        ASSERT_CONTAINS(err.msg, "needs one input and an output");
    }
    ei_image_destroy(img);
    ei_session_destroy(sd);
    ei_session_destroy(sc);
    ei_session_destroy(sr);
    ei_labels_destroy(labels);
}

int main(void)
{
    int rc = RUN_TESTS(classify_head_result_and_json, classify_head_errors, ocr_head_three_stages,
                       ocr_head_errors, ocr_head_options, local_classify, local_ocr_bundled_models);
    ei_global_cleanup();
    return rc;
}
