#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The gRPC endpoint (inference.GRPCInferenceService) with python3-grpcio and stubs generated from
the project's .proto: every method, typed and raw tensors in every datatype, classification,
output selection, errors with Triton's status codes, gzip/deflate compression both ways, the
message size limit, streaming (with an error in the middle of a stream), system shared memory,
CUDA shared memory refused, the repository API, trace/log settings, and the per-call gRPC families
on /metrics (exact counts by method and status code, duration histograms, message bytes)."""
import os
import shutil
import struct
import sys
import tempfile
import time
from multiprocessing import shared_memory

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
servers = []


def samples(text):
    """Prometheus text -> {(name, frozenset of label pairs): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, _, rest = head.partition("{")
        labels = frozenset(tuple(kv.split("=", 1)) for kv in rest.rstrip("}").split(",") if kv)
        out[(name, labels)] = float(value)
    return out


def grpc_metrics(s):
    return {k: v for k, v in samples(s.metrics()).items() if k[0].startswith("ei_grpc_")}


def add_request(a=(1, 2, 3, 4, 5, 6), b=(10, 20, 30), raw=False, model="add", rid=""):
    r = pb.ModelInferRequest(model_name=model, id=rid)
    ia = r.inputs.add(name="a", datatype="FP32", shape=[2, 3])
    ib = r.inputs.add(name="b", datatype="FP32", shape=[3])
    if raw:
        r.raw_input_contents.append(struct.pack("<%df" % len(a), *a))
        r.raw_input_contents.append(struct.pack("<%df" % len(b), *b))
    else:
        ia.contents.fp32_contents.extend(a)
        ib.contents.fp32_contents.extend(b)
    return r


def floats(raw):
    return list(struct.unpack("<%df" % (len(raw) // 4), raw))


WANT_ADD = [11, 22, 33, 14, 25, 36]
# name, datatype, InferTensorContents field, values, struct format of one element
TYPED = [("bo", "BOOL", "bool_contents", [True, False, True], "?"),
         ("u8", "UINT8", "uint_contents", [0, 7, 255], "B"),
         ("i8", "INT8", "int_contents", [-128, 0, 127], "b"),
         ("u16", "UINT16", "uint_contents", [0, 65535, 3], "H"),
         ("i16", "INT16", "int_contents", [-32768, 32767, 0], "h"),
         ("u32", "UINT32", "uint_contents", [0, 4294967295, 9], "I"),
         ("i32", "INT32", "int_contents", [-2147483648, 2147483647, 1], "i"),
         ("u64", "UINT64", "uint64_contents", [0, 18446744073709551615, 2], "Q"),
         ("i64", "INT64", "int64_contents", [-9007199254740993, 7, 0], "q"),
         ("f32", "FP32", "fp32_contents", [1.5, -0.25, 3e38], "f"),
         ("f64", "FP64", "fp64_contents", [0.1, 1e300, -2.5], "d"),
         ("s", "BYTES", "bytes_contents", [b"hello", b"w\xc3\xb6rld\x00", b""], None)]


def pack(fmt, vals):
    if fmt is None:
        return b"".join(struct.pack("<I", len(v)) + v for v in vals)
    return struct.pack("<%d%s" % (len(vals), fmt), *vals)


def make_typed_model(repo):
    """An identity model over every datatype that has a typed contents field (python3-onnx)."""
    try:
        import onnx
        from onnx import TensorProto as T, helper as h
    except ImportError:
        return False
    types = {"BOOL": T.BOOL, "UINT8": T.UINT8, "INT8": T.INT8, "UINT16": T.UINT16,
             "INT16": T.INT16, "UINT32": T.UINT32, "INT32": T.INT32, "UINT64": T.UINT64,
             "INT64": T.INT64, "FP32": T.FLOAT, "FP64": T.DOUBLE, "BYTES": T.STRING}
    ins = [h.make_tensor_value_info("in_" + n, types[dt], [None]) for n, dt, _, _, _ in TYPED]
    outs = [h.make_tensor_value_info("out_" + n, types[dt], [None]) for n, dt, _, _, _ in TYPED]
    nodes = [h.make_node("Identity", ["in_" + n], ["out_" + n]) for n, _, _, _, _ in TYPED]
    m = h.make_model(h.make_graph(nodes, "typed", ins, outs),
                     opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 8
    os.makedirs(os.path.join(repo, "typed", "1"))
    onnx.save(m, os.path.join(repo, "typed", "1", "model.onnx"))
    with open(os.path.join(repo, "typed", "config.pbtxt"), "w") as f:
        f.write('name: "typed"\nmax_batch_size: 0\n')
    return True

typed_ok = make_typed_model(repo)
try:
    s = E.Server(repo)
    servers.append(s)
    c.true("port file names the gRPC port", s.grpc_port > 0, s.grpc_port)
    ch, st = G.stub(grpc, pbg, s)

    # Health and metadata.
    c.eq("ServerLive", st.ServerLive(pb.ServerLiveRequest()).live, True)
    c.eq("ServerReady", st.ServerReady(pb.ServerReadyRequest()).ready, True)
    c.eq("ModelReady add", st.ModelReady(pb.ModelReadyRequest(name="add")).ready, True)
    c.eq("ModelReady add v1", st.ModelReady(pb.ModelReadyRequest(name="add", version="1")).ready,
         True)
    c.eq("ModelReady unknown -> not ready", st.ModelReady(pb.ModelReadyRequest(name="nope")).ready,
         False)
    c.eq("ModelReady bad version", G.code_of(grpc, st.ModelReady,
                                             pb.ModelReadyRequest(name="add", version="x"))[0],
         SC.INVALID_ARGUMENT)
    md = st.ServerMetadata(pb.ServerMetadataRequest())
    http_md = s.get_json("/v2")[1]
    c.eq("ServerMetadata name", md.name, "edgeinfer")
    c.eq("ServerMetadata = HTTP /v2", (md.version, list(md.extensions)),
         (http_md["version"], http_md["extensions"]))
    mm = st.ModelMetadata(pb.ModelMetadataRequest(name="add"))
    c.eq("ModelMetadata inputs", [(t.name, t.datatype, list(t.shape)) for t in mm.inputs],
         [("a", "FP32", [-1, 3]), ("b", "FP32", [3])])
    c.eq("ModelMetadata versions/platform", (list(mm.versions), mm.platform),
         (["1"], "onnxruntime_onnx"))
    c.eq("ModelMetadata unknown -> NOT_FOUND",
         G.code_of(grpc, st.ModelMetadata, pb.ModelMetadataRequest(name="nope"))[0], SC.NOT_FOUND)
    cfg = st.ModelConfig(pb.ModelConfigRequest(name="ident")).config
    http_cfg = s.get_json("/v2/models/ident/config")[1]
    c.eq("ModelConfig = HTTP config (name, batch, inputs, types)",
         (cfg.name, cfg.max_batch_size, [(i.name, pb.DataType.Name(i.data_type)) for i in cfg.input]),
         (http_cfg["name"], http_cfg["max_batch_size"],
          [(i["name"], i["data_type"]) for i in http_cfg["input"]]))
    c.eq("ModelConfig dynamic batching", cfg.HasField("dynamic_batching"),
         "dynamic_batching" in http_cfg)
    c.eq("ModelConfig unknown -> NOT_FOUND",
         G.code_of(grpc, st.ModelConfig, pb.ModelConfigRequest(name="nope"))[0], SC.NOT_FOUND)

    # Inference: typed contents, raw contents, id, output selection.
    r = st.ModelInfer(add_request(rid="req-1"))
    c.eq("ModelInfer typed: answer", floats(r.raw_output_contents[0]), WANT_ADD)
    c.eq("ModelInfer: id echoed, model, version", (r.id, r.model_name, r.model_version),
         ("req-1", "add", "1"))
    c.eq("ModelInfer: output tensor", (r.outputs[0].datatype, list(r.outputs[0].shape)),
         ("FP32", [2, 3]))
    r = st.ModelInfer(add_request(raw=True))
    c.eq("ModelInfer raw_input_contents", floats(r.raw_output_contents[0]), WANT_ADD)
    rq = add_request()
    rq.outputs.add(name=r.outputs[0].name)
    c.eq("ModelInfer with outputs named", len(st.ModelInfer(rq).outputs), 1)

    # Every datatype with a typed contents field, through a test-made identity model (typed and raw
    # give the same bytes back); then the bundled identity model, raw, FP16/BF16 included.
    if typed_ok:
        rq = pb.ModelInferRequest(model_name="typed")
        raw = pb.ModelInferRequest(model_name="typed")
        for name, dt, field, vals, fmt in TYPED:
            t = rq.inputs.add(name="in_" + name, datatype=dt, shape=[len(vals)])
            getattr(t.contents, field).extend(vals)
            raw.inputs.add(name="in_" + name, datatype=dt, shape=[len(vals)])
            raw.raw_input_contents.append(pack(fmt, vals))
        for what, req in (("typed", rq), ("raw", raw)):
            code, det = G.code_of(grpc, st.ModelInfer, req)
            c.eq("every typed datatype (%s)" % what, code, SC.OK)
            if code != SC.OK:
                print(det)
                continue
            out = st.ModelInfer(req)
            got = {o.name: out.raw_output_contents[i] for i, o in enumerate(out.outputs)}
            for name, dt, field, vals, fmt in TYPED:
                c.eq("%s out (%s)" % (dt, what), got.get("out_" + name), pack(fmt, vals))
        bad = pb.ModelInferRequest(model_name="typed")
        bad.CopyFrom(rq)
        bad.inputs[2].contents.int_contents[0] = 300  # INT8
        code, det = G.code_of(grpc, st.ModelInfer, bad)
        c.true("INT8 out of range -> INVALID_ARGUMENT", code == SC.INVALID_ARGUMENT and
               "range" in (det or ""), (code, det))
    rq16 = pb.ModelInferRequest(model_name="ident")
    raws = [struct.pack("<I", 5) + b"hello" + struct.pack("<I", 7) + b"w\xc3\xb6rld\x00",
            b"\x01\x00", struct.pack("<2q", -9007199254740993, 7), struct.pack("<2e", 1.5, -0.25),
            b"\x00\x40\x40\xc0", b"\x00\xff", struct.pack("<2d", 0.1, 1e300)]
    for (name, dt), rw in zip([("s", "BYTES"), ("bo", "BOOL"), ("i64", "INT64"), ("f16", "FP16"),
                               ("bf16", "BF16"), ("u8", "UINT8"), ("f64", "FP64")], raws):
        rq16.inputs.add(name="in_" + name, datatype=dt, shape=[2])
        rq16.raw_input_contents.append(rw)
    code, det = G.code_of(grpc, st.ModelInfer, rq16)
    c.eq("ident raw (FP16/BF16 too)", code, SC.OK)
    if code == SC.OK:
        out = st.ModelInfer(rq16)
        got = [(o.name, o.datatype, list(o.shape), out.raw_output_contents[i])
               for i, o in enumerate(out.outputs)]
        c.eq("ident raw: every output back", sorted(g[3] for g in got), sorted(raws))

    if have_cls:
        rq = pb.ModelInferRequest(model_name="cls")
        rq.inputs.add(name="x", datatype="FP32", shape=[1, 3, 48, 192])
        rq.raw_input_contents.append(struct.pack("<f", 0.5) * (3 * 48 * 192))
        o = rq.outputs.add(name="softmax_0.tmp_0")
        o.parameters["classification"].int64_param = 2
        out = st.ModelInfer(rq)
        raw = out.raw_output_contents[0]
        n1 = struct.unpack("<I", raw[:4])[0]
        first = raw[4:4 + n1].decode()
        c.eq("classification: BYTES [1,2]", (out.outputs[0].datatype, list(out.outputs[0].shape)),
             ("BYTES", [1, 2]))
        c.true("classification: value:index:label", first.count(":") == 2 and
               first.split(":")[2] in ("0", "180"), first)

    # Errors, with Triton's status codes and messages naming what was wrong.
    code, det = G.code_of(grpc, st.ModelInfer, add_request(model="nope"))
    c.eq("unknown model -> NOT_FOUND", code, SC.NOT_FOUND)
    c.true("unknown model: message names it", "nope" in (det or ""), det)
    code, det = G.code_of(grpc, st.ModelInfer, add_request(a=(1, 2, 3)))
    c.eq("wrong element count -> INVALID_ARGUMENT", code, SC.INVALID_ARGUMENT)
    c.true("wrong element count: names the input", "'a'" in (det or ""), det)
    bad = add_request(raw=True)
    del bad.raw_input_contents[1]
    code, det = G.code_of(grpc, st.ModelInfer, bad)
    c.eq("raw_input_contents short -> INVALID_ARGUMENT", code, SC.INVALID_ARGUMENT)
    bad = add_request(raw=True)
    bad.raw_input_contents[0] = b"\x00" * 5
    c.eq("raw size mismatch -> INVALID_ARGUMENT", G.code_of(grpc, st.ModelInfer, bad)[0],
         SC.INVALID_ARGUMENT)
    bad = add_request()
    bad.inputs[0].datatype = "FP33"
    c.eq("unknown datatype -> INVALID_ARGUMENT", G.code_of(grpc, st.ModelInfer, bad)[0],
         SC.INVALID_ARGUMENT)
    bad = pb.ModelInferRequest(model_name="ident")
    bad.inputs.add(name="in_f16", datatype="FP16", shape=[2]).contents.fp32_contents.extend([1, 2])
    code, det = G.code_of(grpc, st.ModelInfer, bad)
    c.true("FP16 typed -> INVALID_ARGUMENT, says raw", code == SC.INVALID_ARGUMENT and
           "raw_input_contents" in (det or ""), (code, det))
    bad = add_request()
    bad.outputs.add(name="nope")
    code, det = G.code_of(grpc, st.ModelInfer, bad)
    c.true("unknown output -> INVALID_ARGUMENT", code == SC.INVALID_ARGUMENT and "nope" in det,
           (code, det))
    c.eq("bad model version -> INVALID_ARGUMENT",
         G.code_of(grpc, st.ModelInfer, pb.ModelInferRequest(model_name="add",
                                                             model_version="-3"))[0],
         SC.INVALID_ARGUMENT)
    c.eq("no inputs -> INVALID_ARGUMENT",
         G.code_of(grpc, st.ModelInfer, pb.ModelInferRequest(model_name="add"))[0],
         SC.INVALID_ARGUMENT)
    garbage = ch.unary_unary("/inference.GRPCInferenceService/ModelInfer",
                             request_serializer=lambda b: b, response_deserializer=lambda b: b)
    code, det = G.code_of(grpc, garbage, b"\xff\xff\xff\xff\x0f")
    c.true("undecodable message -> INVALID_ARGUMENT", code == SC.INVALID_ARGUMENT and
           "ModelInferRequest" in (det or ""), (code, det))
    unknown = ch.unary_unary("/inference.GRPCInferenceService/NoSuchMethod",
                             request_serializer=lambda b: b, response_deserializer=lambda b: b)
    c.eq("unknown method -> UNIMPLEMENTED", G.code_of(grpc, unknown, b"")[0], SC.UNIMPLEMENTED)

    # Compression: requests in gzip and deflate; the server inflates them.
    for name, alg in (("gzip", grpc.Compression.Gzip), ("deflate", grpc.Compression.Deflate)):
        r = st.ModelInfer(add_request(raw=True), compression=alg)
        c.eq("%s-compressed request" % name, floats(r.raw_output_contents[0]), WANT_ADD)

    # Streaming: several requests, one of them bad; each answered, the stream ends OK.
    reqs = [add_request(rid="s%d" % i) for i in range(4)]
    reqs.insert(2, add_request(model="nope", rid="bad"))
    got = list(st.ModelStreamInfer(iter(reqs)))
    c.eq("stream: one answer per request", len(got), 5)
    errs = [g.error_message for g in got if g.error_message]
    c.true("stream: the bad request answered with error_message",
           len(errs) == 1 and "nope" in errs[0], errs)
    ok = sorted(g.infer_response.id for g in got if not g.error_message)
    c.eq("stream: the good ones answered", ok, ["s0", "s1", "s2", "s3"])
    c.true("stream: answers right", all(floats(g.infer_response.raw_output_contents[0]) == WANT_ADD
                                        for g in got if not g.error_message))
    c.eq("empty stream ends OK", list(st.ModelStreamInfer(iter([]))), [])

    # Statistics: one set for both protocols.
    before = [m for m in st.ModelStatistics(pb.ModelStatisticsRequest(name="add")).model_stats]
    n0 = before[0].inference_stats.success.count
    st.ModelInfer(add_request())
    s.post_json("/v2/models/add/infer", {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]},
        {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 2, 3]}]})
    after = st.ModelStatistics(pb.ModelStatisticsRequest(name="add", version="1")).model_stats
    c.eq("statistics count gRPC + HTTP", after[0].inference_stats.success.count, n0 + 2)
    http_stats = s.get_json("/v2/models/add/stats")[1]["model_stats"][0]
    c.eq("statistics = HTTP /stats", after[0].inference_stats.success.count,
         http_stats["inference_stats"]["success"]["count"])
    c.eq("statistics unknown model -> NOT_FOUND",
         G.code_of(grpc, st.ModelStatistics, pb.ModelStatisticsRequest(name="nope"))[0],
         SC.NOT_FOUND)
    c.true("statistics of every model",
           {m.name for m in st.ModelStatistics(pb.ModelStatisticsRequest()).model_stats} >=
           {"add", "ident"})

    # Repository API in mode none: index works, load/unload refused as Triton does.
    idx = st.RepositoryIndex(pb.RepositoryIndexRequest(ready=True))
    c.true("RepositoryIndex", {(m.name, m.state) for m in idx.models} >=
           {("add", "READY"), ("ident", "READY")}, idx)
    c.eq("load in mode none -> UNIMPLEMENTED",
         G.code_of(grpc, st.RepositoryModelLoad, pb.RepositoryModelLoadRequest(model_name="add"))[0],
         SC.UNIMPLEMENTED)

    # Shared memory: off by default; CUDA never.
    c.eq("shm status (off): empty", len(st.SystemSharedMemoryStatus(
        pb.SystemSharedMemoryStatusRequest()).regions), 0)
    code, det = G.code_of(grpc, st.SystemSharedMemoryRegister, pb.SystemSharedMemoryRegisterRequest(
        name="r", key="/x", byte_size=64))
    c.true("shm register (off) -> PERMISSION_DENIED naming the flag",
           code == SC.PERMISSION_DENIED and "--allow-client-shm" in det, (code, det))
    code, det = G.code_of(grpc, st.CudaSharedMemoryRegister, pb.CudaSharedMemoryRegisterRequest(
        name="r", byte_size=64))
    c.true("CUDA shm register -> UNIMPLEMENTED, says so", code == SC.UNIMPLEMENTED and
           "CUDA" in det, (code, det))
    c.eq("CUDA shm status: empty", len(st.CudaSharedMemoryStatus(
        pb.CudaSharedMemoryStatusRequest()).regions), 0)

    # Settings (read-only).
    ts = st.TraceSetting(pb.TraceSettingRequest())
    c.eq("TraceSetting trace_level", list(ts.settings["trace_level"].value), ["OFF"])
    upd = pb.TraceSettingRequest()
    upd.settings["trace_level"].value.append("TIMESTAMPS")
    c.eq("TraceSetting update -> UNIMPLEMENTED", G.code_of(grpc, st.TraceSetting, upd)[0],
         SC.UNIMPLEMENTED)
    ls = st.LogSettings(pb.LogSettingsRequest())
    c.eq("LogSettings log_verbose_level", ls.settings["log_verbose_level"].uint32_param, 0)
    ch.close()

    # Limits and response compression.
    s2 = E.Server(repo, "--grpc-max-message-bytes", "4096",
                  "--grpc-infer-response-compression-level", "high")
    servers.append(s2)
    ch2, st2 = G.stub(grpc, pbg, s2)
    c.eq("compressed answers read back", floats(st2.ModelInfer(add_request()).raw_output_contents[0]),
         WANT_ADD)
    big = add_request(raw=True)
    big.raw_input_contents[0] = b"\x00" * 8192
    c.eq("message over --grpc-max-message-bytes -> RESOURCE_EXHAUSTED",
         G.code_of(grpc, st2.ModelInfer, big)[0], SC.RESOURCE_EXHAUSTED)
    ch2.close()

    # Shared memory on, and the repository in explicit mode.
    tag = "ei_grpc_%d" % os.getpid()
    shm_in = shared_memory.SharedMemory(name=tag + "_in", create=True, size=4096)
    shm_out = shared_memory.SharedMemory(name=tag + "_out", create=True, size=4096)
    try:
        shm_in.buf[0:24] = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
        shm_in.buf[64:76] = struct.pack("<3f", 10, 20, 30)
        s3 = E.Server(repo, "--allow-client-shm", "--model-control-mode", "explicit",
                      "--load-model", "add")
        servers.append(s3)
        ch3, st3 = G.stub(grpc, pbg, s3)
        for name in ("in", "out"):
            st3.SystemSharedMemoryRegister(pb.SystemSharedMemoryRegisterRequest(
                name=name, key="/%s_%s" % (tag, name), offset=0, byte_size=4096))
        regs = st3.SystemSharedMemoryStatus(pb.SystemSharedMemoryStatusRequest()).regions
        c.eq("shm status lists both", sorted(regs.keys()), ["in", "out"])
        c.eq("shm status fields", (regs["in"].key, regs["in"].byte_size),
             ("/%s_in" % tag, 4096))
        rq = pb.ModelInferRequest(model_name="add")
        for nm, shape, off, size in (("a", [2, 3], 0, 24), ("b", [3], 64, 12)):
            t = rq.inputs.add(name=nm, datatype="FP32", shape=shape)
            t.parameters["shared_memory_region"].string_param = "in"
            t.parameters["shared_memory_offset"].int64_param = off
            t.parameters["shared_memory_byte_size"].int64_param = size
        oname = st3.ModelMetadata(pb.ModelMetadataRequest(name="add")).outputs[0].name
        o = rq.outputs.add(name=oname)
        o.parameters["shared_memory_region"].string_param = "out"
        o.parameters["shared_memory_byte_size"].int64_param = 4096
        out = st3.ModelInfer(rq)
        c.eq("shm in and out: answer in the region",
             list(struct.unpack("<6f", bytes(shm_out.buf[0:24]))), WANT_ADD)
        c.eq("shm out: the output names its region",
             out.outputs[0].parameters["shared_memory_region"].string_param, "out")
        rq.inputs[0].parameters["shared_memory_byte_size"].int64_param = 20
        code, det = G.code_of(grpc, st3.ModelInfer, rq)
        c.true("shm size mismatch -> INVALID_ARGUMENT", code == SC.INVALID_ARGUMENT, (code, det))
        rq.inputs[0].parameters["shared_memory_region"].string_param = "nope"
        c.eq("unknown region -> error", G.code_of(grpc, st3.ModelInfer, rq)[0] != SC.OK, True)
        st3.SystemSharedMemoryUnregister(pb.SystemSharedMemoryUnregisterRequest(name="in"))
        c.eq("unregister one", sorted(st3.SystemSharedMemoryStatus(
            pb.SystemSharedMemoryStatusRequest()).regions.keys()), ["out"])
        st3.SystemSharedMemoryUnregister(pb.SystemSharedMemoryUnregisterRequest())
        c.eq("unregister all", len(st3.SystemSharedMemoryStatus(
            pb.SystemSharedMemoryStatusRequest()).regions), 0)

        c.eq("explicit: ident not loaded", st3.ModelReady(pb.ModelReadyRequest(name="ident")).ready,
             False)
        st3.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="ident"))
        c.eq("explicit: load ident", st3.ModelReady(pb.ModelReadyRequest(name="ident")).ready, True)
        st3.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="ident"))
        c.eq("explicit: unload ident", st3.ModelReady(pb.ModelReadyRequest(name="ident")).ready,
             False)
        c.eq("explicit: load unknown -> NOT_FOUND", G.code_of(
            grpc, st3.RepositoryModelLoad, pb.RepositoryModelLoadRequest(model_name="nope"))[0],
            SC.NOT_FOUND)
        lp = pb.RepositoryModelLoadRequest(model_name="ident")
        lp.parameters["config"].string_param = "{"
        code, det = G.code_of(grpc, st3.RepositoryModelLoad, lp)
        c.true("load with a broken config override -> INVALID_ARGUMENT, 'failed to load'",
               code == SC.INVALID_ARGUMENT and "failed to load" in (det or ""), (code, det))
        lp = pb.RepositoryModelLoadRequest(model_name="ident")
        lp.parameters["config"].bytes_param = b"{}"
        c.eq("config override as bytes -> INVALID_ARGUMENT",
             G.code_of(grpc, st3.RepositoryModelLoad, lp)[0], SC.INVALID_ARGUMENT)
        # Triton's file overrides, raw bytes over gRPC: ident served from add.onnx's bytes.
        lp = pb.RepositoryModelLoadRequest(model_name="ident")
        lp.parameters["config"].string_param = '{"max_batch_size": 0}'
        with open(os.path.join(E.CORE_DATA, "add.onnx"), "rb") as f:
            lp.parameters["file:1/model.onnx"].bytes_param = f.read()
        code, det = G.code_of(grpc, st3.RepositoryModelLoad, lp)
        c.eq("load with config + file overrides", code, SC.OK)
        if code == SC.OK:
            mm = st3.ModelMetadata(pb.ModelMetadataRequest(name="ident"))
            c.eq("the override is what serves", [t.name for t in mm.inputs], ["a", "b"])
        ch3.close()
    finally:
        shm_in.close()
        shm_in.unlink()
        shm_out.close()
        shm_out.unlink()
    # Per-call metrics: a fresh server, so every count is exact. 3 ServerLive OK, 2 ModelInfer
    # NOT_FOUND, 1 ModelInfer OK, 1 call of an unknown method.
    s4 = E.Server(repo)
    servers.append(s4)
    ch4, st4 = G.stub(grpc, pbg, s4)
    m0 = grpc_metrics(s4)
    c.eq("metrics: no gRPC call yet, byte counters at 0",
         sorted(k[0] for k in m0), ["ei_grpc_received_bytes_total", "ei_grpc_sent_bytes_total"])
    for _ in range(3):
        st4.ServerLive(pb.ServerLiveRequest())
    for _ in range(2):
        G.code_of(grpc, st4.ModelInfer, add_request(model="nope"))
    st4.ModelInfer(add_request())
    G.code_of(grpc, ch4.unary_unary("/inference.GRPCInferenceService/NoSuchMethod"), b"")
    ch4.close()

    def total(m):
        return sum(v for k, v in m.items() if k[0] == "ei_grpc_requests_total")

    # A call is counted when the server frees it, just after the client saw its status: wait for
    # the count (bounded only against a hang), then check every sample.
    end = time.monotonic() + 60
    m1 = grpc_metrics(s4)
    while total(m1) < 7 and time.monotonic() < end:
        time.sleep(0.02)
        m1 = grpc_metrics(s4)
    req = {tuple(sorted(dict(k[1]).items())): v for k, v in m1.items()
           if k[0] == "ei_grpc_requests_total"}
    c.eq("metrics: ei_grpc_requests_total by method and code", req, {
        (("code", '"OK"'), ("method", '"ServerLive"')): 3,
        (("code", '"NOT_FOUND"'), ("method", '"ModelInfer"')): 2,
        (("code", '"OK"'), ("method", '"ModelInfer"')): 1,
        (("code", '"UNIMPLEMENTED"'), ("method", '"unknown"')): 1})

    def hist(method, part, le=None):
        labels = {("method", '"%s"' % method)}
        if le:
            labels.add(("le", '"%s"' % le))
        return m1.get(("ei_grpc_request_duration_seconds_" + part, frozenset(labels)))

    c.eq("metrics: duration histogram counts per method",
         [hist(m, "count") for m in ("ServerLive", "ModelInfer", "unknown", "ModelReady")],
         [3, 3, 1, None])
    buckets = sorted((float(dict(k[1])["le"].strip('"')), v) for k, v in m1.items()
                     if k[0] == "ei_grpc_request_duration_seconds_bucket"
                     and ("method", '"ModelInfer"') in k[1])
    c.true("metrics: ModelInfer buckets cumulative, +Inf = count",
           len(buckets) > 2 and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
           and buckets[-1] == (float("inf"), 3) and hist("ModelInfer", "sum") > 0, buckets)
    received = len(add_request(model="nope").SerializeToString()) * 2 + len(
        add_request().SerializeToString())
    c.eq("metrics: received bytes = the request messages' sizes",
         m1.get(("ei_grpc_received_bytes_total", frozenset())), received)
    c.true("metrics: sent bytes counted", m1.get(("ei_grpc_sent_bytes_total", frozenset()), 0) > 0)
    for sv in servers:
        c.eq("exit 0 (%d)" % sv.grpc_port, sv.stop(), 0)
finally:
    rc = c.done(servers[0] if servers else None)
    for sv in servers:
        sv.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
