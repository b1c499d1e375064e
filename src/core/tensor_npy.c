/* SPDX-License-Identifier: MIT */
/*
 * NumPy .npy tensor files: the loader (format versions 1.0, 2.0 and 3.0, either byte order, C or
 * Fortran order, numeric, bool and fixed-width string dtypes) and the writer (version 1.0,
 * little-endian, C order). Every size in a file is checked against the bytes actually present
 * before anything is allocated, and every message names the file. Not for .npz archives, object
 * arrays or structured dtypes, which are refused with EI_EUNSUPPORTED.
 */
#include "ei_util.h"

#include <ctype.h>
#include <edgeinfer/tensor_io.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/*
 * NumPy itself refuses headers over 10000 bytes unless told otherwise; a rank-16 shape with huge
 * dims fits in far less, so anything beyond 1 MiB is garbage rather than a header.
 */
#define NPY_MAX_HEADER (1u << 20)
/* Most elements of a zero-width dtype accepted (see ei_tensor_parse_npy). */
#define NPY_MAX_EMPTY_ELEMENTS 65536u

/* What the header's 'descr' maps to. */
typedef struct npy_dtype {
    ei_dtype_t dtype;
    size_t itemsize;  /* bytes per element in the file */
    size_t swap_unit; /* bytes per byte-swapped unit (itemsize, half of it for complex); 1: none */
    bool big_endian;
    char kind; /* 'S' / 'U' for strings, 0 otherwise */
} npy_dtype_t;

typedef struct npy_header {
    char descr[32];
    bool have_descr, have_fortran, have_shape;
    bool fortran;
    size_t rank;
    int64_t shape[EI_MAX_RANK];
} npy_header_t;

/* A cursor over the header's Python dict literal. */
typedef struct cursor {
    const char *p, *end;
} cursor_t;

static void skip_ws(cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool eat(cursor_t *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes (NumPy never writes any in a header). */
static bool parse_str(cursor_t *c, char *out, size_t size)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return false;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= size)
            return false;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return false;
    c->p++;
    out[n] = '\0';
    return true;
}

static bool parse_word(cursor_t *c, const char *word)
{
    skip_ws(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool parse_dim(cursor_t *c, int64_t *out)
{
    skip_ws(c);
    int64_t v = 0;
    const char *start = c->p;
    while (c->p < c->end && isdigit((unsigned char)*c->p)) {
        int d = *c->p - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        c->p++;
    }
    if (c->p == start)
        return false;
    if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) /* Python 2 longs */
        c->p++;
    *out = v;
    return true;
}

/* "(2, 3)", "(3,)" or "()". */
static ei_code_t parse_shape(cursor_t *c, npy_header_t *h, const char *what, ei_error_t *err)
{
    if (!eat(c, '('))
        return ei__fail(err, EI_EFORMAT, "%s: npy header: 'shape' is not a tuple", what);
    h->rank = 0;
    if (eat(c, ')'))
        return EI_OK;
    for (;;) {
        if (h->rank == EI_MAX_RANK)
            return ei__fail(err, EI_EFORMAT, "%s: npy header: shape has more than %d dims", what,
                            EI_MAX_RANK);
        if (!parse_dim(c, &h->shape[h->rank]))
            return ei__fail(err, EI_EFORMAT,
                            "%s: npy header: shape dim %zu is not a non-negative integer", what,
                            h->rank);
        h->rank++;
        if (eat(c, ')'))
            return EI_OK;
        if (!eat(c, ','))
            return ei__fail(err, EI_EFORMAT, "%s: npy header: bad separator in 'shape'", what);
        if (eat(c, ')'))
            return EI_OK;
    }
}

static ei_code_t parse_header(const char *text, size_t len, const char *what, npy_header_t *h,
                              ei_error_t *err)
{
    cursor_t c = {text, text + len};
    memset(h, 0, sizeof(*h));
    if (!eat(&c, '{'))
        return ei__fail(err, EI_EFORMAT, "%s: npy header is not a dict", what);
    while (!eat(&c, '}')) {
        char key[32];
        if (!parse_str(&c, key, sizeof(key)) || !eat(&c, ':'))
            return ei__fail(err, EI_EFORMAT, "%s: npy header: expected a quoted key and ':'", what);
        if (strcmp(key, "descr") == 0) {
            skip_ws(&c);
            if (c.p < c.end && c.p[0] == '[')
                return ei__fail(err, EI_EUNSUPPORTED,
                                "%s: structured (record) dtypes are not supported", what);
            if (!parse_str(&c, h->descr, sizeof(h->descr)))
                return ei__fail(err, EI_EFORMAT, "%s: npy header: 'descr' is not a dtype string",
                                what);
            h->have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (parse_word(&c, "True"))
                h->fortran = true;
            else if (parse_word(&c, "False"))
                h->fortran = false;
            else
                return ei__fail(err, EI_EFORMAT,
                                "%s: npy header: 'fortran_order' is not True or False", what);
            h->have_fortran = true;
        } else if (strcmp(key, "shape") == 0) {
            ei_code_t rc = parse_shape(&c, h, what, err);
            if (rc != EI_OK)
                return rc;
            h->have_shape = true;
        } else {
            return ei__fail(err, EI_EFORMAT, "%s: npy header: unexpected key '%s'", what, key);
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}'))
                return ei__fail(err, EI_EFORMAT, "%s: npy header: expected ',' or '}'", what);
            break;
        }
    }
    if (!h->have_descr || !h->have_fortran || !h->have_shape)
        return ei__fail(err, EI_EFORMAT, "%s: npy header lacks '%s'", what,
                        !h->have_descr     ? "descr"
                        : !h->have_fortran ? "fortran_order"
                                           : "shape");
    return EI_OK;
}

