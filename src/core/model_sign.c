/* SPDX-License-Identifier: MIT */
/*
 * Detached Ed25519 signatures over a model file's BLAKE2b-512 hash: the signature file (write,
 * parse), signing and verification. The signed message is a fixed domain string followed by the
 * hash, so a signature made here can never be mistaken for one over anything else.
 */
#include "model_crypto_internal.h"

#include <stdio.h>
#include <string.h>

#define SIG_DOMAIN "edgeinfer-model-signature-v1"
#define SIG_MAGIC "edgeinfer-signature v1"
/* Models are read whole; the limit only guards against reading a device or a runaway file. */
#define MODEL_MAX ((size_t)1 << 40)

static void model_hash(const void *data, size_t n, unsigned char hash[EI__HASH_BYTES])
{
    crypto_generichash(hash, EI__HASH_BYTES, data, n, NULL, 0);
}

static void signed_message(const unsigned char hash[EI__HASH_BYTES],
                           unsigned char msg[sizeof(SIG_DOMAIN) - 1 + EI__HASH_BYTES])
{
    memcpy(msg, SIG_DOMAIN, sizeof(SIG_DOMAIN) - 1);
    memcpy(msg + sizeof(SIG_DOMAIN) - 1, hash, EI__HASH_BYTES);
}

/* The next line of `text` without its end-of-line; false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len)
        return false;
    size_t s = *pos, e = s;
    while (e < len && text[e] != '\n')
        e++;
    *pos = e < len ? e + 1 : e;
    if (e > s && text[e - 1] == '\r')
        e--;
    *line = text + s;
    *n = e - s;
    return true;
}

/* "<prefix><value>": the value part if the line starts with prefix. */
static bool field(const char *line, size_t n, const char *prefix, const char **v, size_t *vn)
{
    size_t p = strlen(prefix);
    if (n < p || memcmp(line, prefix, p) != 0)
        return false;
    *v = line + p;
    *vn = n - p;
    return true;
}

static bool hex_exact(const char *s, size_t n, unsigned char *out, size_t want)
{
    size_t got = 0;
    const char *end = NULL;
    if (n != want * 2)
        return false;
    return sodium_hex2bin(out, want, s, n, NULL, &got, &end) == 0 && got == want && end == s + n;
}

ei_code_t ei__sig_parse(const char *text, size_t len, ei__signature_t *out, const char *what,
                        ei_error_t *err)
{
    static const char *const expect[] = {SIG_MAGIC, "key-id ", "hash blake2b-512 ",
                                         "signature ed25519 "};
    size_t pos = 0;
    memset(out, 0, sizeof(*out));
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    for (unsigned i = 0; i < 4; i++) {
        const char *line = NULL, *v = NULL;
        size_t n = 0, vn = 0;
        if (!next_line(text, len, &pos, &line, &n))
            return ei__fail(err, EI_EFORMAT, "%s: truncated signature file (line %u missing)", what,
                            i + 1);
        if (i == 0) {
            if (n != strlen(SIG_MAGIC) || memcmp(line, SIG_MAGIC, n) != 0)
                return ei__fail(err, EI_EFORMAT,
                                "%s: not an edgeinfer signature file (first line must be '%s')",
                                what, SIG_MAGIC);
            continue;
        }
        if (!field(line, n, expect[i], &v, &vn))
            return ei__fail(err, EI_EFORMAT, "%s: line %u: expected '%s...'", what, i + 1,
                            expect[i]);
        bool ok = i == 1   ? hex_exact(v, vn, out->key_id, EI__ID_BYTES)
                  : i == 2 ? hex_exact(v, vn, out->hash, EI__HASH_BYTES)
                           : false;
        if (i == 3) {
            size_t got = 0;
            const char *end = NULL;
            ok = vn > 0 &&
                 sodium_base642bin(out->sig, EI__SIG_BYTES, v, vn, NULL, &got, &end,
                                   sodium_base64_VARIANT_ORIGINAL) == 0 &&
                 got == EI__SIG_BYTES && end == v + vn;
        }
        if (!ok)
            return ei__fail(err, EI_EFORMAT, "%s: line %u: malformed %s", what, i + 1,
                            i == 1   ? "key id (16 hex digits)"
                            : i == 2 ? "hash (128 hex digits)"
                                     : "signature (base64 of 64 bytes)");
    }
    /* Only blank lines may follow: anything else means the file is not what we wrote. */
    for (; pos < len; pos++) {
        char c = text[pos];
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
            return ei__fail(err, EI_EFORMAT, "%s: unexpected text after the signature", what);
    }
    return EI_OK;
}

