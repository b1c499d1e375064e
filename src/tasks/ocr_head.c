/* SPDX-License-Identifier: MIT */
/*
 * The OCR head (<edgeinfer/task.h>, "ocr"): three stages run through the caller's runner, so a
 * server schedules each on its own model (Triton's ensemble idea). The job is addressed to a
 * pipeline model (a server's config-only model, platform "edgeinfer_ocr") whose parameters name
 * the stages:
 *
 *     detection_model       the text detector
 *     classification_model  the orientation classifier (optional)
 *     recognition_model     the recogniser, whose output labels are its CTC alphabet (blank, the
 *                           dictionary, space)
 *
 * and PaddleOCR's option names adjust the defaults of ei_ocr_opts_init() (ei_ocr_opts_set()):
 * det_db_thresh, det_db_box_thresh, det_db_unclip_ratio, det_limit_side_len, cls_thresh,
 * drop_score. The angle classifier runs only when it is named.
 *
 * A job is a small state machine driven by the stage reports:
 *
 *   prepare:  detection input
 *   det back: boxes and crops (<edgeinfer/ocr.h>); the strips to the classifier in runs of at most
 *             its max_batch rows
 *   cls back: (when the last one is) turn lines over, the page too; the strips to the recogniser
 *             grouped by width bucket (64-pixel steps), so that strips of concurrent jobs with the
 *             same width can be batched together by a scheduler
 *   rec back: CTC decoding; when the last one is, the job is done.
 *
 * The result: {"image":{...},"lines":[{text,score,angle,polygon}],"timings_ms":{...}}.
 * The pre- and post-processing are the building blocks of <edgeinfer/ocr.h>.
 */
#include "task_head.h"

#include <edgeinfer/ocr.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CLS_H 48
#define CLS_W 192
#define REC_H 48
/* Recognition widths are rounded up to this step so that lines of different requests share a
 * shape (a dynamic batcher only joins requests whose non-batch dims match). */
#define REC_STEP 64

struct ocr_job;

/* One stage run and the strips it carries. */
struct stage_req {
    struct ocr_job *job;
    ei_tensor_t *input;
    ei_tensor_t *out; /* detection: its output, kept until the phase advances */
    size_t *idx;      /* strip indices, one per row */
    size_t n;
};

enum phase { PHASE_DET, PHASE_CLS, PHASE_REC };

typedef struct stage_model {
    size_t stage;
    const char *in_name, *out_name;
    size_t max_batch;
} stage_model_t;

typedef struct ocr_job {
    ei_task_job_t *task;
    stage_model_t det, cls, rec;
    bool has_cls;
    ei_ocr_opts_t o;
    ei_ocr_keys_t *keys;
    ei_image_t *img;
    ei_ocr_box_t *boxes;
    size_t n;
    ei_image_t **strips;
    ei_ocr_line_t *lines;
    enum phase phase;
    struct stage_req *stage; /* the current phase's runs */
    size_t n_stage;
    pthread_mutex_t mu;
    size_t pending;   /* the current phase's runs not back yet */
    ei_error_t error; /* the first failure (code EI_OK: none) */
    size_t *order;    /* reading order, once done */
    uint64_t t0, t_det, t_cls, t_rec, t_total;
} ocr_job_t;

static void free_stage(ocr_job_t *j)
{
    for (size_t i = 0; i < j->n_stage; i++) {
        ei_tensor_destroy(j->stage[i].input);
        ei_tensor_destroy(j->stage[i].out);
        ei__free(j->stage[i].idx);
    }
    ei__free(j->stage);
    j->stage = NULL;
    j->n_stage = 0;
}

static void ocr_destroy(void *state)
{
    ocr_job_t *j = state;
    free_stage(j);
    if (j->strips != NULL)
        for (size_t i = 0; i < j->n; i++)
            ei_image_destroy(j->strips[i]);
    ei__free(j->strips);
    if (j->lines != NULL)
        for (size_t i = 0; i < j->n; i++)
            ei__free(j->lines[i].text);
    ei__free(j->lines);
    ei__free(j->order);
    ei_ocr_boxes_free(j->boxes);
    ei_image_destroy(j->img);
    ei_ocr_keys_destroy(j->keys);
    pthread_mutex_destroy(&j->mu);
    ei__free(j);
}

