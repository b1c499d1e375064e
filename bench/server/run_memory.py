#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The run-memory bound (`serve --max-run-memory`), measured on the bundled PP-OCR recogniser.

For each setting given with --limit (bytes; 0 = no bound) it starts `edgeinfer serve` on
127.0.0.1 with a repository holding only `rec` (PP-OCR v4 recognition, input [1,3,48,W]), sends a
few normal text lines (W = 320), then one line --width wide (100,000 by default: the issue's
case), then a normal line again, and prints per setting: the answer to the wide line, the server's
peak resident memory (VmHWM, what `/usr/bin/time -v` calls "Maximum resident set size"), its
resident memory after, the run-memory figures on /metrics, and the exit status on SIGTERM.

With --paired N it then starts two servers side by side (no bound, and the last --limit) and sends
normal lines to each in turn, N rounds of --per-round requests, printing the median latency of
each and the median of the per-round ratios: the cost of the bound on ordinary requests.

    bench/server/run_memory.py --bin build/cli/edgeinfer --limit 0 --limit 1073741824 --paired 7
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpu_s(pid):
    """User + system CPU seconds of the process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, binary, repo, limit, workdir):
        self.dir = tempfile.mkdtemp(prefix="ei-runmem-", dir=workdir)
        ports = os.path.join(self.dir, "ports")
        self.log = open(os.path.join(self.dir, "log"), "w")
        args = [binary, "serve", "--model-repository", repo, "--http-port", "0", "--metrics-port",
                "0", "--grpc-port", "0", "--port-file", ports, "--log-verbose", "0"]
        if limit is not None:
            args += ["--max-run-memory", str(limit)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 120
        while not os.path.exists(ports):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                sys.exit("server did not start: " + open(self.log.name).read())
            time.sleep(0.05)
        time.sleep(0.05)
        p = dict(l.split("=") for l in open(ports).read().split())
        self.port, self.metrics_port = int(p["http"]), int(p["metrics"])

    def infer(self, width):
        n = 3 * 48 * width
        hdr = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 48, width],
                                      "parameters": {"binary_data_size": n * 4}}],
                          "outputs": [{"name": "softmax_11.tmp_0",
                                       "parameters": {"binary_data": True}}]}).encode()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        t = time.monotonic()
        c.request("POST", "/v2/models/rec/infer", hdr + bytes(n * 4),
                  {"Inference-Header-Content-Length": str(len(hdr))})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body, time.monotonic() - t

    def metrics(self):
        c = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=60)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        out = {}
        for line in text.splitlines():
            if line.startswith("ei_run_memory"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(120)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def mib(b):
    return "%.0f MiB" % (b / 1048576.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "cli", "edgeinfer"))
    ap.add_argument("--models", default=os.path.join(ROOT, ".deps", "models"))
    ap.add_argument("--limit", type=int, action="append",
                    help="--max-run-memory value (repeatable; default: 0 and 1 GiB)")
    ap.add_argument("--width", type=int, default=100000)
    ap.add_argument("--paired", type=int, default=0, help="rounds of the paired speed check")
    ap.add_argument("--per-round", type=int, default=10)
    a = ap.parse_args()
    limits = a.limit or [0, 1 << 30]
    rec = os.path.join(a.models, "ppocr", "rec.onnx")
    if not os.path.isfile(rec):
        sys.exit("%s missing" % rec)
    work = tempfile.mkdtemp(prefix="ei-runmem-")
    repo = os.path.join(work, "repo")
    os.makedirs(os.path.join(repo, "rec", "1"))
    shutil.copy(rec, os.path.join(repo, "rec", "1", "model.onnx"))
    with open(os.path.join(repo, "rec", "config.pbtxt"), "w") as f:
        f.write("max_batch_size: 0\n")
    try:
        for limit in limits:
            s = Server(a.bin, repo, limit, work)
            for _ in range(3):
                st, _, _ = s.infer(320)
                assert st == 200, st
            base = vm(s.proc.pid, "VmRSS")
            st, body, secs = s.infer(a.width)
            msg = "" if st == 200 else json.loads(body).get("error", "")
            st2, _, _ = s.infer(320)
            m = s.metrics()
            print("--max-run-memory %d: width %d -> %d in %.1f s %s" % (limit, a.width, st, secs,
                                                                      msg))
            print("  rss before %s, peak %s, after %s; next normal request %d" % (
                mib(base), mib(vm(s.proc.pid, "VmHWM")), mib(vm(s.proc.pid, "VmRSS")), st2))
            if m:
                print("  metrics: " + ", ".join("%s=%s" % (k, mib(v) if "bytes" in k else int(v))
                                                for k, v in sorted(m.items())))
            print("  exit on SIGTERM: %d" % s.stop())
            sys.stdout.flush()
        if a.paired:
            lim = limits[-1]
            servers = [Server(a.bin, repo, 0, work), Server(a.bin, repo, lim, work)]
            for s in servers:
                for _ in range(3):
                    s.infer(320)
            lat = [[], []]
            cpu = [[], []]
            ratios, cpu_ratios = [], []
            for r in range(a.paired):
                for i in (r % 2, 1 - r % 2):
                    c0 = cpu_s(servers[i].proc.pid)
                    lat[i] += [servers[i].infer(320)[2] for _ in range(a.per_round)]
                    cpu[i].append((cpu_s(servers[i].proc.pid) - c0) / a.per_round)
                med = [statistics.median(lat[i][-a.per_round:]) for i in (0, 1)]
                ratios.append(med[1] / med[0])
                cpu_ratios.append(cpu[1][-1] / cpu[0][-1] if cpu[0][-1] > 0 else float("nan"))
            print("paired, %d rounds x %d requests (W=320), no bound vs --max-run-memory %d:" % (
                a.paired, a.per_round, lim))
            print("  latency median %.2f vs %.2f ms; per-round ratio median %.3f (min %.3f, "
                  "max %.3f)" % (1000 * statistics.median(lat[0]), 1000 * statistics.median(lat[1]),
                                 statistics.median(ratios), min(ratios), max(ratios)))
            print("  server CPU per request median %.2f vs %.2f ms; per-round ratio median %.3f "
                  "(min %.3f, max %.3f)" % (
                      1000 * statistics.median(cpu[0]), 1000 * statistics.median(cpu[1]),
                      statistics.median(cpu_ratios), min(cpu_ratios), max(cpu_ratios)))
            for s in servers:
                s.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
