/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer keygen NAME` writes an Ed25519 signing key pair (NAME.pub, NAME.sec);
 * `edgeinfer keygen --model-key FILE` writes a random model encryption key;
 * `edgeinfer keygen --api-key NAME --scopes LIST` prints a new API token and its --api-keys line.
 * Keys are never overwritten; secrets are created with mode 0600. Formats: docs/security.md.
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

#define CMD "keygen"

static void print_help(void)
{
    printf(
        "usage: edgeinfer keygen NAME\n"
        "       edgeinfer keygen --model-key FILE\n"
        "       edgeinfer keygen --api-key NAME --scopes LIST\n\n"
        "Writes a new Ed25519 signing key pair: NAME.pub (the public key, for\n"
        "'edgeinfer verify --key' and 'edgeinfer serve --trusted-keys DIR') and NAME.sec (the\n"
        "secret key for 'edgeinfer sign', mode 0600). With --model-key, writes a random\n"
        "XChaCha20-Poly1305 key for 'edgeinfer encrypt' to FILE (mode 0600). Existing files are\n"
        "never overwritten. With --api-key, prints a new API token on stdout (shown once:\n"
        "give it to the client) and on stderr the line for 'edgeinfer serve --api-keys FILE',\n"
        "which holds only the token's SHA-256.\n\n"
        "options:\n"
        "  --model-key FILE   write a model encryption key instead of a signing key pair\n"
        "  --api-key NAME     make an API key named NAME (the access log shows the name)\n"
        "  --scopes LIST      its scopes: health, metadata, infer, repository, shm,\n"
        "                     metrics, statistics or '*', comma separated\n"
        "  -h, --help         show this help\n\n"
        "Exit codes: 0 ok, 1 a file could not be written, 2 usage error.\n");
}

static int run_keygen(int argc, char **argv)
{
    const char *name = NULL, *model_key = NULL, *api_key = NULL, *scopes = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help();
            return EI_EXIT_OK;
        } else if (strcmp(argv[i], "--model-key") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ei_cli_usage_error(CMD, "--model-key needs a file name");
            model_key = argv[++i];
        } else if (strcmp(argv[i], "--api-key") == 0 || strcmp(argv[i], "--scopes") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ei_cli_usage_error(CMD, "%s needs a value", argv[i]);
            if (argv[i][2] == 'a')
                api_key = argv[++i];
            else
                scopes = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ei_cli_usage_error(CMD, "unknown option '%s'", argv[i]);
        } else if (name != NULL) {
            return ei_cli_usage_error(CMD, "expected one NAME, got '%s' too", argv[i]);
        } else {
            name = argv[i];
        }
    }
    ei_error_t err = {0};
    if (api_key != NULL || scopes != NULL) {
        char token[64], line[256];
        if (api_key == NULL || scopes == NULL || name != NULL || model_key != NULL)
            return ei_cli_usage_error(CMD, "--api-key NAME and --scopes LIST go together, alone");
        if (ei_server_api_key_new(api_key, scopes, token, sizeof(token), line, sizeof(line),
                                  &err) != EI_OK)
            return ei_cli_usage_error(CMD, "%s", err.msg);
        printf("%s\n", token);
        fflush(stdout);
        fprintf(stderr, "line for the --api-keys file (holds no secret):\n%s\n", line);
        return EI_EXIT_OK;
    }
    if (model_key != NULL) {
        if (name != NULL)
            return ei_cli_usage_error(CMD, "--model-key FILE takes no NAME (got '%s')", name);
        if (ei_model_keygen(model_key, &err) != EI_OK)
            return ei_cli_fail(&err, "writing the model key");
        fprintf(stderr, "wrote model key %s (keep it secret)\n", model_key);
        return EI_EXIT_OK;
    }
    if (name == NULL || name[0] == '\0')
        return ei_cli_usage_error(CMD, "missing NAME");
    char pub[4096], sec[4096], id[EI_KEY_ID_SIZE];
    if (snprintf(pub, sizeof(pub), "%s.pub", name) >= (int)sizeof(pub) ||
        snprintf(sec, sizeof(sec), "%s.sec", name) >= (int)sizeof(sec))
        return ei_cli_usage_error(CMD, "NAME too long");
    if (ei_sign_keygen(pub, sec, id, &err) != EI_OK)
        return ei_cli_fail(&err, "writing the key pair");
    printf("%s\n", id);
    fprintf(stderr, "wrote %s (public) and %s (secret: keep it secret); key id %s\n", pub, sec, id);
    return EI_EXIT_OK;
}

const ei_cli_command_t ei_cli_cmd_keygen = {"keygen", run_keygen,
                                            "make a signing key pair or a model encryption key"};
