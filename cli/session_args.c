/* SPDX-License-Identifier: MIT */
/*
 * The session options shared by every model-running command: the getopt_long table, the value
 * parsers and the mapping into ei_session_opts_t. Commands keep their own options; this file only
 * knows the ones that end up in the session.
 */
#include "session_args.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const struct option ei_cli_session_options[] = {
    {"threads", required_argument, NULL, EI_CLI_OPT_THREADS},
    {"inter-threads", required_argument, NULL, EI_CLI_OPT_INTER_THREADS},
    {"parallel", no_argument, NULL, EI_CLI_OPT_PARALLEL},
    {"opt-level", required_argument, NULL, EI_CLI_OPT_OPT_LEVEL},
    {"provider", required_argument, NULL, EI_CLI_OPT_PROVIDER},
    {"providers", required_argument, NULL, EI_CLI_OPT_PROVIDER},
    {"dim", required_argument, NULL, EI_CLI_OPT_DIM},
    {"no-arena", no_argument, NULL, EI_CLI_OPT_NO_ARENA},
    {"no-mem-pattern", no_argument, NULL, EI_CLI_OPT_NO_MEM_PATTERN},
    {"profile", required_argument, NULL, EI_CLI_OPT_PROFILE},
    {"optimized-model", required_argument, NULL, EI_CLI_OPT_OPTIMIZED_MODEL},
    {"global-threads", no_argument, NULL, EI_CLI_OPT_GLOBAL_THREADS},
    {"verify-key", required_argument, NULL, EI_CLI_OPT_VERIFY_KEY},
    {"key-file", required_argument, NULL, EI_CLI_OPT_KEY_FILE},
    {"custom-op-library", required_argument, NULL, EI_CLI_OPT_CUSTOM_OP_LIBRARY},
    {NULL, 0, NULL, 0},
};

static const struct {
    const char *name;
    ei_graph_opt_t level;
} opt_levels[] = {
    {"disable", EI_GRAPH_OPT_DISABLE},
    {"basic", EI_GRAPH_OPT_BASIC},
    {"extended", EI_GRAPH_OPT_EXTENDED},
    {"all", EI_GRAPH_OPT_ALL},
};

void ei_cli_session_args_init(ei_cli_session_args_t *a)
{
    memset(a, 0, sizeof(*a));
    ei_session_opts_init(&a->opts);
}

const char *ei_cli_opt_level_name(ei_graph_opt_t level)
{
    for (size_t i = 0; i < sizeof(opt_levels) / sizeof(opt_levels[0]); i++) {
        if (opt_levels[i].level == level)
            return opt_levels[i].name;
    }
    return "unknown";
}

bool ei_cli_parse_dim(const char *arg, char *name, size_t name_size, int64_t *value)
{
    const char *v = NULL;
    long long n = 0;
    if (arg == NULL || !ei_cli_split_kv(arg, name, name_size, &v))
        return false;
    if (!ei_cli_parse_int(v, 0, INT64_MAX, &n))
        return false;
    *value = (int64_t)n;
    return true;
}

static int parse_threads(const char *cmd, const char *opt, const char *arg, int *out)
{
    long long n = 0;
    if (!ei_cli_parse_int(arg, 0, 1024, &n))
        return ei_cli_usage_error(cmd, "%s: expected a thread count from 0 to 1024, got '%s'", opt,
                                  arg);
    *out = (int)n;
    return EI_EXIT_OK;
}

static int add_dim(ei_cli_session_args_t *a, const char *cmd, const char *arg)
{
    char name[EI_CLI_DIM_NAME_SIZE];
    int64_t value = 0;
    if (!ei_cli_parse_dim(arg, name, sizeof(name), &value))
        return ei_cli_usage_error(cmd, "--dim: expected NAME=N with N >= 0, got '%s'", arg);
    /* A repeated name replaces the earlier value, so a later option wins as usual. */
    for (size_t i = 0; i < a->n_dims; i++) {
        if (strcmp(a->dim_names[i], name) == 0) {
            a->dims[i].value = value;
            return EI_EXIT_OK;
        }
    }
    if (a->n_dims == EI_CLI_MAX_DIMS)
        return ei_cli_usage_error(cmd, "--dim: at most %d overrides, got more", EI_CLI_MAX_DIMS);
    memcpy(a->dim_names[a->n_dims], name, sizeof(name));
    a->dims[a->n_dims].value = value;
    a->n_dims++;
    return EI_EXIT_OK;
}

