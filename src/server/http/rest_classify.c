/* SPDX-License-Identifier: MIT */
/*
 * POST /v2/models/{m}[/versions/{v}]/classify: the original use case. The body is an encoded
 * image (JPEG, PNG or WebP; the decoder sniffs the bytes, so Content-Type only has to be an image
 * type or application/octet-stream). The HTTP thread only checks the request and queues it for a
 * bounded pool of image workers (503 at once when the pool and its queue are full), so health,
 * metadata and metrics stay answered while images decode; a worker decodes and preprocesses it with
 * the image pipeline and submits it to the model's scheduler like any inference (so classify
 * requests are batched together, and decoding overlaps inference); the answer is the top-k classes
 * as JSON.
 *
 * Test hook (tests only, documented in docs/server.md): with EI_TEST_HOLD_DECODE=<fifo> in the
 * environment when the server starts, each worker opens that FIFO and reads one byte before it
 * decodes, so a test can hold a decode for as long as it needs and release it, without sleeps.
 *
 * Preprocessing comes from the model config's parameters: `image_preset` (an ei_image_opts_preset()
 * name, default "imagenet"), `image_top_k` (default 5; `?top_k=N` overrides it per request) and
 * `image_output` (the output to read, default the first). Fixed H/W, layout and element type are
 * taken from the config's input. Labels are the output's label_filename labels.
 */
#include "rest.h"
#include "sbuf.h"

#include <edgeinfer/classify.h>
#include <edgeinfer/image.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cls_ctx {
    ei__infer_req_t req;
    ei__http_req_t *http;
    ei__model_t *model;
    ei_tensor_t *input;
    const char *in_name;
    const char *out_name;
    size_t top_k;
    int32_t src_w, src_h;
    ei_image_opts_t opts; /* preprocessing, from the config */
    struct cls_ctx *next; /* in the image pool's queue */
} cls_ctx_t;

/* The /classify image workers. */
typedef struct ei__img_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cls_ctx_t *head, *tail;
    unsigned queued, busy, workers, cap, started;
    bool stop;
    pthread_t *tids;
    ei__http_t *http;
    char *hold_fifo; /* EI_TEST_HOLD_DECODE (tests only) */
} ei__img_pool_t;

static void cls_free(cls_ctx_t *c)
{
    if (c->req.results) {
        for (size_t i = 0; i < c->req.n_results; i++)
            ei_tensor_destroy(c->req.results[i]);
        ei__free(c->req.results);
    }
    ei_tensor_destroy(c->input);
    if (c->model)
        ei__model_release(c->model);
    ei__free(c);
}

