# SPDX-License-Identifier: MIT
"""Models for the custom-op tests (tests/customop/ei_test_ops.c, domain ei.test), made with
python3-onnx: scale_shift.onnx runs ScaleShift(scale=3, shift=-2) on a float input `xf` [N] and an
int64 input `xi` [N]; no_scale.onnx lacks the required `scale` attribute. Also writes inputs
xf.npy / xi.npy and the outputs numpy computes for them, yf.npy / yi.npy.

    python3 make_model.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def model(nodes, inputs, outputs):
    g = helper.make_graph(nodes, "scale_shift", inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                            helper.make_opsetid("ei.test", 1)])
    m.ir_version = 8
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    xf = helper.make_tensor_value_info("xf", TensorProto.FLOAT, ["N"])
    xi = helper.make_tensor_value_info("xi", TensorProto.INT64, ["N"])
    yf = helper.make_tensor_value_info("yf", TensorProto.FLOAT, ["N"])
    yi = helper.make_tensor_value_info("yi", TensorProto.INT64, ["N"])
    nodes = [helper.make_node("ScaleShift", ["xf"], ["yf"], domain="ei.test", scale=3, shift=-2),
             helper.make_node("ScaleShift", ["xi"], ["yi"], domain="ei.test", scale=3, shift=-2)]
    onnx.save(model(nodes, [xf, xi], [yf, yi]), os.path.join(out, "scale_shift.onnx"))
    bad = [helper.make_node("ScaleShift", ["xf"], ["yf"], domain="ei.test", shift=1)]
    onnx.save(model(bad, [xf], [yf]), os.path.join(out, "no_scale.onnx"))
    x = np.array([0.5, -1.25, 4.0, 1e6, 0.0], dtype=np.float32)
    i = np.array([7, -3, 0, 2**40, -(2**40)], dtype=np.int64)
    np.save(os.path.join(out, "xf.npy"), x)
    np.save(os.path.join(out, "xi.npy"), i)
    np.save(os.path.join(out, "yf.npy"), (x * np.float32(3) + np.float32(-2)).astype(np.float32))
    np.save(os.path.join(out, "yi.npy"), i * 3 - 2)


if __name__ == "__main__":
    main()
