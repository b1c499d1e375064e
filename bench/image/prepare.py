# SPDX-License-Identifier: MIT
"""Makes the benchmark photos: skimage's chelsea and coffee and OpenCV's aloeL, saved as JPEG
quality 90, plus a 4032x3024 (12 MP) JPEG made by upscaling aloeL (bicubic). Deterministic.

    /usr/bin/python3 prepare.py OUTDIR
"""
import os
import subprocess
import sys

from PIL import Image


def find(pkg, name):
    out = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.endswith("/" + name):
            return line
    sys.exit(f"prepare: {name} not found in Debian package {pkg} (scripts/setup.sh full)")


def main(out):
    os.makedirs(out, exist_ok=True)
    srcs = [("chelsea.jpg", find("python3-skimage", "chelsea.png")),
            ("coffee.jpg", find("python3-skimage", "coffee.png")),
            ("aloeL.jpg", find("opencv-doc", "aloeL.jpg"))]
    for name, src in srcs:
        dst = os.path.join(out, name)
        if not os.path.exists(dst):
            Image.open(src).convert("RGB").save(dst, quality=90)
    big = os.path.join(out, "photo12mp.jpg")
    if not os.path.exists(big):
        im = Image.open(srcs[2][1]).convert("RGB")
        im.resize((4032, 3024), Image.Resampling.BICUBIC).save(big, quality=90)
    for name in ["chelsea.jpg", "coffee.jpg", "aloeL.jpg", "photo12mp.jpg"]:
        p = os.path.join(out, name)
        w, h = Image.open(p).size
        print(f"{p} {w}x{h} {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
