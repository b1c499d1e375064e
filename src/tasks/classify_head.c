/* SPDX-License-Identifier: MIT */
/*
 * The classification head (<edgeinfer/task.h>, "classify"): one stage, one image input, the top-k
 * of its output row. Parameters, as a server's model config names them: `image_preset` (an
 * ei_image_opts_preset() name, default "imagenet"), `image_top_k` (default 5; the request's
 * `top_k`, 1..1000, overrides it) and `image_output` (the output to read, default the first).
 * Fixed H/W, layout and element type come from the model's input. Labels are the output's.
 * The result: {"image":{"width","height"},"softmax_applied","classes","top":[{index,score,label}]}.
 */
#include "task_head.h"

#include <edgeinfer/classify.h>
#include <stdlib.h>
#include <string.h>

typedef struct cls_state {
    const char *model, *in_name, *out_name;
    const ei_labels_t *labels;
    size_t top_k;
    ei_image_opts_t opts;
    ei_tensor_t *input;
    int32_t src_w, src_h;
    /* The result. */
    bool softmaxed;
    size_t classes, n_top;
    size_t *idx;
    float *p;
} cls_state_t;

static void cls_destroy(void *state)
{
    cls_state_t *s = state;
    ei_tensor_destroy(s->input);
    ei__free(s->idx);
    ei__free(s->p);
    ei__free(s);
}

/* Image options from the model: preset, then the input's fixed dims, layout and type. */
static ei_code_t image_opts(const ei_task_model_t *m, const char *preset, ei_image_opts_t *o,
                            ei_error_t *err)
{
    memset(o, 0, sizeof *o); /* padding too: the pipeline cache compares options bytewise */
    ei_code_t rc = ei_image_opts_preset(o, preset ? preset : "imagenet", err);
    if (rc != EI_OK)
        return ei__fail(err, EI_EINVAL, "model '%s': parameter image_preset '%s' is not a preset",
                        m->name, preset ? preset : "imagenet");
    int64_t shape[4];
    size_t rank = 0;
    if (m->max_batch > 0)
        shape[rank++] = 1;
    for (size_t i = 0; i < m->input_rank && rank < 4; i++)
        shape[rank++] = m->input_dims[i];
    if (rank != 4 || (m->max_batch == 0 && m->input_rank != 4) ||
        (m->max_batch > 0 && m->input_rank != 3))
        return ei__fail(err, EI_EINVAL,
                        "model '%s': classify needs an image input of rank 4 ([N,3,H,W] or "
                        "[N,H,W,3]), input '%s' has %zu dims",
                        m->name, m->input_name, m->input_rank + (m->max_batch > 0 ? 1 : 0));
    if (ei_image_opts_from_shape(o, shape, 4, err) != EI_OK)
        return ei__fail(err, EI_EINVAL, "model '%s': input '%s' is not an image: %s", m->name,
                        m->input_name, err ? err->msg : "");
    if (m->input_dtype != EI_DTYPE_FLOAT32 && m->input_dtype != EI_DTYPE_FLOAT16 &&
        m->input_dtype != EI_DTYPE_UINT8)
        return ei__fail(err, EI_EINVAL,
                        "model '%s': input '%s' is %s, classify needs float32, float16 or uint8",
                        m->name, m->input_name, ei_dtype_name(m->input_dtype));
    o->dtype = m->input_dtype;
    return EI_OK;
}

static ei_code_t cls_create(ei_task_job_t *job, const ei_task_env_t *env, void **state,
                            ei_error_t *err)
{
    (void)job;
    ei_task_model_t m;
    size_t stage = 0;
    memset(&m, 0, sizeof m);
    ei_code_t rc = env->stage(env->ctx, NULL, &stage, &m, err);
    if (rc != EI_OK)
        return rc;
    if (m.n_inputs != 1 || m.n_outputs < 1)
        return ei__fail(err, EI_EINVAL,
                        "model '%s': classify needs one input and an output, it has %zu inputs",
                        m.name, m.n_inputs);
    cls_state_t *s = ei__calloc(1, sizeof *s);
    if (s == NULL)
        return ei__fail(err, EI_ENOMEM, "classify: out of memory");
    s->model = m.name;
    s->in_name = m.input_name;
    size_t out = 0;
    const char *want = env->model_param ? env->model_param(env->ctx, "image_output") : NULL;
    if (want != NULL) {
        while (out < m.n_outputs && strcmp(m.output_names[out], want) != 0)
            out++;
        if (out == m.n_outputs) {
            rc = ei__fail(err, EI_EMODEL,
                          "model '%s': parameter image_output names unknown output '%s'", m.name,
                          want);
            goto fail;
        }
    }
    s->out_name = m.output_names[out];
    s->labels = m.output_labels ? m.output_labels[out] : NULL;
    int64_t k = 5;
    const char *kp = env->model_param ? env->model_param(env->ctx, "image_top_k") : NULL;
    if (kp && (!ei__parse_i64(kp, &k) || k < 1))
        k = 5;
    const char *qk = env->request_param ? env->request_param(env->ctx, "top_k") : NULL;
    if (qk && (!ei__parse_i64(qk, &k) || k < 1 || k > 1000)) {
        rc = ei__fail(err, EI_EINVAL, "top_k '%.40s': expected an integer in 1..1000", qk);
        goto fail;
    }
    s->top_k = (size_t)k;
    const char *preset = env->model_param ? env->model_param(env->ctx, "image_preset") : NULL;
    rc = image_opts(&m, preset, &s->opts, err);
    if (rc != EI_OK)
        goto fail;
    *state = s;
    return EI_OK;
fail:
    cls_destroy(s);
    return rc;
}

