/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for CLI commands: exit codes, error printing in the one house format, the stderr
 * log sink, and small parsers for repeated options.
 */
#ifndef EI_CLI_H
#define EI_CLI_H

#include <edgeinfer/edgeinfer.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { EI_EXIT_OK = 0, EI_EXIT_FAILURE = 1, EI_EXIT_USAGE = 2 };

#if defined(__GNUC__)
#define EI_CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EI_CLI_PRINTF(a, b)
#endif

/**
 * Prints "edgeinfer: error: <fmt...> [EI_CODE]" to stderr: every CLI error line carries its code.
 */
void ei_cli_errorc(ei_code_t code, const char *fmt, ...) EI_CLI_PRINTF(2, 3);
/** ei_cli_errorc() with EI_ERUNTIME; prefer ei_cli_errorc() with the code that fits. */
void ei_cli_error(const char *fmt, ...) EI_CLI_PRINTF(1, 2);
/** Prints "edgeinfer: error: <doing>: <err->msg> [EI_CODE]" and returns EI_EXIT_FAILURE. */
int ei_cli_fail(const ei_error_t *err, const char *doing_fmt, ...) EI_CLI_PRINTF(2, 3);
/** Prints "edgeinfer <cmd>: <fmt...>" plus "try 'edgeinfer <cmd> --help'" and returns
 * EI_EXIT_USAGE. */
int ei_cli_usage_error(const char *cmd, const char *fmt, ...) EI_CLI_PRINTF(2, 3);
/** Prints "edgeinfer: warning: ..." to stderr. */
void ei_cli_warn(const char *fmt, ...) EI_CLI_PRINTF(1, 2);

/** Installs the stderr log sink at `level` and initialises the runtime; returns an exit code. */
int ei_cli_init_runtime(ei_log_level_t level, bool global_threads, int global_intra);
/** The same, with a run-memory limit (ei_global_opts_t.run_memory_limit; 0: none). */
int ei_cli_init_runtime_limited(ei_log_level_t level, bool global_threads, int global_intra,
                                size_t run_memory_limit);

/** Parses a whole non-negative/positive integer option value; false on junk or out of range. */
bool ei_cli_parse_int(const char *s, long long min, long long max, long long *out);
/** Parses a double; false on junk. */
bool ei_cli_parse_double(const char *s, double *out);
/** Splits "NAME=VALUE" at the last '=' (names may not contain '='): writes a copy of NAME. */
bool ei_cli_split_kv(const char *arg, char *name, size_t name_size, const char **value);

/** Parses a provider list "cuda,cpu" or "cuda!" (the '!' makes it required) into opts. */
typedef struct ei_cli_providers {
    ei_provider_opts_t list[8];
    char names[8][32];
    size_t n;
} ei_cli_providers_t;
bool ei_cli_parse_providers(const char *arg, ei_cli_providers_t *out);

#endif