int ei_cli_session_arg(ei_cli_session_args_t *a, const char *cmd, int opt, const char *arg)
{
    switch (opt) {
    case EI_CLI_OPT_THREADS:
        return parse_threads(cmd, "--threads", arg, &a->opts.intra_op_threads);
    case EI_CLI_OPT_INTER_THREADS:
        return parse_threads(cmd, "--inter-threads", arg, &a->opts.inter_op_threads);
    case EI_CLI_OPT_PARALLEL:
        a->opts.parallel_execution = true;
        return EI_EXIT_OK;
    case EI_CLI_OPT_OPT_LEVEL:
        for (size_t i = 0; i < sizeof(opt_levels) / sizeof(opt_levels[0]); i++) {
            if (strcmp(arg, opt_levels[i].name) == 0) {
                a->opts.graph_opt = opt_levels[i].level;
                return EI_EXIT_OK;
            }
        }
        return ei_cli_usage_error(
            cmd, "--opt-level: expected disable, basic, extended or all, got '%s'", arg);
    case EI_CLI_OPT_PROVIDER:
        if (!ei_cli_parse_providers(arg, &a->providers)) {
            a->have_providers = false;
            return ei_cli_usage_error(cmd,
                                      "--provider: expected a comma-separated list of up to 8 "
                                      "names (NAME! for a required one), got '%s'",
                                      arg);
        }
        a->have_providers = true;
        return EI_EXIT_OK;
    case EI_CLI_OPT_DIM:
        return add_dim(a, cmd, arg);
    case EI_CLI_OPT_NO_ARENA:
        a->opts.disable_mem_arena = true;
        return EI_EXIT_OK;
    case EI_CLI_OPT_NO_MEM_PATTERN:
        a->opts.disable_mem_pattern = true;
        return EI_EXIT_OK;
    case EI_CLI_OPT_PROFILE:
        if (arg[0] == '\0')
            return ei_cli_usage_error(cmd, "--profile: expected a file name prefix, got ''");
        a->opts.profile_prefix = arg;
        return EI_EXIT_OK;
    case EI_CLI_OPT_OPTIMIZED_MODEL:
        if (arg[0] == '\0')
            return ei_cli_usage_error(cmd, "--optimized-model: expected a path, got ''");
        a->opts.optimized_model_path = arg;
        return EI_EXIT_OK;
    case EI_CLI_OPT_GLOBAL_THREADS:
        a->global_threads = true;
        a->opts.use_global_threads = true;
        return EI_EXIT_OK;
    case EI_CLI_OPT_VERIFY_KEY:
        if (arg[0] == '\0')
            return ei_cli_usage_error(cmd,
                                      "--verify-key: expected a key file or directory, got ''");
        a->verify_key_path = arg;
        return EI_EXIT_OK;
    case EI_CLI_OPT_KEY_FILE:
        if (arg[0] == '\0')
            return ei_cli_usage_error(cmd, "--key-file: expected a key file, got ''");
        a->key_file_path = arg;
        return EI_EXIT_OK;
    case EI_CLI_OPT_CUSTOM_OP_LIBRARY:
        if (arg[0] == '\0')
            return ei_cli_usage_error(cmd, "--custom-op-library: expected a library path, got ''");
        if (a->n_custom_ops == EI_CLI_MAX_CUSTOM_OPS)
            return ei_cli_usage_error(cmd, "--custom-op-library: at most %d libraries",
                                      EI_CLI_MAX_CUSTOM_OPS);
        a->custom_ops[a->n_custom_ops++] = arg;
        return EI_EXIT_OK;
    default:
        return -1;
    }
}

const ei_session_opts_t *ei_cli_session_opts(ei_cli_session_args_t *a)
{
    for (size_t i = 0; i < a->n_dims; i++)
        a->dims[i].name = a->dim_names[i];
    a->opts.dim_overrides = a->n_dims > 0 ? a->dims : NULL;
    a->opts.n_dim_overrides = a->n_dims;
    a->opts.custom_op_libraries = a->n_custom_ops > 0 ? a->custom_ops : NULL;
    a->opts.n_custom_op_libraries = a->n_custom_ops;
    if (a->have_providers) {
        for (size_t i = 0; i < a->providers.n; i++)
            a->providers.list[i].name = a->providers.names[i];
        a->opts.providers = a->providers.list;
        a->opts.n_providers = a->providers.n;
    } else {
        a->opts.providers = NULL;
        a->opts.n_providers = 0;
    }
    return &a->opts;
}

