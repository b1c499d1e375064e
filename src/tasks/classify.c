/* SPDX-License-Identifier: MIT */
/*
 * The classification head: softmax, the "already a distribution" check, top-k, and the classifier
 * object that checks a model is an image classifier, preprocesses images into its input, runs it
 * and turns each output row into the top-k (index, score, label). Label parsing lives in labels.c;
 * the decode/resize/normalise work in the image layer. The CLI adds the pipelined (decode while
 * inferring) loop on top of ei_classifier_create_input() / ei_classifier_run_tensor().
 */
#include "ei_util.h"

#include <edgeinfer/classify.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tolerance of the "already a distribution" check. */
#define DIST_TOL 1e-3
/* Up to this k, top-k keeps a sorted array on the stack; above, it sorts indices. */
#define TOPK_SMALL 64

void ei_softmax(const float *in, float *out, size_t n)
{
    if (n == 0 || in == NULL || out == NULL)
        return;
    float m = in[0];
    bool nan = false;
    for (size_t i = 0; i < n; i++) {
        if (isnan(in[i]))
            nan = true;
        else if (in[i] > m || isnan(m))
            m = in[i];
    }
    if (nan) {
        for (size_t i = 0; i < n; i++)
            out[i] = NAN;
        return;
    }
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        /* in[i] - m <= 0, so expf never overflows; an all -inf row (m = -inf) gives NaN, which is
         * the honest answer. */
        float e = expf(in[i] - m);
        out[i] = e;
        sum += (double)e;
    }
    float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < n; i++)
        out[i] *= inv;
}

bool ei_is_distribution(const float *x, size_t n, double tol)
{
    if (x == NULL || n == 0)
        return false;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        /* Written so that NaN fails the test. */
        if (!(x[i] >= 0.0f && x[i] <= 1.0f))
            return false;
        sum += (double)x[i];
    }
    return fabs(sum - 1.0) <= tol;
}

/* Whether score a (index ia) ranks before score b (index ib): larger first, NaN last, ties by
 * lower index. */
static bool ranks_before(float a, size_t ia, float b, size_t ib)
{
    bool na = isnan(a), nb = isnan(b);
    if (na != nb)
        return nb;
    if (!na && a != b)
        return a > b;
    return ia < ib;
}

struct scored {
    float s;
    size_t i;
};

static int cmp_scored(const void *pa, const void *pb)
{
    const struct scored *a = pa, *b = pb;
    if (a->i == b->i)
        return 0;
    return ranks_before(a->s, a->i, b->s, b->i) ? -1 : 1;
}

/* Insertion into a sorted array of the k best so far: O(n k), no allocation. An element that only
 * ties the current worst does not get in, which keeps lower indices first. */
static void topk_insert(const float *scores, size_t n, size_t k, size_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == k && !ranks_before(scores[i], i, scores[idx[m - 1]], idx[m - 1]))
            continue;
        size_t j = m < k ? m++ : k - 1;
        while (j > 0 && ranks_before(scores[i], i, scores[idx[j - 1]], idx[j - 1])) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
}

size_t ei_topk(const float *scores, size_t n, size_t k, size_t *idx)
{
    if (scores == NULL || idx == NULL)
        return 0;
    if (k > n)
        k = n;
    if (k == 0)
        return 0;
    struct scored *all = k <= TOPK_SMALL ? NULL : ei__malloc(n * sizeof(*all));
    if (all == NULL) {
        /* Small k, or no memory for the sort: the allocation-free path. */
        topk_insert(scores, n, k, idx);
        return k;
    }
    /* Large k: sort everything. The comparator is a total order (the index breaks ties), so the
     * result does not depend on qsort's stability. */
    for (size_t i = 0; i < n; i++) {
        all[i].s = scores[i];
        all[i].i = i;
    }
    qsort(all, n, sizeof(*all), cmp_scored);
    for (size_t i = 0; i < k; i++)
        idx[i] = all[i].i;
    ei__free(all);
    return k;
}

/* The classifier ------------------------------------------------------------------------------ */

