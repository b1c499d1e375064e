/* SPDX-License-Identifier: MIT */
/*
 * ONNX Runtime's messages in our words (src/core/ort_status.c): source paths and C++ signatures
 * cut, stack traces dropped, node-failure chains rewritten; messages without them unchanged.
 */
#include "core_internal.h"
#include "test.h"

static void words(const char *in, char *out, size_t size)
{
    ei__strlcpy(out, in, size);
    ei__ort_words(out);
}

TEST(paths_and_signatures)
{
    char m[EI_ERROR_MSG_SIZE];
    words("/onnxruntime_src/onnxruntime/core/graph/model.cc:177 onnxruntime::Model::Model("
          "onnx::ModelProto&&, const onnxruntime::PathString&, const "
          "onnxruntime::IOnnxRuntimeOpSchemaRegistryList*, const onnxruntime::logging::Logger&, "
          "const onnxruntime::ModelOptions&) ModelProto does not have a graph.\n",
          m, sizeof(m));
    ASSERT_STR_EQ(m, "ModelProto does not have a graph.");
    words("Load model from a.onnx failed:/onnxruntime_src/onnxruntime/core/x.cc:12 virtual void "
          "onnxruntime::A::B(int) const bad thing",
          m, sizeof(m));
    ASSERT_STR_EQ(m, "Load model from a.onnx failed:bad thing");
    words("/src/x.h:9 shape.Size() >= 0 was false.\nStacktrace:\n/src/y.cc:1 f()\n", m, sizeof(m));
    ASSERT_STR_EQ(m, "shape.Size() >= 0 was false.");
}

TEST(node_chains)
{
    char m[EI_ERROR_MSG_SIZE];
    words("Non-zero status code returned while running If node. Name:'If_25' Status Message: "
          "Non-zero status code returned while running Pad node. Name:'Pad_537' Status Message: "
          "Pad reflect requires axis length >= 2 after slicing.",
          m, sizeof(m));
    ASSERT_STR_EQ(m, "node 'If_25' (If): node 'Pad_537' (Pad): Pad reflect requires axis length "
                     ">= 2 after slicing.");
    words("Exception during initialization: ScaleShift needs 'scale'", m, sizeof(m));
    ASSERT_STR_EQ(m, "ScaleShift needs 'scale'");
}

TEST(plain_messages_unchanged)
{
    char m[EI_ERROR_MSG_SIZE];
    const char *const same[] = {
        ("Got invalid dimensions for input: x for the following indices index: 0 Got: 2 "
         "Expected: 3"),
        "ei.test:ScaleShift(-1) is not a registered function/op", "/tmp/a b: c",
        "Failed to load library /tmp/x.so with error: /tmp/x.so: invalid ELF header", ""};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        words(same[i], m, sizeof(m));
        ASSERT_STR_EQ(m, same[i]);
    }
    /* A chain cut short by the buffer is left alone rather than garbled. */
    words("Non-zero status code returned while running Pad node. Name:'P", m, sizeof(m));
    ASSERT_STR_EQ(m, "Non-zero status code returned while running Pad node. Name:'P");
}

int main(void)
{
    return RUN_TESTS(paths_and_signatures, node_chains, plain_messages_unchanged);
}
