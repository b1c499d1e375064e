#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""REST details that Triton's client library relies on: BYTES elements holding \\u0000 are read as
the server writes them (and no error names a jansson flag); a shared-memory output that says
"binary_data": false is accepted (only true contradicts it); Triton's wording for an unknown model
("Request for unknown model") and a failed load ("failed to load", a 400 with the reason when the
config is wrong); model load with a `config` JSON override and `file:<version>/<name>` base64
overrides (and their errors); an input's `format` kept as written; a config warning logged once;
a Transfer-Encoding other than chunked alone gets one 400 at once (libmicrohttpd 0.9.75 would read
the body until the client closes); query arguments up to the head limit are served, over it 431."""
import base64
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
from multiprocessing import shared_memory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
# add: a warning-worthy field and an input format, to see both reported once and kept.
with open(os.path.join(repo, "add", "config.pbtxt"), "w") as f:
    f.write('bogus_field: 1\ninput [ { name: "a" data_type: TYPE_FP32 dims: [ -1, 3 ] '
            'format: FORMAT_NHWC },\n        { name: "b" data_type: TYPE_FP32 dims: [ 3 ] } ]\n')
ADD_ONNX = os.path.join(E.CORE_DATA, "add.onnx")
# rs: only the output is reshaped, so a lone request is split without being gathered.
os.makedirs(os.path.join(repo, "rs", "1"))
shutil.copy(ADD_ONNX, os.path.join(repo, "rs", "1", "model.onnx"))
with open(os.path.join(repo, "rs", "config.pbtxt"), "w") as f:
    f.write('max_batch_size: 0\ninput [ { name: "a" data_type: TYPE_FP32 dims: [ 1, 3 ] },\n'
            '        { name: "b" data_type: TYPE_FP32 dims: [ 3 ] } ]\n'
            'output [ { name: "y" data_type: TYPE_FP32 dims: [ 3 ] reshape { shape: [ 1, 3 ] } } ]\n')
c = E.Checker()
tag = "ei_rest_%d" % os.getpid()
shm = shared_memory.SharedMemory(name=tag, create=True, size=4096)


def err_of(body):
    try:
        return json.loads(body).get("error", "")
    except ValueError:
        return ""


def add_inputs():
    return [{"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
            {"name": "b", "datatype": "FP32", "shape": [3], "data": [10, 20, 30]}]


def ident_inputs(strs):
    """The identity model's seven inputs, the BYTES one holding `strs` (shape [3])."""
    return [{"name": "in_s", "datatype": "BYTES", "shape": [3], "data": strs}] + [
        {"name": n, "datatype": t, "shape": [3], "data": [v] * 3}
        for n, t, v in (("in_bo", "BOOL", True), ("in_i64", "INT64", 1), ("in_f16", "FP16", 1.0),
                        ("in_bf16", "BF16", 1.0), ("in_u8", "UINT8", 1), ("in_f64", "FP64", 1.0))]


def load(s, name, params=None):
    body = json.dumps({"parameters": params}).encode() if params is not None else b""
    st, _, rb = s.request("POST", "/v2/repository/models/%s/load" % name, body)
    return st, err_of(rb)


