#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Dynamic batching is observable and correct: concurrent batch-1 requests to the PP-OCR
classifier (max_batch_size 8, max_queue_delay 20 ms) run in fewer executions than inferences
(/stats and /metrics), and every request gets its own row of the batched result."""
import json
import os
import shutil
import struct
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
if not os.path.isfile(os.path.join(E.EI_MODELS, "ppocr", "cls.onnx")):
    E.skip("the bundled PP-OCR classifier is not set up")
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), cls_delay_us=20000)
s = E.Server(repo)
c = E.Checker()
N = 3 * 48 * 192


def infer(value):
    x = struct.pack("<%df" % N, *([value] * N))
    hdr = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 48, 192],
                       "parameters": {"binary_data_size": len(x)}}],
           "outputs": [{"name": "softmax_0.tmp_0", "parameters": {"binary_data": True}}]}
    body, hl = E.binary_infer_body(hdr, [x])
    st, h, rb = s.request("POST", "/v2/models/cls/infer", body,
                          {"Inference-Header-Content-Length": str(hl)})
    if st != 200:
        return st, rb
    doc, blobs = E.parse_binary_response(h, rb)
    return st, struct.unpack("<2f", blobs["softmax_0.tmp_0"])


try:
    values = [-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 2.0]
    ref = {}
    for v in values:
        st, out = infer(v)
        c.eq("reference %g" % v, st, 200)
        ref[v] = out
    st, before = s.get_json("/v2/models/cls/stats")
    b0 = before["model_stats"][0]
    results = []
    lock = threading.Lock()

    def worker(v):
        for _ in range(6):
            r = infer(v)
            with lock:
                results.append((v, r))

    ts = [threading.Thread(target=worker, args=(v,)) for v in values]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    c.eq("every concurrent request answered 200", sorted({r[1][0] for r in results}), [200])
    wrong = [(v, r[1]) for v, r in results
             if r[0] == 200 and max(abs(a - b) for a, b in zip(r[1], ref[v])) > 1e-4]
    c.true("each request got its own row of the batch", not wrong, wrong[:3])
    st, after = s.get_json("/v2/models/cls/stats")
    a0 = after["model_stats"][0]
    n_inf = a0["inference_count"] - b0["inference_count"]
    n_exec = a0["execution_count"] - b0["execution_count"]
    print("inferences %d, executions %d" % (n_inf, n_exec))
    c.eq("inference_count counts every request", n_inf, len(results))
    c.true("batching: execution_count < inference_count", 0 < n_exec < n_inf, (n_exec, n_inf))
    c.true("batch_stats has a batch size > 1",
           any(b["batch_size"] > 1 for b in a0["batch_stats"]), a0["batch_stats"])
    m = s.metrics()
    c.true("metrics: nv_inference_exec_count < nv_inference_count",
           E.metric(m, "nv_inference_exec_count", "cls") < E.metric(m, "nv_inference_count", "cls"))
    c.eq("SIGTERM exit 0", s.stop(), 0)
finally:
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
