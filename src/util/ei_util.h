/* SPDX-License-Identifier: MIT */
/*
 * Internal helpers shared by every layer: error filling, allocation through the replaceable hooks,
 * logging, and safe string/number parsing. No ONNX Runtime and no I/O policy here.
 */
#ifndef EI_UTIL_H
#define EI_UTIL_H

#include <edgeinfer/alloc.h>
#include <edgeinfer/log.h>
#include <edgeinfer/status.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define EI__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EI__PRINTF(a, b)
#endif

/* Errors ------------------------------------------------------------------------------------- */

/** Fills `err` (NULL-safe) with `code` and a formatted message; returns `code`. */
ei_code_t ei__fail(ei_error_t *err, ei_code_t code, const char *fmt, ...) EI__PRINTF(3, 4);

/** Puts "<context>: " in front of the message already in `err` (NULL-safe). */
void ei__error_prefix(ei_error_t *err, const char *fmt, ...) EI__PRINTF(2, 3);

/** Broken internal invariant: report and abort. Never for bad input. */
#define EI_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ei__assert_fail(#cond, __FILE__, __LINE__);                                            \
    } while (0)
void ei__assert_fail(const char *expr, const char *file, int line);

/* Memory ------------------------------------------------------------------------------------- */

void *ei__malloc(size_t n);
void *ei__calloc(size_t count, size_t size); /* overflow-checked */
void *ei__realloc(void *p, size_t n);
void ei__free(void *p);
char *ei__strdup(const char *s);
char *ei__strndup(const char *s, size_t n);
/** Aligned allocation (alignment a power of two, >= sizeof(void*)); free with ei__aligned_free. */
void *ei__aligned_alloc(size_t alignment, size_t n);
void ei__aligned_free(void *p);

/** a * b into *out; false on overflow. */
static inline bool ei__mul_overflow(size_t a, size_t b, size_t *out)
{
#if defined(__GNUC__)
    return __builtin_mul_overflow(a, b, out);
#else
    if (a != 0 && b > SIZE_MAX / a)
        return true;
    *out = a * b;
    return false;
#endif
}

/* Strings and numbers ------------------------------------------------------------------------ */

/** Copies at most size-1 bytes and always terminates (size > 0); returns strlen(src). */
size_t ei__strlcpy(char *dst, const char *src, size_t size);

/**
 * Decodes standard base64 (RFC 4648, `=` padding optional, no whitespace) into a new buffer
 * (ei__free; one spare NUL byte after the data). Returns false, *out NULL, on a character outside
 * the alphabet, a bad length or padding, or out of memory (then *len is SIZE_MAX).
 */
bool ei__base64_decode(const char *s, size_t n, unsigned char **out, size_t *len);
/** Parses a whole string as a base-10 int64; false on junk, empty or overflow. */
bool ei__parse_i64(const char *s, int64_t *out);
/** Parses a whole string as a double; false on junk or empty. */
bool ei__parse_f64(const char *s, double *out);

/* Files ------------------------------------------------------------------------------------- */

/**
 * Reads a whole regular file into an ei__malloc'd buffer with a NUL after the last byte (free
 * with ei__free). A missing file is EI_ENOENT, a file over `max` bytes EI_ELIMIT; messages name
 * the file.
 */
ei_code_t ei__file_read(const char *path, size_t max, unsigned char **data, size_t *size,
                        ei_error_t *err);
/** Writes `n_parts` buffers one after the other into `path` (created or truncated). */
ei_code_t ei__file_write(const char *path, const void *const *parts, const size_t *sizes,
                         size_t n_parts, ei_error_t *err);

/* Logging ------------------------------------------------------------------------------------ */

bool ei__log_enabled(ei_log_level_t level);
void ei__log(ei_log_level_t level, const char *component, const char *fmt, ...) EI__PRINTF(3, 4);
void ei__logv(ei_log_level_t level, const char *component, const char *fmt, va_list ap)
    EI__PRINTF(3, 0);

/** Checks the level before evaluating any argument. */
#define EI_LOG(level, component, ...)                                                              \
    do {                                                                                           \
        if (ei__log_enabled(level))                                                                \
            ei__log(level, component, __VA_ARGS__);                                                \
    } while (0)

/* Time --------------------------------------------------------------------------------------- */

/** Monotonic clock in nanoseconds. */
uint64_t ei__now_ns(void);

#endif
