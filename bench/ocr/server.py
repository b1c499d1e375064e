#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""POST /v2/models/{model}/ocr throughput with 1 and with N concurrent clients (Python stdlib HTTP
clients, keep-alive), on a running `edgeinfer serve` of the bundled repository, and how much the
recogniser batched across requests (its /stats executions vs inferences over each window). The
client counts alternate window by window for ROUNDS rounds (1, 8, 1, 8, ...), so that each pair of
windows sees the same machine load; the ratio reported is the median over rounds of each round's
N-client rate over its 1-client rate.

    server.py --port P [--model ocr] [--clients 1,8] [--seconds 20] [--rounds 3] PAGE.png..."""
import argparse
import os
import http.client
import json
import statistics
import sys
import threading
import time


def stats(port, model):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/v2/models/%s/stats" % model)
    d = json.loads(c.getresponse().read())["model_stats"][0]
    return d["inference_count"], d["execution_count"]


def cpu_seconds(pid):
    """The server process's user + system CPU time (all threads), from /proc; 0 without a pid."""
    if not pid:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(port, model, pages, clients, seconds, pid=0):
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
    c0 = cpu_seconds(pid)
    t0 = time.monotonic()
    th = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    wall = time.monotonic() - t0
    busy = (cpu_seconds(pid) - c0) / wall  # cores the server kept busy on average
    i1, e1 = stats(port, "ppocr_rec")
    return sum(done) / wall, sum(errors), (i1 - i0) / max(e1 - e0, 1), busy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", default="ocr")
    ap.add_argument("--clients", default="1,8")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pid", type=int, default=0, help="the server's pid: report its CPU use")
    ap.add_argument("pages", nargs="+")
    a = ap.parse_args()
    pages = [open(p, "rb").read() for p in a.pages]
    counts = [int(x) for x in a.clients.split(",")]
    run(a.port, a.model, pages, 1, 2)  # warm-up
    rows = {n: [] for n in counts}
    for r in range(a.rounds):
        for n in counts:
            rate, err, per_exec, busy = run(a.port, a.model, pages, n, a.seconds, a.pid)
            rows[n].append((rate, err, per_exec, busy))
            print("round %d: %d clients: %.3f pages/s, %d errors, %.2f lines per recognition run, "
                  "server CPU %.2f cores" % (r + 1, n, rate, err, per_exec, busy), file=sys.stderr)
    base = counts[0]
    print("| clients | pages/s (median, min-max) | x %d client(s), median of the rounds' ratios "
          "| errors | recognition lines per execution (median) | server CPU, cores busy (median) |"
          % base)
    print("|---|---|---|---|---|---|")
    for n in counts:
        rates = [x[0] for x in rows[n]]
        ratios = [x[0] / max(b[0], 1e-9) for x, b in zip(rows[n], rows[base])]
        print("| %d | %.2f (%.2f-%.2f) | %.2fx (%.2f-%.2f) | %d | %.2f | %.2f |" %
              (n, statistics.median(rates), min(rates), max(rates), statistics.median(ratios),
               min(ratios), max(ratios), sum(x[1] for x in rows[n]),
               statistics.median(x[2] for x in rows[n]), statistics.median(x[3] for x in rows[n])))


if __name__ == "__main__":
    main()
