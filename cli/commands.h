/* SPDX-License-Identifier: MIT */
/*
 * CLI subcommands. A command `foo` lives in cli/cmd_foo.c and defines
 *
 *     const ei_cli_command_t ei_cli_cmd_foo = {"foo", run_foo, "one-line summary"};
 *
 * where run_foo(argc, argv) gets argv[0] = "foo" and returns an exit code (EI_EXIT_*). CMake
 * globs cli/cmd_*.c and generates the list (cli_commands.gen.h, an X-macro EI_CLI_COMMAND_LIST)
 * that main.c turns into dispatch and `edgeinfer help`.
 */
#ifndef EI_CLI_COMMANDS_H
#define EI_CLI_COMMANDS_H

typedef struct ei_cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} ei_cli_command_t;

#include "cli_commands.gen.h"

#define EI__CLI_DECL(name) extern const ei_cli_command_t ei_cli_cmd_##name;
EI_CLI_COMMAND_LIST(EI__CLI_DECL)
#undef EI__CLI_DECL

#endif
