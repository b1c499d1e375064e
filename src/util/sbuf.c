/* SPDX-License-Identifier: MIT */
/*
 * Growable byte buffer (see sbuf.h). Grows by doubling so that building a large JSON response is
 * linear; number formatting avoids locale surprises by using the "C" conventions snprintf has for
 * %g in this program (the CLI never calls setlocale with LC_NUMERIC).
 */
#include "sbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ei__sbuf_reserve(ei__sbuf_t *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->cap - b->len > n)
        return true;
    size_t need = b->len + n + 1;
    if (need < b->len) {
        b->oom = true;
        return false;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = ei__realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void ei__sbuf_add(ei__sbuf_t *b, const void *p, size_t n)
{
    if (!ei__sbuf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ei__sbuf_adds(ei__sbuf_t *b, const char *s)
{
    ei__sbuf_add(b, s, strlen(s));
}

void ei__sbuf_addc(ei__sbuf_t *b, char c)
{
    if (!ei__sbuf_reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void ei__sbuf_printf(ei__sbuf_t *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        ei__sbuf_add(b, small, (size_t)n);
        return;
    }
    if (!ei__sbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t k;
    uint32_t cp;
    if (p[0] < 0x80)
        return 1;
    if ((p[0] & 0xE0) == 0xC0) {
        k = 2;
        cp = p[0] & 0x1Fu;
    } else if ((p[0] & 0xF0) == 0xE0) {
        k = 3;
        cp = p[0] & 0x0Fu;
    } else if ((p[0] & 0xF8) == 0xF0) {
        k = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

void ei__sbuf_json_str(ei__sbuf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    if (!ei__sbuf_reserve(b, n + 2))
        return;
    ei__sbuf_addc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Copy plain ASCII runs in one go. */
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            ei__sbuf_add(b, p + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            ei__sbuf_add(b, e, 2);
            i++;
        } else if (c == '\n') {
            ei__sbuf_add(b, "\\n", 2);
            i++;
        } else if (c == '\r') {
            ei__sbuf_add(b, "\\r", 2);
            i++;
        } else if (c == '\t') {
            ei__sbuf_add(b, "\\t", 2);
            i++;
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ei__sbuf_add(b, e, 6);
            i++;
        } else {
            size_t k = utf8_len(p + i, n - i);
            if (k == 0) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                ei__sbuf_add(b, e, 6);
                i++;
            } else {
                ei__sbuf_add(b, p + i, k);
                i += k;
            }
        }
    }
    ei__sbuf_addc(b, '"');
}

void ei__sbuf_json_num(ei__sbuf_t *b, double v, int digits)
{
    if (!isfinite(v)) {
        ei__sbuf_add(b, "null", 4);
        return;
    }
    /* Range first: converting an out-of-range double to an integer is undefined. */
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
        ei__sbuf_printf(b, "%lld", (long long)v);
        return;
    }
    char tmp[40];
    /* A short form when it reads back exactly, else the round-trip precision: floats try 6 then 9
     * digits, doubles 15, 16, 17 (at most three snprintf/strtod pairs per number, which matters
     * for outputs of hundreds of thousands of values). */
    static const int float_digits[] = {6, 9};
    static const int double_digits[] = {15, 16, 17};
    const int *tries = digits <= 9 ? float_digits : double_digits;
    size_t ntries = digits <= 9 ? 2 : 3;
    for (size_t t = 0; t < ntries; t++) {
        int d = tries[t];
        int n = snprintf(tmp, sizeof tmp, "%.*g", d, v);
        if (n <= 0 || (size_t)n >= sizeof tmp)
            break;
        bool same = digits <= 9 ? (float)strtod(tmp, NULL) == (float)v : strtod(tmp, NULL) == v;
        if (same || d == digits) {
            ei__sbuf_add(b, tmp, (size_t)n);
            return;
        }
    }
    ei__sbuf_printf(b, "%.17g", v);
}

char *ei__sbuf_take(ei__sbuf_t *b, size_t *len)
{
    if (b->oom || !ei__sbuf_reserve(b, 0)) {
        ei__sbuf_free(b);
        if (len)
            *len = 0;
        return NULL;
    }
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void ei__sbuf_free(ei__sbuf_t *b)
{
    ei__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}
