/* SPDX-License-Identifier: MIT */
/*
 * POST /v2/models/{m}[/versions/{v}]/ocr: the text lines of an encoded image, through three
 * ordinary repository models, each loaded, versioned, batched and reloaded on its own (Triton's
 * ensemble idea). {m} is an OCR pipeline model (platform "edgeinfer_ocr", ../model/pipeline.h):
 * its config names the stage models and the options; the recogniser's output labels are its CTC
 * alphabet (blank, the dictionary, space). A request
 * lives as a small state machine driven by the models' done() callbacks:
 *
 *   HTTP thread: decode, detection input, submit to {m}
 *   det done:    boxes and crops (the OCR head, <edgeinfer/ocr.h>); submit the strips to the
 *                classifier in requests of at most its max_batch_size
 *   cls done:    (when the last one is back) turn lines over, the page too; submit the strips to
 *                the recogniser grouped by width bucket (64-pixel steps), so that strips of
 *                concurrent requests with the same width are batched together by its scheduler
 *   rec done:    CTC decoding; when the last one is back, answer with JSON.
 *
 * The pre- and post-processing is the library's OCR head; this file only schedules and writes
 * JSON. Statistics and metrics are per stage: each stage is a model with its own.
 */
#include "rest.h"
#include "sbuf.h"

#include <edgeinfer/ocr.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLS_H 48
#define CLS_W 192
#define REC_H 48
/* Recognition widths are rounded up to this step so that lines of different requests share a
 * shape (the dynamic batcher only joins requests whose non-batch dims match). */
#define REC_STEP 64

struct ocr_job;

/* One stage request and the strips it carries. */
struct stage_req {
    ei__infer_req_t req;
    struct ocr_job *job;
    const char *in_name, *out_name;
    ei_tensor_t *input;
    size_t *idx; /* strip indices, one per row */
    size_t n;
};

enum phase { PHASE_DET, PHASE_CLS, PHASE_REC };

typedef struct ocr_job {
    ei__http_req_t *http;
    ei__model_t *pipe, *det, *cls, *rec;
    const char *det_in, *det_out;
    ei_ocr_opts_t o;
    ei_ocr_keys_t *keys;
    ei_image_t *img;
    ei_ocr_box_t *boxes;
    size_t n;
    ei_image_t **strips;
    ei_ocr_line_t *lines;
    enum phase phase;
    struct stage_req *stage; /* the current phase's requests */
    size_t n_stage;
    pthread_mutex_t mu;
    size_t pending;   /* the current phase's requests not back yet */
    ei_error_t error; /* the first failure (code EI_OK: none) */
    uint64_t t0, t_det, t_cls, t_rec;
} ocr_job_t;

static void free_stage(ocr_job_t *j)
{
    for (size_t i = 0; i < j->n_stage; i++) {
        struct stage_req *s = &j->stage[i];
        ei_tensor_destroy(s->input);
        ei__free(s->idx);
        for (size_t k = 0; k < s->req.n_results; k++)
            ei_tensor_destroy(s->req.results[k]);
        ei__free(s->req.results);
    }
    ei__free(j->stage);
    j->stage = NULL;
    j->n_stage = 0;
}

static void job_free(ocr_job_t *j)
{
    free_stage(j);
    if (j->strips != NULL)
        for (size_t i = 0; i < j->n; i++)
            ei_image_destroy(j->strips[i]);
    ei__free(j->strips);
    if (j->lines != NULL)
        for (size_t i = 0; i < j->n; i++)
            ei__free(j->lines[i].text);
    ei__free(j->lines);
    ei_ocr_boxes_free(j->boxes);
    ei_image_destroy(j->img);
    ei_ocr_keys_destroy(j->keys);
    if (j->cls)
        ei__model_release(j->cls);
    if (j->rec)
        ei__model_release(j->rec);
    if (j->det)
        ei__model_release(j->det);
    if (j->pipe)
        ei__model_release(j->pipe);
    pthread_mutex_destroy(&j->mu);
    ei__free(j);
}