bool ei_cli_options_concat(const struct option *own, struct option *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; own != NULL && own[i].name != NULL; i++) {
        if (n + 1 >= cap)
            return false;
        out[n++] = own[i];
    }
    for (size_t i = 0; ei_cli_session_options[i].name != NULL; i++) {
        if (n + 1 >= cap)
            return false;
        out[n++] = ei_cli_session_options[i];
    }
    memset(&out[n], 0, sizeof(out[n]));
    return true;
}

ei_keyring_t *ei_cli_load_keyring(const char *path)
{
    ei_error_t err = {0};
    ei_keyring_t *kr = NULL;
    struct stat st;
    ei_code_t rc = ei_keyring_create(&kr, &err);
    if (rc == EI_OK) {
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rc = ei_keyring_add_dir(kr, path, &err);
        else
            rc = ei_keyring_add_file(kr, path, NULL, &err);
    }
    if (rc != EI_OK) {
        ei_cli_fail(&err, "loading trusted keys");
        ei_keyring_destroy(kr);
        return NULL;
    }
    return kr;
}

int ei_cli_session_load_keys(ei_cli_session_args_t *a)
{
    ei_error_t err = {0};
    if (a->verify_key_path != NULL && a->keyring == NULL) {
        a->keyring = ei_cli_load_keyring(a->verify_key_path);
        if (a->keyring == NULL)
            return EI_EXIT_FAILURE;
    }
    if (a->model_key == NULL) {
        ei_code_t rc = EI_OK;
        if (a->key_file_path != NULL)
            rc = ei_model_key_load(a->key_file_path, &a->model_key, &err);
        else if (getenv(EI_MODEL_KEY_ENV) != NULL && getenv(EI_MODEL_KEY_ENV)[0] != '\0')
            rc = ei_model_key_from_env(NULL, &a->model_key, &err);
        if (rc != EI_OK)
            return ei_cli_fail(&err, "loading the model key");
    }
    a->opts.verify_keys = a->keyring;
    a->opts.model_key = a->model_key;
    return EI_EXIT_OK;
}

void ei_cli_session_args_dispose(ei_cli_session_args_t *a)
{
    ei_keyring_destroy(a->keyring);
    ei_model_key_destroy(a->model_key);
    a->keyring = NULL;
    a->model_key = NULL;
    a->opts.verify_keys = NULL;
    a->opts.model_key = NULL;
}

int ei_cli_opts_begin(ei_cli_opts_t *p, const char *cmd, const struct option *own,
                      const char *shortopts, ei_cli_session_args_t *sess, void (*help)(void))
{
    memset(p, 0, sizeof(*p));
    p->cmd = cmd;
    p->shortopts = shortopts;
    p->sess = sess;
    p->help = help;
    optind = 1;
    opterr = 0;
    size_t cap = sizeof(p->all) / sizeof(p->all[0]), n = 0;
    bool fits = true;
    if (sess != NULL) {
        fits = ei_cli_options_concat(own, p->all, cap);
    } else {
        for (; own != NULL && own[n].name != NULL && fits; n++) {
            fits = n + 1 < cap;
            if (fits)
                p->all[n] = own[n];
        }
        if (fits)
            memset(&p->all[n], 0, sizeof(p->all[n]));
    }
    if (!fits) {
        ei_cli_errorc(EI_ELIMIT, "%s: option table too small", cmd);
        return EI_EXIT_FAILURE;
    }
    return -1;
}

int ei_cli_opts_next(ei_cli_opts_t *p, int argc, char **argv, int *rc)
{
    while (*rc == -1) {
        int opt = getopt_long(argc, argv, p->shortopts, p->all, NULL);
        if (opt == -1)
            return -1;
        /* getopt_long has stepped past the option it returned (argv may have been permuted). */
        const char *given = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        switch (opt) {
        case 'h':
            if (p->help == NULL)
                return opt;
            p->help();
            *rc = EI_EXIT_OK;
            break;
        case ':':
            *rc = ei_cli_usage_error(p->cmd, "option '%s' needs a value", given);
            break;
        case '?':
            *rc = ei_cli_usage_error(p->cmd, "unknown option '%s'", given);
            break;
        default:
            if (opt < EI_CLI_OPT_THREADS || opt >= EI_CLI__OPT_END || p->sess == NULL)
                return opt;
            int r = ei_cli_session_arg(p->sess, p->cmd, opt, optarg);
            if (r == -1)
                *rc = ei_cli_usage_error(p->cmd, "unknown option '%s'", given);
            else if (r != EI_EXIT_OK)
                *rc = r;
            break;
        }
    }
    return -1;
}
