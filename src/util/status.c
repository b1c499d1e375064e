/* SPDX-License-Identifier: MIT */
/*
 * Status code names and messages (generated from EI_CODE_MAP), error filling and assertions.
 */
#include "ei_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[] = {
#define XX(name, msg) "EI_" #name,
    EI_CODE_MAP(XX)
#undef XX
};

static const char *const code_msgs[] = {
#define XX(name, msg) msg,
    EI_CODE_MAP(XX)
#undef XX
};

const char *ei_code_name(ei_code_t code)
{
    if ((unsigned)code >= (unsigned)EI__CODE_COUNT)
        return "EI_UNKNOWN";
    return code_names[code];
}

const char *ei_code_str(ei_code_t code)
{
    if ((unsigned)code >= (unsigned)EI__CODE_COUNT)
        return "unknown error code";
    return code_msgs[code];
}

void ei_error_clear(ei_error_t *err)
{
    if (err == NULL)
        return;
    err->code = EI_OK;
    err->msg[0] = '\0';
}

ei_code_t ei__fail(ei_error_t *err, ei_code_t code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        ei__strlcpy(err->msg, ei_code_str(code), sizeof(err->msg));
    return code;
}

void ei__error_prefix(ei_error_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char prefix[EI_ERROR_MSG_SIZE];
    char old[EI_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    ei__strlcpy(old, err->msg, sizeof(old));
    /* Assemble "<prefix>: <old>" by hand, truncating at the buffer's end. */
    const char *parts[3] = {prefix, old[0] != '\0' ? ": " : "", old};
    size_t pos = 0, cap = sizeof(err->msg) - 1;
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(parts[i]);
        if (len > cap - pos)
            len = cap - pos;
        memcpy(err->msg + pos, parts[i], len);
        pos += len;
    }
    err->msg[pos] = '\0';
}

void ei__assert_fail(const char *expr, const char *file, int line)
{
    /* An internal invariant is broken: continuing would corrupt memory or results. */
    fprintf(stderr, "edgeinfer: internal error: assertion '%s' failed at %s:%d\n", expr, file,
            line);
    abort();
}

const char *ei_version_string(void)
{
    return EI_VERSION_STRING;
}

int ei_version_number(void)
{
    return EI_VERSION_HEX;
}
