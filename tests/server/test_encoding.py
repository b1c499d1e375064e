#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""HTTP content codings, as tritonclient uses them (request_compression_algorithm /
response_compression_algorithm): gzip and deflate request bodies, JSON and binary, inflated before
parsing; Accept-Encoding answered with a compressed response; bad codings, corrupt, truncated and
trailing-garbage streams, and a decompression bomb refused with a clear error; curl --compressed."""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
s = E.Server(repo, "--max-body-bytes", "1000000")
c = E.Checker()
N = 400  # rows: a response of 1200 floats, well above the compression threshold
rows = [[i * 0.5, -i, i + 0.25] for i in range(N)]
doc = {"id": "z1", "inputs": [
    {"name": "a", "datatype": "FP32", "shape": [N, 3], "data": rows},
    {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}]}
want = [v + d for r in rows for v, d in zip(r, [1, 2, 3])]
plain = json.dumps(doc).encode()


def deflate(data):
    return zlib.compress(data)  # the zlib format, which HTTP calls "deflate"


def y_of(body):
    out = json.loads(body)["outputs"][0]
    return out["data"]


try:
    # Compressed requests, JSON.
    for name, enc in (("gzip", gzip.compress), ("deflate", deflate)):
        st, h, rb = s.request("POST", "/v2/models/add/infer", enc(plain),
                              {"Content-Encoding": name})
        c.eq("%s JSON request" % name, st, 200)
        if st == 200:
            c.eq("%s JSON request: result" % name, y_of(rb), want)
            c.true("%s JSON request: reply not compressed unasked" % name,
                   "Content-Encoding" not in h, h)
    st, h, rb = s.request("POST", "/v2/models/add/infer", gzip.compress(plain),
                          {"Content-Encoding": " GZIP "})
    c.eq("coding names are case-insensitive", st, 200)
    st, h, rb = s.request("POST", "/v2/models/add/infer", plain, {"Content-Encoding": "identity"})
    c.eq("identity coding", st, 200)

    # Compressed binary request: Inference-Header-Content-Length counts inflated bytes.
    a = struct.pack("<%df" % (3 * N), *[v for r in rows for v in r])
    b = struct.pack("<3f", 1, 2, 3)
    hdr = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [N, 3],
                       "parameters": {"binary_data_size": len(a)}},
                      {"name": "b", "datatype": "FP32", "shape": [3],
                       "parameters": {"binary_data_size": len(b)}}],
           "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}
    body, hl = E.binary_infer_body(hdr, [a, b])
    st, h, rb = s.request("POST", "/v2/models/add/infer", gzip.compress(body),
                          {"Content-Encoding": "gzip", "Inference-Header-Content-Length": str(hl)})
    c.eq("gzip binary request", st, 200)
    if st == 200:
        d, blobs = E.parse_binary_response(h, rb)
        c.eq("gzip binary request: result", list(struct.unpack("<%df" % (3 * N), blobs["y"])), want)

    # Compressed responses.
    for accept, name, dec in (("gzip", "gzip", gzip.decompress),
                              ("deflate", "deflate", zlib.decompress),
                              ("deflate, gzip;q=0.5", "gzip", gzip.decompress),
                              ("gzip;q=0, deflate", "deflate", zlib.decompress),
                              ("*", "gzip", gzip.decompress)):
        st, h, rb = s.request("POST", "/v2/models/add/infer", plain, {"Accept-Encoding": accept})
        c.eq("Accept-Encoding '%s'" % accept, st, 200)
        c.eq("Accept-Encoding '%s': Content-Encoding" % accept, h.get("Content-Encoding"), name)
        c.true("Accept-Encoding '%s': Vary" % accept, "Accept-Encoding" in h.get("Vary", ""), h)
        if st == 200 and h.get("Content-Encoding") == name:
            raw = dec(rb)
            c.true("Accept-Encoding '%s': smaller on the wire" % accept, len(rb) < len(raw))
            c.eq("Accept-Encoding '%s': result" % accept, y_of(raw), want)
            c.eq("Accept-Encoding '%s': id echoed" % accept, json.loads(raw)["id"], "z1")
    for accept in ("br", "gzip;q=0", "identity", "gzip;q=0, *"):
        st, h, rb = s.request("POST", "/v2/models/add/infer", plain, {"Accept-Encoding": accept})
        c.true("Accept-Encoding '%s': plain reply" % accept,
               st == 200 and "Content-Encoding" not in h and y_of(rb) == want, (st, h))
    small = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
                        {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}]}
    st, h, rb = s.request("POST", "/v2/models/add/infer", small, {"Accept-Encoding": "gzip"})
    c.true("small replies are not compressed", st == 200 and "Content-Encoding" not in h, h)
    # Binary response, compressed as a whole; the header length counts uncompressed bytes.
    st, h, rb = s.request("POST", "/v2/models/add/infer", body,
                          {"Inference-Header-Content-Length": str(hl), "Accept-Encoding": "gzip"})
    c.eq("binary reply, gzip", (st, h.get("Content-Encoding")), (200, "gzip"))
    if st == 200 and h.get("Content-Encoding") == "gzip":
        d, blobs = E.parse_binary_response(h, gzip.decompress(rb))
        c.eq("binary reply, gzip: result", list(struct.unpack("<%df" % (3 * N), blobs["y"])), want)
    # Errors are not compressed, whatever the client accepts.
    st, h, rb = s.request("POST", "/v2/models/nope/infer", plain, {"Accept-Encoding": "gzip"})
    c.true("404 reply not compressed", st == 404 and "Content-Encoding" not in h and
           "nope" in json.loads(rb)["error"], (st, h, rb[:100]))

    # Bad request bodies: 400 (or 413) with a message that says what was wrong.
    def bad(what, body, headers, want_st, needle):
        st, h, rb = s.request("POST", "/v2/models/add/infer", body, headers)
        msg = json.loads(rb).get("error", "") if rb.startswith(b"{") else ""
        c.eq(what + " -> %d" % want_st, st, want_st)
        c.true(what + ": message names '%s'" % needle, needle in msg, msg)

    gz = gzip.compress(plain)
    bad("unknown coding", gz, {"Content-Encoding": "br"}, 400, "'br'")
    bad("not gzip at all", plain, {"Content-Encoding": "gzip"}, 400, "not valid gzip")
    bad("corrupt gzip", gz[:20] + bytes(40) + gz[60:], {"Content-Encoding": "gzip"}, 400, "gzip")
    bad("truncated gzip", gz[:len(gz) // 2], {"Content-Encoding": "gzip"}, 400, "truncated")
    bad("garbage after gzip", gz + b"xyz", {"Content-Encoding": "gzip"}, 400, "after the end")
    bad("gzip sent as deflate", gz, {"Content-Encoding": "deflate"}, 400, "deflate")
    bomb = gzip.compress(b" " * 50000000)  # 50 MB of spaces in ~50 KB
    bad("decompression bomb", bomb, {"Content-Encoding": "gzip"}, 413, "limit of 1000000 bytes")
    # The inflated body is checked like any other: bad JSON inside good gzip.
    bad("bad JSON inside gzip", gzip.compress(b"{\"inputs\": ["), {"Content-Encoding": "gzip"},
        400, "JSON")
    c.eq("still serving after all that", s.request("GET", "/v2/health/ready")[0], 200)

    # curl --compressed (sends Accept-Encoding: deflate, gzip and inflates the reply).
    if shutil.which("curl"):
        url = "http://127.0.0.1:%d/v2/models/add/infer" % s.port
        p = subprocess.run(["curl", "-s", "--compressed", "-D", "-", "-H",
                            "Content-Type: application/json", "--data-binary", "@-", url],
                           input=plain, capture_output=True, timeout=60)
        head, _, rbody = p.stdout.partition(b"\r\n\r\n")
        c.true("curl --compressed: reply was compressed", b"content-encoding: " in head.lower(),
               head)
        c.eq("curl --compressed: result", y_of(rbody) if rbody else None, want)

    # Metrics count bytes as they crossed the wire.
    m = s.metrics()
    c.true("received-bytes metric present", "ei_http_received_bytes_total" in m)
finally:
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
