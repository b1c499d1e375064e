#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A model with a custom op served from a repository whose config.pbtxt names the library
(Triton's model_operations { op_library_filename }): a relative path (under the model's folder)
and an absolute one, inference on float and int64 against numpy's arithmetic, and loads that fail
clearly: no library, a missing library, a library without the entry point. Also: a wrong datatype
is reported in KServe's names (FP32, INT64), not edgeinfer's."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
build = os.environ.get("EI_BUILD_DIR", "")
lib = os.path.join(build, "tests", "libei_test_ops.so")
broken = os.path.join(build, "tests", "libei_test_ops_broken.so")
if not os.path.isfile(lib):
    E.skip("the test custom-op library is not built")
root = tempfile.mkdtemp(prefix="ei-repo-")
models = os.path.join(root, "models")
py = os.environ.get("EI_PYTHON", "/usr/bin/python3")
subprocess.run([py, os.path.join(E.EI_SOURCE_DIR, "tests", "customop", "make_model.py"), models],
               check=True)
repo = os.path.join(root, "repo")


def model(name, config, copy_lib=False):
    os.makedirs(os.path.join(repo, name, "1"))
    shutil.copy(os.path.join(models, "scale_shift.onnx"), os.path.join(repo, name, "1", "model.onnx"))
    if copy_lib:
        shutil.copy(lib, os.path.join(repo, name, "libei_test_ops.so"))
    if config is not None:
        with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
            f.write(config)


model("rel", 'model_operations { op_library_filename: "libei_test_ops.so" }\n', copy_lib=True)
model("abs", 'model_operations { op_library_filename: ["%s"] }\n' % lib)
model("nolib", None)
model("missing", 'model_operations { op_library_filename: "missing.so" }\n')
model("broken", 'model_operations { op_library_filename: "%s" }\n' % broken)

s = E.Server(repo, "--model-control-mode", "explicit")
c = E.Checker()
try:
    for name in ("rel", "abs"):
        st, _, body = s.request("POST", "/v2/repository/models/%s/load" % name, b"")
        c.eq("load %s" % name, st, 200)
        req = {"inputs": [
            {"name": "xf", "datatype": "FP32", "shape": [3], "data": [0.5, -1.25, 4.0]},
            {"name": "xi", "datatype": "INT64", "shape": [3], "data": [7, -3, 2**40]}]}
        st, doc = s.post_json("/v2/models/%s/infer" % name, req)
        c.eq("%s infer status" % name, st, 200)
        out = {o["name"]: o for o in doc.get("outputs", [])} if st == 200 else {}
        c.eq("%s yf = xf * 3 - 2" % name, out.get("yf", {}).get("data"), [-0.5, -5.75, 10.0])
        c.eq("%s yi = xi * 3 - 2" % name, out.get("yi", {}).get("data"), [19, -11, 3 * 2**40 - 2])
    bad = {"inputs": [{"name": "xf", "datatype": "INT64", "shape": [1], "data": [1]},
                      {"name": "xi", "datatype": "INT64", "shape": [1], "data": [1]}]}
    st, doc = s.post_json("/v2/models/rel/infer", bad)
    c.eq("wrong datatype: 400", st, 400)
    c.eq("wrong datatype in KServe's names", doc.get("error"),
         "input 'xf': expected datatype FP32, got INT64")
    for name, want in (("nolib", "not a registered function/op"),
                       ("missing", "missing.so: No such file or directory"),
                       ("broken", "RegisterCustomOps")):
        st, _, body = s.request("POST", "/v2/repository/models/%s/load" % name, b"")
        text = body.decode("utf-8", "replace")
        c.true("load %s fails" % name, st != 200, "(status %d)" % st)
        c.true("load %s says why" % name, want in text, text)
        c.true("load %s: no ORT internals" % name, "onnxruntime_src" not in text, text)
    c.eq("rel still serving", s.request("GET", "/v2/models/rel/ready")[0], 200)
finally:
    s.stop()
shutil.rmtree(root, ignore_errors=True)
sys.exit(c.done(s))
