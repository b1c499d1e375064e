#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the tiny ONNX backend-style cases used by tests/integration/conformance.cmake.

Run with Debian's interpreter (python3-onnx, python3-numpy):
    /usr/bin/python3 tests/conformance/make_test_cases.py tests/conformance/data
The output is checked in (a few KB); re-run only to change the cases.

  add_ok      Add of two float32 [2,3] tensors, correct reference: passes
  add_wrong   the same model, element [1,1] of the reference is off by 0.5: must fail
  add_bad_pb  the same model, input_1.pb is not a TensorProto: must fail naming the file
  loop_slow   a Loop with 2^62 iterations: never ends, must be killed by the per-case time limit
  no_cases/   a folder without any model.onnx
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def add_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 3])
    node = helper.make_node("Add", ["x", "y"], ["z"])
    g = helper.make_graph([node], "add", [x, y], [z])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="edgeinfer-tests")
    m.ir_version = 7
    return m


def loop_model():
    # y = x + 1, repeated 2^62 times: far longer than any time limit.
    trip = numpy_helper.from_array(np.array(2**62, dtype=np.int64), "trip")
    one = numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one")
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["v_in", "one"], ["v_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1])])
    cond = numpy_helper.from_array(np.array(True), "cond")
    node = helper.make_node("Loop", ["trip", "cond", "x"], ["y"], body=body)
    g = helper.make_graph([node], "loop", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
                          initializer=[trip, cond, one])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="edgeinfer-tests")
    m.ir_version = 7
    return m


def write_case(root, name, model, inputs, outputs, raw_inputs=None):
    d = os.path.join(root, name)
    s = os.path.join(d, "test_data_set_0")
    os.makedirs(s, exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for i, (n, a) in enumerate(inputs):
        with open(os.path.join(s, "input_%d.pb" % i), "wb") as f:
            if raw_inputs and i in raw_inputs:
                f.write(raw_inputs[i])
            else:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
    for i, (n, a) in enumerate(outputs):
        with open(os.path.join(s, "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())


def main():
    root = sys.argv[1]
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    y = np.full((2, 3), 0.5, dtype=np.float32)
    z = x + y
    write_case(root, "add_ok", add_model(), [("x", x), ("y", y)], [("z", z)])
    wrong = z.copy()
    wrong[1, 1] += 0.5
    write_case(root, "add_wrong", add_model(), [("x", x), ("y", y)], [("z", wrong)])
    write_case(root, "add_bad_pb", add_model(), [("x", x), ("y", y)], [("z", z)],
               raw_inputs={1: b"\xff\xff\xff\xff not a tensor"})
    v = np.array([0.0], dtype=np.float32)
    write_case(root, "loop_slow", loop_model(), [("x", v)], [("y", v)])
    os.makedirs(os.path.join(root, "no_cases"), exist_ok=True)
    with open(os.path.join(root, "no_cases", "README"), "w") as f:
        f.write("A folder with no test case in it (no model.onnx): edgeinfer conformance must say so.\n")


if __name__ == "__main__":
    main()
