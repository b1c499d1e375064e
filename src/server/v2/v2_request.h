/* SPDX-License-Identifier: MIT */
/*
 * The KServe v2 inference request object every front-end parses its wire format into (HTTP/REST:
 * v2_json.h; gRPC: its protobuf messages), and the reply plan every front-end writes its answer
 * from: output selection, binary or typed form, the classification extension, shared-memory
 * outputs. Pure functions of bytes and tensors: no protocol, no model repository.
 */
#ifndef EI_SERVER_V2_REQUEST_H
#define EI_SERVER_V2_REQUEST_H

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

/** A parsed inference request. Everything it points to is owned by it (names may point into
 * `doc` or `wire`, the front-end's parsed message, which the request then owns too). */
typedef struct ei__v2_request {
    json_t *doc; /**< the JSON header (NULL for the raw binary form and other wire formats) */
    void *wire;  /**< a front-end's parsed message the names point into, freed by wire_free */
    void (*wire_free)(void *wire);
    char *id; /**< "id" to echo, or NULL */
    size_t n_inputs;
    const char **input_names;
    ei_tensor_t **inputs;
    size_t n_outputs; /**< 0: every output, in model order */
    ei__v2_output_t *outputs;
    bool binary_output; /**< request-level binary_data_output (raw form: true) */
    uint64_t timeout_us;
    /* Sequence batcher parameters (Triton's sequence_id / sequence_start / sequence_end): */
    uint64_t seq_id;  /**< 0 when absent (or a string ID is given) */
    char *seq_id_str; /**< a string sequence_id, or NULL */
    bool seq_start, seq_end;
    bool raw;
    ei__shm_region_t **shm_refs; /**< shared-memory regions held until disposal */
    size_t n_shm_refs;
} ei__v2_request_t;

/** The v2 datatype name of an element type ("FP32"...), NULL when v2 has none. */
const char *ei__v2_dtype_name(ei_dtype_t t);
/** The element type of a v2 datatype name; EI_DTYPE_UNDEFINED when unknown. */
ei_dtype_t ei__v2_dtype_parse(const char *name);

/** Frees what a request owns (also after a failed parse). */
void ei__v2_request_dispose(ei__v2_request_t *r);

/**
 * A tensor from the binary tensor form (`p`, `n` bytes: the raw elements, or for BYTES a 4-byte
 * little-endian length before each element). Aligned bytes are borrowed (`p` must outlive the
 * tensor), others copied. `size_name` names where `n` came from in the error messages.
 */
ei_code_t ei__v2_tensor_from_bytes(const char *name, const char *size_name, ei_dtype_t t,
                                   const int64_t *shape, size_t rank, size_t count, const char *p,
                                   size_t n, ei_tensor_t **out, ei_error_t *err);

/* The reply ----------------------------------------------------------------------------------- */

/** One output of a reply, in the order the results are given. */
typedef struct ei__v2_reply_out {
    const char *name;
    const ei_tensor_t *t;       /**< the result, or its classification strings */
    bool binary;                /**< asked for in the binary form (binary_data / the default) */
    const ei__v2_output_t *shm; /**< non-NULL: already written into this shared-memory output */
    size_t nbytes;              /**< size of the binary form of t */
} ei__v2_reply_out_t;

typedef struct ei__v2_reply {
    size_t n;
    ei__v2_reply_out_t *out;
    ei_tensor_t **owned; /**< classification tensors, freed by ei__v2_reply_dispose() */
    bool any_binary;
} ei__v2_reply_t;

/**
 * Plans the reply for `n` result tensors named `names`: per output the tensor to send (the
 * classification extension applied), its form, and whether it goes into shared memory. Outputs
 * bound to shared memory are written there once every check passed (EI_EINVAL when a region is
 * too small). EI_EUNSUPPORTED for an element type v2 cannot carry.
 */
ei_code_t ei__v2_reply_prepare(const ei__v2_request_t *rq, const ei__model_config_t *cfg,
                               ei_tensor_t *const *results, const char *const *names, size_t n,
                               ei__v2_reply_t *out, ei_error_t *err);
void ei__v2_reply_dispose(ei__v2_reply_t *r);

/** Bytes of the binary form of a tensor (BYTES: a 4-byte length + the bytes per element). */
size_t ei__v2_binary_size(const ei_tensor_t *t);
/** Writes the binary form of a tensor into `dst` (room for ei__v2_binary_size() bytes). */
void ei__v2_binary_write(uint8_t *dst, const ei_tensor_t *t);

#endif
