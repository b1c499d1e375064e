/* SPDX-License-Identifier: MIT */
/*
 * The gRPC ModelInferRequest parser on its own, without gRPC headers, for fuzz/fuzz_server.c: the
 * serialized message (untrusted bytes) to the v2 core's request object.
 */
#ifndef EI_SERVER_GRPC_PARSE_H
#define EI_SERVER_GRPC_PARSE_H

#include "v2_request.h"

#include <stddef.h>
#include <stdint.h>

/**
 * Unpacks a ModelInferRequest and parses it into `out` (which then owns the unpacked message; the
 * caller disposes of it, also after a failure). EI_EINVAL, naming what was wrong, for a message
 * that does not decode or a request that is not valid.
 */
ei_code_t ei__grpc_parse_infer(const uint8_t *msg, size_t len, size_t max_elements, ei__shm_t *shm,
                               ei__v2_request_t *out, ei_error_t *err);

#endif
