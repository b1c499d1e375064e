/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the case logic of `edgeinfer conformance` (cli/conformance_case.c, included
 * here because the CLI's sources are not in libedgeinfer): the comparison rules (tolerances, NaN,
 * infinities, exact 64-bit integers, strings, dtype and shape), the skip-list reader, case
 * discovery, and running the tiny checked-in cases of tests/conformance/data.
 */
#include "../../cli/conformance_case.c"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const ei_conf_tol_t tol = {1e-3, 1e-7};
static char tmpdir[64];

static ei_tensor_t *f32(const float *v, size_t n, int64_t d0, int64_t d1)
{
    int64_t shape[2] = {d0, d1};
    ei_tensor_t *t = NULL;
    if (ei_tensor_create(EI_DTYPE_FLOAT32, shape, 2, &t, NULL) != EI_OK)
        return NULL;
    memcpy(ei_tensor_data(t), v, n * sizeof(float));
    return t;
}

TEST(compare_float_tolerance)
{
    char why[512];
    float e[6] = {1, 2, 3, 4, 100, 0};
    float g[6] = {1, 2, 3, 4, 100.09f, 0};
    ei_tensor_t *a = f32(e, 6, 2, 3), *b = f32(g, 6, 2, 3);
    /* 0.09 <= 1e-7 + 1e-3 * 100 */
    ASSERT_TRUE(ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ((float *)ei_tensor_data(b))[4] = 100.2f;
    ((float *)ei_tensor_data(b))[5] = 1e-6f; /* over atol 1e-7 around 0 */
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ASSERT_CONTAINS(why, "2 of 6 elements differ; first at [1,1]: expected 100, got 100.1999");
    ASSERT_CONTAINS(why, "rtol 0.001");
    ei_tensor_destroy(a);
    ei_tensor_destroy(b);
}

TEST(compare_nan_and_inf)
{
    char why[512];
    float e[4] = {NAN, INFINITY, -INFINITY, 1};
    float g[4] = {NAN, INFINITY, -INFINITY, 1};
    ei_tensor_t *a = f32(e, 4, 1, 4), *b = f32(g, 4, 1, 4);
    ASSERT_TRUE(ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ((float *)ei_tensor_data(b))[0] = 0;
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ASSERT_CONTAINS(why, "expected nan, got 0");
    ((float *)ei_tensor_data(b))[0] = NAN;
    ((float *)ei_tensor_data(b))[1] = -INFINITY;
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ASSERT_CONTAINS(why, "first at [0,1]: expected inf, got -inf");
    ((float *)ei_tensor_data(b))[1] = 3e38f;
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ei_tensor_destroy(a);
    ei_tensor_destroy(b);
}

TEST(compare_exact_integers)
{
    char why[512];
    int64_t shape[1] = {2};
    ei_tensor_t *a = NULL, *b = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT64, shape, 1, &a, NULL), &(ei_error_t){0});
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT64, shape, 1, &b, NULL), &(ei_error_t){0});
    /* 2^60 and 2^60 + 1 are the same double: the comparison must not go through doubles. */
    ((int64_t *)ei_tensor_data(a))[1] = (INT64_C(1) << 60);
    ((int64_t *)ei_tensor_data(b))[1] = (INT64_C(1) << 60) + 1;
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ASSERT_CONTAINS(why, "expected 1152921504606846976, got 1152921504606846977");
    ei_tensor_destroy(a);
    ei_tensor_destroy(b);

    ASSERT_OK(ei_tensor_create(EI_DTYPE_UINT64, shape, 1, &a, NULL), &(ei_error_t){0});
    ASSERT_OK(ei_tensor_create(EI_DTYPE_UINT64, shape, 1, &b, NULL), &(ei_error_t){0});
    ((uint64_t *)ei_tensor_data(a))[0] = UINT64_MAX;
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ASSERT_CONTAINS(why, "expected 18446744073709551615, got 0");
    ei_tensor_destroy(a);
    ei_tensor_destroy(b);

    /* Integers get no tolerance, not even 1 in 10^6. */
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT32, shape, 1, &a, NULL), &(ei_error_t){0});
    ASSERT_OK(ei_tensor_create(EI_DTYPE_INT32, shape, 1, &b, NULL), &(ei_error_t){0});
    ((int32_t *)ei_tensor_data(a))[0] = 1000000;
    ((int32_t *)ei_tensor_data(b))[0] = 1000001;
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ei_tensor_destroy(a);
    ei_tensor_destroy(b);
}

