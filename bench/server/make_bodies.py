#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the request bodies for bench/server/run.sh (standard library only): for each model a
binary-extension body (JSON header + raw FP32 tensor) with its header length, a JSON body, and the
tensor as .npy."""
import json
import random
import struct
import sys

out = sys.argv[1]
rnd = random.Random(0)
for name, inp, shape in (("resnet50", "input", [1, 3, 224, 224]),
                         ("ppocr_cls", "x", [1, 3, 48, 192])):
    n = 1
    for d in shape:
        n *= d
    vals = [round(rnd.uniform(-1, 1), 4) for _ in range(n)]
    blob = struct.pack("<%df" % n, *vals)
    hdr = json.dumps({"inputs": [{"name": inp, "datatype": "FP32", "shape": shape,
                                  "parameters": {"binary_data_size": len(blob)}}],
                      "parameters": {"binary_data_output": True}}).encode()
    with open("%s/%s.bin" % (out, name), "wb") as f:
        f.write(hdr + blob)
    with open("%s/%s.bin.hlen" % (out, name), "w") as f:
        f.write(str(len(hdr)))
    # The same tensor as .npy, for `edgeinfer bench --url -i NAME=FILE` (bench/server/vs_wrk.sh).
    npy_hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join("%d, " % d for d in shape))
    npy_hdr += " " * (63 - (10 + len(npy_hdr)) % 64) + "\n"
    with open("%s/%s.npy" % (out, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(npy_hdr)) + npy_hdr.encode() + blob)
    with open("%s/%s.json" % (out, name), "w") as f:
        json.dump({"inputs": [{"name": inp, "datatype": "FP32", "shape": shape, "data": vals}]}, f)
