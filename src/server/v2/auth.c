/* SPDX-License-Identifier: MIT */
/*
 * API keys: the key file, the table swapped on reload, and the protocol-neutral check (see
 * auth.h). The key file has one key per line, "NAME sha256:HEX SCOPE[,SCOPE...]" ('#' comments and
 * blank lines ignored), where HEX is the SHA-256 of the token. A presented token is hashed once and
 * compared with every entry in constant time (sodium_memcmp, no early exit), so neither the
 * comparison nor the position of the matching key shows in the timing.
 */
#include "auth.h"

#include <edgeinfer/server.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define KEYFILE_MAX (1u << 20)
#define NAME_MAX_LEN 64
#define TOKEN_MAX 4096

typedef struct {
    char name[NAME_MAX_LEN + 1];
    unsigned char hash[crypto_hash_sha256_BYTES];
    unsigned scopes;
} key_t_;

typedef struct {
    key_t_ *keys;
    size_t n;
} table_t;

struct ei__auth {
    char *path;
    bool protect_health;
    pthread_rwlock_t lock; /* readers: checks; writer: the swap on reload */
    table_t *t;
};

static const struct {
    const char *name;
    unsigned bit;
} scope_names[] = {
    {"health", EI__SCOPE_HEALTH},
    {"metadata", EI__SCOPE_METADATA},
    {"infer", EI__SCOPE_INFER},
    {"repository", EI__SCOPE_REPOSITORY},
    {"shm", EI__SCOPE_SHM},
    {"metrics", EI__SCOPE_METRICS},
    {"statistics", EI__SCOPE_STATISTICS},
};

const char *ei__scope_name(unsigned scope)
{
    for (size_t i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++) {
        if (scope_names[i].bit == scope)
            return scope_names[i].name;
    }
    return "?";
}

bool ei__scope_parse(const char *list, size_t len, unsigned *out)
{
    unsigned bits = 0;
    size_t i = 0;
    if (len == 0)
        return false;
    while (i <= len) {
        size_t s = i;
        while (i < len && list[i] != ',')
            i++;
        size_t n = i - s;
        bool known = false;
        if (n == 1 && list[s] == '*') {
            bits |= EI__SCOPE_ALL;
            known = true;
        }
        for (size_t k = 0; !known && k < sizeof(scope_names) / sizeof(scope_names[0]); k++) {
            if (strlen(scope_names[k].name) == n && memcmp(scope_names[k].name, list + s, n) == 0) {
                bits |= scope_names[k].bit;
                known = true;
            }
        }
        if (!known)
            return false;
        i++; /* past the ',' (or the end) */
    }
    /* Running inference needs the model's metadata (clients read it first). */
    if (bits & EI__SCOPE_INFER)
        bits |= EI__SCOPE_METADATA;
    *out = bits;
    return true;
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '@'))
            return false;
    }
    return true;
}

/* The next whitespace-separated field of line [*p, end). */
static bool next_field(const char **p, const char *end, const char **f, size_t *n)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *e = s;
    while (e < end && *e != ' ' && *e != '\t')
        e++;
    *f = s;
    *n = (size_t)(e - s);
    *p = e;
    return e > s;
}

static void table_free(table_t *t)
{
    if (t == NULL)
        return;
    sodium_memzero(t->keys, t->n * sizeof(*t->keys));
    ei__free(t->keys);
    ei__free(t);
}

static ei_code_t parse_line(const char *l, const char *end, key_t_ *k, const char *path,
                            unsigned line_no, ei_error_t *err)
{
    const char *f;
    size_t n;
    memset(k, 0, sizeof(*k));
    if (!next_field(&l, end, &f, &n) || !name_ok(f, n))
        return ei__fail(err, EI_EFORMAT,
                        "%s: line %u: expected a key name (1-64 of A-Z a-z 0-9 - _ . @)", path,
                        line_no);
    memcpy(k->name, f, n);
    if (!next_field(&l, end, &f, &n))
        return ei__fail(err, EI_EFORMAT, "%s: line %u: key '%s' has no hash", path, line_no,
                        k->name);
    if (n > 7 && memcmp(f, "sha256:", 7) == 0) {
        f += 7;
        n -= 7;
    }
    size_t got = 0;
    const char *hend = NULL;
    if (n != 2 * sizeof(k->hash) ||
        sodium_hex2bin(k->hash, sizeof(k->hash), f, n, NULL, &got, &hend) != 0 ||
        got != sizeof(k->hash) || hend != f + n)
        return ei__fail(err, EI_EFORMAT,
                        "%s: line %u: key '%s': expected sha256:<64 hex digits>, the SHA-256 of "
                        "the token (never the token itself)",
                        path, line_no, k->name);
    if (!next_field(&l, end, &f, &n) || !ei__scope_parse(f, n, &k->scopes))
        return ei__fail(err, EI_EFORMAT,
                        "%s: line %u: key '%s': expected scopes from health, metadata, infer, "
                        "repository, shm, metrics, statistics or '*', comma separated",
                        path, line_no, k->name);
    if (next_field(&l, end, &f, &n))
        return ei__fail(err, EI_EFORMAT, "%s: line %u: key '%s': unexpected text after the scopes",
                        path, line_no, k->name);
    return EI_OK;
}

