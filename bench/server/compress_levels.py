#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What compressing a typical inference reply costs at zlib levels 1 and 6 (the server uses 1 for
Accept-Encoding replies): a ResNet-50 reply of 1000 FP32 logits, as JSON and as a binary blob.
Python's zlib is the same Debian zlib the server links. Usage: /usr/bin/python3 compress_levels.py"""
import json
import random
import struct
import time
import zlib

random.seed(1)
logits = [random.gauss(0, 3) for _ in range(1000)]
js = json.dumps({"model_name": "resnet50", "model_version": "1", "outputs": [
    {"name": "logits", "datatype": "FP32", "shape": [1, 1000], "data": logits}]}).encode()
bn = struct.pack("<1000f", *logits)
print("| reply | bytes | level | compressed | ratio | median µs (p10–p90), 300 runs |")
print("|---|---|---|---|---|---|")
for name, data in (("JSON, 1000 logits", js), ("binary, 1000 logits", bn)):
    for level in (1, 6):
        ts = []
        for _ in range(300):
            a = time.perf_counter()
            z = zlib.compress(data, level)
            ts.append(time.perf_counter() - a)
        ts.sort()
        print("| %s | %d | %d | %d | %.2f | %.0f (%.0f–%.0f) |" % (
            name, len(data), level, len(z), len(z) / len(data), ts[150] * 1e6, ts[30] * 1e6,
            ts[270] * 1e6))
