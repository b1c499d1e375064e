/* SPDX-License-Identifier: MIT */
/*
 * Generated model inputs (zeros or seeded random values) shaped after the model's declared inputs.
 * The rules for free dims and value ranges are in inputs.h. Not for reading tensors from files.
 */
#include "inputs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ei_code_t fail(ei_error_t *err, ei_code_t code, const char *fmt, ...) EI_CLI_PRINTF(3, 4);

static ei_code_t fail(ei_error_t *err, ei_code_t code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

/* splitmix64: tiny, fast, and the same sequence on every platform for one seed. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double next_unit(uint64_t *state)
{
    return (double)(next_u64(state) >> 11) * (1.0 / 9007199254740992.0);
}

static const ei_dim_override_t *find_dim(const ei_cli_gen_t *gen, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return NULL;
    for (size_t i = 0; i < gen->n_dims; i++) {
        if (gen->dims[i].name != NULL && strcmp(gen->dims[i].name, name) == 0)
            return &gen->dims[i];
    }
    return NULL;
}

ei_code_t ei_cli_input_shape(const ei_value_info_t *info, const ei_cli_gen_t *gen, int64_t *shape,
                             size_t *rank, ei_error_t *err)
{
    if (info->kind != EI_VALUE_TENSOR)
        return fail(err, EI_EUNSUPPORTED,
                    "input '%s': not a tensor, cannot generate it (give it from a file with -i)",
                    info->name);
    if (!info->rank_known)
        return fail(err, EI_EUNSUPPORTED,
                    "input '%s': the model declares no shape, cannot generate it (give it from a "
                    "file with -i)",
                    info->name);
    if (info->rank > EI_MAX_RANK)
        return fail(err, EI_EUNSUPPORTED, "input '%s': rank %zu is over the limit of %d",
                    info->name, info->rank, EI_MAX_RANK);
    bool first_free = true;
    for (size_t d = 0; d < info->rank; d++) {
        if (info->shape[d] >= 0) {
            shape[d] = info->shape[d];
            continue;
        }
        const char *dname = info->dim_names != NULL ? info->dim_names[d] : "";
        const ei_dim_override_t *o = find_dim(gen, dname);
        if (o != NULL) {
            shape[d] = o->value;
        } else if (first_free) {
            shape[d] = gen->batch > 0 ? gen->batch : 1;
        } else {
            shape[d] = 1;
            if (!gen->quiet) {
                if (dname != NULL && dname[0] != '\0')
                    ei_cli_warn("input '%s': free dim %zu ('%s') set to 1 (use --dim %s=N)",
                                info->name, d, dname, dname);
                else
                    ei_cli_warn("input '%s': free dim %zu has no name and is set to 1", info->name,
                                d);
            }
        }
        first_free = false;
    }
    *rank = info->rank;
    return EI_OK;
}

static void fill_bytes_random(uint8_t *p, size_t n, uint64_t *seed, unsigned below)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(next_u64(seed) % below);
}

ei_code_t ei_cli_fill_tensor(ei_tensor_t *t, ei_cli_fill_t fill, uint64_t *seed, ei_error_t *err)
{
    ei_dtype_t dt = ei_tensor_dtype(t);
    size_t n = ei_tensor_count(t);
    void *data = ei_tensor_data(t);
    if (dt == EI_DTYPE_STRING) {
        if (fill == EI_CLI_FILL_ZEROS)
            return EI_OK; /* created as empty strings */
        for (size_t i = 0; i < n; i++) {
            ei_code_t rc = ei_tensor_set_string(t, i, "a", 1, err);
            if (rc != EI_OK)
                return rc;
        }
        return EI_OK;
    }
    if (fill == EI_CLI_FILL_ZEROS) {
        if (data != NULL)
            memset(data, 0, ei_tensor_nbytes(t));
        return EI_OK;
    }
    switch (dt) {
    case EI_DTYPE_FLOAT32:
        for (size_t i = 0; i < n; i++)
            ((float *)data)[i] = (float)next_unit(seed);
        break;
    case EI_DTYPE_FLOAT64:
        for (size_t i = 0; i < n; i++)
            ((double *)data)[i] = next_unit(seed);
        break;
    case EI_DTYPE_COMPLEX64:
        for (size_t i = 0; i < 2 * n; i++)
            ((float *)data)[i] = (float)next_unit(seed);
        break;
    case EI_DTYPE_COMPLEX128:
        for (size_t i = 0; i < 2 * n; i++)
            ((double *)data)[i] = next_unit(seed);
        break;
    case EI_DTYPE_FLOAT16:
        for (size_t i = 0; i < n; i++)
            ((uint16_t *)data)[i] = ei_f32_to_f16((float)next_unit(seed));
        break;
    case EI_DTYPE_BFLOAT16:
        for (size_t i = 0; i < n; i++)
            ((uint16_t *)data)[i] = ei_f32_to_bf16((float)next_unit(seed));
        break;
    /*
     * float8: positive bytes below the encoding of 1.0 are exactly the values in [0, 1) (the
     * exponent bias differs per variant).
     */
    case EI_DTYPE_FLOAT8E4M3FN:
        fill_bytes_random(data, n, seed, 0x38);
        break;
    case EI_DTYPE_FLOAT8E5M2:
        fill_bytes_random(data, n, seed, 0x3C);
        break;
    case EI_DTYPE_FLOAT8E4M3FNUZ:
    case EI_DTYPE_FLOAT8E5M2FNUZ:
        fill_bytes_random(data, n, seed, 0x40);
        break;
    case EI_DTYPE_BOOL:
        fill_bytes_random(data, n, seed, 2);
        break;
    case EI_DTYPE_UINT4:
    case EI_DTYPE_INT4:
        /* Two nibbles per byte, each in [0, 8): non-negative for the signed variant too. */
        for (size_t i = 0; i < ei_tensor_nbytes(t); i++)
            ((uint8_t *)data)[i] = (uint8_t)(next_u64(seed) & 0x77);
        break;
    case EI_DTYPE_UINT8:
    case EI_DTYPE_INT8:
        fill_bytes_random(data, n, seed, 10);
        break;
    case EI_DTYPE_UINT16:
    case EI_DTYPE_INT16:
        for (size_t i = 0; i < n; i++)
            ((uint16_t *)data)[i] = (uint16_t)(next_u64(seed) % 10);
        break;
    case EI_DTYPE_UINT32:
    case EI_DTYPE_INT32:
        for (size_t i = 0; i < n; i++)
            ((uint32_t *)data)[i] = (uint32_t)(next_u64(seed) % 10);
        break;
    case EI_DTYPE_UINT64:
    case EI_DTYPE_INT64:
        for (size_t i = 0; i < n; i++)
            ((uint64_t *)data)[i] = next_u64(seed) % 10;
        break;
    default:
        return fail(err, EI_EUNSUPPORTED, "cannot generate values of element type %s",
                    ei_dtype_name(dt));
    }
    return EI_OK;
}

