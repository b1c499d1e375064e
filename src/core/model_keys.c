/* SPDX-License-Identifier: MIT */
/*
 * Keys for model signing and encryption: the one-line key files (parse and write), key ids,
 * trusted-key rings and model encryption keys held in libsodium's guarded memory. Signing and
 * encryption themselves are in model_sign.c and model_encrypt.c.
 */
#include "model_crypto_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ei_code_t ei__sodium_init(ei_error_t *err)
{
    if (sodium_init() < 0)
        return ei__fail(err, EI_ERUNTIME, "libsodium failed to initialise");
    return EI_OK;
}

static const char *key_tag(ei__key_kind_t kind)
{
    switch (kind) {
    case EI__KEY_PUBLIC:
        return "edgeinfer-ed25519-public";
    case EI__KEY_SECRET:
        return "edgeinfer-ed25519-secret";
    case EI__KEY_MODEL:
        return "edgeinfer-model-key";
    }
    return "?";
}

static size_t key_len(ei__key_kind_t kind)
{
    return kind == EI__KEY_SECRET   ? EI__SK_BYTES
           : kind == EI__KEY_PUBLIC ? EI__PK_BYTES
                                    : EI__MKEY_BYTES;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decodes standard base64 (padding required) into exactly `want` bytes. */
static bool b64_exact(const char *s, size_t len, unsigned char *out, size_t want)
{
    unsigned char tmp[EI__SK_BYTES + 4];
    size_t got = 0;
    const char *end = NULL;
    if (len == 0 || want > EI__SK_BYTES)
        return false;
    if (sodium_base642bin(tmp, sizeof(tmp), s, len, NULL, &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != s + len || got != want) {
        sodium_memzero(tmp, sizeof(tmp));
        return false;
    }
    memcpy(out, tmp, want);
    sodium_memzero(tmp, sizeof(tmp));
    return true;
}

ei_code_t ei__key_parse(const char *text, size_t len, ei__key_kind_t kind, bool allow_bare,
                        unsigned char *out, const char *what, ei_error_t *err)
{
    const char *tag = key_tag(kind);
    size_t tag_len = strlen(tag), want = key_len(kind);
    size_t pos = 0;
    unsigned line_no = 0;
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    while (pos < len) {
        size_t start = pos, end;
        while (pos < len && text[pos] != '\n')
            pos++;
        end = pos;
        if (pos < len)
            pos++; /* the '\n' */
        line_no++;
        while (start < end && is_space(text[start]))
            start++;
        while (end > start && is_space(text[end - 1]))
            end--;
        if (start == end || text[start] == '#')
            continue;
        const char *l = text + start;
        size_t n = end - start;
        if (n > tag_len && memcmp(l, tag, tag_len) == 0 && is_space(l[tag_len])) {
            size_t v = tag_len;
            while (v < n && is_space(l[v]))
                v++;
            if (!b64_exact(l + v, n - v, out, want))
                return ei__fail(err, EI_EFORMAT,
                                "%s: line %u: expected %zu bytes of base64 after '%s'", what,
                                line_no, want, tag);
            return EI_OK;
        }
        if (allow_bare && b64_exact(l, n, out, want))
            return EI_OK;
        /* Name a key of the wrong kind, the most likely mistake (a .pub given for a .sec...). */
        for (int k = EI__KEY_PUBLIC; k <= EI__KEY_MODEL; k++) {
            const char *other = key_tag((ei__key_kind_t)k);
            size_t ol = strlen(other);
            if ((ei__key_kind_t)k != kind && n >= ol && memcmp(l, other, ol) == 0)
                return ei__fail(err, EI_EFORMAT, "%s: holds a '%s' key, expected a '%s' key", what,
                                other, tag);
        }
        return ei__fail(err, EI_EFORMAT,
                        "%s: line %u: not an edgeinfer key line (expected '%s <base64>')", what,
                        line_no, tag);
    }
    return ei__fail(err, EI_EFORMAT, "%s: no key found (expected a line '%s <base64>')", what, tag);
}

void ei__key_id(const unsigned char *key, size_t len, unsigned char id[EI__ID_BYTES])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof(h), key, len, (const unsigned char *)"edgeinfer-key-id", 16);
    memcpy(id, h, EI__ID_BYTES);
}