static ei_code_t map_descr(const char *descr, const char *what, npy_dtype_t *out, ei_error_t *err)
{
    memset(out, 0, sizeof(*out));
    const char *d = descr;
    char order = '|';
    if (*d == '<' || *d == '>' || *d == '|' || *d == '=')
        order = *d++;
    out->big_endian = order == '>';
    char kind = *d;
    if (kind == '\0')
        goto bad;
    if (kind == 'O')
        return ei__fail(err, EI_EUNSUPPORTED,
                        "%s: object arrays (dtype '%s') are not supported (save with a fixed "
                        "dtype, allow_pickle=False)",
                        what, descr);
    int64_t size = 0;
    if (d[1] == '\0') {
        if (kind != '?')
            goto bad;
        size = 1; /* '?' is NumPy's one-character code for bool */
        kind = 'b';
    } else if (!ei__parse_i64(d + 1, &size) || size < 0 || size > (1 << 24)) {
        goto bad;
    }
    out->itemsize = (size_t)size;
    out->swap_unit = out->itemsize;
    static const struct {
        char kind;
        int size;
        ei_dtype_t dtype;
    } table[] = {
        {'b', 1, EI_DTYPE_BOOL},      {'i', 1, EI_DTYPE_INT8},        {'u', 1, EI_DTYPE_UINT8},
        {'i', 2, EI_DTYPE_INT16},     {'u', 2, EI_DTYPE_UINT16},      {'i', 4, EI_DTYPE_INT32},
        {'u', 4, EI_DTYPE_UINT32},    {'i', 8, EI_DTYPE_INT64},       {'u', 8, EI_DTYPE_UINT64},
        {'f', 2, EI_DTYPE_FLOAT16},   {'f', 4, EI_DTYPE_FLOAT32},     {'f', 8, EI_DTYPE_FLOAT64},
        {'c', 8, EI_DTYPE_COMPLEX64}, {'c', 16, EI_DTYPE_COMPLEX128},
    };
    if (kind == 'S' || kind == 'a' || kind == 'U') {
        out->dtype = EI_DTYPE_STRING;
        out->kind = kind == 'U' ? 'U' : 'S';
        if (out->kind == 'U') {
            if (ei__mul_overflow(out->itemsize, 4, &out->itemsize))
                goto bad;
            out->swap_unit = 4;
        } else {
            out->swap_unit = 1;
        }
        return EI_OK;
    }
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].kind == kind && (size_t)table[i].size == out->itemsize) {
            out->dtype = table[i].dtype;
            if (kind == 'c')
                out->swap_unit = out->itemsize / 2;
            return EI_OK;
        }
    }
    return ei__fail(err, EI_EUNSUPPORTED, "%s: npy dtype '%s' is not supported", what, descr);
bad:
    return ei__fail(err, EI_EFORMAT, "%s: npy header: malformed dtype '%s'", what, descr);
}

/* Appends code point `cp` as UTF-8; returns the bytes written (0 for an invalid code point). */
static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/*
 * Decodes one UTF-8 code point at s[0..n); returns its length, 0 when the bytes are not valid
 * UTF-8 (overlong forms, surrogates and values above U+10FFFF included).
 */
