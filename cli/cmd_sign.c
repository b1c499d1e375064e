/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer sign --key NAME.sec MODEL...`: writes MODEL.sig, a detached Ed25519 signature over
 * the file's BLAKE2b-512 hash (format: include/edgeinfer/model_crypto.h).
 */
#include "cli.h"
#include "commands.h"
#include "session_args.h"

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
    enum { OPT_KEY = 0x100, OPT_SECOND };
    static const struct option own[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ei_cli_opts_t p;
    int opt, rc = ei_cli_opts_begin(&p, CMD, own, ":ho:", NULL, print_help);
    while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1) {
        if (optarg != NULL && optarg[0] == '\0')
            return ei_cli_usage_error(CMD, "option '%s' needs a value",
                                      opt == OPT_KEY ? "--key" : "--output");
        if (opt == OPT_KEY)
            key = optarg;
        else
            out = optarg;
    }
    if (rc != -1)
        return rc;
    const char **models = (const char **)argv + optind;
    size_t n = (size_t)(argc - optind);
    if (key == NULL)
        return ei_cli_usage_error(CMD, "missing --key (the secret key file)");
    if (n == 0)
        return ei_cli_usage_error(CMD, "missing MODEL");
    if (out != NULL && n > 1)
        return ei_cli_usage_error(CMD, "--output takes one MODEL, got %zu", n);
    rc = EI_EXIT_OK;
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
