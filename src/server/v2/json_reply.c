/* SPDX-License-Identifier: MIT */
/*
 * KServe v2 REST inference replies (see v2_json.h), written by hand into one buffer from the reply
 * plan: much faster than building a jansson tree for large outputs, and floats print as the
 * shortest decimal that reads back to the same value. Binary outputs follow the JSON header.
 */
#include "ei_util.h"
#include "sbuf.h"
#include "v2_json.h"

#include <string.h>

static void write_json_data(ei__sbuf_t *b, const ei_tensor_t *t)
{
    ei_dtype_t dt = ei_tensor_dtype(t);
    size_t n = ei_tensor_count(t);
    const unsigned char *p = ei_tensor_data(t);
    ei__sbuf_addc(b, '[');
    for (size_t i = 0; i < n && !b->oom; i++) {
        if (i)
            ei__sbuf_addc(b, ',');
        switch (dt) {
        case EI_DTYPE_STRING: {
            size_t l = 0;
            const char *s = ei_tensor_string(t, i, &l);
            ei__sbuf_json_str(b, s ? s : "", s ? l : 0);
            break;
        }
        case EI_DTYPE_BOOL:
            ei__sbuf_adds(b, p[i] ? "true" : "false");
            break;
        case EI_DTYPE_FLOAT32: {
            float f;
            memcpy(&f, p + 4 * i, 4);
            ei__sbuf_json_num(b, (double)f, 9);
            break;
        }
        case EI_DTYPE_FLOAT64: {
            double d;
            memcpy(&d, p + 8 * i, 8);
            ei__sbuf_json_num(b, d, 17);
            break;
        }
        case EI_DTYPE_FLOAT16:
        case EI_DTYPE_BFLOAT16:
            ei__sbuf_json_num(b, ei_tensor_get_f64(t, i), 9);
            break;
        case EI_DTYPE_UINT64: {
            uint64_t u;
            memcpy(&u, p + 8 * i, 8);
            ei__sbuf_printf(b, "%llu", (unsigned long long)u);
            break;
        }
        case EI_DTYPE_INT64: {
            int64_t v;
            memcpy(&v, p + 8 * i, 8);
            ei__sbuf_printf(b, "%lld", (long long)v);
            break;
        }
        default:
            ei__sbuf_printf(b, "%lld", (long long)ei_tensor_get_f64(t, i));
            break;
        }
    }
    ei__sbuf_addc(b, ']');
}

ei_code_t ei__v2_write_response(const ei__v2_request_t *rq, const char *model, int64_t version,
                                const ei__model_config_t *cfg, ei_tensor_t *const *results,
                                const char *const *names, size_t n, char **body, size_t *len,
                                size_t *json_len, ei_error_t *err)
{
    ei__v2_reply_t rp;
    ei__sbuf_t b = {0};
    *body = NULL;
    *len = 0;
    *json_len = 0;
    ei_code_t rc = ei__v2_reply_prepare(rq, cfg, results, names, n, &rp, err);
    if (rc != EI_OK)
        return rc;
    ei__sbuf_adds(&b, "{\"model_name\":");
    ei__sbuf_json_str(&b, model, strlen(model));
    ei__sbuf_printf(&b, ",\"model_version\":\"%lld\"", (long long)version);
    if (rq->id) {
        ei__sbuf_adds(&b, ",\"id\":");
        ei__sbuf_json_str(&b, rq->id, strlen(rq->id));
    }
    ei__sbuf_adds(&b, ",\"outputs\":[");
    for (size_t i = 0; i < n; i++) {
        const ei__v2_reply_out_t *o = &rp.out[i];
        if (i)
            ei__sbuf_addc(&b, ',');
        ei__sbuf_adds(&b, "{\"name\":");
        ei__sbuf_json_str(&b, o->name, strlen(o->name));
        ei__sbuf_printf(&b, ",\"datatype\":\"%s\",\"shape\":[",
                        ei__v2_dtype_name(ei_tensor_dtype(o->t)));
        const int64_t *sh = ei_tensor_shape(o->t);
        for (size_t d = 0; d < ei_tensor_rank(o->t); d++)
            ei__sbuf_printf(&b, "%s%lld", d ? "," : "", (long long)sh[d]);
        ei__sbuf_addc(&b, ']');
        if (o->shm) {
            ei__sbuf_adds(&b, ",\"parameters\":{\"shared_memory_region\":");
            ei__sbuf_json_str(&b, o->shm->shm_region, strlen(o->shm->shm_region));
            ei__sbuf_printf(&b, ",\"shared_memory_byte_size\":%zu}}", o->nbytes);
        } else if (o->binary) {
            ei__sbuf_printf(&b, ",\"parameters\":{\"binary_data_size\":%zu}}", o->nbytes);
        } else {
            ei__sbuf_adds(&b, ",\"data\":");
            write_json_data(&b, o->t);
            ei__sbuf_addc(&b, '}');
        }
    }
    ei__sbuf_adds(&b, "]}");
    if (rp.any_binary) {
        *json_len = b.len;
        for (size_t i = 0; i < n; i++) {
            const ei__v2_reply_out_t *o = &rp.out[i];
            if (o->binary && o->nbytes && ei__sbuf_reserve(&b, o->nbytes)) {
                ei__v2_binary_write((uint8_t *)b.data + b.len, o->t);
                b.len += o->nbytes;
                b.data[b.len] = '\0'; /* the buffer's invariant */
            }
        }
    }
    ei__v2_reply_dispose(&rp);
    if (b.oom) {
        ei__sbuf_free(&b);
        *json_len = 0;
        return ei__fail(err, EI_ENOMEM, "out of memory writing the response");
    }
    *body = ei__sbuf_take(&b, len);
    return EI_OK;
}
