#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A burst of good and bad requests from several threads: valid JSON and binary inferences mixed
with malformed JSON, truncated and oversized binary bodies, wrong shapes and types, garbage,
unknown paths and clients that hang up mid-body or stall. Every good request must succeed, every
bad one must get a 4xx, the server must stay healthy and exit 0 on SIGTERM. It also runs in the
ASan+UBSan build, where any memory error or leak in the server makes the exit code non-zero."""
import json
import os
import random
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
s = E.Server(repo, "--connection-timeout", "2", "--max-body-bytes", "200000")
c = E.Checker()
good = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]},
                   {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}]}
want = [2, 3, 4, 5, 6, 7]
ghdr = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 3],
                    "parameters": {"binary_data_size": 24}},
                   {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}],
        "parameters": {"binary_data_output": True}}
gbody, ghl = E.binary_infer_body(ghdr, [struct.pack("<6f", 1, 2, 3, 4, 5, 6)])
bad_bodies = [
    b"{", b"", b"null", b"[]", b'{"inputs": 5}', b'{"inputs": [{}]}',
    json.dumps({"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 3], "data": [1]}]}).encode(),
    json.dumps({"inputs": [{"name": "a", "datatype": "FP32", "shape": [1 << 40, 1 << 40],
                            "data": [1]}]}).encode(),
    json.dumps({"inputs": [{"name": "a", "datatype": "BYTES", "shape": [2, 3],
                            "data": ["x"] * 6}, good["inputs"][1]]}).encode(),
    json.dumps({"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 3],
                            "data": [[1, 2, 3], [4, 5, "x"]]}]}).encode(),
    b'{"inputs":[{"name":"a","datatype":"FP32","shape":[2,3],"data":' + b"[" * 5000 + b"]" * 5000
    + b"}]}",
]


def check_good(st, doc, what, errors):
    if st != 200 or doc["outputs"][0].get("data", want) != want:
        errors.append((what, st, str(doc)[:200]))


def raw_client(payload, close_early):
    try:
        sk = socket.create_connection(("127.0.0.1", s.port), timeout=20)
        sk.sendall(payload)
        if not close_early:
            sk.recv(65536)
        sk.close()
    except OSError:
        pass


def worker(seed, errors, counts):
    rnd = random.Random(seed)
    for i in range(40):
        k = rnd.randrange(9)
        try:
            if k == 0:
                st, doc = s.post_json("/v2/models/add/infer", good)
                check_good(st, doc, "good json", errors)
                counts["good"] += 1
            elif k == 1:
                st, h, rb = s.request("POST", "/v2/models/add/infer", gbody,
                                      {"Inference-Header-Content-Length": str(ghl)})
                doc, blobs = E.parse_binary_response(h, rb) if st == 200 else ({}, {})
                if st != 200 or struct.unpack("<6f", blobs["y"]) != tuple(want):
                    errors.append(("good binary", st, rb[:200]))
                counts["good"] += 1
            elif k == 2:
                body = rnd.choice(bad_bodies)
                st, h, rb = s.request("POST", "/v2/models/add/infer", body)
                if not (400 <= st < 500 and "error" in json.loads(rb)):
                    errors.append(("bad body", st, body[:80], rb[:200]))
                counts["bad"] += 1
            elif k == 3:
                cut = rnd.randrange(len(gbody))
                st, h, rb = s.request("POST", "/v2/models/add/infer", gbody[:cut],
                                      {"Inference-Header-Content-Length": str(ghl)})
                if not 400 <= st < 500:
                    errors.append(("truncated binary", st, cut))
                counts["bad"] += 1
            elif k == 4:
                junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
                st, h, rb = s.request("POST", "/v2/models/add/infer", junk,
                                      {"Inference-Header-Content-Length":
                                       str(rnd.randrange(0, 400))})
                if not 400 <= st < 500:
                    errors.append(("garbage", st))
                counts["bad"] += 1
            elif k == 5:
                path = rnd.choice(["/v2/models/add/versions/-1/infer", "/v2/models//infer",
                                   "/v2/models/add/infer/x", "/%00", "/v2/repository/models/add",
                                   "/v2/models/" + "n" * 300 + "/infer"])
                st, h, rb = s.request("POST", path, b"{}")
                if not 400 <= st < 500:
                    errors.append(("bad path", path, st))
                counts["bad"] += 1
            elif k == 6:
                # Refused as soon as the headers announce it: the client may see the 413 or a
                # reset while it is still sending.
                try:
                    st, h, rb = s.request("POST", "/v2/models/add/infer", b"x" * 300000)
                except (BrokenPipeError, ConnectionResetError):
                    st = 413
                if st != 413:
                    errors.append(("oversized", st))
                counts["bad"] += 1
            elif k == 7:
                # Hang up in the middle of a body.
                raw_client(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000"
                           b"\r\n\r\n{\"inputs\":", True)
                counts["bad"] += 1
            else:
                st, doc = s.get_json("/v2/models/add/stats")
                if st != 200:
                    errors.append(("stats", st))
        except Exception as e:
            errors.append(("exception", k, repr(e)))


try:
    errors = []
    counts = {"good": 0, "bad": 0}
    ts = [threading.Thread(target=worker, args=(i, errors, counts)) for i in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    print("good %d, bad %d" % (counts["good"], counts["bad"]))
    c.eq("every request answered as expected", errors[:5], [])
    # A stalled client (headers never finished) is disconnected by the connection timeout.
    sk = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sk.sendall(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    t0 = time.monotonic()
    try:
        data = sk.recv(1024)
    except OSError:
        data = b""
    sk.close()
    c.true("stalled client disconnected by the server", data == b"" or b"408" in data[:20],
           data[:40])
    c.eq("still live", s.request("GET", "/v2/health/live")[0], 200)
    st, doc = s.post_json("/v2/models/add/infer", good)
    c.eq("still serving", st, 200)
    c.eq("SIGTERM exit 0 (ASan: no errors, no leaks)", s.stop(), 0)
finally:
    rc = c.done(s)
    s.close()

# The connection limit: with --max-connections 3 held by idle clients, a fourth connection gets
# no answer (libmicrohttpd stops accepting; it waits in the kernel backlog or is closed); once
# they leave, requests are served again.
s = E.Server(repo, "--max-connections", "3", "--metrics-port", "-1", "--http-threads", "1")
c2 = E.Checker()
try:
    held = [socket.create_connection(("127.0.0.1", s.port), timeout=10) for _ in range(3)]
    time.sleep(0.2)  # let the server accept them (no assertion on time)
    try:
        st = s.request("GET", "/v2/health/live", timeout=2)[0]
    except (OSError, ConnectionError) as e:  # closed, reset, or left waiting in the backlog
        st = repr(e)
    c2.true("fourth connection over the limit not served", st != 200, st)
    for h in held:
        h.close()
    ok = False
    for _ in range(100):  # bounded retry while the server notices the closes
        try:
            ok = s.request("GET", "/v2/health/live", timeout=10)[0] == 200
        except (OSError, ConnectionError):
            ok = False
        if ok:
            break
        time.sleep(0.05)
    c2.true("served again once the held connections closed", ok)
    c2.eq("SIGTERM exit 0", s.stop(), 0)
finally:
    rc2 = c2.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(1 if rc or rc2 else 0)