/* Counts the request in the pipeline model's own statistics (its stages count their runs). */
static void record(ocr_job_t *j, ei_code_t code)
{
    ei__infer_req_t q = {0};
    q.code = code;
    q.received_ns = j->t0;
    ei__model_record(j->pipe, &q);
}

static void fail_job(ocr_job_t *j, const ei_error_t *e)
{
    ei__http_req_t *r = j->http;
    record(j, e->code != EI_OK ? e->code : EI_ERUNTIME);
    ei__log_event(r->http->core, EI_LOG_WARN, r->id, r->model, r->version, "ocr failed: %s",
                  e->msg);
    ei__http_respond_error(r, ei__http_status_for(e->code), "%s", e->msg);
    job_free(j);
}

/* Records a failure (the first one wins). */
static void note_error(ocr_job_t *j, ei_code_t code, const ei_error_t *e)
{
    pthread_mutex_lock(&j->mu);
    if (j->error.code == EI_OK) {
        if (e != NULL)
            j->error = *e;
        j->error.code = code;
        if (!j->error.msg[0])
            ei__strlcpy(j->error.msg, ei_code_str(code), sizeof j->error.msg);
    }
    pthread_mutex_unlock(&j->mu);
}

/* The answer: {"model_name","model_version","image":{...},"lines":[{text,score,angle,polygon}],
 * "timings_ms":{...}}. */
static void respond(ocr_job_t *j)
{
    ei__http_req_t *r = j->http;
    ei_error_t e = {0};
    size_t *order = j->n ? ei__calloc(j->n, sizeof(*order)) : NULL;
    if ((j->n && order == NULL) || ei_ocr_line_order(j->lines, j->n, ei_image_width(j->img),
                                                     ei_image_height(j->img), order, &e) != EI_OK) {
        ei__free(order);
        if (e.code == EI_OK)
            ei__fail(&e, EI_ENOMEM, "ocr: out of memory");
        fail_job(j, &e);
        return;
    }
    ei__sbuf_t b = {0};
    ei__sbuf_adds(&b, "{\"model_name\":");
    ei__sbuf_json_str(&b, ei__model_name(j->pipe), strlen(ei__model_name(j->pipe)));
    ei__sbuf_printf(&b, ",\"model_version\":\"%lld\",\"image\":{\"width\":%d,\"height\":%d},",
                    (long long)ei__model_version(j->pipe), (int)ei_image_width(j->img),
                    (int)ei_image_height(j->img));
    ei__sbuf_adds(&b, "\"lines\":[");
    size_t k = 0;
    for (size_t q = 0; q < j->n; q++) {
        const ei_ocr_line_t *l = &j->lines[order[q]];
        if (l->text == NULL || l->text[0] == '\0' || l->score < j->o.drop_score)
            continue;
        ei__sbuf_adds(&b, k++ ? ",{\"text\":" : "{\"text\":");
        ei__sbuf_json_str(&b, l->text, strlen(l->text));
        ei__sbuf_adds(&b, ",\"score\":");
        ei__sbuf_json_num(&b, (double)l->score, 9);
        ei__sbuf_printf(&b, ",\"angle\":%d,\"polygon\":[", l->angle);
        for (int c = 0; c < 4; c++)
            ei__sbuf_printf(&b, "%s[%g,%g]", c ? "," : "", (double)l->box[2 * c],
                            (double)l->box[2 * c + 1]);
        ei__sbuf_adds(&b, "]}");
    }
    ei__sbuf_printf(&b,
                    "],\"timings_ms\":{\"detection\":%.3f,\"orientation\":%.3f,"
                    "\"recognition\":%.3f,\"total\":%.3f}}",
                    (double)j->t_det / 1e6, (double)j->t_cls / 1e6, (double)j->t_rec / 1e6,
                    (double)(ei__now_ns() - j->t0) / 1e6);
    ei__free(order);
    record(j, EI_OK);
    size_t len = 0;
    char *body = ei__sbuf_take(&b, &len);
    if (body == NULL)
        ei__http_respond_error(r, 500, "ocr: out of memory");
    else
        ei__http_respond(r, 200, "application/json", body, len);
    job_free(j);
}