TEST(compare_strings_dtype_shape)
{
    char why[512];
    int64_t s2[1] = {2}, s3[1] = {3};
    ei_tensor_t *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_STRING, s2, 1, &a, NULL), &(ei_error_t){0});
    ASSERT_OK(ei_tensor_create(EI_DTYPE_STRING, s2, 1, &b, NULL), &(ei_error_t){0});
    ASSERT_OK(ei_tensor_set_string(a, 1, "a\0b", 3, NULL), &(ei_error_t){0});
    ASSERT_OK(ei_tensor_set_string(b, 1, "a\0b", 3, NULL), &(ei_error_t){0});
    ASSERT_TRUE(ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ASSERT_OK(ei_tensor_set_string(b, 1, "a\0c", 3, NULL), &(ei_error_t){0});
    ASSERT_TRUE(!ei_conf_compare(a, b, &tol, why, sizeof(why)));
    ASSERT_CONTAINS(why, "expected \"a\\x00b\", got \"a\\x00c\"");

    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, s2, 1, &c, NULL), &(ei_error_t){0});
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, s3, 1, &d, NULL), &(ei_error_t){0});
    ASSERT_TRUE(!ei_conf_compare(a, c, &tol, why, sizeof(why)));
    ASSERT_STR_EQ(why, "expected dtype string, got float32");
    ASSERT_TRUE(!ei_conf_compare(c, d, &tol, why, sizeof(why)));
    ASSERT_STR_EQ(why, "expected shape [2], got [3]");
    ei_tensor_destroy(a);
    ei_tensor_destroy(b);
    ei_tensor_destroy(c);
    ei_tensor_destroy(d);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

TEST(skip_list_reader)
{
    char path[128];
    ei_conf_skip_t s;
    ei_error_t err = {0};
    snprintf(path, sizeof(path), "%s/skip.txt", tmpdir);
    write_file(path, "# comment\n\nnode/test_a  ORT kernel missing: Add(6)\n"
                     "  node/test_b\tORT numerics: two  spaces kept  \n");
    ASSERT_TRUE(ei_conf_skip_load(path, &s, &err));
    ASSERT_EQ(s.n, 2);
    ASSERT_EQ(ei_conf_skip_find(&s, "node/test_b"), 1);
    ASSERT_EQ(ei_conf_skip_find(&s, "node/test_c"), -1);
    ASSERT_STR_EQ(s.reasons[0], "ORT kernel missing: Add(6)");
    ASSERT_STR_EQ(s.reasons[1], "ORT numerics: two  spaces kept");
    ei_conf_skip_free(&s);

    write_file(path, "node/test_a  reason\nnode/test_a  again\n");
    ASSERT_TRUE(!ei_conf_skip_load(path, &s, &err));
    ASSERT_CONTAINS(err.msg, "skip.txt:2: case 'node/test_a' is listed twice");
    write_file(path, "node/test_a\n");
    ASSERT_TRUE(!ei_conf_skip_load(path, &s, &err));
    ASSERT_CONTAINS(err.msg, "skip.txt:1: entry 'node/test_a' has no reason");
    snprintf(path, sizeof(path), "%s/missing.txt", tmpdir);
    ASSERT_TRUE(!ei_conf_skip_load(path, &s, &err));
    ASSERT_EQ(err.code, EI_ENOENT);
}

