#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The reference for tests/unit/test_model_info.c, computed with the `onnx` Python package
# (Debian's /usr/bin/python3):
#   describe.py MODEL      prints what ei_model_inspect() must report, one fact per line
#   describe.py --make DIR writes small synthetic models that exercise subgraphs, custom domains,
#                          external and sparse initializers and metadata
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8,
         15: 16, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1}


def tensor_bytes(t):
    n = 1
    for d in t.dims:
        n *= d
    if t.data_type == TensorProto.STRING:
        return sum(len(s) for s in t.string_data)
    if t.data_type in (21, 22):
        return (n + 1) // 2
    if t.data_type in SIZES:
        return n * SIZES[t.data_type]
    return len(t.raw_data)


def qualified(node):
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return "%s:%s" % (node.domain, node.op_type)


def walk(graph, depth, ops, counts):
    for node in graph.node:
        name = qualified(node)
        c = ops.setdefault(name, [0, 0])
        c[0] += 1
        if depth > 0:
            c[1] += 1
            counts["sub"] += 1
        else:
            counts["main"] += 1
        for a in node.attribute:
            subs = ([a.g] if a.HasField("g") else []) + list(a.graphs)
            for g in subs:
                counts["graphs"] += 1
                walk(g, depth + 1, ops, counts)


def value(kind, v):
    t = v.type
    if t.HasField("tensor_type"):
        tt = t.tensor_type
        if tt.HasField("shape"):
            dims = []
            for d in tt.shape.dim:
                if d.HasField("dim_value"):
                    dims.append(str(d.dim_value))
                elif d.HasField("dim_param"):
                    dims.append(d.dim_param)
                else:
                    dims.append("?")
            return "%s\t%s\t%d\t%d\t%s" % (kind, v.name, tt.elem_type, len(dims), ",".join(dims))
        return "%s\t%s\t%d\t-1\t" % (kind, v.name, tt.elem_type)
    return "%s\t%s\t0\t-1\t" % (kind, v.name)


def describe(path):
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    out = ["ir_version\t%d" % m.ir_version, "producer\t%s\t%s" % (m.producer_name,
                                                                   m.producer_version),
           "domain\t%s" % m.domain, "model_version\t%d" % m.model_version,
           "graph_name\t%s" % g.name]
    for o in m.opset_import:
        out.append("opset\t%s\t%d" % (o.domain, o.version))
    ops, counts = {}, {"main": 0, "sub": 0, "graphs": 0}
    walk(g, 0, ops, counts)
    out.append("nodes\t%d\t%d\t%d" % (counts["main"], counts["sub"], counts["graphs"]))
    for name, (c, s) in sorted(ops.items(), key=lambda kv: (-kv[1][0], kv[0].encode())):
        out.append("op\t%s\t%d\t%d" % (name, c, s))
    total = ext = n_ext = 0
    inits = set()
    for t in g.initializer:
        inits.add(t.name)
        b = tensor_bytes(t)
        total += b
        if t.data_location == TensorProto.EXTERNAL:
            n_ext += 1
            ext += b
    for st in g.sparse_initializer:
        inits.add(st.values.name)
        total += tensor_bytes(st.values) + tensor_bytes(st.indices)
    out.append("initializers\t%d\t%d\t%d\t%d" % (len(g.initializer) + len(g.sparse_initializer),
                                                 total, n_ext, ext))
    for v in g.input:
        if v.name not in inits:
            out.append(value("input", v))
    for v in g.output:
        out.append(value("output", v))
    for p in m.metadata_props:
        out.append("meta\t%s\t%s" % (p.key, p.value))
    out.append("functions\t%d" % len(m.functions))
    print("\n".join(out))


def make(d):
    os.makedirs(d, exist_ok=True)
    # If with two branches, one of which holds a Loop whose body holds a custom-domain node.
    one = numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one")
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("MyOp", ["v_in"], ["v_out"], domain="com.example")],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1])])
    then_g = helper.make_graph(
        [helper.make_node("Loop", ["trip", "c"], ["lv"], body=body),
         helper.make_node("Add", ["lv", "one"], ["r"])],
        "then", [], [helper.make_tensor_value_info("r", TensorProto.FLOAT, [1])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["one"], ["r2"])],
        "else", [], [helper.make_tensor_value_info("r2", TensorProto.FLOAT, [1])])
    big = numpy_helper.from_array(np.zeros((3, 5), dtype=np.float16), "big")
    ext = TensorProto(name="ext", data_type=TensorProto.FLOAT, dims=[1000, 10])
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key="location", value="weights.bin")
    strs = helper.make_tensor("strs", TensorProto.STRING, [2], [b"hello", b"abc"])
    sparse = helper.make_sparse_tensor(
        numpy_helper.from_array(np.array([1, 2, 3], dtype=np.int64), "sp"),
        numpy_helper.from_array(np.array([0, 4, 7], dtype=np.int64), "sp_idx"), [10])
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g),
         helper.make_node("Add", ["y", "one"], ["z"]),
         helper.make_node("Relu", ["z"], ["out"]),
         helper.make_node("FusedThing", ["out"], ["out2"], domain="com.microsoft")],
        "synthetic",
        [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
         helper.make_tensor_value_info("trip", TensorProto.INT64, ["T"]),
         helper.make_tensor_value_info("one", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, None]),
         helper.make_tensor_sequence_value_info("seq", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("out2", TensorProto.FLOAT, None)],
        initializer=[one, big, ext, strs], sparse_initializer=[sparse])
    model = helper.make_model(
        graph, producer_name="edgeinfer-tests", producer_version="1.2",
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1),
                       helper.make_opsetid("com.example", 1)])
    model.domain = "org.example"
    model.model_version = 7
    model.doc_string = "a synthetic model"
    helper.set_model_props(model, {"author": "tests", "license": "MIT"})
    with open(os.path.join(d, "synthetic.onnx"), "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make":
        make(sys.argv[2])
    elif len(sys.argv) == 2:
        describe(sys.argv[1])
    else:
        sys.exit("usage: describe.py MODEL | --make DIR")
