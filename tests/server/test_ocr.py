#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""POST /v2/models/{m}/ocr on the bundled repository (scripts/make_default_repo.sh): the pipeline
model "ocr" (platform edgeinfer_ocr) names its stage models ppocr_det, ppocr_cls and ppocr_rec. Checks the text of the sample
lines (one upside down), concurrent requests each getting their own answer, per-stage statistics
(each stage is a model with its own /stats), and bad input: not an image, empty body, wrong
Content-Type, a model that is not a pipeline, an unknown model."""
import json
import os
import shutil
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
src = os.environ.get("EI_SOURCE_DIR", ".")
root, repo = E.default_repo("ei-ocr-")
s = E.Server(repo)
c = E.Checker()
WANT = "Total due: 42.50 EUR"


def ocr(path, model="ocr", ctype="image/png", body=None):
    if body is None:
        with open(path, "rb") as f:
            body = f.read()
    st, _, rb = s.request("POST", "/v2/models/%s/ocr" % model, body, {"Content-Type": ctype})
    return st, json.loads(rb) if rb else None


try:
    up = os.path.join(src, "examples", "images", "line.jpg")
    down = os.path.join(src, "examples", "images", "line_upside_down.png")
    st, doc = ocr(up, ctype="image/jpeg")
    c.eq("upright line: status", st, 200)
    c.eq("upright line: text", [l["text"] for l in doc["lines"]], [WANT])
    c.eq("image size", doc["image"], {"width": 308, "height": 44})
    c.true("polygon of 4 points", len(doc["lines"][0]["polygon"]) == 4)
    st, doc = ocr(down)
    c.eq("upside-down line: text", [l["text"] for l in doc["lines"]], [WANT])
    c.eq("upside-down line: angle", doc["lines"][0]["angle"], 180)

    # Concurrent requests: every one gets its own, right answer.
    results = [None] * 8

    def worker(i):
        results[i] = ocr(up if i % 2 else down)

    th = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    c.true("8 concurrent requests", all(r[0] == 200 and [l["text"] for l in r[1]["lines"]] ==
                                          [WANT] for r in results), repr(results))

    # Per-stage statistics: each stage model counted the work it did.
    for m, least in (("ppocr_det", 10), ("ppocr_cls", 10), ("ppocr_rec", 10)):
        st, stats = s.get_json("/v2/models/%s/stats" % m)
        n = stats["model_stats"][0]["inference_count"]
        c.true("%s counted >= %d inferences" % (m, least), n >= least, "got %d" % n)
    c.true("stage metrics", 'nv_inference_count{model="ppocr_rec",version="1"}' in s.metrics())

    # Bad input.
    st, doc = ocr(None, body=b"not an image")
    c.true("garbage: 400 naming the problem", st == 400 and "cannot decode" in doc["error"],
           repr(doc))
    st, doc = ocr(None, body=b"")
    c.true("empty body: 400", st == 400 and "empty body" in doc["error"], repr(doc))
    st, doc = ocr(up, ctype="text/plain")
    c.eq("wrong Content-Type: 415", st, 415)
    st, doc = ocr(up, model="ppocr_cls")
    c.true("not a pipeline: 400", st == 400 and "not an OCR pipeline" in doc["error"], repr(doc))
    st, doc = ocr(up, model="nope")
    c.eq("unknown model: 404", st, 404)
    with open(down, "rb") as f:
        data = f.read()
    st, doc = ocr(None, body=data[: len(data) // 2])
    c.true("truncated PNG: 400", st == 400, repr(doc))
    c.eq("server still answers", ocr(up)[0], 200)
    c.eq("SIGTERM: exit 0", s.stop(), 0)

    # The decode runs on the image pool, not on the HTTP I/O thread: with one I/O thread and one
    # image worker held through the test hook (EI_TEST_HOLD_DECODE; opening the FIFO for writing
    # returns exactly when the worker holds the decode), health is answered and a second image
    # finds the pool full (503 at once); released, the first is read. An alarm only bounds a hang.
    def hung(signum, frame):
        raise TimeoutError("the test hung: /ocr did not decode on the image pool")

    signal.signal(signal.SIGALRM, hung)
    fifo = os.path.join(root, "hold")
    os.mkfifo(fifo)
    env = os.environ.copy()
    env["EI_TEST_HOLD_DECODE"] = fifo
    s2 = E.Server(repo, "--http-threads", "1", "--image-workers", "1", "--image-queue", "0",
                  env=env)
    try:
        signal.alarm(240)
        first = []
        with open(up, "rb") as f:
            upb = f.read()
        t = threading.Thread(target=lambda: first.append(s2.request(
            "POST", "/v2/models/ocr/ocr", upb, {"Content-Type": "image/jpeg"})))
        t.start()
        w = open(fifo, "wb")  # returns once the worker holds the first decode
        c.eq("pool: health answered while an OCR decode is held",
             s2.request("GET", "/v2/health/live")[0], 200)
        st, h, body = s2.request("POST", "/v2/models/ocr/ocr", upb,
                                 {"Content-Type": "image/jpeg"})
        c.true("pool full: 503 at once, saying so",
               st == 503 and b"image workers are busy" in body and h.get("Retry-After") == "1",
               repr((st, body)))
        w.write(b"x")
        w.close()
        t.join(120)
        c.true("released: the held image is read",
               first and first[0][0] == 200 and
               [l["text"] for l in json.loads(first[0][2])["lines"]] == [WANT], repr(first))
        signal.alarm(0)
        c.eq("pool server: exit 0", s2.stop(), 0)
    except TimeoutError as e:
        c.true(str(e), False)
    finally:
        signal.alarm(0)
        s2.close()
finally:
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
