# SPDX-License-Identifier: MIT
"""Reference preprocessing with PIL + NumPy: what torchvision's Resize/CenterCrop/ToTensor/
Normalize (on PIL images), a YOLO letterbox and PaddleOCR's resize_norm_img produce.

Used by fidelity.py (tests) and bench/image/bench_py.py (speed comparison). It mirrors the
options of ei_image_opts_t; see include/edgeinfer/image.h.

Deliberate difference: PIL clips 16-bit grey ("I;16"/"I") to 255 when converting to RGB; we and
this reference keep the high byte instead (value >> 8), as PIL does for 16-bit RGB.
"""
import math

import numpy as np
from PIL import Image, ImageOps

FILTERS = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
           "bicubic": Image.Resampling.BICUBIC, "area": Image.Resampling.BOX}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def load_rgb(path, orient=True):
    """Decodes as PIL does, upright (exif_transpose), as 8-bit RGB (alpha dropped)."""
    im = Image.open(path)
    if orient:
        im = ImageOps.exif_transpose(im)
    if im.mode in ("I", "I;16", "I;16B"):
        arr = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)
        im = Image.fromarray(arr, "L")
    return im.convert("RGB")


def geometry(cfg, w, h):
    """Returns (rw, rh, window (x, y, ww, wh), origin (ox, oy)) as image.c's plan_layout."""
    W, H, fit = cfg["W"], cfg["H"], cfg["fit"]
    if fit == "crop":
        s = cfg["resize_shorter"] or round(max(W, H) * 256 / 224)
        if w <= h:
            rw, rh = s, int(s * h / w)
        else:
            rw, rh = int(s * w / h), s
        # torchvision CenterCrop (pads with 0 when the crop is larger)
        wx, ww, ox = (int(round((rw - W) / 2.0)), W, 0) if rw >= W else (0, rw, (W - rw) // 2)
        wy, wh, oy = (int(round((rh - H) / 2.0)), H, 0) if rh >= H else (0, rh, (H - rh) // 2)
        return rw, rh, (wx, wy, ww, wh), (ox, oy)
    if fit == "letterbox":
        r = min(H / h, W / w)
        rw, rh = int(round(w * r)), int(round(h * r))
        dw, dh = (W - rw) / 2, (H - rh) / 2
        return rw, rh, (0, 0, rw, rh), (int(round(dw - 0.1)), int(round(dh - 0.1)))
    if fit in ("padright", "ppocr"):
        rw = math.ceil(H * (w / float(h)))
        rw = W if rw > W else rw
        return rw, H, (0, 0, rw, H), (0, 0)
    return W, H, (0, 0, W, H), (0, 0)


def normalise(u8, cfg):
    """uint8 HWC (RGB) -> the output dtype, layout and order, float32 arithmetic as torch."""
    arr = u8
    if cfg["order"] == "bgr":
        arr = arr[:, :, ::-1]
    if cfg["dtype"] == "uint8":
        out = arr.copy()
    else:
        x = arr.astype(np.float32)
        if cfg["scale"] == "1/255":
            x = x / np.float32(255)
        else:
            x = x * np.float32(cfg["scale"])
        mean = np.array(cfg["mean"], dtype=np.float32)
        std = np.array(cfg["std"], dtype=np.float32)
        if cfg["order"] == "bgr":
            pass  # mean/std are given per output channel already
        x = (x - mean) / std
        out = x.astype(np.float16) if cfg["dtype"] == "float16" else x
    if cfg["layout"] == "nchw":
        out = np.ascontiguousarray(out.transpose(2, 0, 1))
    return out


def preprocess(path, cfg):
    """The whole pipeline for one image and one configuration dict (see fidelity.py)."""
    if cfg["fit"] == "ppocr":
        return ppocr(path)
    im = load_rgb(path)
    w, h = im.size
    rw, rh, (wx, wy, ww, wh), (ox, oy) = geometry(cfg, w, h)
    r = im.resize((rw, rh), FILTERS[cfg["filter"]])
    r = np.asarray(r)[wy:wy + wh, wx:wx + ww]
    W, H = cfg["W"], cfg["H"]
    if cfg["fit"] == "letterbox":
        canvas = np.empty((H, W, 3), np.uint8)
        canvas[:] = cfg.get("pad_rgb", (114, 114, 114))
    else:
        canvas = np.zeros((H, W, 3), np.uint8)
    canvas[oy:oy + wh, ox:ox + ww] = r
    out = normalise(canvas, cfg)
    if cfg["fit"] == "padright":
        pad = cfg.get("pad_value", 0.0)
        if cfg["layout"] == "nchw":
            out[:, :, rw:] = pad
        else:
            out[:, rw:, :] = pad
    return out


def ppocr(path):
    """PaddleOCR rec/cls resize_norm_img on a BGR image (cv2.imread), imgH 48, imgW 192."""
    import cv2  # only here: the rest of the reference needs no OpenCV
    img = np.asarray(load_rgb(path))[:, :, ::-1]
    imgC, imgH, imgW = 3, 48, 192
    h, w = img.shape[:2]
    ratio = w / float(h)
    resized_w = imgW if math.ceil(imgH * ratio) > imgW else int(math.ceil(imgH * ratio))
    resized = cv2.resize(np.ascontiguousarray(img), (resized_w, imgH)).astype("float32")
    resized = resized.transpose((2, 0, 1)) / 255
    resized -= 0.5
    resized /= 0.5
    pad = np.zeros((imgC, imgH, imgW), dtype=np.float32)
    pad[:, :, 0:resized_w] = resized
    return pad
