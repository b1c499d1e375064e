/* SPDX-License-Identifier: MIT */
/*
 * The `edgeinfer` command: dispatch only. Each subcommand lives in cli/cmd_<name>.c and is listed
 * once in commands.h.
 */
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

typedef ei_cli_command_t command_t;

static const command_t *const commands[] = {
#define XX(name) &ei_cli_cmd_##name,
    EI_CLI_COMMAND_LIST(XX)
#undef XX
        NULL};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]) - 1)

static void print_help(FILE *f)
{
    fputs("usage: edgeinfer <command> [options]\n\n"
          "Runs ONNX models on ONNX Runtime: inspect, run, benchmark, classify, serve.\n\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    fputs("  help         show this help (or 'edgeinfer help <command>')\n\n"
          "options:\n"
          "  --version    print the edgeinfer and ONNX Runtime versions and providers\n"
          "  --help       show this help\n\n"
          "Every command takes --help. Exit codes: 0 ok, 1 failure, 2 usage error.\n",
          f);
}

static const command_t *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        print_help(stdout);
        return EI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        char *sub[] = {(char *)"version", NULL};
        int rc = ei_cli_cmd_version.fn(1, sub);
        ei_global_cleanup();
        return rc;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return EI_EXIT_OK;
        }
        const command_t *c = find_command(argv[2]);
        if (c == NULL) {
            ei_cli_errorc(EI_EINVAL, "unknown command '%s' (see 'edgeinfer help')", argv[2]);
            return EI_EXIT_USAGE;
        }
        char *sub[] = {argv[2], (char *)"--help", NULL};
        return c->fn(2, sub);
    }
    const command_t *c = find_command(cmd);
    if (c == NULL) {
        ei_cli_errorc(EI_EINVAL, "unknown command '%s' (see 'edgeinfer help')", cmd);
        return EI_EXIT_USAGE;
    }
    int rc = c->fn(argc - 1, argv + 1);
    ei_global_cleanup();
    return rc;
}
