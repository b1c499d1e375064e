/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the CLI's shared session options (cli/session_args.c) and generated inputs
 * (cli/inputs.c). Linked against ei_cli (see tests/integration/cli_info_run.cmake).
 */
#include "inputs.h"
#include "session_args.h"
#include "test.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/*
 * Runs getopt_long over a copy of `args` (getopt wants writable strings) with the session options
 * only; returns the first non-OK result. Strings point into a static pool, as argv would.
 */
static char pool[4096];

static int parse(ei_cli_session_args_t *a, int argc, const char *const *args)
{
    char *argv[64];
    size_t used = 0;
    for (int i = 0; i < argc && i < 63; i++) {
        size_t len = strlen(args[i]) + 1;
        if (used + len > sizeof(pool))
            return 98;
        memcpy(pool + used, args[i], len);
        argv[i] = pool + used;
        used += len;
    }
    argv[argc] = NULL;
    struct option longopts[32];
    if (!ei_cli_options_concat(NULL, longopts, 32))
        return 99;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc = ei_cli_session_arg(a, "test", c, optarg);
        if (rc != EI_EXIT_OK)
            return rc;
    }
    return EI_EXIT_OK;
}

TEST(session_args_all)
{
    ei_cli_session_args_t a;
    ei_cli_session_args_init(&a);
    static const char *const argv[] = {"x",
                                       "--threads",
                                       "3",
                                       "--inter-threads=2",
                                       "--parallel",
                                       "--opt-level",
                                       "basic",
                                       "--provider",
                                       "cuda!,cpu",
                                       "--dim",
                                       "batch=4",
                                       "--dim",
                                       "W=192",
                                       "--dim",
                                       "batch=2",
                                       "--no-arena",
                                       "--no-mem-pattern",
                                       "--profile",
                                       "prof",
                                       "--optimized-model",
                                       "opt.onnx",
                                       "--global-threads",
                                       NULL};
    ASSERT_EQ(parse(&a, (int)(sizeof(argv) / sizeof(argv[0])) - 1, argv), EI_EXIT_OK);
    ei_cli_session_args_t copy = a; /* the opts must be rebuilt from the copy's own arrays */
    const ei_session_opts_t *o = ei_cli_session_opts(&copy);
    ASSERT_EQ(o->intra_op_threads, 3);
    ASSERT_EQ(o->inter_op_threads, 2);
    ASSERT_TRUE(o->parallel_execution);
    ASSERT_EQ(o->graph_opt, EI_GRAPH_OPT_BASIC);
    ASSERT_EQ(o->n_providers, 2);
    ASSERT_STR_EQ(o->providers[0].name, "cuda");
    ASSERT_TRUE(o->providers[0].required);
    ASSERT_STR_EQ(o->providers[1].name, "cpu");
    ASSERT_TRUE(!o->providers[1].required);
    ASSERT_TRUE(o->providers[0].name == copy.providers.names[0]);
    ASSERT_EQ(o->n_dim_overrides, 2); /* the repeated name replaced its first value */
    ASSERT_STR_EQ(o->dim_overrides[0].name, "batch");
    ASSERT_EQ(o->dim_overrides[0].value, 2);
    ASSERT_STR_EQ(o->dim_overrides[1].name, "W");
    ASSERT_EQ(o->dim_overrides[1].value, 192);
    ASSERT_TRUE(o->dim_overrides[0].name == copy.dim_names[0]);
    ASSERT_TRUE(o->disable_mem_arena);
    ASSERT_TRUE(o->disable_mem_pattern);
    ASSERT_STR_EQ(o->profile_prefix, "prof");
    ASSERT_STR_EQ(o->optimized_model_path, "opt.onnx");
    ASSERT_TRUE(o->use_global_threads);
    ASSERT_TRUE(copy.global_threads);
}

TEST(session_args_defaults)
{
    ei_cli_session_args_t a;
    ei_cli_session_args_init(&a);
    const ei_session_opts_t *o = ei_cli_session_opts(&a);
    ASSERT_EQ(o->intra_op_threads, 0);
    ASSERT_EQ(o->graph_opt, EI_GRAPH_OPT_ALL);
    ASSERT_EQ(o->n_providers, 0);
    ASSERT_NULL(o->providers);
    ASSERT_EQ(o->n_dim_overrides, 0);
    ASSERT_NULL(o->dim_overrides);
    ASSERT_TRUE(!a.global_threads);
}

