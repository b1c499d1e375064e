/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer version`: the same as `edgeinfer --version`.
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

static int run_version(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: edgeinfer version [--json]\n\n"
                   "Prints the edgeinfer and ONNX Runtime versions and the execution providers\n"
                   "this ONNX Runtime build has.\n");
            return EI_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else {
            return ei_cli_usage_error("version", "unknown option '%s'", argv[i]);
        }
    }
    const char *names[32];
    size_t n = ei_providers_available(names, 32);
    if (json) {
        printf("{\"edgeinfer\": \"%s\", \"onnxruntime\": \"%s\", \"providers\": [",
               ei_version_string(), ei_ort_version());
        for (size_t i = 0; i < n && i < 32; i++)
            printf("%s\"%s\"", i ? ", " : "", names[i]);
        printf("]}\n");
        return EI_EXIT_OK;
    }
    printf("edgeinfer %s\n", ei_version_string());
    printf("onnxruntime %s\n", ei_ort_version());
    printf("providers:");
    for (size_t i = 0; i < n && i < 32; i++)
        printf(" %s", names[i]);
    printf("\n");
    return EI_EXIT_OK;
}

const ei_cli_command_t ei_cli_cmd_version = {
    "version", run_version, "print versions and the available execution providers"};
