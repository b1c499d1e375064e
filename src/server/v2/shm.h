/* SPDX-License-Identifier: MIT */
/*
 * Triton's system shared-memory extension: a registry of named regions of POSIX shared-memory
 * objects (shm_open + mmap) that clients register over HTTP and then name in inference requests
 * instead of sending tensor bytes. Regions are reference-counted: one that is unregistered while
 * a request still reads or writes it stays mapped until that request lets go. Thread-safe.
 */
#ifndef EI_SERVER_SHM_H
#define EI_SERVER_SHM_H

#include <edgeinfer/status.h>
#include <jansson.h>
#include <stdint.h>

typedef struct ei__shm ei__shm_t;
typedef struct ei__shm_region ei__shm_region_t;

ei_code_t ei__shm_create(ei__shm_t **out, ei_error_t *err);

/* Unmaps every region (none may be in use). NULL is a no-op. */
void ei__shm_destroy(ei__shm_t *shm);

/*
 * Maps [offset, offset + byte_size) of the shared-memory object `key` ("/name", as shm_open
 * takes it) under `name`. EI_EINVAL: the name is taken, or the key or the range is bad;
 * EI_ENOENT: no such object. Messages name the region, the key and the reason.
 */
ei_code_t ei__shm_register(ei__shm_t *shm, const char *name, const char *key, uint64_t offset,
                           uint64_t byte_size, ei_error_t *err);

/* Unregisters `name`, or every region when NULL; an unknown name is not an error. */
void ei__shm_unregister(ei__shm_t *shm, const char *name);

/* The status array, [{"name","key","offset","byte_size"}], of one region or all (NULL).
 * EI_ENOTFOUND for an unknown name. */
ei_code_t ei__shm_status(ei__shm_t *shm, const char *name, json_t **out, ei_error_t *err);

/*
 * Takes a reference to region `name` and checks that [offset, offset + size) lies inside it;
 * *ptr is the first byte. `what` names the tensor in messages ("input 'x'"). EI_EINVAL when the
 * region is unknown or the range does not fit.
 */
ei_code_t ei__shm_acquire(ei__shm_t *shm, const char *name, uint64_t offset, uint64_t size,
                          const char *what, ei__shm_region_t **region, uint8_t **ptr,
                          ei_error_t *err);

/* Drops a reference taken by ei__shm_acquire(). NULL is a no-op. */
void ei__shm_release(ei__shm_region_t *region);

#endif
