/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer sign --key NAME.sec MODEL...`: writes MODEL.sig, a detached Ed25519 signature over
 * the file's BLAKE2b-512 hash (format: include/edgeinfer/model_crypto.h).
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

#define CMD "sign"

static void print_help(void)
{
    printf("usage: edgeinfer sign --key NAME.sec [-o SIG] MODEL...\n\n"
           "Signs each MODEL (any file: model.onnx, model.onnx.enc...) with the secret key and\n"
           "writes the detached signature next to it as MODEL.sig. 'edgeinfer verify', the\n"
           "--verify-key option of the model-loading commands and 'edgeinfer serve\n"
           "--trusted-keys' check it.\n\n"
           "options:\n"
           "  --key FILE     the secret key (from 'edgeinfer keygen NAME': NAME.sec)\n"
           "  -o, --output SIG  write the signature here instead (one MODEL only)\n"
           "  -h, --help     show this help\n\n"
           "Exit codes: 0 every model signed, 1 a model or the key could not be read, 2 usage\n"
           "error.\n");
}

static int run_sign(int argc, char **argv)
{
    const char *key = NULL, *out = NULL;
    const char *models[256];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help();
            return EI_EXIT_OK;
        } else if (strcmp(a, "--key") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ei_cli_usage_error(CMD, "option '%s' needs a value", a);
            if (strcmp(a, "--key") == 0)
                key = argv[++i];
            else
                out = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return ei_cli_usage_error(CMD, "unknown option '%s'", a);
        } else if (n == sizeof(models) / sizeof(models[0])) {
            return ei_cli_usage_error(CMD, "at most %zu models at once", n);
        } else {
            models[n++] = a;
        }
    }
    if (key == NULL)
        return ei_cli_usage_error(CMD, "missing --key (the secret key file)");
    if (n == 0)
        return ei_cli_usage_error(CMD, "missing MODEL");
    if (out != NULL && n > 1)
        return ei_cli_usage_error(CMD, "--output takes one MODEL, got %zu", n);
    int rc = EI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        ei_error_t err = {0};
        char id[EI_KEY_ID_SIZE];
        if (ei_model_sign(models[i], key, out, id, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "signing");
            continue;
        }
        printf("%s: signed by key %s -> %s%s\n", models[i], id, out != NULL ? out : models[i],
               out != NULL ? "" : ".sig");
    }
    return rc;
}

const ei_cli_command_t ei_cli_cmd_sign = {"sign", run_sign,
                                          "sign model files (Ed25519, detached MODEL.sig)"};