static ei_code_t cls_prepare(void *state, const ei_image_t *img, ei_image_t **take,
                             ei_task_cache_t *cache, ei_error_t *err)
{
    (void)take;
    cls_state_t *s = state;
    const ei_image_opts_t *o = &s->opts;
    ei_image_pipeline_t *pipe = NULL;
    ei_code_t rc = ei__task_pipe_get(cache, o, &pipe, err);
    if (rc != EI_OK) {
        ei__error_prefix(err, "model '%s': image preprocessing", s->model);
        return rc == EI_ENOMEM ? rc : EI_ERUNTIME;
    }
    s->src_w = ei_image_width(img);
    s->src_h = ei_image_height(img);
    int64_t shape[4] = {1, 3, o->height, o->width};
    if (o->layout == EI_LAYOUT_NHWC) {
        shape[1] = o->height;
        shape[2] = o->width;
        shape[3] = 3;
    }
    /* One slot: the scheduler joins requests into batches. Without a batch dim in the config the
     * model's own first dim is used as is (1). */
    ei_tensor_destroy(s->input);
    s->input = NULL;
    rc = ei_tensor_create(o->dtype, shape, 4, &s->input, err);
    if (rc == EI_OK)
        rc = ei_image_pipeline_run_tensor(pipe, img, s->input, 0, NULL, err);
    if (rc != EI_OK)
        ei__error_prefix(err, "classify: preprocessing");
    ei__task_pipe_put(cache, pipe);
    return rc;
}

static void cls_start(ei_task_job_t *job, void *state)
{
    cls_state_t *s = state;
    ei_error_t e = {0};
    ei_code_t rc = ei__task_submit(job, 0, s->in_name, s->input, s->out_name, s, &e);
    if (rc != EI_OK)
        ei__task_finish(job, rc, &e);
    /* accepted: stage_done ends the job (and may already have) */
}

/* The first row of the output as floats, softmaxed unless it already is a distribution. */
static void cls_stage_done(ei_task_job_t *job, void *state, void *ticket, ei_code_t code,
                           const ei_tensor_t *t, const ei_error_t *err)
{
    cls_state_t *s = state;
    (void)ticket;
    ei_error_t e = {0};
    if (code != EI_OK || t == NULL) {
        ei__task_stage_error(code, err, &e);
        ei__task_finish(job, e.code, &e);
        return;
    }
    size_t n = ei_tensor_count(t);
    size_t rank = ei_tensor_rank(t);
    size_t batch = rank > 1 ? (size_t)ei_tensor_shape(t)[0] : 1;
    size_t row = batch ? n / batch : 0;
    if (ei_tensor_dtype(t) == EI_DTYPE_STRING || ei_tensor_dtype(t) == EI_DTYPE_BOOL) {
        ei__fail(&e, EI_EMODEL, "output '%s': not numeric (%s)", s->out_name,
                 ei_dtype_name(ei_tensor_dtype(t)));
        ei__task_finish(job, e.code, &e);
        return;
    }
    if (row == 0) {
        ei__fail(&e, EI_EMODEL, "output '%s': empty", s->out_name);
        ei__task_finish(job, e.code, &e);
        return;
    }
    s->p = ei__calloc(row, sizeof *s->p);
    s->idx = ei__calloc(s->top_k, sizeof *s->idx);
    if (!s->p || !s->idx) {
        ei__fail(&e, EI_ENOMEM, "classify: out of memory");
        ei__task_finish(job, e.code, &e);
        return;
    }
    for (size_t i = 0; i < row; i++)
        s->p[i] = (float)ei_tensor_get_f64(t, i);
    s->softmaxed = false;
    if (!ei_is_distribution(s->p, row, 1e-3)) {
        ei_softmax(s->p, s->p, row);
        s->softmaxed = true;
    }
    s->classes = row;
    s->n_top = ei_topk(s->p, row, s->top_k, s->idx);
    ei__task_finish(job, EI_OK, NULL);
}

static ei_code_t cls_json(const void *state, ei__sbuf_t *b, ei_error_t *err)
{
    const cls_state_t *s = state;
    (void)err;
    ei__sbuf_printf(b,
                    "\"image\":{\"width\":%d,\"height\":%d},\"softmax_applied\":%s,"
                    "\"classes\":%zu,\"top\":[",
                    (int)s->src_w, (int)s->src_h, s->softmaxed ? "true" : "false", s->classes);
    for (size_t i = 0; i < s->n_top; i++) {
        ei__sbuf_printf(b, "%s{\"index\":%zu,\"score\":", i ? "," : "", s->idx[i]);
        ei__sbuf_json_num(b, (double)s->p[s->idx[i]], 9);
        const char *l = ei_labels_get(s->labels, s->idx[i]);
        if (l != NULL) {
            ei__sbuf_adds(b, ",\"label\":");
            ei__sbuf_json_str(b, l, strlen(l));
        }
        ei__sbuf_addc(b, '}');
    }
    ei__sbuf_addc(b, ']');
    return EI_OK;
}

const ei_task_head_t ei__classify_head = {
    .name = "classify",
    .create = cls_create,
    .prepare = cls_prepare,
    .start = cls_start,
    .stage_done = cls_stage_done,
    .json = cls_json,
    .destroy = cls_destroy,
};
