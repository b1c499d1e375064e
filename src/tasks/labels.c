/* SPDX-License-Identifier: MIT */
/*
 * Class label lists: from a text file (one label per line), or from a model's custom metadata,
 * where exporters write a JSON list, a Python dict literal (Ultralytics: `{0: 'cat', 1: 'dog'}`)
 * or a newline/comma separated string. All labels live in one block of memory. Not for the
 * classification head itself (classify.c).
 */
#include "ei_util.h"

#include <edgeinfer/classify.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file this large is not a label list. */
#define MAX_LABELS_BYTES ((size_t)64 << 20)
/* The highest index a dict may name (guards against `{999999999: 'x'}`). */
#define MAX_DICT_INDEX 10000000

struct ei_labels {
    size_t n;
    char **items; /* n pointers into `text` */
    char *text;   /* the labels, each NUL-terminated */
};

void ei_labels_destroy(ei_labels_t *l)
{
    if (l == NULL)
        return;
    ei__free(l->items);
    ei__free(l->text);
    ei__free(l);
}

size_t ei_labels_count(const ei_labels_t *l)
{
    return l == NULL ? 0 : l->n;
}

const char *ei_labels_get(const ei_labels_t *l, size_t i)
{
    if (l == NULL || i >= l->n)
        return NULL;
    return l->items[i];
}

/* A growable list being built: labels are appended to `buf` as NUL-terminated strings and their
 * offsets kept in `offs` (pointers are made at the end, once `buf` no longer moves). */
struct builder {
    char *buf;
    size_t len, cap;
    size_t *offs;
    size_t n, ncap;
};

static bool b_reserve(struct builder *b, size_t more)
{
    if (b->len + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    char *p = ei__realloc(b->buf, cap);
    if (p == NULL)
        return false;
    b->buf = p;
    b->cap = cap;
    return true;
}

static bool b_putc(struct builder *b, char c)
{
    if (!b_reserve(b, 1))
        return false;
    b->buf[b->len++] = c;
    return true;
}

static bool b_put(struct builder *b, const char *s, size_t n)
{
    if (!b_reserve(b, n))
        return false;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    return true;
}

/* Starts a new label at the current end of `buf`. */
static bool b_begin(struct builder *b)
{
    if (b->n == b->ncap) {
        size_t ncap = b->ncap ? b->ncap * 2 : 64;
        size_t *o = ei__realloc(b->offs, ncap * sizeof(*o));
        if (o == NULL)
            return false;
        b->offs = o;
        b->ncap = ncap;
    }
    b->offs[b->n++] = b->len;
    return true;
}

static void b_free(struct builder *b)
{
    ei__free(b->buf);
    ei__free(b->offs);
}

static ei_code_t b_finish(struct builder *b, ei_labels_t **out, ei_error_t *err)
{
    ei_labels_t *l = ei__calloc(1, sizeof(*l));
    if (l == NULL || !b_reserve(b, 1)) {
        ei__free(l);
        b_free(b);
        return ei__fail(err, EI_ENOMEM, "labels: out of memory");
    }
    l->items = ei__calloc(b->n ? b->n : 1, sizeof(char *));
    if (l->items == NULL) {
        ei__free(l);
        b_free(b);
        return ei__fail(err, EI_ENOMEM, "labels: out of memory");
    }
    l->n = b->n;
    l->text = b->buf;
    for (size_t i = 0; i < b->n; i++)
        l->items[i] = l->text + b->offs[i];
    ei__free(b->offs);
    *out = l;
    return EI_OK;
}

/* One label per line; a trailing CR is dropped; a final line end does not open another label. */
static ei_code_t parse_lines(const char *s, size_t len, const char *what, struct builder *b,
                             ei_error_t *err)
{
    size_t line = 1;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '\n')
            j++;
        size_t e = j;
        if (e > i && s[e - 1] == '\r')
            e--;
        if (memchr(s + i, '\0', e - i) != NULL)
            return ei__fail(err, EI_EFORMAT, "%s: line %zu holds a NUL byte (not a text file?)",
                            what, line);
        if (!b_begin(b) || !b_put(b, s + i, e - i) || !b_putc(b, '\0'))
            return ei__fail(err, EI_ENOMEM, "%s: out of memory", what);
        i = j + 1;
        line++;
    }
    return EI_OK;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Comma separated, blanks around each label trimmed. */
