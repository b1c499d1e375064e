#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ARM64 build gives the x86-64 build's results (`make test-arm64`, test arm64_vs_host).

Runs the same commands through the host's `edgeinfer` (EI_HOST_BIN) and the ARM64 one under
qemu-user (EI_BIN) and compares: `edgeinfer run` on the bundled PP-OCR classifier, recogniser and
Silero VAD with the same NumPy inputs (every output element within rtol 1e-4 / atol 1e-5: the two
builds use different ONNX Runtime kernels, AVX2 vs NEON, and releases, 1.29 vs 1.30), and
`edgeinfer classify` on the example images (same labels, scores within 1e-5). Exit 77 (skipped)
without NumPy, the models or the host binary."""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("SKIP: numpy missing")
    sys.exit(77)

HOST = os.environ.get("EI_HOST_BIN", "")
TARGET = os.environ.get("EI_BIN", "")
MODELS = os.environ.get("EI_MODELS", "")
SRC = os.environ.get("EI_SOURCE_DIR", "")
if not os.access(HOST, os.X_OK) or not os.access(TARGET, os.X_OK):
    print(f"SKIP: need EI_HOST_BIN ({HOST!r}) and EI_BIN ({TARGET!r})")
    sys.exit(77)
if not os.path.isfile(os.path.join(MODELS, "ppocr", "cls.onnx")):
    print("SKIP: bundled models missing")
    sys.exit(77)

failures = 0


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise SystemExit(f"FAIL: {binary} {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
    return p.stdout


def compare_run(name, model, inputs):
    global failures
    work = tempfile.mkdtemp(prefix="ei-arm64-")
    args = [os.path.join(MODELS, model), "--threads", "1"]
    for k, v in inputs.items():
        f = os.path.join(work, k + ".npy")
        np.save(f, v)
        args += ["-i", f"{k}={f}"]
    outs = {}
    for tag, binary in (("host", HOST), ("arm64", TARGET)):
        d = os.path.join(work, tag)
        run(binary, ["run"] + args + ["-o", d])
        outs[tag] = {f: np.load(os.path.join(d, f)) for f in sorted(os.listdir(d))}
    if sorted(outs["host"]) != sorted(outs["arm64"]) or not outs["host"]:
        print(f"FAIL: {name}: outputs {sorted(outs['host'])} vs {sorted(outs['arm64'])}")
        failures += 1
        return
    for f, a in outs["host"].items():
        b = outs["arm64"][f]
        if a.shape != b.shape or a.dtype != b.dtype:
            print(f"FAIL: {name}/{f}: {a.shape} {a.dtype} vs {b.shape} {b.dtype}")
            failures += 1
        elif not np.allclose(a, b, rtol=1e-4, atol=1e-5):
            print(f"FAIL: {name}/{f}: max |diff| {np.max(np.abs(a - b)):.3g}")
            failures += 1
        else:
            print(f"ok: {name}/{f} {list(a.shape)}: max |diff| {np.max(np.abs(a - b)):.3g}")


rng = np.random.default_rng(20261129)
compare_run("ppocr_cls", "ppocr/cls.onnx", {"x": rng.random((2, 3, 48, 192), dtype=np.float32)})
compare_run("ppocr_rec", "ppocr/rec.onnx", {"x": rng.random((1, 3, 48, 160), dtype=np.float32)})
compare_run("silero_vad", "vad/silero_vad.onnx", {
    "input": (rng.random((1, 512), dtype=np.float32) - 0.5),
    "sr": np.array(16000, dtype=np.int64),
    "h": np.zeros((2, 1, 64), dtype=np.float32),
    "c": np.zeros((2, 1, 64), dtype=np.float32)})

m = os.path.join(MODELS, "ppocr")
imgs = [os.path.join(SRC, "examples", "images", n) for n in ("line.jpg", "line_upside_down.png")]
cls = ["classify", "--model", m + "/cls.onnx", "--labels", m + "/cls_labels.txt", "--preset",
       "ppocr", "--top-k", "2", "--json"] + imgs
res = {tag: json.loads(run(b, cls))["results"] for tag, b in (("host", HOST), ("arm64", TARGET))}
for h, a in zip(res["host"], res["arm64"]):
    hl = [(t["label"], t["score"]) for t in h["top"]]
    al = [(t["label"], t["score"]) for t in a["top"]]
    if [l for l, _ in hl] != [l for l, _ in al] or \
            any(abs(x - y) > 1e-5 for (_, x), (_, y) in zip(hl, al)):
        print(f"FAIL: classify {os.path.basename(h['image'])}: {hl} vs {al}")
        failures += 1
    else:
        print(f"ok: classify {os.path.basename(h['image'])}: {al}")

if failures:
    print(f"{failures} comparison(s) failed")
    sys.exit(1)
print("arm64 results equal the host's within tolerance")