/* The first row of the output as floats, softmaxed unless it already is a distribution. */
static void cls_done(ei__infer_req_t *req)
{
    cls_ctx_t *c = req->user;
    ei__http_req_t *r = c->http;
    ei__http_note_timings(r, req->queue_ns,
                          req->compute_input_ns + req->compute_infer_ns + req->compute_output_ns);
    if (req->code != EI_OK || req->n_results < 1) {
        ei_error_t e = req->err;
        e.code = req->code != EI_OK ? req->code : EI_ERUNTIME;
        if (!e.msg[0])
            ei__strlcpy(e.msg, ei_code_str(e.code), sizeof e.msg);
        ei__log_event(r->http->core, EI_LOG_WARN, r->id, r->model, r->version,
                      "classify failed: %s", e.msg);
        ei__http_respond_error(r, ei__http_status_for(e.code), "%s", e.msg);
        cls_free(c);
        return;
    }
    const ei_tensor_t *t = req->results[0];
    size_t n = ei_tensor_count(t);
    size_t rank = ei_tensor_rank(t);
    size_t batch = rank > 1 ? (size_t)ei_tensor_shape(t)[0] : 1;
    size_t row = batch ? n / batch : 0;
    float *p = row ? ei__calloc(row, sizeof *p) : NULL;
    size_t *idx = c->top_k ? ei__calloc(c->top_k, sizeof *idx) : NULL;
    if (!p || !idx || ei_tensor_dtype(t) == EI_DTYPE_STRING) {
        ei__http_respond_error(r, 500, "output '%s': %s", c->out_name,
                               p && idx ? "not numeric" : "empty output or out of memory");
        ei__free(p);
        ei__free(idx);
        cls_free(c);
        return;
    }
    for (size_t i = 0; i < row; i++)
        p[i] = (float)ei_tensor_get_f64(t, i);
    bool softmaxed = false;
    if (!ei_is_distribution(p, row, 1e-3)) {
        ei_softmax(p, p, row);
        softmaxed = true;
    }
    size_t k = ei_topk(p, row, c->top_k, idx);
    const ei__config_io_t *io = ei__model_config_output(ei__model_config(c->model), c->out_name);
    ei__sbuf_t b = {0};
    ei__sbuf_adds(&b, "{\"model_name\":");
    ei__sbuf_json_str(&b, ei__model_name(c->model), strlen(ei__model_name(c->model)));
    ei__sbuf_printf(&b,
                    ",\"model_version\":\"%lld\",\"image\":{\"width\":%d,\"height\":%d},"
                    "\"softmax_applied\":%s,\"classes\":%zu,\"top\":[",
                    (long long)ei__model_version(c->model), (int)c->src_w, (int)c->src_h,
                    softmaxed ? "true" : "false", row);
    for (size_t i = 0; i < k; i++) {
        ei__sbuf_printf(&b, "%s{\"index\":%zu,\"score\":", i ? "," : "", idx[i]);
        ei__sbuf_json_num(&b, (double)p[idx[i]], 9);
        if (io && idx[i] < io->n_labels) {
            ei__sbuf_adds(&b, ",\"label\":");
            ei__sbuf_json_str(&b, io->labels[idx[i]], strlen(io->labels[idx[i]]));
        }
        ei__sbuf_addc(&b, '}');
    }
    ei__sbuf_adds(&b, "]}");
    size_t len = 0;
    char *body = ei__sbuf_take(&b, &len);
    ei__http_respond(r, 200, "application/json", body, len);
    ei__free(p);
    ei__free(idx);
    cls_free(c);
}

static ei_code_t pipe_get(ei__http_t *s, const ei_image_opts_t *opts, ei_image_pipeline_t **out,
                          ei_error_t *err)
{
    ei__pipe_cache_t *pc = &s->pipes;
    int empty = -1;
    *out = NULL;
    pthread_mutex_lock(&pc->mu);
    for (int i = 0; i < EI__PIPE_SLOTS; i++) {
        if (!pc->slot[i].pipe) {
            if (empty < 0)
                empty = i;
        } else if (!pc->slot[i].busy && memcmp(&pc->slot[i].opts, opts, sizeof *opts) == 0) {
            pc->slot[i].busy = true;
            *out = pc->slot[i].pipe;
            break;
        }
    }
    pthread_mutex_unlock(&pc->mu);
    if (*out)
        return EI_OK;
    ei_image_pipeline_t *p = NULL;
    ei_code_t rc = ei_image_pipeline_create(opts, &p, err);
    if (rc != EI_OK)
        return rc;
    if (empty >= 0) {
        /* Cache it when its slot is still free (another thread may have taken it meanwhile). */
        pthread_mutex_lock(&pc->mu);
        if (!pc->slot[empty].pipe) {
            pc->slot[empty].opts = *opts;
            pc->slot[empty].pipe = p;
            pc->slot[empty].busy = true;
        }
        pthread_mutex_unlock(&pc->mu);
    }
    *out = p;
    return EI_OK;
}

static void pipe_put(ei__http_t *s, ei_image_pipeline_t *p)
{
    ei__pipe_cache_t *pc = &s->pipes;
    bool cached = false;
    if (!p)
        return;
    pthread_mutex_lock(&pc->mu);
    for (int i = 0; i < EI__PIPE_SLOTS; i++) {
        if (pc->slot[i].pipe == p) {
            pc->slot[i].busy = false;
            cached = true;
        }
    }
    pthread_mutex_unlock(&pc->mu);
    if (!cached)
        ei_image_pipeline_destroy(p);
}

