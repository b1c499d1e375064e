/* SPDX-License-Identifier: MIT */
/*
 * The log sink. The level check is a relaxed atomic load so that disabled logging costs nothing;
 * the sink itself is swapped under a mutex so a message never sees a half-updated (fn, user) pair.
 */
#include "ei_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static _Atomic int log_threshold = EI_LOG_WARN;
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static ei_log_fn sink_fn;
static void *sink_user;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void ei_log_set(ei_log_fn fn, void *user)
{
    pthread_mutex_lock(&sink_lock);
    sink_fn = fn;
    sink_user = user;
    pthread_mutex_unlock(&sink_lock);
}

void ei_log_set_level(ei_log_level_t level)
{
    if ((int)level < EI_LOG_DEBUG || level > EI_LOG_OFF)
        level = EI_LOG_WARN;
    atomic_store_explicit(&log_threshold, (int)level, memory_order_relaxed);
}

ei_log_level_t ei_log_level(void)
{
    return (ei_log_level_t)atomic_load_explicit(&log_threshold, memory_order_relaxed);
}

const char *ei_log_level_name(ei_log_level_t level)
{
    if ((int)level < EI_LOG_DEBUG || level > EI_LOG_OFF)
        return "unknown";
    return level_names[level];
}

int ei_log_level_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i <= EI_LOG_OFF; i++) {
        if (strcmp(name, level_names[i]) == 0)
            return i;
    }
    if (strcmp(name, "warning") == 0)
        return EI_LOG_WARN;
    return -1;
}

bool ei__log_enabled(ei_log_level_t level)
{
    return (int)level >= atomic_load_explicit(&log_threshold, memory_order_relaxed) &&
           level < EI_LOG_OFF;
}

void ei__logv(ei_log_level_t level, const char *component, const char *fmt, va_list ap)
{
    if (!ei__log_enabled(level))
        return;
    char buf[1024];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return;
    pthread_mutex_lock(&sink_lock);
    ei_log_fn fn = sink_fn;
    void *user = sink_user;
    pthread_mutex_unlock(&sink_lock);
    if (fn != NULL)
        fn(level, component, buf, user);
}

void ei__log(ei_log_level_t level, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ei__logv(level, component, fmt, ap);
    va_end(ap);
}
