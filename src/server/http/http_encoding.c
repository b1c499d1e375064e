/* SPDX-License-Identifier: MIT */
/*
 * HTTP content codings, as Triton's HTTP endpoint has them: a request body sent with
 * `Content-Encoding: gzip` or `deflate` is inflated before anything reads it (the
 * Inference-Header-Content-Length of a binary request counts the inflated bytes), under the same
 * size limit as a plain body, so a small bomb cannot expand past it; a client that sends
 * `Accept-Encoding: gzip` or `deflate` gets large successful responses compressed (zlib level 1:
 * a tensor reply is compressed in a fraction of the time level 6 takes, for a few percent more
 * bytes). "deflate" is the zlib format (RFC 9110), as tritonclient sends it.
 */
#include "http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Whether the token [s, s+n) equals `name`, ignoring case. */
static bool token_is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static int coding_of(const char *s, size_t n)
{
    if (n == 0 || token_is(s, n, "identity"))
        return EI__ENC_IDENTITY;
    if (token_is(s, n, "gzip") || token_is(s, n, "x-gzip"))
        return EI__ENC_GZIP;
    if (token_is(s, n, "deflate"))
        return EI__ENC_DEFLATE;
    return -1;
}

int ei__content_encoding(const char *h)
{
    if (h == NULL)
        return EI__ENC_IDENTITY;
    while (isspace((unsigned char)*h))
        h++;
    size_t n = strlen(h);
    while (n > 0 && isspace((unsigned char)h[n - 1]))
        n--;
    return coding_of(h, n);
}

int ei__accept_encoding(const char *h)
{
    bool gzip = false, deflate = false, any = false, gzip_refused = false;
    while (h != NULL && *h) {
        const char *end = strchr(h, ',');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        const char *t = h, *semi = memchr(h, ';', len);
        size_t tl = semi ? (size_t)(semi - h) : len;
        while (tl > 0 && isspace((unsigned char)*t))
            t++, tl--;
        while (tl > 0 && isspace((unsigned char)t[tl - 1]))
            tl--;
        /* "q=0" (any spelling of zero) refuses the coding. */
        bool refused = false;
        if (semi != NULL) {
            const char *q = semi + 1;
            while (q < h + len && isspace((unsigned char)*q))
                q++;
            if (q + 2 <= h + len && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
                refused = true;
                for (const char *d = q + 2; d < h + len && !isspace((unsigned char)*d); d++)
                    if (*d >= '1' && *d <= '9')
                        refused = false;
            }
        }
        int c = coding_of(t, tl);
        if (c == EI__ENC_GZIP && refused)
            gzip_refused = true;
        else if (c == EI__ENC_GZIP)
            gzip = true;
        else if (c == EI__ENC_DEFLATE && !refused)
            deflate = true;
        else if (token_is(t, tl, "*") && !refused)
            any = true; /* "any coding not listed": gzip, unless gzip itself was refused */
        h = end ? end + 1 : NULL;
    }
    if (gzip || (any && !gzip_refused))
        return EI__ENC_GZIP;
    return deflate ? EI__ENC_DEFLATE : EI__ENC_IDENTITY;
}

const char *ei__encoding_name(int enc)
{
    return enc == EI__ENC_GZIP ? "gzip" : enc == EI__ENC_DEFLATE ? "deflate" : "identity";
}

/* zlib's window bits: 15, plus 16 for the gzip wrapper. */
static int window_bits(int enc)
{
    return enc == EI__ENC_GZIP ? 15 + 16 : 15;
}

ei_code_t ei__inflate(int enc, const char *in, size_t n, size_t limit, char **out, size_t *out_len,
                      ei_error_t *err)
{
    const char *name = ei__encoding_name(enc);
    *out = NULL;
    *out_len = 0;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, window_bits(enc)) != Z_OK)
        return ei__fail(err, EI_ENOMEM, "cannot start %s decoding", name);
    /* A first guess of 4x, grown by doubling: never more than the limit allows. */
    size_t cap = n * 4 + 4096 < limit + 1 ? n * 4 + 4096 : limit + 1;
    char *buf = ei__malloc(cap + 1);
    ei_code_t rc = EI_OK;
    if (buf == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory inflating a %zu-byte %s body", n, name);
        goto out;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    size_t fed = 0;
    int zr = Z_OK;
    while (zr != Z_STREAM_END) {
        if (z.avail_in == 0 && fed < n) { /* avail_in is 32-bit: feed large bodies in pieces */
            size_t piece = n - fed > (1u << 30) ? (1u << 30) : n - fed;
            z.avail_in = (uInt)piece;
            fed += piece;
        }
        if (z.total_out == cap) {
            if (cap > limit) {
                rc = ei__fail(err, EI_ELIMIT,
                              "request body inflates (%s) to more than the limit of %zu bytes",
                              name, limit);
                goto out;
            }
            size_t ncap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            char *nb = ei__realloc(buf, ncap + 1);
            if (nb == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "out of memory inflating a %s body", name);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t room = cap - z.total_out;
        z.next_out = (Bytef *)buf + z.total_out;
        z.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        zr = inflate(&z, Z_NO_FLUSH);
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && fed == n) {
            rc = ei__fail(err, EI_EFORMAT, "%s request body is truncated", name);
            goto out;
        }
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            rc = ei__fail(err, EI_EFORMAT, "request body is not valid %s data: %s", name,
                          z.msg ? z.msg : "corrupt stream");
            goto out;
        }
    }
    if (z.avail_in > 0 || fed < n) {
        rc = ei__fail(err, EI_EFORMAT, "%zu bytes after the end of the %s request body",
                      (size_t)(n - fed) + z.avail_in, name);
        goto out;
    }
    if (z.total_out > limit) {
        rc =
            ei__fail(err, EI_ELIMIT,
                     "request body inflates (%s) to more than the limit of %zu bytes", name, limit);
        goto out;
    }
    buf[z.total_out] = '\0';
    *out = buf;
    *out_len = z.total_out;
    buf = NULL;
out:
    inflateEnd(&z);
    ei__free(buf);
    return rc;
}

ei_code_t ei__deflate(int enc, const char *in, size_t n, char **out, size_t *out_len,
                      ei_error_t *err)
{
    const char *name = ei__encoding_name(enc);
    *out = NULL;
    *out_len = 0;
    if (n > (1u << 30))
        return ei__fail(err, EI_ELIMIT, "response too large to %s-encode in one piece", name);
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 1, Z_DEFLATED, window_bits(enc), 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ei__fail(err, EI_ENOMEM, "cannot start %s encoding", name);
    size_t cap = deflateBound(&z, (uLong)n);
    char *buf = ei__malloc(cap);
    ei_code_t rc = EI_OK;
    if (buf == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory %s-encoding a response", name);
        goto out;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        rc = ei__fail(err, EI_ERUNTIME, "%s encoding did not finish", name);
        goto out;
    }
    *out = buf;
    *out_len = z.total_out;
    buf = NULL;
out:
    deflateEnd(&z);
    ei__free(buf);
    return rc;
}
