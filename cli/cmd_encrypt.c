/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer encrypt --key-file FILE MODEL [-o OUT]`: writes MODEL.enc (XChaCha20-Poly1305, format
 * in include/edgeinfer/model_crypto.h), which `run`, `bench`, `classify`, `info` and `serve` load
 * with the same key, decrypting in memory only.
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "encrypt"

static void print_help(void)
{
    printf(
        "usage: edgeinfer encrypt [--key-file FILE] [-o OUT] MODEL\n\n"
        "Encrypts MODEL with XChaCha20-Poly1305 into OUT (default MODEL.enc). The model-loading\n"
        "commands and the server decrypt it in memory (never on disk) with the same key, and\n"
        "refuse a wrong key or a modified file with a clear error. The plain MODEL is left\n"
        "as it is: remove it yourself once the encrypted copy is in place.\n\n"
        "options:\n"
        "  --key-file FILE   the key ('edgeinfer keygen --model-key FILE'); default: the\n"
        "                    %s environment variable\n"
        "  -o, --output OUT  the encrypted file (default MODEL.enc)\n"
        "  -h, --help        show this help\n\n"
        "Exit codes: 0 ok, 1 the model or key could not be read or the output written, 2\n"
        "usage error.\n",
        EI_MODEL_KEY_ENV);
}

static int run_encrypt(int argc, char **argv)
{
    const char *keyfile = NULL, *out = NULL, *model = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help();
            return EI_EXIT_OK;
        } else if (strcmp(a, "--key-file") == 0 || strcmp(a, "-o") == 0 ||
                   strcmp(a, "--output") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ei_cli_usage_error(CMD, "option '%s' needs a value", a);
            if (strcmp(a, "--key-file") == 0)
                keyfile = argv[++i];
            else
                out = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return ei_cli_usage_error(CMD, "unknown option '%s'", a);
        } else if (model != NULL) {
            return ei_cli_usage_error(CMD, "expected one MODEL, got '%s' too", a);
        } else {
            model = a;
        }
    }
    if (model == NULL)
        return ei_cli_usage_error(CMD, "missing MODEL");
    const char *env = getenv(EI_MODEL_KEY_ENV);
    if (keyfile == NULL && (env == NULL || env[0] == '\0'))
        return ei_cli_usage_error(CMD, "missing --key-file (or the %s environment variable)",
                                  EI_MODEL_KEY_ENV);
    char out_buf[4096];
    if (out == NULL) {
        if (snprintf(out_buf, sizeof(out_buf), "%s.enc", model) >= (int)sizeof(out_buf))
            return ei_cli_usage_error(CMD, "MODEL path too long");
        out = out_buf;
    }
    ei_error_t err = {0};
    ei_model_key_t *key = NULL;
    if ((keyfile != NULL ? ei_model_key_load(keyfile, &key, &err)
                         : ei_model_key_from_env(NULL, &key, &err)) != EI_OK)
        return ei_cli_fail(&err, "loading the model key");
    int rc = EI_EXIT_OK;
    char id[EI_KEY_ID_SIZE];
    ei_model_key_id(key, id);
    if (ei_model_encrypt(model, out, key, &err) != EI_OK)
        rc = ei_cli_fail(&err, "encrypting");
    else
        printf("%s: encrypted with key %s -> %s\n", model, id, out);
    ei_model_key_destroy(key);
    return rc;
}

const ei_cli_command_t ei_cli_cmd_encrypt = {
    "encrypt", run_encrypt, "encrypt a model (XChaCha20-Poly1305) for in-memory loading"};
