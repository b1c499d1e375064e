#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Triton's sequence batcher over HTTP: the request parameters sequence_id / sequence_start /
sequence_end, the control inputs fed as Triton feeds them (START, END, READY, CORRID in int32,
fp32 and bool false/true forms), the direct strategy (slots, and a backlog when they are all
taken) and the oldest one (batches across sequences), implicit state kept by the server, and
every error: no correlation ID, a continuation without START, one after END, one after the idle
limit, a batch of 2, bad parameter types, a string ID for a numeric CORRID.

The models are tests/data/seq_repo (equivalents of Triton's simple_sequence and
simple_dyna_sequence examples, see make_models.py there, plus an implicit-state accumulator) and
the bundled silero VAD: streamed in 512-sample chunks as one sequence whose LSTM state h/c stays
in the server, it must give the same speech probabilities (<= 1e-5) as the same model served
without a sequence batcher with the state carried by the client; two interleaved streams must not
mix. The idle-limit check uses max_sequence_idle_microseconds: 1, which every HTTP round trip
exceeds, so the verdict never depends on the machine's speed."""
import math
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
SEQ_REPO = os.path.join(E.EI_SOURCE_DIR, "tests", "data", "seq_repo")
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = os.path.join(root, "repo")
shutil.copytree(SEQ_REPO, repo, ignore=shutil.ignore_patterns("*.py"))
# The idle-limit model: simple_sequence whose sequences expire 1 us after their last request.
shutil.copytree(os.path.join(repo, "simple_sequence"), os.path.join(repo, "seq_idle"))
with open(os.path.join(repo, "seq_idle", "config.pbtxt")) as f:
    cfg = f.read()
with open(os.path.join(repo, "seq_idle", "config.pbtxt"), "w") as f:
    f.write(cfg.replace('"simple_sequence"', '"seq_idle"')
               .replace("max_sequence_idle_microseconds: 600000000",
                        "max_sequence_idle_microseconds: 1"))
VAD = os.path.join(E.EI_MODELS, "vad", "silero_vad.onnx")
have_vad = os.path.isfile(VAD)
if have_vad:
    for name in ("vad_seq", "vad_plain"):
        os.makedirs(os.path.join(repo, name, "1"))
        shutil.copy(VAD, os.path.join(repo, name, "1", "model.onnx"))
    # No inputs or outputs declared: auto-complete leaves the state tensors to the server. Without
    # batching each instance has one slot, so two instances let two streams interleave.
    with open(os.path.join(repo, "vad_seq", "config.pbtxt"), "w") as f:
        f.write("""max_batch_size: 0
instance_group [ { count: 2 } ]
sequence_batching {
  max_sequence_idle_microseconds: 600000000
  state [ { input_name: "h" output_name: "hn" data_type: TYPE_FP32 dims: [ 2, 1, 64 ] },
          { input_name: "c" output_name: "cn" data_type: TYPE_FP32 dims: [ 2, 1, 64 ] } ]
}
""")
    with open(os.path.join(repo, "vad_plain", "config.pbtxt"), "w") as f:
        f.write("max_batch_size: 0\n")

os.makedirs(os.path.join(repo, "add", "1"))
shutil.copy(os.path.join(E.CORE_DATA, "add.onnx"), os.path.join(repo, "add", "1", "model.onnx"))
c = E.Checker()


def infer(s, model, inputs, seq=None, start=None, end=None, outputs=None, extra=None):
    doc = {"inputs": inputs}
    p = {}
    if seq is not None:
        p["sequence_id"] = seq
    if start is not None:
        p["sequence_start"] = start
    if end is not None:
        p["sequence_end"] = end
    p.update(extra or {})
    if p:
        doc["parameters"] = p
    if outputs is not None:
        doc["outputs"] = [{"name": o} for o in outputs]
    return s.post_json("/v2/models/%s/infer" % model, doc)


def int_in(v, name="INPUT", shape=None):
    vals = v if isinstance(v, list) else [v]
    return [{"name": name, "datatype": "INT32", "shape": shape or [1, len(vals)], "data": vals}]


