#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the request bodies for bench/server/run.sh, vs_wrk.sh and grpc_bench.py (standard
library only): for each model a binary-extension body (JSON header + raw FP32 tensor) with its
header length, a JSON body, the tensor as .npy, and a gRPC ModelInferRequest (.pb) with the same
bytes in raw_input_contents."""
import json
import random
import struct
import sys



def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def infer_request(model, name, shape, raw):
    """A ModelInferRequest (src/server/grpc/grpc_service.proto field numbers), encoded by hand."""
    packed = b"".join(varint(d) for d in shape)
    tensor = field(1, 2, name.encode()) + field(2, 2, b"FP32") + field(3, 2, packed)
    return field(1, 2, model.encode()) + field(5, 2, tensor) + field(7, 2, raw)


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
    with open("%s/%s.pb" % (out, name), "wb") as f:
        f.write(infer_request(name, inp, shape, blob))
    # The same tensor as .npy, for `edgeinfer bench --url -i NAME=FILE` (bench/server/vs_wrk.sh).
    npy_hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join("%d, " % d for d in shape))
    npy_hdr += " " * (63 - (10 + len(npy_hdr)) % 64) + "\n"
    with open("%s/%s.npy" % (out, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(npy_hdr)) + npy_hdr.encode() + blob)
    with open("%s/%s.json" % (out, name), "w") as f:
        json.dump({"inputs": [{"name": inp, "datatype": "FP32", "shape": shape, "data": vals}]}, f)
