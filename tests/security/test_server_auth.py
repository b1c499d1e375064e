#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""API keys: 401 without a key or with a wrong one, 403 with a key lacking the route's scope (JSON
bodies, WWW-Authenticate), each scope (infer incl. classify, metadata, repository, shm, metrics,
statistics), health open unless --auth-health, keys never in the logs, reload on SIGHUP (new keys
in force, a broken file keeps the old ones), and `edgeinfer keygen --api-key`."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "server"))
import eiserver as E  # noqa: E402

E.check_env()
work = tempfile.mkdtemp(prefix="ei-auth-")
repo = E.make_repo(os.path.join(work, "repo"), with_cls=False)
keys = os.path.join(work, "keys")
TOK = {"infer": "tok-infer-7f3a", "ops": "tok-ops-91c2", "shm": "tok-shm-55d0",
       "root": "tok-root-e4b1", "new": "tok-new-0a9d"}


def line(name, tok, scopes):
    return "%s sha256:%s %s\n" % (name, hashlib.sha256(tok.encode()).hexdigest(), scopes)


def write_keys(*lines):
    with open(keys + ".tmp", "w") as f:
        f.write("# test keys\n" + "".join(lines))
    os.rename(keys + ".tmp", keys)


write_keys(line("ci", TOK["infer"], "infer"),
           line("ops", TOK["ops"], "repository,metrics,statistics"),
           line("shm-user", TOK["shm"], "shm"), line("root", TOK["root"], "*"))
c = E.Checker()
s = E.Server(repo, "--api-keys", keys, "--allow-client-shm", "--model-control-mode", "explicit",
             "--load-model", "*")
infer = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
                    {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}]}


def req(method, path, tok=None, body=None, port=None, auth=None):
    h = {}
    if tok is not None:
        h["Authorization"] = "Bearer " + tok
    if auth is not None:
        h["Authorization"] = auth
    st, hdrs, raw = s.request(method, path, body, h, port=port)
    return st, hdrs, raw


def status(method, path, tok=None, body=None, port=None):
    return req(method, path, tok, body, port)[0]


# Health is open; everything else needs a key.
c.eq("health live without a key", status("GET", "/v2/health/live"), 200)
c.eq("health ready without a key", status("GET", "/v2/health/ready"), 200)
st, h, raw = req("POST", "/v2/models/add/infer", body=infer)
c.eq("infer without a key: 401", st, 401)
c.true("401 body is JSON with an error", "error" in json.loads(raw), raw)
c.true("401 carries WWW-Authenticate: Bearer", h.get("WWW-Authenticate", "").startswith("Bearer"),
       h)
c.eq("infer with a wrong key: 401", status("POST", "/v2/models/add/infer", "nope", infer), 401)
c.eq("infer with a Basic credential: 401",
     req("POST", "/v2/models/add/infer", body=infer, auth="Basic Y2k6dG9r")[0], 401)
st, h, raw = req("POST", "/v2/models/add/infer", TOK["infer"], infer)
c.eq("infer with the infer key: 200", st, 200)
st, h, raw = req("POST", "/v2/models/add/infer", TOK["ops"], infer)
c.eq("infer with a key lacking the scope: 403", st, 403)
c.true("403 names the scope", "infer" in json.loads(raw).get("error", ""), raw)
c.true("403 carries insufficient_scope", "insufficient_scope" in h.get("WWW-Authenticate", ""), h)
st = status("POST", "/v2/models/add/classify", TOK["ops"], b"\x89PNG")
c.eq("classify needs infer: 403 for ops", st, 403)
st = status("POST", "/v2/models/add/classify", TOK["infer"], b"\x89PNG")
c.true("classify with the infer key: past auth", st not in (401, 403), st)
c.eq("model metadata with the infer key (infer implies metadata)",
     status("GET", "/v2/models/add", TOK["infer"]), 200)
c.eq("model metadata without a key: 401", status("GET", "/v2/models/add"), 401)
c.eq("server metadata without a key: 401", status("GET", "/v2"), 401)
c.eq("server metadata with the root key", status("GET", "/v2", TOK["root"]), 200)
c.eq("stats with the infer key: 403", status("GET", "/v2/models/add/stats", TOK["infer"]), 403)
c.eq("stats with the ops key", status("GET", "/v2/models/add/stats", TOK["ops"]), 200)
c.eq("repository index with the infer key: 403",
     status("POST", "/v2/repository/index", TOK["infer"], b"{}"), 403)
c.eq("unload with the infer key: 403",
     status("POST", "/v2/repository/models/ident/unload", TOK["infer"], b"{}"), 403)
