/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the core layer: element types and half-precision conversion, tensors, the runtime,
 * sessions (introspection, runs, input checks, providers, options), concurrency, and
 * out-of-memory handling through the allocator hook. Models: tests/data/core/ (add, identity).
 */
#include "test.h"

#include <edgeinfer/edgeinfer.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char add_path[1024], identity_path[1024];

static void paths_init(void)
{
    const char *src = getenv("EI_SOURCE_DIR");
    if (src == NULL)
        src = ".";
    snprintf(add_path, sizeof(add_path), "%s/tests/data/core/add.onnx", src);
    snprintf(identity_path, sizeof(identity_path), "%s/tests/data/core/identity.onnx", src);
}

/* Captures warnings from the library's log sink. */
static char last_warning[1024];
static void capture_sink(ei_log_level_t level, const char *component, const char *msg, void *user)
{
    (void)user;
    (void)component;
    if (level >= EI_LOG_WARN)
        snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

TEST(dtype_table)
{
    ASSERT_STR_EQ(ei_dtype_name(EI_DTYPE_FLOAT32), "float32");
    ASSERT_STR_EQ(ei_dtype_name(EI_DTYPE_BFLOAT16), "bfloat16");
    ASSERT_STR_EQ(ei_dtype_name((ei_dtype_t)99), "undefined");
    ASSERT_EQ(ei_dtype_parse("float"), EI_DTYPE_FLOAT32);
    ASSERT_EQ(ei_dtype_parse("int64"), EI_DTYPE_INT64);
    ASSERT_EQ(ei_dtype_parse("nonsense"), EI_DTYPE_UNDEFINED);
    ASSERT_EQ(ei_dtype_size(EI_DTYPE_FLOAT16), 2);
    ASSERT_EQ(ei_dtype_size(EI_DTYPE_UINT64), 8);
    ASSERT_EQ(ei_dtype_nbytes(EI_DTYPE_INT4, 5), 3);
    ASSERT_TRUE(!ei_dtype_valid(EI_DTYPE_COMPLEX64));
    ASSERT_TRUE(ei_dtype_valid(EI_DTYPE_STRING));
    ASSERT_STR_EQ(ei_code_name(EI_EFORMAT), "EI_EFORMAT");
    ASSERT_STR_EQ(ei_code_str(EI_OK), "success");
}

TEST(half_conversions)
{
    ASSERT_EQ(ei_f32_to_f16(1.0f), 0x3c00);
    ASSERT_EQ(ei_f32_to_f16(-2.0f), 0xc000);
    ASSERT_EQ(ei_f32_to_f16(65504.0f), 0x7bff);
    ASSERT_EQ(ei_f32_to_f16(65520.0f), 0x7c00);               /* rounds up to infinity */
    ASSERT_EQ(ei_f32_to_f16(5.9604644775390625e-8f), 0x0001); /* smallest subnormal */
    ASSERT_EQ(ei_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);     /* tie rounds to even */
    ASSERT_EQ(ei_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);     /* tie rounds to even (up) */
    ASSERT_NEAR(ei_f16_to_f32(0x3555), 0.333251953125, 0);
    ASSERT_NEAR(ei_f16_to_f32(0x0001), 5.9604644775390625e-8, 0);
    ASSERT_TRUE(ei_f16_to_f32(0x7e00) != ei_f16_to_f32(0x7e00)); /* NaN */
    for (uint32_t h = 0; h < 0x7c00; h++)                        /* every finite positive half */
        ASSERT_EQ(ei_f32_to_f16(ei_f16_to_f32((uint16_t)h)), h);
    ASSERT_EQ(ei_f32_to_bf16(1.0f), 0x3f80);
    ASSERT_NEAR(ei_bf16_to_f32(0x4049), 3.140625, 0);
    ASSERT_EQ(ei_f32_to_bf16(1.00390625f), 0x3f80); /* tie to even */
}

TEST(tensor_create_wrap)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    int64_t shape[] = {2, 3};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, shape, 2, &t, &err), &err);
    ASSERT_EQ(ei_tensor_count(t), 6);
    ASSERT_EQ(ei_tensor_nbytes(t), 24);
    ASSERT_EQ(((uintptr_t)ei_tensor_data(t)) % 64, 0);
    const float *f = ei_tensor_data(t);
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(f[i], 0);
    char buf[64];
    ASSERT_STR_EQ(ei_shape_format(ei_tensor_shape(t), ei_tensor_rank(t), buf, sizeof(buf)),
                  "[2,3]");
    ASSERT_TRUE(ei_tensor_owns_data(t));
    ei_tensor_destroy(t);

    float mine[6] = {1, 2, 3, 4, 5, 6};
    ASSERT_OK(ei_tensor_wrap(EI_DTYPE_FLOAT32, shape, 2, mine, sizeof(mine), &t, &err), &err);
    ASSERT_TRUE(ei_tensor_data(t) == (void *)mine);
    ASSERT_TRUE(!ei_tensor_owns_data(t));
    ASSERT_NEAR(ei_tensor_get_f64(t, 5), 6.0, 0);
    ei_tensor_destroy(t);

    ASSERT_EQ(ei_tensor_wrap(EI_DTYPE_FLOAT32, shape, 2, mine, 8, &t, &err), EI_EINVAL);
    ASSERT_NULL(t);
    ASSERT_CONTAINS(err.msg, "too small");
    int64_t bad[] = {2, -1};
    ASSERT_EQ(ei_tensor_create(EI_DTYPE_FLOAT32, bad, 2, &t, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "negative");
    int64_t huge[] = {INT64_MAX / 2, 16};
    ASSERT_EQ(ei_tensor_create(EI_DTYPE_FLOAT32, huge, 2, &t, &err), EI_ELIMIT);
    ASSERT_EQ(ei_tensor_create(EI_DTYPE_COMPLEX64, shape, 2, &t, &err), EI_EUNSUPPORTED);
    ASSERT_EQ(ei_tensor_wrap(EI_DTYPE_STRING, shape, 2, mine, sizeof(mine), &t, &err), EI_EINVAL);
    ei_tensor_destroy(NULL);

    /* A scalar has rank 0 and one element. */
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT64, NULL, 0, &t, &err), &err);
    ASSERT_EQ(ei_tensor_count(t), 1);
    ASSERT_STR_EQ(ei_shape_format(NULL, 0, buf, sizeof(buf)), "[]");
    ei_tensor_destroy(t);
}

