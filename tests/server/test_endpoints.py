#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every KServe v2 endpoint of `edgeinfer serve`, JSON and binary, the classification extension,
the error statuses (400/404/405/413/431/501/503), metrics, logs, and a few curl calls."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"))
has_cls = os.path.isdir(os.path.join(repo, "cls"))
s = E.Server(repo, "--max-body-bytes", "1000000")
c = E.Checker()
try:
    # Health and server metadata.
    st, doc = s.get_json("/v2")
    c.eq("GET /v2", st, 200)
    c.eq("server name", doc["name"], "edgeinfer")
    for ext in ("binary_tensor_data", "classification", "model_repository", "statistics"):
        c.true("extension " + ext, ext in doc["extensions"])
    c.eq("live", s.request("GET", "/v2/health/live")[0], 200)
    c.eq("ready", s.request("GET", "/v2/health/ready")[0], 200)
    st, h, _ = s.request("POST", "/v2/health/live")
    c.eq("POST live -> 405", st, 405)
    c.true("405 has Allow", "GET" in h.get("Allow", ""), h)

    # Model metadata, versions, ready, config.
    st, doc = s.get_json("/v2/models/add")
    c.eq("metadata add", st, 200)
    c.eq("metadata platform", doc["platform"], "onnxruntime_onnx")
    c.eq("metadata versions", doc["versions"], ["1"])
    c.eq("metadata inputs", [(i["name"], i["datatype"], i["shape"]) for i in doc["inputs"]],
         [("a", "FP32", [-1, 3]), ("b", "FP32", [3])])
    c.eq("metadata v1", s.get_json("/v2/models/add/versions/1")[0], 200)
    c.eq("metadata unknown version -> 404", s.get_json("/v2/models/add/versions/9")[0], 404)
    st, doc = s.get_json("/v2/models/add/versions/x")
    c.eq("metadata bad version -> 400", st, 400)
    st, doc = s.get_json("/v2/models/nope")
    c.eq("unknown model -> 404", st, 404)
    c.true("404 body names the model", "nope" in doc["error"], doc)
    c.eq("model ready", s.request("GET", "/v2/models/add/ready")[0], 200)
    c.eq("model ready v1", s.request("GET", "/v2/models/add/versions/1/ready")[0], 200)
    c.eq("unknown model ready -> 404", s.request("GET", "/v2/models/nope/ready")[0], 404)
    st, doc = s.get_json("/v2/models/add/config")
    c.eq("config", st, 200)
    c.eq("config name", doc.get("name"), "add")
    c.true("config has inputs", len(doc.get("input", [])) == 2, doc)
    c.eq("unknown endpoint -> 404", s.request("GET", "/v2/models/add/bogus")[0], 404)
    c.eq("unknown root -> 404", s.request("GET", "/v1/models")[0], 404)

    # Inference, JSON: flat and nested data, id echoed, output selection.
    req = {"id": "abc", "inputs": [
        {"name": "a", "datatype": "FP32", "shape": [2, 3], "data": [[1, 2, 3], [4, 5, 6]]},
        {"name": "b", "datatype": "FP32", "shape": [3], "data": [0.5, 0.25, 0.125]}],
        "outputs": [{"name": "y"}]}
    st, doc = s.post_json("/v2/models/add/infer", req)
    c.eq("infer add", st, 200)
    c.eq("infer id echoed", doc.get("id"), "abc")
    c.eq("infer model_version", doc.get("model_version"), "1")
    out = doc["outputs"][0]
    c.eq("infer y", (out["name"], out["datatype"], out["shape"], out["data"]),
         ("y", "FP32", [2, 3], [1.5, 2.25, 3.125, 4.5, 5.25, 6.125]))
    st, doc = s.post_json("/v2/models/add/versions/1/infer", req)
    c.eq("infer with version", st, 200)
    st, h, _ = s.request("GET", "/v2/models/add/infer")
    c.eq("GET infer -> 405", st, 405)
    c.true("405 Allow POST", h.get("Allow") == "POST", h)

    # Every datatype through the identity model, in JSON (FP16/BF16 too: Triton refuses those).
    ident = {"inputs": [
        {"name": "in_s", "datatype": "BYTES", "shape": [2], "data": ["hello", "w\u00f6rld"]},
        {"name": "in_bo", "datatype": "BOOL", "shape": [2], "data": [True, False]},
        {"name": "in_i64", "datatype": "INT64", "shape": [2], "data": [-9007199254740993, 7]},
        {"name": "in_f16", "datatype": "FP16", "shape": [2], "data": [1.5, -0.25]},
        {"name": "in_bf16", "datatype": "BF16", "shape": [2], "data": [2.0, -3.0]},
        {"name": "in_u8", "datatype": "UINT8", "shape": [2], "data": [[0], [255]]},
        {"name": "in_f64", "datatype": "FP64", "shape": [2], "data": [0.1, 1e300]}]}
    st, doc = s.post_json("/v2/models/ident/infer", ident)
    c.eq("infer ident (every dtype) JSON", st, 200)
    if st == 200:
        got = {o["name"]: (o["datatype"], o["shape"], o["data"]) for o in doc["outputs"]}
        c.eq("BYTES out", got["out_s"], ("BYTES", [2], ["hello", "w\u00f6rld"]))
        c.eq("BOOL out", got["out_bo"], ("BOOL", [2], [True, False]))
        c.eq("INT64 out", got["out_i64"], ("INT64", [2], [-9007199254740993, 7]))
        c.eq("FP16 out", got["out_f16"], ("FP16", [2], [1.5, -0.25]))
        c.eq("BF16 out", got["out_bf16"], ("BF16", [2], [2, -3]))
        c.eq("UINT8 out", got["out_u8"], ("UINT8", [2], [0, 255]))
        c.eq("FP64 out", got["out_f64"], ("FP64", [2], [0.1, 1e300]))

    # Binary tensor extension, both ways, with a BYTES input and output.
    hdr = {"inputs": [
        {"name": "in_s", "datatype": "BYTES", "shape": [2], "parameters": {"binary_data_size": 13}},
        {"name": "in_bo", "datatype": "BOOL", "shape": [2], "data": [True, True]},
        {"name": "in_i64", "datatype": "INT64", "shape": [2], "parameters": {"binary_data_size": 16}},
        {"name": "in_f16", "datatype": "FP16", "shape": [2], "parameters": {"binary_data_size": 4}},
        {"name": "in_bf16", "datatype": "BF16", "shape": [2], "data": [1, 2]},
        {"name": "in_u8", "datatype": "UINT8", "shape": [2], "parameters": {"binary_data_size": 2}},
        {"name": "in_f64", "datatype": "FP64", "shape": [2], "data": [2.5, 3]}],
        "outputs": [{"name": "out_s", "parameters": {"binary_data": True}},
                    {"name": "out_i64", "parameters": {"binary_data": True}},
                    {"name": "out_f16", "parameters": {"binary_data": True}},
                    {"name": "out_u8"}]}
    body, hl = E.binary_infer_body(hdr, [E.bytes_elems(b"abc", b"\x00\xff"),
                                         struct.pack("<2q", -42, 1 << 40),
                                         struct.pack("<2e", 0.5, -2), bytes([9, 8])])
    st, h, rb = s.request("POST", "/v2/models/ident/infer", body,
                          {"Inference-Header-Content-Length": str(hl),
                           "Content-Type": "application/octet-stream"})
    c.eq("binary infer", st, 200)
    if st == 200:
        doc, blobs = E.parse_binary_response(h, rb)
        c.eq("binary response content type", h.get("Content-Type"), "application/octet-stream")
        c.eq("only the requested outputs", [o["name"] for o in doc["outputs"]],
             ["out_s", "out_i64", "out_f16", "out_u8"])
        c.eq("binary BYTES out", blobs.get("out_s"), E.bytes_elems(b"abc", b"\x00\xff"))
        c.eq("binary INT64 out", blobs.get("out_i64"), struct.pack("<2q", -42, 1 << 40))
        c.eq("binary FP16 out", blobs.get("out_f16"), struct.pack("<2e", 0.5, -2))
        c.eq("JSON UINT8 out among binary", doc["outputs"][3].get("data"), [9, 8])
    # binary_data_output at request level.
    req2 = dict(req)
    req2["parameters"] = {"binary_data_output": True}
    del req2["outputs"]
    st, h, rb = s.request("POST", "/v2/models/add/infer", json.dumps(req2).encode())
    doc, blobs = E.parse_binary_response(h, rb)
    c.eq("binary_data_output", struct.unpack("<6f", blobs["y"]),
         (1.5, 2.25, 3.125, 4.5, 5.25, 6.125))

    if has_cls:
        x = struct.pack("<%df" % (3 * 48 * 192), *([0.5] * (3 * 48 * 192)))
        # Raw binary form: the body is the single input, batch 1, outputs binary.
        st, h, rb = s.request("POST", "/v2/models/cls/infer", x,
                              {"Inference-Header-Content-Length": "0"})
        c.eq("raw binary infer", st, 200)
        if st == 200:
            doc, blobs = E.parse_binary_response(h, rb)
            probs = struct.unpack("<2f", blobs["softmax_0.tmp_0"])
            c.true("raw output is a distribution", abs(sum(probs) - 1) < 1e-3, probs)
        # Classification extension with the config's labels.
        hdr = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 3, 48, 192],
                           "parameters": {"binary_data_size": 2 * len(x)}}],
               "outputs": [{"name": "softmax_0.tmp_0", "parameters": {"classification": 2}}]}
        body, hl = E.binary_infer_body(hdr, [x, x])
        st, h, rb = s.request("POST", "/v2/models/cls/infer", body,
                              {"Inference-Header-Content-Length": str(hl)})
        c.eq("classification", st, 200)
        if st == 200:
            o = json.loads(rb)["outputs"][0]
            c.eq("classification shape/type", (o["datatype"], o["shape"]), ("BYTES", [2, 2]))
            parts = [e.split(":") for e in o["data"]]
            c.true("classification 'score:index:label'",
                   all(len(p) == 3 and p[2] == ["0", "180"][int(p[1])] for p in parts), o["data"])
            c.true("classification sorted", float(parts[0][0]) >= float(parts[1][0]), parts)
        # A request timeout (µs) shorter than the batcher's queue delay: 504 from the queue.
        hdr = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 48, 192],
                           "parameters": {"binary_data_size": len(x)}}],
               "parameters": {"timeout": 1}}
        body, hl = E.binary_infer_body(hdr, [x])
        st, h, rb = s.request("POST", "/v2/models/cls/infer", body,
                              {"Inference-Header-Content-Length": str(hl)})
        c.eq("request timeout in the queue -> 504", st, 504)
        # POST an image to /classify: decoded, preprocessed with the config's preset, batched,
        # top-k JSON with the config's labels.
        img = E.png(120, 40, (200, 30, 30))
        st, h, rb = s.request("POST", "/v2/models/cls/classify", img,
                              {"Content-Type": "image/png"})
        c.eq("classify PNG", st, 200)
        if st == 200:
            doc = json.loads(rb)
            c.eq("classify image size", doc.get("image"), {"width": 120, "height": 40})
            c.eq("classify top_k from config", len(doc["top"]), 2)
            c.true("classify labels", {t["label"] for t in doc["top"]} == {"0", "180"}, doc)
            c.true("classify scores sum to 1",
                   abs(sum(t["score"] for t in doc["top"]) - 1) < 1e-3, doc)
        st, h, rb = s.request("POST", "/v2/models/cls/classify?top_k=1", img,
                              {"Content-Type": "image/png"})
        c.eq("classify ?top_k=1", (st, len(json.loads(rb).get("top", []))), (200, 1))
        try:
            import io
            from PIL import Image
            for fmt, ctype in (("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
                buf = io.BytesIO()
                Image.new("RGB", (96, 32), (10, 200, 90)).save(buf, fmt)
                st, h, rb = s.request("POST", "/v2/models/cls/classify", buf.getvalue(),
                                      {"Content-Type": ctype})
                c.eq("classify " + fmt, st, 200)
        except ImportError:
            print("(PIL missing: JPEG/WebP classify not checked)")
        bad_cls = [("garbage image", b"not an image", "image/png", 400),
                   ("empty image", b"", "image/jpeg", 400),
                   ("truncated PNG", img[:40], "image/png", 400),
                   ("non-image content type", img, "text/plain", 415)]
        for what, body, ctype, want in bad_cls:
            st, h, rb = s.request("POST", "/v2/models/cls/classify", body, {"Content-Type": ctype})
            c.eq("classify " + what, st, want)
        c.eq("classify on a non-image model -> 400",
             s.request("POST", "/v2/models/add/classify", img, {"Content-Type": "image/png"})[0],
             400)
        c.eq("classify bad top_k -> 400",
             s.request("POST", "/v2/models/cls/classify?top_k=0", img,
                       {"Content-Type": "image/png"})[0], 400)
        st, h, rb = s.request("POST", "/v2/models/add/infer", x,
                              {"Inference-Header-Content-Length": "0"})
        c.eq("raw form on a 2-input model -> 400", st, 400)

    # Errors: 400 with a message naming what was wrong.
    def bad(what, body, want, needle=None, path="/v2/models/add/infer", headers=None):
        st, h, rb = s.request("POST", path, body, headers)
        c.eq(what + " -> %d" % want, st, want)
        try:
            msg = json.loads(rb).get("error", "")
        except ValueError:
            msg = ""
        c.true(what + ": {\"error\": ...} body", bool(msg), rb[:200])
        if needle:
            c.true(what + ": message names '%s'" % needle, needle in msg, msg)

    good_b = {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}
    bad("malformed JSON", b"{\"inputs\": [", 400, "JSON")
    bad("wrong element count", {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2]}, good_b]}, 400, "a")
    bad("wrong shape", {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}, good_b]}, 400, "a")
    bad("wrong datatype", {"inputs": [
        {"name": "a", "datatype": "INT32", "shape": [1, 3], "data": [1, 2, 3]}, good_b]}, 400, "a")
    bad("unknown datatype", {"inputs": [
        {"name": "a", "datatype": "FLOAT", "shape": [1, 3], "data": [1, 2, 3]}, good_b]}, 400,
        "FLOAT")
    bad("unknown input", {"inputs": [
        {"name": "zz", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}, good_b]}, 400, "zz")
    bad("missing input", {"inputs": [good_b]}, 400)
    bad("unknown output", {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}, good_b],
        "outputs": [{"name": "nope"}]}, 400, "nope")
    hb = (b'{"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],'
          b'"parameters":{"binary_data_size":8}}]}')
    bad("binary size mismatch", hb + b"12345678", 400, "binary_data_size",
        headers={"Inference-Header-Content-Length": str(len(hb))})
    bad("bad Inference-Header-Content-Length", b"{}", 400, "Inference-Header-Content-Length",
        headers={"Inference-Header-Content-Length": "abc"})
    bad("unknown model", {"inputs": [good_b]}, 404, "nope", path="/v2/models/nope/infer")
    bad("unknown version", {"inputs": [good_b]}, 404, None, path="/v2/models/add/versions/7/infer")
    # An announced body over --max-body-bytes is refused before it is read (and the connection
    # closed), so send only the headers and read the answer.
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sock.sendall(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000"
                 b"\r\n\r\n" + b"[1," * 1000)
    resp = sock.recv(65536)
    sock.close()
    c.true("body over --max-body-bytes -> 413", resp.startswith(b"HTTP/1.1 413"), resp[:80])
    c.true("413 body names the limit", b"limit of 1000000 bytes" in resp, resp[-200:])
    bad("repository load in mode none", b"", 501, None, path="/v2/repository/models/add/load")

    # Header limit: a 40 KiB header is refused (431) or the connection is cut, never served.
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sock.sendall(b"GET /v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    resp = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                break
            resp += d
            if b"\r\n\r\n" in resp:
                break
    except OSError:
        pass
    sock.close()
    c.true("oversized header refused", not resp.startswith(b"HTTP/1.1 200"), resp[:80])

    # Repository index and stats.
    st, doc = s.post_json("/v2/repository/index", {})
    c.eq("repository index", st, 200)
    c.true("index lists add READY", {"name": "add", "version": "1", "state": "READY",
                                     "reason": ""} in doc, doc)
    st, doc = s.post_json("/v2/repository/index", {"ready": True})
    c.eq("index ready-only", st, 200)
    c.eq("GET index -> 405", s.request("GET", "/v2/repository/index")[0], 405)
    st, doc = s.get_json("/v2/models/add/stats")
    c.eq("stats add", st, 200)
    ms = doc["model_stats"][0]
    c.eq("stats name/version", (ms["name"], ms["version"]), ("add", "1"))
    c.true("stats success count", ms["inference_stats"]["success"]["count"] >= 3, ms)
    c.true("stats has every section", all(k in ms["inference_stats"] for k in (
        "success", "fail", "queue", "compute_input", "compute_infer", "compute_output")), ms)
    c.true("stats execution_count", ms["execution_count"] >= 3, ms)
    c.eq("stats v1", s.get_json("/v2/models/add/versions/1/stats")[0], 200)
    c.eq("stats unknown -> 404", s.get_json("/v2/models/nope/stats")[0], 404)
    st, doc = s.get_json("/v2/models/stats")
    c.true("stats all models", {m["name"] for m in doc["model_stats"]} >= {"add", "ident"}, doc)

    # Metrics.
    m = s.metrics()
    c.true("nv_inference_request_success add",
           (E.metric(m, "nv_inference_request_success", "add", "1") or 0) >= 3)
    c.true("nv_inference_count add", (E.metric(m, "nv_inference_count", "add", "1") or 0) >= 3)
    c.true("nv_inference_request_failure counts the rejected requests",
           (E.metric(m, "nv_inference_request_failure", "add", "1") or 0) >= 8)
    c.true("nv_inference_exec_count present",
           E.metric(m, "nv_inference_exec_count", "add", "1") is not None)
    for name in ("nv_inference_request_failure", "nv_inference_pending_request_count",
                 "nv_inference_request_duration_us", "nv_inference_queue_duration_us",
                 "nv_inference_compute_input_duration_us", "nv_inference_compute_infer_duration_us",
                 "nv_inference_compute_output_duration_us", "ei_request_duration_seconds_count"):
        c.true("metric " + name, E.metric(m, name, "add", "1") is not None)
    c.true("process_resident_memory_bytes", (E.metric(m, "process_resident_memory_bytes") or 0) > 0)
    c.true("histogram +Inf bucket",
           'ei_request_duration_seconds_bucket{model="add",version="1",le="+Inf"}' in m)
    c.eq("metrics POST -> 405", s.request("POST", "/metrics", b"", port=s.metrics_port)[0], 405)
    c.eq("metrics other path -> 404", s.request("GET", "/x", port=s.metrics_port)[0], 404)

    # curl, as a user would.
    if shutil.which("curl"):
        base = "http://127.0.0.1:%d" % s.port
        r = subprocess.run(["curl", "-sf", base + "/v2/health/ready"])
        c.eq("curl ready", r.returncode, 0)
        r = subprocess.run(["curl", "-sf", "-H", "Content-Type: application/json", "-d",
                            json.dumps(req), base + "/v2/models/add/infer"],
                           capture_output=True, text=True)
        c.eq("curl infer", r.returncode, 0)
        c.true("curl infer output", '"model_name":"add"' in r.stdout, r.stdout)
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", "{",
                            base + "/v2/models/add/infer"], capture_output=True, text=True)
        c.eq("curl bad JSON status", r.stdout, "400")

    # Access log: one line per request with req= and model=name@version.
    rc = s.stop()
    c.eq("SIGTERM exit code", rc, 0)
    log = s.stdout()
    lines = [l for l in log.splitlines() if "path=/v2/models/add/infer" in l]
    c.true("access log lines", len(lines) >= 3, log[-500:])
    c.true("access log has req and model@version",
           any("req=" in l and "model=add@1" in l and "status=200" in l for l in lines), lines[:3])
    c.true("error line for 404 names the model",
           any("status=404" in l and "model=nope" in l for l in log.splitlines()))
