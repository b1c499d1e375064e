/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the parsers of model-integrity files, which arrive next to models and are
 * untrusted: key files (each kind, with and without the bare environment form), signature files
 * (parsed, then checked against a fixed model and a one-key ring) and encrypted models (decrypted
 * in place with a fixed key: 32 bytes of 0x42). The first byte picks: 0-3 key file of kind
 * byte % 3 (bit 2: bare form allowed), 4-7 signature file, 8 and up encrypted model.
 */
#include "model_crypto_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ei_model_key_t *fixed_key(void)
{
    static ei_model_key_t *k;
    if (k == NULL) {
        unsigned char raw[32];
        memset(raw, 0x42, sizeof(raw));
        if (ei__model_key_from_bytes(raw, &k, NULL) != EI_OK)
            abort();
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ei_error_t err = {0};
    uint8_t sel = data[0];
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    if (sel < 8 && sel >= 4) {
        ei__signature_t sig;
        if (ei__sig_parse(body, n, &sig, "fuzz", &err) == EI_OK) {
            ei_keyring_t *kr = NULL;
            if (ei_keyring_create(&kr, NULL) == EI_OK) {
                static const char model[] = "not really a model";
                (void)ei__sig_check(&sig, model, sizeof(model), kr, "fuzz", &err);
            }
            ei_keyring_destroy(kr);
        }
    } else if (sel < 4) {
        unsigned char out[64];
        (void)ei__key_parse(body, n, (ei__key_kind_t)(sel % 3), (sel & 4) != 0, out, "fuzz", &err);
    } else {
        /* The decryption works in place: give it a private, exactly sized copy. */
        unsigned char *buf = malloc(n ? n : 1);
        size_t plain = 0;
        if (buf == NULL)
            return 0;
        memcpy(buf, body, n);
        if (ei__model_decrypt(buf, n, fixed_key(), &plain, "fuzz", &err) == EI_OK &&
            plain + EI__ENC_HEADER_SIZE != n)
            abort();
        free(buf);
    }
    return 0;
}