TEST(tensor_strings)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    int64_t shape[] = {3};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_STRING, shape, 1, &t, &err), &err);
    size_t len = 99;
    ASSERT_STR_EQ(ei_tensor_string(t, 0, &len), "");
    ASSERT_EQ(len, 0);
    ASSERT_OK(ei_tensor_set_string(t, 1, "a\0b", 3, &err), &err);
    const char *s = ei_tensor_string(t, 1, &len);
    ASSERT_EQ(len, 3);
    ASSERT_TRUE(memcmp(s, "a\0b", 3) == 0);
    ASSERT_EQ(ei_tensor_set_string(t, 3, "x", 1, &err), EI_EINVAL);
    ASSERT_NULL(ei_tensor_string(t, 3, NULL));
    ASSERT_NULL(ei_tensor_data(t));
    ei_tensor_destroy(t);
}

static ei_session_t *open_add(void)
{
    ei_error_t err = {0};
    ei_session_t *s = NULL;
    if (ei_session_create(add_path, NULL, &s, &err) != EI_OK)
        fprintf(stderr, "open_add: %s\n", err.msg);
    return s;
}

TEST(session_introspection)
{
    ei_session_t *s = open_add();
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(ei_session_input_count(s), 2);
    ASSERT_EQ(ei_session_output_count(s), 1);
    const ei_value_info_t *a = ei_session_input(s, 0);
    ASSERT_STR_EQ(a->name, "a");
    ASSERT_EQ(a->kind, EI_VALUE_TENSOR);
    ASSERT_EQ(a->dtype, EI_DTYPE_FLOAT32);
    ASSERT_EQ(a->rank, 2);
    ASSERT_EQ(a->shape[0], -1);
    ASSERT_EQ(a->shape[1], 3);
    ASSERT_STR_EQ(a->dim_names[0], "batch");
    ASSERT_STR_EQ(a->dim_names[1], "");
    ASSERT_EQ(ei_session_input_index(s, "b"), 1);
    ASSERT_EQ(ei_session_input_index(s, "zz"), -1);
    ASSERT_EQ(ei_session_output_index(s, "y"), 0);
    ASSERT_NULL(ei_session_input(s, 2));
    const ei_model_meta_t *m = ei_session_metadata(s);
    ASSERT_STR_EQ(m->producer_name, "edgeinfer-tests");
    ASSERT_STR_EQ(m->graph_name, "add_graph");
    ASSERT_STR_EQ(m->domain, "ai.edgeinfer.test");
    ASSERT_STR_EQ(m->description, "tiny add model");
    ASSERT_EQ(m->version, 7);
    ASSERT_EQ(m->n_custom, 2);
    int found = 0;
    for (size_t i = 0; i < m->n_custom; i++) {
        if (strcmp(m->custom_keys[i], "labels") == 0 && strcmp(m->custom_values[i], "x,y,z") == 0)
            found = 1;
    }
    ASSERT_TRUE(found);
    const char *prov[4];
    ASSERT_EQ(ei_session_providers(s, prov, 4), 1);
    ASSERT_STR_EQ(prov[0], "cpu");
    ei_session_destroy(s);
    ei_session_destroy(NULL);
}