/* Image options from the config: preset, then the input's fixed dims, layout and type. */
static ei_code_t image_opts(const ei__model_config_t *cfg, const ei__config_io_t *in,
                            ei_image_opts_t *o, ei_error_t *err)
{
    const char *preset = ei__model_config_param(cfg, "image_preset");
    memset(o, 0, sizeof *o); /* padding too: the pipeline cache compares options bytewise */
    ei_code_t rc = ei_image_opts_preset(o, preset ? preset : "imagenet", err);
    if (rc != EI_OK)
        return ei__fail(err, EI_EINVAL, "model '%s': parameter image_preset '%s' is not a preset",
                        cfg->name, preset ? preset : "imagenet");
    int64_t shape[4];
    size_t rank = 0;
    if (cfg->max_batch_size > 0)
        shape[rank++] = 1;
    for (size_t i = 0; i < in->n_dims && rank < 4; i++)
        shape[rank++] = in->dims[i];
    if (rank != 4 || (cfg->max_batch_size <= 0 && in->n_dims != 4) ||
        (cfg->max_batch_size > 0 && in->n_dims != 3))
        return ei__fail(err, EI_EINVAL,
                        "model '%s': classify needs an image input of rank 4 ([N,3,H,W] or "
                        "[N,H,W,3]), input '%s' has %zu dims",
                        cfg->name, in->name, in->n_dims + (cfg->max_batch_size > 0 ? 1 : 0));
    if (ei_image_opts_from_shape(o, shape, 4, err) != EI_OK)
        return ei__fail(err, EI_EINVAL, "model '%s': input '%s' is not an image: %s", cfg->name,
                        in->name, err ? err->msg : "");
    if (in->dtype != EI_DTYPE_FLOAT32 && in->dtype != EI_DTYPE_FLOAT16 &&
        in->dtype != EI_DTYPE_UINT8)
        return ei__fail(err, EI_EINVAL,
                        "model '%s': input '%s' is %s, classify needs FP32, FP16 or UINT8",
                        cfg->name, in->name, ei__wire_type_name(in->dtype));
    o->dtype = in->dtype;
    return EI_OK;
}

static bool pool_push(ei__img_pool_t *p, cls_ctx_t *c);

