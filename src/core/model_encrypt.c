/* SPDX-License-Identifier: MIT */
/*
 * Encrypted models (XChaCha20-Poly1305-IETF, one shot, detached tag in the header) and
 * ei_model_read(), the one place a model file becomes bytes to load from memory: signature check
 * on those very bytes, then decryption in place in locked memory. The header layout is documented
 * in include/edgeinfer/model_crypto.h.
 */
#include "model_crypto_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL_MAX ((size_t)1 << 40)

static void put_u64le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

ei_code_t ei_model_encrypt(const char *in_path, const char *out_path, const ei_model_key_t *key,
                           ei_error_t *err)
{
    unsigned char hdr[EI__ENC_HEADER_SIZE];
    unsigned char *plain = NULL;
    size_t n = 0;
    if (in_path == NULL || out_path == NULL || key == NULL)
        return ei__fail(err, EI_EINVAL, "path or key is NULL");
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    ei_code_t rc = ei__file_read(in_path, MODEL_MAX, &plain, &n, err);
    if (rc != EI_OK)
        return rc;
    if (n >= EI__ENC_MAGIC_SIZE && memcmp(plain, EI__ENC_MAGIC, EI__ENC_MAGIC_SIZE) == 0) {
        rc = ei__fail(err, EI_EINVAL, "%s: already encrypted", in_path);
        goto out;
    }
    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, EI__ENC_MAGIC, EI__ENC_MAGIC_SIZE);
    hdr[8] = EI__ENC_VERSION;
    hdr[9] = EI__ENC_ALG_XCHACHA20POLY1305;
    ei__key_id(ei__model_key_bytes(key), EI__MKEY_BYTES, hdr + 16);
    randombytes_buf(hdr + 24, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    put_u64le(hdr + 48, (uint64_t)n);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(plain, hdr + EI__ENC_AD_SIZE, NULL, plain,
                                                        n, hdr, EI__ENC_AD_SIZE, NULL, hdr + 24,
                                                        ei__model_key_bytes(key));
    const void *parts[2] = {hdr, plain};
    size_t sizes[2] = {sizeof(hdr), n};
    rc = ei__file_write(out_path, parts, sizes, 2, err);
out:
    sodium_memzero(plain, n);
    ei__free(plain);
    return rc;
}

ei_code_t ei__model_decrypt(unsigned char *buf, size_t len, const ei_model_key_t *key,
                            size_t *plain_len, const char *what, ei_error_t *err)
{
    *plain_len = 0;
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    if (len < EI__ENC_MAGIC_SIZE || memcmp(buf, EI__ENC_MAGIC, EI__ENC_MAGIC_SIZE) != 0)
        return ei__fail(err, EI_EFORMAT, "%s: not an edgeinfer encrypted model (bad magic)", what);
    if (len < EI__ENC_HEADER_SIZE)
        return ei__fail(err, EI_EFORMAT,
                        "%s: truncated encrypted model (%zu bytes, the header alone is %d)", what,
                        len, EI__ENC_HEADER_SIZE);
    if (buf[8] != EI__ENC_VERSION)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "%s: encrypted-model format version %u is not supported (this build "
                        "reads version %d)",
                        what, buf[8], EI__ENC_VERSION);
    if (buf[9] != EI__ENC_ALG_XCHACHA20POLY1305)
        return ei__fail(err, EI_EUNSUPPORTED, "%s: unknown encryption algorithm %u", what, buf[9]);
    for (int i = 10; i < 16; i++) {
        if (buf[i] != 0)
            return ei__fail(err, EI_EFORMAT, "%s: corrupt header (reserved bytes are not zero)",
                            what);
    }
    uint64_t want = get_u64le(buf + 48);
    uint64_t have = (uint64_t)(len - EI__ENC_HEADER_SIZE);
    if (want != have)
        return ei__fail(err, EI_EFORMAT,
                        "%s: %s: the header says %llu bytes of ciphertext, the file has %llu", what,
                        want > have ? "truncated" : "trailing bytes after the ciphertext",
                        (unsigned long long)want, (unsigned long long)have);
    if (key == NULL)
        return ei__fail(err, EI_EINVAL,
                        "%s: the model is encrypted; give its key (--key-file FILE or the %s "
                        "environment variable)",
                        what, EI_MODEL_KEY_ENV);
    unsigned char id[EI__ID_BYTES];
    ei__key_id(ei__model_key_bytes(key), EI__MKEY_BYTES, id);
    if (memcmp(id, buf + 16, EI__ID_BYTES) != 0) {
        char file_id[EI_KEY_ID_SIZE], key_id[EI_KEY_ID_SIZE];
        ei__key_id_hex(buf + 16, file_id);
        ei__key_id_hex(id, key_id);
        return ei__fail(err, EI_EINVAL,
                        "%s: wrong key: the model was encrypted with key %s, the key given is %s",
                        what, file_id, key_id);
    }
    /* The tag is checked over the whole ciphertext before a single byte is decrypted. */
    unsigned char *c = buf + EI__ENC_HEADER_SIZE;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            c, NULL, c, (size_t)want, buf + EI__ENC_AD_SIZE, buf, EI__ENC_AD_SIZE, buf + 24,
            ei__model_key_bytes(key)) != 0)
        return ei__fail(err, EI_EFORMAT,
                        "%s: decryption failed: the file was modified or corrupted "
                        "(authentication tag mismatch)",
                        what);
    *plain_len = (size_t)want;
    return EI_OK;
}