c.eq("unload with the ops key", status("POST", "/v2/repository/models/ident/unload", TOK["ops"],
                                       b"{}"), 200)
c.eq("load with the ops key", status("POST", "/v2/repository/models/ident/load", TOK["ops"],
                                     b"{}"), 200)
c.eq("shm status with the infer key: 403",
     status("GET", "/v2/systemsharedmemory/status", TOK["infer"]), 403)
c.eq("shm status with the shm key", status("GET", "/v2/systemsharedmemory/status", TOK["shm"]),
     200)
c.eq("metrics without a key: 401", status("GET", "/metrics", port=s.metrics_port), 401)
c.eq("metrics with the infer key: 403", status("GET", "/metrics", TOK["infer"],
                                               port=s.metrics_port), 403)
c.eq("metrics with the ops key", status("GET", "/metrics", TOK["ops"], port=s.metrics_port), 200)

# Reload on SIGHUP: a broken file keeps the keys in force; a good one replaces them.
with open(keys, "w") as f:
    f.write("ci not-a-hash infer\n")
s.proc.send_signal(signal.SIGHUP)
deadline = time.monotonic() + 60
while "API keys not reloaded" not in s.stderr() and time.monotonic() < deadline:
    time.sleep(0.05)
c.true("SIGHUP with a broken key file: refused, logged", "API keys not reloaded" in s.stderr())
c.eq("after a refused reload: the old key still works",
     status("POST", "/v2/models/add/infer", TOK["infer"], infer), 200)
write_keys(line("new", TOK["new"], "infer"), line("ops", TOK["ops"], "metrics"))
s.proc.send_signal(signal.SIGHUP)
deadline = time.monotonic() + 60
while "API keys reloaded" not in s.stderr() and time.monotonic() < deadline:
    time.sleep(0.05)
c.true("SIGHUP: reload logged", "API keys reloaded" in s.stderr())
c.eq("after reload: a removed key is refused",
     status("POST", "/v2/models/add/infer", TOK["infer"], infer), 401)
c.eq("after reload: the new key works", status("POST", "/v2/models/add/infer", TOK["new"], infer),
     200)
c.eq("after reload: scopes changed too", status("GET", "/v2/models/add/stats", TOK["ops"]), 403)
c.eq("exit 0 on SIGTERM", s.stop(), 0)
logs = s.stdout() + s.stderr()
c.true("no token in the logs", not any(t in logs for t in TOK.values()))
c.true("the access log names the key", "key=new" in logs or "key=ci" in logs, logs[-1500:])
failed = c.failed
if failed:
    print("---- server stderr ----\n" + s.stderr()[-4000:])
s.close()

# --auth-health: health needs the health scope too.
write_keys(line("probe", "tok-probe", "health"), line("ci", TOK["infer"], "infer"))
s = E.Server(repo, "--api-keys", keys, "--auth-health")
c.failed = 0
c.eq("--auth-health: health without a key: 401", status("GET", "/v2/health/live"), 401)
c.eq("--auth-health: health with the infer key: 403",
     status("GET", "/v2/health/live", TOK["infer"]), 403)
c.eq("--auth-health: health with the probe key", status("GET", "/v2/health/live", "tok-probe"),
     200)
c.eq("--auth-health: exit 0", s.stop(), 0)
failed += c.failed
s.close()

# A bad key file is refused at start, naming the line.
r = subprocess.run([E.EI_BIN, "serve", "--model-repository", repo, "--api-keys",
                    os.path.join(work, "repo", "add", "1", "model.onnx"), "--metrics-port", "-1"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
c.failed = 0
c.eq("a key file that is not one: exit 1", r.returncode, 1)
c.true("a key file that is not one: named", b"model.onnx: line 1" in r.stderr, r.stderr[-500:])

# edgeinfer keygen --api-key: a token on stdout, the file line on stderr; the two match.
r = subprocess.run([E.EI_BIN, "keygen", "--api-key", "bot", "--scopes", "infer,metrics"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
tok = r.stdout.decode().strip()
err = r.stderr.decode()
want = "bot sha256:%s infer,metrics" % hashlib.sha256(tok.encode()).hexdigest()
c.true("keygen --api-key: token and matching line", r.returncode == 0 and want in err, err)
r = subprocess.run([E.EI_BIN, "keygen", "--api-key", "bot", "--scopes", "admin"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
c.eq("keygen --api-key with an unknown scope: usage error", r.returncode, 2)
c.failed += failed
sys.exit(c.done())