finally:
    rc = c.done(s)
    s.close()

# JSON log format, explicit model control.
s = E.Server(repo, "--log-format", "json", "--model-control-mode", "explicit",
             "--load-model", "add", "--metrics-port", "-1")
c2 = E.Checker()
try:
    c2.eq("explicit: add ready", s.request("GET", "/v2/models/add/ready")[0], 200)
    st, doc = s.post_json("/v2/repository/index", {})
    names = {d["name"] for d in doc}
    c2.true("explicit: index lists the unloaded models too", "ident" in names, doc)
    c2.true("explicit: ident not ready", s.request("GET", "/v2/models/ident/ready")[0] != 200)
    c2.eq("explicit: load ident", s.request("POST", "/v2/repository/models/ident/load", b"")[0],
          200)
    c2.eq("explicit: ident ready after load", s.request("GET", "/v2/models/ident/ready")[0], 200)
    c2.eq("explicit: unload add",
          s.request("POST", "/v2/repository/models/add/unload", b"{}")[0], 200)
    st, doc = s.post_json("/v2/models/add/infer", {"inputs": []})
    c2.true("explicit: infer on unloaded model fails 404/503", st in (404, 503), st)
    c2.eq("explicit: load unknown model -> 404",
          s.request("POST", "/v2/repository/models/nope/load", b"")[0], 404)
    c2.eq("explicit: reload add", s.request("POST", "/v2/repository/models/add/load")[0], 200)
    c2.eq("explicit: add ready again", s.request("GET", "/v2/models/add/ready")[0], 200)
    c2.eq("SIGINT exit code", s.stop(signal.SIGINT), 0)
    ok = True
    for l in s.stdout().splitlines():
        d = json.loads(l)
        ok = ok and "req" in d and "model" in d and d["stream"] == "access"
    c2.true("every access line is JSON with req and model", ok and s.stdout().strip() != "")
    errs = [json.loads(l) for l in s.stderr().splitlines() if l.startswith("{")]
    c2.true("server lines are JSON too", len(errs) > 0)
finally:
    rc2 = c2.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(1 if rc or rc2 else 0)