static ei_code_t parse_commas(const char *s, size_t len, const char *what, struct builder *b,
                              ei_error_t *err)
{
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        size_t a = i, e = j;
        while (a < e && is_blank(s[a]))
            a++;
        while (e > a && is_blank(s[e - 1]))
            e--;
        if (memchr(s + a, '\0', e - a) != NULL)
            return ei__fail(err, EI_EFORMAT, "%s: holds a NUL byte", what);
        if (!b_begin(b) || !b_put(b, s + a, e - a) || !b_putc(b, '\0'))
            return ei__fail(err, EI_ENOMEM, "%s: out of memory", what);
        if (j >= len)
            break;
        i = j + 1;
    }
    return EI_OK;
}

/* A cursor over a JSON / Python literal. */
struct lex {
    const char *s;
    size_t len, pos;
    const char *what;
};

static void skip_ws(struct lex *x)
{
    while (x->pos < x->len && is_blank(x->s[x->pos]))
        x->pos++;
}

static int peek(const struct lex *x)
{
    return x->pos < x->len ? (unsigned char)x->s[x->pos] : -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool put_utf8(struct builder *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return b_put(b, u, n);
}

/* Reads `digits` hex digits at the cursor. */
static bool read_hex(struct lex *x, int digits, unsigned long *out)
{
    unsigned long v = 0;
    for (int k = 0; k < digits; k++) {
        int h = hexval(peek(x));
        if (h < 0)
            return false;
        v = v * 16 + (unsigned long)h;
        x->pos++;
    }
    *out = v;
    return true;
}

/* The character a one-letter escape stands for, or -1. */
static int simple_escape(int e)
{
    switch (e) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case '\\':
    case '\'':
    case '"':
    case '/':
        return e;
    default:
        return -1;
    }
}

/*
 * A quoted string ('...' or "...") with JSON and Python escapes, appended to the label that the
 * caller has just begun in `b`, NUL included.
 */