TEST(session_args_bad_values)
{
    static const char *bad[][2] = {
        {"--threads", "-1"},     {"--threads", "two"},      {"--threads", "5000"},
        {"--inter-threads", ""}, {"--opt-level", "max"},    {"--provider", ""},
        {"--provider", ",cpu"},  {"--provider", "!"},       {"--dim", "batch"},
        {"--dim", "=3"},         {"--dim", "batch=-1"},     {"--dim", "batch=x"},
        {"--profile", ""},       {"--optimized-model", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ei_cli_session_args_t a;
        ei_cli_session_args_init(&a);
        const char *argv[] = {"x", bad[i][0], bad[i][1], NULL};
        int rc = parse(&a, 3, argv);
        if (rc != EI_EXIT_USAGE)
            fprintf(stderr, "case %s %s\n", bad[i][0], bad[i][1]);
        ASSERT_EQ(rc, EI_EXIT_USAGE);
    }
}

TEST(session_args_unknown_opt)
{
    ei_cli_session_args_t a;
    ei_cli_session_args_init(&a);
    ASSERT_EQ(ei_cli_session_arg(&a, "test", 'i', "x"), -1);
    ASSERT_EQ(ei_cli_session_arg(&a, "test", EI_CLI__OPT_END, "x"), -1);
}

TEST(session_args_too_many_dims)
{
    ei_cli_session_args_t a;
    ei_cli_session_args_init(&a);
    char buf[32];
    for (int i = 0; i < EI_CLI_MAX_DIMS; i++) {
        snprintf(buf, sizeof(buf), "d%d=1", i);
        ASSERT_EQ(ei_cli_session_arg(&a, "test", EI_CLI_OPT_DIM, buf), EI_EXIT_OK);
    }
    ASSERT_EQ(ei_cli_session_arg(&a, "test", EI_CLI_OPT_DIM, "more=1"), EI_EXIT_USAGE);
    /* Replacing a known name still works at the limit. */
    ASSERT_EQ(ei_cli_session_arg(&a, "test", EI_CLI_OPT_DIM, "d3=7"), EI_EXIT_OK);
    ASSERT_EQ(ei_cli_session_opts(&a)->dim_overrides[3].value, 7);
}

TEST(options_concat)
{
    static const struct option own[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    struct option out[64];
    ASSERT_TRUE(ei_cli_options_concat(own, out, 64));
    ASSERT_STR_EQ(out[0].name, "json");
    ASSERT_STR_EQ(out[1].name, "threads");
    size_t n = 0;
    while (out[n].name != NULL)
        n++;
    size_t ns = 0;
    while (ei_cli_session_options[ns].name != NULL)
        ns++;
    ASSERT_EQ(n, ns + 1);
    ASSERT_TRUE(!ei_cli_options_concat(own, out, ns + 1)); /* no room for the terminator */
    ASSERT_TRUE(ei_cli_options_concat(own, out, ns + 2));
}

TEST(parse_dim)
{
    char name[8];
    int64_t v = 0;
    ASSERT_TRUE(ei_cli_parse_dim("abc=12", name, sizeof(name), &v));
    ASSERT_STR_EQ(name, "abc");
    ASSERT_EQ(v, 12);
    ASSERT_TRUE(!ei_cli_parse_dim("waytoolongname=1", name, sizeof(name), &v));
    ASSERT_TRUE(!ei_cli_parse_dim("a=", name, sizeof(name), &v));
    ASSERT_TRUE(!ei_cli_parse_dim("a=1x", name, sizeof(name), &v));
}

/* A fake input description as ei_session_input() would give it. */
static const int64_t fake_shape[] = {-1, 3, -1, -1};
static const char *const fake_dims[] = {"N", "", "H", "W"};
static const ei_value_info_t fake_input = {.name = "x",
                                           .kind = EI_VALUE_TENSOR,
                                           .dtype = EI_DTYPE_FLOAT32,
                                           .rank = 4,
                                           .rank_known = true,
                                           .shape = fake_shape,
                                           .dim_names = fake_dims};

TEST(input_shape_rules)
{
    ei_dim_override_t dims[] = {{"W", 192}, {"H", 48}};
    ei_cli_gen_t gen = {.dims = dims, .n_dims = 2, .batch = 5, .quiet = true};
    int64_t shape[EI_MAX_RANK];
    size_t rank = 0;
    ei_error_t err = {0};
    ASSERT_OK(ei_cli_input_shape(&fake_input, &gen, shape, &rank, &err), &err);
    ASSERT_EQ(rank, 4);
    ASSERT_EQ(shape[0], 5);
    ASSERT_EQ(shape[1], 3);
    ASSERT_EQ(shape[2], 48);
    ASSERT_EQ(shape[3], 192);
    /* Named batch wins over the batch rule; unnamed others fall back to 1. */
    ei_dim_override_t dims2[] = {{"N", 2}};
    ei_cli_gen_t gen2 = {.dims = dims2, .n_dims = 1, .batch = 5, .quiet = true};
    ASSERT_OK(ei_cli_input_shape(&fake_input, &gen2, shape, &rank, &err), &err);
    ASSERT_EQ(shape[0], 2);
    ASSERT_EQ(shape[2], 1);
    ASSERT_EQ(shape[3], 1);
    /* No overrides: the first free dim takes the batch (default 1). */
    ei_cli_gen_t gen3 = {.quiet = true};
    ASSERT_OK(ei_cli_input_shape(&fake_input, &gen3, shape, &rank, &err), &err);
    ASSERT_EQ(shape[0], 1);
}

TEST(input_shape_unknown)
{
    ei_value_info_t v = fake_input;
    v.rank_known = false;
    ei_cli_gen_t gen = {.quiet = true};
    int64_t shape[EI_MAX_RANK];
    size_t rank = 0;
    ei_error_t err = {0};
    ASSERT_EQ(ei_cli_input_shape(&v, &gen, shape, &rank, &err), EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "input 'x'");
    v = fake_input;
    v.kind = EI_VALUE_SEQUENCE;
    ASSERT_EQ(ei_cli_input_shape(&v, &gen, shape, &rank, &err), EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "not a tensor");
}

TEST(make_input_random_and_zeros)
{
    ei_dim_override_t dims[] = {{"H", 4}, {"W", 5}};
    ei_cli_gen_t gen = {
        .fill = EI_CLI_FILL_RANDOM, .seed = 42, .dims = dims, .n_dims = 2, .quiet = true};
    ei_error_t err = {0};
    ei_tensor_t *a = NULL, *b = NULL, *z = NULL;
    ASSERT_OK(ei_cli_make_input(&fake_input, &gen, &a, &err), &err);
    ei_cli_gen_t gen_b = gen;
    gen_b.seed = 42;
    ASSERT_OK(ei_cli_make_input(&fake_input, &gen_b, &b, &err), &err);
    ASSERT_EQ(ei_tensor_count(a), 1 * 3 * 4 * 5);
    const float *fa = ei_tensor_data(a), *fb = ei_tensor_data(b);
    int distinct = 0;
    for (size_t i = 0; i < ei_tensor_count(a); i++) {
        ASSERT_TRUE(fa[i] >= 0.0f && fa[i] < 1.0f);
        ASSERT_TRUE(fa[i] == fb[i]); /* the same seed gives the same values */
        if (i > 0 && fa[i] != fa[i - 1])
            distinct++;
    }
    ASSERT_TRUE(distinct > 50);
    gen.fill = EI_CLI_FILL_ZEROS;
    ASSERT_OK(ei_cli_make_input(&fake_input, &gen, &z, &err), &err);
    const float *fz = ei_tensor_data(z);
    for (size_t i = 0; i < ei_tensor_count(z); i++)
        ASSERT_TRUE(fz[i] == 0.0f);
    ei_tensor_destroy(a);
    ei_tensor_destroy(b);
    ei_tensor_destroy(z);
}

TEST(fill_every_dtype)
{
    static const ei_dtype_t types[] = {
        EI_DTYPE_FLOAT32, EI_DTYPE_UINT8,  EI_DTYPE_INT8,   EI_DTYPE_UINT16,  EI_DTYPE_INT16,
        EI_DTYPE_INT32,   EI_DTYPE_INT64,  EI_DTYPE_STRING, EI_DTYPE_BOOL,    EI_DTYPE_FLOAT16,
        EI_DTYPE_FLOAT64, EI_DTYPE_UINT32, EI_DTYPE_UINT64, EI_DTYPE_BFLOAT16};
    int64_t shape[] = {7, 3};
    uint64_t seed = 1;
    for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        ei_error_t err = {0};
        ei_tensor_t *t = NULL;
        ASSERT_OK(ei_tensor_create(types[k], shape, 2, &t, &err), &err);
        ASSERT_OK(ei_cli_fill_tensor(t, EI_CLI_FILL_RANDOM, &seed, &err), &err);
        int nonzero = 0;
        for (size_t i = 0; i < ei_tensor_count(t); i++) {
            if (types[k] == EI_DTYPE_STRING) {
                size_t len = 0;
                ASSERT_STR_EQ(ei_tensor_string(t, i, &len), "a");
                nonzero++;
                continue;
            }
            double v = ei_tensor_get_f64(t, i);
            if (types[k] == EI_DTYPE_BOOL)
                ASSERT_TRUE(v == 0.0 || v == 1.0);
            else if (types[k] == EI_DTYPE_FLOAT32 || types[k] == EI_DTYPE_FLOAT64 ||
                     types[k] == EI_DTYPE_FLOAT16 || types[k] == EI_DTYPE_BFLOAT16)
                ASSERT_TRUE(v >= 0.0 && v <= 1.0); /* half rounding may reach 1.0 */
            else
                ASSERT_TRUE(v >= 0.0 && v < 10.0);
            if (v != 0.0)
                nonzero++;
        }
        if (nonzero == 0)
            fprintf(stderr, "dtype %s: all zero\n", ei_dtype_name(types[k]));
        ASSERT_TRUE(nonzero > 0);
        ei_tensor_destroy(t);
    }
}

int main(void)
{
    return RUN_TESTS(session_args_all, session_args_defaults, session_args_bad_values,
                     session_args_unknown_opt, session_args_too_many_dims, options_concat,
                     parse_dim, input_shape_rules, input_shape_unknown, make_input_random_and_zeros,
                     fill_every_dtype);
}
