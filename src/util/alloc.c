/* SPDX-License-Identifier: MIT */
/*
 * The replaceable allocator behind ei__malloc and friends.
 */
#include "ei_util.h"

#include <edgeinfer/tensor_io.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static ei_malloc_fn hook_malloc = malloc;
static ei_realloc_fn hook_realloc = realloc;
static ei_free_fn hook_free = free;

void ei_set_allocator(ei_malloc_fn m, ei_realloc_fn r, ei_free_fn f)
{
    if (m == NULL || r == NULL || f == NULL) {
        hook_malloc = malloc;
        hook_realloc = realloc;
        hook_free = free;
        return;
    }
    hook_malloc = m;
    hook_realloc = r;
    hook_free = f;
}

void *ei__malloc(size_t n)
{
    return hook_malloc(n == 0 ? 1 : n);
}

void *ei__calloc(size_t count, size_t size)
{
    size_t n;
    if (ei__mul_overflow(count, size, &n))
        return NULL;
    void *p = ei__malloc(n);
    if (p != NULL)
        memset(p, 0, n);
    return p;
}

void *ei__realloc(void *p, size_t n)
{
    return hook_realloc(p, n == 0 ? 1 : n);
}

void ei__free(void *p)
{
    if (p != NULL)
        hook_free(p);
}

char *ei__strndup(const char *s, size_t n)
{
    char *d = ei__malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *ei__strdup(const char *s)
{
    return s == NULL ? NULL : ei__strndup(s, strlen(s));
}

/*
 * Aligned blocks are carved out of an ordinary hook allocation: the original pointer is stored
 * just before the aligned address so that ei__aligned_free can find it.
 */
void *ei__aligned_alloc(size_t alignment, size_t n)
{
    size_t total;
    if (n > SIZE_MAX - alignment - sizeof(void *))
        return NULL;
    total = n + alignment + sizeof(void *);
    unsigned char *raw = ei__malloc(total);
    if (raw == NULL)
        return NULL;
    uintptr_t start = (uintptr_t)(raw + sizeof(void *));
    uintptr_t aligned = (start + (alignment - 1)) & ~(uintptr_t)(alignment - 1);
    void **slot = (void **)aligned - 1;
    *slot = raw;
    return (void *)aligned;
}

void ei__aligned_free(void *p)
{
    if (p == NULL)
        return;
    void **slot = (void **)p - 1;
    ei__free(*slot);
}

void ei_free(void *p)
{
    ei__free(p);
}
