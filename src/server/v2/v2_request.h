/* SPDX-License-Identifier: MIT */
/*
 * KServe v2 inference requests and responses on the wire: the JSON form (flat or nested `data`,
 * every v2 datatype, FP16/BF16 too), Triton's binary tensor extension in both directions (also the
 * raw single-input form), output selection and the classification extension. Pure functions of
 * bytes and tensors: no HTTP, no model repository, so they are unit-tested and fuzzed directly.
 */
#ifndef EI_SERVER_V2_INFER_H
#define EI_SERVER_V2_INFER_H

#include "model_config.h"
#include "shm.h"

#include <edgeinfer/tensor.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One requested output. */
typedef struct ei__v2_output {
    const char *name;       /**< points into the parsed document */
    bool binary;            /**< send as binary (binary_data, or the request-level default) */
    int64_t classification; /**< > 0: top-K as "score:index:label" strings */
    const char *shm_region; /**< non-NULL: written into this shared-memory region */
    uint8_t *shm_ptr;       /**< where, and at most how many bytes */
    uint64_t shm_size;
} ei__v2_output_t;

/** A parsed inference request. Everything it points to is owned by it. */
typedef struct ei__v2_request {
    json_t *doc; /**< the JSON header (NULL for the raw binary form) */
    char *id;    /**< "id" to echo, or NULL */
    size_t n_inputs;
    const char **input_names;
    ei_tensor_t **inputs;
    size_t n_outputs; /**< 0: every output, in model order */
    ei__v2_output_t *outputs;
    bool binary_output; /**< request-level binary_data_output (raw form: true) */
    uint64_t timeout_us;
    bool raw;
    ei__shm_region_t **shm_refs; /**< shared-memory regions held until disposal */
    size_t n_shm_refs;
} ei__v2_request_t;

/** The v2 datatype name of an element type ("FP32"...), NULL when v2 has none. */
const char *ei__v2_dtype_name(ei_dtype_t t);
/** The element type of a v2 datatype name; EI_DTYPE_UNDEFINED when unknown. */
ei_dtype_t ei__v2_dtype_parse(const char *name);

/**
 * Parses a request body. `header_len` is the Inference-Header-Content-Length value, or -1 when
 * the header was absent (the whole body is JSON). `header_len` 0 is the raw form: the body is the
 * bytes of the model's only input, and `cfg` (required then) gives its name, type and shape.
 * Binary inputs whose bytes are suitably aligned borrow `body`, which must outlive the request.
 * Inputs and outputs may name shared-memory regions of `shm` (Triton's parameters
 * shared_memory_region / _offset / _byte_size); the request holds them until disposed, and
 * aligned inputs are read in place. `shm` NULL refuses them.
 * Errors are EI_EINVAL with a message naming the input and what was wrong.
 */
ei_code_t ei__v2_parse_request(const char *body, size_t len, int64_t header_len,
                               size_t max_elements, const ei__model_config_t *cfg, ei__shm_t *shm,
                               ei__v2_request_t *out, ei_error_t *err);

/** Frees what a request owns (also after a failed parse). */
void ei__v2_request_dispose(ei__v2_request_t *r);

/**
 * Writes the response for `n` result tensors named `names` (in the order they are given).
 * Outputs bound to shared memory are written there (EI_EINVAL when the region is too small) and
 * listed without data.
 * `*json_len` receives the JSON header length when any output is binary (the body then continues
 * with the binary blobs), or 0 when the body is JSON only. `*body` is ei__malloc'd.
 */
ei_code_t ei__v2_write_response(const ei__v2_request_t *rq, const char *model, int64_t version,
                                const ei__model_config_t *cfg, ei_tensor_t *const *results,
                                const char *const *names, size_t n, char **body, size_t *len,
                                size_t *json_len, ei_error_t *err);

#endif