ei_code_t ei__sig_check(const ei__signature_t *sig, const void *data, size_t n,
                        const ei_keyring_t *kr, const char *what, ei_error_t *err)
{
    unsigned char hash[EI__HASH_BYTES];
    unsigned char msg[sizeof(SIG_DOMAIN) - 1 + EI__HASH_BYTES];
    char id[EI_KEY_ID_SIZE];
    ei__key_id_hex(sig->key_id, id);
    const unsigned char *pk = ei__keyring_find(kr, sig->key_id);
    if (pk == NULL)
        return ei__fail(err, EI_ENOTFOUND,
                        "%s: signed by key %s, which is not one of the %zu trusted keys", what, id,
                        ei_keyring_count(kr));
    model_hash(data, n, hash);
    if (sodium_memcmp(hash, sig->hash, EI__HASH_BYTES) != 0)
        return ei__fail(err, EI_EFORMAT,
                        "%s: does not match its signature: the file changed after it was signed "
                        "(tampered, replaced or corrupted)",
                        what);
    signed_message(sig->hash, msg);
    if (crypto_sign_verify_detached(sig->sig, msg, sizeof(msg), pk) != 0)
        return ei__fail(err, EI_EFORMAT,
                        "%s: invalid signature (the signature file is forged or corrupted)", what);
    return EI_OK;
}

static ei_code_t default_sig_path(const char *model, const char *given, char *buf, size_t size,
                                  const char **out, ei_error_t *err)
{
    if (given != NULL) {
        *out = given;
        return EI_OK;
    }
    if (snprintf(buf, size, "%s.sig", model) >= (int)size)
        return ei__fail(err, EI_EINVAL, "%s: path too long", model);
    *out = buf;
    return EI_OK;
}

ei_code_t ei_model_sign(const char *model_path, const char *secret_key_path, const char *sig_path,
                        char key_id[EI_KEY_ID_SIZE], ei_error_t *err)
{
    unsigned char sk[EI__SK_BYTES], hash[EI__HASH_BYTES], id[EI__ID_BYTES];
    unsigned char msg[sizeof(SIG_DOMAIN) - 1 + EI__HASH_BYTES], sig[EI__SIG_BYTES];
    char path_buf[4096], text[512], hex[EI__HASH_BYTES * 2 + 1], b64[128], id_hex[EI_KEY_ID_SIZE];
    unsigned char *model = NULL, *keytext = NULL;
    size_t model_n = 0, key_n = 0;
    const char *out_path = NULL;
    if (model_path == NULL || secret_key_path == NULL)
        return ei__fail(err, EI_EINVAL, "model or key path is NULL");
    ei_code_t rc =
        default_sig_path(model_path, sig_path, path_buf, sizeof(path_buf), &out_path, err);
    if (rc != EI_OK)
        return rc;
    rc = ei__file_read(secret_key_path, EI__KEYFILE_MAX, &keytext, &key_n, err);
    if (rc == EI_OK) {
        rc = ei__key_parse((const char *)keytext, key_n, EI__KEY_SECRET, false, sk, secret_key_path,
                           err);
        sodium_memzero(keytext, key_n);
        ei__free(keytext);
    } else if (rc == EI_ELIMIT) {
        rc = ei__fail(err, EI_EFORMAT, "%s: too big for a key file", secret_key_path);
    }
    if (rc != EI_OK)
        goto out;
    rc = ei__file_read(model_path, MODEL_MAX, &model, &model_n, err);
    if (rc != EI_OK)
        goto out;
    model_hash(model, model_n, hash);
    signed_message(hash, msg);
    crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
    /* The public key is the second half of libsodium's secret key. */
    ei__key_id(sk + crypto_sign_SEEDBYTES, EI__PK_BYTES, id);
    ei__key_id_hex(id, id_hex);
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
    int w =
        snprintf(text, sizeof(text), "%s\nkey-id %s\nhash blake2b-512 %s\nsignature ed25519 %s\n",
                 SIG_MAGIC, id_hex, hex, b64);
    const void *parts[1] = {text};
    size_t sizes[1] = {(size_t)w};
    rc = ei__file_write(out_path, parts, sizes, 1, err);
    if (rc == EI_OK && key_id != NULL)
        memcpy(key_id, id_hex, EI_KEY_ID_SIZE);
out:
    sodium_memzero(sk, sizeof(sk));
    ei__free(model);
    return rc;
}