/* On the HTTP thread: checks the request against the model and queues it for an image worker. */
static void classify(ei__http_req_t *r, ei__repo_t *repo, const char *name, int64_t version)
{
    ei_error_t e = {0};
    const ei__model_config_t *cfg = NULL;
    const ei__config_io_t *in = NULL;
    ei_image_opts_t o;
    cls_ctx_t *c = ei__calloc(1, sizeof *c);
    if (!c) {
        ei__http_respond_error(r, 500, "out of memory");
        return;
    }
    c->http = r;
    const char *ct = ei__http_header(r, "Content-Type");
    if (ct && strncmp(ct, "image/", 6) != 0 && strncmp(ct, "application/octet-stream", 24) != 0) {
        ei__http_respond_error(r, 415,
                               "classify: Content-Type '%.100s' is not an image (send image/jpeg, "
                               "image/png or image/webp)",
                               ct);
        goto fail;
    }
    if (r->body_len == 0) {
        ei__http_respond_error(r, 400, "classify: empty body, expected an encoded image");
        goto fail;
    }
    if (ei__repo_acquire(repo, name, version, &c->model, &e) != EI_OK) {
        ei__http_respond_error(r, ei__http_status_for(e.code), "%s", e.msg);
        goto fail;
    }
    ei__strlcpy(r->model, name, sizeof r->model);
    r->version = ei__model_version(c->model);
    cfg = ei__model_config(c->model);
    if (cfg->n_inputs != 1 || cfg->n_outputs < 1) {
        ei__http_respond_error(r, 400,
                               "model '%s': classify needs one input and an output, it has "
                               "%zu inputs",
                               name, cfg->n_inputs);
        goto fail;
    }
    in = &cfg->inputs[0];
    c->in_name = in->name;
    c->out_name = cfg->outputs[0].name;
    const char *out_param = ei__model_config_param(cfg, "image_output");
    if (out_param) {
        const ei__config_io_t *oio = ei__model_config_output(cfg, out_param);
        if (!oio) {
            ei__http_respond_error(r, 500,
                                   "model '%s': parameter image_output names unknown "
                                   "output '%s'",
                                   name, out_param);
            goto fail;
        }
        c->out_name = oio->name;
    }
    int64_t k = 5;
    const char *kp = ei__model_config_param(cfg, "image_top_k");
    if (kp && (!ei__parse_i64(kp, &k) || k < 1))
        k = 5;
    const char *qk = ei__http_query(r, "top_k");
    if (qk && (!ei__parse_i64(qk, &k) || k < 1 || k > 1000)) {
        ei__http_respond_error(r, 400, "top_k '%.40s': expected an integer in 1..1000", qk);
        goto fail;
    }
    c->top_k = (size_t)k;
    if (image_opts(cfg, in, &o, &e) != EI_OK) {
        ei__http_respond_error(r, 400, "%s", e.msg);
        goto fail;
    }
    c->opts = o;
    if (!pool_push(r->http->images, c)) {
        ei__http_respond_error(r, 503,
                               "classify: all %u image workers are busy and %u images are waiting; "
                               "retry later",
                               r->http->images ? r->http->images->workers : 0,
                               r->http->images ? r->http->images->cap : 0);
        goto fail;
    }
    return; /* a worker answers */
fail:
    if (c->model)
        ei__v2_count_failure(c->model, r->start_ns);
    cls_free(c);
}

/* On an image worker: decode, preprocess, submit (or answer the error). */
static void decode_and_submit(cls_ctx_t *c)
{
    ei__http_req_t *r = c->http;
    /* Once an answer is queued the connection resumes and its I/O thread may free r at once:
     * what the failure path needs after answering is read here, never from r afterwards. */
    ei__http_t *h = r->http;
    const uint64_t start_ns = r->start_ns;
    ei_error_t e = {0};
    ei_image_pipeline_t *pipe = NULL;
    ei_image_t *img = NULL;
    const ei_image_opts_t *o = &c->opts;
    if (pipe_get(r->http, o, &pipe, &e) != EI_OK) {
        ei__http_respond_error(r, 500, "model '%s': image preprocessing: %s", r->model, e.msg);
        goto fail;
    }
    ei_image_decode_opts_t dopts;
    ei_image_decode_opts_init(&dopts);
    if (r->http->o->max_image_pixels > 0)
        dopts.max_pixels = r->http->o->max_image_pixels;
    if (ei_image_decode(r->body, r->body_len, &dopts, &img, &e) != EI_OK) {
        ei__http_respond_error(r, e.code == EI_ELIMIT ? 413 : 400,
                               "classify: cannot decode the image: %s", e.msg);
        goto fail;
    }
    c->src_w = ei_image_width(img);
    c->src_h = ei_image_height(img);
    int64_t shape[4] = {1, 3, o->height, o->width};
    if (o->layout == EI_LAYOUT_NHWC) {
        shape[1] = o->height;
        shape[2] = o->width;
        shape[3] = 3;
    }
    /* Without a batch dim in the config the model's own first dim is used as is (1). */
    if (ei_tensor_create(o->dtype, shape, 4, &c->input, &e) != EI_OK ||
        ei_image_pipeline_run_tensor(pipe, img, c->input, 0, NULL, &e) != EI_OK) {
        ei__http_respond_error(r, ei__http_status_for(e.code), "classify: preprocessing: %s",
                               e.msg);
        goto fail;
    }
    ei_image_destroy(img);
    img = NULL;
    pipe_put(r->http, pipe);
    pipe = NULL;
    c->req.n_inputs = 1;
    c->req.input_names = &c->in_name;
    c->req.inputs = &c->input;
    c->req.n_outputs = 1;
    c->req.output_names = &c->out_name;
    c->req.received_ns = r->start_ns;
    c->req.done = cls_done;
    c->req.user = c;
    ei__model_t *m = c->model;
    if (ei__model_submit(m, &c->req, &e) != EI_OK) {
        ei__v2_count_failure(m, start_ns);
        ei__http_respond_error(r, ei__http_status_for(e.code), "%s", e.msg);
        cls_free(c);
    }
    return; /* accepted: cls_done() answers (and may already have: neither c nor r is ours) */
fail:
    ei__v2_count_failure(c->model, start_ns);
    ei_image_destroy(img);
    pipe_put(h, pipe);
    cls_free(c);
}

