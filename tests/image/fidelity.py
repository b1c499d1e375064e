# SPDX-License-Identifier: MIT
"""Image pipeline fidelity test: our output (image_dump) against PIL + NumPy (ref_pil.py).

Generates the synthetic test set (gen_images.py), writes one case file for image_dump, runs it
once, and compares every output with the reference. Cases marked exact (no resampling: pure
decode, crop, layout, normalisation) must match bit for bit; antialiased resizes must stay within
TOL (0.02 after normalisation) and their observed maximum is printed. The DCT-scaling case is
reported with its own bound, since it deliberately departs from PIL's full decode.

    /usr/bin/python3 fidelity.py --dump build/tests/ei_image_dump --work /tmp/fid
Exit: 0 ok, 1 mismatch, 77 when numpy/PIL/cv2 are missing.
"""
import argparse
import os
import subprocess
import sys

try:
    import numpy as np
    from PIL import Image  # noqa: F401
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_images  # noqa: E402
import ref_pil  # noqa: E402

TOL = 0.02
IMAGENET = dict(norm="imagenet", scale="1/255", mean=ref_pil.IMAGENET_MEAN,
                std=ref_pil.IMAGENET_STD)
UNIT = dict(norm="unit", scale="1/255", mean=(0, 0, 0), std=(1, 1, 1))
RAW = dict(norm="raw", scale=1.0, mean=(0, 0, 0), std=(1, 1, 1))


def cfg(fit="crop", W=224, H=224, resize_shorter=256, filter="bilinear", aa=1, order="rgb",
        layout="nchw", dtype="float32", dct=0, norm=IMAGENET, tol=TOL):
    c = dict(fit=fit, W=W, H=H, resize_shorter=resize_shorter, filter=filter, aa=aa, order=order,
             layout=layout, dtype=dtype, dct=dct, tol=tol)
    c.update(norm)
    return c


def cases(imgs):
    all_imgs = sorted(f for f in os.listdir(imgs))
    out = []
    for f in all_imgs:
        out.append((f, "imagenet", cfg()))
    some = ["rgb_odd.png", "big.jpg", "tall.png", "small_up.png", "exif6.jpg", "cmyk.jpg",
            "tiny1x1.png", "thin3x300.png"]
    for f in some:
        out.append((f, "bicubic", cfg(filter="bicubic")))
        out.append((f, "area", cfg(filter="area")))
        out.append((f, "nearest", cfg(filter="nearest")))
        out.append((f, "stretch_nhwc_bgr", cfg(fit="stretch", W=200, H=120, layout="nhwc",
                                                order="bgr")))
        out.append((f, "letterbox", cfg(fit="letterbox", W=320, H=256, norm=UNIT)))
        out.append((f, "letterbox_u8_nhwc", cfg(fit="letterbox", W=256, H=320, layout="nhwc",
                                                 dtype="uint8")))
        out.append((f, "letterbox_f16_nhwc", cfg(fit="letterbox", W=300, H=300, layout="nhwc",
                                                  dtype="float16", order="bgr")))
        out.append((f, "padright_nhwc", cfg(fit="padright", W=192, H=48, layout="nhwc",
                                            norm=UNIT)))
        out.append((f, "u8_nhwc", cfg(layout="nhwc", dtype="uint8")))
        out.append((f, "f16", cfg(dtype="float16", filter="bicubic")))
        out.append((f, "pad_crop", cfg(resize_shorter=160)))
        out.append((f, "raw_nhwc", cfg(layout="nhwc", norm=RAW)))
        out.append((f, "padright", cfg(fit="padright", W=192, H=48, norm=UNIT)))
    try:  # the PaddleOCR reference uses cv2.resize; python3-opencv is optional for the tests
        import cv2  # noqa: F401
        for f in ["textline.png", "rgb_odd.png", "small_up.png", "tall.png"]:
            out.append((f, "ppocr", dict(fit="ppocr", tol=TOL)))
    except ImportError:
        print("note: no cv2 (python3-opencv): PaddleOCR preset cases skipped")
    # Exact: no resampling at all, so decode + crop + layout + normalisation must be bit-exact.
    for f in all_imgs:
        with Image.open(os.path.join(imgs, f)) as im:
            w, h = ref_pil.load_rgb(os.path.join(imgs, f)).size
        out.append((f, "exact_identity", cfg(fit="stretch", W=w, H=h, tol=0.0)))
        if w != h and min(w, h) > 10:  # shorter side kept, longer side int(s * long / short) == long: crop only
            out.append((f, "exact_crop", cfg(resize_shorter=min(w, h), W=min(w, h) - 7,
                                             H=min(w, h) - 3, order="bgr", tol=0.0)))
    # Extreme reductions: filter windows wider than the SIMD kernel's 512 taps fall back to the
    # portable loop.
    for filt in ("bilinear", "bicubic", "area"):
        out.append(("big.jpg", "extreme_" + filt, cfg(fit="stretch", W=3, H=2, filter=filt)))
    out.append(("big.jpg", "dct_scaling", cfg(dct=1, tol=1.0)))
    out.append(("big_prog.jpg", "dct_scaling", cfg(dct=1, tol=1.0)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    imgs = os.path.join(a.work, "images")
    outs = os.path.join(a.work, "out")
    os.makedirs(outs, exist_ok=True)
    gen_images.main(imgs)
    cs = cases(imgs)
    lines = []
    for i, (f, name, c) in enumerate(cs):
        o = os.path.join(outs, f"{i:03d}_{name}_{f}.bin")
        inp = os.path.join(imgs, f)
        if c["fit"] == "ppocr":
            lines.append(f"{inp} {o} ppocr")
        else:
            lines.append(" ".join(str(x) for x in (
                inp, o, c["fit"], c["W"], c["H"], c["resize_shorter"], c["filter"], c["aa"],
                c["order"], c["layout"], c["dtype"], c["dct"], c["norm"])))
    listfile = os.path.join(a.work, "cases.txt")
    with open(listfile, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    res = subprocess.run([a.dump, listfile], capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stdout, res.stderr)
        return 1
    status = {ln.split()[1]: ln for ln in res.stdout.splitlines()}
    failed = 0
    worst = {}
    for i, (f, name, c) in enumerate(cs):
        o = os.path.join(outs, f"{i:03d}_{name}_{f}.bin")
        st = status.get(o, "missing")
        if not st.startswith("OK"):
            print(f"FAIL {name:18s} {f:22s} {st}")
            failed += 1
            continue
        ref = ref_pil.preprocess(os.path.join(imgs, f), c)
        got = np.fromfile(o, dtype=ref.dtype).reshape(ref.shape)
        d = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        mx, mean = float(d.max()), float(d.mean())
        ok = mx <= c["tol"]
        worst[name] = max(worst.get(name, 0.0), mx)
        print(f"{'ok  ' if ok else 'FAIL'} {name:18s} {f:22s} max {mx:.6f} mean {mean:.7f} "
              f"(tol {c['tol']})")
        if not ok:
            failed += 1
    print("worst max abs difference per case kind:")
    for k, v in sorted(worst.items()):
        print(f"  {k:18s} {v:.6f}")
    print(f"{len(cs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
