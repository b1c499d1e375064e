/* SPDX-License-Identifier: MIT */
/*
 * The pipeline runner (pipeline_run.h): checks the request, starts one OCR task call per image
 * (task_call.h: decode on an image worker, the stages on their models' schedulers), and when the
 * last image is back turns the head's answers into the pipeline's output tensors.
 */
#include "pipeline_run.h"

#include "task_call.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* What one image's call left behind. */
typedef struct image_slot {
    json_t *lines; /* the head's "lines" array, or NULL */
} image_slot_t;

typedef struct pipe_call {
    ei__infer_req_t *req;
    ei__model_t *model; /* held until done */
    size_t n;
    image_slot_t *img;
    ei__v2_core_t *core;
    pthread_mutex_t mu; /* guards what follows */
    size_t next;        /* the next image to start */
    size_t running;     /* images started and not ended */
    size_t left;        /* images not ended (started or not) */
    size_t pumping;     /* pump() loops running */
    bool started;       /* an image started: the request is accepted */
    ei_error_t error;   /* the first failure (code EI_OK: none) */
    uint64_t queue_ns, compute_ns;
} pipe_call_t;

/* The outputs, in the config's order (pipeline.c). */
static const char *const out_names[] = {EI__OCR_OUT_TEXT, EI__OCR_OUT_SCORE, EI__OCR_OUT_POLYGON,
                                        EI__OCR_OUT_ANGLE, EI__OCR_OUT_IMAGE_INDEX};
#define N_OUT (sizeof out_names / sizeof out_names[0])

static void pc_free(pipe_call_t *p)
{
    for (size_t i = 0; p->img != NULL && i < p->n; i++)
        json_decref(p->img[i].lines);
    ei__free(p->img);
    pthread_mutex_destroy(&p->mu);
    ei__model_release(p->model);
    ei__free(p);
}

/* One output tensor over every line of every image. */
static ei_code_t make_output(const pipe_call_t *p, size_t which, size_t total, ei_tensor_t **out,
                             ei_error_t *err)
{
    static const ei_dtype_t dt[N_OUT] = {EI_DTYPE_STRING, EI_DTYPE_FLOAT32, EI_DTYPE_FLOAT32,
                                         EI_DTYPE_INT32, EI_DTYPE_INT32};
    int64_t shape[3] = {(int64_t)total, 4, 2};
    ei_code_t rc = ei_tensor_create(dt[which], shape, which == 2 ? 3 : 1, out, err);
    if (rc != EI_OK)
        return rc;
    float *f = dt[which] == EI_DTYPE_FLOAT32 ? ei_tensor_data(*out) : NULL;
    int32_t *k = dt[which] == EI_DTYPE_INT32 ? ei_tensor_data(*out) : NULL;
    size_t row = 0;
    for (size_t i = 0; i < p->n && rc == EI_OK; i++) {
        size_t idx;
        json_t *l;
        json_array_foreach(p->img[i].lines, idx, l)
        {
            if (which == 0) {
                const char *s = json_string_value(json_object_get(l, "text"));
                rc = ei_tensor_set_string(*out, row, s ? s : "", s ? strlen(s) : 0, err);
            } else if (which == 1) {
                f[row] = (float)json_number_value(json_object_get(l, "score"));
            } else if (which == 2) {
                json_t *poly = json_object_get(l, "polygon");
                for (size_t c = 0; c < 8; c++)
                    f[row * 8 + c] = (float)json_number_value(
                        json_array_get(json_array_get(poly, c / 2), c % 2));
            } else if (which == 3) {
                k[row] = (int32_t)json_integer_value(json_object_get(l, "angle"));
            } else {
                k[row] = (int32_t)i;
            }
            if (rc != EI_OK)
                break;
            row++;
        }
    }
    if (rc != EI_OK) {
        ei_tensor_destroy(*out);
        *out = NULL;
    }
    return rc;
}

