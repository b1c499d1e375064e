/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ONNX file inspection (src/core/model_info.c). The reference is the `onnx` Python
 * package: tests/data/model_info/describe.py prints, for a model, every fact ei_model_inspect()
 * must report, and this test prints the same facts from the C result and compares the two texts.
 * It runs on the bundled models and on a synthetic model (subgraphs, custom domains, external and
 * sparse initializers, metadata) that the script writes. Without Python/onnx the test is skipped.
 */
#include "test.h"

#include <edgeinfer/edgeinfer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *python;
static char script[1024];
static char models[1024];
static char tmpdir[] = "/tmp/ei_test_model_info_XXXXXX";

typedef struct {
    char *p;
    size_t len, cap;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 64;
        b->p = realloc(b->p, b->cap);
    }
}

static void describe_value(sbuf_t *b, const char *kind, const ei_model_value_t *v)
{
    if (!v->is_tensor || !v->rank_known) {
        sb_printf(b, "%s\t%s\t%d\t-1\t\n", kind, v->name, (int)v->dtype);
        return;
    }
    sb_printf(b, "%s\t%s\t%d\t%zu\t", kind, v->name, (int)v->dtype, v->rank);
    for (size_t d = 0; d < v->rank; d++) {
        const char *sep = d ? "," : "";
        if (v->shape[d] >= 0)
            sb_printf(b, "%s%lld", sep, (long long)v->shape[d]);
        else if (v->dim_names[d][0] != '\0')
            sb_printf(b, "%s%s", sep, v->dim_names[d]);
        else
            sb_printf(b, "%s?", sep);
    }
    sb_printf(b, "\n");
}

/* The facts in describe.py's format. */
static char *describe_c(const ei_model_info_t *m)
{
    sbuf_t b = {malloc(256), 0, 256};
    sb_printf(&b, "ir_version\t%lld\nproducer\t%s\t%s\ndomain\t%s\nmodel_version\t%lld\n",
              (long long)m->ir_version, m->producer_name, m->producer_version, m->domain,
              (long long)m->model_version);
    sb_printf(&b, "graph_name\t%s\n", m->graph_name);
    for (size_t i = 0; i < m->n_opsets; i++)
        sb_printf(&b, "opset\t%s\t%lld\n", m->opsets[i].domain, (long long)m->opsets[i].version);
    sb_printf(&b, "nodes\t%zu\t%zu\t%zu\n", m->n_nodes, m->n_subgraph_nodes, m->n_subgraphs);
    for (size_t i = 0; i < m->n_op_types; i++)
        sb_printf(&b, "op\t%s\t%zu\t%zu\n", m->op_counts[i].op_type, m->op_counts[i].count,
                  m->op_counts[i].in_subgraphs);
    sb_printf(&b, "initializers\t%zu\t%llu\t%zu\t%llu\n", m->n_initializers,
              (unsigned long long)m->initializer_bytes, m->n_external_initializers,
              (unsigned long long)m->external_bytes);
    for (size_t i = 0; i < m->n_inputs; i++)
        describe_value(&b, "input", &m->inputs[i]);
    for (size_t i = 0; i < m->n_outputs; i++)
        describe_value(&b, "output", &m->outputs[i]);
    for (size_t i = 0; i < m->n_metadata; i++)
        sb_printf(&b, "meta\t%s\t%s\n", m->metadata_keys[i], m->metadata_values[i]);
    sb_printf(&b, "functions\t%zu\n", m->n_functions);
    return b.p;
}

