#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Triton's system shared-memory extension: off by default (403, and infer parameters refused);
with --allow-client-shm, register / status / unregister, inputs read from and outputs written to
POSIX shared memory (at offsets, mixed with JSON data), and every error: unknown region, ranges
past the end, sizes that do not match the shape, a region too small for the result, duplicate
names, bad keys, bad bodies, wrong methods."""
import json
import os
import shutil
import struct
import sys
import tempfile
from multiprocessing import shared_memory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), with_cls=False)
c = E.Checker()
tag = "ei_test_%d" % os.getpid()
shm_in = shared_memory.SharedMemory(name=tag + "_in", create=True, size=4096)
shm_out = shared_memory.SharedMemory(name=tag + "_out", create=True, size=8192)
a = [1.5, 2, 3, -4, 5, 6.25]  # a: [2, 3]
b = [10, 20, 30]
shm_in.buf[0:24] = struct.pack("<6f", *a)
shm_in.buf[256:268] = struct.pack("<3f", *b)
want = [x + b[i % 3] for i, x in enumerate(a)]


def shm_input(name, shape, region, offset, size):
    p = {"shared_memory_region": region, "shared_memory_byte_size": size}
    if offset is not None:
        p["shared_memory_offset"] = offset
    return {"name": name, "datatype": "FP32", "shape": shape, "parameters": p}


def err_of(body):
    try:
        return json.loads(body).get("error", "")
    except ValueError:
        return ""


servers = []
try:
    # Off by default.
    s = E.Server(repo)
    servers.append(s)
    st, doc = s.get_json("/v2")
    c.true("off: extension not advertised", "system_shared_memory" not in doc["extensions"], doc)
    c.eq("off: status is an empty list", s.get_json("/v2/systemsharedmemory/status"), (200, []))
    st, h, rb = s.request("POST", "/v2/systemsharedmemory/region/in/register",
                          {"key": "/" + tag + "_in", "offset": 0, "byte_size": 4096})
    c.eq("off: register -> 403", st, 403)
    c.true("off: message names the flag", "--allow-client-shm" in err_of(rb), rb)
    st, doc = s.post_json("/v2/models/add/infer", {"inputs": [
        shm_input("a", [2, 3], "in", 0, 24), {"name": "b", "datatype": "FP32", "shape": [3],
                                              "data": b}]})
    c.eq("off: infer with shm -> 400", st, 400)
    c.true("off: infer message names the flag", "--allow-client-shm" in doc["error"], doc)
    c.eq("off: cuda status is an empty list", s.get_json("/v2/cudasharedmemory/status"), (200, []))
    c.eq("SIGTERM exit 0 (off)", s.stop(), 0)

    # On.
    s = E.Server(repo, "--allow-client-shm")
    servers.append(s)
    st, doc = s.get_json("/v2")
    c.true("on: extension advertised", "system_shared_memory" in doc["extensions"], doc)
    reg = lambda n, body: s.request("POST", "/v2/systemsharedmemory/region/%s/register" % n,  # noqa
                                    body)
    c.eq("register in", reg("in", {"key": "/" + tag + "_in", "offset": 0, "byte_size": 4096})[0],
         200)
    # An offset that is not page-aligned: the region starts 4100 bytes into the object.
    c.eq("register out at offset 4100",
         reg("out", {"key": "/" + tag + "_out", "offset": 4100, "byte_size": 4000})[0], 200)
    st, doc = s.get_json("/v2/systemsharedmemory/status")
    c.eq("status lists both", sorted((d["name"], d["key"], d["offset"], d["byte_size"])
                                     for d in doc),
         [("in", "/" + tag + "_in", 0, 4096), ("out", "/" + tag + "_out", 4100, 4000)])
    st, doc = s.get_json("/v2/systemsharedmemory/region/out/status")
    c.eq("status of one region", (st, [d["name"] for d in doc]), (200, ["out"]))

    # Inputs from shared memory, output into it.
    req = {"id": "shm1", "inputs": [shm_input("a", [2, 3], "in", None, 24),
                                    shm_input("b", [3], "in", 256, 12)],
           "outputs": [{"name": "y", "parameters": {"shared_memory_region": "out",
                                                    "shared_memory_offset": 16,
                                                    "shared_memory_byte_size": 64}}]}
    shm_out.buf[4100:4100 + 200] = bytes(200)
    st, doc = s.post_json("/v2/models/add/infer", req)
    c.eq("infer through shared memory", st, 200)
    if st == 200:
        o = doc["outputs"][0]
        c.eq("output listed without data", ("data" in o, o["shape"], o["datatype"]),
             (False, [2, 3], "FP32"))
        c.eq("output parameters", o.get("parameters"),
             {"shared_memory_region": "out", "shared_memory_byte_size": 24})
        got = list(struct.unpack("<6f", bytes(shm_out.buf[4116:4140])))
        c.eq("result written at region offset 16", got, want)
        c.eq("bytes around it untouched", bytes(shm_out.buf[4100:4116]) + bytes(
            shm_out.buf[4140:4160]), bytes(36))
    # Mixed: a from shared memory, b as JSON, y as JSON.
    st, doc = s.post_json("/v2/models/add/infer", {"inputs": [
        shm_input("a", [2, 3], "in", 0, 24), {"name": "b", "datatype": "FP32", "shape": [3],
                                              "data": b}]})
    c.eq("mixed shm + JSON", (st, doc["outputs"][0]["data"] if st == 200 else doc), (200, want))
    # The client changes the buffer; the next request sees it (nothing is cached).
    shm_in.buf[0:4] = struct.pack("<f", 100)
    st, doc = s.post_json("/v2/models/add/infer", {"inputs": [
        shm_input("a", [2, 3], "in", 0, 24), shm_input("b", [3], "in", 256, 12)]})
    c.eq("reads the current contents", doc["outputs"][0]["data"][0] if st == 200 else doc, 110)

    # Errors.
    def bad(what, doc, want_st, needle, path="/v2/models/add/infer"):
        st, h, rb = s.request("POST", path, doc)
        c.eq(what + " -> %d" % want_st, st, want_st)
        c.true(what + ": message names '%s'" % needle, needle in err_of(rb), rb[:300])

    jb = {"name": "b", "datatype": "FP32", "shape": [3], "data": b}
    bad("unknown region", {"inputs": [shm_input("a", [2, 3], "nope", 0, 24), jb]}, 400, "'nope'")
    bad("range past the region", {"inputs": [shm_input("a", [2, 3], "in", 4090, 24), jb]}, 400,
        "past the end")
    bad("size does not match the shape", {"inputs": [shm_input("a", [2, 3], "in", 0, 20), jb]},
        400, "shared_memory_byte_size is 20")
    bad("region without byte size", {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [2, 3],
         "parameters": {"shared_memory_region": "in"}}, jb]}, 400, "shared_memory_byte_size")
    bad("shm and data together", {"inputs": [dict(shm_input("a", [2, 3], "in", 0, 24),
                                                  data=a), jb]}, 400, "not several")
    bad("output region too small", {"inputs": [shm_input("a", [2, 3], "in", 0, 24), jb],
                                    "outputs": [{"name": "y", "parameters": {
                                        "shared_memory_region": "out",
                                        "shared_memory_byte_size": 20}}]}, 400,
        "smaller than the result (24 bytes)")
    bad("output range past the region", {"inputs": [shm_input("a", [2, 3], "in", 0, 24), jb],
                                         "outputs": [{"name": "y", "parameters": {
                                             "shared_memory_region": "out",
                                             "shared_memory_offset": 3990,
                                             "shared_memory_byte_size": 24}}]}, 400,
        "past the end")
    bad("duplicate region name", {"key": "/" + tag + "_in", "offset": 0, "byte_size": 16}, 400,
        "already registered", "/v2/systemsharedmemory/region/in/register")
    bad("key without a slash", {"key": tag + "_in", "offset": 0, "byte_size": 16}, 400,
        "'/name'", "/v2/systemsharedmemory/region/k1/register")
    bad("key with a path", {"key": "/../etc/passwd", "offset": 0, "byte_size": 16}, 400,
        "'/name'", "/v2/systemsharedmemory/region/k2/register")
    bad("missing key", {"key": "/" + tag + "_none", "offset": 0, "byte_size": 16}, 404,
        "cannot open key", "/v2/systemsharedmemory/region/k3/register")
    bad("range past the object", {"key": "/" + tag + "_in", "offset": 4000, "byte_size": 200},
        400, "past the end", "/v2/systemsharedmemory/region/k4/register")
    bad("bad register body", {"key": 5}, 400, "byte_size",
        "/v2/systemsharedmemory/region/k5/register")
    c.eq("status of an unknown region -> 404",
         s.request("GET", "/v2/systemsharedmemory/region/zz/status")[0], 404)
    c.eq("GET register -> 405",
         s.request("GET", "/v2/systemsharedmemory/region/in/register")[0], 405)
    c.eq("cuda register -> 400", s.request("POST", "/v2/cudasharedmemory/region/g/register",
                                           {"raw_handle": {}})[0], 400)

    # Unregister one, an unknown one, then all.
    c.eq("unregister in", s.request("POST", "/v2/systemsharedmemory/region/in/unregister")[0], 200)
    bad("infer on an unregistered region", {"inputs": [shm_input("a", [2, 3], "in", 0, 24), jb]},
        400, "not registered")
    c.eq("unregister unknown is fine",
         s.request("POST", "/v2/systemsharedmemory/region/zz/unregister")[0], 200)
    c.eq("unregister all", s.request("POST", "/v2/systemsharedmemory/unregister")[0], 200)
    c.eq("status empty after", s.get_json("/v2/systemsharedmemory/status"), (200, []))
    c.eq("SIGTERM exit 0 (on)", s.stop(), 0)
finally:
    rc = c.done(servers[-1] if servers else None)
    for sv in servers:
        sv.close()
    for m in (shm_in, shm_out):
        m.close()
        m.unlink()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
