# SPDX-License-Identifier: MIT
"""`edgeinfer bench --url --protocol grpc`: the load generator over gRPC against the real
`edgeinfer serve --grpc-port 0` (a concurrency sweep and a fixed rate, a .npy input, an image
preprocessed into the tensor, the server-side split from ModelStatistics, an API key as call
metadata), an unknown model (exit 1
naming NOT_FOUND), a stub gRPC server whose ModelInfer answers OK, NOT_FOUND or never in turn
(errors counted by gRPC status, DEADLINE_EXCEEDED for the silent ones, not fatal; an image sent
as is into a BYTES input), and a listener that never speaks HTTP/2 (the metadata call hits its
deadline: exit 1, no hang). Runs are tiny; nothing asserts on a speed."""
import hashlib
import json
import os
import re
import socket
import struct
import sys
import tempfile
import threading
from concurrent import futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver  # noqa: E402
import grpcstubs  # noqa: E402
from test_bench_url import SHORT, bench, check_report, npy_f32  # noqa: E402


def real_server(c, work):
    repo = eiserver.make_repo(os.path.join(work, "repo"), cls_delay_us=0)
    have_cls = os.path.isdir(os.path.join(repo, "cls"))
    s = eiserver.Server(repo)
    target = "127.0.0.1:%d" % s.grpc_port
    try:
        rc, out, err = bench("--url", "grpc://" + target, "--model", "add", "--concurrency",
                             "1:4:x2", "--json", *SHORT)
        r = check_report(c, "grpc add 1:4:x2", rc, out, err, [1, 2, 4])
        if r:
            c.eq("grpc: request url", r["request_url"],
                 "grpc://%s/inference.GRPCInferenceService/ModelInfer" % target)
            c.eq("grpc: protocol", r["settings"]["protocol"], "grpc")
            c.eq("grpc: format", r["settings"]["format"], "raw")
            c.true("grpc: body described",
                   "a FP32 [1,3] (random), b FP32 [3] (random)" in
                   r["settings"]["bodies"][0]["describe"], r["settings"]["bodies"][0]["describe"])
            ok_total = sum(st["ok"] for st in r["steps"])
            served = eiserver.metric(s.metrics(), "nv_inference_request_success", "add")
            c.true("grpc: the server served at least what was counted", served >= ok_total,
                   "%r < %r" % (served, ok_total))

        # HOST:PORT with --protocol grpc, a .npy input, fixed rate, CSV.
        npy = os.path.join(work, "a.npy")
        npy_f32(npy, (2, 3), [1, 2, 3, 4, 5, 6])
        rc, out, err = bench("--url", target, "--protocol", "grpc", "--model", "add",
                             "--model-version", "1", "-i", "a=" + npy, "--rate", "40:80:x2",
                             "--json", *SHORT)
        r = check_report(c, "grpc add rate 40:80:x2", rc, out, err, [40.0, 80.0], mode="rate")
        if r:
            c.true("grpc: .npy input described", "a FP32 [2,3] (%s)" % npy in
                   r["settings"]["bodies"][0]["describe"], r["settings"]["bodies"][0]["describe"])

        if have_cls:
            img = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line.jpg")
            rc, out, err = bench("--url", target, "--protocol", "grpc", "--model", "cls",
                                 "--image", img, "--concurrency", "2", "--json", *SHORT)
            r = check_report(c, "grpc cls image", rc, out, err, [2])
            if r:
                c.true("grpc: image preprocessed with the config's preset",
                       "x FP32 [1,3,48,192]" in r["settings"]["bodies"][0]["describe"] and
                       "preset ppocr" in r["settings"]["bodies"][0]["describe"],
                       str(r["settings"]["bodies"]))

        keyed(c, repo)

        cases = [
            (["--url", target, "--protocol", "grpc", "--model", "nope"], 1,
             "ModelMetadata: gRPC NOT_FOUND: .*unknown model"),
            (["--url", "grpc://" + target, "--model", "add", "--format", "json"], 2,
             "--format json is HTTP-only"),
            (["--url", "grpc://" + target, "--model", "add", "--endpoint", "classify",
              "--image", npy], 2, "--endpoint classify is REST-only"),
            (["--url", "http://" + target, "--protocol", "grpc", "--model", "add"], 2,
             "expected HOST:PORT or grpc://HOST:PORT"),
            (["--url", target, "--protocol", "spdy", "--model", "add"], 2,
             "--protocol: expected http or grpc"),
        ]
        for args, want_rc, pattern in cases:
            rc, out, err = bench(*(args + SHORT))
            text = out + err
            c.true("grpc bad path %s: exit %d, /%s/" % (" ".join(args[2:]), want_rc, pattern),
                   rc == want_rc and re.search(pattern, text) is not None and
                   "Sanitizer" not in text, "rc %d: %s" % (rc, text[-800:]))
    finally:
        c.eq("server exit status", s.stop(), 0)
        s.close()


def keyed(c, repo):
    """A server that wants an API key: --api-key goes as `authorization` call metadata, to every
    call (metadata, config, inference, statistics); without it, UNAUTHENTICATED, named."""
    token = "tok-bench-grpc-51c2"
    keys = os.path.join(tempfile.mkdtemp(prefix="ei-keys-"), "keys")
    with open(keys, "w") as f:
        f.write("bench sha256:%s *\n" % hashlib.sha256(token.encode()).hexdigest())
    s = eiserver.Server(repo, "--api-keys", keys)
    target = "grpc://127.0.0.1:%d" % s.grpc_port
    try:
        rc, out, err = bench("--url", target, "--model", "add", "--api-key", token, "--json",
                             *SHORT)
        check_report(c, "grpc with an API key", rc, out, err, [1])
        rc, out, err = bench("--url", target, "--model", "add", *SHORT)
        c.true("grpc without the key: exit 1 naming UNAUTHENTICATED",
               rc == 1 and "ModelMetadata: gRPC UNAUTHENTICATED" in err, "rc %d: %s" % (rc, err))
    finally:
        c.eq("keyed server exit status", s.stop(), 0)
        s.close()


