#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""POST /v2/models/ocr/ocr throughput with 1 and with N concurrent clients (Python stdlib
HTTP clients, keep-alive), on a running `edgeinfer serve` of the bundled repository, and how much
the recogniser batched across requests (its /stats executions vs inferences over each run).

    server.py --port P [--clients 1,8] [--seconds 20] PAGE.png..."""
import argparse
import http.client
import json
import threading
import time


def stats(port, model):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/v2/models/%s/stats" % model)
    d = json.loads(c.getresponse().read())["model_stats"][0]
    return d["inference_count"], d["execution_count"]


def run(port, pages, clients, seconds):
    stop = time.monotonic() + seconds
    done = [0] * clients
    errors = [0] * clients

    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        i = k
        while time.monotonic() < stop:
            body = pages[i % len(pages)]
            i += 1
            c.request("POST", "/v2/models/ocr/ocr", body, {"Content-Type": "image/png"})
            r = c.getresponse()
            r.read()
            if r.status == 200:
                done[k] += 1
            else:
                errors[k] += 1

    i0, e0 = stats(port, "ppocr_rec")
    t0 = time.monotonic()
    th = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    wall = time.monotonic() - t0
    i1, e1 = stats(port, "ppocr_rec")
    return sum(done) / wall, sum(errors), (i1 - i0) / max(e1 - e0, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", default="1,8")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("pages", nargs="+")
    a = ap.parse_args()
    pages = [open(p, "rb").read() for p in a.pages]
    run(a.port, pages, 1, 2)  # warm-up
    base = None
    print("| clients | pages/s | errors | recognition lines per execution |")
    print("|---|---|---|---|")
    for n in [int(x) for x in a.clients.split(",")]:
        rate, err, per_exec = run(a.port, pages, n, a.seconds)
        base = base or rate
        print("| %d | %.2f (%.2fx) | %d | %.2f |" % (n, rate, rate / base, err, per_exec))


if __name__ == "__main__":
    main()