ei_code_t ei_cli_make_input(const ei_value_info_t *info, ei_cli_gen_t *gen, ei_tensor_t **out,
                            ei_error_t *err)
{
    int64_t shape[EI_MAX_RANK];
    size_t rank = 0;
    ei_tensor_t *t = NULL;
    *out = NULL;
    ei_code_t rc = ei_cli_input_shape(info, gen, shape, &rank, err);
    if (rc != EI_OK)
        goto out;
    if (!ei_dtype_valid(info->dtype)) {
        rc = fail(err, EI_EUNSUPPORTED, "input '%s': cannot generate element type %s", info->name,
                  ei_dtype_name(info->dtype));
        goto out;
    }
    rc = ei_tensor_create(info->dtype, shape, rank, &t, err);
    if (rc == EI_OK)
        rc = ei_cli_fill_tensor(t, gen->fill, &gen->seed, err);
    if (rc != EI_OK) {
        char buf[64];
        char msg[EI_ERROR_MSG_SIZE];
        snprintf(msg, sizeof(msg), "%s", err != NULL ? err->msg : "");
        fail(err, rc, "input '%s' %s: %s", info->name,
             ei_shape_format(shape, rank, buf, sizeof(buf)), msg);
        goto out;
    }
    *out = t;
    t = NULL;
out:
    ei_tensor_destroy(t);
    return rc;
}

void ei_cli_free_inputs(const char **names, ei_tensor_t **tensors, size_t n)
{
    if (tensors != NULL) {
        for (size_t i = 0; i < n; i++)
            ei_tensor_destroy(tensors[i]);
    }
    free(tensors);
    free((void *)names);
}

ei_code_t ei_cli_make_inputs(const ei_session_t *s, ei_cli_gen_t *gen, const char ***names,
                             ei_tensor_t ***tensors, ei_error_t *err)
{
    size_t n = ei_session_input_count(s);
    ei_code_t rc = EI_OK;
    const char **nm = calloc(n > 0 ? n : 1, sizeof(*nm));
    ei_tensor_t **ts = calloc(n > 0 ? n : 1, sizeof(*ts));
    *names = NULL;
    *tensors = NULL;
    if (nm == NULL || ts == NULL) {
        rc = fail(err, EI_ENOMEM, "out of memory for %zu inputs", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const ei_value_info_t *info = ei_session_input(s, i);
        nm[i] = info->name;
        rc = ei_cli_make_input(info, gen, &ts[i], err);
        if (rc != EI_OK)
            goto out;
    }
    *names = nm;
    *tensors = ts;
    nm = NULL;
    ts = NULL;
out:
    ei_cli_free_inputs(nm, ts, n);
    return rc;
}
