#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks of `edgeinfer ocr` as a user runs it, with the bundled PP-OCR models: plain text,
--json (lines with polygon, text, score; timings), --draw (a PNG of the right size with boxes
drawn), a directory, '-' (stdin), --no-angle, and bad input (missing, corrupt, truncated and
empty images among good ones, a dictionary of the wrong size, a detection model of the wrong
shape, bad option values, no image).

usage: cli_checks.py --bin EDGEINFER --models DIR --source DIR --work DIR --case NAME
Exits 77 (skipped) when /usr/bin/python3 lacks PIL."""
import argparse
import json
import os
import shutil
import subprocess
import sys

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:
    print("skipped: PIL (python3-pil) is not installed")
    sys.exit(77)

A = None
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TEXT = ["Invoice No. 2024-0917", "Total due: 1234.50 EUR"]


class Fail(Exception):
    pass


def check(cond, what, proc=None):
    if not cond:
        extra = ""
        if proc is not None:
            extra = "\n--- exit %d\n--- stdout:\n%s\n--- stderr:\n%s" % (
                proc.returncode, proc.stdout, proc.stderr)
        raise Fail(what + extra)


def run(*args, stdin=None):
    return subprocess.run([A.bin, "ocr"] + [str(a) for a in args], input=stdin,
                          capture_output=True, timeout=300)


def text(p):
    return p.stdout.decode("utf-8", "replace")


def err(p):
    return p.stderr.decode("utf-8", "replace")


def w(name):
    return os.path.join(A.work, name)


def page(name, rotate=False):
    font = ImageFont.truetype(FONT, 30)
    img = Image.new("RGB", (700, 200), "white")
    d = ImageDraw.Draw(img)
    for i, t in enumerate(TEXT):
        d.text((40, 40 + 70 * i), t, font=font, fill="black")
    if rotate:
        img = img.rotate(180)
    img.save(w(name))
    return w(name)


def case_text():
    p = run(page("page.png"))
    check(p.returncode == 0 and text(p).splitlines() == TEXT, "plain text, reading order", p)


def case_upside_down():
    p = run(page("turned.png", rotate=True))
    check(p.returncode == 0 and text(p).splitlines() == TEXT, "a page turned by 180 degrees", p)
    p = run("--no-angle", w("turned.png"))
    check(p.returncode == 0 and text(p).splitlines() != TEXT,
          "--no-angle leaves a turned page unreadable", p)


def case_json():
    p = run("--json", page("page.png"))
    check(p.returncode == 0, "--json exit code", p)
    doc = json.loads(text(p))
    r = doc["results"][0]
    check(r["width"] == 700 and r["height"] == 200, "image size in JSON", p)
    check([l["text"] for l in r["lines"]] == TEXT, "lines in JSON", p)
    for l in r["lines"]:
        check(0.5 <= l["score"] <= 1 and l["angle"] == 0, "line score and angle", p)
        poly = l["polygon"]
        check(len(poly) == 4 and all(len(pt) == 2 for pt in poly), "polygon shape", p)
        xs = [pt[0] for pt in poly]
        ys = [pt[1] for pt in poly]
        check(min(xs) < 60 and max(xs) > 300 and max(ys) - min(ys) < 70, "polygon place", p)
    t = r["timings_ms"]
    check(t["total"] >= t["det_inference"] + t["rec_inference"] > 0, "timings", p)
    check(doc["summary"] == {"images": 1, "failed": 0}, "summary", p)


def case_draw():
    out = w("drawn.png")
    if os.path.exists(out):
        os.remove(out)
    p = run("--draw", out, page("page.png"))
    check(p.returncode == 0 and os.path.exists(out), "--draw writes the file", p)
    a = Image.open(w("page.png")).convert("RGB")
    b = Image.open(out).convert("RGB")
    check(a.size == b.size, "--draw keeps the size", p)
    coloured = sum(1 for px in b.getdata() if max(px) - min(px) > 100)
    check(coloured > 500, "--draw draws coloured boxes (%d pixels)" % coloured, p)
    p = run("--draw", out, w("page.png"), w("page.png"))
    check(p.returncode == 2 and "--draw takes one image" in err(p), "--draw with two images", p)
    p = run("--draw", "/nonexistent/dir/x.png", w("page.png"))
    check(p.returncode == 1 and "/nonexistent/dir/x.png" in err(p), "--draw to a bad path", p)


def case_inputs():
    d = w("dir")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(page("page.png"), os.path.join(d, "b.png"))
    shutil.copy(page("turned.png", rotate=True), os.path.join(d, "a.PNG"))
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("not an image")
    p = run(d)
    want = "==> %s/a.PNG <==\n%s\n\n==> %s/b.png <==\n%s\n" % (d, "\n".join(TEXT), d,
                                                               "\n".join(TEXT))
    check(p.returncode == 0 and text(p) == want, "a directory: its images, sorted", p)
    with open(w("page.png"), "rb") as f:
        data = f.read()
    p = run("-", stdin=data)
    check(p.returncode == 0 and text(p).splitlines() == TEXT, "an image on stdin", p)
    p = run("-", "-", stdin=data)
    check(p.returncode == 2 and "twice" in err(p), "'-' twice", p)
    p = run("--json", w("page.png"), "-", stdin=data)
    doc = json.loads(text(p))
    check(p.returncode == 0 and [r["image"] for r in doc["results"]] == [w("page.png"), "-"],
          "files and stdin in one JSON document", p)


def case_bad_images():
    with open(w("corrupt.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with open(page("page.png"), "rb") as f:
        data = f.read()
    with open(w("truncated.png"), "wb") as f:
        f.write(data[:len(data) // 3])
    open(w("empty.jpg"), "wb").close()
    blank = w("blank.png")
    Image.new("RGB", (300, 100), "white").save(blank)
    p = run(w("corrupt.png"), w("page.png"), w("truncated.png"), w("missing.png"),
            w("empty.jpg"), blank)
    e = err(p)
    check(p.returncode == 1, "bad images make the exit code 1", p)
    for name in ["corrupt.png", "truncated.png", "missing.png", "empty.jpg"]:
        check(name in e, "the error names %s" % name, p)
    check("4 of 6 images could not be read" in e, "the summary line", p)
    check("\n".join(TEXT) in text(p), "the good image is still read", p)
    check(("==> %s <==\n\n" % blank) in text(p) or text(p).endswith("==> %s <==\n" % blank),
          "an image without text gives no lines", p)
    p = run("--json", w("corrupt.png"), blank)
    doc = json.loads(text(p))
    check(p.returncode == 1 and doc["errors"][0]["code"] == "EI_EFORMAT" and
          doc["results"][0]["lines"] == [], "--json lists errors; a blank page has no lines", p)


def case_bad_models():
    m = os.path.join(A.models, "ppocr")
    keys = w("short_keys.txt")
    with open(keys, "w") as f:
        f.write("a\nb\n")
    p = run("--keys", keys, page("page.png"))
    check(p.returncode == 1 and "6625 classes" in err(p) and "2 characters" in err(p),
          "a dictionary of the wrong size", p)
    det = os.path.join(A.source, "tests", "classify", "data", "gap_softmax.onnx")
    p = run("--det", det, w("page.png"))
    check(p.returncode == 1 and "detection model" in err(p) and "[N,1,H,W]" in err(p),
          "a detection model of the wrong shape", p)
    p = run("--models", w("nowhere"), w("page.png"))
    check(p.returncode == 1 and "nowhere" in err(p), "a models folder that does not exist", p)
    p = run("--rec", os.path.join(m, "keys.txt"), w("page.png"))
    check(p.returncode == 1 and "recognition model" in err(p), "a recogniser that is no model", p)


def case_usage():
    p = run()
    check(p.returncode == 2 and "missing IMAGE" in err(p), "no image", p)
    for args in (["--det-thresh", "2"], ["--box-thresh", "x"], ["--det-limit", "5"],
                 ["--rec-batch", "0"], ["--crop-margin", "-1"], ["--nope"]):
        p = run(*(args + ["x.png"]))
        check(p.returncode == 2 and args[0] in err(p), "bad option %s" % args, p)
    p = run("--help")
    check(p.returncode == 0 and "--draw OUT.png" in text(p), "--help", p)


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    A = ap.parse_args()
    A.work = os.path.join(A.work, A.case)
    os.makedirs(A.work, exist_ok=True)
    try:
        CASES[A.case]()
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