/* Records a failure (the first one wins). */
static void note_error(ocr_job_t *j, ei_code_t code, const ei_error_t *e)
{
    pthread_mutex_lock(&j->mu);
    if (j->error.code == EI_OK)
        ei__task_stage_error(code, e, &j->error);
    pthread_mutex_unlock(&j->mu);
}

/* The recogniser's alphabet from its output labels: blank, the dictionary, space. */
static ei_code_t keys_from_labels(const ei_task_model_t *m, ei_ocr_keys_t **out, ei_error_t *err)
{
    const ei_labels_t *l = m->output_labels ? m->output_labels[0] : NULL;
    size_t n = ei_labels_count(l);
    if (n < 3)
        return ei__fail(err, EI_EINVAL,
                        "model '%s': ocr needs the recogniser's output labels (label_filename: "
                        "blank, the dictionary, space), it has %zu",
                        m->name, n);
    ei__sbuf_t b = {0};
    for (size_t i = 1; i + 1 < n; i++) {
        ei__sbuf_adds(&b, ei_labels_get(l, i));
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

/* A stage runs one input into its first output: a model without them is refused by name. */
static ei_code_t check_stage(const char *pipeline, const char *what, const ei_task_model_t *m,
                             ei_error_t *err)
{
    if (m->n_inputs != 1 || m->input_name == NULL || m->n_outputs < 1 || m->output_names == NULL ||
        m->output_names[0] == NULL)
        return ei__fail(err, EI_EINVAL,
                        "ocr pipeline '%s': %s model '%s' needs one input and an output", pipeline,
                        what, m->name);
    return EI_OK;
}

static void set_stage(stage_model_t *s, size_t stage, const ei_task_model_t *m)
{
    s->stage = stage;
    s->in_name = m->input_name;
    s->out_name = m->output_names[0];
    s->max_batch = m->max_batch;
}

static const char *param(const ei_task_env_t *env, const char *key)
{
    return env->model_param ? env->model_param(env->ctx, key) : NULL;
}

/* PaddleOCR's option names, their fields and ranges. */
static const struct {
    const char *key;
    size_t off; /* a float field, or det_limit_side (int32_t) */
    double lo, hi;
} options[] = {
    {"det_db_thresh", offsetof(ei_ocr_opts_t, det_thresh), 0, 1},
    {"det_db_box_thresh", offsetof(ei_ocr_opts_t, box_thresh), 0, 1},
    {"det_db_unclip_ratio", offsetof(ei_ocr_opts_t, unclip_ratio), 0, 10},
    {"cls_thresh", offsetof(ei_ocr_opts_t, cls_thresh), 0, 1},
    {"drop_score", offsetof(ei_ocr_opts_t, drop_score), 0, 1},
    {"det_limit_side_len", offsetof(ei_ocr_opts_t, det_limit_side), 32, 8192},
};

ei_code_t ei_ocr_opts_set(ei_ocr_opts_t *o, const char *key, const char *value, ei_error_t *err)
{
    for (size_t i = 0; key != NULL && i < sizeof options / sizeof options[0]; i++) {
        if (strcmp(options[i].key, key) != 0)
            continue;
        double x = 0;
        if (value == NULL || !ei__parse_f64(value, &x) ||
            !(x >= options[i].lo && x <= options[i].hi))
            return ei__fail(err, EI_EINVAL, "parameter %s='%.64s': expected a number in [%g, %g]",
                            key, value ? value : "", options[i].lo, options[i].hi);
        if (options[i].off == offsetof(ei_ocr_opts_t, det_limit_side))
            o->det_limit_side = (int32_t)x;
        else
            *(float *)((char *)o + options[i].off) = (float)x;
        return EI_OK;
    }
    return ei__fail(err, EI_ENOTFOUND, "'%s' is not an OCR option", key ? key : "(null)");
}

/* The options the job's model sets. */
static ei_code_t read_options(const ei_task_env_t *env, const char *model, ei_ocr_opts_t *o,
                              ei_error_t *err)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        const char *v = param(env, options[i].key);
        if (v != NULL && ei_ocr_opts_set(o, options[i].key, v, err) != EI_OK) {
            ei__error_prefix(err, "model '%s'", model);
            return EI_EINVAL;
        }
    }
    return EI_OK;
}

