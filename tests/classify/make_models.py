#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the tiny ONNX classifiers the classify unit tests use (tests/classify/data/*.onnx).

Each model averages its input over H and W, so its logits for a solid-colour image are the
colour's channel values (in whatever units the preset gives): a red image is class 0, green 1,
blue 2. The variants cover what the classifier must handle: float16 output, a fixed batch dim
(padding), an output that is already a softmax, float16 and uint8 NHWC inputs, labels in model
metadata in the forms exporters write. Run with /usr/bin/python3 (needs the onnx module); the
outputs are checked in so the C tests need no Python.
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def model(name, in_type, in_shape, nodes, out_type, out_shape, meta=None, inits=()):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", in_type, in_shape)],
        [helper.make_tensor_value_info("logits", out_type, out_shape)],
        initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="edgeinfer-tests")
    m.ir_version = 8
    for k, v in (meta or {}).items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(m, path)
    return path


def gap(src="x"):
    return [helper.make_node("GlobalAveragePool", [src], ["p"]),
            helper.make_node("Flatten", ["p"], ["f"], axis=1)]


def main():
    os.makedirs(OUT, exist_ok=True)
    F, H, U8 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.UINT8
    # float32 in, float16 out, Ultralytics-style dict labels.
    model("gap_f16out", F, ["batch", 3, 8, 8],
          gap() + [helper.make_node("Cast", ["f"], ["logits"], to=H)], H, ["batch", 3],
          meta={"names": "{0: 'red', 1: 'green', 2: 'blue'}"})
    # Fixed batch of 4, JSON list labels under "labels".
    model("gap_fixed4", F, [4, 3, 8, 8],
          gap() + [helper.make_node("Identity", ["f"], ["logits"])], F, [4, 3],
          meta={"labels": '["red", "green", "blue"]'})
    # Output already a distribution (softmax of logits / 20), comma separated "classes".
    scale = helper.make_tensor("s", F, [], [0.05])
    model("gap_softmax", F, ["batch", 3, 8, 8],
          gap() + [helper.make_node("Mul", ["f", "s"], ["g"]),
                   helper.make_node("Softmax", ["g"], ["logits"], axis=1)], F, ["batch", 3],
          meta={"classes": "red, green, blue"}, inits=[scale])
    # float16 input and output, fixed H and W (8 x 8), no labels.
    model("gap_f16in", H, ["batch", 3, 8, 8],
          [helper.make_node("Cast", ["x"], ["x32"], to=F)] + gap("x32") +
          [helper.make_node("Cast", ["f"], ["logits"], to=H)], H, ["batch", 3])
    # uint8 NHWC input, float32 output [N, C, 1, 1].
    model("gap_u8_nhwc", U8, ["batch", 8, 8, 3],
          [helper.make_node("Cast", ["x"], ["x32"], to=F),
           helper.make_node("Transpose", ["x32"], ["t"], perm=[0, 3, 1, 2]),
           helper.make_node("GlobalAveragePool", ["t"], ["logits"])], F, ["batch", 3, 1, 1])
    # Not an image input: rank 2.
    model("not_image", F, ["batch", 16],
          [helper.make_node("Identity", ["x"], ["logits"])], F, ["batch", 16])
    return 0


if __name__ == "__main__":
    sys.exit(main())