static size_t utf8_get(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || s[0] >= 0xF8 || len > n)
        return 0;
    uint32_t v = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static uint32_t read_u32(const unsigned char *p, bool big)
{
    if (big)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Sets string element `dst` from the fixed-width file element at `src`. */
static ei_code_t load_string(ei_tensor_t *t, size_t dst, const unsigned char *src,
                             const npy_dtype_t *nd, const char *what, ei_error_t *err)
{
    if (nd->kind == 'S') {
        size_t len = nd->itemsize;
        while (len > 0 && src[len - 1] == 0) /* NumPy pads with NULs and strips them on read */
            len--;
        return ei_tensor_set_string(t, dst, (const char *)src, len, err);
    }
    size_t chars = nd->itemsize / 4;
    while (chars > 0 && read_u32(src + 4 * (chars - 1), nd->big_endian) == 0)
        chars--;
    char stackbuf[256];
    char *buf = stackbuf;
    ei_code_t rc = EI_OK;
    if (chars * 4 > sizeof(stackbuf)) {
        buf = ei__malloc(chars * 4);
        if (buf == NULL)
            return ei__fail(err, EI_ENOMEM, "%s: out of memory for a %zu-character string", what,
                            chars);
    }
    size_t len = 0;
    for (size_t i = 0; i < chars; i++) {
        uint32_t cp = read_u32(src + 4 * i, nd->big_endian);
        size_t n = utf8_put(cp, buf + len);
        if (n == 0) {
            rc = ei__fail(err, EI_EFORMAT, "%s: element %zu holds an invalid code point U+%X", what,
                          dst, (unsigned)cp);
            goto out;
        }
        len += n;
    }
    rc = ei_tensor_set_string(t, dst, buf, len, err);
out:
    if (buf != stackbuf)
        ei__free(buf);
    return rc;
}

/* The file offset of row-major element `i` in a Fortran-order (column-major) array. */
static size_t fortran_index(size_t i, const int64_t *shape, size_t rank)
{
    size_t off = 0, stride = 1;
    size_t idx[EI_MAX_RANK];
    for (size_t k = rank; k-- > 0;) {
        size_t dim = (size_t)shape[k];
        idx[k] = i % dim;
        i /= dim;
    }
    for (size_t k = 0; k < rank; k++) {
        off += idx[k] * stride;
        stride *= (size_t)shape[k];
    }
    return off;
}

static void swap_bytes(unsigned char *p, size_t n_units, size_t unit)
{
    for (size_t u = 0; u < n_units; u++, p += unit) {
        for (size_t a = 0, b = unit - 1; a < b; a++, b--) {
            unsigned char tmp = p[a];
            p[a] = p[b];
            p[b] = tmp;
        }
    }
}

ei_code_t ei_tensor_parse_npy(const void *data, size_t size, const char *what, ei_tensor_t **out,
                              ei_error_t *err)
{
    const unsigned char *b = data;
    ei_tensor_t *t = NULL;
    ei_code_t rc = EI_OK;
    npy_header_t h;
    npy_dtype_t nd;
    if (what == NULL)
        what = "npy data";
    *out = NULL;
    if (data == NULL || size < NPY_MAGIC_LEN + 2 || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        rc = ei__fail(err, EI_EFORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", what);
        goto out;
    }
    unsigned major = b[6], minor = b[7];
    size_t pre = major == 1 ? 10 : 12;
    if ((major != 1 && major != 2 && major != 3) || minor != 0) {
        rc = ei__fail(err, EI_EUNSUPPORTED,
                      "%s: npy format version %u.%u is not supported (expected 1.0, 2.0 or 3.0)",
                      what, major, minor);
        goto out;
    }
    if (size < pre) {
        rc = ei__fail(err, EI_EFORMAT, "%s: truncated in the npy preamble (%zu bytes)", what, size);
        goto out;
    }
    size_t hlen = major == 1 ? (size_t)b[8] | (size_t)b[9] << 8 : (size_t)read_u32(b + 8, false);
    if (hlen > NPY_MAX_HEADER) {
        rc = ei__fail(err, EI_EFORMAT, "%s: npy header length %zu is over the limit of %u", what,
                      hlen, NPY_MAX_HEADER);
        goto out;
    }
    if (hlen > size - pre) {
        rc = ei__fail(err, EI_EFORMAT,
                      "%s: truncated: the npy header needs %zu bytes, the file has %zu after the "
                      "preamble",
                      what, hlen, size - pre);
        goto out;
    }
    rc = parse_header((const char *)b + pre, hlen, what, &h, err);
    if (rc != EI_OK)
        goto out;
    rc = map_descr(h.descr, what, &nd, err);
    if (rc != EI_OK)
        goto out;
    size_t count = 1, need = 0;
    for (size_t k = 0; k < h.rank; k++) {
        if (ei__mul_overflow(count, (size_t)h.shape[k], &count)) {
            rc = ei__fail(err, EI_EFORMAT, "%s: npy shape element count overflows", what);
            goto out;
        }
    }
    if (ei__mul_overflow(count, nd.itemsize, &need)) {
        rc = ei__fail(err, EI_EFORMAT, "%s: npy data size overflows", what);
        goto out;
    }
    /* Zero-width strings ('<U0', '|S0') are the one case where the element count is not bounded
     * by the data the file holds: a 100-byte header could ask for billions of tensor entries. */
    if (nd.itemsize == 0 && count > NPY_MAX_EMPTY_ELEMENTS) {
        rc = ei__fail(err, EI_ELIMIT,
                      "%s: %zu zero-width '%s' elements: more than %u, and the file holds no data "
                      "for them",
                      what, count, h.descr, (unsigned)NPY_MAX_EMPTY_ELEMENTS);
        goto out;
    }
    size_t avail = size - pre - hlen;
    if (need != avail) {
        char shape[160];
        ei_shape_format(h.shape, h.rank, shape, sizeof(shape));
        rc = ei__fail(err, EI_EFORMAT,
                      "%s: %s: shape %s of '%s' needs %zu data bytes, the file has %zu", what,
                      need > avail ? "truncated" : "trailing bytes", shape, h.descr, need, avail);
        goto out;
    }
    rc = ei_tensor_create(nd.dtype, h.shape, h.rank, &t, err);
    if (rc != EI_OK) {
        ei__error_prefix(err, "%s", what);
        goto out;
    }
    const unsigned char *src = b + pre + hlen;
    bool reorder = h.fortran && h.rank > 1 && count > 1;
    if (nd.dtype == EI_DTYPE_STRING) {
        for (size_t i = 0; i < count; i++) {
            size_t from = reorder ? fortran_index(i, h.shape, h.rank) : i;
            rc = load_string(t, i, src + from * nd.itemsize, &nd, what, err);
            if (rc != EI_OK)
                goto out;
        }
    } else {
        unsigned char *dst = ei_tensor_data(t);
        if (reorder) {
            for (size_t i = 0; i < count; i++)
                memcpy(dst + i * nd.itemsize, src + fortran_index(i, h.shape, h.rank) * nd.itemsize,
                       nd.itemsize);
        } else if (need > 0) {
            memcpy(dst, src, need);
        }
        /* Big-endian files become native (little-endian) data, one unit at a time. */
        if (nd.big_endian && nd.swap_unit > 1)
            swap_bytes(dst, need / nd.swap_unit, nd.swap_unit);
        if (nd.dtype == EI_DTYPE_BOOL) {
            for (size_t i = 0; i < count; i++)
                dst[i] = dst[i] != 0;
        }
    }
    *out = t;
    t = NULL;
out:
    ei_tensor_destroy(t);
    return rc;
}

ei_code_t ei_tensor_load_npy(const char *path, ei_tensor_t **out, ei_error_t *err)
{
    unsigned char *data = NULL;
    size_t size = 0;
    *out = NULL;
    ei_code_t rc = ei__file_read(path, SIZE_MAX - 1, &data, &size, err);
    if (rc == EI_OK)
        rc = ei_tensor_parse_npy(data, size, path, out, err);
    ei__free(data);
    return rc;
}

/* The 'descr' NumPy uses for `t` (little-endian), or NULL when NumPy has no such type. */
static const char *save_descr(ei_dtype_t t)
{
    switch (t) {
    case EI_DTYPE_BOOL:
        return "|b1";
    case EI_DTYPE_INT8:
        return "|i1";
    case EI_DTYPE_UINT8:
        return "|u1";
    case EI_DTYPE_INT16:
        return "<i2";
    case EI_DTYPE_UINT16:
        return "<u2";
    case EI_DTYPE_INT32:
        return "<i4";
    case EI_DTYPE_UINT32:
        return "<u4";
    case EI_DTYPE_INT64:
        return "<i8";
    case EI_DTYPE_UINT64:
        return "<u8";
    case EI_DTYPE_FLOAT16:
        return "<f2";
    case EI_DTYPE_FLOAT32:
        return "<f4";
    case EI_DTYPE_FLOAT64:
        return "<f8";
    case EI_DTYPE_COMPLEX64:
        return "<c8";
    case EI_DTYPE_COMPLEX128:
        return "<c16";
    default:
        return NULL;
    }
}

/* Number of code points in a UTF-8 string, or SIZE_MAX when it is not valid UTF-8. */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; n++) {
        uint32_t cp;
        size_t k = utf8_get((const unsigned char *)s + i, len - i, &cp);
        if (k == 0)
            return SIZE_MAX;
        i += k;
    }
    return n;
}

