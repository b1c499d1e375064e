#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""HTTP/gRPC parity: the same request over REST (JSON and the binary extension) and over gRPC gets
the same answer (names, datatypes, shapes, bytes), the same metadata, the same repository index,
the same errors (the message text, and the HTTP status paired with its gRPC code), against one
server and one set of statistics."""
import json
import os
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402
import grpcstubs as G  # noqa: E402

E.check_env()
grpc, pb, pbg = G.load()
SC = grpc.StatusCode
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"))
have_cls = os.path.isdir(os.path.join(repo, "cls"))
c = E.Checker()
s = None

FMT = {"FP32": "f", "FP64": "d", "INT64": "q", "UINT8": "B", "BOOL": "?", "FP16": "e"}


def binary_of(dt, data):
    if dt == "BYTES":
        return b"".join(struct.pack("<I", len(x.encode())) + x.encode() for x in data)
    return struct.pack("<%d%s" % (len(data), FMT[dt]), *data)


def http_binary(s, model, inputs, outputs=None):
    """REST with the binary extension both ways: [(name, dt, shape, raw)] -> {name: (dt, shape, raw)}."""
    hdr = {"inputs": [{"name": n, "datatype": dt, "shape": sh,
                       "parameters": {"binary_data_size": len(raw)}} for n, dt, sh, raw in inputs],
           "parameters": {"binary_data_output": True}}
    if outputs:
        hdr["outputs"] = outputs
    h = json.dumps(hdr).encode()
    st, headers, body = s.request("POST", "/v2/models/%s/infer" % model,
                                  h + b"".join(raw for _, _, _, raw in inputs),
                                  {"Inference-Header-Content-Length": str(len(h))})
    if st != 200:
        return st, json.loads(body)["error"]
    n = int(headers["Inference-Header-Content-Length"])
    doc = json.loads(body[:n])
    out, off = {}, n
    for o in doc["outputs"]:
        size = o["parameters"]["binary_data_size"]
        out[o["name"]] = (o["datatype"], o["shape"], body[off:off + size])
        off += size
    return st, out


def grpc_raw(st, model, inputs, outputs=None):
    r = pb.ModelInferRequest(model_name=model)
    for n, dt, sh, raw in inputs:
        r.inputs.add(name=n, datatype=dt, shape=sh)
        r.raw_input_contents.append(raw)
    for o in outputs or []:
        ro = r.outputs.add(name=o["name"])
        if "classification" in o.get("parameters", {}):
            ro.parameters["classification"].int64_param = o["parameters"]["classification"]
    try:
        resp = st.ModelInfer(r)
    except grpc.RpcError as e:
        return e.code(), e.details()
    return SC.OK, {o.name: (o.datatype, list(o.shape), resp.raw_output_contents[i])
                   for i, o in enumerate(resp.outputs)}


try:
    s = E.Server(repo)
    ch, st = G.stub(grpc, pbg, s)

    cases = [("add", [("a", "FP32", [2, 3], binary_of("FP32", [1.5, 2, 3, -4, 5, 6.25])),
                      ("b", "FP32", [3], binary_of("FP32", [10, 20, 30]))], None),
             ("ident", [("in_s", "BYTES", [2], binary_of("BYTES", ["hello", "w\u00f6rld"])),
                        ("in_bo", "BOOL", [2], binary_of("BOOL", [True, False])),
                        ("in_i64", "INT64", [2], binary_of("INT64", [-9007199254740993, 7])),
                        ("in_f16", "FP16", [2], binary_of("FP16", [1.5, -0.25])),
                        ("in_bf16", "BF16", [2], b"\x00\x40\x40\xc0"),
                        ("in_u8", "UINT8", [2], binary_of("UINT8", [0, 255])),
                        ("in_f64", "FP64", [2], binary_of("FP64", [0.1, 1e300]))], None)]
    if have_cls:
        img = struct.pack("<f", 0.25) * (3 * 48 * 192) + struct.pack("<f", 0.75) * (3 * 48 * 192)
        cases.append(("cls", [("x", "FP32", [2, 3, 48, 192], img)],
                      [{"name": "softmax_0.tmp_0", "parameters": {"classification": 2}}]))
        cases.append(("cls", [("x", "FP32", [2, 3, 48, 192], img)], None))
    for model, inputs, outputs in cases:
        hs, hout = http_binary(s, model, inputs, outputs)
        gs, gout = grpc_raw(st, model, inputs, outputs)
        what = model + (" (classification)" if outputs else "")
        c.eq("%s: both answer" % what, (hs, gs), (200, SC.OK))
        c.eq("%s: same outputs (datatype, shape, bytes)" % what, gout, hout)

    # The JSON form answers the same numbers as gRPC's raw bytes.
    st_json, doc = s.post_json("/v2/models/add/infer", {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [2, 3], "data": [1.5, 2, 3, -4, 5, 6.25]},
        {"name": "b", "datatype": "FP32", "shape": [3], "data": [10, 20, 30]}]})
    gs, gout = grpc_raw(st, "add", cases[0][1])
    c.eq("add JSON = gRPC", [struct.pack("<f", x) for x in doc["outputs"][0]["data"]],
         [gout[doc["outputs"][0]["name"]][2][i:i + 4] for i in range(0, 24, 4)])

    # Same errors: same message, and the HTTP status paired with its gRPC code.
    bad = [("add", [("a", "FP32", [2, 3], b"\x00" * 20), ("b", "FP32", [3], b"\x00" * 12)]),
           ("nope", [("a", "FP32", [1], b"\x00" * 4)]),
           ("add", [("a", "INT8", [2, 3], b"\x00" * 6), ("b", "FP32", [3], b"\x00" * 12)])]
    pairs = {400: SC.INVALID_ARGUMENT, 404: SC.NOT_FOUND}
    for model, inputs in bad:
        hs, herr = http_binary(s, model, inputs)
        gs, gerr = grpc_raw(st, model, inputs)
        c.eq("error %s: status pair" % herr, (hs, gs), (hs, pairs.get(hs)))
        # The same text, each naming its own size field.
        c.eq("error %s: same message" % herr,
             (gerr or "").replace("its raw_input_contents size", "binary_data_size"), herr)

    # Same metadata and index.
    for model in ("add", "ident"):
        hm = s.get_json("/v2/models/" + model)[1]
        gm = st.ModelMetadata(pb.ModelMetadataRequest(name=model))
        c.eq("%s metadata" % model,
             (gm.name, list(gm.versions), gm.platform,
              [(t.name, t.datatype, list(t.shape)) for t in gm.inputs],
              [(t.name, t.datatype, list(t.shape)) for t in gm.outputs]),
             (hm["name"], hm["versions"], hm["platform"],
              [(t["name"], t["datatype"], t["shape"]) for t in hm["inputs"]],
              [(t["name"], t["datatype"], t["shape"]) for t in hm["outputs"]]))
    hidx = s.post_json("/v2/repository/index", {})[1]
    gidx = st.RepositoryIndex(pb.RepositoryIndexRequest())
    c.eq("repository index", sorted((m.name, m.version, m.state) for m in gidx.models),
         sorted((m["name"], m.get("version", ""), m["state"]) for m in hidx))
    gstats = st.ModelStatistics(pb.ModelStatisticsRequest(name="add")).model_stats[0]
    hstats = s.get_json("/v2/models/add/stats")[1]["model_stats"][0]
    c.eq("statistics (one set)", (gstats.inference_count, gstats.execution_count,
                                  gstats.inference_stats.success.count,
                                  gstats.inference_stats.fail.count),
         (hstats["inference_count"], hstats["execution_count"],
          hstats["inference_stats"]["success"]["count"], hstats["inference_stats"]["fail"]["count"]))
    ch.close()
    c.eq("exit 0", s.stop(), 0)
finally:
    rc = c.done(s)
    if s:
        s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
