#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One client, one image at a time: the OCR pipeline model through POST /v2/models/ocr/ocr (image
body, JSON lines) and through /infer (BYTES input "image" in the binary extension, JSON outputs),
interleaved request by request so that both see the same machine. Prints medians and quartiles.

    infer_vs_ocr.py --port P [--rounds 30] IMAGE"""
import argparse
import http.client
import json
import statistics
import struct
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", default="ocr")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("image")
    a = ap.parse_args()
    img = open(a.image, "rb").read()
    blob = struct.pack("<I", len(img)) + img
    hdr = json.dumps({"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1],
                                  "parameters": {"binary_data_size": len(blob)}}]}).encode()
    c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=300)

    def post(path, body, headers):
        t = time.perf_counter()
        c.request("POST", path, body, headers)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit("%s: HTTP %d" % (path, r.status))
        return (time.perf_counter() - t) * 1000

    routes = {
        "/ocr": lambda: post("/v2/models/%s/ocr" % a.model, img, {"Content-Type": "image/jpeg"}),
        "/infer": lambda: post("/v2/models/%s/infer" % a.model, hdr + blob,
                               {"Inference-Header-Content-Length": str(len(hdr))}),
    }
    for f in routes.values():  # warm-up
        f()
    ms = {k: [] for k in routes}
    for _ in range(a.rounds):
        for k, f in routes.items():
            ms[k].append(f())
    print("| route | median ms | quartiles ms | rounds |")
    print("|---|---|---|---|")
    for k, v in ms.items():
        q = statistics.quantiles(v, n=4)
        print("| %s | %.1f | %.1f–%.1f | %d |" % (k, statistics.median(v), q[0], q[2], len(v)))


if __name__ == "__main__":
    main()