struct ei_classifier {
    ei_session_t *session;
    bool owns_session;
    ei_labels_t *labels;
    ei_image_opts_t image;
    ei_image_pipeline_t *pipeline; /* for ei_classifier_run*, created on first use */
    ei_tensor_t *input;            /* likewise */
    char *input_name;
    char *output_name;
    ei_dtype_t input_dtype;
    size_t batch;
    bool fixed_batch;
    size_t n_classes;
    size_t top_k;
    ei_softmax_mode_t softmax;
    bool keep_logits;
    bool warned_labels;
};

void ei_classifier_opts_init(ei_classifier_opts_t *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof(*o));
    o->top_k = 5;
    o->softmax = EI_SOFTMAX_AUTO;
    o->batch = 1;
}

void ei_classify_result_dispose(ei_classify_result_t *r)
{
    if (r == NULL)
        return;
    ei__free(r->top);
    ei__free(r->logits);
    memset(r, 0, sizeof(*r));
}

void ei_classifier_destroy(ei_classifier_t *c)
{
    if (c == NULL)
        return;
    ei_tensor_destroy(c->input);
    ei_image_pipeline_destroy(c->pipeline);
    ei_labels_destroy(c->labels);
    if (c->owns_session)
        ei_session_destroy(c->session);
    ei__free(c->input_name);
    ei__free(c->output_name);
    ei__free(c);
}

ei_session_t *ei_classifier_session(const ei_classifier_t *c)
{
    return c == NULL ? NULL : c->session;
}

const ei_image_opts_t *ei_classifier_image_opts(const ei_classifier_t *c)
{
    return c == NULL ? NULL : &c->image;
}

const ei_labels_t *ei_classifier_labels(const ei_classifier_t *c)
{
    return c == NULL ? NULL : c->labels;
}

size_t ei_classifier_batch(const ei_classifier_t *c)
{
    return c == NULL ? 0 : c->batch;
}

bool ei_classifier_fixed_batch(const ei_classifier_t *c)
{
    return c != NULL && c->fixed_batch;
}

size_t ei_classifier_class_count(const ei_classifier_t *c)
{
    return c == NULL ? 0 : c->n_classes;
}

static bool output_dtype_ok(ei_dtype_t t)
{
    return t == EI_DTYPE_FLOAT32 || t == EI_DTYPE_FLOAT16 || t == EI_DTYPE_FLOAT64;
}

