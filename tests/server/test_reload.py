#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hot reload in poll mode under a running request loop: a new version copied into the repository
is picked up with zero failed requests, and a broken newer version leaves the good one serving."""
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = os.path.join(root, "repo")
os.makedirs(os.path.join(repo, "add", "1"))
shutil.copy(os.path.join(E.CORE_DATA, "add.onnx"), os.path.join(repo, "add", "1", "model.onnx"))
s = E.Server(repo, "--model-control-mode", "poll", "--repository-poll-secs", "1")
c = E.Checker()
req = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
                  {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}]}
stop = threading.Event()
seen = []  # (status, version)
lock = threading.Lock()


def loop():
    for _ in range(20000):  # bounded
        if stop.is_set():
            return
        try:
            st, doc = s.post_json("/v2/models/add/infer", req)
            ver = doc.get("model_version") if st == 200 else doc
            ok = st == 200 and doc["outputs"][0]["data"] == [2, 3, 4]
        except Exception as e:  # a dropped connection is a failure too
            st, ver, ok = -1, repr(e), False
        with lock:
            seen.append((st if ok else -st or -1, ver))


def place_version(v, good=True):
    tmp = os.path.join(repo, "add", ".tmp%d" % v)
    os.makedirs(tmp)
    if good:
        shutil.copy(os.path.join(E.CORE_DATA, "add.onnx"), os.path.join(tmp, "model.onnx"))
    else:
        with open(os.path.join(tmp, "model.onnx"), "wb") as f:
            f.write(b"this is not an onnx model")
    os.rename(tmp, os.path.join(repo, "add", str(v)))  # appears at once, complete


def wait_for(cond, secs=60):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


try:
    t = threading.Thread(target=loop)
    t.start()
    c.true("loop running on version 1", wait_for(lambda: len(seen) > 20))
    place_version(2)
    c.true("version 2 picked up by the poller",
           wait_for(lambda: any(v == "2" for _, v in seen[-5:])), seen[-3:])
    n2 = len(seen)
    place_version(3, good=False)
    # Let a few polls see the broken version while the loop keeps going.
    c.true("index reports version 3 not ready",
           wait_for(lambda: any(e.get("version") == "3" and e["state"] != "READY"
                                for e in s.post_json("/v2/repository/index", {})[1])),
           s.post_json("/v2/repository/index", {})[1])
    wait_for(lambda: len(seen) > n2 + 50, 30)
    stop.set()
    t.join(60)
    fails = [x for x in seen if x[0] != 200]
    print("requests %d, failures %d" % (len(seen), len(fails)))
    c.eq("zero failed requests across both reloads", fails[:5], [])
    c.eq("still served by version 2 after the broken version 3",
         {v for _, v in seen[n2 + 10:]}, {"2"})
    c.eq("v2 ready", s.request("GET", "/v2/models/add/versions/2/ready")[0], 200)
    c.eq("SIGTERM exit 0", s.stop(), 0)
finally:
    stop.set()
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
