/* SPDX-License-Identifier: MIT */
/*
 * The pipeline runner: what ei__model_submit() does for a pipeline model (../model/pipeline.h), so
 * /infer over every front-end (REST JSON, REST binary, gRPC) runs the OCR pipeline. The request's
 * input "image" (BYTES [n]) holds n encoded images; each runs through the OCR head on the stage
 * models' schedulers (the task driver, task_call.h), and the answer is one row per text line of
 * every image, in image order and reading order within each: "text" BYTES [N], "score" FP32 [N],
 * "polygon" FP32 [N,4,2], "angle" INT32 [N], "image_index" INT32 [N]. The first failing image
 * fails the request, its message naming the image ("image 1: ..."); the images after it are not
 * started, nor are any once the client cancelled the request or its deadline passed.
 */
#ifndef EI_SERVER_V2_PIPELINE_RUN_H
#define EI_SERVER_V2_PIPELINE_RUN_H

#include "v2_core.h"

/** Images one request may carry. */
#define EI__PIPELINE_MAX_IMAGES 64
/**
 * Images of one request in flight at once (the next starts when one ends), so a request of many
 * images does not fill the image pool's queue by itself and fail with 503.
 */
#define EI__PIPELINE_IN_FLIGHT 4

/**
 * The repository's pipeline hook (ei__repo_opts_t.pipeline_submit); `ctx` is the ei__v2_core_t.
 * Same contract as ei__model_submit(): an error is returned without done(); EI_OK means done()
 * runs exactly once, on a worker thread, maybe before this returns.
 */
ei_code_t ei__v2_pipeline_submit(void *ctx, ei__repo_t *r, ei__model_t *m, ei__infer_req_t *req,
                                 ei_error_t *err);

#endif
