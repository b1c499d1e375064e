# SPDX-License-Identifier: MIT
"""Generates the image fidelity test set: synthetic images covering every decoder path.

Gradients, sharp edges, odd sizes, grey, grey+alpha, RGBA, palette (with transparency), 16-bit
RGB and grey PNG, EXIF orientations 2..8, CMYK and progressive JPEG, grey JPEG, lossy and
lossless WebP. Deterministic (fixed seed). Not for benchmarks: bench/image/run.sh uses photos.

    /usr/bin/python3 gen_images.py OUTDIR
"""
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image


def base_rgb(w, h, seed=1):
    """A smooth gradient plus sharp edges (stripes, a disc, a checkerboard) and a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / max(w - 1, 1)
    g = 255 * y / max(h - 1, 1)
    b = 127 + 120 * np.sin(x / 7.0) * np.cos(y / 11.0)
    img = np.stack([r, g, b], axis=-1)
    img[(x // 9 + y // 9) % 2 == 0, :] *= 0.6  # checkerboard edges
    disc = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (min(w, h) * 0.2) ** 2
    img[disc] = [250, 20, 30]
    img[:, (np.arange(w) % 17) < 2] = 0  # thin vertical lines
    img += rng.normal(0, 4, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def write_png16(path, arr16):
    """PIL cannot write 16-bit RGB PNG; build it by hand (colour type 2 or 0, depth 16)."""
    h, w = arr16.shape[:2]
    ctype = 2 if arr16.ndim == 3 else 0
    raw = b"".join(b"\x00" + arr16[i].astype(">u2").tobytes() for i in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def main(out):
    os.makedirs(out, exist_ok=True)
    rgb = base_rgb(333, 251)
    big = base_rgb(1203, 801, seed=2)
    tall = base_rgb(157, 419, seed=3)
    small = base_rgb(97, 61, seed=4)
    wide = base_rgb(640, 72, seed=5)
    Image.fromarray(rgb).save(f"{out}/rgb_odd.png")
    Image.fromarray(big).save(f"{out}/big.jpg", quality=92)
    Image.fromarray(big).save(f"{out}/big_prog.jpg", quality=85, progressive=True)
    Image.fromarray(tall).save(f"{out}/tall.png")
    Image.fromarray(small).save(f"{out}/small_up.png")
    Image.fromarray(wide).save(f"{out}/textline.png")
    Image.fromarray(base_rgb(1, 1, seed=6)).save(f"{out}/tiny1x1.png")
    Image.fromarray(base_rgb(3, 300, seed=7)).save(f"{out}/thin3x300.png")
    Image.fromarray(rgb).save(f"{out}/rgb_odd.jpg", quality=95, subsampling=0)
    Image.fromarray(rgb).convert("L").save(f"{out}/grey.png")
    Image.fromarray(rgb).convert("L").save(f"{out}/grey.jpg", quality=90)
    la = Image.merge("LA", [Image.fromarray(rgb).convert("L"),
                            Image.fromarray(rgb[:, :, 2])])
    la.save(f"{out}/grey_alpha.png")
    rgba = Image.fromarray(np.dstack([rgb, rgb[:, :, 1]]), "RGBA")
    rgba.save(f"{out}/rgba.png")
    pal = Image.fromarray(rgb).quantize(64)
    pal.info["transparency"] = 3
    pal.save(f"{out}/palette.png", transparency=3)
    Image.fromarray(rgb).convert("CMYK").save(f"{out}/cmyk.jpg", quality=90)
    write_png16(f"{out}/rgb16.png", rgb.astype(np.uint16) * 257 + 77)
    write_png16(f"{out}/grey16.png", rgb[:, :, 0].astype(np.uint16) * 256 + 200)
    Image.fromarray(rgb).save(f"{out}/lossy.webp", quality=80)
    rgba.save(f"{out}/alpha_lossless.webp", lossless=True, exact=True)
    # EXIF orientations: the stored pixels are the upright image transformed by the inverse op.
    inverse = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
               6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_270}
    up = Image.fromarray(tall)
    for o, op in inverse.items():
        ex = Image.Exif()
        ex[0x0112] = o
        up.transpose(op).save(f"{out}/exif{o}.jpg", quality=93, exif=ex.tobytes())
    ex = Image.Exif()
    ex[0x0112] = 6
    up.transpose(Image.Transpose.ROTATE_90).save(f"{out}/exif6.png", exif=ex.tobytes())
    ex[0x0112] = 8
    up.transpose(Image.Transpose.ROTATE_270).save(f"{out}/exif8.webp", quality=90,
                                                  exif=ex.tobytes())


if __name__ == "__main__":
    main(sys.argv[1])