/* Runs add.onnx with a = rows of k, b = {1, 2, 3}, and checks y. */
static int run_add(ei_session_t *s, int64_t batch, float k, ei_error_t *err)
{
    int64_t ashape[] = {batch, 3}, bshape[] = {3};
    float *a = calloc((size_t)batch * 3, sizeof(float));
    float b[3] = {1, 2, 3};
    for (int64_t i = 0; i < batch * 3; i++)
        a[i] = k + (float)i;
    ei_tensor_t *ta = NULL, *tb = NULL, *y = NULL;
    int bad = 1;
    if (ei_tensor_wrap(EI_DTYPE_FLOAT32, ashape, 2, a, (size_t)batch * 12, &ta, err) != EI_OK ||
        ei_tensor_wrap(EI_DTYPE_FLOAT32, bshape, 1, b, sizeof(b), &tb, err) != EI_OK)
        goto out;
    const char *names[] = {"b", "a"};
    ei_tensor_t *ins[] = {tb, ta};
    if (ei_session_run(s, names, ins, 2, NULL, &y, 1, err) != EI_OK)
        goto out;
    if (ei_tensor_rank(y) != 2 || ei_tensor_shape(y)[0] != batch || ei_tensor_shape(y)[1] != 3)
        goto out;
    const float *yv = ei_tensor_data(y);
    for (int64_t i = 0; i < batch * 3; i++) {
        if (yv[i] != k + (float)i + b[i % 3])
            goto out;
    }
    bad = 0;
out:
    ei_tensor_destroy(y);
    ei_tensor_destroy(ta);
    ei_tensor_destroy(tb);
    free(a);
    return bad;
}

