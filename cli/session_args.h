/* SPDX-License-Identifier: MIT */
/*
 * The session options every model-running command takes (run, bench, classify...): threads,
 * execution mode, graph optimisation, providers, free-dimension overrides, memory toggles,
 * profiling. A command splices ei_cli_session_options into its getopt_long table (see
 * ei_cli_options_concat()), hands every option its own switch does not know to
 * ei_cli_session_arg(), and prints EI_CLI_SESSION_HELP in its --help. Not for option parsing that
 * belongs to one command only.
 */
#ifndef EI_CLI_SESSION_ARGS_H
#define EI_CLI_SESSION_ARGS_H

#include "cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/** Most --dim overrides one command line may carry. */
#define EI_CLI_MAX_DIMS 32
/** Most --custom-op-library options one command line may carry. */
#define EI_CLI_MAX_CUSTOM_OPS 16
/** Longest --dim name, terminating NUL included. */
#define EI_CLI_DIM_NAME_SIZE 128

/*
 * getopt_long values of the session options. They start at 0x1000 so that they never collide
 * with a command's own short options (ASCII) or its own long-only values (keep those below 0x1000).
 */
enum {
    EI_CLI_OPT_THREADS = 0x1000,
    EI_CLI_OPT_INTER_THREADS,
    EI_CLI_OPT_PARALLEL,
    EI_CLI_OPT_OPT_LEVEL,
    EI_CLI_OPT_PROVIDER,
    EI_CLI_OPT_DIM,
    EI_CLI_OPT_NO_ARENA,
    EI_CLI_OPT_NO_MEM_PATTERN,
    EI_CLI_OPT_PROFILE,
    EI_CLI_OPT_OPTIMIZED_MODEL,
    EI_CLI_OPT_GLOBAL_THREADS,
    EI_CLI_OPT_VERIFY_KEY,
    EI_CLI_OPT_KEY_FILE,
    EI_CLI_OPT_CUSTOM_OP_LIBRARY,
    EI_CLI__OPT_END
};

/** The session options as getopt_long entries, terminated by an all-zero entry. */
extern const struct option ei_cli_session_options[];

/** The --help block describing the session options (ends with a newline). */
#define EI_CLI_SESSION_HELP                                                                        \
    "session options:\n"                                                                           \
    "  --threads N            intra-op threads (0: ONNX Runtime's default, one per core)\n"        \
    "  --inter-threads N      inter-op threads (used with --parallel; 0: default)\n"               \
    "  --parallel             parallel execution of independent nodes (default: sequential)\n"     \
    "  --opt-level LEVEL      graph optimisation: disable, basic, extended, all (default all)\n"   \
    "  --provider LIST        execution providers in priority order, comma separated\n"            \
    "                         (cpu, cuda, tensorrt, openvino...); NAME! makes one required;\n"     \
    "                         cpu is always the last resort\n"                                     \
    "  --dim NAME=N           fix the free (symbolic) dimension NAME to N; repeatable\n"           \
    "  --no-arena             turn off the CPU memory arena\n"                                     \
    "  --no-mem-pattern       turn off memory-pattern planning\n"                                  \
    "  --profile PREFIX       write an ONNX Runtime profile (JSON trace) named PREFIX*.json\n"     \
    "  --optimized-model PATH save the optimised graph to PATH\n"                                  \
    "  --global-threads       use process-wide thread pools (shared by every session)\n"           \
    "  --custom-op-library PATH  load ONNX Runtime custom ops from this shared library before\n"   \
    "                         the model; repeatable\n"                                             \
    "  --verify-key PATH      refuse the model unless MODEL.sig is a valid signature by this\n"    \
    "                         public key (or by any *.pub key in directory PATH)\n"                \
    "  --key-file FILE        key of an encrypted model (default: $EDGEINFER_MODEL_KEY)\n"

/**
 * Parsed session options. Initialise with ei_cli_session_args_init(); read the result with
 * ei_cli_session_opts(). Strings point into argv (they must outlive the struct) or into the struct.
 */
typedef struct ei_cli_session_args {
    ei_session_opts_t opts;
    ei_cli_providers_t providers;
    bool have_providers;
    ei_dim_override_t dims[EI_CLI_MAX_DIMS];
    char dim_names[EI_CLI_MAX_DIMS][EI_CLI_DIM_NAME_SIZE];
    size_t n_dims;
    /** --global-threads: pass to ei_cli_init_runtime() before creating the session. */
    bool global_threads;
    /** --custom-op-library paths (into argv), in order. */
    const char *custom_ops[EI_CLI_MAX_CUSTOM_OPS];
    size_t n_custom_ops;
    /** --verify-key and --key-file (paths into argv); loaded by ei_cli_session_load_keys(). */
    const char *verify_key_path, *key_file_path;
    ei_keyring_t *keyring;
    ei_model_key_t *model_key;
} ei_cli_session_args_t;

