#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Browser safety and what clients may learn: CORS off by default and an allow-list by flag, the
Host and Origin checks on POST requests (cross-site simple POSTs, DNS rebinding), log lines that
escape request-controlled control characters, and errors that do not reveal the repository's
path. No timing is involved."""
import json
import os
import shutil
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
c = E.Checker()
ADD = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]},
                  {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}]}


def raw(port, data):
    """One raw request; returns the whole answer (the server closes: Connection: close)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        s.sendall(data)
        out = b""
        while True:
            got = s.recv(65536)
            if not got:
                return out
            out += got
    finally:
        s.close()


servers = []
try:
    s = E.Server(repo, "--model-control-mode", "explicit", "--load-model", "*")
    servers.append(s)
    # CORS is off: no CORS headers, preflights refused, cross-site POSTs refused.
    st, h, _ = s.request("GET", "/v2/health/ready", headers={"Origin": "http://evil.example"})
    c.eq("GET from a foreign origin still answered", st, 200)
    c.true("no Access-Control-Allow-Origin when CORS is off",
           "Access-Control-Allow-Origin" not in h, str(h))
    st, h, _ = s.request("OPTIONS", "/v2/repository/models/add/unload",
                         headers={"Origin": "http://evil.example",
                                  "Access-Control-Request-Method": "POST"})
    c.eq("preflight refused when CORS is off", st, 403)
    c.true("refused preflight has no CORS headers", "Access-Control-Allow-Origin" not in h)
    st, _, body = s.request("POST", "/v2/repository/models/add/unload", b"{}",
                            {"Origin": "http://evil.example", "Content-Type": "text/plain"})
    c.eq("cross-site text/plain unload refused", st, 403)
    c.true("the refusal names the origin", b"evil.example" in body, body)
    st, _, body = s.request("POST", "/v2/repository/models/add/unload", b"{}",
                            {"Origin": "null"})
    c.eq("opaque-origin (sandboxed page) POST refused", st, 403)
    st, _, _ = s.request("GET", "/v2/models/add/ready")
    c.eq("add still loaded after the refused unloads", st, 200)
    # DNS rebinding: the page's host name resolves to 127.0.0.1, the Host header gives it away.
    st, _, body = s.request("POST", "/v2/repository/models/add/unload", b"{}",
                            {"Host": "rebind.evil.example:%d" % s.port})
    c.eq("POST with a foreign Host refused on a loopback listener", st, 403)
    c.true("the refusal names the Host", b"rebind.evil.example" in body, body)
    for host in ("localhost:%d" % s.port, "127.0.0.1", "[::1]:%d" % s.port):
        st, _, _ = s.request("POST", "/v2/models/add/infer", json.dumps(ADD).encode(),
                             {"Host": host})
        c.eq("loopback Host %s accepted" % host, st, 200)
    st, _, _ = s.request("POST", "/v2/models/add/infer", json.dumps(ADD).encode(),
                         {"Origin": "http://127.0.0.1:%d" % s.port,
                          "Host": "127.0.0.1:%d" % s.port})
    c.eq("same-origin POST accepted", st, 200)
    # Log lines escape control characters from the request (no forged lines).
    st, _, _ = s.request("POST", "/v2/repository/models/x%0d%0aFORGED%20line%1b%5b31m/load", b"")
    c.eq("load of a name with CR LF: 400 or 404", st in (400, 404), True)
    # Errors do not reveal where the repository is.
    st, _, body = s.request("POST", "/v2/repository/models/nope/load", b"")
    c.eq("unknown model load: 404", st, 404)
    c.true("the error does not reveal the repository path", repo.encode() not in body, body)
    os.makedirs(os.path.join(repo, "broken", "1"))
    with open(os.path.join(repo, "broken", "1", "model.onnx"), "w") as f:
        f.write("not a model")
    st, _, body = s.request("POST", "/v2/repository/models/broken/load", b"")
    c.true("a failed load names the file relative to the repository",
           st >= 400 and b"broken/1/model.onnx" in body and repo.encode() not in body, body)
    st, _, body = s.request("POST", "/v2/repository/index", b"{}")
    c.true("the index reasons do not reveal the repository path", repo.encode() not in body, body)
    c.eq("exit 0", s.stop(), 0)
    out = open(s.out.name, "rb").read() + open(s.err.name, "rb").read()
    c.true("no raw CR, ESC or other control byte in the logs",
           not any(b < 0x20 and b != 0x0a for b in out), repr(out[-400:]))
    c.true("no line starts with the forged text", not any(
        line.startswith(b"FORGED") for line in out.splitlines()))
    c.true("the escaped name is in the access line", b"x\\x0d\\x0aFORGED" in out, repr(out[-600:]))

    # CORS allow-list and extra Host names by flag.
    s2 = E.Server(repo, "--cors-allow-origin", "https://app.example",
                  "--cors-allow-origin", "http://other.example:8080",
                  "--allowed-host", "models.internal")
    servers.append(s2)
    st, h, _ = s2.request("OPTIONS", "/v2/models/add/infer",
                          headers={"Origin": "https://app.example",
                                   "Access-Control-Request-Method": "POST",
                                   "Access-Control-Request-Headers": "content-type"})
    c.eq("allowed preflight: 204", st, 204)
    c.eq("preflight allows the origin", h.get("Access-Control-Allow-Origin"), "https://app.example")
    c.true("preflight lists POST", "POST" in h.get("Access-Control-Allow-Methods", ""), str(h))
    st, h, _ = s2.request("POST", "/v2/models/add/infer", json.dumps(ADD).encode(),
                          {"Origin": "http://other.example:8080"})
    c.eq("POST from an allowed origin", st, 200)
    c.eq("with its CORS header", h.get("Access-Control-Allow-Origin"), "http://other.example:8080")
    c.true("Vary: Origin", "Origin" in h.get("Vary", ""), str(h))
    st, h, _ = s2.request("POST", "/v2/models/add/infer", json.dumps(ADD).encode(),
                          {"Origin": "https://evil.example"})
    c.eq("POST from an origin not in the list: 403", st, 403)
    st, _, _ = s2.request("POST", "/v2/models/add/infer", json.dumps(ADD).encode(),
                          {"Host": "models.internal:%d" % s2.port})
    c.eq("--allowed-host name accepted", st, 200)
    c.eq("exit 0 (second server)", s2.stop(), 0)

    # --http-address takes a host name.
    s3 = E.Server(repo, "--http-address", "localhost")
    servers.append(s3)
    c.eq("--http-address localhost serves", s3.request("GET", "/v2/health/live")[0], 200)
    c.eq("exit 0 (third server)", s3.stop(), 0)
finally:
    rc = c.done(servers[-1] if servers else None)
    for s in servers:
        s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
