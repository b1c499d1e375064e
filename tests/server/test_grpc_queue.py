#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gRPC deadlines and cancellation reach the batcher's queue: a call whose deadline passes, or that
the client cancels, while its request waits for a batch is dropped from the queue and never run
(the classifier waits up to 20 s for a full batch of 8; a full batch sent afterwards runs alone,
and the statistics show it was the only execution). And SIGTERM drains both protocols: a gRPC and
an HTTP request held in the queue are both answered, new gRPC calls are refused, exit 0. Every wait
is for an event (the pending gauge, a log line, an answer), bounded only against hangs."""
import os
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402
import grpcstubs as G  # noqa: E402

E.check_env()
if not os.path.isfile(os.path.join(E.EI_MODELS, "ppocr", "cls.onnx")):
    E.skip("the bundled PP-OCR classifier is not set up")
grpc, pb, pbg = G.load()
SC = grpc.StatusCode
ITEM = struct.pack("<f", 0.5) * (3 * 48 * 192)
c = E.Checker()
servers = []


def cls_request(batch):
    r = pb.ModelInferRequest(model_name="cls")
    r.inputs.add(name="x", datatype="FP32", shape=[batch, 3, 48, 192])
    r.raw_input_contents.append(ITEM * batch)
    return r


def wait_for(what, cond, limit=60):
    """Polls cond() until true; the limit only guards against a hang."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    print("gave up waiting for " + what)
    return False


def pending(s):
    return E.metric(s.metrics(), "nv_inference_pending_request_count", "cls") or 0


def cls_stats(st):
    return st.ModelStatistics(pb.ModelStatisticsRequest(name="cls")).model_stats[0]


root = tempfile.mkdtemp(prefix="ei-repo-")
try:
    repo = E.make_repo(os.path.join(root, "repo"), cls_delay_us=20000000)
    s = E.Server(repo)
    servers.append(s)
    ch, st = G.stub(grpc, pbg, s)

    # A deadline that passes while the request waits for a batch.
    code, _ = G.code_of(grpc, st.ModelInfer, cls_request(1), timeout=2)
    c.eq("deadline passes in the queue -> DEADLINE_EXCEEDED", code, SC.DEADLINE_EXCEEDED)
    code, det = G.code_of(grpc, st.ModelInfer, cls_request(8))
    c.eq("a full batch afterwards runs", code, SC.OK)
    ms = cls_stats(st)
    c.eq("the expired request never ran (1 execution, 8 inferences)",
         (ms.execution_count, ms.inference_count), (1, 8))
    c.eq("nothing left queued", pending(s), 0)

    # A call the client cancels while its request is queued.
    fut = st.ModelInfer.future(cls_request(1))
    c.true("request queued", wait_for("the request in the queue", lambda: pending(s) == 1))
    fut.cancel()
    c.true("server saw the cancellation",
           wait_for("the cancel log line", lambda: "client cancelled the call" in s.stderr()))
    code, det = G.code_of(grpc, st.ModelInfer, cls_request(8))
    c.eq("a full batch after the cancel runs", code, SC.OK)
    ms = cls_stats(st)
    c.eq("the cancelled request never ran (2 executions, 16 inferences)",
         (ms.execution_count, ms.inference_count), (2, 16))
    c.true("the dropped requests count as failures", ms.inference_stats.fail.count >= 1,
           ms.inference_stats.fail)
    ch.close()
    c.eq("exit 0", s.stop(), 0)

    # SIGTERM drains both protocols.
    repo2 = E.make_repo(os.path.join(root, "repo2"), cls_delay_us=3000000)
    s2 = E.Server(repo2)
    servers.append(s2)
    ch2, st2 = G.stub(grpc, pbg, s2)
    answers = {}

    def grpc_one():
        answers["grpc"] = G.code_of(grpc, st2.ModelInfer, cls_request(1))[0]

    def http_one():
        answers["http"] = s2.request("POST", "/v2/models/cls/infer", ITEM,
                                     {"Inference-Header-Content-Length": "0"})[0]

    ts = [threading.Thread(target=grpc_one), threading.Thread(target=http_one)]
    for t in ts:
        t.start()
    c.true("both queued", wait_for("2 pending", lambda: pending(s2) >= 2 or len(answers) > 0))
    s2.proc.send_signal(signal.SIGTERM)
    refused = wait_for("gRPC refusing new calls", lambda: G.code_of(
        grpc, st2.ServerLive, pb.ServerLiveRequest(), timeout=5)[0] != SC.OK)
    c.true("new gRPC calls refused after SIGTERM", refused)
    for t in ts:
        t.join(60)
    c.eq("queued gRPC and HTTP requests both answered", (answers.get("grpc"), answers.get("http")),
         (SC.OK, 200))
    c.eq("exit 0 after draining", s2.stop(), 0)
    ch2.close()
finally:
    rc = c.done(servers[-1] if servers else None)
    for sv in servers:
        sv.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
