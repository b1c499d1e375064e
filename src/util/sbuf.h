/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer for building HTTP bodies, JSON text and log lines. An allocation failure
 * is sticky (`oom`): appends after it do nothing, and the owner checks once at the end. Not a
 * general string library and not thread-safe (one buffer, one thread).
 */
#ifndef EI_UTIL_SBUF_H
#define EI_UTIL_SBUF_H

#include "ei_util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ei__sbuf {
    char *data; /**< ei__malloc'd; always NUL-terminated when not NULL */
    size_t len;
    size_t cap;
    bool oom;
} ei__sbuf_t;

/** Makes room for `n` more bytes; false (and oom set) on failure. */
bool ei__sbuf_reserve(ei__sbuf_t *b, size_t n);
void ei__sbuf_add(ei__sbuf_t *b, const void *p, size_t n);
void ei__sbuf_adds(ei__sbuf_t *b, const char *s);
void ei__sbuf_addc(ei__sbuf_t *b, char c);
void ei__sbuf_printf(ei__sbuf_t *b, const char *fmt, ...) EI__PRINTF(2, 3);
/** Appends `n` bytes as a JSON string literal, quotes included (invalid UTF-8 bytes as \u00XX). */
void ei__sbuf_json_str(ei__sbuf_t *b, const char *s, size_t n);
/** Appends a double the way JSON needs it (shortest round-trip for `digits` 9 or 17; NaN/Inf as
 * null). */
void ei__sbuf_json_num(ei__sbuf_t *b, double v, int digits);
/** Takes the buffer out (caller ei__free()s it); the sbuf is reset. NULL after an OOM. */
char *ei__sbuf_take(ei__sbuf_t *b, size_t *len);
/** Frees the buffer; the sbuf is reset. */
void ei__sbuf_free(ei__sbuf_t *b);

#endif
