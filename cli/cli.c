/* SPDX-License-Identifier: MIT */
/*
 * CLI helpers: the error format, the stderr log sink and option parsers shared by commands.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void error_line(ei_code_t code, const char *fmt, va_list ap) EI_CLI_PRINTF(2, 0);

static void error_line(ei_code_t code, const char *fmt, va_list ap)
{
    fputs("edgeinfer: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " [%s]\n", ei_code_name(code));
}

void ei_cli_errorc(ei_code_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_line(code, fmt, ap);
    va_end(ap);
}

void ei_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_line(EI_ERUNTIME, fmt, ap);
    va_end(ap);
}

void ei_cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("edgeinfer: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int ei_cli_fail(const ei_error_t *err, const char *doing_fmt, ...)
{
    va_list ap;
    va_start(ap, doing_fmt);
    fputs("edgeinfer: error: ", stderr);
    vfprintf(stderr, doing_fmt, ap);
    va_end(ap);
    if (err != NULL && err->code != EI_OK)
        fprintf(stderr, ": %s [%s]\n", err->msg[0] ? err->msg : ei_code_str(err->code),
                ei_code_name(err->code));
    else
        fputc('\n', stderr);
    return EI_EXIT_FAILURE;
}

int ei_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "edgeinfer %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\ntry 'edgeinfer %s --help'\n", cmd);
    va_end(ap);
    return EI_EXIT_USAGE;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void stderr_sink(ei_log_level_t level, const char *component, const char *msg, void *user)
{
    (void)user;
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "edgeinfer: %s: [%s] %s\n", ei_log_level_name(level), component, msg);
    pthread_mutex_unlock(&log_lock);
}

int ei_cli_init_runtime(ei_log_level_t level, bool global_threads, int global_intra)
{
    return ei_cli_init_runtime_limited(level, global_threads, global_intra, 0);
}

int ei_cli_init_runtime_limited(ei_log_level_t level, bool global_threads, int global_intra,
                                size_t run_memory_limit)
{
    ei_log_set(stderr_sink, NULL);
    ei_log_set_level(level);
    ei_global_opts_t g;
    ei_global_opts_init(&g);
    g.ort_log_level = level > EI_LOG_WARN ? level : EI_LOG_WARN;
    if (level == EI_LOG_DEBUG)
        g.ort_log_level = EI_LOG_INFO;
    g.global_thread_pools = global_threads;
    g.global_intra_threads = global_intra;
    g.run_memory_limit = run_memory_limit;
    ei_error_t err = {0};
    if (ei_global_init(&g, &err) != EI_OK)
        return ei_cli_fail(&err, "initialising ONNX Runtime");
    return EI_EXIT_OK;
}

bool ei_cli_parse_int(const char *s, long long min, long long max, long long *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool ei_cli_parse_double(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

bool ei_cli_split_kv(const char *arg, char *name, size_t name_size, const char **value)
{
    const char *eq = strrchr(arg, '=');
    if (eq == NULL || eq == arg)
        return false;
    size_t n = (size_t)(eq - arg);
    if (n >= name_size)
        return false;
    memcpy(name, arg, n);
    name[n] = '\0';
    *value = eq + 1;
    return true;
}

bool ei_cli_parse_providers(const char *arg, ei_cli_providers_t *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = arg;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || out->n == sizeof(out->list) / sizeof(out->list[0]))
            return false;
        bool required = p[len - 1] == '!';
        if (required)
            len--;
        if (len == 0 || len >= sizeof(out->names[0]))
            return false;
        memcpy(out->names[out->n], p, len);
        out->names[out->n][len] = '\0';
        out->list[out->n].name = out->names[out->n];
        out->list[out->n].required = required;
        out->n++;
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
    }
    return out->n > 0;
}