s = None
try:
    s = E.Server(repo, "--model-control-mode", "explicit", "--load-model", "*",
                 "--allow-client-shm")
    c.eq("config warning logged once", s.stderr().count("unknown field 'bogus_field'"), 1)
    st, cfg = s.get_json("/v2/models/add/config")
    c.eq("input format kept", [i.get("format") for i in cfg.get("input", [])],
         ["FORMAT_NHWC", "FORMAT_NONE"])

    st, doc = s.post_json("/v2/models/rs/infer", {"inputs": add_inputs()})
    c.eq("an output reshape alone", (st, doc.get("outputs", [{}])[0].get("shape"),
                                     doc.get("outputs", [{}])[0].get("data")),
         (200, [3], [11, 22, 33]))

    # BYTES with NUL characters, read back as written.
    strs = ["a\u0000b", "\u0000", "plain"]
    st, doc = s.post_json("/v2/models/ident/infer", {
        "inputs": ident_inputs(strs), "outputs": [{"name": "out_s"}]})
    c.eq("BYTES with \\u0000: 200", st, 200)
    out = doc["outputs"][0]["data"] if st == 200 else None
    c.eq("BYTES with \\u0000 come back as sent", out, strs)
    if st == 200:
        st2, doc2 = s.post_json("/v2/models/ident/infer", {
            "inputs": ident_inputs(out), "outputs": [{"name": "out_s"}]})
        c.eq("the reply's strings are accepted again", (st2, doc2["outputs"][0]["data"]),
             (200, strs))
    st, doc = s.post_json("/v2/models/add/infer", {"inputs": [
        {"name": "a\u0000x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]})
    c.eq("a NUL in an input name -> 400", st, 400)
    c.true("... named, no library flag", "NUL" in doc["error"] and "JSON_" not in doc["error"],
           doc)
    st, _, rb = s.request("POST", "/v2/systemsharedmemory/region/r0/register",
                          b'{"key": "/x\\u0000y", "offset": 0, "byte_size": 16}')
    c.eq("a NUL where none is allowed -> 400", st, 400)
    c.true("... without the jansson flag name", "JSON_" not in err_of(rb), rb)

    # A shared-memory output with binary_data false (Triton's client always sends the key).
    st, _, _ = s.request("POST", "/v2/systemsharedmemory/region/out/register",
                         {"key": "/" + tag, "offset": 0, "byte_size": 4096})
    c.eq("register the output region", st, 200)
    req = {"inputs": add_inputs(), "outputs": [{"name": "y", "parameters": {
        "binary_data": False, "shared_memory_region": "out", "shared_memory_byte_size": 12}}]}
    st, doc = s.post_json("/v2/models/add/infer", req)
    c.eq("shm output + binary_data false -> 200", st, 200)
    c.eq("... written to the region", list(struct.unpack("<3f", bytes(shm.buf[0:12]))),
         [11.0, 22.0, 33.0])
    req["outputs"][0]["parameters"]["binary_data"] = True
    st, doc = s.post_json("/v2/models/add/infer", req)
    c.eq("shm output + binary_data true -> 400", st, 400)

    # Triton's wording for unknown models.
    st, doc = s.get_json("/v2/models/nope")
    c.eq("unknown model: 404", st, 404)
    c.true("unknown model: Triton's wording",
           doc["error"].startswith("Request for unknown model: 'nope'"), doc)
    st, doc = s.post_json("/v2/models/nope/infer", {"inputs": add_inputs()})
    c.true("infer on an unknown model: Triton's wording",
           st == 404 and doc["error"].startswith("Request for unknown model"), (st, doc))
    st, doc = s.get_json("/v2/models/add/versions/9")
    c.true("unknown version: Triton's wording", st == 404 and doc["error"].startswith(
        "Request for unknown model: 'add' version 9"), (st, doc))

    # Load with a config override; a plain load returns to config.pbtxt.
    over = {"max_batch_size": 0, "parameters": {"note": {"string_value": "from-override"}},
            "input": [{"name": "a", "data_type": "TYPE_FP32", "dims": ["-1", 3],
                       "format": "FORMAT_NCHW"},
                      {"name": "b", "data_type": "TYPE_FP32", "dims": [3]}]}
    c.eq("load with config override", load(s, "add", {"config": json.dumps(over)}), (200, ""))
    st, cfg = s.get_json("/v2/models/add/config")
    c.eq("override in effect", (cfg.get("parameters", {}).get("note"),
                                cfg["input"][0]["format"]),
         ({"string_value": "from-override"}, "FORMAT_NCHW"))
    st, doc = s.post_json("/v2/models/add/infer", {"inputs": add_inputs()})
    c.eq("override model answers", (st, doc.get("outputs", [{}])[0].get("data")),
         (200, [11, 22, 33]))
    before = s.stderr().count("WARN")
    c.eq("the config read back from GET loads as an override", load(s, "add", {
        "config": json.dumps(cfg)}), (200, ""))
    c.eq("... without warnings", s.stderr().count("WARN"), before)
    st, err = load(s, "add", {"config": '{"max_batch_size": "many"}'})
    c.eq("bad override JSON value -> 400", st, 400)
    c.true("... 'failed to load' and the field", err.startswith("failed to load 'add'") and
           "max_batch_size" in err, err)
    st, err = load(s, "add", {"config": '{"input": [{"name": "zzz", "data_type": "TYPE_FP32", '
                                        '"dims": [3]}]}'})
    c.eq("override failing validation -> 400", st, 400)
    c.true("... with the reason", "failed to load 'add'" in err and "'zzz'" in err, err)
    st, err = load(s, "add", {"config": "{not json"})
    c.eq("unparsable override -> 400", st, 400)
    c.true("... says so", "config JSON" in err, err)
    st, cfg = s.get_json("/v2/models/add/config")
    c.eq("after failed loads the override model still serves",
         (s.post_json("/v2/models/add/infer", {"inputs": add_inputs()})[0],
          cfg.get("parameters", {}).get("note")), (200, {"string_value": "from-override"}))
    c.eq("plain load", load(s, "add"), (200, ""))
    st, cfg = s.get_json("/v2/models/add/config")
    c.eq("plain load goes back to config.pbtxt", "note" in cfg.get("parameters", {}), False)

    # File overrides: a model that is not in the repository at all.
    b64 = base64.b64encode(open(ADD_ONNX, "rb").read()).decode()
    c.eq("load a new model from file overrides",
         load(s, "fresh", {"config": '{"max_batch_size": 0}', "file:1/model.onnx": b64}),
         (200, ""))
    st, doc = s.post_json("/v2/models/fresh/infer", {"inputs": add_inputs()})
    c.eq("the new model answers", (st, doc.get("outputs", [{}])[0].get("data")),
         (200, [11, 22, 33]))
    for what, params, needle in [
            ("files without config", {"file:1/model.onnx": b64}, "need the 'config' parameter"),
            ("path escaping the model", {"config": "{}", "file:1/../../x.onnx": b64}, "'..'"),
            ("path without a version", {"config": "{}", "file:model.onnx": b64}, "<version>"),
            ("bad base64", {"config": "{}", "file:1/model.onnx": "!!!"}, "base64"),
            ("config not a string", {"config": {"max_batch_size": 0}}, "JSON string")]:
        st, err = load(s, "fresh2", params)
        c.eq("file override error: %s -> 400" % what, st, 400)
        c.true("... %s: named" % what, err.startswith("failed to load 'fresh2'") and needle in err,
               err)
    st, err = load(s, "fresh", {"config": '{"max_batch_size": 0}',
                                "file:1/model.onnx": base64.b64encode(b"not onnx").decode()})
    c.eq("a corrupt model file -> 400", st, 400)
    c.true("... 'failed to load'", err.startswith("failed to load 'fresh'"), err)
    c.eq("the previous files keep serving",
         s.post_json("/v2/models/fresh/infer", {"inputs": add_inputs()})[0], 200)
    c.eq("unload the file-override model",
         s.request("POST", "/v2/repository/models/fresh/unload", b"")[0], 200)

    # Transfer codings that cannot frame a request body: one clean 400 at once, connection closed.
    def raw(data):
        with socket.create_connection(("127.0.0.1", s.port), timeout=60) as k:
            k.sendall(data)
            out = b""
            while True:
                b = k.recv(65536)
                if not b:
                    return out
                out += b
    for te in ("gzip", "identity", "chunked, gzip", "deflate, chunked2"):
        out = raw(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: localhost\r\n"
                  b"Transfer-Encoding: " + te.encode() + b"\r\n\r\n{}")
        c.true("Transfer-Encoding %r: one 400, then closed" % te,
               out.startswith(b"HTTP/1.1 400 ") and out.count(b"HTTP/1.1 ") == 1 and
               b"cannot frame a request body" in out, out[:300])
    out = raw(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: localhost\r\n"
              b"Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n0\r\n\r\n")
    c.true("Transfer-Encoding 'Chunked' still frames a body (an empty one: JSON error)",
           out.startswith(b"HTTP/1.1 400 ") and b"request JSON" in out, out[:300])
    # Query arguments up to the head limit are served; over it, one 431 (libmicrohttpd's pool
    # used to run out near 1,000 and hang the connection).
    for n, want in ((1000, b"HTTP/1.1 200 "), (3000, b"HTTP/1.1 431 ")):
        q = "&".join("p%d=%d" % (i, i) for i in range(n)).encode()
        out = raw(b"GET /v2/health/live?" + q + b" HTTP/1.1\r\nHost: localhost\r\n"
                  b"Connection: close\r\n\r\n")
        c.true("%d query arguments: %s" % (n, want.decode().strip()), out.startswith(want), out[:200])
    c.eq("SIGTERM exit 0", s.stop(), 0)
finally:
    rc = c.done(s)
    if s is not None:
        s.close()
    shm.close()
    shm.unlink()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
