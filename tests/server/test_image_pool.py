#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""/classify decodes on its own bounded pool of workers, never on the HTTP I/O thread: with one I/O
thread and one image worker, a decode is held through the server's test hook (EI_TEST_HOLD_DECODE:
the worker opens a FIFO and reads a byte before decoding, so opening the FIFO for writing returns
exactly when a decode is being held) while health, metadata and metrics are answered; a second
image finds the pool full and gets 503 at once; releasing the decode completes the first one. Also
--max-image-pixels and --max-memory. No sleeps decide anything: an alarm only bounds a test that would hang (as it
did when decoding ran on the I/O thread)."""
import json
import os
import shutil
import signal
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver as E  # noqa: E402

E.check_env()
if not os.path.isfile(os.path.join(E.EI_MODELS, "ppocr", "cls.onnx")):
    E.skip("the bundled PP-OCR classifier is not set up")


def hung(signum, frame):
    raise TimeoutError("the test hung: a request was not answered while a decode was held")


signal.signal(signal.SIGALRM, hung)
root = tempfile.mkdtemp(prefix="ei-repo-")
repo = E.make_repo(os.path.join(root, "repo"), cls_delay_us=0)
fifo = os.path.join(root, "hold")
os.mkfifo(fifo)
env = os.environ.copy()
env["EI_TEST_HOLD_DECODE"] = fifo
c = E.Checker()
s = E.Server(repo, "--http-threads", "1", "--image-workers", "1", "--image-queue", "0",
             "--max-image-pixels", "1000", env=env)


def release():
    """Waits until a worker holds a decode (open blocks until the reader opened), releases it."""
    with open(fifo, "wb") as f:
        f.write(b"x")


try:
    signal.alarm(240)
    c.true("the hook is announced as a test hook", "EI_TEST_HOLD_DECODE" in s.stderr())
    first = []
    t = threading.Thread(target=lambda: first.append(
        s.request("POST", "/v2/models/cls/classify", E.png(24, 16, (250, 250, 250)),
                  {"Content-Type": "image/png"})))
    t.start()
    w = open(fifo, "wb")  # returns once the worker is holding the first decode
    c.eq("health answered while a decode is held", s.request("GET", "/v2/health/live")[0], 200)
    c.eq("readiness answered", s.request("GET", "/v2/health/ready")[0], 200)
    c.eq("metadata answered", s.request("GET", "/v2/models/cls")[0], 200)
    c.true("metrics answered", "ei_http_requests_total" in s.metrics())
    st, h, body = s.request("POST", "/v2/models/cls/classify", E.png(24, 16, (0, 0, 0)),
                            {"Content-Type": "image/png"})
    c.eq("a second image while the only worker is busy and no queue: 503", st, 503)
    c.true("with Retry-After", h.get("Retry-After") == "1", str(h))
    c.true("saying the workers are busy", b"image workers are busy" in body, body)
    c.eq("the first image is still waiting", first, [])
    w.write(b"x")
    w.close()
    t.join(120)
    c.eq("released: the first image is classified", first[0][0] if first else None, 200)
    if first:
        doc = json.loads(first[0][2])
        c.eq("its size", doc.get("image"), {"width": 24, "height": 16})
    # --max-image-pixels: 40 x 30 = 1200 > 1000 (the header is read before any pixel).
    big = []
    t = threading.Thread(target=lambda: big.append(
        s.request("POST", "/v2/models/cls/classify", E.png(40, 30, (9, 9, 9)),
                  {"Content-Type": "image/png"})))
    t.start()
    release()
    t.join(120)
    c.eq("an image over --max-image-pixels: 413", big[0][0] if big else None, 413)
    c.true("naming the limit", big and b"above the limit of 1000 pixels" in big[0][2],
           big[0][2] if big else "")
    c.eq("exit 0", s.stop(), 0)

    # --max-memory: a request held in the pool holds its body's share of the budget, so a body
    # that would go over it is answered 503 (its bytes are read and dropped, nothing kept).
    s2 = E.Server(repo, "--image-workers", "1", "--max-memory", "2500000", env=env)
    held = []
    t = threading.Thread(target=lambda: held.append(
        s2.request("POST", "/v2/models/cls/classify", b"\x89PNG" + b"z" * 700000,
                   {"Content-Type": "image/png"})))
    t.start()
    w = open(fifo, "wb")  # the 700 KB body (1 MiB of buffer) is held by the worker
    st, h, body = s2.request("POST", "/v2/models/add/infer", b"[" * 1500000)
    c.eq("a body over the memory budget left: 503", st, 503)
    c.true("naming --max-memory", b"--max-memory" in body, body)
    c.eq("small requests still served", s2.request("GET", "/v2/health/live")[0], 200)
    w.write(b"x")
    w.close()
    t.join(120)
    c.eq("the held image is answered (not an image: 400)", held[0][0] if held else None, 400)
    signal.alarm(0)
    c.eq("exit 0 (budget)", s2.stop(), 0)
    s2.close()
except TimeoutError as e:
    c.true(str(e), False)
finally:
    signal.alarm(0)
    rc = c.done(s)
    s.close()
    shutil.rmtree(root, ignore_errors=True)
sys.exit(rc)
