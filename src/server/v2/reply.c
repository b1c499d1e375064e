/* SPDX-License-Identifier: MIT */
/*
 * The reply plan every front-end writes its answer from (see v2_request.h): output forms, the
 * classification extension, shared-memory outputs, and the binary tensor form.
 */
#include "ei_util.h"
#include "v2_request.h"

#include <edgeinfer/classify.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Classification ------------------------------------------------------------------------------ */

/*
 * The classification extension: per batch item (when the model batches), the top K values of the
 * output as BYTES "value:index[:label]" (Triton prints the value with %f). The ranking is the
 * tasks layer's ei_topk() (ties: lower index first; NaNs last, printed as -inf).
 */
static ei_code_t classify(const ei_tensor_t *t, int64_t k, bool batched, const ei__config_io_t *io,
                          ei_tensor_t **out, ei_error_t *err)
{
    ei_dtype_t dt = ei_tensor_dtype(t);
    if (dt == EI_DTYPE_STRING || dt == EI_DTYPE_BOOL)
        return ei__fail(err, EI_EINVAL, "classification needs a numeric output, this one is %s",
                        ei__v2_dtype_name(dt) ? ei__v2_dtype_name(dt) : ei_dtype_name(dt));
    size_t rank = ei_tensor_rank(t);
    const int64_t *sh = ei_tensor_shape(t);
    size_t total = ei_tensor_count(t);
    size_t batch = batched && rank > 0 ? (size_t)sh[0] : 1;
    size_t per = batch ? total / batch : 0;
    size_t kk = (size_t)k < per ? (size_t)k : per;
    int64_t oshape[2] = {(int64_t)batch, (int64_t)kk};
    ei_code_t rc = batched && rank > 0 ? ei_tensor_create(EI_DTYPE_STRING, oshape, 2, out, err)
                                       : ei_tensor_create(EI_DTYPE_STRING, oshape + 1, 1, out, err);
    if (rc != EI_OK)
        return rc;
    float *row = per ? ei__calloc(per, sizeof *row) : NULL;
    size_t *idx = kk ? ei__calloc(kk, sizeof *idx) : NULL;
    if ((per && !row) || (kk && !idx)) {
        ei__free(row);
        ei__free(idx);
        ei_tensor_destroy(*out);
        *out = NULL;
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    const ei_labels_t *labels = io ? io->labels : NULL;
    for (size_t b = 0; b < batch && rc == EI_OK; b++) {
        for (size_t i = 0; i < per; i++)
            row[i] = (float)ei_tensor_get_f64(t, b * per + i);
        size_t got = ei_topk(row, per, kk, idx);
        for (size_t j = 0; j < got && rc == EI_OK; j++) {
            char s[512];
            double v = ei_tensor_get_f64(t, b * per + idx[j]);
            const char *label = ei_labels_get(labels, idx[j]);
            if (isnan(v))
                v = -INFINITY;
            int n = label ? snprintf(s, sizeof s, "%f:%zu:%s", v, idx[j], label)
                          : snprintf(s, sizeof s, "%f:%zu", v, idx[j]);
            if (n < 0)
                n = 0;
            if ((size_t)n >= sizeof s)
                n = (int)sizeof s - 1;
            rc = ei_tensor_set_string(*out, b * kk + j, s, (size_t)n, err);
        }
    }
    ei__free(row);
    ei__free(idx);
    if (rc != EI_OK) {
        ei_tensor_destroy(*out);
        *out = NULL;
    }
    return rc;
}

/* The binary form -------------------------------------------------------------------------- */

void ei__v2_binary_write(uint8_t *dst, const ei_tensor_t *t)
{
    if (ei_tensor_dtype(t) != EI_DTYPE_STRING) {
        if (ei_tensor_nbytes(t))
            memcpy(dst, ei_tensor_data(t), ei_tensor_nbytes(t));
        return;
    }
    size_t n = ei_tensor_count(t);
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        const char *s = ei_tensor_string(t, i, &l);
        uint32_t l32 = (uint32_t)l;
        memcpy(dst, &l32, 4);
        memcpy(dst + 4, s, l);
        dst += 4 + l;
    }
}

size_t ei__v2_binary_size(const ei_tensor_t *t)
{
    if (ei_tensor_dtype(t) != EI_DTYPE_STRING)
        return ei_tensor_nbytes(t);
    size_t n = ei_tensor_count(t), total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        ei_tensor_string(t, i, &l);
        total += 4 + l;
    }
    return total;
}

/* The plan ------------------------------------------------------------------------------------ */

void ei__v2_reply_dispose(ei__v2_reply_t *r)
{
    if (!r)
        return;
    if (r->owned)
        for (size_t i = 0; i < r->n; i++)
            ei_tensor_destroy(r->owned[i]);
    ei__free(r->owned);
    ei__free(r->out);
    memset(r, 0, sizeof *r);
}

ei_code_t ei__v2_reply_prepare(const ei__v2_request_t *rq, const ei__model_config_t *cfg,
                               ei_tensor_t *const *results, const char *const *names, size_t n,
                               ei__v2_reply_t *out, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->out = ei__calloc(n ? n : 1, sizeof *out->out);
    out->owned = ei__calloc(n ? n : 1, sizeof *out->owned);
    if (!out->out || !out->owned) {
        ei__v2_reply_dispose(out);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    /* Per output: binary or typed, and the classification tensor when asked for. */
    for (size_t i = 0; i < n; i++) {
        ei__v2_reply_out_t *o = &out->out[i];
        const ei__v2_output_t *ro = NULL;
        for (size_t k = 0; k < rq->n_outputs; k++)
            if (strcmp(rq->outputs[k].name, names[i]) == 0)
                ro = &rq->outputs[k];
        o->name = names[i];
        o->shm = ro && ro->shm_ptr ? ro : NULL;
        o->binary = o->shm ? false : ro ? ro->binary : rq->binary_output;
        if (ro && ro->classification > 0) {
            const ei__config_io_t *io = cfg ? ei__model_config_output(cfg, names[i]) : NULL;
            rc = classify(results[i], ro->classification, cfg && cfg->max_batch_size > 0, io,
                          &out->owned[i], err);
            if (rc != EI_OK) {
                ei__error_prefix(err, "output '%s'", names[i]);
                goto fail;
            }
        }
        o->t = out->owned[i] ? out->owned[i] : results[i];
        if (!ei__v2_dtype_name(ei_tensor_dtype(o->t))) {
            rc = ei__fail(err, EI_EUNSUPPORTED,
                          "output '%s': element type %s has no KServe v2 datatype", names[i],
                          ei_dtype_name(ei_tensor_dtype(o->t)));
            goto fail;
        }
        o->nbytes = ei__v2_binary_size(o->t);
        out->any_binary |= o->binary;
        if (o->shm && o->nbytes > o->shm->shm_size) {
            rc = ei__fail(err, EI_EINVAL,
                          "output '%s': shared_memory_byte_size %llu is smaller than the "
                          "result (%zu bytes)",
                          names[i], (unsigned long long)o->shm->shm_size, o->nbytes);
            goto fail;
        }
    }
    /* Every check has passed: only now write into the clients' shared memory. */
    for (size_t i = 0; i < n; i++)
        if (out->out[i].shm)
            ei__v2_binary_write(out->out[i].shm->shm_ptr, results[i]);
    return EI_OK;
fail:
    ei__v2_reply_dispose(out);
    return rc;
}