TEST(find_cases)
{
    char p[256];
    const char *dirs[] = {
        "root",      "root/zeta",          "root/alpha", "root/beta", "root/beta/inner",
        "root/real", "root/real/test_big", "root/empty"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", tmpdir, dirs[i]);
        mkdir(p, 0755);
    }
    snprintf(p, sizeof(p), "%s/root/zeta/model.onnx", tmpdir);
    write_file(p, "x");
    snprintf(p, sizeof(p), "%s/root/alpha/model.onnx", tmpdir);
    write_file(p, "x");
    snprintf(p, sizeof(p), "%s/root/beta/inner/model.onnx", tmpdir);
    write_file(p, "x");
    snprintf(p, sizeof(p), "%s/root/real/test_big/data.json", tmpdir);
    write_file(p, "{}");

    ei_conf_cases_t c = {0};
    ei_error_t err = {0};
    snprintf(p, sizeof(p), "%s/root", tmpdir);
    ASSERT_TRUE(ei_conf_find_cases(p, NULL, &c, &err));
    ASSERT_EQ(c.n, 4);
    ASSERT_STR_EQ(c.items[0].id, "root/alpha");
    ASSERT_STR_EQ(c.items[1].id, "beta/inner");
    ASSERT_STR_EQ(c.items[2].id, "real/test_big");
    ASSERT_TRUE(c.items[2].download_only);
    ASSERT_STR_EQ(c.items[3].id, "root/zeta");
    ei_conf_cases_free(&c);

    ASSERT_TRUE(ei_conf_find_cases(p, "inner", &c, &err));
    ASSERT_EQ(c.n, 1);
    ei_conf_cases_free(&c);
    /* One case given directly, with a trailing slash. */
    snprintf(p, sizeof(p), "%s/root/alpha/", tmpdir);
    ASSERT_TRUE(ei_conf_find_cases(p, NULL, &c, &err));
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.items[0].id, "root/alpha");
    ei_conf_cases_free(&c);
    snprintf(p, sizeof(p), "%s/root/empty", tmpdir);
    ASSERT_TRUE(ei_conf_find_cases(p, NULL, &c, &err));
    ASSERT_EQ(c.n, 0);
    snprintf(p, sizeof(p), "%s/nope", tmpdir);
    ASSERT_TRUE(!ei_conf_find_cases(p, NULL, &c, &err));
    ASSERT_CONTAINS(err.msg, "nope: not a folder");
}

TEST(run_checked_in_cases)
{
    const char *src = getenv("EI_SOURCE_DIR");
    char dir[512], why[2048];
    if (src == NULL)
        src = ".";
    ei_conf_case_t c = {dir, (char *)"data/x", false};
    snprintf(dir, sizeof(dir), "%s/tests/conformance/data/add_ok", src);
    ASSERT_EQ(ei_conf_run_case(&c, &tol, why, sizeof(why)), EI_CONF_PASS);
    snprintf(dir, sizeof(dir), "%s/tests/conformance/data/add_wrong", src);
    ASSERT_EQ(ei_conf_run_case(&c, &tol, why, sizeof(why)), EI_CONF_FAIL);
    ASSERT_CONTAINS(why,
                    "output 0 'z': 1 of 6 elements differ; first at [1,1]: expected 2, got 1.5");
    /* With a loose enough tolerance the same case passes: the tolerance is really used. */
    ei_conf_tol_t loose = {0.5, 0};
    ASSERT_EQ(ei_conf_run_case(&c, &loose, why, sizeof(why)), EI_CONF_PASS);
    snprintf(dir, sizeof(dir), "%s/tests/conformance/data/add_bad_pb", src);
    ASSERT_EQ(ei_conf_run_case(&c, &tol, why, sizeof(why)), EI_CONF_FAIL);
    ASSERT_CONTAINS(why, "input_1.pb: not a valid TensorProto");

    /* A model without data sets, and a model that does not load. */
    char link[600], target[600];
    snprintf(dir, sizeof(dir), "%s/nodata", tmpdir);
    mkdir(dir, 0755);
    snprintf(link, sizeof(link), "%s/model.onnx", dir);
    snprintf(target, sizeof(target), "%s/tests/conformance/data/add_ok/model.onnx", src);
    ASSERT_EQ(symlink(target, link), 0);
    ASSERT_EQ(ei_conf_run_case(&c, &tol, why, sizeof(why)), EI_CONF_FAIL);
    ASSERT_CONTAINS(why, "no test_data_set_* folders");
    snprintf(dir, sizeof(dir), "%s/badmodel", tmpdir);
    mkdir(dir, 0755);
    snprintf(link, sizeof(link), "%s/model.onnx", dir);
    write_file(link, "not a model");
    ASSERT_EQ(ei_conf_run_case(&c, &tol, why, sizeof(why)), EI_CONF_FAIL);
    ASSERT_CONTAINS(why, "load failed: ");
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ei_test_conf_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    ei_log_set_level(EI_LOG_OFF);
    int rc =
        RUN_TESTS(compare_float_tolerance, compare_nan_and_inf, compare_exact_integers,
                  compare_strings_dtype_shape, skip_list_reader, find_cases, run_checked_in_cases);
    ei_global_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
