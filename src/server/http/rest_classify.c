/* SPDX-License-Identifier: MIT */
/*
 * POST /v2/models/{m}[/versions/{v}]/classify: the original use case. The body is an encoded
 * image (JPEG, PNG or WebP; the decoder sniffs the bytes, so Content-Type only has to be an image
 * type or application/octet-stream); it is decoded and preprocessed on the HTTP thread with the
 * image pipeline, submitted to the model's scheduler like any inference (so classify requests are
 * batched together), and answered with the top-k classes as JSON.
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
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct cls_ctx {
    ei__infer_req_t req;
    ei__http_req_t *http;
    ei__model_t *model;
    ei_tensor_t *input;
    const char *in_name;
    const char *out_name;
    size_t top_k;
    int32_t src_w, src_h;
} cls_ctx_t;

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
    r->queue_ns = req->queue_ns;
    r->compute_ns = req->compute_input_ns + req->compute_infer_ns + req->compute_output_ns;
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

static void classify(ei__http_req_t *r, ei__repo_t *repo, const char *name, int64_t version)
{
    ei_error_t e = {0};
    ei_image_pipeline_t *pipe = NULL;
    ei_image_t *img = NULL;
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
    if (pipe_get(r->http, &o, &pipe, &e) != EI_OK) {
        ei__http_respond_error(r, 500, "model '%s': image preprocessing: %s", name, e.msg);
        goto fail;
    }
    ei_image_decode_opts_t dopts;
    ei_image_decode_opts_init(&dopts);
    if (ei_image_decode(r->body, r->body_len, &dopts, &img, &e) != EI_OK) {
        ei__http_respond_error(r, 400, "classify: cannot decode the image: %s", e.msg);
        goto fail;
    }
    c->src_w = ei_image_width(img);
    c->src_h = ei_image_height(img);
    int64_t shape[4] = {1, 3, o.height, o.width};
    if (o.layout == EI_LAYOUT_NHWC) {
        shape[1] = o.height;
        shape[2] = o.width;
        shape[3] = 3;
    }
    /* Without a batch dim in the config the model's own first dim is used as is (1). */
    if (ei_tensor_create(o.dtype, shape, 4, &c->input, &e) != EI_OK ||
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
    if (ei__model_submit(c->model, &c->req, &e) != EI_OK) {
        ei__http_respond_error(r, ei__http_status_for(e.code), "%s", e.msg);
        goto fail;
    }
    return;
fail:
    if (c->model)
        ei__v2_count_failure(c->model, r->start_ns);
    ei_image_destroy(img);
    pipe_put(r->http, pipe);
    cls_free(c);
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