TEST(session_run)
{
    ei_error_t err = {0};
    ei_session_t *s = open_add();
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(run_add(s, 1, 0, &err), 0);
    ASSERT_EQ(run_add(s, 5, 10, &err), 0);
    ASSERT_EQ(run_add(s, 0, 0, &err), 0); /* an empty batch is a valid tensor */

    /* Output selection by name. */
    int64_t ashape[] = {1, 3}, bshape[] = {3};
    ei_tensor_t *ta = NULL, *tb = NULL, *y = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, ashape, 2, &ta, &err), &err);
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, bshape, 1, &tb, &err), &err);
    const char *names[] = {"a", "b"};
    ei_tensor_t *ins[] = {ta, tb};
    const char *outs[] = {"y"};
    ASSERT_OK(ei_session_run(s, names, ins, 2, outs, &y, 1, &err), &err);
    ASSERT_EQ(ei_tensor_count(y), 3);
    ei_tensor_destroy(y);
    const char *bad_out[] = {"nope"};
    ASSERT_EQ(ei_session_run(s, names, ins, 2, bad_out, &y, 1, &err), EI_ENOTFOUND);
    ASSERT_NULL(y);
    ASSERT_CONTAINS(err.msg, "unknown output 'nope'");
    ei_tensor_t *two[2];
    ASSERT_EQ(ei_session_run(s, names, ins, 2, NULL, two, 2, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "the model has 1");
    ei_tensor_destroy(ta);
    ei_tensor_destroy(tb);
    ei_session_destroy(s);
}

