#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The OCR pipeline as a config-only repository model (platform "edgeinfer_ocr", docs/ocr.md):
its lifecycle in EXPLICIT mode (listed in the index; loading it loads its stages; READY only while
its stage models are; UNAVAILABLE naming the missing stage; unload and reload), its metadata and
config, bad pipeline configs, and requests on it: POST /ocr, and /infer with a BYTES input "image"
over REST JSON, REST binary and gRPC (one image, a batch of two, an image without text, a corrupt
image)."""
import json
import os
import shutil
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
src = os.environ.get("EI_SOURCE_DIR", ".")
root, repo = E.default_repo("ei-ocrm-")
shutil.rmtree(os.path.join(repo, "silero_vad"))
# Config-only pipelines: no version directory at all (version 1), a missing stage, bad configs.
CFG = ('name: "%s"\nplatform: "edgeinfer_ocr"\n'
       'parameters { key: "detection_model" value: { string_value: "ppocr_det" } }\n'
       'parameters { key: "recognition_model" value: { string_value: "%s" } }\n%s')
PIPES = {
    "ocr_nocls": CFG % ("ocr_nocls", "ppocr_rec", ""),
    "ocr_missing": CFG % ("ocr_missing", "no_such_rec", ""),
    "ocr_badthresh": CFG % ("ocr_badthresh", "ppocr_rec",
                            'parameters { key: "det_db_thresh" value: { string_value: "2" } }\n'),
    "ocr_norec": ('name: "ocr_norec"\nplatform: "edgeinfer_ocr"\n'
                  'parameters { key: "detection_model" value: { string_value: "ppocr_det" } }\n'),
    "ocr_badio": CFG % ("ocr_badio", "ppocr_rec",
                        'input [ { name: "pixels" data_type: TYPE_FP32 dims: [ 3 ] } ]\n'),
}
for name, text in PIPES.items():
    os.makedirs(os.path.join(repo, name))
    with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
        f.write(text)

s = E.Server(repo, "--model-control-mode", "explicit", "--load-model", "ocr")
c = E.Checker()
WANT = "Total due: 42.50 EUR"
up = os.path.join(src, "examples", "images", "line.jpg")
down = os.path.join(src, "examples", "images", "line_upside_down.png")
with open(up, "rb") as f:
    UP = f.read()
with open(down, "rb") as f:
    DOWN = f.read()


def wait_until(cond, secs=120):
    """Polls cond (an event the server reports: a log line, a counter) for at most secs."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def index():
    st, doc = s.post_json("/v2/repository/index", {})
    assert st == 200, (st, doc)
    return {(e["name"]): e for e in doc}


def ready(name):
    st, _, _ = s.request("GET", "/v2/models/%s/ready" % name)
    return st


def ctl(name, what):
    st, _, body = s.request("POST", "/v2/repository/models/%s/%s" % (name, what), b"{}")
    return st, (json.loads(body) if body else None)