/* The image pool ------------------------------------------------------------------------------ */

/* Blocks until the test releases this decode (EI_TEST_HOLD_DECODE, tests only). */
static void test_hold(const char *fifo)
{
    int fd = open(fifo, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char b;
    while (read(fd, &b, 1) < 0 && errno == EINTR) {
    }
    close(fd);
}

static void *pool_main(void *arg)
{
    ei__img_pool_t *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        cls_ctx_t *c = p->head;
        if (!c)
            break; /* stopping and nothing left */
        p->head = c->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        p->busy++;
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop) {
            ei__http_req_t *r = c->http;
            ei__v2_count_failure(c->model, r->start_ns);
            cls_free(c);
            ei__http_respond_error(r, 503, "server is shutting down");
        } else {
            if (p->hold_fifo)
                test_hold(p->hold_fifo);
            decode_and_submit(c);
        }
        pthread_mutex_lock(&p->mu);
        p->busy--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Queues an image; false when every worker is busy and the queue is full (or no pool). */
static bool pool_push(ei__img_pool_t *p, cls_ctx_t *c)
{
    if (!p)
        return false;
    pthread_mutex_lock(&p->mu);
    bool ok = !p->stop && p->queued + p->busy < p->workers + p->cap;
    if (ok) {
        c->next = NULL;
        if (p->tail)
            p->tail->next = c;
        else
            p->head = c;
        p->tail = c;
        p->queued++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}

ei_code_t ei__rest_images_start(ei__http_t *h, ei_error_t *err)
{
    ei__img_pool_t *p = ei__calloc(1, sizeof *p);
    if (!p)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = h->o->image_workers;
    if (n == 0)
        n = cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned)cpus;
    p->workers = n;
    p->cap = h->o->image_queue;
    p->http = h;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    const char *hold = getenv("EI_TEST_HOLD_DECODE");
    if (hold && *hold) {
        p->hold_fifo = ei__strdup(hold);
        ei__log_event(h->core, EI_LOG_WARN, 0, NULL, -1,
                      "EI_TEST_HOLD_DECODE is set: every /classify decode waits on %s (a test "
                      "hook; never set it in production)",
                      hold);
    }
    p->tids = ei__calloc(n, sizeof *p->tids);
    h->images = p;
    if (!p->tids) {
        ei__rest_images_stop(h);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&p->tids[i], NULL, pool_main, p) != 0) {
            ei__rest_images_stop(h);
            return ei__fail(err, EI_ERUNTIME, "cannot start image worker %u", i);
        }
        p->started++;
    }
    return EI_OK;
}

void ei__rest_images_stop(ei__http_t *h)
{
    ei__img_pool_t *p = h->images;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->tids[i], NULL);
    ei__free(p->tids);
    ei__free(p->hold_fifo);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    ei__free(p);
    h->images = NULL;
}

void ei__rest_classify(ei__http_req_t *r, const char *const *arg, size_t n_arg)
{
    const char *name;
    int64_t version;
    ei_error_t e = {0};
    if (!ei__rest_model_args(r, arg, n_arg, &name, &version))
        return;
    ei__repo_t *repo = ei__v2_repo_hold(r->http->core, &e);
    if (!repo) {
        ei__http_respond_code(r, &e);
        return;
    }
    classify(r, repo, name, version);
    ei__v2_repo_drop(r->http->core);
}
