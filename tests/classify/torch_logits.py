#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end fidelity: `edgeinfer classify --logits` against PyTorch.

For torchvision ResNet-50 and MobileNetV2 (random weights, exported by scripts/export_models.py),
the logits edgeinfer prints for an image file must equal those of the same torch model on the
PIL-preprocessed image (torchvision Resize(256) + CenterCrop(224) + ToTensor + Normalize(ImageNet)):
max |ours - torch| <= 1e-3 * max |torch| for every image. The torch model is rebuilt the way the
export script builds it (same seed), so no weights are read back from ONNX.

Images: skimage's chelsea and coffee photos (python3-skimage) saved as JPEG quality 90 when
available, plus generated ones (a smooth gradient with detail as JPEG and PNG, odd sizes, one
portrait, one grey).

usage: torch_logits.py --bin EDGEINFER --models DIR --source DIR --work DIR
Exits 77 (skipped) unless EI_TEST_FULL=1 and /usr/bin/python3 can import torch, torchvision,
numpy and PIL: this is a `make test-full` test, since torch is heavy.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

if os.environ.get("EI_TEST_FULL") != "1":
    print("skipped: set EI_TEST_FULL=1 (make test-full) to compare with PyTorch")
    sys.exit(77)
try:
    import numpy as np
    import torch
    import torchvision.transforms as T
    from PIL import Image
except ImportError as e:
    print("skipped: %s (python3-torch, python3-torchvision, python3-pil)" % e)
    sys.exit(77)

TOL = 1e-3
MODELS = ("resnet50", "mobilenet_v2")


def make_images(work):
    paths = []
    try:
        import skimage.data
        for name in ("chelsea", "coffee"):
            p = os.path.join(work, name + ".jpg")
            Image.fromarray(getattr(skimage.data, name)()).convert("RGB").save(p, quality=90)
            paths.append(p)
    except Exception as e:  # skimage is optional here; the generated images still run
        print("note: skimage photos not used (%s)" % e)
    rng = np.random.default_rng(7)
    for w, h, fmt, mode in ((301, 227, "JPEG", "RGB"), (480, 640, "PNG", "RGB"),
                            (257, 255, "PNG", "L")):
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        r = 127 + 100 * np.sin(x / 17.0) * np.cos(y / 23.0)
        g = 255 * x / w
        b = 255 * y / h
        img = np.stack([r, g, b], -1) + rng.normal(0, 12, (h, w, 3))
        img[h // 3:h // 3 + 20, w // 4:3 * w // 4] = (250, 20, 20)  # a sharp-edged bar
        im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).convert(mode)
        p = os.path.join(work, "gen_%dx%d.%s" % (w, h, "jpg" if fmt == "JPEG" else "png"))
        im.save(p, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        paths.append(p)
    return paths


def load_export_script(source):
    spec = importlib.util.spec_from_file_location(
        "export_models", os.path.join(source, "scripts", "export_models.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    exp = load_export_script(args.source)
    torch.set_num_threads(2)
    images = make_images(args.work)
    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    batch = torch.stack([tf(Image.open(p).convert("RGB")) for p in images])

    worst = 0.0
    failed = 0
    for name in MODELS:
        onnx_path = os.path.join(args.models, "torch", name + ".onnx")
        if not os.path.exists(onnx_path):
            onnx_path = os.path.join(args.work, name + ".onnx")
            if not os.path.exists(onnx_path):
                print("exporting %s (not in %s/torch)" % (name, args.models))
                exp.export(name, onnx_path)
        torch.manual_seed(exp.SEED)
        model = exp.build(name).eval()
        with torch.no_grad():
            ref = model(batch).numpy()
        cmd = [args.bin, "classify", "--model", onnx_path, "--preset", "imagenet", "--json",
               "--logits", "--no-softmax", "--top-k", "1", "--batch", "2"] + images
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            print("%s: edgeinfer classify failed (exit %d): %s" % (name, p.returncode, p.stderr))
            return 1
        res = json.loads(p.stdout)["results"]
        for i, r in enumerate(res):
            ours = np.array(r["logits"], dtype=np.float64)
            diff = np.abs(ours - ref[i]).max()
            rel = diff / np.abs(ref[i]).max()
            worst = max(worst, rel)
            ok = rel <= TOL and int(ours.argmax()) == int(ref[i].argmax())
            failed += not ok
            print("%-12s %-22s max|diff| %.3g  max|logit| %.3g  relative %.3g  argmax %d/%d  %s" %
                  (name, os.path.basename(images[i]), diff, np.abs(ref[i]).max(), rel,
                   int(ours.argmax()), int(ref[i].argmax()), "ok" if ok else "FAIL"))
        # The comparison must be able to fail: the same run with the wrong normalisation (values
        # 0..1, no mean/std) has to land far outside the tolerance.
        p = subprocess.run(cmd[:cmd.index("imagenet")] + ["unit"] + cmd[cmd.index("imagenet") + 1:],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wrong = [np.abs(np.array(r["logits"]) - ref[i]).max() / np.abs(ref[i]).max()
                 for i, r in enumerate(json.loads(p.stdout)["results"])]
        print("%-12s with the wrong preset (unit) the relative difference is >= %.3g" %
              (name, min(wrong)))
        if min(wrong) <= 10 * TOL:
            print("FAIL: the test cannot tell a wrong preprocessing apart")
            failed += 1
    print("worst relative difference: %.3g (tolerance %g)" % (worst, TOL))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
