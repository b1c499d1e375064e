/* SPDX-License-Identifier: MIT */
/*
 * Empty sequences as OrtValues. ONNX Runtime's C API cannot create one (CreateValue wants at
 * least one element), but ONNX's SequenceEmpty operator produces one. So a one-node model is
 * built in memory (protobuf-c, onnx.proto), run once, and its output is the value. That costs a
 * session creation (about a millisecond) per empty-sequence input per run, and only then.
 *
 * The same trick makes a None optional (the Optional operator without an input), but ONNX Runtime
 * 1.29's Run crashes (SIGSEGV) when such a value is fed to any model, so None inputs are refused
 * before they get here (value.c).
 */
#include "pb_internal.h"

#include <string.h>

typedef struct {
    Onnx__TypeProto seq_type, tensor_type;
    Onnx__TypeProto__Tensor tensor;
    Onnx__TypeProto__Sequence seq;
} type_store_t;

/* The ONNX type sequence(tensor(dtype)), its parts in `m`. */
static Onnx__TypeProto *seq_type(type_store_t *m, ei_dtype_t dtype)
{
    onnx__type_proto__tensor__init(&m->tensor);
    m->tensor.has_elem_type = 1;
    m->tensor.elem_type = (int32_t)dtype;
    onnx__type_proto__init(&m->tensor_type);
    m->tensor_type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    m->tensor_type.tensor_type = &m->tensor;
    onnx__type_proto__sequence__init(&m->seq);
    m->seq.elem_type = &m->tensor_type;
    onnx__type_proto__init(&m->seq_type);
    m->seq_type.value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
    m->seq_type.sequence_type = &m->seq;
    return &m->seq_type;
}

ei_code_t ei__ort_empty_sequence(ei_dtype_t dtype, OrtValue **out, ei_error_t *err)
{
    *out = NULL;
    if (!ei_dtype_valid(dtype))
        return ei__fail(err, EI_EUNSUPPORTED,
                        "an empty sequence needs its element type, which is not known here");
    type_store_t ts;
    Onnx__AttributeProto attr = ONNX__ATTRIBUTE_PROTO__INIT;
    Onnx__AttributeProto *attrs[1] = {&attr};
    Onnx__NodeProto node = ONNX__NODE_PROTO__INIT;
    Onnx__NodeProto *nodes[1] = {&node};
    Onnx__ValueInfoProto vi = ONNX__VALUE_INFO_PROTO__INIT;
    Onnx__ValueInfoProto *vis[1] = {&vi};
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    char out_name[] = "y", domain[] = "", graph_name[] = "ei_empty_sequence";
    char op[] = "SequenceEmpty", attr_name[] = "dtype";
    char *outputs[1] = {out_name};

    attr.name = attr_name;
    attr.has_type = 1;
    attr.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    attr.has_i = 1;
    attr.i = (int64_t)dtype;
    node.op_type = op;
    node.n_attribute = 1;
    node.attribute = attrs;
    node.n_output = 1;
    node.output = outputs;
    node.domain = domain;
    vi.name = out_name;
    vi.type = seq_type(&ts, dtype);
    graph.name = graph_name;
    graph.n_node = 1;
    graph.node = nodes;
    graph.n_output = 1;
    graph.output = vis;
    opset.domain = domain;
    opset.has_version = 1;
    opset.version = 11; /* SequenceEmpty is opset 11 */
    model.has_ir_version = 1;
    model.ir_version = 7;
    model.n_opset_import = 1;
    model.opset_import = opsets;
    model.graph = &graph;
    size_t size = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = ei__malloc(size);
    if (buf == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    onnx__model_proto__pack(&model, buf);

    OrtEnv *env = ei__env(err);
    OrtSessionOptions *so = NULL;
    OrtSession *sess = NULL;
    ei_code_t rc = env == NULL ? (err ? err->code : EI_ERUNTIME) : EI_OK;
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->CreateSessionOptions(&so), err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->SetIntraOpNumThreads(so, 1), err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->CreateSessionFromArray(env, buf, size, so, &sess), err);
    const char *const names[1] = {out_name};
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->Run(sess, NULL, NULL, NULL, 0, names, 1, out), err);
    if (rc != EI_OK)
        ei__error_prefix(err, "making an empty sequence of %s", ei_dtype_name(dtype));
    if (sess != NULL)
        ei__ort->ReleaseSession(sess);
    if (so != NULL)
        ei__ort->ReleaseSessionOptions(so);
    ei__free(buf);
    return rc;
}