/* Reads and parses the whole key file into a new table. */
static ei_code_t load_table(const char *path, table_t **out, ei_error_t *err)
{
    unsigned char *text = NULL;
    size_t len = 0, cap = 0;
    table_t *t = NULL;
    unsigned line_no = 0;
    *out = NULL;
    ei_code_t rc = ei__file_read(path, KEYFILE_MAX, &text, &len, err);
    if (rc != EI_OK)
        return rc;
    t = ei__calloc(1, sizeof(*t));
    if (t == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    const char *p = (const char *)text, *end = p + len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        const char *le = e != NULL ? e : end;
        const char *s = p;
        p = e != NULL ? e + 1 : end;
        line_no++;
        while (le > s && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
            le--;
        while (s < le && (*s == ' ' || *s == '\t'))
            s++;
        if (s == le || *s == '#')
            continue;
        if (t->n == cap) {
            size_t c = cap ? cap * 2 : 8;
            key_t_ *k = ei__realloc(t->keys, c * sizeof(*k));
            if (k == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "out of memory");
                goto out;
            }
            t->keys = k;
            cap = c;
        }
        rc = parse_line(s, le, &t->keys[t->n], path, line_no, err);
        if (rc != EI_OK)
            goto out;
        for (size_t i = 0; i < t->n; i++) {
            if (strcmp(t->keys[i].name, t->keys[t->n].name) == 0) {
                rc = ei__fail(err, EI_EFORMAT, "%s: line %u: key name '%s' appears twice", path,
                              line_no, t->keys[i].name);
                goto out;
            }
        }
        t->n++;
    }
    if (t->n == 0) {
        rc = ei__fail(err, EI_EFORMAT, "%s: no keys (every protected request would be refused)",
                      path);
        goto out;
    }
    *out = t;
    t = NULL;
out:
    table_free(t);
    ei__free(text);
    return rc;
}

