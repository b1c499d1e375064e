/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer verify --key PATH MODEL...`: checks each MODEL.sig against one public key or a
 * directory of them, and says why when a check fails (unsigned, unknown key, file changed,
 * forged signature).
 */
#include "cli.h"
#include "commands.h"
#include "session_args.h"

#include <stdio.h>
#include <string.h>

#define CMD "verify"

static void print_help(void)
{
    printf("usage: edgeinfer verify --key PATH [--signature SIG] MODEL...\n\n"
           "Checks that each MODEL carries a valid signature (MODEL.sig) by a trusted key: PATH\n"
           "is one public key file (NAME.pub) or a directory whose *.pub files are all trusted.\n"
           "Prints one line per good model; a failure names the reason: no signature, signed\n"
           "by a key that is not trusted, file changed after signing, invalid signature.\n\n"
           "options:\n"
           "  --key PATH        the trusted public key file, or a directory of *.pub files\n"
           "  --signature SIG   the signature file (one MODEL only; default MODEL.sig)\n"
           "  -h, --help        show this help\n\n"
           "Exit codes: 0 every model verified, 1 a model failed (or a key could not be read),\n"
           "2 usage error.\n");
}

static int run_verify(int argc, char **argv)
{
    const char *key = NULL, *sig = NULL;
    enum { OPT_KEY = 0x100, OPT_SECOND };
    static const struct option own[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"signature", required_argument, NULL, OPT_SECOND},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ei_cli_opts_t p;
    int opt, rc = ei_cli_opts_begin(&p, CMD, own, ":h", NULL, print_help);
    while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1) {
        if (optarg != NULL && optarg[0] == '\0')
            return ei_cli_usage_error(CMD, "option '%s' needs a value",
                                      opt == OPT_KEY ? "--key" : "--signature");
        if (opt == OPT_KEY)
            key = optarg;
        else
            sig = optarg;
    }
    if (rc != -1)
        return rc;
    const char **models = (const char **)argv + optind;
    size_t n = (size_t)(argc - optind);
    if (key == NULL)
        return ei_cli_usage_error(CMD, "missing --key (a public key file or a directory of them)");
    if (n == 0)
        return ei_cli_usage_error(CMD, "missing MODEL");
    if (sig != NULL && n > 1)
        return ei_cli_usage_error(CMD, "--signature takes one MODEL, got %zu", n);
    ei_keyring_t *kr = ei_cli_load_keyring(key);
    if (kr == NULL)
        return EI_EXIT_FAILURE;
    rc = EI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        ei_error_t err = {0};
        char id[EI_KEY_ID_SIZE];
        if (ei_model_verify(models[i], sig, kr, id, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "verification failed");
            continue;
        }
        printf("%s: good signature by key %s\n", models[i], id);
    }
    ei_keyring_destroy(kr);
    return rc;
}

const ei_cli_command_t ei_cli_cmd_verify = {"verify", run_verify,
                                            "check model signatures against trusted keys"};