/* Every image is back: the outputs the request asked for (all of them when it named none). */
static ei_code_t build_results(pipe_call_t *p, ei_error_t *err)
{
    ei__infer_req_t *req = p->req;
    size_t total = 0;
    for (size_t i = 0; i < p->n; i++)
        total += json_array_size(p->img[i].lines);
    size_t n = req->n_outputs ? req->n_outputs : N_OUT;
    req->results = ei__calloc(n, sizeof(*req->results));
    if (req->results == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    req->result_names = req->n_outputs ? req->output_names : out_names;
    for (size_t o = 0; o < n; o++) {
        size_t which = N_OUT;
        for (size_t k = 0; k < N_OUT && which == N_OUT; k++)
            if (strcmp(req->result_names[o], out_names[k]) == 0)
                which = k;
        ei_code_t rc = which == N_OUT
                           ? ei__fail(err, EI_EINVAL, "unknown output '%s'", req->result_names[o])
                           : make_output(p, which, total, &req->results[o], err);
        if (rc != EI_OK)
            return rc;
        req->n_results = o + 1;
    }
    return EI_OK;
}

/* The last image is back: answer the request. */
static void finish(pipe_call_t *p)
{
    ei__infer_req_t *req = p->req;
    ei_error_t e = p->error;
    if (e.code == EI_OK)
        (void)build_results(p, &e);
    if (e.code != EI_OK) {
        for (size_t i = 0; i < req->n_results; i++)
            ei_tensor_destroy(req->results[i]);
        ei__free(req->results);
        req->results = NULL;
        req->n_results = 0;
        req->err = e;
        ei__error_prefix(&req->err, "model '%s'", ei__model_name(p->model));
    }
    req->code = e.code;
    req->queue_ns = p->queue_ns;
    req->compute_infer_ns = p->compute_ns;
    ei__model_record(p->model, req);
    pc_free(p);
    req->done(req);
}

/* Under mu: the next image to start, or SIZE_MAX when none may start now. */
static size_t take_next(pipe_call_t *p)
{
    if (p->next == p->n || p->running >= EI__PIPELINE_IN_FLIGHT)
        return SIZE_MAX;
    p->running++;
    return p->next++;
}

/* Under mu: image i ended (done, or refused when it was to start), with `e` when it failed. The
 * first failure wins, and the images not started yet are dropped. */
static void settle(pipe_call_t *p, size_t i, const ei_error_t *e)
{
    p->running--;
    p->left--;
    if (e == NULL)
        return;
    if (p->error.code == EI_OK) {
        p->error = *e;
        if (p->error.code == EI_OK)
            p->error.code = EI_ERUNTIME;
        if (p->n > 1)
            ei__error_prefix(&p->error, "image %zu", i);
    }
    p->left -= p->n - p->next;
    p->next = p->n;
}

static void image_done(const ei__task_outcome_t *o, void *user);

typedef struct {
    pipe_call_t *p;
    size_t i;
} image_ticket_t;

/* Starts image i (a task call on the pipeline model, which the driver resolves into its stages). */
static ei_code_t start_image(pipe_call_t *p, ei__repo_t *r, size_t i, ei_error_t *err)
{
    size_t len = 0;
    const char *data = ei_tensor_string(p->req->inputs[0], i, &len);
    image_ticket_t *t = ei__calloc(1, sizeof(*t));
    if (t == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    t->p = p;
    t->i = i;
    ei__task_args_t a = {0};
    a.head = "ocr";
    a.model = ei__model_name(p->model);
    a.version = ei__model_version(p->model);
    a.image = data;
    a.image_len = len;
    a.received_ns = p->req->received_ns;
    a.uncounted = true; /* finish() counts the request once, whatever its images */
    ei_code_t rc = ei__task_call_start(p->core, r, &a, image_done, t, NULL, err);
    if (rc != EI_OK)
        ei__free(t);
    return rc;
}

/* Whether the client still waits: no image starts once it cancelled or its deadline passed. */
static ei_code_t still_wanted(const ei__infer_req_t *req, ei_error_t *err)
{
    if (atomic_load_explicit(&req->cancelled, memory_order_acquire))
        return ei__fail(err, EI_ECANCELED, "the client cancelled the request");
    if (req->client_deadline_ns != 0 && ei__now_ns() > req->client_deadline_ns)
        return ei__fail(err, EI_ETIMEDOUT, "the client's deadline passed");
    return EI_OK;
}

/*
 * Under mu, with p->pumping counted by the caller: starts images while the window allows, with
 * `r` (NULL: held here, from a model worker). Returns with mu released and p->pumping dropped;
 * true when the call is over then (every image ended, nobody else pumping): the caller finishes.
 * Counting the pumps keeps `p` alive while a loop still looks at it, even when the images it
 * started all end on other threads meanwhile.
 */
static bool pump(pipe_call_t *p, ei__repo_t *r)
{
    for (size_t i; (i = take_next(p)) != SIZE_MAX;) {
        pthread_mutex_unlock(&p->mu);
        ei_error_t e = {0};
        ei_code_t rc = still_wanted(p->req, &e);
        ei__repo_t *held = rc != EI_OK ? NULL : r != NULL ? r : ei__v2_repo_hold(p->core, &e);
        if (rc == EI_OK)
            rc = held != NULL ? start_image(p, held, i, &e) : e.code;
        if (r == NULL && held != NULL)
            ei__v2_repo_drop(p->core);
        pthread_mutex_lock(&p->mu);
        if (rc != EI_OK)
            settle(p, i, &e);
        else
            p->started = true;
    }
    bool over = --p->pumping == 0 && p->left == 0;
    pthread_mutex_unlock(&p->mu);
    return over;
}

static void image_done(const ei__task_outcome_t *o, void *user)
{
    image_ticket_t *t = user;
    pipe_call_t *p = t->p;
    size_t i = t->i;
    ei__free(t);
    ei_error_t e = o->err;
    bool failed = o->code != EI_OK;
    if (!failed) {
        json_error_t je;
        json_t *doc = json_loadb(o->json, o->json_len, 0, &je);
        json_t *lines = json_object_get(doc, "lines");
        if (json_is_array(lines))
            p->img[i].lines = json_incref(lines); /* slot i is this call's alone */
        else
            failed = ei__fail(&e, EI_ERUNTIME, "the OCR head's answer has no lines") != EI_OK;
        json_decref(doc);
    }
    pthread_mutex_lock(&p->mu);
    p->queue_ns += o->queue_ns;
    p->compute_ns += o->compute_ns;
    settle(p, i, failed ? &e : NULL);
    p->pumping++;
    if (pump(p, NULL))
        finish(p);
}

/* The request must carry exactly one input: "image", BYTES [n], n >= 1. */
static ei_code_t check_input(const ei__model_t *m, const ei__infer_req_t *req, ei_error_t *err)
{
    const char *name = ei__model_name(m);
    if (req->n_inputs != 1 || strcmp(req->input_names[0], EI__OCR_IN_IMAGE) != 0)
        return ei__fail(err, EI_EINVAL,
                        "model '%s' is an OCR pipeline: it takes one input '%s' (BYTES [n], "
                        "encoded images)",
                        name, EI__OCR_IN_IMAGE);
    const ei_tensor_t *t = req->inputs[0];
    size_t n = ei_tensor_count(t);
    if (ei_tensor_dtype(t) != EI_DTYPE_STRING || ei_tensor_rank(t) != 1)
        return ei__fail(err, EI_EINVAL,
                        "model '%s': input '%s' must be BYTES [n] holding encoded images (JPEG, "
                        "PNG, WebP), one per element",
                        name, EI__OCR_IN_IMAGE);
    if (n == 0 || n > EI__PIPELINE_MAX_IMAGES)
        return ei__fail(err, EI_EINVAL, "model '%s': input '%s' holds %zu images (1..%d allowed)",
                        name, EI__OCR_IN_IMAGE, n, EI__PIPELINE_MAX_IMAGES);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        (void)ei_tensor_string(t, i, &len);
        if (len == 0)
            return ei__fail(err, EI_EINVAL, "model '%s': input '%s' element %zu is empty", name,
                            EI__OCR_IN_IMAGE, i);
    }
    return EI_OK;
}

ei_code_t ei__v2_pipeline_submit(void *ctx, ei__repo_t *r, ei__model_t *m, ei__infer_req_t *req,
                                 ei_error_t *err)
{
    ei__v2_core_t *core = ctx;
    ei_code_t rc = check_input(m, req, err);
    if (rc != EI_OK)
        return rc;
    pipe_call_t *p = ei__calloc(1, sizeof(*p));
    size_t n = ei_tensor_count(req->inputs[0]);
    if (p == NULL || (p->img = ei__calloc(n, sizeof(*p->img))) == NULL) {
        ei__free(p);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    p->core = core;
    p->req = req;
    p->n = n;
    p->left = n;
    ei__model_retain(m);
    p->model = m;
    pthread_mutex_lock(&p->mu);
    p->pumping = 2; /* the pump below, and this function until it has looked at the outcome */
    (void)pump(p, r);
    pthread_mutex_lock(&p->mu);
    bool over = --p->pumping == 0 && p->left == 0, started = p->started;
    pthread_mutex_unlock(&p->mu);
    if (over && !started) {
        /* Nothing ran: refuse the request synchronously (no done()). */
        *err = p->error;
        rc = p->error.code;
        pc_free(p);
        return rc;
    }
    if (over)
        finish(p);
    return EI_OK;
}