/* Runs describe.py on `model`; NULL when Python or onnx is unusable. */
static char *describe_py(const char *model)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s'", python, script, model);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return NULL;
    sbuf_t b = {malloc(4096), 0, 4096};
    size_t n;
    while ((n = fread(b.p + b.len, 1, b.cap - b.len - 1, f)) > 0) {
        b.len += n;
        if (b.cap - b.len < 2) {
            b.cap *= 2;
            b.p = realloc(b.p, b.cap);
        }
    }
    b.p[b.len] = '\0';
    if (pclose(f) != 0 || b.len == 0) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static void compare_with_python(const char *model)
{
    ei_error_t err = {0};
    ei_model_info_t *m = NULL;
    char *want = describe_py(model);
    ASSERT_NOT_NULL(want);
    ASSERT_OK(ei_model_inspect(model, &m, &err), &err);
    char *got = describe_c(m);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "%s:\n--- onnx says:\n%s--- we say:\n%s", model, want, got);
    ASSERT_STR_EQ(got, want);
    free(got);
    free(want);
    ei_model_info_destroy(m);
}

static const char *model(const char *rel)
{
    static char path[2048];
    snprintf(path, sizeof(path), "%s/%s", models, rel);
    return path;
}

TEST(cls_matches_onnx)
{
    compare_with_python(model("ppocr/cls.onnx"));
}

TEST(silero_matches_onnx)
{
    compare_with_python(model("vad/silero_vad.onnx"));
}

TEST(det_matches_onnx)
{
    compare_with_python(model("ppocr/det.onnx"));
}

TEST(synthetic_matches_onnx)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/synthetic.onnx", tmpdir);
    compare_with_python(path);
    /* And the facts the comparison covers only indirectly, spelled out. */
    ei_error_t err = {0};
    ei_model_info_t *m = NULL;
    ASSERT_OK(ei_model_inspect(path, &m, &err), &err);
    ASSERT_EQ(m->n_external_initializers, 1);
    ASSERT_EQ(m->external_bytes, 40000);
    ASSERT_EQ(m->n_subgraphs, 3);
    ASSERT_STR_EQ(m->doc_string, "a synthetic model");
    ASSERT_EQ(m->n_inputs, 4); /* "one" is an initializer */
    ASSERT_TRUE(!m->inputs[3].is_tensor);
    ASSERT_STR_EQ(m->inputs[2].dim_names[0], "batch");
    ASSERT_EQ(m->inputs[2].shape[0], -1);
    ASSERT_EQ(m->inputs[2].shape[1], 3);
    ei_model_info_destroy(m);
}

