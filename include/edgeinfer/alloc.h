/* SPDX-License-Identifier: MIT */
/*
 * Replaceable memory allocator. Everything the library allocates for itself goes through these
 * hooks (ONNX Runtime's own memory does not). Tests use them to inject allocation failures.
 */
#ifndef EDGEINFER_ALLOC_H
#define EDGEINFER_ALLOC_H

#include "version.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *(*ei_malloc_fn)(size_t size);
typedef void *(*ei_realloc_fn)(void *ptr, size_t size);
typedef void (*ei_free_fn)(void *ptr);

/**
 * Replaces the allocator. Pass all three NULL to restore the C library's. Call it before
 * ei_global_init() and before any object exists: memory must be freed by the allocator that gave
 * it. Not thread-safe.
 */
EI_API void ei_set_allocator(ei_malloc_fn m, ei_realloc_fn r, ei_free_fn f);

#ifdef __cplusplus
}
#endif
#endif
