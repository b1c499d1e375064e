/* SPDX-License-Identifier: MIT */
/*
 * The fast path for numeric `data` arrays in JSON inference requests (see json_scan.h).
 */
#include "json_scan.h"

#include <stdlib.h>
#include <string.h>

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* s[i] == '"': the index after the closing quote, or EI__JSON_NO_SPAN. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return EI__JSON_NO_SPAN;
}

/* The end of any value starting at s[i] (structure only; jansson validates it later). */
static size_t skip_value(const char *s, size_t i, size_t n, int depth)
{
    if (i >= n || depth > 64)
        return EI__JSON_NO_SPAN;
    if (s[i] == '"')
        return skip_string(s, i, n);
    if (s[i] == '[' || s[i] == '{') {
        char close = s[i] == '[' ? ']' : '}';
        i = skip_ws(s, i + 1, n);
        if (i < n && s[i] == close)
            return i + 1;
        for (;;) {
            i = skip_value(s, i, n, depth + 1);
            if (i == EI__JSON_NO_SPAN)
                return EI__JSON_NO_SPAN;
            i = skip_ws(s, i, n);
            if (i < n && close == '}' && s[i] == ':') {
                i = skip_value(s, skip_ws(s, i + 1, n), n, depth + 1);
                if (i == EI__JSON_NO_SPAN)
                    return EI__JSON_NO_SPAN;
                i = skip_ws(s, i, n);
            }
            if (i >= n)
                return EI__JSON_NO_SPAN;
            if (s[i] == close)
                return i + 1;
            if (s[i] != ',')
                return EI__JSON_NO_SPAN;
            i = skip_ws(s, i + 1, n);
        }
    }
    size_t start = i;
    while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}' && s[i] != ' ' && s[i] != '\n' &&
           s[i] != '\t' && s[i] != '\r' && s[i] != ':')
        i++;
    /* Nothing consumed (a stray ':' or ','): not a value; the caller must not loop on it. */
    return i > start ? i : EI__JSON_NO_SPAN;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A JSON number at s[i] (grammar checked): its end, or EI__JSON_NO_SPAN. */
size_t ei__json_number_end(const char *s, size_t i, size_t n)
{
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !is_digit(s[i]))
        return EI__JSON_NO_SPAN;
    if (s[i] == '0')
        i++;
    else
        while (i < n && is_digit(s[i]))
            i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return EI__JSON_NO_SPAN;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return EI__JSON_NO_SPAN;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i;
}

/* s[i] == '[': the end of an array holding only numbers and arrays of numbers, or EI__JSON_NO_SPAN.
 */
static size_t numeric_array_end(const char *s, size_t i, size_t n, int depth)
{
    if (depth > 32)
        return EI__JSON_NO_SPAN;
    i = skip_ws(s, i + 1, n);
    if (i < n && s[i] == ']')
        return i + 1;
    for (;;) {
        if (i >= n)
            return EI__JSON_NO_SPAN;
        i = s[i] == '[' ? numeric_array_end(s, i, n, depth + 1) : ei__json_number_end(s, i, n);
        if (i == EI__JSON_NO_SPAN)
            return EI__JSON_NO_SPAN;
        i = skip_ws(s, i, n);
        if (i >= n)
            return EI__JSON_NO_SPAN;
        if (s[i] == ']')
            return i + 1;
        if (s[i] != ',')
            return EI__JSON_NO_SPAN;
        i = skip_ws(s, i + 1, n);
    }
}

static bool key_is(const char *s, size_t k0, size_t k1, const char *key)
{
    size_t len = strlen(key);
    return k1 - k0 == len + 2 && memcmp(s + k0 + 1, key, len) == 0;
}

/*
 * Finds the numeric inputs[i].data values. Returns how many spans it stored (0 when the header
 * does not look like a request it understands; jansson then does everything).
 */