static ei_code_t read_string(struct lex *x, struct builder *b, ei_error_t *err)
{
    int q = peek(x);
    size_t start = x->pos;
    x->pos++;
    for (;;) {
        int c = peek(x);
        if (c < 0)
            return ei__fail(err, EI_EFORMAT, "%s: string opened at offset %zu is not closed",
                            x->what, start);
        x->pos++;
        if (c == q)
            break;
        if (c == '\0')
            return ei__fail(err, EI_EFORMAT, "%s: NUL byte in a string at offset %zu", x->what,
                            x->pos - 1);
        if (c != '\\') {
            if (!b_putc(b, (char)c))
                return ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
            continue;
        }
        int e = peek(x);
        x->pos++;
        unsigned long cp = 0;
        bool ok = true;
        if (e == 'x') {
            ok = read_hex(x, 2, &cp);
        } else if (e == 'u') {
            ok = read_hex(x, 4, &cp);
            /* A JSON surrogate pair. */
            if (ok && cp >= 0xD800 && cp < 0xDC00 && peek(x) == '\\' && x->pos + 1 < x->len &&
                x->s[x->pos + 1] == 'u') {
                unsigned long lo = 0;
                x->pos += 2;
                ok = read_hex(x, 4, &lo) && lo >= 0xDC00 && lo < 0xE000;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
        } else if (e == 'U') {
            ok = read_hex(x, 8, &cp) && cp <= 0x10FFFF;
        } else {
            int c2 = simple_escape(e);
            ok = c2 >= 0;
            cp = (unsigned long)(ok ? c2 : 0);
        }
        if (!ok || cp == 0)
            return ei__fail(err, EI_EFORMAT, "%s: bad escape in the string at offset %zu", x->what,
                            start);
        if (!put_utf8(b, cp))
            return ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
    }
    if (!b_putc(b, '\0'))
        return ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
    return EI_OK;
}

static ei_code_t expect_fail(const struct lex *x, const char *expected, ei_error_t *err)
{
    int c = peek(x);
    if (c < 0)
        return ei__fail(err, EI_EFORMAT, "%s: expected %s at offset %zu, got the end", x->what,
                        expected, x->pos);
    return ei__fail(err, EI_EFORMAT, "%s: expected %s at offset %zu, got '%c'", x->what, expected,
                    x->pos, c >= 0x20 && c < 0x7f ? c : '?');
}

/* ["a", 'b', ...] */
static ei_code_t parse_list(struct lex *x, struct builder *b, ei_error_t *err)
{
    x->pos++; /* '[' */
    skip_ws(x);
    if (peek(x) == ']') {
        x->pos++;
        return EI_OK;
    }
    for (;;) {
        skip_ws(x);
        if (peek(x) != '"' && peek(x) != '\'')
            return expect_fail(x, "a quoted label", err);
        if (!b_begin(b))
            return ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
        ei_code_t rc = read_string(x, b, err);
        if (rc != EI_OK)
            return rc;
        skip_ws(x);
        if (peek(x) == ',') {
            x->pos++;
            skip_ws(x);
            if (peek(x) == ']') { /* a trailing comma, as Python allows */
                x->pos++;
                return EI_OK;
            }
            continue;
        }
        if (peek(x) == ']') {
            x->pos++;
            return EI_OK;
        }
        return expect_fail(x, "',' or ']'", err);
    }
}

/* An index: 12 or "12" or '12'. */
static ei_code_t read_index(struct lex *x, long long *out, ei_error_t *err)
{
    int q = peek(x);
    size_t start = x->pos;
    if (q == '"' || q == '\'')
        x->pos++;
    long long v = 0;
    size_t digits = 0;
    while (peek(x) >= '0' && peek(x) <= '9') {
        v = v * 10 + (peek(x) - '0');
        if (v > MAX_DICT_INDEX)
            return ei__fail(err, EI_EFORMAT, "%s: class index at offset %zu is above %d", x->what,
                            start, MAX_DICT_INDEX);
        x->pos++;
        digits++;
    }
    if (digits == 0)
        return expect_fail(x, "a class index (a non-negative integer)", err);
    if (q == '"' || q == '\'') {
        if (peek(x) != q)
            return expect_fail(x, "the end of the quoted index", err);
        x->pos++;
    }
    *out = v;
    return EI_OK;
}

/*
 * {0: 'a', 1: 'b'} or {"0": "a"}: the labels are collected with their indices, then laid out by
 * index (holes become empty labels, a repeated index is an error).
 */
static ei_code_t parse_dict(struct lex *x, struct builder *b, ei_error_t *err)
{
    struct builder tmp = {0};
    long long *idx = NULL;
    size_t nidx = 0, capidx = 0;
    size_t *slot = NULL;
    long long maxi = -1;
    ei_code_t rc = EI_OK;

    x->pos++; /* '{' */
    skip_ws(x);
    if (peek(x) == '}') {
        x->pos++;
        goto out;
    }
    for (;;) {
        skip_ws(x);
        long long k = 0;
        rc = read_index(x, &k, err);
        if (rc != EI_OK)
            goto out;
        skip_ws(x);
        if (peek(x) != ':') {
            rc = expect_fail(x, "':'", err);
            goto out;
        }
        x->pos++;
        skip_ws(x);
        if (peek(x) != '"' && peek(x) != '\'') {
            rc = expect_fail(x, "a quoted label", err);
            goto out;
        }
        if (nidx == capidx) {
            size_t nc = capidx ? capidx * 2 : 64;
            long long *p = ei__realloc(idx, nc * sizeof(*p));
            if (p == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
                goto out;
            }
            idx = p;
            capidx = nc;
        }
        idx[nidx++] = k;
        if (k > maxi)
            maxi = k;
        if (!b_begin(&tmp)) {
            rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
            goto out;
        }
        rc = read_string(x, &tmp, err);
        if (rc != EI_OK)
            goto out;
        skip_ws(x);
        if (peek(x) == ',') {
            x->pos++;
            skip_ws(x);
            if (peek(x) == '}') {
                x->pos++;
                break;
            }
            continue;
        }
        if (peek(x) == '}') {
            x->pos++;
            break;
        }
        rc = expect_fail(x, "',' or '}'", err);
        goto out;
    }
    /* Lay the labels out by index. */
    size_t n = (size_t)(maxi + 1);
    slot = ei__malloc(n * sizeof(*slot));
    if (slot == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        slot[i] = SIZE_MAX;
    for (size_t i = 0; i < nidx; i++) {
        size_t k = (size_t)idx[i];
        if (slot[k] != SIZE_MAX) {
            rc = ei__fail(err, EI_EFORMAT, "%s: class index %zu appears twice", x->what, k);
            goto out;
        }
        slot[k] = i;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = slot[i] == SIZE_MAX ? "" : tmp.buf + tmp.offs[slot[i]];
        if (!b_begin(b) || !b_put(b, s, strlen(s) + 1)) {
            rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", x->what);
            goto out;
        }
    }
out:
    b_free(&tmp);
    ei__free(idx);
    ei__free(slot);
    return rc;
}

ei_code_t ei_labels_parse(const char *text, size_t len, const char *what, ei_labels_t **out,
                          ei_error_t *err)
{
    struct builder b = {0};
    ei_code_t rc = EI_OK;
    if (out != NULL)
        *out = NULL;
    if (what == NULL)
        what = "labels";
    if (out == NULL || (text == NULL && len > 0))
        return ei__fail(err, EI_EINVAL, "%s: NULL argument", what);
    /* A UTF-8 byte-order mark is not part of the first label. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    struct lex x = {text, len, 0, what};
    skip_ws(&x);
    int opener = peek(&x);
    if (opener == '[' || opener == '{') {
        rc = opener == '[' ? parse_list(&x, &b, err) : parse_dict(&x, &b, err);
        if (rc == EI_OK) {
            skip_ws(&x);
            if (x.pos != x.len)
                rc = ei__fail(err, EI_EFORMAT, "%s: unexpected text after the %s at offset %zu",
                              what, opener == '[' ? "list" : "dict", x.pos);
        }
    } else if (memchr(text, '\n', len) != NULL) {
        rc = parse_lines(text, len, what, &b, err);
    } else if (x.pos < len) {
        rc = parse_commas(text, len, what, &b, err);
    }
    if (rc == EI_OK && b.n == 0)
        rc = ei__fail(err, EI_EFORMAT, "%s: no labels", what);
    if (rc != EI_OK) {
        b_free(&b);
        return rc;
    }
    return b_finish(&b, out, err);
}

ei_code_t ei_labels_load(const char *path, ei_labels_t **out, ei_error_t *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    struct builder b = {0};
    ei_code_t rc = EI_OK;

    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "labels: NULL argument");
    f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        rc = ei__fail(err, e == ENOENT ? EI_ENOENT : EI_EIO, "%s: cannot open labels file: %s",
                      path, strerror(e));
        goto out;
    }
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 4096;
            if (nc > MAX_LABELS_BYTES + 1) {
                rc = ei__fail(err, EI_EFORMAT, "%s: labels file larger than %zu bytes", path,
                              MAX_LABELS_BYTES);
                goto out;
            }
            char *p = ei__realloc(buf, nc);
            if (p == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = p;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = ei__fail(err, EI_EIO, "%s: read error", path);
                goto out;
            }
            break;
        }
    }
    {
        const char *t = buf;
        size_t tl = len;
        if (tl >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) {
            t += 3;
            tl -= 3;
        }
        rc = parse_lines(t, tl, path, &b, err);
    }
    if (rc == EI_OK && b.n == 0)
        rc = ei__fail(err, EI_EFORMAT, "%s: labels file is empty", path);
    if (rc == EI_OK)
        rc = b_finish(&b, out, err);
    else
        b_free(&b);
out:
    if (f != NULL)
        fclose(f);
    ei__free(buf);
    return rc;
}

ei_code_t ei_labels_from_metadata(const ei_session_t *s, ei_labels_t **out, ei_error_t *err)
{
    static const char *const keys[] = {"labels", "classes", "names"};
    if (out != NULL)
        *out = NULL;
    if (s == NULL || out == NULL)
        return ei__fail(err, EI_EINVAL, "labels from metadata: NULL argument");
    const ei_model_meta_t *m = ei_session_metadata(s);
    for (size_t k = 0; m != NULL && k < sizeof(keys) / sizeof(keys[0]); k++) {
        for (size_t i = 0; i < m->n_custom; i++) {
            if (strcmp(m->custom_keys[i], keys[k]) != 0)
                continue;
            char what[64];
            snprintf(what, sizeof(what), "model metadata '%s'", keys[k]);
            const char *v = m->custom_values[i];
            return ei_labels_parse(v, strlen(v), what, out, err);
        }
    }
    return ei__fail(err, EI_ENOTFOUND,
                    "model metadata has no labels (none of the keys labels, classes, names)");
}
