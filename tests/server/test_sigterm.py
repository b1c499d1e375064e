#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SIGTERM with requests in flight: they are all answered (200), new connections are refused, and
the process exits 0. The requests are held in the batcher's queue by a long max_queue_delay, and
the test waits (bounded) until the pending gauge shows them before it signals."""
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
if not os.path.isfile(os.path.join(E.EI_MODELS, "ppocr", "cls.onnx")):
    E.skip("the bundled PP-OCR classifier is not set up")
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), cls_delay_us=3000000)
s = E.Server(repo)
c = E.Checker()
N = 3 * 48 * 192
x = struct.pack("<%df" % N, *([0.5] * N))
results = []
lock = threading.Lock()


def one():
    try:
        st, h, rb = s.request("POST", "/v2/models/cls/infer", x,
                              {"Inference-Header-Content-Length": "0"})
    except Exception as e:
        st = repr(e)
    with lock:
        results.append(st)


try:
    ts = [threading.Thread(target=one) for _ in range(4)]
    for t in ts:
        t.start()
    deadline = time.monotonic() + 30
    pending = 0
    while time.monotonic() < deadline and not results:
        pending = E.metric(s.metrics(), "nv_inference_pending_request_count", "cls") or 0
        if pending >= 4:
            break
        time.sleep(0.02)
    print("pending before SIGTERM: %d, answered: %d" % (pending, len(results)))
    s.proc.send_signal(signal.SIGTERM)
    # The listening socket closes at once; the queued requests still complete.
    refused = False
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=5).close()
        except OSError:
            refused = True
            break
        time.sleep(0.02)
    c.true("new connections refused after SIGTERM", refused)
    for t in ts:
        t.join(60)
    c.eq("every in-flight request answered 200", results, [200] * 4)
    c.eq("exit code 0", s.stop(), 0)
    c.true("stop logged", "stopping" in s.stderr())
finally:
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
