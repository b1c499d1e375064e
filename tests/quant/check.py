#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Quantised models through `edgeinfer run` and `edgeinfer info`, against numpy references of the
same quantised arithmetic (make_models.py): the QDQ model exactly with graph optimisations off
(ONNX Runtime runs the Q/DQ nodes as written) and within one output quantum with them on (ORT
fuses DequantizeLinear -> MatMul -> Add -> QuantizeLinear into one int8 QGemm whose float
requantisation may round a tie the other way); the QOperator model's QLinearMatMul within one
quantum and its MatMulInteger exactly; the float model to 1e-5. `info` must name the format,
the scale, zero-point and weight types and per-channel scales. Exit 77 without python3-onnx."""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError:
    print("SKIP: python3-numpy / python3-onnx missing")
    sys.exit(77)

ei = os.environ["EI_BIN"]
here = os.path.dirname(os.path.abspath(__file__))
failed = 0


def check(what, cond, detail=""):
    global failed
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else " " + str(detail)))
    failed += 0 if cond else 1


def run(*args):
    p = subprocess.run([ei] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr)
    return p


with tempfile.TemporaryDirectory() as tmp:
    for tag, extra in (("small", []), ("3 layers", ["--rows", "32", "--width", "64",
                                                    "--layers", "3"])):
        d = os.path.join(tmp, tag.replace(" ", "_"))
        subprocess.run([sys.executable, os.path.join(here, "make_models.py"), d] + extra,
                       check=True)
        ref = {n: np.load(os.path.join(d, n + ".npy")) for n in
               ("y_qdq", "y_fp32", "y_qop", "acc_qop")}
        step = 0.05  # the QDQ model's output scale
        for level in ("disable", "all"):
            o = os.path.join(d, "qdq_" + level)
            p = run("run", os.path.join(d, "qdq.onnx"), "-i", "x=" + os.path.join(d, "x.npy"),
                    "--opt-level", level, "-o", o)
            y = np.load(os.path.join(o, "y.npy")) if p.returncode == 0 else None
            diff = np.abs(y - ref["y_qdq"]).max() if y is not None else None
            if level == "disable":
                check("%s QDQ, optimisations off: equal to the reference" % tag,
                      y is not None and diff == 0, diff)
            else:
                check("%s QDQ, fused: within one quantum of the reference" % tag,
                      y is not None and diff <= step * 1.0001, diff)
        o = os.path.join(d, "qop")
        p = run("run", os.path.join(d, "qoperator.onnx"), "-i", os.path.join(d, "a.npy"), "-o", o)
        ok = p.returncode == 0
        y = np.load(os.path.join(o, "y.npy")).astype(int) if ok else None
        acc = np.load(os.path.join(o, "acc.npy")) if ok else None
        check("%s QLinearMatMul: uint8, within one quantum" % tag,
              ok and y.dtype is not None and np.abs(y - ref["y_qop"].astype(int)).max() <= 1)
        check("%s MatMulInteger: int32, exact" % tag,
              ok and acc.dtype == np.int32 and (acc == ref["acc_qop"]).all())
        o = os.path.join(d, "fp32")
        p = run("run", os.path.join(d, "fp32.onnx"), "-i", os.path.join(d, "x.npy"), "-o", o)
        check("%s float model: equal to numpy within 1e-5" % tag, p.returncode == 0 and
              np.abs(np.load(os.path.join(o, "y.npy")) - ref["y_fp32"]).max() < 1e-5)

    d = os.path.join(tmp, "small")
    want = {"qdq": ("QDQ", True), "qoperator": ("QOperator", False)}
    for name, (fmt, per_channel) in want.items():
        p = run("info", os.path.join(d, name + ".onnx"), "--json")
        q = json.loads(p.stdout)["quantization"] if p.returncode == 0 else {}
        check("info %s: format %s" % (name, fmt), q.get("format") == fmt, q)
        check("info %s: scales float32" % name, q.get("scale_types") == ["float32"], q)
        check("info %s: zero points uint8 and int8" % name,
              sorted(q.get("zero_point_types", [])) == ["int8", "uint8"], q)
        check("info %s: int8 weights" % name, q.get("weight_types") == ["int8"], q)
        check("info %s: per-channel %s" % (name, per_channel), q.get("per_channel") == per_channel, q)
    p = run("info", os.path.join(d, "dynamic.onnx"), "--json")
    q = json.loads(p.stdout)["quantization"] if p.returncode == 0 else {}
    check("info dynamic: format dynamic, int8 weights, no scale constants",
          q.get("format") == "dynamic" and q.get("weight_types") == ["int8"] and
          q.get("scale_types") == [] and q.get("nodes") == 2, q)
    p = run("info", os.path.join(d, "fp32.onnx"))
    check("info fp32: quantization none", "quantization: none" in p.stdout, p.stdout)
    p = run("info", os.path.join(d, "qdq.onnx"))
    check("info qdq text line", "quantization: QDQ, 5 nodes; scales float32 (per-channel); "
          "zero points uint8, int8; weights int8" in p.stdout, p.stdout)
    # bench --compare: sizes, latencies for both, and the output difference on the same inputs.
    p = run("bench", os.path.join(d, "fp32.onnx"), "--compare", os.path.join(d, "qdq.onnx"),
            "--iterations", "5", "--json", "--zeros")
    doc = json.loads(p.stdout) if p.returncode == 0 else {}
    ms = doc.get("models", [])
    check("bench --compare: two models measured", len(ms) == 2 and all(
        m["runs"] == 5 and m["latency_ms"]["median"] > 0 for m in ms), doc)
    sizes = [os.path.getsize(os.path.join(d, n)) for n in ("fp32.onnx", "qdq.onnx")]
    check("bench --compare: file sizes", [m.get("size_bytes") for m in ms] == sizes, ms)
    # Zero inputs: fp32 gives the bias, QDQ the bias through its quantisers.
    outs = doc.get("outputs", [{}])
    b = numpy_helper.to_array(
        [t for t in onnx.load(os.path.join(d, "fp32.onnx")).graph.initializer if t.name == "b0"][0])
    bq = (np.clip(np.rint(b / 0.05) + 128, 0, 255) - 128) * 0.05
    want = np.abs(bq.astype(np.float32) - b).max()
    check("bench --compare: max output difference", outs and outs[0].get("name") == "y" and
          abs(outs[0].get("max_abs_diff", -1) - want) < 1e-6, (outs, want))
    p = run("bench", os.path.join(d, "fp32.onnx"), "--compare", os.path.join(d, "qoperator.onnx"),
            "--iterations", "2")
    check("bench --compare: models with other inputs are refused", p.returncode == 1 and
          "cannot take the inputs generated for" in p.stderr and "[EI_EINVAL]" in p.stderr,
          p.stderr)
print("%d failure(s)" % failed)
sys.exit(1 if failed else 0)
