#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Requests the server must refuse or cut short, and a shutdown that answers everything:
- shapes a model cannot run (a zero-width text line for the recogniser, an audio chunk shorter than
  the VAD's padding) are the client's error: 400 naming the problem, not 500;
- a run that needs more memory than --max-run-memory (a recognition line 20,000 wide under a
  64 MiB limit) is refused 503 naming the limit, the arena never holds more than the limit (the
  server's own figures on /metrics), it gives its free memory back at the next run, and the server
  goes on serving;
- SIGTERM while requests run for ever (a Loop of 2^62 steps; one running, three queued) and the
  shutdown deadline passes: each is answered 503, the runs are terminated, their late answers
  find the server still there, and the process exits 0 (no abort).
The test waits (bounded) for the server's in-flight gauge before it signals; nothing depends on
how fast the machine is (the run never ends on its own)."""
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
LOOP = os.path.join(E.EI_SOURCE_DIR, "tests", "conformance", "data", "loop_slow", "model.onnx")
REC = os.path.join(E.EI_MODELS, "ppocr", "rec.onnx")
VAD = os.path.join(E.EI_MODELS, "vad", "silero_vad.onnx")
for f in (LOOP, REC, VAD):
    if not os.path.isfile(f):
        E.skip("%s missing" % f)
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
for name, src, cfg in (("loop", LOOP, ""), ("rec", REC, "max_batch_size: 0\n"),
                       ("vad", VAD, "max_batch_size: 0\n")):
    os.makedirs(os.path.join(repo, name, "1"))
    shutil.copy(src, os.path.join(repo, name, "1", "model.onnx"))
    if cfg:
        with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
            f.write(cfg)
c = E.Checker()
LIMIT = 64 << 20


def rec_body(width):
    n = 3 * 48 * width
    return E.binary_infer_body(
        {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 48, width],
                     "parameters": {"binary_data_size": n * 4}}],
         "outputs": [{"name": "softmax_11.tmp_0", "parameters": {"binary_data": True}}]},
        [bytes(n * 4)])


def rec_infer(srv, width):
    body, hl = rec_body(width)
    return srv.request("POST", "/v2/models/rec/infer", body,
                       {"Inference-Header-Content-Length": str(hl)})


def run_memory(m):
    st, _, _ = rec_infer(m, 320)
    c.eq("a normal text line under --max-run-memory: 200", st, 200)
    st, h, body = rec_infer(m, 20000)
    c.eq("a line 20,000 wide (needs more than 64 MiB): 503", st, 503)
    c.true("the error names the run-memory limit and its size",
           b"run-memory limit" in body and str(LIMIT).encode() in body, body[:300])
    c.eq("with Retry-After", h.get("Retry-After"), "1")
    text = m.metrics()
    c.eq("refusals counted", E.metric(text, "ei_run_memory_refused_total"), 1.0)
    c.eq("the limit on /metrics", E.metric(text, "ei_run_memory_limit_bytes"), float(LIMIT))
    reserved = E.metric(text, "ei_run_memory_reserved_bytes")
    peak = E.metric(text, "ei_run_memory_max_in_use_bytes")
    c.true("the arena never held more than the limit", reserved is not None and
           peak is not None and 0 < peak <= LIMIT and reserved <= LIMIT, (reserved, peak))
    st, _, _ = rec_infer(m, 320)
    c.eq("the next normal line: 200", st, 200)
    after = E.metric(m.metrics(), "ei_run_memory_reserved_bytes")
    c.true("that run gave the arena's free memory back", after is not None and after < LIMIT / 2,
           (reserved, after))
    st, _ = m.get_json("/v2/health/ready")
    c.eq("still ready", st, 200)


m = E.Server(repo, "--max-run-memory", str(LIMIT))
try:
    run_memory(m)
    c.eq("exit 0", m.stop(), 0)
finally:
    if c.failed:
        print("---- server stderr ----\n" + m.stderr()[-4000:])
    m.close()
s = E.Server(repo, "--shutdown-timeout", "1")
try:
    # Shapes the model cannot run.
    st, doc = s.post_json("/v2/models/rec/infer", {"inputs": [
        {"name": "x", "datatype": "FP32", "shape": [1, 3, 48, 0], "data": []}]})
    c.eq("zero-width input to the recogniser: 400", st, 400)
    c.true("names the shape problem", "shape" in json.dumps(doc).lower(), doc)
    st, doc = s.post_json("/v2/models/vad/infer", {"inputs": [
        {"name": "input", "datatype": "FP32", "shape": [1, 10], "data": [0.0] * 10},
        {"name": "sr", "datatype": "INT64", "shape": [], "data": [16000]},
        {"name": "h", "datatype": "FP32", "shape": [2, 1, 64], "data": [0.0] * 128},
        {"name": "c", "datatype": "FP32", "shape": [2, 1, 64], "data": [0.0] * 128}]})
    c.eq("audio chunk shorter than the VAD's padding: 400", st, 400)
    c.true("names the padding problem", "exceeds" in json.dumps(doc), doc)
    st, _ = s.get_json("/v2/health/ready")
    c.eq("still ready", st, 200)

    # Requests that run for ever (one running, the others queued behind it), then SIGTERM: the
    # queued ones reach the model after the deadline (their runs fail at once, terminated) and
    # their late answers must find the server still there (it used to be freed under them).
    N = 4
    result = []

    def forever():
        try:
            st, h, body = s.request("POST", "/v2/models/loop/infer", json.dumps({"inputs": [
                {"name": "x", "datatype": "FP32", "shape": [1], "data": [0.0]}]}).encode(),
                timeout=300)
            result.append((st, body))
        except Exception as e:  # noqa: BLE001
            result.append((repr(e), b""))

    threads = [threading.Thread(target=forever) for _ in range(N)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    inflight = 0
    while time.monotonic() < deadline and not result:
        inflight = E.metric(s.metrics(), "ei_http_requests_in_flight") or 0
        if inflight >= N:
            break
        time.sleep(0.05)
    c.true("the endless requests are in flight before SIGTERM", inflight >= N and not result)
    s.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(300)
    c.eq("each endless request is answered 503 at the shutdown deadline",
         sorted(r[0] for r in result), [503] * N)
    c.true("saying it was cancelled", len(result) == N and all(b"cancelled" in r[1] for r in result),
           result)
    c.eq("exit 0 (no abort)", s.stop(timeout=300), 0)
    c.true("the cancel is logged", "answered 503 (cancelled)" in s.stderr())
finally:
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