/* Writes "a, b, c" (the model's input names) into buf. */
static void input_names(const ei_session_t *s, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ei_session_input_count(s) && used + 1 < size; i++) {
        int w =
            snprintf(buf + used, size - used, "%s%s", i ? ", " : "", ei_session_input(s, i)->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void warn_label_count(ei_classifier_t *c)
{
    if (c->warned_labels || c->labels == NULL || c->n_classes == 0)
        return;
    c->warned_labels = true;
    size_t nl = ei_labels_count(c->labels);
    if (nl + 1 == c->n_classes)
        EI_LOG(EI_LOG_WARN, "classify",
               "%zu labels for %zu classes: class %zu has no label (its index is used)", nl,
               c->n_classes, nl);
    else if (nl < c->n_classes)
        EI_LOG(EI_LOG_WARN, "classify",
               "%zu labels for %zu classes: classes %zu to %zu have no label (their index is used)",
               nl, c->n_classes, nl, c->n_classes - 1);
    else if (nl > c->n_classes)
        EI_LOG(EI_LOG_WARN, "classify", "%zu labels for %zu classes: the last %zu are never used",
               nl, c->n_classes, nl - c->n_classes);
}

/*
 * Checks that the session's model looks like an image classifier and fills the model-dependent
 * fields: names, batch, class count, image options (preset, then the model's H, W, layout, dtype).
 */
static ei_code_t setup_model(ei_classifier_t *c, const ei_classifier_opts_t *o, ei_error_t *err)
{
    ei_session_t *s = c->session;
    size_t nin = ei_session_input_count(s);
    if (nin != 1) {
        char names[256];
        input_names(s, names, sizeof(names));
        return ei__fail(err, EI_EMODEL,
                        "not an image classifier: expected 1 image input [N,3,H,W] or [N,H,W,3], "
                        "got %zu inputs (%s)",
                        nin, names);
    }
    const ei_value_info_t *in = ei_session_input(s, 0);
    char shape[128];
    if (in->kind != EI_VALUE_TENSOR || !in->rank_known || in->rank != 4) {
        if (in->kind == EI_VALUE_TENSOR && in->rank_known)
            ei_shape_format(in->shape, in->rank, shape, sizeof(shape));
        else
            snprintf(shape, sizeof(shape), "%s",
                     in->kind == EI_VALUE_TENSOR ? "unknown" : "not a tensor");
        return ei__fail(err, EI_EMODEL,
                        "not an image classifier: input '%s' has shape %s, expected rank 4 "
                        "[N,3,H,W] or [N,H,W,3]",
                        in->name, shape);
    }
    if (in->dtype != EI_DTYPE_FLOAT32 && in->dtype != EI_DTYPE_FLOAT16 &&
        in->dtype != EI_DTYPE_UINT8)
        return ei__fail(err, EI_EMODEL,
                        "input '%s' has element type %s, expected float32, float16 or uint8",
                        in->name, ei_dtype_name(in->dtype));

    if (o->image != NULL) {
        c->image = *o->image;
    } else {
        const char *preset = o->preset != NULL ? o->preset : "imagenet";
        ei_code_t rc = ei_image_opts_preset(&c->image, preset, err);
        if (rc != EI_OK)
            return rc;
    }
    ei_error_t e2 = {0};
    if (ei_image_opts_from_shape(&c->image, in->shape, in->rank, &e2) != EI_OK) {
        ei_shape_format(in->shape, in->rank, shape, sizeof(shape));
        return ei__fail(err, EI_EMODEL,
                        "not an image classifier: input '%s' has shape %s, expected a 3-channel "
                        "axis ([N,3,H,W] or [N,H,W,3])",
                        in->name, shape);
    }
    c->image.dtype = in->dtype;
    c->input_dtype = in->dtype;

    /* The output: by name or the first, [N, C] or [N, C, 1, 1]. */
    int oi = 0;
    if (o->output_name != NULL) {
        oi = ei_session_output_index(s, o->output_name);
        if (oi < 0)
            return ei__fail(err, EI_ENOTFOUND, "model has no output '%s'", o->output_name);
    } else if (ei_session_output_count(s) == 0) {
        return ei__fail(err, EI_EMODEL, "not an image classifier: the model has no output");
    }
    const ei_value_info_t *out = ei_session_output(s, (size_t)oi);
    if (out->kind != EI_VALUE_TENSOR || !output_dtype_ok(out->dtype))
        return ei__fail(err, EI_EMODEL,
                        "not an image classifier: output '%s' is %s %s, expected a float32 or "
                        "float16 tensor [N, classes]",
                        out->name, out->kind == EI_VALUE_TENSOR ? "a tensor of" : "not a tensor",
                        ei_dtype_name(out->dtype));
    if (out->rank_known) {
        /* A free (-1) trailing dim of a rank-4 output is checked at run time. */
        bool ok = out->rank == 2 || (out->rank == 4 && out->shape[2] <= 1 && out->shape[2] != 0 &&
                                     out->shape[3] <= 1 && out->shape[3] != 0);
        if (!ok) {
            ei_shape_format(out->shape, out->rank, shape, sizeof(shape));
            return ei__fail(err, EI_EMODEL,
                            "not an image classifier: output '%s' has shape %s, expected "
                            "[N, classes]",
                            out->name, shape);
        }
        if (out->shape[1] > 0)
            c->n_classes = (size_t)out->shape[1];
    }

    c->input_name = ei__strdup(in->name);
    c->output_name = ei__strdup(out->name);
    if (c->input_name == NULL || c->output_name == NULL)
        return ei__fail(err, EI_ENOMEM, "classifier: out of memory");

    size_t want = o->batch == 0 ? 1 : o->batch;
    if (in->shape[0] > 0) {
        c->fixed_batch = true;
        c->batch = (size_t)in->shape[0];
        if (o->batch > 1 && want != c->batch)
            EI_LOG(EI_LOG_WARN, "classify",
                   "batch %zu requested but input '%s' has a fixed batch of %zu: using %zu", want,
                   in->name, c->batch, c->batch);
    } else {
        c->batch = want;
    }
    return EI_OK;
}

static ei_code_t setup_labels(ei_classifier_t *c, const ei_classifier_opts_t *o, ei_error_t *err)
{
    if (o->labels_path != NULL)
        return ei_labels_load(o->labels_path, &c->labels, err);
    ei_error_t e2 = {0};
    ei_code_t rc = ei_labels_from_metadata(c->session, &c->labels, &e2);
    if (rc == EI_ENOTFOUND)
        return EI_OK;
    if (rc == EI_ENOMEM) {
        if (err != NULL)
            *err = e2;
        return rc;
    }
    if (rc != EI_OK) {
        /* Unreadable metadata labels are not worth failing the model for. */
        EI_LOG(EI_LOG_WARN, "classify", "ignoring the model's labels: %s", e2.msg);
        return EI_OK;
    }
    return EI_OK;
}

static ei_code_t create_common(ei_session_t *s, bool owns, const ei_classifier_opts_t *opts,
                               ei_classifier_t **out, ei_error_t *err)
{
    ei_classifier_opts_t defaults;
    ei_code_t rc = EI_OK;
    ei_classifier_t *c = ei__calloc(1, sizeof(*c));
    if (c == NULL) {
        if (owns)
            ei_session_destroy(s);
        return ei__fail(err, EI_ENOMEM, "classifier: out of memory");
    }
    c->session = s;
    c->owns_session = owns;
    if (opts == NULL) {
        ei_classifier_opts_init(&defaults);
        opts = &defaults;
    }
    if ((int)opts->softmax < EI_SOFTMAX_AUTO || opts->softmax > EI_SOFTMAX_NEVER) {
        rc = ei__fail(err, EI_EINVAL, "classifier: softmax mode %d unknown (0, 1 or 2)",
                      (int)opts->softmax);
        goto out;
    }
    c->top_k = opts->top_k;
    c->softmax = opts->softmax;
    c->keep_logits = opts->keep_logits;
    rc = setup_model(c, opts, err);
    if (rc == EI_OK)
        rc = setup_labels(c, opts, err);
    if (rc == EI_OK)
        rc = ei_image_pipeline_create(&c->image, &c->pipeline, err);
    if (rc == EI_OK)
        warn_label_count(c);
out:
    if (rc != EI_OK) {
        ei_classifier_destroy(c);
        return rc;
    }
    *out = c;
    return EI_OK;
}

ei_code_t ei_classifier_create_from_session(ei_session_t *s, const ei_classifier_opts_t *opts,
                                            ei_classifier_t **out, ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (s == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "classifier: NULL argument");
    return create_common(s, false, opts, out, err);
}

ei_code_t ei_classifier_create(const char *model_path, const ei_classifier_opts_t *opts,
                               ei_classifier_t **out, ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (model_path == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "classifier: NULL argument");
    ei_session_t *s = NULL;
    ei_code_t rc = ei_session_create(model_path, opts != NULL ? opts->session : NULL, &s, err);
    if (rc != EI_OK)
        return rc;
    rc = create_common(s, true, opts, out, err);
    if (rc != EI_OK)
        ei__error_prefix(err, "%s", model_path);
    return rc;
}

/* The input shape for `n` images. */
static void input_shape(const ei_classifier_t *c, size_t n, int64_t shape[4])
{
    shape[0] = (int64_t)n;
    if (c->image.layout == EI_LAYOUT_NHWC) {
        shape[1] = c->image.height;
        shape[2] = c->image.width;
        shape[3] = 3;
    } else {
        shape[1] = 3;
        shape[2] = c->image.height;
        shape[3] = c->image.width;
    }
}

ei_code_t ei_classifier_create_input(const ei_classifier_t *c, ei_tensor_t **out, ei_error_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (c == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "classifier input: NULL argument");
    int64_t shape[4];
    input_shape(c, c->batch, shape);
    return ei_tensor_create(c->input_dtype, shape, 4, out, err);
}

/* Converts output row `r` (of `n` values) to float. */
static void row_to_float(const ei_tensor_t *t, size_t r, size_t n, float *dst)
{
    const void *data = ei_tensor_data(t);
    switch (ei_tensor_dtype(t)) {
    case EI_DTYPE_FLOAT32:
        memcpy(dst, (const float *)data + r * n, n * sizeof(float));
        break;
    case EI_DTYPE_FLOAT16: {
        const uint16_t *h = (const uint16_t *)data + r * n;
        for (size_t i = 0; i < n; i++)
            dst[i] = ei_f16_to_f32(h[i]);
        break;
    }
    default:
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)ei_tensor_get_f64(t, r * n + i);
        break;
    }
}

/* Fills one result from its output row (already converted to float in `row`). */
static ei_code_t postprocess(ei_classifier_t *c, float *row, size_t n_classes,
                             ei_classify_result_t *r, ei_error_t *err)
{
    size_t k = c->top_k == 0 || c->top_k > n_classes ? n_classes : c->top_k;
    memset(r, 0, sizeof(*r));
    r->n_classes = n_classes;
    if (c->keep_logits) {
        r->logits = ei__malloc(n_classes * sizeof(float));
        if (r->logits == NULL)
            return ei__fail(err, EI_ENOMEM, "classify: out of memory");
        memcpy(r->logits, row, n_classes * sizeof(float));
    }
    r->top = ei__calloc(k ? k : 1, sizeof(*r->top));
    size_t stack_idx[TOPK_SMALL];
    size_t *idx = k <= TOPK_SMALL ? stack_idx : ei__malloc(k * sizeof(*idx));
    if (r->top == NULL || idx == NULL) {
        if (idx != stack_idx)
            ei__free(idx);
        return ei__fail(err, EI_ENOMEM, "classify: out of memory");
    }
    bool apply = c->softmax == EI_SOFTMAX_ALWAYS ||
                 (c->softmax == EI_SOFTMAX_AUTO && !ei_is_distribution(row, n_classes, DIST_TOL));
    if (apply)
        ei_softmax(row, row, n_classes);
    r->softmax_applied = apply;
    size_t got = ei_topk(row, n_classes, k, idx);
    for (size_t i = 0; i < got; i++) {
        r->top[i].index = idx[i];
        r->top[i].score = row[idx[i]];
        r->top[i].label = ei_labels_get(c->labels, idx[i]);
    }
    r->n_top = got;
    if (idx != stack_idx)
        ei__free(idx);
    return EI_OK;
}

ei_code_t ei_classifier_run_tensor(ei_classifier_t *c, ei_tensor_t *input, size_t n,
                                   ei_classify_result_t *results, ei_error_t *err)
{
    ei_tensor_t *view = NULL, *output = NULL;
    float *row = NULL;
    size_t done = 0;
    ei_code_t rc = EI_OK;

    if (c == NULL || input == NULL || results == NULL)
        return ei__fail(err, EI_EINVAL, "classify: NULL argument");
    int64_t want[4];
    input_shape(c, c->batch, want);
    const int64_t *got = ei_tensor_shape(input);
    if (ei_tensor_dtype(input) != c->input_dtype || ei_tensor_rank(input) != 4 ||
        memcmp(got, want, sizeof(want)) != 0) {
        char a[96], b[96];
        ei_shape_format(want, 4, a, sizeof(a));
        ei_shape_format(got, ei_tensor_rank(input), b, sizeof(b));
        return ei__fail(err, EI_EINVAL, "classify: input tensor must be %s %s, got %s %s",
                        ei_dtype_name(c->input_dtype), a, ei_dtype_name(ei_tensor_dtype(input)), b);
    }
    if (n == 0 || n > c->batch)
        return ei__fail(err, EI_EINVAL, "classify: %zu images for a batch of %zu", n, c->batch);

    ei_tensor_t *run_in = input;
    size_t n_run = n;
    if (n < c->batch) {
        size_t slot = ei_tensor_nbytes(input) / c->batch;
        if (c->fixed_batch) {
            /* The model insists on its batch: pad with zeros. */
            memset((char *)ei_tensor_data(input) + n * slot, 0, (c->batch - n) * slot);
            n_run = c->batch;
        } else {
            int64_t shape[4];
            input_shape(c, n, shape);
            rc = ei_tensor_wrap(c->input_dtype, shape, 4, ei_tensor_data(input), n * slot, &view,
                                err);
            if (rc != EI_OK)
                goto out;
            run_in = view;
        }
    }

    uint64_t t0 = ei__now_ns();
    const char *in_name = c->input_name;
    const char *out_name = c->output_name;
    rc = ei_session_run(c->session, &in_name, &run_in, 1, &out_name, &output, 1, err);
    uint64_t t1 = ei__now_ns();
    if (rc != EI_OK)
        goto out;

    /* [n_run, C] or [n_run, C, 1, 1]. */
    const int64_t *os = ei_tensor_shape(output);
    size_t orank = ei_tensor_rank(output);
    bool shape_ok = orank >= 2 && os[0] == (int64_t)n_run && os[1] > 0 &&
                    output_dtype_ok(ei_tensor_dtype(output));
    for (size_t d = 2; d < orank && shape_ok; d++)
        shape_ok = os[d] == 1;
    if (!shape_ok) {
        char a[96];
        ei_shape_format(os, orank, a, sizeof(a));
        rc = ei__fail(err, EI_EMODEL, "output '%s' is %s %s, expected float [%zu, classes]",
                      c->output_name, ei_dtype_name(ei_tensor_dtype(output)), a, n_run);
        goto out;
    }
    size_t n_classes = (size_t)os[1];
    if (c->n_classes == 0) {
        c->n_classes = n_classes;
        warn_label_count(c);
    } else if (c->n_classes != n_classes) {
        rc = ei__fail(err, EI_EMODEL, "output '%s' has %zu classes, expected %zu", c->output_name,
                      n_classes, c->n_classes);
        goto out;
    }
    row = ei__malloc(n_classes * sizeof(float));
    if (row == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "classify: out of memory");
        goto out;
    }
    for (; done < n; done++) {
        uint64_t p0 = ei__now_ns();
        row_to_float(output, done, n_classes, row);
        rc = postprocess(c, row, n_classes, &results[done], err);
        if (rc != EI_OK) {
            done++; /* dispose the partial one too */
            goto out;
        }
        results[done].infer_ns = (t1 - t0) / n;
        results[done].postprocess_ns = ei__now_ns() - p0;
    }
out:
    if (rc != EI_OK) {
        for (size_t i = 0; i < done; i++)
            ei_classify_result_dispose(&results[i]);
    }
    ei__free(row);
    ei_tensor_destroy(output);
    ei_tensor_destroy(view);
    return rc;
}

