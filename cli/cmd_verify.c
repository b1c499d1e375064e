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
    const char *models[256];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help();
            return EI_EXIT_OK;
        } else if (strcmp(a, "--key") == 0 || strcmp(a, "--signature") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ei_cli_usage_error(CMD, "option '%s' needs a value", a);
            if (strcmp(a, "--key") == 0)
                key = argv[++i];
            else
                sig = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return ei_cli_usage_error(CMD, "unknown option '%s'", a);
        } else if (n == sizeof(models) / sizeof(models[0])) {
            return ei_cli_usage_error(CMD, "at most %zu models at once", n);
        } else {
            models[n++] = a;
        }
    }
    if (key == NULL)
        return ei_cli_usage_error(CMD, "missing --key (a public key file or a directory of them)");
    if (n == 0)
        return ei_cli_usage_error(CMD, "missing MODEL");
    if (sig != NULL && n > 1)
        return ei_cli_usage_error(CMD, "--signature takes one MODEL, got %zu", n);
    ei_keyring_t *kr = ei_cli_load_keyring(key);
    if (kr == NULL)
        return EI_EXIT_FAILURE;
    int rc = EI_EXIT_OK;
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
