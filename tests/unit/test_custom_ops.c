/* SPDX-License-Identifier: MIT */
/*
 * Custom-op libraries through the library API (ei_session_opts_t.custom_op_libraries): the test
 * library tests/customop/ei_test_ops.c (ScaleShift over float and int64, with attributes) and the
 * models tests/customop/make_model.py makes. Outputs are checked against numpy's; a model without
 * the library, a missing library, a library without the entry point, a file that is not a library
 * and a model the library's kernel refuses all fail with messages that name what was wrong.
 */
#include "test.h"

#include <edgeinfer/edgeinfer.h>
#include <unistd.h>

static char tmpdir[64];
static char lib_ok[512], lib_broken[512];

static const char *tmp_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static ei_session_t *load(const char *model, const char *lib, ei_code_t *rc, ei_error_t *err)
{
    char path[256];
    ei_session_opts_t o;
    ei_session_opts_init(&o);
    const char *libs[1] = {lib};
    if (lib != NULL) {
        o.custom_op_libraries = libs;
        o.n_custom_op_libraries = 1;
    }
    ei_session_t *s = NULL;
    *rc = ei_session_create(tmp_path(model, path, sizeof(path)), &o, &s, err);
    return s;
}

static ei_tensor_t *npy(const char *name)
{
    char path[256];
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    if (ei_tensor_load_npy(tmp_path(name, path, sizeof(path)), &t, &err) != EI_OK)
        fprintf(stderr, "%s\n", err.msg);
    return t;
}

TEST(runs_with_the_library)
{
    ei_error_t err = {0};
    ei_code_t rc;
    ei_session_t *s = load("scale_shift.onnx", lib_ok, &rc, &err);
    ASSERT_OK(rc, &err);
    /* A second session shares the library's domain. */
    ei_session_t *s2 = load("scale_shift.onnx", lib_ok, &rc, &err);
    ASSERT_OK(rc, &err);
    ei_tensor_t *in[2] = {npy("xf.npy"), npy("xi.npy")};
    ei_tensor_t *want[2] = {npy("yf.npy"), npy("yi.npy")};
    ASSERT_TRUE(in[0] && in[1] && want[0] && want[1]);
    const char *names[2] = {"xf", "xi"};
    for (int round = 0; round < 2; round++) {
        ei_tensor_t *out[2] = {NULL, NULL};
        ASSERT_OK(ei_session_run(round ? s2 : s, names, in, 2, NULL, out, 2, &err), &err);
        for (int k = 0; k < 2; k++) {
            ASSERT_EQ(ei_tensor_dtype(out[k]), ei_tensor_dtype(want[k]));
            ASSERT_EQ(ei_tensor_count(out[k]), 5);
            ASSERT_TRUE(memcmp(ei_tensor_data(out[k]), ei_tensor_data(want[k]),
                               ei_tensor_nbytes(want[k])) == 0);
            ei_tensor_destroy(out[k]);
        }
    }
    for (int k = 0; k < 2; k++) {
        ei_tensor_destroy(in[k]);
        ei_tensor_destroy(want[k]);
    }
    ei_session_destroy(s);
    ei_session_destroy(s2);
}

TEST(errors_name_what_is_wrong)
{
    ei_error_t err = {0};
    ei_code_t rc;
    char path[256];
    /* No library: ORT does not know the op. */
    ei_session_t *s = load("scale_shift.onnx", NULL, &rc, &err);
    ASSERT_NULL(s);
    ASSERT_NE(rc, EI_OK);
    ASSERT_CONTAINS(err.msg, "ScaleShift");
    ASSERT_TRUE(strstr(err.msg, "onnxruntime_src") == NULL);
    /* A missing library. */
    s = load("scale_shift.onnx", tmp_path("nope.so", path, sizeof(path)), &rc, &err);
    ASSERT_EQ(rc, EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "custom-op library");
    ASSERT_CONTAINS(err.msg, "nope.so");
    /* A shared object without RegisterCustomOps. */
    s = load("scale_shift.onnx", lib_broken, &rc, &err);
    ASSERT_EQ(rc, EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "libei_test_ops_broken.so");
    ASSERT_CONTAINS(err.msg, "RegisterCustomOps");
    ASSERT_TRUE(strstr(err.msg, "onnxruntime_src") == NULL);
    /* A file that is not a shared object at all. */
    FILE *f = fopen(tmp_path("text.so", path, sizeof(path)), "w");
    ASSERT_NOT_NULL(f);
    fputs("not a library\n", f);
    fclose(f);
    s = load("scale_shift.onnx", path, &rc, &err);
    ASSERT_EQ(rc, EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "text.so");
    ASSERT_TRUE(strstr(err.msg, "onnxruntime_src") == NULL);
    /* A directory. */
    s = load("scale_shift.onnx", tmpdir, &rc, &err);
    ASSERT_EQ(rc, EI_EINVAL);
    /* The kernel refuses a node without its required attribute, in its own words. */
    s = load("no_scale.onnx", lib_ok, &rc, &err);
    ASSERT_NULL(s);
    ASSERT_NE(rc, EI_OK);
    ASSERT_CONTAINS(err.msg, "ScaleShift needs the int attribute 'scale'");
    ASSERT_TRUE(strstr(err.msg, "onnxruntime_src") == NULL);
}

int main(void)
{
    const char *build = getenv("EI_BUILD_DIR");
    const char *src = getenv("EI_SOURCE_DIR");
    const char *py = getenv("EI_PYTHON");
    if (build == NULL || src == NULL) {
        fprintf(stderr, "EI_BUILD_DIR and EI_SOURCE_DIR must be set (run through ctest)\n");
        return 1;
    }
    snprintf(lib_ok, sizeof(lib_ok), "%s/tests/libei_test_ops.so", build);
    snprintf(lib_broken, sizeof(lib_broken), "%s/tests/libei_test_ops_broken.so", build);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ei_test_custom_ops_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/customop/make_model.py' '%s'",
             py != NULL ? py : "/usr/bin/python3", src, tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s failed: is python3-onnx installed?\n", cmd);
        return 1;
    }
    int rc = RUN_TESTS(runs_with_the_library, errors_name_what_is_wrong);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
