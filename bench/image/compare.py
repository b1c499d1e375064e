# SPDX-License-Identifier: MIT
"""Turns the timing lines of bench/image/run.sh into the Markdown tables of docs/BENCHMARKS.md (part 2)
(wall-clock and process CPU time), and measures how far each tool's tensor is from PIL's (the torchvision reference), mean and max
absolute difference after normalisation.

    /usr/bin/python3 compare.py RESULTS_FILE DUMP_DIR PHOTO_DIR
"""
import os
import sys

import numpy as np
from PIL import Image

COLS = [("edgeinfer", "full"), ("edgeinfer", "dct"), ("edgeinfer", "dct2"), ("pil", "-"),
        ("opencv", "-"), ("sharp", "-")]
LABEL = {("edgeinfer", "full"): "edgeinfer full decode",
         ("edgeinfer", "dct"): "edgeinfer DCT scaling ×1",
         ("edgeinfer", "dct2"): "edgeinfer DCT scaling ×2",
         ("pil", "-"): "PIL + NumPy", ("opencv", "-"): "OpenCV", ("sharp", "-"): "sharp (libvips)"}


def main(results, dumps, photos):
    times = {"wall": {}, "cpu": {}}
    files = []
    for line in open(results):
        if line.startswith("#") or not line.strip():
            continue
        tool, mode, f, wall, cpu = line.split()
        times["wall"].setdefault((tool, mode, f), []).extend(float(x) for x in wall.split(","))
        times["cpu"].setdefault((tool, mode, f), []).extend(float(x) for x in cpu.split(","))
        if f not in files:
            files.append(f)
    for kind, title in (("wall", "Wall-clock"), ("cpu", "Process CPU")):
        rows = {}
        for k, t in times[kind].items():
            t = sorted(t)
            n = len(t)
            rows[k] = (t[n // 2], t[n // 10], t[(n * 9) // 10], n)
        table(rows, files, photos, title)
    fidelity(files, dumps)


def table(rows, files, photos, title):
    print(f"{title} time per image in ms: median (p10–p90), one thread, "
          f"{next(iter(rows.values()))[3]} runs each:\n")
    print("| photo | " + " | ".join(LABEL[c] for c in COLS) + " |")
    print("|---|" + "---|" * len(COLS))
    for f in files:
        w, h = Image.open(os.path.join(photos, f)).size
        cells = []
        for t, m in COLS:
            r = rows.get((t, m, f))
            cells.append("n/a" if r is None else f"{r[0]:.2f} ({r[1]:.2f}–{r[2]:.2f})")
        print(f"| {f} {w}×{h} | " + " | ".join(cells) + " |")
    print(f"\nSpeed-up of edgeinfer over each baseline ({title.lower()} median / median):\n")
    print("| photo | edgeinfer mode | vs OpenCV | vs PIL | vs sharp |")
    print("|---|---|---|---|---|")
    for f in files:
        for m in ("full", "dct", "dct2"):
            e = rows.get(("edgeinfer", m, f))
            if e is None:
                continue
            cells = []
            for t in ("opencv", "pil", "sharp"):
                r = rows.get((t, "-", f))
                cells.append("n/a" if r is None else f"{r[0] / e[0]:.2f}×")
            print(f"| {f} | {m} | " + " | ".join(cells) + " |")
    print()


def fidelity(files, dumps):
    print("Distance of each tensor from PIL's (torchvision reference), after normalisation:\n")
    print("| photo | " + " | ".join(LABEL[c] for c in COLS if c != ("pil", "-")) + " |")
    print("|---|" + "---|" * (len(COLS) - 1))
    for f in files:
        ref_p = os.path.join(dumps, f"pil_{f}.f32")
        if not os.path.exists(ref_p):
            continue
        ref = np.fromfile(ref_p, dtype=np.float32)
        cells = []
        for t, m in COLS:
            if t == "pil":
                continue
            name = f"{t}_{m}_{f}.f32" if t == "edgeinfer" else f"{t}_{f}.f32"
            p = os.path.join(dumps, name)
            if not os.path.exists(p):
                cells.append("n/a")
                continue
            d = np.abs(np.fromfile(p, dtype=np.float32).astype(np.float64) - ref)
            cells.append(f"mean {d.mean():.4f}, max {d.max():.3f}")
        print(f"| {f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:4])