try:
    # Loading the pipeline loaded its three stages (Triton loads an ensemble's composing models).
    ix = index()
    for m in ("ocr", "ppocr_det", "ppocr_cls", "ppocr_rec"):
        c.eq("%s READY after --load-model ocr" % m, ix.get(m, {}).get("state"), "READY")
    c.eq("pipeline listed with version 1", ix["ocr"].get("version"), "1")
    c.eq("ocr ready: 200", ready("ocr"), 200)

    # Metadata and config through the normal endpoints.
    st, meta = s.get_json("/v2/models/ocr")
    c.eq("metadata: 200", st, 200)
    c.eq("metadata: platform", meta.get("platform"), "edgeinfer_ocr")
    c.eq("metadata: inputs", meta.get("inputs"),
         [{"name": "image", "datatype": "BYTES", "shape": [-1]}])
    c.eq("metadata: outputs", [(o["name"], o["datatype"], o["shape"]) for o in meta["outputs"]],
         [("text", "BYTES", [-1]), ("score", "FP32", [-1]), ("polygon", "FP32", [-1, 4, 2]),
          ("angle", "INT32", [-1]), ("image_index", "INT32", [-1])])
    st, cfg = s.get_json("/v2/models/ocr/config")
    c.eq("config: platform", (st, cfg.get("platform")), (200, "edgeinfer_ocr"))
    c.eq("config: stage parameters", cfg["parameters"]["recognition_model"],
         {"string_value": "ppocr_rec"})

    # /ocr on the pipeline model; /ocr on a model that is not a pipeline names what it needs.
    st, _, rb = s.request("POST", "/v2/models/ocr/ocr", UP, {"Content-Type": "image/jpeg"})
    doc = json.loads(rb)
    c.eq("/ocr on the pipeline", (st, [l["text"] for l in doc.get("lines", [])]), (200, [WANT]))
    c.eq("/ocr answer names the pipeline", doc.get("model_name"), "ocr")
    st, _, rb = s.request("POST", "/v2/models/ppocr_det/ocr", UP, {"Content-Type": "image/jpeg"})
    c.true("/ocr on the detector: 400, not a pipeline",
           st == 400 and "not an OCR pipeline" in json.loads(rb)["error"], rb)

    # A stage unloaded: the pipeline turns UNAVAILABLE naming it, requests get 503; loading the
    # stage again makes it READY again.
    c.eq("unload ppocr_rec", ctl("ppocr_rec", "unload")[0], 200)
    ix = index()
    c.eq("stage unloaded: ocr UNAVAILABLE", ix["ocr"]["state"], "UNAVAILABLE")
    c.true("the reason names the stage", "stage model 'ppocr_rec' is not ready" in
           ix["ocr"].get("reason", ""), repr(ix["ocr"]))
    c.eq("stage unloaded: ocr not ready (400)", ready("ocr"), 400)
    st, _, rb = s.request("POST", "/v2/models/ocr/ocr", UP, {"Content-Type": "image/jpeg"})
    c.true("stage unloaded: /ocr 503 naming it",
           st == 503 and "ppocr_rec" in json.loads(rb)["error"], (st, rb))
    c.eq("load ppocr_rec again", ctl("ppocr_rec", "load")[0], 200)
    c.eq("stage back: ocr READY", index()["ocr"]["state"], "READY")

    # Unload and reload the pipeline itself; its stages stay.
    c.eq("unload ocr", ctl("ocr", "unload")[0], 200)
    ix = index()
    c.eq("ocr unloaded", (ix["ocr"]["state"], ix["ppocr_rec"]["state"]), ("UNAVAILABLE", "READY"))
    c.eq("load ocr again", ctl("ocr", "load")[0], 200)
    c.eq("ocr READY again", index()["ocr"]["state"], "READY")

    # /infer over REST: the input "image" as binary data (JSON cannot carry arbitrary bytes), the
    # outputs as JSON, then as binary; a batch of two images; an image without text.
    def rest_infer(images, binary_out=False, outputs=None, name="image", dtype="BYTES"):
        blob = E.bytes_elems(*images)
        inp = {"name": name, "datatype": dtype, "shape": [len(images)],
               "parameters": {"binary_data_size": len(blob)}}
        hdr = {"inputs": [inp]}
        if binary_out:
            hdr["parameters"] = {"binary_data_output": True}
        if outputs:
            hdr["outputs"] = [{"name": o} for o in outputs]
        body, hl = E.binary_infer_body(hdr, [blob])
        st, h, rb = s.request("POST", "/v2/models/ocr/infer", body,
                              {"Inference-Header-Content-Length": str(hl),
                               "Content-Type": "application/octet-stream"})
        if st != 200:
            return st, json.loads(rb), {}
        doc, blobs = E.parse_binary_response(h, rb)
        return st, doc, blobs

    def by_name(doc):
        return {o["name"]: o for o in doc["outputs"]}

    st, doc, _ = rest_infer([UP])
    o = by_name(doc) if st == 200 else {}
    c.eq("/infer JSON: 200 and the text", (st, o.get("text", {}).get("data")), (200, [WANT]))
    c.eq("/infer JSON: shapes", [(k, o[k]["datatype"], o[k]["shape"]) for k in sorted(o)],
         [("angle", "INT32", [1]), ("image_index", "INT32", [1]), ("polygon", "FP32", [1, 4, 2]),
          ("score", "FP32", [1]), ("text", "BYTES", [1])])
    c.true("/infer JSON: score in (0.5, 1]", st == 200 and 0.5 < o["score"]["data"][0] <= 1, o)
    c.true("/infer JSON: polygon inside the 308x44 image", st == 200 and all(
        -1 <= v <= 309 for v in o["polygon"]["data"]) and len(o["polygon"]["data"]) == 8, o)

    def bytes_list(raw):
        out, off = [], 0
        while off < len(raw):
            n = struct.unpack_from("<I", raw, off)[0]
            out.append(raw[off + 4:off + 4 + n].decode())
            off += 4 + n
        return out

    st, doc, blobs = rest_infer([UP, DOWN], binary_out=True)
    c.eq("/infer binary, two images: status", st, 200)
    if st == 200:
        c.eq("two images: text", bytes_list(blobs["text"]), [WANT, WANT])
        c.eq("two images: image_index", list(struct.unpack("<2i", blobs["image_index"])), [0, 1])
        c.eq("two images: angle", list(struct.unpack("<2i", blobs["angle"])), [0, 180])
        c.eq("two images: polygon bytes", len(blobs["polygon"]), 2 * 8 * 4)
    st, doc, _ = rest_infer([UP], outputs=["text"])
    c.eq("/infer: only the output asked for", (st, [x["name"] for x in doc.get("outputs", [])]),
         (200, ["text"]))
    blank = E.png(160, 48, (255, 255, 255))
    st, doc, _ = rest_infer([blank])
    c.eq("/infer: an image without text: empty outputs",
         (st, [(x["name"], x["shape"], x["data"]) for x in doc.get("outputs", [])][:3]),
         (200, [("text", [0], []), ("score", [0], []), ("polygon", [0, 4, 2], [])]))
    # More images than run at once (4): the later ones start as earlier ones end.
    st, doc, _ = rest_infer([blank] * 8 + [UP], outputs=["text", "image_index"])
    o = by_name(doc) if st == 200 else {}
    c.eq("/infer: nine images, text on the last",
         (st, o.get("text", {}).get("data"), o.get("image_index", {}).get("data")),
         (200, [WANT], [8]))
    st, doc, _ = rest_infer([b"this is not an image"])
    c.true("/infer: corrupt image: 400 saying it does not decode",
           st == 400 and "cannot decode" in doc.get("error", ""), repr((st, doc)))
    st, doc, _ = rest_infer([UP, UP[: len(UP) // 3]])
    c.true("/infer: a truncated second image: 400 naming image 1",
           st == 400 and "image 1" in doc.get("error", ""), repr((st, doc)))
    st, doc = s.post_json("/v2/models/ocr/infer", {"inputs": [
        {"name": "image", "datatype": "FP32", "shape": [1], "data": [1.0]}]})
    c.true("/infer: FP32 input: 400 naming 'image'",
           st == 400 and "image" in doc.get("error", ""), repr((st, doc)))
    st, doc = s.post_json("/v2/models/ocr/infer", {"inputs": [
        {"name": "pixels", "datatype": "BYTES", "shape": [1], "data": ["x"]}]})
    c.true("/infer: unknown input: 400", st == 400, repr((st, doc)))

    # gRPC: ModelInfer and ModelStreamInfer with bytes_contents; errors as INVALID_ARGUMENT.
    try:
        import grpcstubs as G
        grpc, pb, pbg = G.load()
    except SystemExit:
        grpc = None
        print("SKIP gRPC part: python3-grpcio / grpc-tools / protoc missing")
    if grpc is not None:
        ch, st_ = G.stub(grpc, pbg, s)

        def g_request(images):
            r = pb.ModelInferRequest(model_name="ocr")
            t = r.inputs.add(name="image", datatype="BYTES", shape=[len(images)])
            t.contents.bytes_contents.extend(images)
            return r

        def g_out(r):
            return {o.name: (o.datatype, list(o.shape), r.raw_output_contents[i])
                    for i, o in enumerate(r.outputs)}

        r = st_.ModelInfer(g_request([DOWN]))
        got = g_out(r)
        c.eq("gRPC ModelInfer: text", bytes_list(got["text"][2]), [WANT])
        c.eq("gRPC ModelInfer: polygon shape", got["polygon"][:2], ("FP32", [1, 4, 2]))
        replies = list(st_.ModelStreamInfer(iter([g_request([UP]), g_request([UP, DOWN])])))
        c.eq("gRPC stream: two answers, no errors",
             [(x.error_message, bytes_list(g_out(x.infer_response)["text"][2])) for x in replies],
             [("", [WANT]), ("", [WANT, WANT])])
        code, det = G.code_of(grpc, st_.ModelInfer, g_request([b"\x89PNG garbage"]))
        c.true("gRPC: corrupt image: INVALID_ARGUMENT saying why",
               code == grpc.StatusCode.INVALID_ARGUMENT and "cannot decode" in (det or ""),
               repr((code, det)))
        md = st_.ModelMetadata(pb.ModelMetadataRequest(name="ocr"))
        c.eq("gRPC metadata: platform, input", (md.platform, md.inputs[0].name,
                                                md.inputs[0].datatype), ("edgeinfer_ocr", "image",
                                                                         "BYTES"))
        ch.close()

    # Statistics: the pipeline counts its requests, each stage its runs.
    st, stats = s.get_json("/v2/models/ocr/stats")
    ms = stats["model_stats"][0]
    # Once per request, however many images (since the reload above): 8 answered; failed: the
    # corrupt and the truncated image, the FP32 and the unknown input, gRPC's corrupt image.
    c.eq("pipeline stats: each request counted once",
         (ms["inference_stats"]["success"]["count"], ms["inference_stats"]["fail"]["count"]),
         (8, 5))
    st, stats = s.get_json("/v2/models/ppocr_rec/stats")
    c.true("stage stats: the recogniser ran", stats["model_stats"][0]["inference_count"] >= 5,
           repr(stats["model_stats"][0]))
    c.true("pipeline metrics", 'nv_inference_request_success{model="ocr",version="1"}' in
           s.metrics())

    # A pipeline without a classification stage, and no version directory: version 1.
    c.eq("load ocr_nocls", ctl("ocr_nocls", "load")[0], 200)
    st, _, rb = s.request("POST", "/v2/models/ocr_nocls/ocr", UP, {"Content-Type": "image/jpeg"})
    c.eq("ocr_nocls reads the upright line",
         (st, [l["text"] for l in json.loads(rb).get("lines", [])]), (200, [WANT]))

    # A missing stage: the load succeeds (the config is fine) but the model is UNAVAILABLE, saying
    # which stage; bad configs fail to load with the reason.
    st, doc = ctl("ocr_missing", "load")
    ix = index()
    c.true("missing stage: UNAVAILABLE naming it",
           ix["ocr_missing"]["state"] == "UNAVAILABLE" and
           "no_such_rec" in ix["ocr_missing"].get("reason", ""), repr((st, doc, ix["ocr_missing"])))
    for name, want in (("ocr_badthresh", "det_db_thresh"), ("ocr_norec", "recognition_model"),
                       ("ocr_badio", "pixels")):
        st, doc = ctl(name, "load")
        c.true("%s: load 400 naming %s" % (name, want),
               st == 400 and want in (doc or {}).get("error", ""), repr((st, doc)))
        c.true("%s: UNAVAILABLE with the reason" % name,
               want in index()[name].get("reason", ""), repr(index()[name]))
    c.eq("SIGTERM: exit 0", s.stop(), 0)

    # A client that cancels: no image of its request starts afterwards. Decodes are held through
    # the server's test hook (docs/server.md) until the cancellation is logged, then released.
    if grpc is not None:
        s.close()
        fifo = os.path.join(root, "hold")
        os.mkfifo(fifo)
        env = os.environ.copy()
        env["EI_TEST_HOLD_DECODE"] = fifo
        s = E.Server(repo, "--model-control-mode", "explicit", "--load-model", "ocr",
                     "--image-workers", "1", "--image-queue", "8", env=env)
        ch, st_ = G.stub(grpc, pbg, s)
        fut = st_.ModelInfer.future(g_request([blank] * 8))
        w = open(fifo, "wb")  # returns once the worker holds the first image's decode
        fut.cancel()
        cancelled = wait_until(lambda: "the client cancelled the call" in s.stderr())
        c.true("cancellation logged", cancelled, s.stderr()[-2000:])
        w.write(b"xxxx")  # the images started before it (4 at a time) decode and run
        w.flush()

        # Only 4 decodes are let through: had the other images started, the request would hang.
        def failed():
            st, doc = s.get_json("/v2/models/ocr/stats")
            return doc["model_stats"][0]["inference_stats"]["fail"]["count"] == 1
        c.true("the cancelled request ends as a failure", wait_until(failed))
        st, doc = s.get_json("/v2/models/ppocr_det/stats")
        n = doc["model_stats"][0]["inference_count"]
        c.true("only the images started before the cancel ran (1 to 4 of 8)", 1 <= n <= 4, n)
        w.close()
        ch.close()
        c.eq("SIGTERM after a cancel: exit 0", s.stop(), 0)
finally:
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
