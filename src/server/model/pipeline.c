/* SPDX-License-Identifier: MIT */
/*
 * Pipeline models' configs (pipeline.h): the stage names and options from the parameters, and the
 * fixed inputs and outputs, checked against what the config wrote.
 */
#include "pipeline.h"

#include "ei_util.h"

#include <string.h>

typedef struct {
    const char *name;
    ei_dtype_t dtype;
    int64_t dims[3];
    size_t n_dims;
} io_spec_t;

static const io_spec_t inputs[] = {{EI__OCR_IN_IMAGE, EI_DTYPE_STRING, {-1}, 1}};
static const io_spec_t outputs[] = {
    {EI__OCR_OUT_TEXT, EI_DTYPE_STRING, {-1}, 1},
    {EI__OCR_OUT_SCORE, EI_DTYPE_FLOAT32, {-1}, 1},
    {EI__OCR_OUT_POLYGON, EI_DTYPE_FLOAT32, {-1, 4, 2}, 3},
    {EI__OCR_OUT_ANGLE, EI_DTYPE_INT32, {-1}, 1},
    {EI__OCR_OUT_IMAGE_INDEX, EI_DTYPE_INT32, {-1}, 1},
};

bool ei__pipeline_config_is(const ei__model_config_t *c)
{
    return (c->platform != NULL && strcmp(c->platform, EI__PIPELINE_OCR) == 0) ||
           (c->backend != NULL && strcmp(c->backend, EI__PIPELINE_OCR) == 0);
}

/* The config's inputs (or outputs), if it wrote any, must be ours: same names, types and dims. */
static ei_code_t check_written(const ei__config_io_t *io, size_t n, const io_spec_t *spec,
                               size_t n_spec, const char *what, ei_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        const io_spec_t *s = NULL;
        for (size_t k = 0; k < n_spec && s == NULL; k++)
            if (strcmp(io[i].name, spec[k].name) == 0)
                s = &spec[k];
        if (s == NULL)
            return ei__fail(err, EI_EFORMAT,
                            "%s '%s': an %s pipeline has no such %s (leave inputs and outputs out "
                            "of its config; they are fixed)",
                            what, io[i].name, EI__PIPELINE_OCR, what);
        bool same = io[i].dtype == s->dtype && io[i].n_dims == s->n_dims;
        for (size_t d = 0; same && d < s->n_dims; d++)
            same = io[i].dims[d] == s->dims[d];
        if (!same) {
            char want[64];
            ei_shape_format(s->dims, s->n_dims, want, sizeof want);
            return ei__fail(err, EI_EFORMAT, "%s '%s': an %s pipeline's is %s %s", what, io[i].name,
                            EI__PIPELINE_OCR, ei__config_type_name(s->dtype), want);
        }
    }
    return EI_OK;
}

static void io_clear(ei__config_io_t *io, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ei__free(io[i].name);
        ei__free(io[i].label_filename);
        ei_labels_destroy(io[i].labels);
    }
    ei__free(io);
}

/* Replaces the config's list with the spec's. */
static ei_code_t set_io(ei__config_io_t **io, size_t *n, const io_spec_t *spec, size_t n_spec,
                        ei_error_t *err)
{
    ei__config_io_t *a = ei__calloc(n_spec, sizeof(*a));
    if (a == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_spec; i++) {
        a[i].name = ei__strdup(spec[i].name);
        if (a[i].name == NULL) {
            io_clear(a, n_spec);
            return ei__fail(err, EI_ENOMEM, "out of memory");
        }
        a[i].dtype = spec[i].dtype;
        a[i].n_dims = spec[i].n_dims;
        memcpy(a[i].dims, spec[i].dims, spec[i].n_dims * sizeof(int64_t));
    }
    io_clear(*io, *n);
    *io = a;
    *n = n_spec;
    return EI_OK;
}