static ei_code_t ensure_input(ei_classifier_t *c, ei_error_t *err)
{
    if (c->input != NULL)
        return EI_OK;
    return ei_classifier_create_input(c, &c->input, err);
}

ei_code_t ei_classifier_run(ei_classifier_t *c, const ei_image_t *const *images, size_t n,
                            ei_classify_result_t *results, ei_error_t *err)
{
    size_t done = 0;
    uint64_t *pre = NULL;
    ei_code_t rc = EI_OK;
    if (c == NULL || (n > 0 && (images == NULL || results == NULL)))
        return ei__fail(err, EI_EINVAL, "classify: NULL argument");
    rc = ensure_input(c, err);
    if (rc != EI_OK)
        return rc;
    pre = ei__calloc(c->batch, sizeof(*pre));
    if (pre == NULL)
        return ei__fail(err, EI_ENOMEM, "classify: out of memory");
    while (rc == EI_OK && done < n) {
        size_t m = n - done < c->batch ? n - done : c->batch;
        for (size_t i = 0; i < m && rc == EI_OK; i++) {
            uint64_t t0 = ei__now_ns();
            rc =
                ei_image_pipeline_run_tensor(c->pipeline, images[done + i], c->input, i, NULL, err);
            if (rc != EI_OK)
                ei__error_prefix(err, "image %zu", done + i);
            pre[i] = ei__now_ns() - t0;
        }
        if (rc == EI_OK)
            rc = ei_classifier_run_tensor(c, c->input, m, results + done, err);
        if (rc == EI_OK) {
            for (size_t i = 0; i < m; i++)
                results[done + i].preprocess_ns = pre[i];
            done += m;
        }
    }
    if (rc != EI_OK) {
        for (size_t i = 0; i < done; i++)
            ei_classify_result_dispose(&results[i]);
    }
    ei__free(pre);
    return rc;
}

