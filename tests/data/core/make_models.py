#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes the tiny models the core unit tests use (run with Debian's /usr/bin/python3 + python3-onnx).

add.onnx       y = a + b, a: float32 [batch, 3], b: float32 [3]; metadata for introspection tests
identity.onnx  one Identity per element type: string, bool, int64, float16, bfloat16, uint8, float64
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3])
b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["y"])], "add_graph", [a, b], [y],
                      doc_string="adds b to every row of a")
m = helper.make_model(g, producer_name="edgeinfer-tests", producer_version="1",
                      opset_imports=[helper.make_opsetid("", 13)], doc_string="tiny add model",
                      domain="ai.edgeinfer.test", model_version=7)
m.ir_version = 8
helper.set_model_props(m, {"labels": "x,y,z", "author": "edgeinfer"})
onnx.checker.check_model(m)
onnx.save(m, os.path.join(out, "add.onnx"))

types = [("s", TensorProto.STRING), ("bo", TensorProto.BOOL), ("i64", TensorProto.INT64),
         ("f16", TensorProto.FLOAT16), ("bf16", TensorProto.BFLOAT16), ("u8", TensorProto.UINT8),
         ("f64", TensorProto.DOUBLE)]
nodes, ins, outs = [], [], []
for name, t in types:
    ins.append(helper.make_tensor_value_info("in_" + name, t, [None]))
    outs.append(helper.make_tensor_value_info("out_" + name, t, [None]))
    nodes.append(helper.make_node("Identity", ["in_" + name], ["out_" + name]))
g = helper.make_graph(nodes, "identity_graph", ins, outs)
m = helper.make_model(g, producer_name="edgeinfer-tests", opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, os.path.join(out, "identity.onnx"))
