# SPDX-License-Identifier: MIT
"""PIL and OpenCV baselines for bench/image/run.sh: per file, decode + resize 256 + centre crop
224 + ImageNet normalise into a 1x3x224x224 float32 array, one thread, N runs.

PIL follows torchvision (Resize(256) + CenterCrop(224) + ToTensor + Normalize) with NumPy for
the tensor steps; OpenCV is imread + resize (INTER_LINEAR) + crop + dnn.blobFromImage.
Prints "tool mode file wall_ms,... cpu_ms,..." lines (process CPU time); -d DIR dumps each
tensor.
"""
import argparse
import os
import time

import cv2
import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def sizes(w, h, s=256):
    return (s, int(s * h / w)) if w <= h else (int(s * w / h), s)


def pil_pipeline(path):
    im = Image.open(path).convert("RGB")
    rw, rh = sizes(*im.size)
    im = im.resize((rw, rh), Image.Resampling.BILINEAR)
    top, left = int(round((rh - 224) / 2.0)), int(round((rw - 224) / 2.0))
    im = im.crop((left, top, left + 224, top + 224))
    x = np.asarray(im, dtype=np.float32) / np.float32(255)
    x = (x - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1))[None]


def cv2_pipeline(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    rw, rh = sizes(w, h)
    img = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_LINEAR)
    top, left = int(round((rh - 224) / 2.0)), int(round((rw - 224) / 2.0))
    img = img[top:top + 224, left:left + 224]
    blob = cv2.dnn.blobFromImage(img, 1.0 / 255, mean=(123.675, 116.28, 103.53), swapRB=True)
    blob /= STD.reshape(1, 3, 1, 1)
    return blob


def bench(fn, path, runs, warmup):
    for _ in range(warmup):
        out = fn(path)
    t, c = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(path)
        t.append((time.perf_counter() - t0) * 1e3)
        c.append((time.process_time() - c0) * 1e3)
    return t, c, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=30)
    ap.add_argument("-w", type=int, default=3)
    ap.add_argument("-d")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    cv2.ocl.setUseOpenCL(False)
    for f in a.files:
        for name, fn in (("pil", pil_pipeline), ("opencv", cv2_pipeline)):
            t, c, out = bench(fn, f, a.n, a.w)
            print(f"{name} - {os.path.basename(f)} " + ",".join(f"{x:.4f}" for x in t) + " " +
                  ",".join(f"{x:.4f}" for x in c), flush=True)
            if a.d:
                out.astype(np.float32).tofile(os.path.join(a.d, f"{name}_{os.path.basename(f)}.f32"))


if __name__ == "__main__":
    main()