bool ei_model_is_encrypted(const char *path)
{
    unsigned char m[EI__ENC_MAGIC_SIZE];
    if (path == NULL)
        return false;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    bool yes =
        fread(m, 1, sizeof(m), f) == sizeof(m) && memcmp(m, EI__ENC_MAGIC, EI__ENC_MAGIC_SIZE) == 0;
    fclose(f);
    return yes;
}

/*
 * What ei_model_read() hands out sits inside a larger block: a small record just before the bytes
 * says where the block starts and how long it is, so that ei_model_bytes_free() can wipe and unlock
 * all of it (the encrypted header and the NUL included) whatever the caller was given.
 */
typedef struct {
    size_t offset; /* from the block's start to the bytes handed out */
    size_t length; /* of the whole block */
} block_rec_t;

#define REC_SIZE 16 /* sizeof(block_rec_t) rounded up; keeps the model bytes 16-aligned */

/* Reads the whole regular file into a fresh block at offset REC_SIZE (NUL after the end). */
static ei_code_t read_block(const char *path, unsigned char **block, size_t *len, size_t *n,
                            ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    struct stat st;
    unsigned char *b = NULL;
    *block = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ei__fail(err, EI_EIO, "%s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > (uint64_t)MODEL_MAX) {
        rc = ei__fail(err, EI_ELIMIT, "%s: file of %lld bytes is too big", path,
                      (long long)st.st_size);
        goto out;
    }
    size_t got = (size_t)st.st_size;
    b = ei__malloc(REC_SIZE + got + 1);
    if (b == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory for %zu bytes", path, got);
        goto out;
    }
    if (got > 0 && fread(b + REC_SIZE, 1, got, f) != got) {
        rc = ei__fail(err, EI_EIO, "%s: short read (the file changed or could not be read)", path);
        ei__free(b);
        goto out;
    }
    b[REC_SIZE + got] = '\0';
    *block = b;
    *len = REC_SIZE + got + 1;
    *n = got;
out:
    fclose(f);
    return rc;
}

static void *hand_out(unsigned char *block, size_t len, size_t offset)
{
    block_rec_t r = {offset, len};
    memcpy(block + offset - REC_SIZE, &r, sizeof(r));
    return block + offset;
}

ei_code_t ei_model_read(const char *path, const ei_keyring_t *trusted, const ei_model_key_t *key,
                        void **data, size_t *size, ei_error_t *err)
{
    unsigned char *block = NULL;
    size_t len = 0, n = 0, plain = 0;
    *data = NULL;
    *size = 0;
    if (path == NULL)
        return ei__fail(err, EI_EINVAL, "model path is NULL");
    if (ei__sodium_init(err) != EI_OK)
        return EI_ERUNTIME;
    ei_code_t rc = read_block(path, &block, &len, &n, err);
    if (rc != EI_OK)
        return rc;
    unsigned char *file = block + REC_SIZE;
    /* The signature covers the file as stored (the ciphertext for an encrypted model). */
    if (trusted != NULL) {
        rc = ei__model_verify_bytes(path, file, n, trusted, err);
        if (rc != EI_OK)
            goto fail;
    }
    if (n < EI__ENC_MAGIC_SIZE || memcmp(file, EI__ENC_MAGIC, EI__ENC_MAGIC_SIZE) != 0) {
        *data = hand_out(block, len, REC_SIZE);
        *size = n;
        return EI_OK;
    }
    if (sodium_mlock(block, len) != 0)
        EI_LOG(EI_LOG_WARN, "core",
               "%s: could not lock %zu bytes of memory for the decrypted model (%s; raise "
               "RLIMIT_MEMLOCK): it could reach swap",
               path, n, strerror(errno));
    rc = ei__model_decrypt(file, n, key, &plain, path, err);
    if (rc != EI_OK)
        goto fail;
    /* The record goes over the end of the (no longer needed) header. */
    *data = hand_out(block, len, REC_SIZE + EI__ENC_HEADER_SIZE);
    *size = plain;
    return EI_OK;
fail:
    sodium_munlock(block, len);
    ei__free(block);
    return rc;
}

void ei_model_bytes_free(void *data, size_t size)
{
    block_rec_t r;
    (void)size;
    if (data == NULL)
        return;
    memcpy(&r, (unsigned char *)data - REC_SIZE, sizeof(r));
    unsigned char *block = (unsigned char *)data - r.offset;
    /* Wipes and unlocks (unlocking memory that was never locked is harmless). */
    sodium_munlock(block, r.length);
    ei__free(block);
}