static ei_code_t set_str(char **s, const char *v, ei_error_t *err)
{
    char *d = ei__strdup(v);
    if (d == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    ei__free(*s);
    *s = d;
    return EI_OK;
}

static ei_code_t read_params(const ei__model_config_t *c, ei__pipeline_t *p, ei_error_t *err)
{
    static const char *const keys[EI__N_STAGES] = {"detection_model", "classification_model",
                                                   "recognition_model"};
    for (int i = 0; i < EI__N_STAGES; i++) {
        const char *v = ei__model_config_param(c, keys[i]);
        if (v != NULL && v[0] == '\0')
            v = NULL;
        if (v == NULL && i != EI__STAGE_CLS)
            return ei__fail(err, EI_EFORMAT,
                            "an %s pipeline needs parameters { key: \"%s\" value: { "
                            "string_value: \"<model>\" } } naming its stage model",
                            EI__PIPELINE_OCR, keys[i]);
        if (v != NULL && strcmp(v, c->name) == 0)
            return ei__fail(err, EI_EFORMAT, "parameter %s: a pipeline cannot be its own stage",
                            keys[i]);
        p->stage[i] = v;
    }
    ei_ocr_opts_t *o = &p->ocr;
    ei_ocr_opts_init(o);
    o->use_angle = p->stage[EI__STAGE_CLS] != NULL;
    /* The OCR head's own reader of PaddleOCR's option names (<edgeinfer/ocr.h>). */
    static const char *const opts[] = {"det_db_thresh", "det_db_box_thresh", "det_db_unclip_ratio",
                                       "cls_thresh",    "drop_score",        "det_limit_side_len"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        const char *v = ei__model_config_param(c, opts[i]);
        if (v != NULL && ei_ocr_opts_set(o, opts[i], v, err) != EI_OK) {
            if (err != NULL)
                err->code = EI_EFORMAT;
            return EI_EFORMAT;
        }
    }
    return EI_OK;
}

ei_code_t ei__pipeline_create(ei__model_config_t *c, ei__pipeline_t **out, ei_error_t *err)
{
    *out = NULL;
    if (c->platform != NULL && c->backend != NULL && strcmp(c->platform, c->backend) != 0)
        return ei__fail(err, EI_EFORMAT, "platform '%s' and backend '%s' disagree", c->platform,
                        c->backend);
    if (c->max_batch_size != 0)
        return ei__fail(err, EI_EFORMAT,
                        "an %s pipeline has max_batch_size 0 (its input 'image' takes any "
                        "number of images; its stage models batch on their own)",
                        EI__PIPELINE_OCR);
    if (c->dynamic_batching || c->seq.enabled)
        return ei__fail(err, EI_EFORMAT,
                        "an %s pipeline has no scheduler of its own (its stage models batch): "
                        "leave dynamic_batching and sequence_batching out",
                        EI__PIPELINE_OCR);
    ei_code_t rc = check_written(c->inputs, c->n_inputs, inputs, 1, "input", err);
    if (rc == EI_OK)
        rc = check_written(c->outputs, c->n_outputs, outputs, sizeof outputs / sizeof outputs[0],
                           "output", err);
    if (rc != EI_OK)
        return rc;
    ei__pipeline_t *p = ei__calloc(1, sizeof(*p));
    if (p == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    rc = read_params(c, p, err);
    if (rc == EI_OK)
        rc = set_io(&c->inputs, &c->n_inputs, inputs, 1, err);
    if (rc == EI_OK)
        rc = set_io(&c->outputs, &c->n_outputs, outputs, sizeof outputs / sizeof outputs[0], err);
    if (rc == EI_OK)
        rc = set_str(&c->platform, EI__PIPELINE_OCR, err);
    if (rc == EI_OK)
        rc = set_str(&c->backend, EI__PIPELINE_OCR, err);
    if (rc != EI_OK) {
        ei__free(p);
        return rc;
    }
    *out = p; /* its stage names point into c->params, which live as long as the config */
    return EI_OK;
}

void ei__pipeline_destroy(ei__pipeline_t *p)
{
    ei__free(p);
}
