/* SPDX-License-Identifier: MIT */
/*
 * The system shared-memory registry (see shm.h). A region holds one reference for being
 * registered and one per request using it; the last release unmaps it. The list is short (one
 * entry per client buffer) and only walked under the mutex.
 */
#include "shm.h"

#include "ei_util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct ei__shm_region {
    ei__shm_region_t *next;
    char *name, *key;
    uint64_t offset, byte_size;
    void *map; /* mapping of the object from page-aligned `offset` down */
    size_t map_len;
    uint8_t *base; /* map + (offset - aligned offset): the region's first byte */
    atomic_uint refs;
};

struct ei__shm {
    pthread_mutex_t mu;
    ei__shm_region_t *head;
};

ei_code_t ei__shm_create(ei__shm_t **out, ei_error_t *err)
{
    ei__shm_t *s = ei__calloc(1, sizeof(*s));
    if (s == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return EI_OK;
}

static void region_free(ei__shm_region_t *g)
{
    if (g->map != NULL)
        munmap(g->map, g->map_len);
    ei__free(g->name);
    ei__free(g->key);
    ei__free(g);
}

void ei__shm_release(ei__shm_region_t *g)
{
    if (g != NULL && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
        region_free(g);
}

void ei__shm_destroy(ei__shm_t *s)
{
    if (s == NULL)
        return;
    ei__shm_unregister(s, NULL);
    pthread_mutex_destroy(&s->mu);
    ei__free(s);
}

static ei__shm_region_t *find(ei__shm_t *s, const char *name)
{
    for (ei__shm_region_t *g = s->head; g != NULL; g = g->next)
        if (strcmp(g->name, name) == 0)
            return g;
    return NULL;
}

ei_code_t ei__shm_register(ei__shm_t *s, const char *name, const char *key, uint64_t offset,
                           uint64_t byte_size, ei_error_t *err)
{
    if (name[0] == '\0' || strlen(name) > 255)
        return ei__fail(err, EI_EINVAL, "shared memory region name must be 1 to 255 characters");
    /* shm_open's rule: one leading slash, no other. Anything else could name a file elsewhere. */
    if (key[0] != '/' || key[1] == '\0' || strchr(key + 1, '/') != NULL || strlen(key) > 255)
        return ei__fail(err, EI_EINVAL,
                        "shared memory region '%s': key '%.100s' must look like '/name' (one "
                        "leading slash, no other)",
                        name, key);
    if (byte_size == 0)
        return ei__fail(err, EI_EINVAL, "shared memory region '%s': byte_size must be positive",
                        name);
    int fd = shm_open(key, O_RDWR, 0);
    if (fd < 0)
        return ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EINVAL,
                        "shared memory region '%s': cannot open key '%s': %s", name, key,
                        strerror(errno));
    struct stat st;
    ei_code_t rc = EI_OK;
    ei__shm_region_t *g = NULL;
    if (fstat(fd, &st) != 0) {
        rc = ei__fail(err, EI_EIO, "shared memory region '%s': fstat '%s': %s", name, key,
                      strerror(errno));
        goto out;
    }
    if (offset > (uint64_t)st.st_size || byte_size > (uint64_t)st.st_size - offset) {
        rc = ei__fail(err, EI_EINVAL,
                      "shared memory region '%s': offset %llu + byte_size %llu is past the end "
                      "of '%s' (%lld bytes)",
                      name, (unsigned long long)offset, (unsigned long long)byte_size, key,
                      (long long)st.st_size);
        goto out;
    }
    g = ei__calloc(1, sizeof(*g));
    if (g == NULL || (g->name = ei__strdup(name)) == NULL || (g->key = ei__strdup(key)) == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = offset / page * page;
    g->map_len = (size_t)(offset - start + byte_size);
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
    if (g->map == MAP_FAILED) {
        g->map = NULL;
        rc = ei__fail(err, EI_EIO, "shared memory region '%s': mmap '%s': %s", name, key,
                      strerror(errno));
        goto out;
    }
    g->base = (uint8_t *)g->map + (offset - start);
    g->offset = offset;
    g->byte_size = byte_size;
    atomic_init(&g->refs, 1);
    pthread_mutex_lock(&s->mu);
    if (find(s, name) != NULL) {
        pthread_mutex_unlock(&s->mu);
        rc =
            ei__fail(err, EI_EINVAL,
                     "shared memory region '%s' is already registered (unregister it first)", name);
        goto out;
    }
    g->next = s->head;
    s->head = g;
    g = NULL;
    pthread_mutex_unlock(&s->mu);
out:
    close(fd);
    if (g != NULL)
        region_free(g);
    return rc;
}

void ei__shm_unregister(ei__shm_t *s, const char *name)
{
    ei__shm_region_t *drop = NULL;
    pthread_mutex_lock(&s->mu);
    for (ei__shm_region_t **p = &s->head; *p != NULL;) {
        ei__shm_region_t *g = *p;
        if (name == NULL || strcmp(g->name, name) == 0) {
            *p = g->next;
            g->next = drop;
            drop = g;
        } else {
            p = &g->next;
        }
    }
    pthread_mutex_unlock(&s->mu);
    while (drop != NULL) {
        ei__shm_region_t *g = drop;
        drop = g->next;
        ei__shm_release(g); /* the registry's reference; requests may hold others */
    }
}

ei_code_t ei__shm_status(ei__shm_t *s, const char *name, json_t **out, ei_error_t *err)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    pthread_mutex_lock(&s->mu);
    bool found = false;
    for (ei__shm_region_t *g = s->head; g != NULL; g = g->next) {
        if (name != NULL && strcmp(g->name, name) != 0)
            continue;
        found = true;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I}", "name", g->name, "key", g->key,
                                             "offset", (json_int_t)g->offset, "byte_size",
                                             (json_int_t)g->byte_size));
    }
    pthread_mutex_unlock(&s->mu);
    if (name != NULL && !found) {
        json_decref(arr);
        return ei__fail(err, EI_ENOTFOUND, "no shared memory region '%s' is registered", name);
    }
    *out = arr;
    return EI_OK;
}

ei_code_t ei__shm_acquire(ei__shm_t *s, const char *name, uint64_t offset, uint64_t size,
                          const char *what, ei__shm_region_t **region, uint8_t **ptr,
                          ei_error_t *err)
{
    *region = NULL;
    *ptr = NULL;
    pthread_mutex_lock(&s->mu);
    ei__shm_region_t *g = find(s, name);
    if (g != NULL)
        atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->mu);
    if (g == NULL)
        return ei__fail(err, EI_EINVAL, "%s: shared memory region '%s' is not registered", what,
                        name);
    if (offset > g->byte_size || size > g->byte_size - offset) {
        unsigned long long rs = (unsigned long long)g->byte_size;
        ei__shm_release(g);
        return ei__fail(err, EI_EINVAL,
                        "%s: shared_memory_offset %llu + shared_memory_byte_size %llu is past "
                        "the end of region '%s' (%llu bytes)",
                        what, (unsigned long long)offset, (unsigned long long)size, name, rs);
    }
    *region = g;
    *ptr = g->base + offset;
    return EI_OK;
}
