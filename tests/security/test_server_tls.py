#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""HTTPS and mutual TLS, driven with curl against certificates made at test time: a good
certificate, a client trusting another CA, plain HTTP on the TLS port, an expired or mismatched
server certificate (refused at start, named), client certificates required and missing / from
another CA / expired, and reload on SIGHUP (new certificate in force; a bad one keeps the old)."""
import http.client
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "server"))
sys.path.insert(0, here)
import certs  # noqa: E402
import eiserver as E  # noqa: E402

E.check_env()
if not certs.available():
    E.skip("certtool (gnutls-bin) or curl missing")
work = tempfile.mkdtemp(prefix="ei-tls-")
os.makedirs(os.path.join(work, "certs"))
cd = certs.make(os.path.join(work, "certs"))
P = lambda n: os.path.join(cd, n)  # noqa: E731
repo = E.make_repo(os.path.join(work, "repo"), with_cls=False)
c = E.Checker()
infer = ('{"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],"data":[1,2,3]},'
         '{"name":"b","datatype":"FP32","shape":[3],"data":[1,1,1]}]}')


def wait_log(s, text, secs=60):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if text in s.stderr():
            return True
        time.sleep(0.05)
    return False


def start_fails(*extra):
    r = subprocess.run([E.EI_BIN, "serve", "--model-repository", repo, "--http-port", "0",
                        "--metrics-port", "-1"] + list(extra), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stderr.decode(errors="replace")


# --- refused at start, before anything is served --------------------------------------------------
rc, err = start_fails("--tls-cert", P("srv_expired.pem"), "--tls-key", P("srv_expired.key"))
c.eq("expired server certificate: exit", rc, 1)
c.true("expired server certificate: named, with the date", "expired on 2002-01-01" in err, err)
rc, err = start_fails("--tls-cert", P("srv.pem"), "--tls-key", P("cli.key"))
c.eq("key of another certificate: exit", rc, 1)
c.true("key of another certificate: said", "do not match" in err, err)
rc, err = start_fails("--tls-cert", P("srv.pem"))
c.eq("--tls-cert without --tls-key: usage error", rc, 2)
rc, err = start_fails("--tls-cert", P("srv.pem"), "--tls-key", P("srv.key"), "--tls-client-ca",
                      P("nope.pem"))
c.eq("missing client CA file: exit", rc, 1)
c.true("missing client CA file: named", "nope.pem" in err, err)

# --- HTTPS -------------------------------------------------------------------------------------
shutil.copy(P("srv.pem"), P("live.pem"))
shutil.copy(P("srv.key"), P("live.key"))
s = E.Server(repo, "--tls-cert", P("live.pem"), "--tls-key", P("live.key"))
base = "https://127.0.0.1:%d" % s.port
rc, st, body = certs.curl(base + "/v2/health/ready", "--cacert", P("ca.pem"))
c.eq("good certificate: health over HTTPS", (rc, st), (0, 200))
rc, st, body = certs.curl(base + "/v2/models/add/infer", "--cacert", P("ca.pem"), "-d", infer)
flat = body.replace(" ", "")
c.true("good certificate: infer over HTTPS",
       rc == 0 and st == 200 and ("[2.0,3.0,4.0]" in flat or "[2,3,4]" in flat), body)
rc, st, body = certs.curl("https://localhost:%d/v2/health/live" % s.port, "--cacert", P("ca.pem"))
c.eq("good certificate: by host name", (rc, st), (0, 200))
rc, st, _ = certs.curl(base + "/v2/health/ready", "--cacert", P("ca2.pem"))
c.eq("client trusting another CA: curl refuses (60)", rc, 60)
rc, st, _ = certs.curl("http://127.0.0.1:%d/v2/health/ready" % s.port)
c.true("plain HTTP on the TLS port: no HTTP answer", st is None and rc != 0, (rc, st))
rc, st, _ = certs.curl("https://127.0.0.1:%d/metrics" % s.metrics_port, "--cacert", P("ca.pem"))
c.eq("metrics port over HTTPS", (rc, st), (0, 200))

# Reload on SIGHUP: a certificate from the other CA is in force for new connections, while a
# connection opened before keeps working on the old credentials (freed when it closes).
ctx = ssl.create_default_context(cafile=P("ca.pem"))
old_conn = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=60)
old_conn.request("GET", "/v2/health/live")
r = old_conn.getresponse()
r.read()
c.eq("keep-alive connection before the reload", r.status, 200)
shutil.copy(P("srv2.pem"), P("live.pem"))
shutil.copy(P("srv2.key"), P("live.key"))
s.proc.send_signal(signal.SIGHUP)
c.true("SIGHUP: reload logged", wait_log(s, "TLS certificate reloaded"), s.stderr()[-2000:])
old_conn.request("POST", "/v2/models/add/infer", body=infer)
r = old_conn.getresponse()
r.read()
c.eq("the connection opened before the reload still serves", r.status, 200)
old_conn.close()
rc, st, _ = certs.curl(base + "/v2/health/ready", "--cacert", P("ca2.pem"))
c.eq("after reload: the new certificate", (rc, st), (0, 200))
rc, st, _ = certs.curl(base + "/v2/health/ready", "--cacert", P("ca.pem"))
c.eq("after reload: the old CA no longer matches", rc, 60)
# A broken certificate on reload is refused; the one in force stays.
shutil.copy(P("srv_expired.pem"), P("live.pem"))
shutil.copy(P("srv_expired.key"), P("live.key"))
s.proc.send_signal(signal.SIGHUP)
c.true("SIGHUP with an expired certificate: refused, logged",
       wait_log(s, "expired on 2002-01-01"), s.stderr()[-2000:])
rc, st, _ = certs.curl(base + "/v2/health/ready", "--cacert", P("ca2.pem"))
c.eq("after a refused reload: still the good certificate", (rc, st), (0, 200))
c.eq("exit 0 on SIGTERM", s.stop(), 0)
failed = c.failed
c.failed = 0
if failed:
    print("---- server stderr ----\n" + s.stderr()[-4000:])
s.close()

# --- mutual TLS -------------------------------------------------------------------------------------
s = E.Server(repo, "--tls-cert", P("srv.pem"), "--tls-key", P("srv.key"), "--tls-client-ca",
             P("ca.pem"))
base = "https://127.0.0.1:%d" % s.port
good = ["--cacert", P("ca.pem"), "--cert", P("cli.pem"), "--key", P("cli.key")]
rc, st, _ = certs.curl(base + "/v2/health/ready", *good)
c.eq("mTLS: client certificate from the CA", (rc, st), (0, 200))
rc, st, _ = certs.curl(base + "/v2/health/ready", "--cacert", P("ca.pem"))
c.true("mTLS: client certificate required and missing: refused", st is None and rc != 0, rc)
rc, st, _ = certs.curl(base + "/v2/health/ready", "--cacert", P("ca.pem"), "--cert",
                       P("cli2.pem"), "--key", P("cli2.key"))
c.true("mTLS: client certificate from another CA: refused", st is None and rc != 0, rc)
rc, st, _ = certs.curl(base + "/v2/health/ready", "--cacert", P("ca.pem"), "--cert",
                       P("cli_expired.pem"), "--key", P("cli_expired.key"))
c.true("mTLS: expired client certificate: refused", st is None and rc != 0, rc)
rc, st, body = certs.curl(base + "/v2/models/add/infer", "-d", infer, *good)
c.eq("mTLS: still serving after the refusals", (rc, st), (0, 200))
c.eq("mTLS: exit 0 on SIGTERM", s.stop(), 0)
failed += c.failed
c.failed = failed
rc = c.done(s)
s.close()
shutil.rmtree(work, ignore_errors=True)
sys.exit(rc)
