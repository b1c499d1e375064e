/* SPDX-License-Identifier: MIT */
/*
 * Bounded string copy and checked number parsing (the replacements for strcpy and atoi).
 */
#include "ei_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t ei__strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

bool ei__parse_i64(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = (int64_t)v;
    return true;
}

bool ei__parse_f64(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

uint64_t ei__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool ei__base64_decode(const char *s, size_t n, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t pad = 0;
    while (pad < 2 && n > 0 && s[n - 1] == '=') {
        n--;
        pad++;
    }
    /* Without padding the last group holds 2 or 3 characters; 1 is never valid. */
    if (n % 4 == 1 || (pad > 0 && (n + pad) % 4 != 0))
        return false;
    size_t cap = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
    unsigned char *p = ei__malloc(cap + 1);
    if (p == NULL) {
        *len = SIZE_MAX;
        return false;
    }
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) {
            ei__free(p);
            return false;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    /* Leftover bits must be zero (a canonical encoding). */
    if (acc != 0) {
        ei__free(p);
        return false;
    }
    p[o] = 0;
    *out = p;
    *len = o;
    return true;
}
