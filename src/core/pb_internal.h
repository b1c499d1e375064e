/* SPDX-License-Identifier: MIT */
/*
 * Shared by the .pb readers and writers of the core layer (tensor_pb.c, value_pb.c): the
 * protobuf-c allocator that goes through ei__malloc, and TensorProto <-> ei_tensor_t.
 */
#ifndef EI_PB_INTERNAL_H
#define EI_PB_INTERNAL_H

#include "core_internal.h"
#include "onnx.pb-c.h"
#include "onnx_values.pb-c.h"

/** protobuf-c allocations through ei__malloc (so allocator hooks and OOM tests cover parsing). */
extern ProtobufCAllocator ei__pb_allocator;

/** Builds a tensor from an unpacked TensorProto; `what` names the source in messages. */
ei_code_t ei__tensor_from_proto(const Onnx__TensorProto *tp, const char *what, ei_tensor_t **out,
                                ei_error_t *err);

/**
 * Fills `tp` (initialised, name left alone) to describe `t`: dims and data point into the tensor,
 * which must outlive `tp`. `*scratch` receives memory to ei__free() once `tp` is packed (NULL when
 * none was needed).
 */
ei_code_t ei__tensor_to_proto(const ei_tensor_t *t, Onnx__TensorProto *tp, void **scratch,
                              ei_error_t *err);

#endif