static void advance(ocr_job_t *j);

/* Processes one returned stage request (its rows belong to it alone: no lock needed), then
 * advances the job when it was the last of its phase. */
static void stage_done(ei__infer_req_t *req)
{
    struct stage_req *s = req->user;
    ocr_job_t *j = s->job;
    if (req->code != EI_OK) {
        note_error(j, req->code, &req->err);
    } else if (req->n_results < 1) {
        note_error(j, EI_ERUNTIME, NULL);
    } else if (j->phase == PHASE_CLS) {
        const ei_tensor_t *t = req->results[0];
        const int64_t *sh = ei_tensor_shape(t);
        if (ei_tensor_dtype(t) != EI_DTYPE_FLOAT32 || ei_tensor_rank(t) != 2 ||
            sh[0] != (int64_t)s->n || sh[1] != 2) {
            ei_error_t e = {0};
            ei__fail(&e, EI_EMODEL, "orientation model: output is not [N,2] float32");
            note_error(j, EI_EMODEL, &e);
        } else {
            const float *p = ei_tensor_data(t);
            for (size_t i = 0; i < s->n; i++) {
                size_t k = s->idx[i];
                bool turned = p[2 * i + 1] > p[2 * i];
                j->lines[k].angle_score = turned ? p[2 * i + 1] : p[2 * i];
                if (turned && p[2 * i + 1] > j->o.cls_thresh)
                    j->lines[k].angle = 180;
            }
        }
    } else {
        for (size_t i = 0; i < s->n; i++) {
            size_t k = s->idx[i];
            ei_error_t e = {0};
            ei_code_t rc = ei_ocr_ctc_decode(j->keys, req->results[0], i, &j->lines[k].text,
                                             &j->lines[k].score, &e);
            if (rc != EI_OK) {
                note_error(j, rc, &e);
                break;
            }
        }
    }
    pthread_mutex_lock(&j->mu);
    bool last = --j->pending == 0;
    pthread_mutex_unlock(&j->mu);
    if (last)
        advance(j);
}

/* Submits the current phase's requests to `m`. The job counts itself as one pending request until
 * every submit is done, so no done() can advance it meanwhile; a refused request counts as back
 * with its error. */
static void submit_phase(ocr_job_t *j, ei__model_t *m)
{
    pthread_mutex_lock(&j->mu);
    j->pending = j->n_stage + 1;
    pthread_mutex_unlock(&j->mu);
    for (size_t i = 0; i < j->n_stage; i++) {
        struct stage_req *s = &j->stage[i];
        s->job = j;
        s->req.n_inputs = 1;
        s->req.input_names = &s->in_name;
        s->req.inputs = &s->input;
        s->req.n_outputs = 1;
        s->req.output_names = &s->out_name;
        s->req.received_ns = ei__now_ns();
        s->req.done = stage_done;
        s->req.user = s;
        ei_error_t e = {0};
        ei_code_t rc = ei__model_submit(m, &s->req, &e);
        if (rc != EI_OK) {
            note_error(j, rc, &e);
            pthread_mutex_lock(&j->mu);
            j->pending--;
            pthread_mutex_unlock(&j->mu);
        }
    }
    pthread_mutex_lock(&j->mu);
    bool last = --j->pending == 0;
    pthread_mutex_unlock(&j->mu);
    if (last)
        advance(j);
}

/* Groups strips [order] into requests of at most `cap` rows each, each of width `width(k)`,
 * filled with ei_ocr_strips_input(). */