TEST(cls_known_numbers)
{
    /* Independent of Python: what `onnx` reported for the pinned cls.onnx when this was written. */
    ei_error_t err = {0};
    ei_model_info_t *m = NULL;
    ASSERT_OK(ei_model_inspect(model("ppocr/cls.onnx"), &m, &err), &err);
    ASSERT_EQ(m->ir_version, 8);
    ASSERT_EQ(m->n_opsets, 1);
    ASSERT_EQ(m->opsets[0].version, 9);
    ASSERT_STR_EQ(m->op_counts[0].op_type, "Constant");
    ASSERT_EQ(m->op_counts[0].count, 250);
    ASSERT_STR_EQ(m->op_counts[1].op_type, "Conv");
    ASSERT_EQ(m->op_counts[1].count, 53);
    ASSERT_EQ(m->n_inputs, 1);
    ASSERT_STR_EQ(m->inputs[0].name, "x");
    ASSERT_EQ(m->inputs[0].rank, 4);
    ASSERT_EQ(m->inputs[0].shape[1], 3);
    ASSERT_EQ(m->inputs[0].shape[2], -1);
    ei_model_info_destroy(m);
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

TEST(not_models)
{
    ei_error_t err = {0};
    ei_model_info_t *m = NULL;
    ASSERT_EQ(ei_model_inspect("/nonexistent/model.onnx", &m, &err), EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "/nonexistent/model.onnx");
    ASSERT_NULL(m);
    /* A text file: this very script. */
    ASSERT_EQ(ei_model_inspect(script, &m, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "describe.py");
    ASSERT_CONTAINS(err.msg, "not an ONNX model");
    ASSERT_NULL(m);
    ASSERT_EQ(ei_model_inspect_memory("", 0, "empty.onnx", &m, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "empty.onnx");
    ASSERT_EQ(ei_model_inspect("/tmp", &m, &err), EI_EIO);
    /* The first half of cls.onnx. */
    size_t size = 0;
    unsigned char *buf = slurp(model("ppocr/cls.onnx"), &size);
    ASSERT_NOT_NULL(buf);
    ASSERT_EQ(ei_model_inspect_memory(buf, size / 2, "half.onnx", &m, &err), EI_EMODEL);
    ASSERT_CONTAINS(err.msg, "half.onnx");
    ASSERT_NULL(m);
    free(buf);
}

/* Every prefix of the synthetic model either parses or is EI_EMODEL; nothing else, no crash. */
TEST(every_prefix_is_safe)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/synthetic.onnx", tmpdir);
    size_t size = 0;
    unsigned char *buf = slurp(path, &size);
    ASSERT_NOT_NULL(buf);
    size_t failed = 0;
    for (size_t n = 0; n < size; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        ei_error_t err = {0};
        ei_model_info_t *m = NULL;
        ei_code_t rc = ei_model_inspect_memory(copy, n, "cut.onnx", &m, &err);
        free(copy);
        if (rc != EI_OK && rc != EI_EMODEL)
            fprintf(stderr, "cut at %zu: rc %d: %s\n", n, rc, err.msg);
        ASSERT_TRUE(rc == EI_OK || rc == EI_EMODEL);
        ASSERT_TRUE((rc == EI_OK) == (m != NULL));
        failed += rc != EI_OK;
        ei_model_info_destroy(m);
    }
    ASSERT_TRUE(failed > size / 2);
    free(buf);
}

/* Every allocation failure is EI_ENOMEM with nothing leaked, until the budget suffices. */
TEST(out_of_memory_loop)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/synthetic.onnx", tmpdir);
    ei_test_oom_install();
    long n = 0;
    for (; n < 100000; n++) {
        ei_test_oom_arm(n);
        ei_error_t err = {0};
        ei_model_info_t *m = NULL;
        ei_code_t rc = ei_model_inspect(path, &m, &err);
        if (rc == EI_OK) {
            ASSERT_EQ(m->n_op_types, 8);
            ei_model_info_destroy(m);
            break;
        }
        if (rc != EI_ENOMEM) {
            fprintf(stderr, "budget %ld: rc %d: %s\n", n, rc, err.msg);
            ei_test_oom_disarm();
            ei_test_oom_uninstall();
        }
        ASSERT_EQ(rc, EI_ENOMEM);
        ASSERT_NULL(m);
    }
    ei_test_oom_disarm();
    ei_test_oom_uninstall();
    ASSERT_TRUE(n > 10 && n < 100000);
}

static void cleanup(void)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/synthetic.onnx", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

int main(void)
{
    const char *src = getenv("EI_SOURCE_DIR");
    const char *mdir = getenv("EI_MODELS");
    python = getenv("EI_PYTHON");
    if (python == NULL)
        python = "/usr/bin/python3";
    if (src == NULL || mdir == NULL) {
        fprintf(stderr, "EI_SOURCE_DIR and EI_MODELS must be set (run through ctest)\n");
        return 1;
    }
    snprintf(script, sizeof(script), "%s/tests/data/model_info/describe.py", src);
    snprintf(models, sizeof(models), "%s", mdir);
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "'%s' '%s' --make '%s'", python, script, tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "skipped: %s cannot run describe.py (needs the onnx module)\n", python);
        cleanup();
        return 77;
    }
    int rc =
        RUN_TESTS(cls_matches_onnx, silero_matches_onnx, det_matches_onnx, synthetic_matches_onnx,
                  cls_known_numbers, not_models, every_prefix_is_safe, out_of_memory_loop);
    cleanup();
    return rc;
}
