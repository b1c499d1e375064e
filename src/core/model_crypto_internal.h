/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of the model signing / encryption code (model_keys.c, model_sign.c,
 * model_encrypt.c): the parsers of untrusted bytes, exposed so that the fuzz target and the unit
 * tests can drive them without files.
 */
#ifndef EI_MODEL_CRYPTO_INTERNAL_H
#define EI_MODEL_CRYPTO_INTERNAL_H

#include "ei_util.h"

#include <edgeinfer/model_crypto.h>
#include <sodium.h>

#define EI__PK_BYTES crypto_sign_PUBLICKEYBYTES /* 32 */
#define EI__SK_BYTES crypto_sign_SECRETKEYBYTES /* 64 */
#define EI__SIG_BYTES crypto_sign_BYTES         /* 64 */
#define EI__HASH_BYTES 64                       /* BLAKE2b-512 */
#define EI__ID_BYTES 8
#define EI__MKEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES /* 32 */

/* The encrypted-model header (see include/edgeinfer/model_crypto.h). */
#define EI__ENC_MAGIC "EIENC\0\r\n"
#define EI__ENC_MAGIC_SIZE 8
#define EI__ENC_VERSION 1
#define EI__ENC_ALG_XCHACHA20POLY1305 1
#define EI__ENC_AD_SIZE 56
#define EI__ENC_HEADER_SIZE 72

/* Key files and signatures are small; anything bigger is not one. */
#define EI__KEYFILE_MAX 4096

/** Key file kinds: the tag on the key line and the decoded length. */
typedef enum { EI__KEY_PUBLIC, EI__KEY_SECRET, EI__KEY_MODEL } ei__key_kind_t;

/**
 * Parses key-file text (`len` bytes, need not be NUL-terminated) of kind `kind` into `out`
 * (32 or 64 bytes). `what` names the source in messages. Model keys also accept the bare base64
 * (the environment form) when `allow_bare` is set.
 */
ei_code_t ei__key_parse(const char *text, size_t len, ei__key_kind_t kind, bool allow_bare,
                        unsigned char *out, const char *what, ei_error_t *err);

/** A parsed signature file. */
typedef struct {
    unsigned char key_id[EI__ID_BYTES];
    unsigned char hash[EI__HASH_BYTES];
    unsigned char sig[EI__SIG_BYTES];
} ei__signature_t;

/** Parses signature-file text. `what` names the source in messages. */
ei_code_t ei__sig_parse(const char *text, size_t len, ei__signature_t *out, const char *what,
                        ei_error_t *err);

/** The id of a public key (first 8 bytes of its BLAKE2b hash). */
void ei__key_id(const unsigned char *key, size_t len, unsigned char id[EI__ID_BYTES]);
/** Hex form of a key id. */
void ei__key_id_hex(const unsigned char id[EI__ID_BYTES], char out[EI_KEY_ID_SIZE]);

/** Finds the public key with this id in the ring; NULL if absent. */
const unsigned char *ei__keyring_find(const ei_keyring_t *kr, const unsigned char id[EI__ID_BYTES]);

/** The 32 key bytes of a model key. */
const unsigned char *ei__model_key_bytes(const ei_model_key_t *key);
/** Builds a model key from 32 raw bytes (tests and the fuzz target). */
ei_code_t ei__model_key_from_bytes(const unsigned char *bytes, ei_model_key_t **out,
                                   ei_error_t *err);

/**
 * Checks `sig` against the `n` bytes at `data` with the keys of `kr`: the hash, then the Ed25519
 * signature. `what` names the model in messages.
 */
ei_code_t ei__sig_check(const ei__signature_t *sig, const void *data, size_t n,
                        const ei_keyring_t *kr, const char *what, ei_error_t *err);

/** Verifies the `n` bytes at `data`, read from `model_path`, against "<model_path>.sig". */
ei_code_t ei__model_verify_bytes(const char *model_path, const void *data, size_t n,
                                 const ei_keyring_t *kr, ei_error_t *err);

/**
 * Decrypts an encrypted model held in `buf` (`len` bytes, header included) in place. On success
 * the plaintext starts at `buf + EI__ENC_HEADER_SIZE` and is `*plain_len` bytes long. On failure
 * the buffer holds no plaintext (the tag is checked before anything is decrypted).
 */
ei_code_t ei__model_decrypt(unsigned char *buf, size_t len, const ei_model_key_t *key,
                            size_t *plain_len, const char *what, ei_error_t *err);

/** Makes sure libsodium is initialised (thread-safe, idempotent). */
ei_code_t ei__sodium_init(ei_error_t *err);

#endif