void ei__key_id_hex(const unsigned char id[EI__ID_BYTES], char out[EI_KEY_ID_SIZE])
{
    sodium_bin2hex(out, EI_KEY_ID_SIZE, id, EI__ID_BYTES);
}

/* Reads a key file (small, regular) and parses it; the text is wiped before it is freed. */
static ei_code_t key_file_read(const char *path, ei__key_kind_t kind, unsigned char *out,
                               ei_error_t *err)
{
    unsigned char *text = NULL;
    size_t n = 0;
    ei_code_t rc = ei__file_read(path, EI__KEYFILE_MAX, &text, &n, err);
    if (rc == EI_ELIMIT)
        return ei__fail(err, EI_EFORMAT, "%s: too big for a key file (over %d bytes)", path,
                        EI__KEYFILE_MAX);
    if (rc != EI_OK)
        return rc;
    rc = ei__key_parse((const char *)text, n, kind, false, out, path, err);
    sodium_memzero(text, n);
    ei__free(text);
    return rc;
}

/*
 * Writes one key line to a new file: O_EXCL so that an existing key is never overwritten, and
 * mode 0600 for secrets (0644 for public keys). The line is wiped from memory afterwards.
 */
static ei_code_t key_file_write(const char *path, ei__key_kind_t kind, const unsigned char *key,
                                ei_error_t *err)
{
    char line[256];
    size_t want = key_len(kind);
    int w = snprintf(line, sizeof(line), "%s ", key_tag(kind));
    if (w < 0)
        return ei__fail(err, EI_ERUNTIME, "formatting key line");
    sodium_bin2base64(line + w, sizeof(line) - (size_t)w - 1, key, want,
                      sodium_base64_VARIANT_ORIGINAL);
    size_t len = strlen(line);
    line[len++] = '\n';
    int fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kind == EI__KEY_PUBLIC ? 0644 : 0600);
    ei_code_t rc = EI_OK;
    if (fd < 0) {
        rc = errno == EEXIST
                 ? ei__fail(err, EI_EINVAL, "%s: already exists (keys are never overwritten)", path)
                 : ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "%s: %s", path,
                            strerror(errno));
    } else {
        ssize_t n = write(fd, line, len);
        if (n != (ssize_t)len)
            rc = ei__fail(err, EI_EIO, "%s: write error: %s", path,
                          n < 0 ? strerror(errno) : "short write");
        if (close(fd) != 0 && rc == EI_OK)
            rc = ei__fail(err, EI_EIO, "%s: write error: %s", path, strerror(errno));
        if (rc != EI_OK)
            unlink(path);
    }
    sodium_memzero(line, sizeof(line));
    return rc;
}

ei_code_t ei_sign_keygen(const char *public_path, const char *secret_path,
                         char key_id[EI_KEY_ID_SIZE], ei_error_t *err)
{
    unsigned char pk[EI__PK_BYTES], sk[EI__SK_BYTES], id[EI__ID_BYTES];
    if (public_path == NULL || secret_path == NULL)
        return ei__fail(err, EI_EINVAL, "key paths are NULL");
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    if (access(public_path, F_OK) == 0)
        return ei__fail(err, EI_EINVAL, "%s: already exists (keys are never overwritten)",
                        public_path);
    crypto_sign_keypair(pk, sk);
    ei_code_t rc = key_file_write(secret_path, EI__KEY_SECRET, sk, err);
    sodium_memzero(sk, sizeof(sk));
    if (rc != EI_OK)
        return rc;
    rc = key_file_write(public_path, EI__KEY_PUBLIC, pk, err);
    if (rc != EI_OK) {
        unlink(secret_path);
        return rc;
    }
    ei__key_id(pk, sizeof(pk), id);
    if (key_id != NULL)
        ei__key_id_hex(id, key_id);
    return EI_OK;
}