/** Fills `a` with defaults (ei_session_opts_init() and no overrides). */
void ei_cli_session_args_init(ei_cli_session_args_t *a);

/**
 * Handles one getopt_long result. Returns EI_EXIT_OK when `opt` was a session option and its value
 * is good, EI_EXIT_USAGE after printing a usage error for command `cmd` when the value is bad
 * (naming the option and the value), and -1 when `opt` is not a session option (the caller then
 * reports it as unknown).
 */
int ei_cli_session_arg(ei_cli_session_args_t *a, const char *cmd, int opt, const char *arg);

/**
 * Loads what --verify-key and --key-file name (the model key from $EDGEINFER_MODEL_KEY when
 * --key-file is absent and the variable is set) into `a->opts`. Prints the error and returns
 * EI_EXIT_FAILURE when a key cannot be read; EI_EXIT_OK otherwise. Call before creating the
 * session; release with ei_cli_session_args_dispose().
 */
int ei_cli_session_load_keys(ei_cli_session_args_t *a);

/** Releases the keys ei_cli_session_load_keys() loaded (wiping the model key). */
void ei_cli_session_args_dispose(ei_cli_session_args_t *a);

/**
 * Loads a key ring from PATH: one public key file, or every *.pub file in a directory. Prints
 * the error and returns NULL on failure.
 */
ei_keyring_t *ei_cli_load_keyring(const char *path);

/**
 * The options to pass to ei_session_create(), with the provider and dim arrays pointing into `a`
 * (call it again if `a` was copied). Valid as long as `a`.
 */
const ei_session_opts_t *ei_cli_session_opts(ei_cli_session_args_t *a);

/**
 * Parses "NAME=N" (N >= 0) into a dim override, copying NAME into `name` (size `name_size`).
 * Returns false on a missing '=', an empty or too long name, or N not a non-negative integer.
 */
bool ei_cli_parse_dim(const char *arg, char *name, size_t name_size, int64_t *value);

/**
 * Writes `own` (terminated by an all-zero entry) followed by ei_cli_session_options into `out`
 * (room for `cap` entries, terminator included). Returns false when `cap` is too small.
 */
bool ei_cli_options_concat(const struct option *own, struct option *out, size_t cap);

/** The name of a graph optimisation level as --opt-level takes it ("disable", ...). */
const char *ei_cli_opt_level_name(ei_graph_opt_t level);

/**
 * The getopt_long loop every model-running command shares: the command's own options followed by
 * the session options, -h (the command's help), "needs a value" and "unknown option" errors, and
 * session options handed to ei_cli_session_arg(). The command's switch sees only its own options:
 *
 *     ei_cli_opts_t p;
 *     int opt, rc = ei_cli_opts_begin(&p, CMD, own_options, ":hi:", &a->sess, print_help);
 *     while ((opt = ei_cli_opts_next(&p, argc, argv, &rc)) != -1)
 *         switch (opt) { ... }   (a bad value: return ei_cli_usage_error(...))
 *     if (rc != -1)
 *         return rc;               (help printed, usage error, or a bad session option)
 *     ... positional arguments from argv[optind] on ...
 *
 * `shortopts` starts with ':' and names 'h'. `sess` may be NULL (no session options).
 */
typedef struct ei_cli_opts {
    const char *cmd, *shortopts;
    ei_cli_session_args_t *sess;
    void (*help)(void);
    struct option all[64];
} ei_cli_opts_t;

/**
 * Prepares the loop (resets getopt). Returns -1 to go on, or EI_EXIT_FAILURE after printing why
 * (the option table does not fit); ei_cli_opts_next() then ends at once with that code.
 */
int ei_cli_opts_begin(ei_cli_opts_t *p, const char *cmd, const struct option *own,
                      const char *shortopts, ei_cli_session_args_t *sess, void (*help)(void));

/**
 * The next option of the command's own, with `optarg` set as getopt_long sets it. Returns -1 when
 * the loop is over: `*rc` is then -1 when every option was fine, or the exit code to return (help
 * printed: EI_EXIT_OK; usage errors: EI_EXIT_USAGE after printing them). `*rc` must hold the value
 * ei_cli_opts_begin() returned.
 */
int ei_cli_opts_next(ei_cli_opts_t *p, int argc, char **argv, int *rc);

#endif