ei_code_t ei__auth_create(const char *path, bool protect_health, ei__auth_t **out, ei_error_t *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return ei__fail(err, EI_ERUNTIME, "libsodium failed to initialise");
    ei__auth_t *a = ei__calloc(1, sizeof(*a));
    if (a == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    a->path = ei__strdup(path);
    a->protect_health = protect_health;
    if (a->path == NULL) {
        ei__free(a);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    ei_code_t rc = load_table(path, &a->t, err);
    if (rc != EI_OK) {
        ei__free(a->path);
        ei__free(a);
        return rc;
    }
    pthread_rwlock_init(&a->lock, NULL);
    *out = a;
    return EI_OK;
}

ei_code_t ei__auth_reload(ei__auth_t *a, ei_error_t *err)
{
    table_t *t = NULL;
    ei_code_t rc = load_table(a->path, &t, err);
    if (rc != EI_OK)
        return rc;
    pthread_rwlock_wrlock(&a->lock);
    table_t *old = a->t;
    a->t = t;
    pthread_rwlock_unlock(&a->lock);
    table_free(old);
    return EI_OK;
}

size_t ei__auth_key_count(ei__auth_t *a)
{
    pthread_rwlock_rdlock(&a->lock);
    size_t n = a->t->n;
    pthread_rwlock_unlock(&a->lock);
    return n;
}

void ei__auth_destroy(ei__auth_t *a)
{
    if (a == NULL)
        return;
    table_free(a->t);
    pthread_rwlock_destroy(&a->lock);
    ei__free(a->path);
    ei__free(a);
}

/* The token of "Bearer TOKEN" (scheme case-insensitive, RFC 6750); false when malformed. */
static bool bearer_token(const char *v, const char **tok, size_t *n)
{
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "Bearer", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
        return false;
    v += 6;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t len = strnlen(v, TOKEN_MAX + 1);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (len == 0 || len > TOKEN_MAX)
        return false;
    *tok = v;
    *n = len;
    return true;
}

ei__auth_verdict_t ei__auth_check(ei__auth_t *a, unsigned needed, const char *authorization,
                                  char *who, size_t who_size)
{
    const char *tok = NULL;
    size_t n = 0;
    unsigned char h[crypto_hash_sha256_BYTES];
    if (who != NULL && who_size > 0)
        who[0] = '\0';
    if (a == NULL || needed == EI__SCOPE_OPEN)
        return EI__AUTH_ALLOW;
    if (needed == EI__SCOPE_HEALTH && !a->protect_health)
        return EI__AUTH_ALLOW;
    if (authorization == NULL)
        return EI__AUTH_MISSING;
    if (!bearer_token(authorization, &tok, &n))
        return EI__AUTH_INVALID;
    crypto_hash_sha256(h, (const unsigned char *)tok, n);
    pthread_rwlock_rdlock(&a->lock);
    const table_t *t = a->t;
    size_t match = t->n;
    for (size_t i = 0; i < t->n; i++) {
        /* Every entry is compared; the match is recorded without branching on the bytes. */
        int same = sodium_memcmp(h, t->keys[i].hash, sizeof(h)) == 0;
        match = same ? i : match;
    }
    ei__auth_verdict_t v = EI__AUTH_INVALID;
    if (match < t->n) {
        v = (t->keys[match].scopes & needed) == needed ? EI__AUTH_ALLOW : EI__AUTH_FORBIDDEN;
        if (who != NULL && who_size > 0)
            ei__strlcpy(who, t->keys[match].name, who_size);
    }
    pthread_rwlock_unlock(&a->lock);
    sodium_memzero(h, sizeof(h));
    return v;
}

void ei__auth_message(ei__auth_verdict_t v, unsigned needed, const char *who, char *buf,
                      size_t size)
{
    switch (v) {
    case EI__AUTH_ALLOW:
        snprintf(buf, size, "allowed");
        return;
    case EI__AUTH_MISSING:
        snprintf(buf, size, "an API key is required (Authorization: Bearer <key>)");
        return;
    case EI__AUTH_INVALID:
        snprintf(buf, size, "invalid API key");
        return;
    case EI__AUTH_FORBIDDEN:
        snprintf(buf, size, "the API key '%s' lacks the '%s' scope", who != NULL ? who : "?",
                 ei__scope_name(needed));
        return;
    }
    snprintf(buf, size, "refused");
}

ei_code_t ei_server_api_key_new(const char *name, const char *scopes, char *token,
                                size_t token_size, char *line, size_t line_size, ei_error_t *err)
{
    unsigned char raw[32], h[crypto_hash_sha256_BYTES];
    char b64[64], hex[2 * sizeof(h) + 1];
    unsigned bits = 0;
    if (name == NULL || !name_ok(name, strlen(name)))
        return ei__fail(err, EI_EINVAL, "API key name '%s': expected 1-64 of A-Z a-z 0-9 - _ . @",
                        name != NULL ? name : "");
    if (scopes == NULL || !ei__scope_parse(scopes, strlen(scopes), &bits))
        return ei__fail(err, EI_EINVAL,
                        "scopes '%s': expected health, metadata, infer, repository, shm, "
                        "metrics, statistics or '*', comma separated",
                        scopes != NULL ? scopes : "");
    if (sodium_init() < 0)
        return ei__fail(err, EI_ERUNTIME, "libsodium failed to initialise");
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    ei_code_t rc = EI_OK;
    int w = snprintf(token, token_size, "ei_%s", b64);
    if (w < 0 || (size_t)w >= token_size) {
        rc = ei__fail(err, EI_ELIMIT, "token buffer too small");
        goto out;
    }
    crypto_hash_sha256(h, (const unsigned char *)token, (unsigned long long)w);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    w = snprintf(line, line_size, "%s sha256:%s %s", name, hex, scopes);
    if (w < 0 || (size_t)w >= line_size)
        rc = ei__fail(err, EI_ELIMIT, "line buffer too small");
out:
    sodium_memzero(b64, sizeof(b64));
    if (rc != EI_OK)
        sodium_memzero(token, token_size);
    return rc;
}