static ei_code_t build_phase(ocr_job_t *j, ei__model_t *m, const size_t *order, const int32_t *w,
                             int32_t height, ei_error_t *err)
{
    const ei__model_config_t *cfg = ei__model_config(m);
    size_t cap = cfg->max_batch_size > 0 ? (size_t)cfg->max_batch_size : 1;
    free_stage(j);
    j->stage = ei__calloc(j->n, sizeof(*j->stage));
    if (j->stage == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    const ei_image_t *batch[64];
    if (cap > 64)
        cap = 64;
    for (size_t i = 0; i < j->n;) {
        size_t m_rows = 1;
        while (i + m_rows < j->n && m_rows < cap && w[i + m_rows] == w[i])
            m_rows++;
        struct stage_req *s = &j->stage[j->n_stage++];
        s->in_name = cfg->inputs[0].name;
        s->out_name = cfg->outputs[0].name;
        s->idx = ei__calloc(m_rows, sizeof(*s->idx));
        if (s->idx == NULL)
            return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
        for (size_t r = 0; r < m_rows; r++) {
            s->idx[r] = order[i + r];
            batch[r] = j->strips[order[i + r]];
        }
        s->n = m_rows;
        ei_code_t rc = ei_ocr_strips_input(batch, m_rows, height, w[i], &s->input, err);
        if (rc != EI_OK)
            return rc;
        if (cfg->max_batch_size <= 0 && m_rows == 1) {
            /* Without batching in the config the model takes [1,...] as it is. */
        }
        i += m_rows;
    }
    return EI_OK;
}

struct by_width {
    int32_t w;
    size_t i;
};

static int cmp_width(const void *a, const void *b)
{
    const struct by_width *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* Recognition: each strip at its own width bucket; strips sorted by bucket so each request holds
 * one width. */
static ei_code_t start_rec(ocr_job_t *j, ei_error_t *err)
{
    struct by_width *t = ei__calloc(j->n, sizeof(*t));
    size_t *order = ei__calloc(j->n, sizeof(*order));
    int32_t *w = ei__calloc(j->n, sizeof(*w));
    ei_code_t rc = EI_OK;
    if (t == NULL || order == NULL || w == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "ocr: out of memory");
        goto out;
    }
    for (size_t i = 0; i < j->n; i++) {
        const ei_image_t *one = j->strips[i];
        int32_t need = ei_ocr_rec_width(&one, 1, REC_H);
        t[i].w = (need + REC_STEP - 1) / REC_STEP * REC_STEP;
        t[i].i = i;
    }
    qsort(t, j->n, sizeof(*t), cmp_width);
    for (size_t i = 0; i < j->n; i++) {
        order[i] = t[i].i;
        w[i] = t[i].w;
    }
    j->phase = PHASE_REC;
    rc = build_phase(j, j->rec, order, w, REC_H, err);
out:
    ei__free(t);
    ei__free(order);
    ei__free(w);
    return rc;
}

/* Orientation: the strips in requests of the classifier's batch size, all 48 x 192. */
static ei_code_t start_cls(ocr_job_t *j, ei_error_t *err)
{
    size_t *order = ei__calloc(j->n, sizeof(*order));
    int32_t *w = ei__calloc(j->n, sizeof(*w));
    ei_code_t rc = EI_OK;
    if (order == NULL || w == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    } else {
        for (size_t i = 0; i < j->n; i++) {
            order[i] = i;
            w[i] = CLS_W;
        }
        j->phase = PHASE_CLS;
        rc = build_phase(j, j->cls, order, w, CLS_H, err);
    }
    ei__free(order);
    ei__free(w);
    return rc;
}

/* Runs when every request of the current phase is back (exactly once per phase). */
static void advance(ocr_job_t *j)
{
    ei_error_t e = {0};
    if (j->error.code != EI_OK) {
        e = j->error;
        fail_job(j, &e);
        return;
    }
    uint64_t now = ei__now_ns();
    if (j->phase == PHASE_CLS) {
        j->t_cls = now - j->t_det - j->t0;
        /* The page rule of ei_ocr_run(): most lines turned means the page is. */
        size_t turned = 0;
        for (size_t i = 0; i < j->n; i++)
            turned += j->lines[i].angle == 180;
        for (size_t i = 0; i < j->n; i++) {
            if (j->lines[i].angle != 180 && turned * 2 <= j->n)
                continue;
            ei_image_t *r = NULL;
            if (ei_ocr_rotate180(j->strips[i], &r, &e) != EI_OK) {
                fail_job(j, &e);
                return;
            }
            ei_image_destroy(j->strips[i]);
            j->strips[i] = r;
            j->lines[i].angle = 180;
        }
        if (start_rec(j, &e) != EI_OK) {
            fail_job(j, &e);
            return;
        }
        submit_phase(j, j->rec);
        return;
    }
    j->t_rec = now - j->t_cls - j->t_det - j->t0;
    respond(j);
}

/* Detection is back: boxes, crops, then orientation (or straight to recognition). */
static void det_done(ei__infer_req_t *req)
{
    struct stage_req *s = req->user;
    ocr_job_t *j = s->job;
    ei_error_t e = {0};
    j->t_det = ei__now_ns() - j->t0;
    if (req->code != EI_OK || req->n_results < 1) {
        e = req->err;
        e.code = req->code != EI_OK ? req->code : EI_ERUNTIME;
        if (!e.msg[0])
            ei__strlcpy(e.msg, ei_code_str(e.code), sizeof e.msg);
        goto fail;
    }
    if (ei_ocr_det_boxes(&j->o, req->results[0], 0, ei_image_width(j->img), ei_image_height(j->img),
                         &j->boxes, &j->n, &e) != EI_OK)
        goto fail;
    free_stage(j);
    if (j->n == 0) {
        respond(j);
        return;
    }
    j->strips = ei__calloc(j->n, sizeof(*j->strips));
    j->lines = ei__calloc(j->n, sizeof(*j->lines));
    if (j->strips == NULL || j->lines == NULL) {
        ei__fail(&e, EI_ENOMEM, "ocr: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < j->n; i++) {
        memcpy(j->lines[i].box, j->boxes[i].pts, sizeof(j->lines[i].box));
        j->lines[i].box_score = j->boxes[i].score;
        if (ei_ocr_crop(j->img, j->boxes[i].pts, j->o.crop_margin, j->o.crop_margin_x,
                        &j->strips[i], &e) != EI_OK)
            goto fail;
    }
    if (j->cls != NULL) {
        if (start_cls(j, &e) != EI_OK)
            goto fail;
        submit_phase(j, j->cls);
        return;
    }
    if (start_rec(j, &e) != EI_OK)
        goto fail;
    submit_phase(j, j->rec);
    return;
fail:
    fail_job(j, &e);
}

/* The recogniser's alphabet from its output labels: blank, the dictionary, space. */
static ei_code_t keys_from_labels(const ei__model_config_t *cfg, ei_ocr_keys_t **out,
                                  ei_error_t *err)
{
    const ei__config_io_t *io = &cfg->outputs[0];
    if (io->n_labels < 3)
        return ei__fail(err, EI_EINVAL,
                        "model '%s': ocr needs the recogniser's output labels (label_filename: "
                        "blank, the dictionary, space), it has %zu",
                        cfg->name, io->n_labels);
    ei__sbuf_t b = {0};
    for (size_t i = 1; i + 1 < io->n_labels; i++) {
        ei__sbuf_adds(&b, io->labels[i]);
        ei__sbuf_addc(&b, '\n');
    }
    size_t len = 0;
    char *text = ei__sbuf_take(&b, &len);
    if (text == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    ei_code_t rc = ei_ocr_keys_parse(text, len, "recogniser labels", out, err);
    ei__free(text);
    return rc;
}

static void ocr(ei__http_req_t *r, ei__repo_t *repo, const char *name, int64_t version)
{
    ei_error_t e = {0};
    int status = 400;
    ocr_job_t *j = ei__calloc(1, sizeof *j);
    if (j == NULL) {
        ei__http_respond_error(r, 500, "out of memory");
        return;
    }
    pthread_mutex_init(&j->mu, NULL);
    j->http = r;
    j->t0 = ei__now_ns();
    ei_ocr_opts_init(&j->o);
    const char *ct = ei__http_header(r, "Content-Type");
    if (ct && strncmp(ct, "image/", 6) != 0 && strncmp(ct, "application/octet-stream", 24) != 0) {
        ei__fail(&e, EI_EINVAL,
                 "ocr: Content-Type '%.100s' is not an image (send image/jpeg, image/png or "
                 "image/webp)",
                 ct);
        status = 415;
        goto fail;
    }
    if (r->body_len == 0) {
        ei__fail(&e, EI_EINVAL, "ocr: empty body, expected an encoded image");
        goto fail;
    }
    if (ei__repo_acquire(repo, name, version, &j->pipe, &e) != EI_OK) {
        status = ei__http_status_for(e.code);
        goto fail;
    }
    ei__rest_note_model(r, name, ei__model_version(j->pipe));
    const ei__pipeline_t *pl = ei__model_pipeline(j->pipe);
    if (pl == NULL) {
        ei__fail(&e, EI_EINVAL,
                 "model '%s' is not an OCR pipeline (a config-only model with platform "
                 "\"edgeinfer_ocr\" naming its stage models; see docs/ocr.md)",
                 name);
        goto fail;
    }
    j->o = pl->ocr;
    const char *cls = pl->stage[EI__STAGE_CLS];
    if (ei__repo_acquire(repo, pl->stage[EI__STAGE_DET], -1, &j->det, &e) != EI_OK ||
        ei__repo_acquire(repo, pl->stage[EI__STAGE_REC], -1, &j->rec, &e) != EI_OK ||
        (cls != NULL && ei__repo_acquire(repo, cls, -1, &j->cls, &e) != EI_OK)) {
        ei__error_prefix(&e, "ocr pipeline '%s': stage model", name);
        status = 503;
        goto fail;
    }
    const ei__model_config_t *cfg = ei__model_config(j->det);
    if (cfg->n_inputs != 1 || cfg->n_outputs < 1) {
        ei__fail(&e, EI_EINVAL,
                 "ocr pipeline '%s': detection model '%s' needs one input and an output", name,
                 ei__model_name(j->det));
        goto fail;
    }
    if (keys_from_labels(ei__model_config(j->rec), &j->keys, &e) != EI_OK) {
        status = 500;
        goto fail;
    }
    ei_image_decode_opts_t d;
    ei_image_decode_opts_init(&d);
    if (ei_image_decode(r->body, r->body_len, &d, &j->img, &e) != EI_OK) {
        ei__error_prefix(&e, "ocr: cannot decode the image");
        status = ei__http_status_for(e.code);
        goto fail;
    }
    j->n_stage = 1;
    j->stage = ei__calloc(1, sizeof(*j->stage));
    if (j->stage == NULL) {
        ei__fail(&e, EI_ENOMEM, "ocr: out of memory");
        status = 500;
        goto fail;
    }
    struct stage_req *s = &j->stage[0];
    s->job = j;
    s->in_name = cfg->inputs[0].name;
    s->out_name = cfg->outputs[0].name;
    if (ei_ocr_det_input(&j->o, j->img, &s->input, &e) != EI_OK) {
        status = ei__http_status_for(e.code);
        goto fail;
    }
    j->phase = PHASE_DET;
    s->req.n_inputs = 1;
    s->req.input_names = &s->in_name;
    s->req.inputs = &s->input;
    s->req.n_outputs = 1;
    s->req.output_names = &s->out_name;
    s->req.received_ns = r->start_ns;
    s->req.done = det_done;
    s->req.user = s;
    if (ei__model_submit(j->det, &s->req, &e) != EI_OK) {
        status = ei__http_status_for(e.code);
        goto fail;
    }
    return;
fail:
    ei__http_respond_error(r, status, "%s", e.msg);
    if (j->pipe)
        ei__v2_count_failure(j->pipe, r->start_ns);
    job_free(j);
}

void ei__rest_ocr(ei__http_req_t *r, const char *const *arg, size_t n_arg)
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
    ocr(r, repo, name, version);
    ei__v2_repo_drop(r->http->core);
}
