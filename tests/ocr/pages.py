#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Renders invoice-like test pages with known text (Debian's python3-pil and fonts-dejavu,
fonts-liberation2, fonts-freefont-ttf): 1100 px wide, 4 to 9 lines, several fonts, sizes and
colours, some blurred, one turned 180 degrees. Used by tests/ocr/accuracy.py and bench/ocr.

    pages.py OUT_DIR [--count N]   writes page_NN.png and page_NN.txt (the lines, one per line)

Deterministic: the same pages every time (a fixed random seed)."""
import argparse
import os
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
]

WORDS = ("invoice total amount due date order number customer payment bank account reference "
         "delivery address street city quantity price tax net gross shipping item service "
         "monthly support license hardware discount balance paid credit card receipt store "
         "thank you for your purchase please pay within days contact email phone").split()


def line_text(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return "Invoice No. %d-%04d" % (rng.randrange(2020, 2027), rng.randrange(10000))
    if kind == 1:
        return "Date: %02d.%02d.%d" % (rng.randrange(1, 29), rng.randrange(1, 13),
                                       rng.randrange(2019, 2027))
    if kind == 2:
        w = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 4))).capitalize()
        return "%s %d x %.2f EUR" % (w, rng.randrange(1, 20), rng.randrange(100, 99999) / 100)
    if kind == 3:
        return "Total due: %.2f EUR" % (rng.randrange(100, 999999) / 100)
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 7))).capitalize()


def render(rng, index):
    n = rng.randrange(4, 10)
    lines = [line_text(rng) for _ in range(n)]
    font_path = FONTS[index % len(FONTS)]
    size = rng.choice([22, 26, 30, 34])
    font = ImageFont.truetype(font_path, size)
    gap = int(size * 1.9)
    height = 80 + gap * n + 40
    bg = rng.choice([(255, 255, 255), (250, 248, 240), (235, 240, 250)])
    fg = rng.choice([(0, 0, 0), (30, 30, 90), (90, 20, 20), (40, 40, 40)])
    img = Image.new("RGB", (1100, height), bg)
    d = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        d.text((60 + rng.randrange(0, 40), 60 + i * gap), t, font=font, fill=fg)
    if index % 4 == 3:
        img = img.filter(ImageFilter.GaussianBlur(0.8))
    if index % 5 == 4:
        img = img.rotate(180)
    return img, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=10)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(7)
    for i in range(a.count):
        img, lines = render(rng, i)
        img.save(os.path.join(a.out, "page_%02d.png" % i))
        with open(os.path.join(a.out, "page_%02d.txt" % i), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
