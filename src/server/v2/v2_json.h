/* SPDX-License-Identifier: MIT */
/*
 * The KServe v2 REST (JSON) wire form of inference requests and replies: the JSON header (flat or
 * nested `data`, every v2 datatype, FP16/BF16 too), Triton's binary tensor extension in both
 * directions (also the raw single-input form), shared-memory parameters. Pure functions of bytes
 * and tensors, so they are unit-tested and fuzzed directly (tests/unit/test_kserve_v2.c,
 * fuzz/fuzz_server.c).
 */
#ifndef EI_SERVER_V2_JSON_H
#define EI_SERVER_V2_JSON_H

#include "v2_request.h"

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

/** jansson's error text without the names of its flags (which mean nothing to a client). */
const char *ei__json_error_text(const json_error_t *je);

#endif