ei_code_t ei_classifier_run_files(ei_classifier_t *c, const char *const *paths, size_t n,
                                  ei_classify_result_t *results, ei_code_t *codes, ei_error_t *err)
{
    size_t *map = NULL;
    uint64_t *dec = NULL; /* decode and preprocess time per slot */
    ei_classify_result_t *tmp = NULL;
    ei_code_t first_fail = EI_OK;
    ei_code_t rc = EI_OK;
    size_t filled = 0;

    if (c == NULL || (n > 0 && (paths == NULL || results == NULL)))
        return ei__fail(err, EI_EINVAL, "classify: NULL argument");
    memset(results, 0, n * sizeof(*results));
    rc = ensure_input(c, err);
    if (rc != EI_OK)
        return rc;
    map = ei__malloc(c->batch * sizeof(*map));
    tmp = ei__calloc(c->batch, sizeof(*tmp));
    dec = ei__calloc(c->batch, 2 * sizeof(*dec));
    if (map == NULL || tmp == NULL || dec == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "classify: out of memory");
        goto out;
    }
    for (size_t i = 0; i <= n; i++) {
        /* Run a full batch, or the rest at the end. */
        if (filled == c->batch || (i == n && filled > 0)) {
            rc = ei_classifier_run_tensor(c, c->input, filled, tmp, err);
            if (rc != EI_OK)
                goto out;
            for (size_t j = 0; j < filled; j++) {
                results[map[j]] = tmp[j];
                results[map[j]].decode_ns = dec[2 * j];
                results[map[j]].preprocess_ns = dec[2 * j + 1];
            }
            filled = 0;
        }
        if (i == n)
            break;
        if (codes != NULL)
            codes[i] = EI_OK;
        ei_error_t e2 = {0};
        ei_code_t r2;
        uint64_t t0 = ei__now_ns(), t1, t2;
        if (c->image.dct_scaling) {
            /* The pipeline picks the DCT scale; decode and resize are one call. */
            r2 = ei_image_pipeline_load(c->pipeline, paths[i], c->input, filled, NULL, &e2);
            t1 = t2 = ei__now_ns();
        } else {
            ei_image_decode_opts_t d;
            ei_image_decode_opts_init(&d);
            d.max_pixels = c->image.max_pixels;
            ei_image_t *img = NULL;
            r2 = ei_image_load(paths[i], &d, &img, &e2);
            t1 = ei__now_ns();
            if (r2 == EI_OK)
                r2 = ei_image_pipeline_run_tensor(c->pipeline, img, c->input, filled, NULL, &e2);
            ei_image_destroy(img);
            t2 = ei__now_ns();
        }
        if (r2 != EI_OK) {
            if (codes != NULL)
                codes[i] = r2;
            EI_LOG(EI_LOG_WARN, "classify", "skipping %s: %s", paths[i], e2.msg);
            if (first_fail == EI_OK) {
                first_fail = r2;
                if (err != NULL)
                    *err = e2;
            }
            continue;
        }
        dec[2 * filled] = t1 - t0;
        dec[2 * filled + 1] = t2 - t1;
        map[filled++] = i;
    }
out:
    if (rc != EI_OK) {
        for (size_t i = 0; i < n; i++)
            ei_classify_result_dispose(&results[i]);
    }
    ei__free(map);
    ei__free(dec);
    ei__free(tmp);
    return rc != EI_OK ? rc : first_fail;
}