ei_code_t ei_tensor_save_npy(const ei_tensor_t *t, const char *path, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    unsigned char *body = NULL;
    size_t body_size = 0;
    char descr[32];
    ei_dtype_t dt = ei_tensor_dtype(t);
    size_t count = ei_tensor_count(t);
    if (dt == EI_DTYPE_STRING) {
        /*
         * Strings become '<U<n>' with n the longest string in code points. A string that is not
         * valid UTF-8 cannot be unicode, so then the whole tensor is written as bytes ('|S<n>').
         */
        size_t maxchars = 1, maxbytes = 1;
        bool utf8 = true;
        for (size_t i = 0; i < count; i++) {
            size_t len = 0;
            const char *s = ei_tensor_string(t, i, &len);
            size_t chars = utf8_chars(s, len);
            if (chars == SIZE_MAX)
                utf8 = false;
            else if (chars > maxchars)
                maxchars = chars;
            if (len > maxbytes)
                maxbytes = len;
        }
        size_t item = utf8 ? maxchars * 4 : maxbytes;
        snprintf(descr, sizeof(descr), utf8 ? "<U%zu" : "|S%zu", utf8 ? maxchars : maxbytes);
        if (ei__mul_overflow(item, count, &body_size)) {
            rc = ei__fail(err, EI_ELIMIT, "%s: string tensor too large for .npy", path);
            goto out;
        }
        body = ei__calloc(body_size > 0 ? body_size : 1, 1);
        if (body == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "%s: out of memory for %zu bytes", path, body_size);
            goto out;
        }
        for (size_t i = 0; i < count; i++) {
            size_t len = 0;
            const unsigned char *s = (const unsigned char *)ei_tensor_string(t, i, &len);
            unsigned char *dst = body + i * item;
            if (!utf8) {
                memcpy(dst, s, len);
                continue;
            }
            for (size_t j = 0, k = 0; j < len; k++) {
                uint32_t cp = 0;
                j += utf8_get(s + j, len - j, &cp);
                dst[4 * k] = (unsigned char)cp;
                dst[4 * k + 1] = (unsigned char)(cp >> 8);
                dst[4 * k + 2] = (unsigned char)(cp >> 16);
                dst[4 * k + 3] = (unsigned char)(cp >> 24);
            }
        }
    } else {
        const char *d = save_descr(dt);
        if (d == NULL) {
            rc = ei__fail(err, EI_EUNSUPPORTED, "%s: NumPy has no %s type, cannot save as .npy",
                          path, ei_dtype_name(dt));
            goto out;
        }
        ei__strlcpy(descr, d, sizeof(descr));
        body_size = ei_tensor_nbytes(t);
    }
    /* The header: the dict, padded with spaces and a newline so the data starts at 64 bytes. */
    char header[1024];
    const int64_t *shape = ei_tensor_shape(t);
    size_t rank = ei_tensor_rank(t);
    int n = snprintf(header, sizeof(header), "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr);
    for (size_t k = 0; k < rank; k++)
        n += snprintf(header + n, sizeof(header) - (size_t)n, "%s%lld", k ? ", " : "",
                      (long long)shape[k]);
    n += snprintf(header + n, sizeof(header) - (size_t)n, "%s), }", rank == 1 ? "," : "");
    size_t hlen = (size_t)n + 1; /* + the newline */
    size_t total = 10 + hlen;
    size_t pad = (64 - total % 64) % 64;
    if (hlen + pad >= sizeof(header) || hlen + pad > 65535) {
        rc = ei__fail(err, EI_ELIMIT, "%s: npy header too long", path);
        goto out;
    }
    memset(header + n, ' ', pad);
    header[(size_t)n + pad] = '\n';
    hlen += pad;
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 0xFF),
                             (unsigned char)(hlen >> 8)};
    const void *data = body != NULL ? (const void *)body : ei_tensor_data(t);
    const void *parts[] = {pre, header, data};
    size_t sizes[] = {sizeof(pre), hlen, body_size};
    rc = ei__file_write(path, parts, sizes, 3, err);
out:
    ei__free(body);
    return rc;
}