def out_of(doc, name="OUTPUT"):
    for o in doc.get("outputs", []):
        if o["name"] == name:
            return o["data"]
    return None


def send_seq(s, model, seq, values, results, errors):
    """Triton's simple_http_sequence_sync_infer_client: one request per value, START on the first,
    END on the last."""
    for i, v in enumerate(values):
        st, doc = infer(s, model, int_in(v), seq, i == 0, i == len(values) - 1)
        if st != 200:
            errors.append((seq, i, st, doc))
            return
        results.append(out_of(doc)[0])


values = [11, 7, 5, 3, 2, 0, 1]
s = None
try:
    s = E.Server(repo)

    st, doc = s.get_json("/v2")
    c.true("the sequence extension is advertised", "sequence" in doc.get("extensions", []), doc)
    # The config shows the sequence batcher as Triton's ModelConfig JSON.
    st, cfgj = s.get_json("/v2/models/simple_dyna_sequence/config")
    sb = cfgj.get("sequence_batching", {}) if st == 200 else {}
    c.eq("config: oldest strategy", sb.get("oldest", {}).get("max_candidate_sequences"), 1024)
    c.eq("config: control inputs", [ci["name"] for ci in sb.get("control_input", [])],
         ["START", "END", "READY", "CORRID"])
    c.eq("config: int32_false_true",
         sb.get("control_input", [{}])[0].get("control", [{}])[0].get("int32_false_true"), [0, 1])
    c.true("config: no dynamic_batching next to sequence_batching",
           "dynamic_batching" not in cfgj, cfgj)
    st, cfgj = s.get_json("/v2/models/seq_accumulate/config")
    c.eq("config: state", cfgj.get("sequence_batching", {}).get("state", [{}])[0]
         .get("input_name"), "INPUT_STATE")
    c.eq("config: control and state inputs are not request inputs",
         [i["name"] for i in cfgj.get("input", [])], ["INPUT"])
    st, md = s.get_json("/v2/models/simple_sequence")
    c.eq("metadata lists only INPUT", [i["name"] for i in md.get("inputs", [])], ["INPUT"])

    # simple_sequence, as Triton's example client checks it: two sequences, one after the other.
    r0, r1, errs = [], [], []
    send_seq(s, "simple_sequence", 1000, [0] + values, r0, errs)
    send_seq(s, "simple_sequence", 1001, [100] + [-v for v in values], r1, errs)
    c.eq("simple_sequence: no errors", errs, [])
    c.eq("simple_sequence: sequence 1000", r0, [1] + values)
    c.eq("simple_sequence: sequence 1001", r1, [101] + [-v for v in values])
    # A string correlation ID (the example's UUID) on a model without a CORRID control.
    rs = []
    send_seq(s, "simple_sequence", str(uuid.uuid4()), [20] + [-v for v in values], rs, errs)
    c.eq("simple_sequence: string sequence id", (rs, errs), ([21] + [-v for v in values], []))

    # Interleaved: the two sequences alternate request by request and never see each other.
    st0, d0 = infer(s, "simple_sequence", int_in(5), 7, True)
    st1, d1 = infer(s, "simple_sequence", int_in(9), 8, True)
    st2, d2 = infer(s, "simple_sequence", int_in(4), 7, False, True)
    st3, d3 = infer(s, "simple_sequence", int_in(3), 8, False, True)
    c.eq("interleaved: statuses", (st0, st1, st2, st3), (200, 200, 200, 200))
    c.eq("interleaved: outputs", [out_of(d)[0] for d in (d0, d1, d2, d3)], [6, 10, 4, 3])

    # simple_dyna_sequence (oldest, 2 instances): both sequences at once, from two threads, so
    # the scheduler may batch them; CORRID is added on the request that ends each sequence.
    r0, r1, errs = [], [], []
    t0 = threading.Thread(target=send_seq, args=(s, "simple_dyna_sequence", 1000, [0] + values,
                                                 r0, errs))
    t1 = threading.Thread(target=send_seq, args=(s, "simple_dyna_sequence", 1001,
                                                 [100] + [-v for v in values], r1, errs))
    t0.start()
    t1.start()
    t0.join(120)
    t1.join(120)
    c.eq("dyna: no errors", errs, [])
    c.eq("dyna: sequence 1000", r0, [1] + values[:-1] + [values[-1] + 1000])
    c.eq("dyna: sequence 1001", r1, [101] + [-v for v in values[:-1]] + [-values[-1] + 1001])
    # A large correlation ID travels as uint64 (the model casts it to int32: low 32 bits).
    st, doc = infer(s, "simple_dyna_sequence", int_in(1), 2**40 + 5, True, True)
    c.eq("dyna: uint64 correlation id", (st, out_of(doc)), (200, [1 + 1 + 5]))
    st, doc = infer(s, "simple_dyna_sequence", int_in(1), "abc", True, True)
    c.eq("dyna: string id for a uint64 CORRID -> 400", st, 400)
    c.true("dyna: message names the CORRID type", "TYPE_UINT64" in doc.get("error", ""), doc)

    # A TYPE_STRING CORRID control: string IDs as given, numeric ones in decimal.
    st, doc = infer(s, "seq_corrid_string", int_in(4), "stream-\u00e9", True, True)
    c.eq("string CORRID: a string ID", (st, out_of(doc, "ID"), out_of(doc)),
         (200, ["stream-\u00e9"], [4]))
    st, doc = infer(s, "seq_corrid_string", int_in(5), 2**40 + 1, True, True)
    c.eq("string CORRID: a numeric ID in decimal", (st, out_of(doc, "ID")),
         (200, [str(2**40 + 1)]))

    # Implicit state: the accumulator keeps its running sum in the server.
    got, errs = {}, []
    for step in range(3):
        for seq, base in ((41, 1), (42, 100)):
            vals = [base * (k + 1) for k in range(3)]
            st, doc = infer(s, "seq_accumulate", int_in(vals), seq, step == 0, step == 2)
            if st != 200:
                errs.append((seq, step, st, doc))
            got.setdefault(seq, []).append(out_of(doc))
    c.eq("state: no errors", errs, [])
    c.eq("state: sequence 41 accumulates", got.get(41), [[1, 2, 3], [2, 4, 6], [3, 6, 9]])
    c.eq("state: sequence 42 accumulates", got.get(42),
         [[100, 200, 300], [200, 400, 600], [300, 600, 900]])
    st, doc = infer(s, "seq_accumulate", int_in([1, 1, 1]), 43, True)
    st2, doc2 = infer(s, "seq_accumulate", int_in([1, 1, 1]), 43, False)
    st3, doc3 = infer(s, "seq_accumulate", int_in([5, 5, 5]), 43, True)  # restarts: state reset
    c.eq("state: START again restarts the sequence",
         (st, out_of(doc), st2, out_of(doc2), st3, out_of(doc3)),
         (200, [1, 1, 1], 200, [2, 2, 2], 200, [5, 5, 5]))
    c.true("state: OUTPUT_STATE is not returned", out_of(doc3, "OUTPUT_STATE") is None, doc3)
    st, doc = infer(s, "seq_accumulate", int_in([1, 1, 1]), 43, False, True,
                    outputs=["OUTPUT_STATE"])
    c.eq("state: OUTPUT_STATE not in the config -> 400", st, 400)
    st, doc = infer(s, "seq_accumulate", int_in([1, 1, 1]), 43, False, True)
    c.eq("state: the sequence is still open after a refused request", (st, out_of(doc)),
         (200, [6, 6, 6]))
    st, doc = infer(s, "seq_accumulate", int_in([1, 1, 1]) + int_in([0], "INPUT_STATE", [1, 1]),
                    44, True, True)
    c.eq("state: a client may not send the state input", st, 400)

    # Direct strategy, 2 slots: sequences 1 and 2 hold them, 3 waits in the backlog until 1 ends.
    def fp(v):
        return [{"name": "INPUT", "datatype": "FP32", "shape": [1, 1], "data": [v]}]
    st_a, da = infer(s, "seq_corrid_fp32", fp(0.5), 11, True)
    st_b, db = infer(s, "seq_corrid_fp32", fp(0.25), 12, True)
    c.eq("direct: CORRID and fp32 READY fed", (st_a, out_of(da), st_b, out_of(db)),
         (200, [11.5], 200, [12.25]))
    late = {}

    def third():
        late["r"] = infer(s, "seq_corrid_fp32", fp(1), 13, True, True)
    th = threading.Thread(target=third)
    th.start()
    # Wait (bounded) until the third request is queued, as the pending gauge shows it.
    deadline = time.monotonic() + 60
    pending = None
    while time.monotonic() < deadline:
        pending = E.metric(s.metrics(), "nv_inference_pending_request_count", "seq_corrid_fp32")
        if pending == 1 or not th.is_alive():
            break
        time.sleep(0.02)
    c.true("direct: the third sequence waits in the backlog", th.is_alive() and pending == 1,
           "pending=%r" % pending)
    st_e, de = infer(s, "seq_corrid_fp32", fp(2), 11, False, True)
    th.join(120)
    c.eq("direct: ending sequence 11 frees its slot", (st_e, out_of(de)), (200, [13.0]))
    c.eq("direct: the backlogged sequence ran", (late.get("r", (0, {}))[0],
                                                 out_of(late.get("r", (0, {}))[1])), (200, [14.0]))
    infer(s, "seq_corrid_fp32", fp(0), 12, False, True)

    # Errors, with Triton's wording.
    def err(what, st_doc, status, needle):
        st, doc = st_doc
        c.eq(what + ": status", st, status)
        c.true(what + ": message", needle in (doc or {}).get("error", ""), doc)
    err("no sequence_id", infer(s, "simple_sequence", int_in(1)), 400,
        "inference request to model 'simple_sequence' must specify a non-zero or non-empty "
        "correlation ID")
    err("sequence_id 0", infer(s, "simple_sequence", int_in(1), 0, True), 400,
        "must specify a non-zero or non-empty correlation ID")
    err("empty string sequence_id", infer(s, "simple_sequence", int_in(1), "", True), 400,
        "must specify a non-zero or non-empty correlation ID")
    err("unknown sequence", infer(s, "simple_sequence", int_in(1), 555, False), 400,
        "inference request for sequence 555 to model 'simple_sequence' must specify the START "
        "flag on the first request of the sequence")
    infer(s, "simple_sequence", int_in(1), 556, True, True)
    err("after END", infer(s, "simple_sequence", int_in(1), 556, False), 400,
        "must specify the START flag")
    err("batch of 2", infer(s, "simple_sequence", int_in([1, 2], shape=[2, 1]), 557, True), 400,
        "must specify batch-size 1 due to requirements of sequence batcher")
    err("sequence_start not a boolean", infer(s, "simple_sequence", int_in(1), 558, "yes"), 400,
        "sequence_start")
    err("sequence_end not a boolean", infer(s, "simple_sequence", int_in(1), 558, True, 1), 400,
        "sequence_end")
    err("negative sequence_id", infer(s, "simple_sequence", int_in(1), -3, True), 400,
        "sequence_id")
    err("fractional sequence_id", infer(s, "simple_sequence", int_in(1), 2.5, True), 400,
        "sequence_id")
    st, doc = infer(s, "simple_sequence", int_in(1), 559, True, True,
                    extra={"sequence_id": 559})
    c.eq("sequence parameters with other parameters", st, 200)
    st, doc = infer(s, "add", [{"name": "a", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]},
                               {"name": "b", "datatype": "FP32", "shape": [3], "data": [1, 1, 1]}],
                    5, False, True)
    c.eq("sequence parameters on a stateless model are ignored", st, 200)

    # The idle limit: 1 us, so the sequence is gone by the time its next request arrives.
    st, doc = infer(s, "seq_idle", int_in(3), 77, True)
    c.eq("idle: first request", (st, out_of(doc)), (200, [4]))
    err("idle: continuation after the limit", infer(s, "seq_idle", int_in(3), 77, False), 400,
        "must specify the START flag on the first request of the sequence")
    st, doc = infer(s, "seq_idle", int_in(3), 78, True)
    st2, doc2 = infer(s, "seq_idle", int_in(3), 78, False)
    c.true("idle: the message says the sequence timed out",
           "max_sequence_idle_microseconds" in (doc2 or {}).get("error", ""), doc2)
    st, doc = infer(s, "seq_idle", int_in(3), 77, True, True)
    c.eq("idle: a new START works", (st, out_of(doc)), (200, [4]))

    # Silero VAD: the server keeps h/c; the reference carries them by hand on a plain copy.
    if have_vad:
        rnd = random.Random(7)

        def audio(n, f):
            return [0.4 * math.sin(2 * math.pi * f * k / 16000) * (1 if (k // 4000) % 2 else 0.05)
                    + rnd.uniform(-0.02, 0.02) for k in range(n)]
        streams = {901: audio(512 * 12, 220.0), 902: audio(512 * 12, 660.0)}
        ref = {}
        for seq, a in streams.items():
            h = [0.0] * 128
            cs = [0.0] * 128
            probs = []
            for k in range(0, len(a), 512):
                st, doc = s.post_json("/v2/models/vad_plain/infer", {"inputs": [
                    {"name": "input", "datatype": "FP32", "shape": [1, 512], "data": a[k:k + 512]},
                    {"name": "sr", "datatype": "INT64", "shape": [], "data": [16000]},
                    {"name": "h", "datatype": "FP32", "shape": [2, 1, 64], "data": h},
                    {"name": "c", "datatype": "FP32", "shape": [2, 1, 64], "data": cs}]})
                if st != 200:
                    c.eq("vad: reference request", (st, doc), 200)
                    break
                probs.append(out_of(doc, "output")[0])
                h, cs = out_of(doc, "hn"), out_of(doc, "cn")
            ref[seq] = probs
        got = {901: [], 902: []}
        n = len(streams[901]) // 512
        errs = []
        for k in range(n):  # interleaved chunk by chunk
            for seq in (901, 902):
                st, doc = infer(s, "vad_seq", [
                    {"name": "input", "datatype": "FP32", "shape": [1, 512],
                     "data": streams[seq][k * 512:(k + 1) * 512]},
                    {"name": "sr", "datatype": "INT64", "shape": [], "data": [16000]}],
                    seq, k == 0, k == n - 1)
                if st != 200:
                    errs.append((seq, k, st, doc))
                    continue
                got[seq].append(out_of(doc, "output")[0])
                if k == 0:
                    c.eq("vad: state outputs are not returned",
                         sorted(o["name"] for o in doc["outputs"]), ["output"])
        c.eq("vad: no errors", errs, [])
        for seq in (901, 902):
            diff = max((abs(x - y) for x, y in zip(got[seq], ref[seq])), default=1.0)
            c.true("vad: sequence %d matches the hand-carried state (max diff %.2g)" % (seq, diff),
                   len(got[seq]) == n and len(ref[seq]) == n and diff <= 1e-5)
        c.true("vad: the two streams differ (so a mix-up would show)",
               max(abs(x - y) for x, y in zip(ref[901], ref[902])) > 1e-3)
        fresh = []
        for k in range(1, 4):  # the same chunks with a zero state each time
            st, doc = s.post_json("/v2/models/vad_plain/infer", {"inputs": [
                {"name": "input", "datatype": "FP32", "shape": [1, 512],
                 "data": streams[901][k * 512:(k + 1) * 512]},
                {"name": "sr", "datatype": "INT64", "shape": [], "data": [16000]},
                {"name": "h", "datatype": "FP32", "shape": [2, 1, 64], "data": [0.0] * 128},
                {"name": "c", "datatype": "FP32", "shape": [2, 1, 64], "data": [0.0] * 128}]})
            fresh.append(out_of(doc, "output")[0] if st == 200 else 0.0)
        c.true("vad: the state matters (so a lost state would show)",
               max(abs(x - y) for x, y in zip(fresh, ref[901][1:4])) > 1e-4, (fresh, ref[901][1:4]))
    else:
        print("skip vad checks: %s missing" % VAD)

    c.eq("SIGTERM exit 0", s.stop(), 0)
finally:
    rc = c.done(s)
    if s is not None:
        s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