ei_code_t ei_model_keygen(const char *path, ei_error_t *err)
{
    unsigned char k[EI__MKEY_BYTES];
    if (path == NULL)
        return ei__fail(err, EI_EINVAL, "key path is NULL");
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    crypto_aead_xchacha20poly1305_ietf_keygen(k);
    ei_code_t rc = key_file_write(path, EI__KEY_MODEL, k, err);
    sodium_memzero(k, sizeof(k));
    return rc;
}

/* Key rings ------------------------------------------------------------------------------------ */

struct ei_keyring {
    size_t n, cap;
    struct ring_key {
        unsigned char pk[EI__PK_BYTES];
        unsigned char id[EI__ID_BYTES];
    } * keys;
};

ei_code_t ei_keyring_create(ei_keyring_t **out, ei_error_t *err)
{
    *out = NULL;
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    ei_keyring_t *kr = ei__calloc(1, sizeof(*kr));
    if (kr == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    *out = kr;
    return EI_OK;
}

static ei_code_t ring_add(ei_keyring_t *kr, const unsigned char *pk, char *key_id, ei_error_t *err)
{
    unsigned char id[EI__ID_BYTES];
    ei__key_id(pk, EI__PK_BYTES, id);
    if (key_id != NULL)
        ei__key_id_hex(id, key_id);
    if (ei__keyring_find(kr, id) != NULL)
        return EI_OK; /* the same key twice (a copy under another name) */
    if (kr->n == kr->cap) {
        size_t cap = kr->cap ? kr->cap * 2 : 4;
        void *p = ei__realloc(kr->keys, cap * sizeof(*kr->keys));
        if (p == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory");
        kr->keys = p;
        kr->cap = cap;
    }
    memcpy(kr->keys[kr->n].pk, pk, EI__PK_BYTES);
    memcpy(kr->keys[kr->n].id, id, EI__ID_BYTES);
    kr->n++;
    return EI_OK;
}

ei_code_t ei_keyring_add_file(ei_keyring_t *kr, const char *path, char key_id[EI_KEY_ID_SIZE],
                              ei_error_t *err)
{
    unsigned char pk[EI__PK_BYTES];
    if (kr == NULL || path == NULL)
        return ei__fail(err, EI_EINVAL, "key ring or path is NULL");
    ei_code_t rc = key_file_read(path, EI__KEY_PUBLIC, pk, err);
    if (rc != EI_OK)
        return rc;
    return ring_add(kr, pk, key_id, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

ei_code_t ei_keyring_add_dir(ei_keyring_t *kr, const char *dir, ei_error_t *err)
{
    if (kr == NULL || dir == NULL)
        return ei__fail(err, EI_EINVAL, "key ring or directory is NULL");
    DIR *d = opendir(dir);
    if (d == NULL)
        return ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    ei_code_t rc = EI_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l <= 4 || e->d_name[0] == '.' || strcmp(e->d_name + l - 4, ".pub") != 0)
            continue;
        if (n == cap) {
            size_t c = cap ? cap * 2 : 8;
            char **p = ei__realloc(names, c * sizeof(*names));
            if (p == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "out of memory");
                goto out;
            }
            names = p;
            cap = c;
        }
        names[n] = ei__strdup(e->d_name);
        if (names[n] == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    if (n == 0) {
        rc = ei__fail(err, EI_ENOTFOUND, "%s: no public keys (*.pub files) in this directory", dir);
        goto out;
    }
    qsort(names, n, sizeof(*names), cmp_str); /* a stable order for messages */
    for (size_t i = 0; i < n && rc == EI_OK; i++) {
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
            rc = ei__fail(err, EI_EINVAL, "%s/%s: path too long", dir, names[i]);
            break;
        }
        rc = ei_keyring_add_file(kr, path, NULL, err);
    }
out:
    for (size_t i = 0; i < n; i++)
        ei__free(names[i]);
    ei__free(names);
    closedir(d);
    return rc;
}

size_t ei_keyring_count(const ei_keyring_t *kr)
{
    return kr != NULL ? kr->n : 0;
}

const unsigned char *ei__keyring_find(const ei_keyring_t *kr, const unsigned char id[EI__ID_BYTES])
{
    for (size_t i = 0; kr != NULL && i < kr->n; i++) {
        if (memcmp(kr->keys[i].id, id, EI__ID_BYTES) == 0)
            return kr->keys[i].pk;
    }
    return NULL;
}

void ei_keyring_destroy(ei_keyring_t *kr)
{
    if (kr == NULL)
        return;
    ei__free(kr->keys);
    ei__free(kr);
}

/* Model keys ----------------------------------------------------------------------------------- */

/*
 * The 32 key bytes live in sodium_malloc() memory: guard pages around it, locked against swapping,
 * excluded from core dumps, read-only once filled, and wiped by sodium_free().
 */
struct ei_model_key {
    unsigned char *bytes;
    unsigned char id[EI__ID_BYTES];
};

ei_code_t ei__model_key_from_bytes(const unsigned char *bytes, ei_model_key_t **out,
                                   ei_error_t *err)
{
    *out = NULL;
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    ei_model_key_t *k = ei__calloc(1, sizeof(*k));
    if (k == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    k->bytes = sodium_malloc(EI__MKEY_BYTES);
    if (k->bytes == NULL) {
        ei__free(k);
        return ei__fail(err, EI_ENOMEM, "out of memory for a model key");
    }
    memcpy(k->bytes, bytes, EI__MKEY_BYTES);
    sodium_mprotect_readonly(k->bytes);
    ei__key_id(bytes, EI__MKEY_BYTES, k->id);
    *out = k;
    return EI_OK;
}

static ei_code_t model_key_from_text(const char *text, size_t len, bool bare, const char *what,
                                     ei_model_key_t **out, ei_error_t *err)
{
    unsigned char raw[EI__MKEY_BYTES];
    ei_code_t rc = ei__key_parse(text, len, EI__KEY_MODEL, bare, raw, what, err);
    if (rc == EI_OK)
        rc = ei__model_key_from_bytes(raw, out, err);
    sodium_memzero(raw, sizeof(raw));
    return rc;
}

ei_code_t ei_model_key_load(const char *path, ei_model_key_t **out, ei_error_t *err)
{
    unsigned char raw[EI__MKEY_BYTES];
    *out = NULL;
    if (path == NULL)
        return ei__fail(err, EI_EINVAL, "key path is NULL");
    ei_code_t rc = key_file_read(path, EI__KEY_MODEL, raw, err);
    if (rc == EI_OK)
        rc = ei__model_key_from_bytes(raw, out, err);
    sodium_memzero(raw, sizeof(raw));
    return rc;
}

ei_code_t ei_model_key_from_env(const char *var, ei_model_key_t **out, ei_error_t *err)
{
    *out = NULL;
    if (var == NULL)
        var = EI_MODEL_KEY_ENV;
    const char *v = getenv(var);
    if (v == NULL || v[0] == '\0')
        return ei__fail(err, EI_ENOTFOUND, "environment variable %s is not set", var);
    char what[160];
    snprintf(what, sizeof(what), "environment variable %s", var);
    return model_key_from_text(v, strlen(v), true, what, out, err);
}

void ei_model_key_id(const ei_model_key_t *key, char key_id[EI_KEY_ID_SIZE])
{
    if (key == NULL) {
        key_id[0] = '\0';
        return;
    }
    ei__key_id_hex(key->id, key_id);
}

const unsigned char *ei__model_key_bytes(const ei_model_key_t *key)
{
    return key->bytes;
}

void ei_model_key_destroy(ei_model_key_t *key)
{
    if (key == NULL)
        return;
    sodium_free(key->bytes);
    ei__free(key);
}