static ei_code_t sig_read(const char *sig_path, ei__signature_t *sig, ei_error_t *err)
{
    unsigned char *text = NULL;
    size_t n = 0;
    ei_code_t rc = ei__file_read(sig_path, EI__KEYFILE_MAX, &text, &n, err);
    if (rc == EI_ENOENT)
        return ei__fail(err, EI_ENOENT, "%s: no signature file (the model is unsigned)", sig_path);
    if (rc == EI_ELIMIT)
        return ei__fail(err, EI_EFORMAT, "%s: too big for a signature file", sig_path);
    if (rc != EI_OK)
        return rc;
    rc = ei__sig_parse((const char *)text, n, sig, sig_path, err);
    ei__free(text);
    return rc;
}

/* Verifies bytes already in memory against the signature file next to `model_path`. */
static ei_code_t verify_bytes(const char *model_path, const char *sig_path, const void *data,
                              size_t n, const ei_keyring_t *kr, char *key_id, ei_error_t *err)
{
    char path_buf[4096];
    const char *sp = NULL;
    ei__signature_t sig;
    if (kr == NULL || ei_keyring_count(kr) == 0)
        return ei__fail(err, EI_EINVAL, "%s: no trusted keys to verify against", model_path);
    ei_code_t rc = default_sig_path(model_path, sig_path, path_buf, sizeof(path_buf), &sp, err);
    if (rc == EI_OK)
        rc = sig_read(sp, &sig, err);
    if (rc == EI_OK)
        rc = ei__sig_check(&sig, data, n, kr, model_path, err);
    if (rc == EI_OK && key_id != NULL)
        ei__key_id_hex(sig.key_id, key_id);
    return rc;
}

ei_code_t ei_model_verify(const char *model_path, const char *sig_path, const ei_keyring_t *kr,
                          char key_id[EI_KEY_ID_SIZE], ei_error_t *err)
{
    unsigned char *model = NULL;
    size_t n = 0;
    if (model_path == NULL)
        return ei__fail(err, EI_EINVAL, "model path is NULL");
    if (kr == NULL || ei_keyring_count(kr) == 0)
        return ei__fail(err, EI_EINVAL, "%s: no trusted keys to verify against", model_path);
    ei_code_t rc = ei__file_read(model_path, MODEL_MAX, &model, &n, err);
    if (rc == EI_OK)
        rc = verify_bytes(model_path, sig_path, model, n, kr, key_id, err);
    ei__free(model);
    return rc;
}

ei_code_t ei__model_verify_bytes(const char *model_path, const void *data, size_t n,
                                 const ei_keyring_t *kr, ei_error_t *err)
{
    return verify_bytes(model_path, NULL, data, n, kr, NULL, err);
}