def stub_server(c):
    """ModelMetadata for 'm'; ModelInfer answers OK, NOT_FOUND, or never (in turn). Model 'img'
    takes a BYTES input: an --image goes into it as is (checked byte for byte)."""
    grpc, pb, pbg = grpcstubs.load()
    jpg_path = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line.jpg")
    jpg = open(jpg_path, "rb").read()
    release = threading.Event()
    lock = threading.Lock()
    count = [0]

    class Servicer(pbg.GRPCInferenceServiceServicer):
        def ModelMetadata(self, request, context):
            if request.name == "img":
                r = pb.ModelMetadataResponse(name="img", platform="stub")
                r.inputs.add(name="image", datatype="BYTES", shape=[-1])
                return r
            if request.name != "m":
                context.abort(grpc.StatusCode.NOT_FOUND, "unknown model '%s'" % request.name)
            r = pb.ModelMetadataResponse(name="m", platform="stub")
            r.inputs.add(name="in", datatype="INT64", shape=[2])
            return r

        def ModelInfer(self, request, context):
            if request.model_name == "img":
                if (list(request.inputs[0].shape) != [1] or request.inputs[0].datatype != "BYTES"
                        or request.raw_input_contents[0] != struct.pack("<I", len(jpg)) + jpg):
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, "not the image sent")
                return pb.ModelInferResponse(model_name="img")
            ok = (request.model_name == "m" and len(request.raw_input_contents) == 1 and
                  len(request.raw_input_contents[0]) == 16 and request.inputs[0].name == "in")
            with lock:
                k = count[0]
                count[0] += 1
            if not ok:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "not the request expected")
            if k % 3 == 1:
                context.abort(grpc.StatusCode.NOT_FOUND, "Request for unknown model: 'm'")
            if k % 3 == 2:
                release.wait(60)  # never answers in time: the client's deadline passes
            return pb.ModelInferResponse(model_name="m")

    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    pbg.add_GRPCInferenceServiceServicer_to_server(Servicer(), srv)
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    try:
        # A deadline of 5 s: the quick answers make it even on a loaded machine; the silent
        # calls (waiting 60 s) do not.
        rc, out, err = bench("--url", "grpc://127.0.0.1:%d" % port, "--model", "m", "--timeout",
                             "5", "--concurrency", "3", "--json", "--duration", "1",
                             "--warmup", "0", "--max-windows", "1", "--min-requests", "12",
                             "--quiet")
        c.eq("grpc stub: exit status", rc, 0)
        if rc == 0:
            doc = json.loads(out)
            st = doc["steps"][0]
            c.true("grpc stub: NOT_FOUND and DEADLINE_EXCEEDED counted by status",
                   st["errors"].get("NOT_FOUND", 0) > 0 and
                   st["errors"].get("DEADLINE_EXCEEDED", 0) > 0 and
                   set(st["errors"]) <= {"NOT_FOUND", "DEADLINE_EXCEEDED"}, str(st["errors"]))
            c.true("grpc stub: some ok", st["ok"] > 0, str(st))
            c.true("grpc stub: the window waited for 12 answers",
                   st["ok"] + st["errors_total"] >= 12, str(st))
            c.eq("grpc stub: no ModelStatistics, no server split", st["server"], None)
            c.true("grpc stub: first error kept", re.match(
                r"gRPC (NOT_FOUND: Request for unknown model|DEADLINE_EXCEEDED)",
                doc["first_error"] or "") is not None, str(doc["first_error"]))
        else:
            print(out, err)
        rc, out, err = bench("--url", "grpc://127.0.0.1:%d" % port, "--model", "img", "--image",
                             jpg_path, "--json", *SHORT)
        ok = rc == 0 and json.loads(out)["steps"][0]["errors_total"] == 0
        c.true("grpc stub: an image into a BYTES input, byte for byte", ok and
               json.loads(out)["steps"][0]["ok"] > 0 and "image BYTES [1] (%s (image/jpeg" %
               jpg_path in json.loads(out)["settings"]["bodies"][0]["describe"],
               "rc %d: %s %s" % (rc, out[-600:], err[-300:]))
    finally:
        release.set()
        srv.stop(None)


def silent_listener(c):
    """Accepts TCP connections (the kernel's backlog) and never speaks: the metadata call's
    deadline ends the run with exit 1 and the status named."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    try:
        rc, out, err = bench("--url", "grpc://127.0.0.1:%d" % ls.getsockname()[1], "--model",
                             "m", "--timeout", "0.5", *SHORT)
        c.true("silent server: exit 1 naming DEADLINE_EXCEEDED",
               rc == 1 and "DEADLINE_EXCEEDED" in err and "Sanitizer" not in err,
               "rc %d: %s" % (rc, err[-400:]))
    finally:
        ls.close()


def main():
    eiserver.check_env()
    c = eiserver.Checker()
    work = tempfile.mkdtemp(prefix="ei-bench-grpc-")
    real_server(c, work)
    silent_listener(c)
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
        stub_server(c)
    except ImportError:
        print("note: python3-grpcio / python3-grpc-tools missing: the stub server part skipped")
    return c.done()


if __name__ == "__main__":
    sys.exit(main())
