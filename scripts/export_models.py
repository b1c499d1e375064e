#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Exports torchvision image classifiers to ONNX for the end-to-end tests and the benchmarks.

ResNet-50 and MobileNetV2 are built with random weights (weights=None: nothing is downloaded),
seeded with torch.manual_seed so that every run writes the same file, and exported with opset 17,
one input `input` [batch,3,224,224] float32 and one output `logits` [batch,1000] whose first axis
is the dynamic dimension `batch`. A model already in place is left alone. This script is not a
source of accurate classifiers: the weights are random, the graphs are real.

Run it with Debian's interpreter (it needs python3-torch and python3-torchvision):

    /usr/bin/python3 scripts/export_models.py [--out DIR] [--only resnet50|mobilenet_v2] [--force]
"""
import argparse
import hashlib
import os
import sys
import tempfile
import warnings

MODELS = ("resnet50", "mobilenet_v2")
OPSET = 17
SEED = 0


def build(name):
    import torchvision

    if name == "resnet50":
        return torchvision.models.resnet50(weights=None)
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(weights=None)
    raise ValueError(f"unknown model '{name}' (expected one of {', '.join(MODELS)})")


def export(name, path):
    import torch

    # Seed right before building so the weights depend only on the model name, not on the order
    # of exports or on --only.
    torch.manual_seed(SEED)
    model = build(name).eval()
    dummy = torch.zeros(1, 3, 224, 224, dtype=torch.float32)
    with torch.no_grad():
        out = model(dummy)
    if not torch.isfinite(out).all():
        raise RuntimeError(f"{name}: the seeded model gives non-finite logits")
    out_dir = os.path.dirname(os.path.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    # Write to a temporary file in the same folder and rename it, so an interrupted run never
    # leaves a truncated model that a later run would skip.
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".onnx.tmp", dir=out_dir)
    os.close(fd)
    try:
        kwargs = dict(
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            export_params=True,
        )
        # Newer torch (>= 2.5) defaults to the dynamo exporter; the TorchScript one is what
        # Debian 12's torch 1.13 has and what gives the graph described above.
        import inspect

        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            kwargs["dynamo"] = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.no_grad():
                torch.onnx.export(model, dummy, tmp, **kwargs)
        check(tmp, name)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check(path, name):
    """Checks the exported graph has the promised interface (fails loudly if the exporter changed)."""
    try:
        import onnx
    except ImportError:
        return
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ins = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    if [i.name for i in ins] != ["input"] or [o.name for o in m.graph.output] != ["logits"]:
        raise RuntimeError(f"{name}: unexpected inputs/outputs {[i.name for i in ins]} -> "
                           f"{[o.name for o in m.graph.output]}")
    dims = ins[0].type.tensor_type.shape.dim
    got = [d.dim_param or d.dim_value for d in dims]
    if got != ["batch", 3, 224, 224]:
        raise RuntimeError(f"{name}: input shape {got}, expected ['batch', 3, 224, 224]")
    if ins[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise RuntimeError(f"{name}: input is not float32")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(".deps", "models", "torch"),
                    help="output folder (default: .deps/models/torch)")
    ap.add_argument("--only", choices=MODELS, help="export just this model")
    ap.add_argument("--force", action="store_true", help="re-export even if the file exists")
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"export_models: error: {e}: install python3-torch and python3-torchvision and run "
              f"this with /usr/bin/python3", file=sys.stderr)
        return 1
    names = [args.only] if args.only else list(MODELS)
    for name in names:
        path = os.path.join(args.out, f"{name}.onnx")
        if os.path.exists(path) and not args.force:
            print(f"export_models: {path}: already there", file=sys.stderr)
            continue
        try:
            export(name, path)
        except Exception as e:  # report which model failed, then stop
            print(f"export_models: error: {name}: {e}", file=sys.stderr)
            return 1
        print(f"export_models: wrote {path} ({os.path.getsize(path)} bytes, sha256 "
              f"{sha256(path)[:16]})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
