/* SPDX-License-Identifier: MIT */
/*
 * Model integrity and confidentiality (libsodium): Ed25519 signatures over a model file's hash,
 * trusted-key rings, and XChaCha20-Poly1305 encrypted models that are decrypted into locked
 * memory, loaded from there and wiped.
 *
 * File formats (docs/security.md has the full description):
 * - public key   (NAME.pub):  one line "edgeinfer-ed25519-public <base64 of 32 bytes>"
 * - secret key   (NAME.sec):  one line "edgeinfer-ed25519-secret <base64 of 64 bytes>", mode 0600
 * - model key    (any name):  one line "edgeinfer-model-key <base64 of 32 bytes>", mode 0600; the
 *   environment variable form (EDGEINFER_MODEL_KEY) takes the same line or the base64 alone
 * - signature    (MODEL.sig): four lines, "edgeinfer-signature v1", "key-id <16 hex>",
 *   "hash blake2b-512 <128 hex>", "signature ed25519 <base64 of 64 bytes>"; the signature is over
 *   "edgeinfer-model-signature-v1" followed by the 64-byte BLAKE2b-512 hash of the file
 * - encrypted model (MODEL.enc): a 72-byte header (magic "EIENC\0\r\n", version 1, algorithm 1
 *   = XChaCha20-Poly1305-IETF, 6 reserved zero bytes, key id (8), nonce (24), plaintext size (u64
 *   little endian), Poly1305 tag (16)) then the ciphertext; the first 56 header bytes are the
 *   associated data, so no header field can be changed unnoticed.
 * Lines starting with '#' and blank lines are ignored in key files.
 *
 * Everything here reads files the caller names; the library never looks for keys on its own
 * except where a function says so. Thread-safety: key rings and model keys are immutable once
 * built and may be shared by any number of threads.
 */
#ifndef EDGEINFER_MODEL_CRYPTO_H
#define EDGEINFER_MODEL_CRYPTO_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of a key id as text: 16 hex digits and a NUL. */
#define EI_KEY_ID_SIZE 17
/** The environment variable ei_model_key_from_env() reads when given NULL. */
#define EI_MODEL_KEY_ENV "EDGEINFER_MODEL_KEY"

/** A set of trusted Ed25519 public keys. */
typedef struct ei_keyring ei_keyring_t;
/** A 32-byte model encryption key, held in guarded, locked memory. */
typedef struct ei_model_key ei_model_key_t;

/**
 * Writes a new Ed25519 key pair: `public_path` (world-readable) and `secret_path` (created with
 * mode 0600; an existing file is never overwritten: EI_EINVAL). `key_id` (may be NULL) receives
 * the key's id.
 */
EI_API EI_NODISCARD ei_code_t ei_sign_keygen(const char *public_path, const char *secret_path,
                                             char key_id[EI_KEY_ID_SIZE], ei_error_t *err);

/** Writes a new random model encryption key to `path` (mode 0600, never overwrites). */
EI_API EI_NODISCARD ei_code_t ei_model_keygen(const char *path, ei_error_t *err);

/** An empty key ring. */
EI_API EI_NODISCARD ei_code_t ei_keyring_create(ei_keyring_t **out, ei_error_t *err);
/** Adds the public key in `path`; `key_id` (may be NULL) receives its id. */
EI_API EI_NODISCARD ei_code_t ei_keyring_add_file(ei_keyring_t *kr, const char *path,
                                                  char key_id[EI_KEY_ID_SIZE], ei_error_t *err);
/**
 * Adds every `*.pub` file in directory `dir` (not recursive). A directory without any is
 * EI_ENOTFOUND; one bad key file fails the whole call and names the file.
 */
EI_API EI_NODISCARD ei_code_t ei_keyring_add_dir(ei_keyring_t *kr, const char *dir,
                                                 ei_error_t *err);
/** Number of keys in the ring. */
EI_API size_t ei_keyring_count(const ei_keyring_t *kr);
/** Releases a key ring. NULL is a no-op. */
EI_API void ei_keyring_destroy(ei_keyring_t *kr);

/** Loads a model encryption key from a key file. */
EI_API EI_NODISCARD ei_code_t ei_model_key_load(const char *path, ei_model_key_t **out,
                                                ei_error_t *err);
/**
 * Loads a model key from environment variable `var` (NULL: EI_MODEL_KEY_ENV). An unset or empty
 * variable is EI_ENOTFOUND.
 */
EI_API EI_NODISCARD ei_code_t ei_model_key_from_env(const char *var, ei_model_key_t **out,
                                                    ei_error_t *err);
/** The key's id (16 hex digits), as recorded in the files it encrypts. */
EI_API void ei_model_key_id(const ei_model_key_t *key, char key_id[EI_KEY_ID_SIZE]);
/** Wipes and releases a model key. NULL is a no-op. */
EI_API void ei_model_key_destroy(ei_model_key_t *key);

/**
 * Signs the file `model_path` with the secret key in `secret_key_path` and writes the detached
 * signature to `sig_path` (NULL: "<model_path>.sig"). `key_id` (may be NULL) receives the id of the
 * signing key.
 */
EI_API EI_NODISCARD ei_code_t ei_model_sign(const char *model_path, const char *secret_key_path,
                                            const char *sig_path, char key_id[EI_KEY_ID_SIZE],
                                            ei_error_t *err);

/**
 * Checks that `model_path` carries a valid signature (`sig_path`, NULL: "<model_path>.sig") from
 * one of the keys in `kr`. A missing signature is EI_ENOENT, a key not in the ring EI_ENOTFOUND, a
 * file changed after signing or a bad signature EI_EFORMAT; each message says which. `key_id` (may
 * be NULL) receives the signer's id on success.
 */
EI_API EI_NODISCARD ei_code_t ei_model_verify(const char *model_path, const char *sig_path,
                                              const ei_keyring_t *kr, char key_id[EI_KEY_ID_SIZE],
                                              ei_error_t *err);

/** Encrypts `in_path` into `out_path` (created or truncated) with `key`. */
EI_API EI_NODISCARD ei_code_t ei_model_encrypt(const char *in_path, const char *out_path,
                                               const ei_model_key_t *key, ei_error_t *err);

/** Whether `path` starts with the encrypted-model magic (false when it cannot be read). */
EI_API bool ei_model_is_encrypted(const char *path);

/**
 * Reads a model for loading from memory. With `trusted` set, the file must carry a valid
 * signature (see ei_model_verify(); the check is on the very bytes returned, so the file cannot be
 * swapped between check and load). An encrypted file needs `key` and is decrypted in place in
 * memory that is locked against swapping where the system allows (a warning is logged where it
 * does not); a plain file is returned as read. Release with ei_model_bytes_free(), which wipes the
 * bytes.
 */
EI_API EI_NODISCARD ei_code_t ei_model_read(const char *path, const ei_keyring_t *trusted,
                                            const ei_model_key_t *key, void **data, size_t *size,
                                            ei_error_t *err);
/** Wipes, unlocks and frees what ei_model_read() returned. NULL is a no-op. */
EI_API void ei_model_bytes_free(void *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif
