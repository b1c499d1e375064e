#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Integration cases for `edgeinfer info` and `edgeinfer run` on the bundled models:
#   check.py CASE       runs one case (ctest runs each as its own test), exit 0 = pass
#   check.py --list     prints the case names
# Every case checks the exit code AND the message or output, and that nothing crashed (no
# sanitizer report, exit code 0/1/2 only). Needs Debian's python3 with numpy and onnx (exit 77
# otherwise). Environment: EI_BIN, EI_MODELS (from tests/CMakeLists.txt).
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(77)

BIN = os.environ.get("EI_BIN", "edgeinfer")
MODELS = os.environ.get("EI_MODELS", ".deps/models")
CLS = os.path.join(MODELS, "ppocr", "cls.onnx")
VAD = os.path.join(MODELS, "vad", "silero_vad.onnx")
CLS_DIMS = ["--dim", "p2o.DynamicDimension.1=48", "--dim", "p2o.DynamicDimension.2=192"]

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def ei(*args, rc=0, out=None, err=None, tmp=None):
    """Runs edgeinfer; checks the exit code and regexes on stdout/stderr; returns (stdout, stderr)."""
    cmd = [BIN] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=240,
                       cwd=tmp)
    shown = "$ %s\n-- exit %d\n-- stdout:\n%s\n-- stderr:\n%s" % (" ".join(cmd), p.returncode,
                                                                 p.stdout[-4000:], p.stderr[-4000:])
    print(shown)
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Segmentation"):
        check(bad not in p.stderr, "sanitizer/crash report in stderr: %s" % bad)
    check(p.returncode in (0, 1, 2), "exit code %d is not 0, 1 or 2" % p.returncode)
    check(p.returncode == rc, "expected exit %d, got %d" % (rc, p.returncode))
    if out is not None:
        check(re.search(out, p.stdout, re.M), "stdout lacks /%s/" % out)
    if err is not None:
        check(re.search(err, p.stderr, re.M), "stderr lacks /%s/" % err)
    if rc != 0:
        check(p.stderr.strip() != "", "a failure must say why on stderr")
    return p.stdout, p.stderr


def onnx_op_counts(path):
    m = onnx.load(path)
    counts = {}

    def walk(g, sub):
        for n in g.node:
            name = n.op_type if n.domain in ("", "ai.onnx") else "%s:%s" % (n.domain, n.op_type)
            c = counts.setdefault(name, [0, 0])
            c[0] += 1
            c[1] += sub
            for a in n.attribute:
                for sg in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    walk(sg, 1)

    walk(m.graph, 0)
    return counts


# ---- info ---------------------------------------------------------------------------------------

@case
def info_cls_text(tmp):
    out, _ = ei("info", CLS,
                out=r"^  x +float32 +\[p2o\.DynamicDimension\.0,3,p2o\.DynamicDimension\.1,"
                    r"p2o\.DynamicDimension\.2\]$")
    check(re.search(r"^  softmax_0\.tmp_0 +float32 +\[p2o\.DynamicDimension\.3,2\]$", out, re.M),
          "output line")
    check(re.search(r"^opsets: ai\.onnx 9$", out, re.M), "opsets line")
    for op, (n, _) in onnx_op_counts(CLS).items():
        check(re.search(r"^  %s +%d$" % (re.escape(op), n), out, re.M), "op count %s %d" % (op, n))
    check(re.search(r"^initializers: 0 ", out, re.M), "initializers line")


@case
def info_cls_json(tmp):
    out, _ = ei("info", "--json", CLS)
    d = json.loads(out)
    check(d["ir_version"] == 8, "ir_version")
    check(len(d["inputs"]) == 1 and d["inputs"][0]["name"] == "x", "inputs")
    x = d["inputs"][0]
    check(x["dtype"] == "float32" and x["shape"] == [-1, 3, -1, -1], "x type/shape: %r" % x)
    check(x["dim_names"] == ["p2o.DynamicDimension.0", "", "p2o.DynamicDimension.1",
                             "p2o.DynamicDimension.2"], "x dim names")
    want = onnx_op_counts(CLS)
    got = {o["op_type"]: [o["count"], o["in_subgraphs"]] for o in d["op_counts"]}
    check(got == want, "op counts %r vs onnx %r" % (got, want))
    check(d["nodes"] == sum(c for c, _ in want.values()), "node total")
    check(d["opsets"] == [{"domain": "", "version": 9}], "opsets")
    check(d["initializers"]["count"] == 0, "initializers")


@case
def info_silero_text(tmp):
    out, _ = ei("info", VAD, out=r"^  input +float32 +\[batch,sequence\]$")
    for line in (r"^  sr +int64 +\[\]$", r"^  h +float32 +\[2,batch,64\]$",
                 r"^  c +float32 +\[2,batch,64\]$", r"^  hn +float32 +\[2,batch,64\]$",
                 r"^producer: pytorch 1\.12\.0$", r"^nodes: 2 \(\+248 in 18 subgraphs\)$",
                 r"^  LSTM +8  \(8 in subgraphs\)$", r"^initializers: 69 "):
        check(re.search(line, out, re.M), "line /%s/" % line)


@case
def info_silero_json(tmp):
    out, _ = ei("info", VAD, "--json")
    d = json.loads(out)
    ins = {v["name"]: v for v in d["inputs"]}
    check(list(ins) == ["input", "sr", "h", "c"], "input names %r" % list(ins))
    check(ins["sr"]["dtype"] == "int64" and ins["sr"]["shape"] == [], "sr")
    check(ins["input"]["dim_names"] == ["batch", "sequence"], "audio dims")
    check([v["name"] for v in d["outputs"]] == ["output", "hn", "cn"], "outputs")
    m = onnx.load(VAD)
    check(d["producer_name"] == m.producer_name == "pytorch", "producer")
    check(d["initializers"]["count"] == len(m.graph.initializer), "initializer count")
    want = onnx_op_counts(VAD)
    got = {o["op_type"]: [o["count"], o["in_subgraphs"]] for o in d["op_counts"]}
    check(got == want, "op counts")
    check(len(d["opsets"]) == len(m.opset_import), "opsets")


@case
def info_help(tmp):
    ei("info", "--help", out=r"^usage: edgeinfer info MODEL")


@case
def info_bad_paths(tmp):
    ei("info", os.path.join(tmp, "missing.onnx"), rc=1,
       err=r"^edgeinfer: error: .*missing\.onnx: No such file or directory \[EI_ENOENT\]")
    text = os.path.join(tmp, "notes.onnx")
    with open(text, "w") as f:
        f.write("this is a text file, not a model\n" * 20)
    ei("info", text, rc=1, err=r"notes\.onnx: not an ONNX model .*\[EI_EMODEL\]")
    half = os.path.join(tmp, "half.onnx")
    with open(CLS, "rb") as f:
        data = f.read()
    with open(half, "wb") as f:
        f.write(data[: len(data) // 2])
    ei("info", half, rc=1, err=r"half\.onnx: not an ONNX model .*\[EI_EMODEL\]")
    ei("info", rc=2, err=r"missing MODEL")
    ei("info", CLS, "--bogus", rc=2, err=r"unknown option '--bogus'")
    ei("info", CLS, VAD, rc=2, err=r"expected one MODEL")


@case
def info_ort_refuses(tmp):
    """A well-formed file ONNX Runtime cannot load: described from the file, then exit 1."""
    from onnx import TensorProto, helper
    g = helper.make_graph([helper.make_node("NoSuchOp", ["a"], ["b"], domain="com.example")], "g",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 4])],
                          [helper.make_tensor_value_info("b", TensorProto.FLOAT, ["n", 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.example", 1)])
    m.ir_version = 8
    path = os.path.join(tmp, "custom.onnx")
    onnx.save(m, path)
    out, _ = ei("info", path, rc=1, out=r"^  com\.example:NoSuchOp +1$",
                err=r"^edgeinfer: error: loading the model in ONNX Runtime: .*NoSuchOp")
    check(re.search(r"^  a +float32 +\[n,4\]$", out, re.M), "inputs from the file")
    out, _ = ei("info", "--json", path, rc=1)
    d = json.loads(out)
    check("NoSuchOp" in d["error"] and d["inputs"][0]["dim_names"] == ["n", ""], "json: %r" % d)


# ---- run: good paths ----------------------------------------------------------------------------

def load_npy(path, shape, dtype=np.float32):
    check(os.path.exists(path), "output file %s exists" % path)
    a = np.load(path)
    check(a.shape == shape, "%s: shape %r, expected %r" % (path, a.shape, shape))
    check(a.dtype == dtype, "%s: dtype %s, expected %s" % (path, a.dtype, np.dtype(dtype)))
    return a


@case
def run_cls_random(tmp):
    out_dir = os.path.join(tmp, "out")
    out, _ = ei("run", CLS, "--random", "--seed", 3, *CLS_DIMS, "-o", out_dir,
                out=r"^output softmax_0\.tmp_0: float32 \[1,2\]$")
    check(re.search(r"^input x: float32 \[1,3,48,192\]  from --random$", out, re.M), "input line")
    check(re.search(r"^  min [0-9.e-]+  max [0-9.e-]+  mean 0\.5$", out, re.M), "softmax mean")
    a = load_npy(os.path.join(out_dir, "softmax_0.tmp_0.npy"), (1, 2))
    check(abs(float(a.sum()) - 1.0) < 1e-5, "softmax sums to 1")
    # The same seed gives the same result; --batch sizes the first free dim.
    out_dir2 = os.path.join(tmp, "out2")
    ei("run", CLS, "--random", "--seed", 3, *CLS_DIMS, "-o", out_dir2, "--batch", 2,
       out=r"^output softmax_0\.tmp_0: float32 \[2,2\]$")
    b = load_npy(os.path.join(out_dir2, "softmax_0.tmp_0.npy"), (2, 2))
    check(np.allclose(b.sum(axis=1), 1.0, atol=1e-5), "softmax rows sum to 1")


@case
def run_cls_npy(tmp):
    x = np.random.default_rng(1).random((1, 3, 48, 192), dtype=np.float32)
    np.save(os.path.join(tmp, "x.npy"), x)
    out_dir = os.path.join(tmp, "out")
    ei("run", CLS, "-i", "x=" + os.path.join(tmp, "x.npy"), "-o", out_dir,
       out=r"^input x: float32 \[1,3,48,192\]  from .*x\.npy$")
    a = load_npy(os.path.join(out_dir, "softmax_0.tmp_0.npy"), (1, 2))
    # A single-input model takes -i FILE without NAME=, with the same result.
    out_dir2 = os.path.join(tmp, "out2")
    ei("run", CLS, "-i", os.path.join(tmp, "x.npy"), "-o", out_dir2)
    b = load_npy(os.path.join(out_dir2, "softmax_0.tmp_0.npy"), (1, 2))
    check(np.array_equal(a, b), "same input, same output")
    # A Fortran-order, big-endian copy of the same array is the same input.
    np.save(os.path.join(tmp, "xf.npy"), np.asfortranarray(x.astype(">f4")))
    out_dir3 = os.path.join(tmp, "out3")
    ei("run", CLS, "-i", "x=" + os.path.join(tmp, "xf.npy"), "-o", out_dir3)
    c = load_npy(os.path.join(out_dir3, "softmax_0.tmp_0.npy"), (1, 2))
    check(np.array_equal(a, c), "fortran/big-endian input gives the same output")


@case
def run_cls_pb(tmp):
    x = np.random.default_rng(2).random((1, 3, 48, 100), dtype=np.float32)
    np.save(os.path.join(tmp, "x.npy"), x)
    with open(os.path.join(tmp, "x.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    ei("run", CLS, "-i", "x=" + os.path.join(tmp, "x.npy"), "-o", os.path.join(tmp, "a"))
    ei("run", CLS, "-i", "x=" + os.path.join(tmp, "x.pb"), "-o", os.path.join(tmp, "b"))
    a = load_npy(os.path.join(tmp, "a", "softmax_0.tmp_0.npy"), (1, 2))
    b = load_npy(os.path.join(tmp, "b", "softmax_0.tmp_0.npy"), (1, 2))
    check(np.array_equal(a, b), ".pb and .npy inputs agree")


@case
def run_cls_json(tmp):
    out_dir = os.path.join(tmp, "out")
    out, _ = ei("run", CLS, "--random", *CLS_DIMS, "-o", out_dir, "--json")
    d = json.loads(out)
    check(d["inputs"][0]["name"] == "x" and d["inputs"][0]["shape"] == [1, 3, 48, 192], "input")
    check(d["inputs"][0]["source"] == "random", "input source")
    o = d["outputs"][0]
    check(o["name"] == "softmax_0.tmp_0" and o["shape"] == [1, 2] and o["dtype"] == "float32",
          "output %r" % o)
    a = load_npy(o["file"], (1, 2))
    check(abs(o["mean"] - 0.5) < 1e-6 and abs(o["min"] - float(a.min())) < 1e-6, "stats")
    check(len(o["first"]) == 2 and abs(o["first"][0] - float(a[0, 0])) < 1e-6, "first values")
    check(d["run_ms"] > 0, "run time")


@case
def run_silero_npy(tmp):
    audio = (np.sin(np.arange(512) / 5.0) * 0.3).astype(np.float32)[None]
    np.save(os.path.join(tmp, "audio.npy"), audio)
    np.save(os.path.join(tmp, "sr.npy"), np.array(16000, dtype=np.int64))
    out_dir = os.path.join(tmp, "out")
    out, _ = ei("run", VAD, "-i", "input=" + os.path.join(tmp, "audio.npy"),
                "-i", "sr=" + os.path.join(tmp, "sr.npy"), "--zeros", "-o", out_dir,
                out=r"^output output: float32 \[1,1\]$")
    check(re.search(r"^input h: float32 \[2,1,64\]  from --zeros$", out, re.M), "h generated")
    p = load_npy(os.path.join(out_dir, "output.npy"), (1, 1))
    check(0.0 <= float(p[0, 0]) <= 1.0, "speech probability in [0,1]")
    load_npy(os.path.join(out_dir, "hn.npy"), (2, 1, 64))
    load_npy(os.path.join(out_dir, "cn.npy"), (2, 1, 64))
    # A batch of 2 in the audio file sizes the generated state tensors (symbolic dim 'batch').
    np.save(os.path.join(tmp, "audio2.npy"), np.concatenate([audio, audio]))
    out_dir2 = os.path.join(tmp, "out2")
    ei("run", VAD, "-i", "input=" + os.path.join(tmp, "audio2.npy"), "--random", "-o", out_dir2,
       "--output", "hn", out=r"^input c: float32 \[2,2,64\]  from --random$")
    load_npy(os.path.join(out_dir2, "hn.npy"), (2, 2, 64))
    check(not os.path.exists(os.path.join(out_dir2, "output.npy")), "only --output hn written")


@case
def run_silero_generated(tmp):
    ei("run", VAD, "--zeros", "--dim", "batch=1", "--dim", "sequence=512",
       out=r"^input input: float32 \[1,512\]  from --zeros$")
    out, _ = ei("run", VAD, "--random", "--dim", "batch=1", "--dim", "sequence=512", "--json")
    d = json.loads(out)
    check([o["shape"] for o in d["outputs"]] == [[1, 1], [2, 1, 64], [2, 1, 64]], "shapes")
    check(d["inputs"][1]["name"] == "sr" and d["inputs"][1]["dtype"] == "int64", "sr input")


def make_types_model(path):
    """A tiny Identity model over string, bool, int64 and float16, with awkward output names."""
    from onnx import TensorProto, helper
    specs = [("s", TensorProto.STRING, [2], "str/out"), ("b", TensorProto.BOOL, [3], "bool out"),
             ("i", TensorProto.INT64, ["N"], "int:out"), ("h", TensorProto.FLOAT16, [2, 2], ".half")]
    nodes = [helper.make_node("Identity", [n], [o]) for n, _, _, o in specs]
    ins = [helper.make_tensor_value_info(n, t, shp) for n, t, shp, _ in specs]
    outs = [helper.make_tensor_value_info(o, t, shp) for _, t, shp, o in specs]
    g = helper.make_graph(nodes, "types", ins, outs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


@case
def run_types(tmp):
    model = os.path.join(tmp, "types.onnx")
    make_types_model(model)
    out_dir = os.path.join(tmp, "out")
    out, _ = ei("run", model, "--random", "--dim", "N=4", "-o", out_dir,
                out=r'^output str/out: string \[2\]$')
    check(re.search(r'^  first: "a", "a"$', out, re.M), "strings shown")
    check(re.search(r"^output int:out: int64 \[4\]$", out, re.M), "int output line")
    s = np.load(os.path.join(out_dir, "str_out.npy"))
    check(s.dtype.kind == "U" and s.tolist() == ["a", "a"], "strings saved: %r" % s)
    b = load_npy(os.path.join(out_dir, "bool_out.npy"), (3,), np.bool_)
    i = load_npy(os.path.join(out_dir, "int_out.npy"), (4,), np.int64)
    check(((i >= 0) & (i < 10)).all(), "ints in [0,10)")
    h = load_npy(os.path.join(out_dir, "_half.npy"), (2, 2), np.float16)
    check(((h >= 0) & (h <= 1)).all(), "halves in [0,1]")
    # Inputs from files round-trip exactly, strings included.
    np.save(os.path.join(tmp, "s.npy"), np.array(["h\u00e9llo", ""]))
    np.save(os.path.join(tmp, "b.npy"), np.array([True, False, True]))
    np.save(os.path.join(tmp, "i.npy"), np.array([7, -3], dtype=np.int64))
    np.save(os.path.join(tmp, "h.npy"), np.array([[0.5, -2], [65504, 1e-3]], dtype=np.float16))
    out_dir2 = os.path.join(tmp, "out2")
    out, _ = ei("run", model, *sum([["-i", "%s=%s" % (n, os.path.join(tmp, n + ".npy"))]
                                    for n in "sbih"], []), "-o", out_dir2, "--json")
    d = json.loads(out)
    check(d["outputs"][0]["first"] == ["h\u00e9llo", ""], "string values in JSON")
    check(d["outputs"][1]["first"] == [True, False, True], "bools in JSON")
    check(d["outputs"][2]["first"] == [7, -3], "ints in JSON")
    check(np.load(os.path.join(out_dir2, "str_out.npy")).tolist() == ["h\u00e9llo", ""], "strs")
    check(np.array_equal(np.load(os.path.join(out_dir2, "_half.npy")),
                         np.load(os.path.join(tmp, "h.npy"))), "float16 round trip")
    check(np.array_equal(np.load(os.path.join(out_dir2, "int_out.npy")), [7, -3]), "ints")


@case
def run_help(tmp):
    out, _ = ei("run", "--help", out=r"^usage: edgeinfer run MODEL")
    check("--provider LIST" in out and "--dim NAME=N" in out, "session options in help")


# ---- run: bad paths -----------------------------------------------------------------------------

def write_cls_input(tmp, name, arr):
    path = os.path.join(tmp, name)
    np.save(path, arr)
    return "x=" + path


@case
def run_bad_model(tmp):
    ei("run", os.path.join(tmp, "missing.onnx"), "--random", rc=1,
       err=r"missing\.onnx: No such file or directory \[EI_ENOENT\]")
    text = os.path.join(tmp, "notes.onnx")
    with open(text, "w") as f:
        f.write("not a model\n" * 50)
    ei("run", text, "--random", rc=1, err=r"notes\.onnx: not an ONNX model .*\[EI_EMODEL\]")
    half = os.path.join(tmp, "half.onnx")
    with open(CLS, "rb") as f:
        data = f.read()
    with open(half, "wb") as f:
        f.write(data[: len(data) // 2])
    ei("run", half, "--random", rc=1, err=r"half\.onnx: not an ONNX model .*\[EI_EMODEL\]")


@case
def run_wrong_input_name(tmp):
    np.save(os.path.join(tmp, "a.npy"), np.zeros((1, 512), np.float32))
    ei("run", VAD, "-i", "audio=" + os.path.join(tmp, "a.npy"), "--zeros", rc=1,
       err=r"no input 'audio' \(its inputs: input, sr, h, c\)")
    ei("run", VAD, "-i", os.path.join(tmp, "a.npy"), "--zeros", rc=2,
       err=r"give NAME=FILE, the model has 4 inputs")


@case
def run_wrong_dtype(tmp):
    ei("run", CLS, "-i", write_cls_input(tmp, "x64.npy", np.zeros((1, 3, 48, 64), np.float64)),
       rc=1, err=r"input 'x': expected element type float32, got float64 \[EI_EINVAL\]")
    ei("run", CLS, "-i", write_cls_input(tmp, "xi.npy", np.zeros((1, 3, 48, 64), np.int32)),
       rc=1, err=r"input 'x': expected element type float32, got int32")


@case
def run_wrong_rank(tmp):
    ei("run", CLS, "-i", write_cls_input(tmp, "x3.npy", np.zeros((3, 48, 64), np.float32)),
       rc=1, err=r"input 'x': expected rank 4 .*got rank 3 .*\[EI_EINVAL\]")


@case
def run_wrong_dim(tmp):
    ei("run", CLS, "-i", write_cls_input(tmp, "x4.npy", np.zeros((1, 4, 48, 64), np.float32)),
       rc=1, err=r"input 'x': expected shape \[-1,3,-1,-1\], got \[1,4,48,64\]")


@case
def run_bad_provider(tmp):
    ei("run", CLS, "--random", *CLS_DIMS, "--provider", "bogus", rc=1,
       err=r"unknown execution provider 'bogus'")
    ei("run", CLS, "--random", *CLS_DIMS, "--provider", "cuda!", rc=1,
       err=r"'cuda' is required but .* \[EI_EUNSUPPORTED\]")


@case
def run_bad_npy(tmp):
    good = os.path.join(tmp, "good.npy")
    np.save(good, np.zeros((1, 3, 48, 64), np.float32))
    with open(good, "rb") as f:
        data = f.read()
    cut = os.path.join(tmp, "cut.npy")
    with open(cut, "wb") as f:
        f.write(data[: len(data) - 100])
    ei("run", CLS, "-i", "x=" + cut, rc=1,
       err=r"reading input 'x': .*cut\.npy: truncated: .*\[EI_EFORMAT\]")
    junk = os.path.join(tmp, "junk.npy")
    with open(junk, "wb") as f:
        f.write(b"\x00\x01garbage" * 10)
    ei("run", CLS, "-i", "x=" + junk, rc=1, err=r"junk\.npy: not a \.npy file .*\[EI_EFORMAT\]")


@case
def run_bad_pb(tmp):
    junk = os.path.join(tmp, "junk.pb")
    with open(junk, "wb") as f:
        f.write(b"\xff\xff\xff\xff garbage that is not a TensorProto")
    ei("run", CLS, "-i", "x=" + junk, rc=1, err=r"reading input 'x': .*junk\.pb.*\[EI_EFORMAT\]")


@case
def run_missing_inputs(tmp):
    np.save(os.path.join(tmp, "a.npy"), np.zeros((1, 512), np.float32))
    ei("run", VAD, "-i", "input=" + os.path.join(tmp, "a.npy"), rc=2,
       err=r"inputs 'sr', 'h', 'c' not given: use -i NAME=FILE, or --random / --zeros")
    ei("run", CLS, rc=2, err=r"input 'x' not given")


@case
def run_usage_errors(tmp):
    ei("run", CLS, "--random", "--zeros", rc=2, err=r"--random and --zeros exclude each other")
    ei("run", CLS, "--random", "--threads", "many", rc=2, err=r"--threads: expected")
    ei("run", CLS, "--random", "--dim", "oops", rc=2, err=r"--dim: expected NAME=N")
    ei("run", CLS, "--random", "--opt-level", "max", rc=2, err=r"--opt-level: expected")
    ei("run", "--random", rc=2, err=r"missing MODEL")
    ei("run", CLS, "--frobnicate", rc=2, err=r"unknown option '--frobnicate'")
    ei("run", CLS, "-i", rc=2, err=r"needs a value")
    ei("run", VAD, "--zeros", "--output", "hn", "--output", "hn", rc=2,
       err=r"--output hn given twice")
    ei("run", CLS, "--random", *CLS_DIMS, "--output", "nope", rc=1,
       err=r"no output 'nope' \(its outputs: softmax_0\.tmp_0\)")


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(CASES))
        return 0
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: check.py CASE | --list", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="ei_info_run_")
    try:
        CASES[sys.argv[1]](tmp)
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