/*
 * Stages: the model addressed is the detector, or (a pipeline model of its own) names it with
 * `detection_model`; `recognition_model` (or `ocr_rec_model`) and, optionally,
 * `classification_model` (or `ocr_cls_model`) name the others.
 */
static ei_code_t ocr_create(ei_task_job_t *task, const ei_task_env_t *env, void **state,
                            ei_error_t *err)
{
    ei_task_model_t m;
    size_t stage = 0;
    memset(&m, 0, sizeof m);
    ei_code_t rc = env->stage(env->ctx, NULL, &stage, &m, err);
    if (rc != EI_OK)
        return rc;
    const char *pipeline = m.name;
    const char *det = param(env, "detection_model");
    const char *cls = param(env, "classification_model");
    const char *rec = param(env, "recognition_model");
    if (rec == NULL || det == NULL)
        return ei__fail(err, EI_EINVAL,
                        "model '%s' is not an OCR pipeline (a config-only model with platform "
                        "\"edgeinfer_ocr\" naming its stage models; see docs/ocr.md)",
                        m.name);
    ocr_job_t *j = ei__calloc(1, sizeof *j);
    if (j == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    pthread_mutex_init(&j->mu, NULL);
    j->task = task;
    j->t0 = ei__now_ns();
    ei_ocr_opts_init(&j->o);
    rc = read_options(env, pipeline, &j->o, err);
    if (rc != EI_OK)
        goto fail;
    memset(&m, 0, sizeof m);
    rc = env->stage(env->ctx, det, &stage, &m, err);
    if (rc == EI_OK && (rc = check_stage(pipeline, "detection", &m, err)) != EI_OK)
        goto fail;
    if (rc == EI_OK)
        set_stage(&j->det, stage, &m);
    if (rc == EI_OK) {
        memset(&m, 0, sizeof m);
        rc = env->stage(env->ctx, rec, &stage, &m, err);
        if (rc == EI_OK && (rc = check_stage(pipeline, "recognition", &m, err)) != EI_OK)
            goto fail;
    }
    if (rc == EI_OK) {
        set_stage(&j->rec, stage, &m);
        rc = keys_from_labels(&m, &j->keys, err);
        if (rc != EI_OK) {
            rc = EI_EMODEL;
            goto fail;
        }
    }
    if (rc == EI_OK && cls != NULL) {
        memset(&m, 0, sizeof m);
        rc = env->stage(env->ctx, cls, &stage, &m, err);
        if (rc == EI_OK && (rc = check_stage(pipeline, "orientation", &m, err)) != EI_OK)
            goto fail;
        if (rc == EI_OK) {
            set_stage(&j->cls, stage, &m);
            j->has_cls = true;
        }
    }
    if (rc != EI_OK) {
        /* A stage model that is missing or not ready: the pipeline is unavailable for now. */
        ei__error_prefix(err, "ocr pipeline '%s': stage model", pipeline);
        rc = EI_EBUSY;
        goto fail;
    }
    *state = j;
    return EI_OK;
fail:
    ocr_destroy(j);
    return rc;
}

static ei_code_t ocr_prepare(void *state, const ei_image_t *img, ei_image_t **take,
                             ei_task_cache_t *cache, ei_error_t *err)
{
    ocr_job_t *j = state;
    (void)cache;
    ei_image_destroy(j->img);
    j->img = NULL;
    free_stage(j);
    if (take != NULL) {
        j->img = *take; /* the crops need the image until the end */
        *take = NULL;
    } else {
        ei_code_t rc =
            ei_image_from_pixels(ei_image_pixels(img), ei_image_width(img), ei_image_height(img), 3,
                                 ei_image_stride(img), &j->img, err);
        if (rc != EI_OK)
            return rc;
    }
    j->stage = ei__calloc(1, sizeof(*j->stage));
    if (j->stage == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    j->n_stage = 1;
    j->stage[0].job = j;
    j->phase = PHASE_DET;
    return ei_ocr_det_input(&j->o, j->img, &j->stage[0].input, err);
}

static void advance(ocr_job_t *j);
static void det_done(ocr_job_t *j, const ei_tensor_t *out);

/* Submits the current phase's runs. The job counts itself as one pending run until every submit
 * is done, so no report can advance it meanwhile; a refused run counts as back with its error. */
static void submit_phase(ocr_job_t *j, const stage_model_t *m)
{
    pthread_mutex_lock(&j->mu);
    j->pending = j->n_stage + 1;
    pthread_mutex_unlock(&j->mu);
    ei_task_job_t *task = j->task;
    size_t n = j->n_stage;
    struct stage_req *st = j->stage;
    for (size_t i = 0; i < n; i++) {
        ei_error_t e = {0};
        ei_code_t rc =
            ei__task_submit(task, m->stage, m->in_name, st[i].input, m->out_name, &st[i], &e);
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

/* Groups strips [order] into runs of at most `cap` rows each, each of width `w[k]`. */
static ei_code_t build_phase(ocr_job_t *j, const stage_model_t *m, const size_t *order,
                             const int32_t *w, int32_t height, ei_error_t *err)
{
    size_t cap = m->max_batch > 0 ? m->max_batch : 1;
    free_stage(j);
    j->stage = ei__calloc(j->n, sizeof(*j->stage));
    if (j->stage == NULL)
        return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
    const ei_image_t *batch[64];
    if (cap > 64)
        cap = 64;
    for (size_t i = 0; i < j->n;) {
        size_t rows = 1;
        while (i + rows < j->n && rows < cap && w[i + rows] == w[i])
            rows++;
        struct stage_req *s = &j->stage[j->n_stage++];
        s->job = j;
        s->idx = ei__calloc(rows, sizeof(*s->idx));
        if (s->idx == NULL)
            return ei__fail(err, EI_ENOMEM, "ocr: out of memory");
        for (size_t r = 0; r < rows; r++) {
            s->idx[r] = order[i + r];
            batch[r] = j->strips[order[i + r]];
        }
        s->n = rows;
        ei_code_t rc = ei_ocr_strips_input(batch, rows, height, w[i], &s->input, err);
        if (rc != EI_OK)
            return rc;
        i += rows;
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

/* Recognition: each strip at its own width bucket; strips sorted by bucket so each run holds one
 * width. */
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
    rc = build_phase(j, &j->rec, order, w, REC_H, err);
out:
    ei__free(t);
    ei__free(order);
    ei__free(w);
    return rc;
}

/* Orientation: the strips in runs of the classifier's batch size, all 48 x 192. */
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
        rc = build_phase(j, &j->cls, order, w, CLS_H, err);
    }
    ei__free(order);
    ei__free(w);
    return rc;
}

/* The end: reading order and timings, then the job is finished. */
static void finish_ok(ocr_job_t *j)
{
    ei_error_t e = {0};
    j->order = j->n ? ei__calloc(j->n, sizeof(*j->order)) : NULL;
    if (j->n && j->order == NULL) {
        ei__fail(&e, EI_ENOMEM, "ocr: out of memory");
        ei__task_finish(j->task, e.code, &e);
        return;
    }
    if (ei_ocr_line_order(j->lines, j->n, ei_image_width(j->img), ei_image_height(j->img), j->order,
                          &e) != EI_OK) {
        ei__task_finish(j->task, e.code, &e);
        return;
    }
    j->t_total = ei__now_ns() - j->t0;
    ei__task_finish(j->task, EI_OK, NULL);
}

static void fail_job(ocr_job_t *j, const ei_error_t *e)
{
    ei__task_finish(j->task, e->code, e);
}

/* Runs when every run of the current phase is back (exactly once per phase). */
static void advance(ocr_job_t *j)
{
    ei_error_t e = {0};
    if (j->error.code != EI_OK) {
        e = j->error;
        fail_job(j, &e);
        return;
    }
    if (j->phase == PHASE_DET) {
        det_done(j, j->stage[0].out);
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
        submit_phase(j, &j->rec);
        return;
    }
    j->t_rec = now - j->t_cls - j->t_det - j->t0;
    finish_ok(j);
}

/* Detection is back: boxes, crops, then orientation (or straight to recognition). */
static void det_done(ocr_job_t *j, const ei_tensor_t *out)
{
    ei_error_t e = {0};
    j->t_det = ei__now_ns() - j->t0;
    if (ei_ocr_det_boxes(&j->o, out, 0, ei_image_width(j->img), ei_image_height(j->img), &j->boxes,
                         &j->n, &e) != EI_OK)
        goto fail;
    free_stage(j);
    if (j->n == 0) {
        finish_ok(j);
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
    if (j->has_cls) {
        if (start_cls(j, &e) != EI_OK)
            goto fail;
        submit_phase(j, &j->cls);
        return;
    }
    if (start_rec(j, &e) != EI_OK)
        goto fail;
    submit_phase(j, &j->rec);
    return;
fail:
    fail_job(j, &e);
}

static void ocr_start(ei_task_job_t *task, void *state)
{
    ocr_job_t *j = state;
    (void)task;
    submit_phase(j, &j->det);
}

/* Processes one returned run (its rows belong to it alone: no lock needed), then advances the
 * job when it was the last of its phase. */
static void ocr_stage_done(ei_task_job_t *task, void *state, void *ticket, ei_code_t code,
                           const ei_tensor_t *t, const ei_error_t *err)
{
    ocr_job_t *j = state;
    struct stage_req *s = ticket;
    (void)task;
    if (code != EI_OK || t == NULL) {
        note_error(j, code, err);
    } else if (j->phase == PHASE_DET) {
        /* Kept for advance(): the output is only lent for this call, and the job may only move on
         * once the submitting thread let go of it (see submit_phase()). */
        ei_error_t e = {0};
        int64_t shape[8];
        size_t rank = ei_tensor_rank(t);
        for (size_t i = 0; i < rank && i < 8; i++)
            shape[i] = ei_tensor_shape(t)[i];
        if (rank > 8 || ei_tensor_create(ei_tensor_dtype(t), shape, rank, &s->out, &e) != EI_OK) {
            if (e.code == EI_OK)
                ei__fail(&e, EI_EMODEL, "detection model: output of rank %zu", rank);
            note_error(j, e.code, &e);
        } else if (ei_tensor_nbytes(t) > 0) {
            memcpy(ei_tensor_data(s->out), ei_tensor_data(t), ei_tensor_nbytes(t));
        }
    } else if (j->phase == PHASE_CLS) {
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
            ei_code_t rc =
                ei_ocr_ctc_decode(j->keys, t, i, &j->lines[k].text, &j->lines[k].score, &e);
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

static ei_code_t ocr_json(const void *state, ei__sbuf_t *b, ei_error_t *err)
{
    const ocr_job_t *j = state;
    (void)err;
    ei__sbuf_printf(b, "\"image\":{\"width\":%d,\"height\":%d},\"lines\":[",
                    (int)ei_image_width(j->img), (int)ei_image_height(j->img));
    size_t k = 0;
    for (size_t q = 0; q < j->n; q++) {
        const ei_ocr_line_t *l = &j->lines[j->order[q]];
        if (l->text == NULL || l->text[0] == '\0' || l->score < j->o.drop_score)
            continue;
        ei__sbuf_adds(b, k++ ? ",{\"text\":" : "{\"text\":");
        ei__sbuf_json_str(b, l->text, strlen(l->text));
        ei__sbuf_adds(b, ",\"score\":");
        ei__sbuf_json_num(b, (double)l->score, 9);
        ei__sbuf_printf(b, ",\"angle\":%d,\"polygon\":[", l->angle);
        for (int c = 0; c < 4; c++)
            ei__sbuf_printf(b, "%s[%g,%g]", c ? "," : "", (double)l->box[2 * c],
                            (double)l->box[2 * c + 1]);
        ei__sbuf_adds(b, "]}");
    }
    ei__sbuf_printf(b,
                    "],\"timings_ms\":{\"detection\":%.3f,\"orientation\":%.3f,"
                    "\"recognition\":%.3f,\"total\":%.3f}",
                    (double)j->t_det / 1e6, (double)j->t_cls / 1e6, (double)j->t_rec / 1e6,
                    (double)j->t_total / 1e6);
    return EI_OK;
}

const ei_task_head_t ei__ocr_head = {
    .name = "ocr",
    .create = ocr_create,
    .prepare = ocr_prepare,
    .start = ocr_start,
    .stage_done = ocr_stage_done,
    .json = ocr_json,
    .destroy = ocr_destroy,
};