size_t ei__json_find_data_spans(const char *s, size_t n, ei__json_span_t *spans, size_t max)
{
    size_t ns = 0;
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{')
        return 0;
    i = skip_ws(s, i + 1, n);
    while (i < n && s[i] != '}') {
        if (s[i] != '"')
            return 0;
        size_t k0 = i, k1 = skip_string(s, i, n);
        if (k1 == EI__JSON_NO_SPAN)
            return 0;
        i = skip_ws(s, k1, n);
        if (i >= n || s[i] != ':')
            return 0;
        i = skip_ws(s, i + 1, n);
        if (key_is(s, k0, k1, "inputs") && i < n && s[i] == '[') {
            size_t idx = 0;
            i = skip_ws(s, i + 1, n);
            while (i < n && s[i] != ']') {
                if (s[i] == '{') {
                    i = skip_ws(s, i + 1, n);
                    while (i < n && s[i] != '}') {
                        if (s[i] != '"')
                            return 0;
                        size_t j0 = i, j1 = skip_string(s, i, n);
                        if (j1 == EI__JSON_NO_SPAN)
                            return 0;
                        i = skip_ws(s, j1, n);
                        if (i >= n || s[i] != ':')
                            return 0;
                        i = skip_ws(s, i + 1, n);
                        size_t end = EI__JSON_NO_SPAN;
                        if (key_is(s, j0, j1, "data") && i < n && s[i] == '[' && ns < max) {
                            end = numeric_array_end(s, i, n, 0);
                            if (end != EI__JSON_NO_SPAN)
                                spans[ns++] = (ei__json_span_t){idx, i, end};
                        }
                        if (end == EI__JSON_NO_SPAN)
                            end = skip_value(s, i, n, 0);
                        if (end == EI__JSON_NO_SPAN)
                            return 0;
                        i = skip_ws(s, end, n);
                        if (i < n && s[i] == ',')
                            i = skip_ws(s, i + 1, n);
                    }
                    if (i >= n)
                        return 0;
                    i++;
                } else {
                    i = skip_value(s, i, n, 0);
                    if (i == EI__JSON_NO_SPAN)
                        return 0;
                }
                idx++;
                i = skip_ws(s, i, n);
                if (i < n && s[i] == ',')
                    i = skip_ws(s, i + 1, n);
            }
            if (i >= n)
                return 0;
            i++;
        } else {
            i = skip_value(s, i, n, 0);
            if (i == EI__JSON_NO_SPAN)
                return 0;
        }
        i = skip_ws(s, i, n);
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
    }
    return ns;
}

/* Parses a validated number token [i, end). */
void ei__json_parse_number(const char *s, size_t i, size_t end, bool *is_int, long long *iv,
                           double *dv)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t start = i;
    bool neg = s[i] == '-';
    if (neg)
        i++;
    uint64_t m = 0;
    int digits = 0, e10 = 0;
    bool frac = false, big = false;
    for (; i < end && is_digit(s[i]); i++) {
        if (digits < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            if (m)
                digits++;
        } else {
            big = true;
        }
    }
    if (i < end && s[i] == '.') {
        frac = true;
        for (i++; i < end && is_digit(s[i]); i++) {
            if (digits < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                if (m)
                    digits++;
                e10--;
            }
        }
    }
    bool has_exp = i < end;
    if (has_exp) {
        i++;
        bool eneg = s[i] == '-';
        if (s[i] == '+' || s[i] == '-')
            i++;
        int ev = 0;
        for (; i < end; i++)
            if (ev < 100000)
                ev = ev * 10 + (s[i] - '0');
        e10 += eneg ? -ev : ev;
    }
    *is_int = !frac && !has_exp && !big &&
              (m <= (uint64_t)INT64_MAX || (neg && m == (uint64_t)INT64_MAX + 1));
    if (*is_int) {
        if (neg && m == (uint64_t)INT64_MAX + 1)
            *iv = INT64_MIN;
        else
            *iv = neg ? -(long long)m : (long long)m;
        *dv = neg && m == 0 ? -0.0 : (double)*iv; /* "-0" stays negative zero for floats */
        return;
    }
    *iv = 0;
    if (!big && m <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
        /* Exact: both m and 10^|e10| are doubles, so one correctly rounded operation. */
        double v = e10 < 0 ? (double)m / p10[-e10] : (double)m * p10[e10];
        *dv = neg ? -v : v;
        return;
    }
    *dv = strtod(s + start, NULL);
}