TEST(session_input_checks)
{
    ei_error_t err = {0};
    ei_session_t *s = open_add();
    ASSERT_NOT_NULL(s);
    int64_t a_ok[] = {2, 3}, a_bad_dim[] = {2, 4}, a_bad_rank[] = {6}, b_ok[] = {3};
    ei_tensor_t *a = NULL, *a_dim = NULL, *a_rank = NULL, *b = NULL, *b_i64 = NULL, *y = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, a_ok, 2, &a, &err), &err);
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, a_bad_dim, 2, &a_dim, &err), &err);
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, a_bad_rank, 1, &a_rank, &err), &err);
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, b_ok, 1, &b, &err), &err);
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT64, b_ok, 1, &b_i64, &err), &err);

    const char *unknown[] = {"a", "nope"};
    ei_tensor_t *in1[] = {a, b};
    ASSERT_EQ(ei_session_run(s, unknown, in1, 2, NULL, &y, 1, &err), EI_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "unknown input 'nope'");
    ASSERT_CONTAINS(err.msg, "'a', 'b'");

    const char *only_a[] = {"a"};
    ASSERT_EQ(ei_session_run(s, only_a, in1, 1, NULL, &y, 1, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "missing input 'b'");

    const char *ab[] = {"a", "b"};
    ei_tensor_t *in_type[] = {a, b_i64};
    ASSERT_EQ(ei_session_run(s, ab, in_type, 2, NULL, &y, 1, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "input 'b': expected element type float32, got int64");

    ei_tensor_t *in_rank[] = {a_rank, b};
    ASSERT_EQ(ei_session_run(s, ab, in_rank, 2, NULL, &y, 1, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "input 'a': expected rank 2 [-1,3], got rank 1 [6]");

    ei_tensor_t *in_dim[] = {a_dim, b};
    ASSERT_EQ(ei_session_run(s, ab, in_dim, 2, NULL, &y, 1, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "expected shape [-1,3], got [2,4] (dim 1 must be 3)");

    const char *twice[] = {"a", "a"};
    ei_tensor_t *in_twice[] = {a, a};
    ASSERT_EQ(ei_session_run(s, twice, in_twice, 2, NULL, &y, 1, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "given twice");
    ASSERT_NULL(y);

    ASSERT_OK(ei_session_check_inputs(s, ab, in1, 2, &err), &err);
    ei_tensor_destroy(a);
    ei_tensor_destroy(a_dim);
    ei_tensor_destroy(a_rank);
    ei_tensor_destroy(b);
    ei_tensor_destroy(b_i64);
    ei_session_destroy(s);
}

TEST(session_all_types)
{
    ei_error_t err = {0};
    ei_session_t *s = NULL;
    ASSERT_OK(ei_session_create(identity_path, NULL, &s, &err), &err);
    size_t n = ei_session_input_count(s);
    ASSERT_EQ(n, 7);
    const char *names[7];
    ei_tensor_t *ins[7] = {0}, *outs[7] = {0};
    int64_t shape[] = {4};
    for (size_t i = 0; i < n; i++) {
        const ei_value_info_t *vi = ei_session_input(s, i);
        names[i] = vi->name;
        ASSERT_OK(ei_tensor_create(vi->dtype, shape, 1, &ins[i], &err), &err);
        if (vi->dtype == EI_DTYPE_STRING) {
            ASSERT_OK(ei_tensor_set_string(ins[i], 0, "hello", 5, &err), &err);
            ASSERT_OK(ei_tensor_set_string(ins[i], 2, "x\0y", 3, &err), &err);
        } else {
            unsigned char *p = ei_tensor_data(ins[i]);
            size_t nb = ei_tensor_nbytes(ins[i]);
            for (size_t k = 0; k < nb; k++)
                p[k] = (unsigned char)(vi->dtype == EI_DTYPE_BOOL ? (k & 1) : (k * 7 + 1));
        }
    }
    ASSERT_OK(ei_session_run(s, names, ins, n, NULL, outs, n, &err), &err);
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ(ei_tensor_dtype(outs[i]), ei_tensor_dtype(ins[i]));
        ASSERT_EQ(ei_tensor_count(outs[i]), 4);
        if (ei_tensor_dtype(ins[i]) == EI_DTYPE_STRING) {
            size_t len = 0;
            ASSERT_STR_EQ(ei_tensor_string(outs[i], 0, &len), "hello");
            ASSERT_STR_EQ(ei_tensor_string(outs[i], 1, &len), "");
            const char *x = ei_tensor_string(outs[i], 2, &len);
            ASSERT_EQ(len, 3);
            ASSERT_TRUE(memcmp(x, "x\0y", 3) == 0);
        } else {
            ASSERT_TRUE(memcmp(ei_tensor_data(ins[i]), ei_tensor_data(outs[i]),
                               ei_tensor_nbytes(ins[i])) == 0);
        }
    }
    for (size_t i = 0; i < n; i++) {
        ei_tensor_destroy(ins[i]);
        ei_tensor_destroy(outs[i]);
    }
    ei_session_destroy(s);
}

TEST(session_load_errors)
{
    ei_error_t err = {0};
    ei_session_t *s = NULL;
    ASSERT_EQ(ei_session_create("/nonexistent/model.onnx", NULL, &s, &err), EI_ENOENT);
    ASSERT_NULL(s);
    ASSERT_CONTAINS(err.msg, "/nonexistent/model.onnx");
    ASSERT_EQ(ei_session_create("/tmp", NULL, &s, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "directory");

    char path[] = "/tmp/ei_test_core_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    const char text[] = "this is not an onnx model\n";
    ASSERT_EQ(write(fd, text, sizeof(text) - 1), (long)(sizeof(text) - 1));
    close(fd);
    ASSERT_EQ(ei_session_create(path, NULL, &s, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, path);

    /* The first half of a real model. */
    FILE *f = fopen(identity_path, "rb");
    ASSERT_NOT_NULL(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    f = fopen(path, "wb");
    fwrite(buf, 1, n / 2, f);
    fclose(f);
    ASSERT_EQ(ei_session_create(path, NULL, &s, &err), EI_EMODEL);
    ASSERT_NULL(s);
    ASSERT_EQ(ei_session_create_from_memory(buf, n / 2, NULL, &s, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "from memory");
    ASSERT_EQ(ei_session_create_from_memory(NULL, 0, NULL, &s, &err), EI_EINVAL);
    /* A whole model from memory works. */
    ASSERT_OK(ei_session_create_from_memory(buf, n, NULL, &s, &err), &err);
    ASSERT_EQ(ei_session_input_count(s), 7);
    ei_session_destroy(s);
    unlink(path);
}

TEST(session_providers)
{
    ei_error_t err = {0};
    ei_session_t *s = NULL;
    const char *names[16];
    size_t n = ei_providers_available(names, 16);
    ASSERT_TRUE(n >= 1);
    ASSERT_TRUE(ei_provider_available("cpu"));
    ASSERT_TRUE(ei_provider_available("CPUExecutionProvider"));
    ASSERT_TRUE(!ei_provider_available("bogus"));

    ei_session_opts_t o;
    ei_session_opts_init(&o);
    ei_provider_opts_t p = {0};
    o.providers = &p;
    o.n_providers = 1;

    p.name = "bogus";
    ASSERT_EQ(ei_session_create(add_path, &o, &s, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "unknown execution provider 'bogus'");
    ASSERT_CONTAINS(err.msg, "cpu");

    if (ei_provider_available("cuda"))
        return; /* a GPU build: the fallback paths below cannot be exercised */
    p.name = "cuda";
    p.required = true;
    ASSERT_EQ(ei_session_create(add_path, &o, &s, &err), EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "'cuda' is required");

    p.required = false;
    last_warning[0] = '\0';
    ei_log_set(capture_sink, NULL);
    ASSERT_OK(ei_session_create(add_path, &o, &s, &err), &err);
    ei_log_set(NULL, NULL);
    ASSERT_CONTAINS(last_warning, "'cuda' is not available");
    ASSERT_CONTAINS(last_warning, "available: cpu");
    const char *used[4];
    ASSERT_EQ(ei_session_providers(s, used, 4), 1);
    ASSERT_STR_EQ(used[0], "cpu");
    ASSERT_EQ(run_add(s, 2, 1, &err), 0);
    ei_session_destroy(s);
}

TEST(session_options)
{
    ei_error_t err = {0};
    ei_session_t *s = NULL;
    ei_session_opts_t o;
    ei_session_opts_init(&o);
    char prefix[] = "/tmp/ei_test_profile";
    char optimized[] = "/tmp/ei_test_optimized.onnx";
    ei_dim_override_t dim = {"batch", 2};
    unlink(optimized);
    o.intra_op_threads = 1;
    o.inter_op_threads = 1;
    o.parallel_execution = true;
    o.graph_opt = EI_GRAPH_OPT_BASIC;
    o.profile_prefix = prefix;
    o.optimized_model_path = optimized;
    o.disable_mem_arena = true;
    o.disable_mem_pattern = true;
    o.dim_overrides = &dim;
    o.n_dim_overrides = 1;
    ASSERT_OK(ei_session_create(add_path, &o, &s, &err), &err);
    ASSERT_EQ(ei_session_input(s, 0)->shape[0], 2); /* the free dim is now fixed */
    ASSERT_EQ(run_add(s, 2, 3, &err), 0);
    ASSERT_NE(run_add(s, 3, 3, &err), 0); /* batch 3 no longer fits */
    ASSERT_CONTAINS(err.msg, "dim 0 must be 2");
    const char *trace = NULL;
    ASSERT_OK(ei_session_profile_end(s, &trace, &err), &err);
    struct stat st;
    ASSERT_EQ(stat(trace, &st), 0);
    ASSERT_TRUE(st.st_size > 0);
    unlink(trace);
    ei_session_destroy(s);
    ASSERT_EQ(stat(optimized, &st), 0);
    unlink(optimized);

    ei_session_opts_init(&o);
    s = open_add();
    ASSERT_NOT_NULL(s);
    ei_code_t rc = ei_session_profile_end(s, NULL, &err); /* profiling was not on */
    ei_session_destroy(s);
    s = NULL;
    ASSERT_EQ(rc, EI_EINVAL);
    o.intra_op_threads = -1;
    ASSERT_EQ(ei_session_create(add_path, &o, &s, &err), EI_EINVAL);
    ei_session_opts_init(&o);
    o.use_global_threads = true; /* the runtime has no global pools */
    ASSERT_EQ(ei_session_create(add_path, &o, &s, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "global");
}

static atomic_int thread_failures;
static ei_session_t *shared_session;

static void *run_thread(void *arg)
{
    ei_error_t err = {0};
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < 50; i++) {
        if (run_add(shared_session, 1 + (i + id) % 4, (float)(id * 1000 + i), &err) != 0)
            atomic_fetch_add(&thread_failures, 1);
    }
    return NULL;
}

TEST(session_concurrent_runs)
{
    shared_session = open_add();
    ASSERT_NOT_NULL(shared_session);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, run_thread, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ASSERT_EQ(atomic_load(&thread_failures), 0);
    ei_session_destroy(shared_session);
}

TEST(global_thread_pools)
{
    /* Re-create the runtime with global pools (no session may exist at this point). */
    ei_global_cleanup();
    ei_global_opts_t g;
    ei_global_opts_init(&g);
    g.global_thread_pools = true;
    g.global_intra_threads = 2;
    ei_error_t err = {0};
    ASSERT_OK(ei_global_init(&g, &err), &err);
    ASSERT_OK(ei_global_init(&g, &err), &err); /* same settings: fine */
    g.global_intra_threads = 1;
    ASSERT_EQ(ei_global_init(&g, &err), EI_EBUSY);
    ei_session_opts_t o;
    ei_session_opts_init(&o);
    o.use_global_threads = true;
    ei_session_t *s1 = NULL, *s2 = NULL;
    ASSERT_OK(ei_session_create(add_path, &o, &s1, &err), &err);
    ASSERT_OK(ei_session_create(add_path, &o, &s2, &err), &err);
    ASSERT_EQ(run_add(s1, 2, 0, &err), 0);
    ASSERT_EQ(run_add(s2, 3, 1, &err), 0);
    ei_session_destroy(s1);
    ei_session_destroy(s2);
    ei_global_cleanup();
}

TEST(out_of_memory)
{
    ei_error_t err = {0};
    /* Create the runtime first so that its allocations are not part of the loop. */
    ASSERT_OK(ei_global_init(NULL, &err), &err);
    ei_test_oom_install();
    int ok_at = -1;
    for (int budget = 0; budget < 500 && ok_at < 0; budget++) {
        ei_session_t *s = NULL;
        ei_test_oom_arm(budget);
        ei_code_t rc = ei_session_create(add_path, NULL, &s, &err);
        ei_test_oom_disarm();
        if (rc == EI_OK) {
            ok_at = budget;
            ei_session_destroy(s);
        } else {
            ASSERT_EQ(rc, EI_ENOMEM);
            ASSERT_NULL(s);
        }
    }
    ASSERT_TRUE(ok_at > 0);
    ok_at = -1;
    for (int budget = 0; budget < 50 && ok_at < 0; budget++) {
        ei_tensor_t *t = NULL;
        int64_t shape[] = {2};
        ei_test_oom_arm(budget);
        ei_code_t rc = ei_tensor_create(EI_DTYPE_STRING, shape, 1, &t, &err);
        if (rc == EI_OK)
            rc = ei_tensor_set_string(t, 1, "abc", 3, &err);
        ei_test_oom_disarm();
        if (rc == EI_OK)
            ok_at = budget;
        else
            ASSERT_EQ(rc, EI_ENOMEM);
        ei_tensor_destroy(t);
    }
    ASSERT_TRUE(ok_at > 0);
    ei_test_oom_uninstall();
}

int main(void)
{
    paths_init();
    int rc = RUN_TESTS(dtype_table, half_conversions, tensor_create_wrap, tensor_strings,
                       session_introspection, session_run, session_input_checks, session_all_types,
                       session_load_errors, session_providers, session_options,
                       session_concurrent_runs, global_thread_pools, out_of_memory);
    ei_global_cleanup();
    return rc;
}
