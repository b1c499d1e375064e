#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Round-trip latency of one /infer request carrying a 600 KB FP32 tensor (the size of a
1x3x224x224 image) and getting it back, through the `add` test model ([N,3] + [3]), three ways
side by side on one keep-alive connection: JSON-free binary body and binary reply; input and output
in system shared memory; and, for scale, a small 12-byte request. Rounds alternate the modes.
Usage: EI_BIN=build/cli/edgeinfer /usr/bin/python3 bench/server/shm_vs_binary.py [RUNS]"""
import http.client
import json
import os
import statistics
import struct
import sys
import tempfile
import time
from multiprocessing import shared_memory

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "server"))
os.environ.setdefault("EI_SOURCE_DIR", os.path.join(here, "..", ".."))
import eiserver as E  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
N = 50176  # rows of 3 floats: 602,112 bytes
root = tempfile.mkdtemp(prefix="ei-bench-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
s = E.Server(repo, "--allow-client-shm")
tag = "ei_bench_%d" % os.getpid()
nbytes = N * 3 * 4
shm = shared_memory.SharedMemory(name=tag, create=True, size=2 * nbytes + 4096)
a = struct.pack("<%df" % (N * 3), *([0.5] * (N * 3)))
shm.buf[0:nbytes] = a
conn = http.client.HTTPConnection("127.0.0.1", s.port)


def post(body, headers):
    conn.request("POST", "/v2/models/add/infer", body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200, (r.status, data[:200])
    return data


hdr = json.dumps({"inputs": [{"name": "a", "datatype": "FP32", "shape": [N, 3],
                              "parameters": {"binary_data_size": nbytes}},
                             {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}],
                  "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}).encode()
binary = (hdr + a, {"Inference-Header-Content-Length": str(len(hdr))})
shm_doc = json.dumps({"inputs": [
    {"name": "a", "datatype": "FP32", "shape": [N, 3],
     "parameters": {"shared_memory_region": "io", "shared_memory_byte_size": nbytes}},
    {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}],
    "outputs": [{"name": "y", "parameters": {"shared_memory_region": "io",
                                             "shared_memory_offset": nbytes + 4096,
                                             "shared_memory_byte_size": nbytes}}]}).encode()
small = json.dumps({"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
                               {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}]
                    }).encode()
modes = {"binary body + binary reply": binary, "system shared memory": (shm_doc, {}),
         "small JSON (12 bytes in)": (small, {})}
try:
    st, _, _ = s.request("POST", "/v2/systemsharedmemory/region/io/register",
                         {"key": "/" + tag, "offset": 0, "byte_size": 2 * nbytes + 4096})
    assert st == 200, st
    times = {m: [] for m in modes}
    for m, (body, h) in modes.items():  # warm-up
        for _ in range(10):
            post(body, h)
    for r in range(runs):
        for m, (body, h) in modes.items():
            t = time.perf_counter()
            post(body, h)
            if m == "system shared memory":
                bytes(shm.buf[nbytes + 4096:nbytes + 4096 + nbytes])  # the client reads y
            times[m].append((time.perf_counter() - t) * 1e3)
    print("| request (600 KB FP32 in, same out) | median ms | p10–p90 ms |")
    print("|---|---|---|")
    for m, ts in times.items():
        q = statistics.quantiles(ts, n=10)
        print("| %s | %.3f | %.3f–%.3f |" % (m, statistics.median(ts), q[0], q[-1]))
    print("\n%d rounds, modes alternated; one keep-alive connection; Python http.client" % runs)
finally:
    conn.close()
    s.stop()
    s.close()
    shm.close()
    shm.unlink()
