#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks of `edgeinfer classify` as a user runs it: output formats, batching (partial, padded),
softmax modes, and bad input (missing, corrupt and unsupported images among good ones, unknown
preset, short labels file, --top-k above the class count, a model that is not an image
classifier). Uses the bundled PP-OCR direction classifier and the tiny models in
tests/classify/data (each averages its input per channel: a red image is class 0, green 1, blue 2).

usage: cli_checks.py --bin EDGEINFER --models DIR --source DIR --work DIR [--case NAME]...
Without --case, runs every case. Exits 77 (skipped) when /usr/bin/python3 lacks PIL.
"""
import argparse
import json
import os
import re
import subprocess
import sys

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:
    print("skipped: PIL (python3-pil) is not installed")
    sys.exit(77)

A = None  # parsed arguments
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class Fail(Exception):
    pass


def check(cond, what, proc=None):
    if not cond:
        extra = ""
        if proc is not None:
            extra = "\n--- exit %d\n--- stdout:\n%s\n--- stderr:\n%s" % (
                proc.returncode, proc.stdout, proc.stderr)
        raise Fail(what + extra)


def run(*args):
    return subprocess.run([A.bin, "classify"] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


def w(name):
    return os.path.join(A.work, name)


def cls_args():
    return ["--model", os.path.join(A.models, "ppocr", "cls.onnx"), "--labels",
            os.path.join(A.models, "ppocr", "cls_labels.txt"), "--preset", "ppocr"]


def tiny(name):
    return os.path.join(A.source, "tests", "classify", "data", name)


def text_line(name, text="Quality control 42", size=28, rotate=False, fmt=None):
    font = ImageFont.truetype(FONT, size)
    left, top, right, bottom = font.getbbox(text)
    img = Image.new("RGB", (right - left + 8, bottom - top + 8), "white")
    ImageDraw.Draw(img).text((4 - left, 4 - top), text, font=font, fill="black")
    if rotate:
        img = img.rotate(180)
    path = w(name)
    img.save(path, format=fmt)
    return path


def solid(name, rgb, size=(24, 16)):
    path = w(name)
    Image.new("RGB", size, rgb).save(path)
    return path


def results_of(proc):
    """Text output -> {image: [(label, score)]}."""
    out = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(.*): (\S+) \((-?\d+\.\d{4})\)$", line)
        if m:
            out.setdefault(m.group(1), []).append((m.group(2), float(m.group(3))))
    return out


# Cases --------------------------------------------------------------------------------------

def case_text_formats():
    """JPEG, PNG and WebP; the text form is 'IMAGE: LABEL (SCORE)'."""
    up = text_line("up.jpg", fmt="JPEG")
    down = text_line("down.png", rotate=True)
    webp = text_line("up.webp", text="Orientation", fmt="WEBP")
    p = run(*cls_args(), "--top-k", "1", up, down, webp)
    check(p.returncode == 0, "expected exit 0", p)
    r = results_of(p)
    check(r.get(up, [("?",)])[0][0] == "0", "upright JPEG should be 0", p)
    check(r.get(down, [("?",)])[0][0] == "180", "turned PNG should be 180", p)
    check(r.get(webp, [("?",)])[0][0] == "0", "upright WebP should be 0", p)
    check(len(p.stdout.splitlines()) == 3, "one line per image with --top-k 1", p)


def case_json():
    up = text_line("up.png")
    down = text_line("down.png", rotate=True)
    p = run(*cls_args(), "--json", "--logits", "--timings", "--top-k", "2", up, down)
    check(p.returncode == 0, "expected exit 0", p)
    doc = json.loads(p.stdout)
    res = doc["results"]
    check([r["image"] for r in res] == [up, down], "results in input order", p)
    for r, want in zip(res, ("0", "180")):
        check(len(r["top"]) == 2, "two entries with --top-k 2", p)
        check(r["top"][0]["label"] == want, "%s should be %s" % (r["image"], want), p)
        check(r["top"][0]["score"] >= r["top"][1]["score"], "best first", p)
        check(abs(r["top"][0]["score"] + r["top"][1]["score"] - 1) < 1e-5, "probabilities", p)
        # The model ends in softmax: detected, not applied twice; logits = the probabilities.
        check(r["softmax"] is False, "output already a distribution: no softmax", p)
        check(len(r["logits"]) == 2, "two logits", p)
        for k in ("decode", "preprocess", "inference", "postprocess"):
            check(r["timings_ms"][k] >= 0, "timing %s" % k, p)
    s = doc["summary"]
    check(s["images"] == 2 and s["classified"] == 2 and s["failed"] == 0, "summary", p)
    check(doc["errors"] == [], "no errors", p)


def case_preprocessing_flags():
    """Explicit flags equal to the ppocr preset give the same logits; other flags change them;
    bad values are usage errors."""
    up = text_line("up.png")
    m = os.path.join(A.models, "ppocr", "cls.onnx")
    def logits(*extra):
        p = run("--model", m, "--json", "--logits", *extra, up)
        check(p.returncode == 0, "expected exit 0 for %s" % (extra,), p)
        return json.loads(p.stdout)["results"][0]["logits"]
    preset = logits("--preset", "ppocr")
    flags = logits("--size", "192x48", "--fit", "pad-right", "--mean", "0.5,0.5,0.5", "--std",
                   "0.5,0.5,0.5", "--scale", "0.00392156862745098", "--order", "bgr",
                   "--no-antialias", "--layout", "nchw", "--filter", "bilinear")
    check(all(abs(a - b) < 1e-6 for a, b in zip(preset, flags)),
          "flags equal to the preset: %s vs %s" % (preset, flags))
    # The tiny model averages each channel: red is class 0 in RGB, class 2 in BGR; a letterbox
    # with a blue pad moves weight to class 2.
    red = solid("red.png", (255, 0, 0), size=(64, 16))
    def top(*extra):
        p = run("--model", tiny("gap_softmax.onnx"), "--top-k", "1", "--json", *extra, red)
        check(p.returncode == 0, "expected exit 0 for %s" % (extra,), p)
        return json.loads(p.stdout)["results"][0]["top"][0]["index"]
    check(top("--preset", "unit", "--size", "16") == 0, "red is class 0 in RGB")
    check(top("--preset", "unit", "--size", "16", "--order", "bgr") == 2, "--order bgr")
    check(top("--preset", "unit", "--size", "16", "--fit", "letterbox", "--pad", "0,0,255") == 2,
          "--fit letterbox with --pad")
    for bad in (["--size", "0"], ["--mean", "1,2"], ["--std", "1,0,1"], ["--fit", "zoom"],
                ["--order", "rbg"], ["--layout", "chw"], ["--filter", "lanczos"],
                ["--scale", "-1"], ["--pad", "1,2,300"]):
        p = run("--model", m, *bad, up)
        check(p.returncode == 2 and bad[0] in p.stderr, "usage error for %s" % bad, p)


def case_directory_and_stdin():
    d = w("imgdir")
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    text_line(os.path.join("imgdir", "b.png"))
    text_line(os.path.join("imgdir", "a.jpg"), rotate=True)
    with open(os.path.join(d, "readme.txt"), "w") as f:
        f.write("skip me")
    p = run(*cls_args(), "--top-k", "1", d)
    got = [l.split(": ")[0] for l in p.stdout.splitlines()]
    check(p.returncode == 0 and got == [os.path.join(d, "a.jpg"), os.path.join(d, "b.png")],
          "a directory gives its images, sorted", p)
    with open(os.path.join(d, "a.jpg"), "rb") as f:
        data = f.read()
    p = subprocess.run([A.bin, "classify"] + cls_args() + ["--top-k", "1", "-"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    check(p.returncode == 0 and p.stdout.decode().startswith("-: 180"), "an image on stdin", p)
    p = run(*cls_args(), "-", "-")
    check(p.returncode == 2 and "twice" in p.stderr, "'-' twice is a usage error", p)


def case_missing_image():
    up = text_line("up.png")
    down = text_line("down.png", rotate=True)
    missing = w("no_such_image.png")
    p = run(*cls_args(), "--top-k", "1", up, missing, down)
    check(p.returncode == 1, "a missing image must give exit 1", p)
    check("no_such_image.png" in p.stderr, "stderr must name the missing file", p)
    r = results_of(p)
    check(r.get(up) and r[up][0][0] == "0" and r.get(down) and r[down][0][0] == "180",
          "the good images are still classified", p)
    check(missing not in r, "no result for the missing image", p)
    pj = run(*cls_args(), "--json", up, missing)
    check(pj.returncode == 1, "exit 1 with --json too", pj)
    doc = json.loads(pj.stdout)
    check(doc["summary"]["failed"] == 1 and doc["errors"][0]["image"] == missing and
          doc["errors"][0]["code"] == "EI_ENOENT", "JSON lists the failure", pj)


def case_corrupt_image():
    up = text_line("up.jpg", fmt="JPEG")
    data = open(up, "rb").read()
    trunc = w("truncated.jpg")
    open(trunc, "wb").write(data[:len(data) // 3])
    junk = w("not_an_image.png")
    open(junk, "w").write("this is text, not a PNG\n")
    empty = w("empty.webp")
    open(empty, "wb").close()
    p = run(*cls_args(), "--top-k", "1", trunc, up, junk, empty)
    check(p.returncode == 1, "corrupt images must give exit 1", p)
    for name in ("truncated.jpg", "not_an_image.png", "empty.webp"):
        check(name in p.stderr, "stderr must name %s" % name, p)
    check("EI_EFORMAT" in p.stderr, "corrupt is a format error", p)
    r = results_of(p)
    check(list(r) == [up] and r[up][0][0] == "0", "the good image is still classified", p)
    # Only bad images: nothing on stdout, exit 1.
    p = run(*cls_args(), trunc, junk)
    check(p.returncode == 1 and p.stdout.strip() == "", "all bad: exit 1, no results", p)


def case_max_image_pixels():
    """--max-image-pixels refuses larger images before decoding them; the others still run."""
    small = solid("px_small.png", (200, 30, 30), size=(10, 10))      # 100 pixels
    big_png = solid("px_big.png", (30, 200, 30), size=(20, 10))      # 200 pixels
    big_jpg = w("px_big.jpg")
    Image.new("RGB", (20, 10), (30, 30, 200)).save(big_jpg, format="JPEG")
    p = run(*cls_args(), "--top-k", "1", "--max-image-pixels", "150", small, big_png, big_jpg)
    check(p.returncode == 1, "an image over the limit is an error (exit 1)", p)
    for name in ("px_big.png", "px_big.jpg"):
        check(re.search(re.escape(name) + r".*20x10 \(200 pixels\), above the limit of 150 pixels",
                        p.stderr), "stderr names %s, its size and the limit" % name, p)
    check(list(results_of(p)) == [small], "the image under the limit is classified", p)
    p = run(*cls_args(), "--top-k", "1", "--max-image-pixels", "200", small, big_png, big_jpg)
    check(p.returncode == 0 and len(results_of(p)) == 3, "at the limit: accepted", p)
    p = run(*cls_args(), "--dct-scaling", "--max-image-pixels", "150", big_jpg)
    check(p.returncode == 1 and "above the limit of 150 pixels" in p.stderr,
          "the limit holds for --dct-scaling too", p)
    for bad in ("0", "-5", "x", "1e3"):
        p = run(*cls_args(), "--max-image-pixels", bad, small)
        check(p.returncode == 2 and "--max-image-pixels" in p.stderr,
              "usage error for --max-image-pixels %s" % bad, p)


def case_unknown_preset():
    up = text_line("up.png")
    p = run("--model", os.path.join(A.models, "ppocr", "cls.onnx"), "--preset", "bogus", up)
    check(p.returncode == 2, "an unknown preset is a usage error (exit 2)", p)
    check("bogus" in p.stderr and "ppocr" in p.stderr, "names the preset and the choices", p)


def case_short_labels():
    down = text_line("down.png", rotate=True)
    labels = w("one_label.txt")
    open(labels, "w").write("0\n")
    p = run("--model", os.path.join(A.models, "ppocr", "cls.onnx"), "--labels", labels,
            "--preset", "ppocr", "--top-k", "2", down)
    check(p.returncode == 0, "a short labels file is a warning, not an error", p)
    check(re.search(r"1 labels for 2 classes", p.stderr), "warns about the count", p)
    r = results_of(p)
    check(r[down][0][0] == "1" and r[down][1][0] == "0",
          "class 1 has no label: its index is printed", p)


def case_top_k_clamp():
    up = text_line("up.png")
    p = run(*cls_args(), "--top-k", "10", up)
    check(p.returncode == 0, "expected exit 0", p)
    check("--top-k 10" in p.stderr and "2 classes" in p.stderr, "warns about the clamp", p)
    r = results_of(p)
    check(len(r[up]) == 2 and {x[0] for x in r[up]} == {"0", "180"}, "clamped to 2", p)
    p = run(*cls_args(), "--top-k", "0", up)
    check(len(results_of(p)[up]) == 2, "--top-k 0 = all classes", p)


def case_not_a_classifier():
    up = text_line("up.png")
    p = run("--model", os.path.join(A.models, "vad", "silero_vad.onnx"), up)
    check(p.returncode == 1, "expected exit 1", p)
    check("not an image classifier" in p.stderr and "4 inputs" in p.stderr and
          "silero_vad.onnx" in p.stderr, "a clear error naming the model and why", p)
    p = run("--model", tiny("not_image.onnx"), up)
    check(p.returncode == 1 and "rank 4" in p.stderr, "rank-2 input refused", p)
    p = run("--model", w("no_such_model.onnx"), up)
    check(p.returncode == 1 and "no_such_model.onnx" in p.stderr, "missing model named", p)


def case_usage():
    p = run("--model", os.path.join(A.models, "ppocr", "cls.onnx"))
    check(p.returncode == 2 and "IMAGE" in p.stderr, "no image: usage error", p)
    p = run(text_line("up.png"))
    check(p.returncode == 2 and "--model" in p.stderr, "no model: usage error", p)
    for bad in (["--top-k", "-1"], ["--batch", "0"], ["--batch", "x"], ["--frobnicate"]):
        p = run(*cls_args(), *bad, w("up.png"))
        check(p.returncode == 2, "usage error for %s" % bad, p)
    p = run("--help")
    check(p.returncode == 0 and "--top-k" in p.stdout and "--threads" in p.stdout, "help", p)


def case_batches():
    """Dynamic batch: 5 images with --batch 2 run as 2 + 2 + 1; a bad one in the middle."""
    imgs = []
    for i in range(5):
        imgs.append(text_line("b%d.png" % i, text="Batch line %d" % (i * 7), rotate=i % 2 == 1))
    bad = w("missing.png")
    p = run(*cls_args(), "--batch", "2", "--top-k", "1", "--json", "--threads", "1",
            imgs[0], imgs[1], bad, imgs[2], imgs[3], imgs[4])
    check(p.returncode == 1, "exit 1 (one missing)", p)
    doc = json.loads(p.stdout)
    check(doc["batch"] == 2, "batch 2", p)
    got = [(r["image"], r["top"][0]["label"]) for r in doc["results"]]
    want = [(imgs[i], "180" if i % 2 else "0") for i in range(5)]
    check(got == want, "batched results %s" % got, p)
    # The same answers one at a time.
    p1 = run(*cls_args(), "--top-k", "1", "--json", *imgs)
    check([(r["image"], r["top"][0]["label"]) for r in json.loads(p1.stdout)["results"]] == want,
          "batch 1 agrees", p1)
    s1 = [r["top"][0]["score"] for r in json.loads(p1.stdout)["results"]]
    s2 = [r["top"][0]["score"] for r in doc["results"]]
    check(max(abs(a - b) for a, b in zip(s1, s2)) < 1e-4, "batching does not change scores", p)


def case_fixed_batch_padding():
    """A model with a fixed batch of 4: 5 images = 4 + 1 padded; labels from JSON metadata."""
    colours = [("r", (250, 10, 10), "red"), ("g", (5, 200, 9), "green"),
               ("b", (0, 0, 90), "blue"), ("g2", (30, 60, 20), "green"),
               ("b2", (1, 2, 3), "blue")]
    paths = [solid("%s.png" % n, rgb) for n, rgb, _ in colours]
    p = run("--model", tiny("gap_fixed4.onnx"), "--preset", "raw", "--batch", "3", "--top-k",
            "1", "--no-softmax", *paths)
    check(p.returncode == 0, "expected exit 0", p)
    check("fixed batch of 4" in p.stderr, "warns that --batch 3 is overridden", p)
    r = results_of(p)
    for path, (_, rgb, label) in zip(paths, colours):
        check(r[path][0][0] == label, "%s should be %s" % (path, label), p)
        check(abs(r[path][0][1] - max(rgb)) < 1e-3, "--no-softmax: raw channel mean", p)


def case_float16_and_metadata_labels():
    paths = [solid("r.png", (200, 20, 30)), solid("b.png", (10, 40, 230))]
    p = run("--model", tiny("gap_f16out.onnx"), "--preset", "unit", "--top-k", "3", "--json",
            *paths)
    check(p.returncode == 0, "expected exit 0", p)
    res = json.loads(p.stdout)["results"]
    check([r["top"][0]["label"] for r in res] == ["red", "blue"], "dict metadata labels", p)
    for r in res:
        check(r["softmax"] is True and abs(sum(t["score"] for t in r["top"]) - 1) < 1e-4,
              "softmax applied to float16 logits", p)


def case_timings_text():
    up = text_line("up.png")
    p = run(*cls_args(), "--timings", up)
    check(p.returncode == 0, "expected exit 0", p)
    check(re.search(r"up\.png: timings: decode [\d.]+ ms, preprocess [\d.]+ ms, inference "
                    r"[\d.]+ ms, postprocess [\d.]+ ms", p.stdout), "per-image timings", p)
    check(re.search(r"^total: 1 images classified, 0 failed", p.stdout, re.M), "total line", p)


CASES = {name[5:]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--case", action="append")
    A = ap.parse_args()
    names = A.case or sorted(CASES)
    failed = 0
    for name in names:
        if name not in CASES:
            print("unknown case %s (known: %s)" % (name, ", ".join(sorted(CASES))))
            return 2
        A.work = os.path.join(ap.parse_args().work, name)
        os.makedirs(A.work, exist_ok=True)
        try:
            CASES[name]()
            print("ok   %s" % name)
        except Fail as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
