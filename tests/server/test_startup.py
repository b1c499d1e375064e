#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bind first, then load: a port that cannot be bound is reported before any model loads, and the
ports answer /v2/health/live at once while /v2/health/ready waits for the start-up models. Loading
is held by the server's test hook (EI_TEST_HOLD_LOAD=<fifo>: the loader reads one byte from the
FIFO before it scans the repository), so "before" and "while" are exact, not timed. Waits are only
bounds on a test that would otherwise hang."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
fifo = os.path.join(root, "hold")
os.mkfifo(fifo)
env = os.environ.copy()
env["EI_TEST_HOLD_LOAD"] = fifo
c = E.Checker()
ADD = json.dumps({"inputs": [
    {"name": "a", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]},
    {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}]}).encode()
procs = []


def start(*extra):
    err = open(os.path.join(root, "stderr-%d.log" % len(procs)), "w+")
    p = subprocess.Popen([E.EI_BIN, "serve", "--model-repository", repo, "--metrics-port", "-1",
                          *extra], stdout=subprocess.DEVNULL, stderr=err, env=env)
    procs.append((p, err))
    return p, err


def text(err):
    err.flush()
    with open(err.name) as f:
        return f.read()


try:
    # A busy port: the error comes before loading (which the hook would hold for ever).
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    p, err = start("--http-port", str(busy.getsockname()[1]))
    try:
        rc = p.wait(120)
    except subprocess.TimeoutExpired:
        rc = "still running (it loads before it binds)"
    busy.close()
    c.eq("a busy port fails before any model loads: exit 1", rc, 1)
    c.true("naming the port", "cannot listen on 127.0.0.1 port" in text(err), text(err))

    # Live at once, ready once loaded.
    pf = os.path.join(root, "ports")
    p, err = start("--http-port", "0", "--port-file", pf)
    port = None
    deadline = time.monotonic() + 120
    while port is None and time.monotonic() < deadline and p.poll() is None:
        m = re.search(r"serving http on 127\.0\.0\.1:(\d+)", text(err))
        if m:
            port = int(m.group(1))
        else:
            time.sleep(0.05)
    c.true("the server logs its port while the models are held", port is not None, text(err))
    if port is not None:
        s = E.Server.__new__(E.Server)
        s.port = port
        c.eq("live at once", s.request("GET", "/v2/health/live")[0], 200)
        st, _, body = s.request("GET", "/v2/health/ready")
        c.true("not ready while loading (503)", st == 503 and b"models are loading" in body,
               (st, body))
        st, _, body = s.request("POST", "/v2/models/add/infer", ADD)
        c.eq("inference while loading: 503", st, 503)
        c.true("no port file before the models are loaded", not os.path.exists(pf))
        with open(fifo, "wb") as f:
            f.write(b"x")
        while not os.path.exists(pf) and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        c.true("port file written once loaded", os.path.exists(pf))
        c.eq("ready once loaded", s.request("GET", "/v2/health/ready")[0], 200)
        c.eq("inference once loaded", s.request("POST", "/v2/models/add/infer", ADD)[0], 200)
    p.send_signal(signal.SIGTERM)
    c.eq("exit 0", p.wait(120), 0)
finally:
    for p, err in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
        if c.failed:
            print("---- stderr ----\n" + text(err)[-3000:])
        err.close()
    rc = c.done()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
