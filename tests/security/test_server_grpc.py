#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""API keys and TLS over gRPC, the same as over HTTP: the `authorization` metadata ("Bearer TOKEN")
must hold a key with the method's scope (missing or unknown -> UNAUTHENTICATED, wrong scope ->
PERMISSION_DENIED, health open unless protected); --tls-cert/--tls-key serve gRPC over TLS
(a client trusting the CA gets answers, a plaintext client none), a SIGHUP reload reaches new gRPC
connections while one opened before keeps working, and --tls-client-ca requires a client
certificate from that CA."""
import hashlib
import os
import shutil
import signal
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402
import grpcstubs as G  # noqa: E402

E.check_env()
grpc, pb, pbg = G.load()
SC = grpc.StatusCode
work = tempfile.mkdtemp(prefix="ei-grpc-sec-")
repo = E.make_repo(os.path.join(work, "repo"), with_cls=False)
c = E.Checker()
servers = []
TOK = {"infer": "tok-infer-1234567890", "ops": "tok-ops-1234567890"}
keys = os.path.join(work, "keys")
with open(keys, "w") as f:
    for name, scopes in (("infer", "infer"), ("ops", "repository,statistics")):
        f.write("%s sha256:%s %s\n" % (name, hashlib.sha256(TOK[name].encode()).hexdigest(),
                                      scopes))


def add_request():
    r = pb.ModelInferRequest(model_name="add")
    r.inputs.add(name="a", datatype="FP32", shape=[1, 3]).contents.fp32_contents.extend([1, 2, 3])
    r.inputs.add(name="b", datatype="FP32", shape=[3]).contents.fp32_contents.extend([1, 1, 1])
    return r


def md(tok):
    return None if tok is None else [("authorization", "Bearer " + tok)]


try:
    s = E.Server(repo, "--api-keys", keys)
    servers.append(s)
    ch, st = G.stub(grpc, pbg, s)
    c.eq("health open without a key", st.ServerLive(pb.ServerLiveRequest()).live, True)
    c.eq("infer without a key -> UNAUTHENTICATED",
         G.code_of(grpc, st.ModelInfer, add_request())[0], SC.UNAUTHENTICATED)
    c.eq("infer with an unknown key -> UNAUTHENTICATED",
         G.code_of(grpc, st.ModelInfer, add_request(), metadata=md("nope-nope-nope"))[0],
         SC.UNAUTHENTICATED)
    code, det = G.code_of(grpc, st.ModelInfer, add_request(), metadata=md(TOK["ops"]))
    c.true("infer with a key of other scopes -> PERMISSION_DENIED naming the scope",
           code == SC.PERMISSION_DENIED and "infer" in (det or ""), (code, det))
    r = st.ModelInfer(add_request(), metadata=md(TOK["infer"]))
    c.eq("infer with the infer key", struct.unpack("<3f", r.raw_output_contents[0]), (2, 3, 4))
    c.eq("statistics with the infer key -> PERMISSION_DENIED",
         G.code_of(grpc, st.ModelStatistics, pb.ModelStatisticsRequest(),
                   metadata=md(TOK["infer"]))[0], SC.PERMISSION_DENIED)
    c.eq("statistics with the ops key",
         G.code_of(grpc, st.ModelStatistics, pb.ModelStatisticsRequest(),
                   metadata=md(TOK["ops"]))[0], SC.OK)
    c.eq("settings need a key", G.code_of(grpc, st.LogSettings, pb.LogSettingsRequest())[0],
         SC.UNAUTHENTICATED)
    c.true("the access line names the key, never the token",
           "key=infer" in s.stdout() and TOK["infer"] not in s.stdout() + s.stderr())
    ch.close()

    import certs  # noqa: E402
    if certs.available():
        os.makedirs(os.path.join(work, "certs"))
        cd = certs.make(os.path.join(work, "certs"))

        def P(n):
            return os.path.join(cd, n)

        def read(n):
            with open(P(n), "rb") as f:
                return f.read()

        shutil.copy(P("srv.pem"), P("live.pem"))
        shutil.copy(P("srv.key"), P("live.key"))
        s2 = E.Server(repo, "--tls-cert", P("live.pem"), "--tls-key", P("live.key"))
        servers.append(s2)
        target = "localhost:%d" % s2.grpc_port

        def channel(ca):
            # Its own connection (no subchannel shared with another channel of the process).
            return grpc.secure_channel(target, grpc.ssl_channel_credentials(read(ca)),
                                       options=[("grpc.use_local_subchannel_pool", 1)])

        def live(ch):
            return G.code_of(grpc, pbg.GRPCInferenceServiceStub(ch).ServerLive,
                             pb.ServerLiveRequest(), timeout=30)[0]

        tch = channel("ca.pem")
        tst = pbg.GRPCInferenceServiceStub(tch)
        c.eq("TLS: answers", tst.ServerLive(pb.ServerLiveRequest(), timeout=30).live, True)
        pch, pst = G.stub(grpc, pbg, s2)
        c.true("TLS: a plaintext client gets nothing",
               G.code_of(grpc, pst.ServerLive, pb.ServerLiveRequest(), timeout=10)[0] != SC.OK)
        pch.close()
        # SIGHUP with a certificate from the other CA: new connections get it; the connection
        # opened before keeps its own.
        shutil.copy(P("srv2.pem"), P("live.pem"))
        shutil.copy(P("srv2.key"), P("live.key"))
        s2.proc.send_signal(signal.SIGHUP)
        end = time.monotonic() + 60
        while "TLS certificate reloaded" not in s2.stderr() and time.monotonic() < end:
            time.sleep(0.02)
        c.true("TLS: SIGHUP reload logged", "TLS certificate reloaded" in s2.stderr())
        c.eq("TLS: the connection opened before the reload still serves", live(tch), SC.OK)
        tch.close()
        nch = channel("ca2.pem")
        c.eq("TLS: after the reload a new connection gets the new certificate", live(nch), SC.OK)
        nch.close()
        c.true("TLS: gRPC logged taking up the new certificate",
               "reloaded TLS certificate is in force" in s2.stderr(), s2.stderr()[-2000:])
        och = channel("ca.pem")
        c.eq("TLS: after the reload the old CA no longer matches", live(och), SC.UNAVAILABLE)
        och.close()
        c.eq("TLS: exit 0", s2.stop(), 0)

        s3 = E.Server(repo, "--tls-cert", P("srv.pem"), "--tls-key", P("srv.key"),
                      "--tls-client-ca", P("ca.pem"))
        servers.append(s3)
        target = "localhost:%d" % s3.grpc_port
        nch = grpc.secure_channel(target, grpc.ssl_channel_credentials(read("ca.pem")))
        c.true("mTLS: no client certificate -> refused", G.code_of(
            grpc, pbg.GRPCInferenceServiceStub(nch).ServerLive, pb.ServerLiveRequest(),
            timeout=10)[0] != SC.OK)
        nch.close()
        mch = grpc.secure_channel(target, grpc.ssl_channel_credentials(
            read("ca.pem"), read("cli.key"), read("cli.pem")))
        c.eq("mTLS: with the client certificate", pbg.GRPCInferenceServiceStub(mch).ServerLive(
            pb.ServerLiveRequest(), timeout=30).live, True)
        mch.close()
        c.eq("mTLS: exit 0", s3.stop(), 0)
    else:
        print("(TLS part skipped: certtool missing)")
    c.eq("exit 0", s.stop(), 0)
finally:
    rc = c.done(servers[0] if servers else None)
    for sv in servers:
        sv.close()
    shutil.rmtree(work, ignore_errors=True)
sys.exit(rc)
