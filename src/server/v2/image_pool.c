/* SPDX-License-Identifier: MIT */
/*
 * The image workers (task_call.h): a bounded pool that decodes and preprocesses images off the
 * front-ends' I/O threads, so health, metadata and metrics stay answered while images decode.
 * A full pool refuses at once (the front-end answers 503).
 */
#include "task_call.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ei__img_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ei__image_work_t *head, *tail;
    unsigned queued, busy, workers, cap, started;
    bool stop;
    pthread_t *tids;
    char *hold_fifo; /* EI_TEST_HOLD_DECODE (tests only) */
};

/* Blocks until the test releases this decode (EI_TEST_HOLD_DECODE, tests only). */
static void test_hold(const char *fifo)
{
    int fd = open(fifo, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char b;
    while (read(fd, &b, 1) < 0 && errno == EINTR) {
    }
    close(fd);
}

static void *pool_main(void *arg)
{
    struct ei__img_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        ei__image_work_t *w = p->head;
        if (!w)
            break; /* stopping and nothing left */
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        p->busy++;
        bool stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (!stop && p->hold_fifo)
            test_hold(p->hold_fifo);
        w->run(w, stop);
        pthread_mutex_lock(&p->mu);
        p->busy--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ei_code_t ei__v2_images_push(ei__v2_core_t *c, ei__image_work_t *w, ei_error_t *err)
{
    struct ei__img_pool *p = c->images;
    if (!p)
        return ei__fail(err, EI_EBUSY, "no image workers; retry later");
    pthread_mutex_lock(&p->mu);
    bool ok = !p->stop && p->queued + p->busy < p->workers + p->cap;
    if (ok) {
        w->next = NULL;
        if (p->tail)
            p->tail->next = w;
        else
            p->head = w;
        p->tail = w;
        p->queued++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    if (!ok)
        return ei__fail(err, EI_EBUSY,
                        "all %u image workers are busy and %u images are waiting; retry later",
                        p->workers, p->cap);
    return EI_OK;
}

ei_code_t ei__v2_images_start(ei__v2_core_t *c, ei_error_t *err)
{
    struct ei__img_pool *p = ei__calloc(1, sizeof *p);
    if (!p)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    ei_code_t rc = ei_task_cache_create(&c->task_cache, err);
    if (rc != EI_OK) {
        ei__free(p);
        return rc;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = c->o->image_workers;
    if (n == 0)
        n = cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned)cpus;
    p->workers = n;
    p->cap = c->o->image_queue;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    const char *hold = getenv("EI_TEST_HOLD_DECODE");
    if (hold && *hold) {
        p->hold_fifo = ei__strdup(hold);
        ei__log_event(c, EI_LOG_WARN, 0, NULL, -1,
                      "EI_TEST_HOLD_DECODE is set: every image decode (/classify, /ocr) waits on "
                      "%s (a test hook; never set it in production)",
                      hold);
    }
    p->tids = ei__calloc(n, sizeof *p->tids);
    c->images = p;
    if (!p->tids) {
        ei__v2_images_dispose(c);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&p->tids[i], NULL, pool_main, p) != 0) {
            ei__v2_images_dispose(c);
            return ei__fail(err, EI_ERUNTIME, "cannot start image worker %u", i);
        }
        p->started++;
    }
    return EI_OK;
}

void ei__v2_images_stop(ei__v2_core_t *c)
{
    struct ei__img_pool *p = c->images;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    bool first = !p->stop;
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (!first)
        return;
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->tids[i], NULL);
    /* The pool itself (its lock and `stop`) and the pipeline cache stay until
     * ei__v2_images_dispose(): a late answer of a cancelled pipeline request may still try to
     * start an image on another thread, and must find a stopped pool, not freed memory. */
}

void ei__v2_images_dispose(ei__v2_core_t *c)
{
    ei__v2_images_stop(c);
    struct ei__img_pool *p = c->images;
    if (p) {
        ei__free(p->tids);
        ei__free(p->hold_fifo);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        ei__free(p);
        c->images = NULL;
    }
    ei_task_cache_destroy(c->task_cache);
    c->task_cache = NULL;
}
