#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Renders the two sample text-line images used by `make run` and the README (Debian's
/usr/bin/python3 with python3-pil and fonts-dejavu-core): line.jpg upright, line_upside_down.png
turned 180 degrees. The PP-OCR orientation classifier labels them 0 and 180."""
import os

from PIL import Image, ImageDraw, ImageFont

here = os.path.dirname(os.path.abspath(__file__))
font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
text = "Total due: 42.50 EUR"
img = Image.new("RGB", (font.getbbox(text)[2] + 16, 44), "white")
ImageDraw.Draw(img).text((8, 6), text, font=font, fill="black")
img.save(os.path.join(here, "line.jpg"), quality=92)
img.rotate(180).save(os.path.join(here, "line_upside_down.png"))
