/* SPDX-License-Identifier: MIT */
/*
 * edgeinfer: run ONNX models as fast as the hardware allows, on top of ONNX Runtime's C API.
 *
 * The library is a set of small modules, each with its own header:
 *   status.h   codes and the caller-owned error buffer      runtime.h  the process-wide runtime
 *   tensor.h   tensors of every ONNX element type            session.h  load, inspect and run
 * models log.h      the log sink                                  alloc.h    the allocator hooks
 *   tensor_io.h  .npy and TensorProto .pb files              model.h    ONNX file inspection
 *   image.h    decode, resize, normalise into input tensors  classify.h softmax, top-k, labels
 *   server.h   the KServe v2 / Triton-compatible HTTP server
 *
 * A complete program:
 *
 *     #include <edgeinfer/edgeinfer.h>
 *     #include <stdio.h>
 *
 *     int main(void)
 *     {
 *         ei_error_t err = {0};
 *         ei_session_t *s = NULL;
 *         if (ei_session_create("model.onnx", NULL, &s, &err) != EI_OK) {
 *             fprintf(stderr, "%s\n", err.msg);
 *             return 1;
 *         }
 *         int64_t shape[] = {1, 3, 224, 224};
 *         ei_tensor_t *in = NULL, *out = NULL;
 *         if (ei_tensor_create(EI_DTYPE_FLOAT32, shape, 4, &in, &err) == EI_OK) {
 *             const char *name = ei_session_input(s, 0)->name;
 *             if (ei_session_run(s, &name, &in, 1, NULL, &out, 1, &err) == EI_OK)
 *                 printf("first output: %zu elements\n", ei_tensor_count(out));
 *         }
 *         ei_tensor_destroy(out);
 *         ei_tensor_destroy(in);
 *         ei_session_destroy(s);
 *         ei_global_cleanup();
 *         return err.code == EI_OK ? 0 : 1;
 *     }
 *
 * Thread-safety: ei_global_init()/ei_global_cleanup() are for main(); a session may be run from
 * many threads at once; every other object is used by one thread at a time.
 */
#ifndef EDGEINFER_H
#define EDGEINFER_H

#include "alloc.h"
#include "classify.h"
#include "image.h"
#include "log.h"
#include "model.h"
#include "model_crypto.h"
#include "ocr.h"
#include "runtime.h"
#include "server.h"
#include "session.h"
#include "status.h"
#include "tensor.h"
#include "tensor_io.h"
#include "value.h"
#include "version.h"

#endif
