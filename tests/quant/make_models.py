# SPDX-License-Identifier: MIT
"""Quantised (int8) test models made with python3-onnx, with inputs and the outputs a numpy
reference of the same quantised arithmetic gives:

  qdq.onnx        QDQ form: x (float) -> QuantizeLinear (uint8) -> DequantizeLinear -> MatMul with
                  per-channel int8 weights behind a DequantizeLinear -> Add bias -> Quantize /
                  Dequantize (uint8) -> y (float)
  fp32.onnx       the float model the QDQ one quantises (same weights before quantisation, same
                  bias): y = x @ W + b
  qoperator.onnx  QOperator form on uint8 activations a: QLinearMatMul with int8 weights -> y
                  (uint8), and MatMulInteger with the same operands -> acc (int32)
  dynamic.onnx    dynamic quantisation: DynamicQuantizeLinear -> MatMulInteger (for `info`)

    python3 make_models.py OUT_DIR [--rows N --width K --layers L] [--full-range]

The defaults are small (tests); the benchmark in docs/BENCHMARKS.md uses bigger ones. Writes x.npy,
a.npy and the references y_qdq.npy, y_fp32.npy, y_qop.npy, acc_qop.npy.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def q(x, s, zp, lo, hi):
    """QuantizeLinear: round half to even, add the zero point, saturate."""
    return np.clip(np.rint(x / s) + zp, lo, hi)


def save(model, path):
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=4)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--full-range", action="store_true", help="8-bit weights instead of 7-bit")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(12)
    n, k, layers = args.rows, args.width, args.layers

    # Float weights and their per-output-channel symmetric int8 quantisation, 7-bit (reduce_range,
    # as ONNX Runtime's own quantizer does for x86): with full-range int8 weights and uint8
    # activations, x86 CPUs without VNNI saturate int16 pair sums (vpmaddubsw) in ORT's fused
    # kernels, and results drift by several quanta (--full-range shows it).
    ws, wqs, wss, bs = [], [], [], []
    wmax = 127 if args.full_range else 63
    for _ in range(layers):
        w = rng.normal(0, 1 / np.sqrt(k), (k, k)).astype(np.float32)
        w_s = (np.abs(w).max(axis=0) / wmax).astype(np.float32)
        ws.append(w)
        wqs.append(q(w, w_s, 0, -wmax, wmax).astype(np.int8))
        wss.append(w_s)
        bs.append(rng.normal(0, 0.1, k).astype(np.float32))
    x = rng.uniform(-2, 2, (n, k)).astype(np.float32)
    x_s, x_zp = np.float32(4 / 255), np.uint8(128)
    y_s, y_zp = np.float32(0.05), np.uint8(128)

    # QDQ model and its reference (float64 arithmetic on the dequantised values).
    inits, nodes = [], []
    inits += [numpy_helper.from_array(np.array(x_s), "x_s"),
              numpy_helper.from_array(np.array(x_zp), "x_zp"),
              numpy_helper.from_array(np.array(y_s), "y_s"),
              numpy_helper.from_array(np.array(y_zp), "y_zp")]
    cur = "x"
    ref = x.astype(np.float64)
    for i in range(layers):
        inits += [numpy_helper.from_array(wqs[i], "wq%d" % i),
                  numpy_helper.from_array(wss[i], "w_s%d" % i),
                  numpy_helper.from_array(np.zeros(k, np.int8), "w_zp%d" % i),
                  numpy_helper.from_array(bs[i], "b%d" % i)]
        s_in, zp_in = ("x_s", "x_zp") if i == 0 else ("y_s", "y_zp")
        nodes += [
            helper.make_node("QuantizeLinear", [cur, s_in, zp_in], ["q%d" % i]),
            helper.make_node("DequantizeLinear", ["q%d" % i, s_in, zp_in], ["d%d" % i]),
            helper.make_node("DequantizeLinear", ["wq%d" % i, "w_s%d" % i, "w_zp%d" % i],
                             ["wd%d" % i], axis=1),
            helper.make_node("MatMul", ["d%d" % i, "wd%d" % i], ["mm%d" % i]),
            helper.make_node("Add", ["mm%d" % i, "b%d" % i], ["h%d" % i]),
        ]
        s, zp = (x_s, x_zp) if i == 0 else (y_s, y_zp)
        d = (q(ref, s, zp, 0, 255) - zp) * s
        ref = d @ (wqs[i].astype(np.float64) * wss[i]) + bs[i]
        cur = "h%d" % i
    nodes += [helper.make_node("QuantizeLinear", [cur, "y_s", "y_zp"], ["yq"]),
              helper.make_node("DequantizeLinear", ["yq", "y_s", "y_zp"], ["y"])]
    y_qdq = ((q(ref, y_s, y_zp, 0, 255) - y_zp) * y_s).astype(np.float32)
    g = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                       ["N", k])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", k])],
                          inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(args.out, "qdq.onnx"))

    # The float model it quantises.
    inits, nodes, cur, ref = [], [], "x", x.astype(np.float64)
    for i in range(layers):
        inits += [numpy_helper.from_array(ws[i], "w%d" % i), numpy_helper.from_array(bs[i], "b%d" % i)]
        nodes += [helper.make_node("MatMul", [cur, "w%d" % i], ["mm%d" % i]),
                  helper.make_node("Add", ["mm%d" % i, "b%d" % i],
                                   ["y" if i == layers - 1 else "h%d" % i])]
        ref = ref @ ws[i] + bs[i]
        cur = "h%d" % i
    g = helper.make_graph(nodes, "fp32", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                        ["N", k])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", k])],
                          inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(args.out, "fp32.onnx"))
    y_fp32 = ref.astype(np.float32)

    # QOperator model on uint8 activations, per-tensor int8 weights.
    a = rng.integers(0, 256, (n, k), dtype=np.uint8)
    a_s, a_zp = np.float32(0.02), np.uint8(120)
    w = ws[0]
    b_s = np.float32(np.abs(w).max() / wmax)
    bq = q(w, b_s, 0, -wmax, wmax).astype(np.int8)
    b_zp = np.int8(0)
    o_s, o_zp = np.float32(0.04), np.uint8(100)
    inits = [numpy_helper.from_array(np.array(a_s), "a_s"),
             numpy_helper.from_array(np.array(a_zp), "a_zp"),
             numpy_helper.from_array(bq, "bq"),
             numpy_helper.from_array(np.array(b_s), "b_s"),
             numpy_helper.from_array(np.array(b_zp), "b_zp"),
             numpy_helper.from_array(np.array(o_zp), "o_zp")]
    # The output scale comes from a Constant node rather than an initializer (info reads both).
    nodes = [helper.make_node("Constant", [], ["o_s"],
                              value=numpy_helper.from_array(np.array(o_s), "o_s_value")),
             helper.make_node("QLinearMatMul", ["a", "a_s", "a_zp", "bq", "b_s", "b_zp", "o_s",
                                                "o_zp"], ["y"]),
             helper.make_node("MatMulInteger", ["a", "bq", "a_zp", "b_zp"], ["acc"])]
    g = helper.make_graph(nodes, "qoperator",
                          [helper.make_tensor_value_info("a", TensorProto.UINT8, ["N", k])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, ["N", k]),
                           helper.make_tensor_value_info("acc", TensorProto.INT32, ["N", k])],
                          inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(args.out, "qoperator.onnx"))
    # Dynamic quantisation: the activation's scale and zero point computed at run time.
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "x_scale", "x_zp"]),
             helper.make_node("MatMulInteger", ["xq", "bq", "x_zp", "b_zp"], ["acc"])]
    g = helper.make_graph(nodes, "dynamic",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", k])],
                          [helper.make_tensor_value_info("acc", TensorProto.INT32, ["N", k])],
                          [numpy_helper.from_array(bq, "bq"),
                           numpy_helper.from_array(np.array(b_zp), "b_zp")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(args.out, "dynamic.onnx"))
    acc = (a.astype(np.int64) - int(a_zp)) @ (bq.astype(np.int64) - int(b_zp))
    y_qop = q(acc * (np.float64(a_s) * np.float64(b_s) / np.float64(o_s)), 1, o_zp, 0, 255)

    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "a.npy"), a)
    np.save(os.path.join(args.out, "y_qdq.npy"), y_qdq)
    np.save(os.path.join(args.out, "y_fp32.npy"), y_fp32)
    np.save(os.path.join(args.out, "y_qop.npy"), y_qop.astype(np.uint8))
    np.save(os.path.join(args.out, "acc_qop.npy"), acc.astype(np.int32))


if __name__ == "__main__":
    main()
