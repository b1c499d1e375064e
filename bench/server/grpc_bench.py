#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gRPC vs HTTP binary and vs the ONNX Runtime batched ceiling on one `edgeinfer serve`
(docs/BENCHMARKS.md, part 3, gRPC), and the idle gRPC listener's memory.

Throughput: against one server, ROUNDS rounds that alternate wrk (HTTP with Triton's binary tensor
extension, bench/server/post.lua), ei_bench_grpc_load (gRPC ModelInfer with raw_input_contents,
bench/server/grpc_load.c), each at CONC requests in flight for SECONDS, and the ceiling (bare ONNX
Runtime: `edgeinfer bench MODEL --batch 8 --threads 2`, the model's max_batch_size and the server's
intra-op threads) on the PP-OCR classifier (and ResNet-50 when scripts/export_models.py has made
it); the same tensor bytes both ways. Prints every round, then the median and spread of each and of
the per-round ratios gRPC/HTTP and gRPC/ceiling (paired: the three measured back to back).

Memory: VmRSS of a freshly started, idle server (the bundled repository) with gRPC off
(--grpc-port -1) and on (--grpc-port 0), median of 3 starts each.

Usage: bench/server/grpc_bench.py [BUILD_DIR] [SECONDS] [ROUNDS] [CONC]
       (defaults build 5 5 32; needs wrk: scripts/setup.sh full)
"""
import json
import urllib.request
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(top, "build")
secs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
conc = int(sys.argv[4]) if len(sys.argv) > 4 else 32
ei = os.path.join(build, "cli", "edgeinfer")
load = os.path.join(build, "bench", "server", "ei_bench_grpc_load")
models = os.path.join(top, ".deps", "models")
for p, why in ((ei, "build first"), (load, "build with gRPC (EI_GRPC=ON)")):
    if not os.access(p, os.X_OK):
        sys.exit("bench/server/grpc_bench.py: %s (%s)" % (why, p))
if not shutil.which("wrk"):
    sys.exit("bench/server/grpc_bench.py: wrk is missing (scripts/setup.sh full)")


work = tempfile.mkdtemp(prefix="ei-grpc-bench-")
procs = []


def start(repo, *extra):
    ports = os.path.join(work, "ports")
    if os.path.exists(ports):
        os.remove(ports)
    p = subprocess.Popen([ei, "serve", "--model-repository", repo, "--http-port", "0",
                          "--metrics-port", "-1", "--port-file", ports] + list(extra),
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "err"), "w"))
    procs.append(p)
    while not os.path.exists(ports):
        if p.poll() is not None:
            sys.exit(open(os.path.join(work, "err")).read())
        time.sleep(0.01)
    return p, dict(l.split("=") for l in open(ports).read().split())


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(60)


def cpu_s(p):
    """The server's user + system CPU seconds so far (all threads), from /proc/PID/stat."""
    with open("/proc/%d/stat" % p.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batch_counts(port, model):
    """(inference_count, execution_count) of the model's version 1, from the statistics endpoint."""
    with urllib.request.urlopen("http://127.0.0.1:%s/v2/models/%s/stats" % (port, model)) as r:
        st = json.load(r)["model_stats"][0]
    return st["inference_count"], st["execution_count"]


def wait_idle(port, model):
    """Waits until the server has finished what the last load left in flight: a tool's run ends
    with up to CONC requests still queued (32 ResNet-50 requests are ~4 s of work), which would
    otherwise run inside the next tool's window and be charged to it."""
    last = batch_counts(port, model)
    while True:
        time.sleep(0.5)
        now = batch_counts(port, model)
        if now == last:
            return
        last = now


def rss_mb(p):
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


try:
    repo = os.path.join(work, "repo")
    subprocess.run([os.path.join(top, "scripts", "make_default_repo.sh"), repo], check=True,
                   stdout=subprocess.DEVNULL)
    for m in ("ppocr_rec", "silero_vad"):
        shutil.rmtree(os.path.join(repo, m), ignore_errors=True)
    resnet = os.path.join(models, "torch", "resnet50.onnx")
    if os.path.isfile(resnet):
        os.makedirs(os.path.join(repo, "resnet50", "1"))
        os.symlink(resnet, os.path.join(repo, "resnet50", "1", "model.onnx"))
        with open(os.path.join(repo, "resnet50", "config.pbtxt"), "w") as f:
            f.write('name: "resnet50"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n'
                    'dynamic_batching { max_queue_delay_microseconds: 2000 }\n')
    subprocess.run([sys.executable, os.path.join(top, "bench", "server", "make_bodies.py"), work],
                   check=True)
    cls_file = os.path.join(models, "ppocr", "cls.onnx")
    cls_dims = ["--dim", "p2o.DynamicDimension.1=48", "--dim", "p2o.DynamicDimension.2=192"]
    cases = [("ppocr_cls", "x", [1, 3, 48, 192], cls_file, cls_dims)]
    if os.path.isfile(resnet):
        cases.append(("resnet50", "input", [1, 3, 224, 224], resnet, []))
    else:
        print("(ResNet-50 not run: .deps/models/torch/resnet50.onnx is missing; "
              "scripts/export_models.py makes it)")
    p, ports = start(repo, "--grpc-port", "0")
    print("server: HTTP %s, gRPC %s; %d s per run, %d in flight, %d rounds" %
          (ports["http"], ports["grpc"], secs, conc, rounds))
    print("%-10s %5s %12s %12s %12s %10s %10s" % ("model", "round", "HTTP req/s", "gRPC req/s",
                                                   "ceiling/s", "gRPC/HTTP", "gRPC/ceil"))
    for model, name, shape, mfile, dims in cases:
        h_all, g_all, r_all, c_all, rc_all = [], [], [], [], []
        for r in range(1, rounds + 1):
            env = dict(os.environ, EI_BODY=os.path.join(work, model + ".bin"),
                       EI_CTYPE="application/octet-stream",
                       EI_HLEN=open(os.path.join(work, model + ".bin.hlen")).read())
            wait_idle(ports["http"], model)
            c0, b0 = cpu_s(p), batch_counts(ports["http"], model)
            out = subprocess.run(["wrk", "-t", "2", "-c", str(conc), "-d", "%ds" % secs,
                                  "--timeout", "30s", "-s",
                                  os.path.join(top, "bench", "server", "post.lua"),
                                  "http://127.0.0.1:%s/v2/models/%s/infer" % (ports["http"], model)],
                                 env=env, capture_output=True, text=True, check=True).stdout
            h = float([l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec")][0])
            if "Non-2xx" in out:
                sys.exit("HTTP errors:\n" + out)
            wait_idle(ports["http"], model)
            c1, b1 = cpu_s(p), batch_counts(ports["http"], model)
            g = json.loads(subprocess.run(
                [load, "127.0.0.1:" + ports["grpc"], "/inference.GRPCInferenceService/ModelInfer",
                 os.path.join(work, model + ".pb"), str(conc), str(secs)],
                capture_output=True, text=True, check=True).stdout)
            if g["errors"]:
                sys.exit("gRPC errors: %r" % g)
            wait_idle(ports["http"], model)
            c2, b2 = cpu_s(p), batch_counts(ports["http"], model)
            h_batch = (b1[0] - b0[0]) / max(b1[1] - b0[1], 1)
            g_batch = (b2[0] - b1[0]) / max(b2[1] - b1[1], 1)
            # server CPU ms per request, per protocol (requests ~ rate x seconds)
            h_cpu = 1000 * (c1 - c0) / max(h * secs, 1)
            g_cpu = 1000 * (c2 - c1) / max(g["requests_per_s"] * secs, 1)
            ceil = json.loads(subprocess.run(
                [ei, "bench", mfile, "--batch", "8", "--threads", "2", "--warmup", "1",
                 "--duration", str(secs), "--json"] + dims,
                capture_output=True, text=True, check=True).stdout)["throughput"]["items_per_s"]
            h_all.append(h)
            g_all.append(g["requests_per_s"])
            c_all.append(ceil)
            r_all.append(g["requests_per_s"] / h)
            rc_all.append(g["requests_per_s"] / ceil)
            print("%-10s %5d %12.1f %12.1f %12.1f %10.3f %10.3f   server CPU ms/request: HTTP "
                  "%.2f, gRPC %.2f; mean batch HTTP %.2f, gRPC %.2f" %
                  (model, r, h, g["requests_per_s"], ceil, r_all[-1], rc_all[-1], h_cpu, g_cpu,
                   h_batch, g_batch))
        print("%-10s %5s %12.1f %12.1f %12.1f %10.3f %10.3f   (medians)" %
              (model, "med", statistics.median(h_all), statistics.median(g_all),
               statistics.median(c_all), statistics.median(r_all), statistics.median(rc_all)))
        print("%-10s        gRPC/HTTP min %.3f max %.3f; gRPC/ceiling min %.3f max %.3f" %
              (model, min(r_all), max(r_all), min(rc_all), max(rc_all)))
    stop(p)

    mem = {}
    for label, flag in (("gRPC off", "-1"), ("gRPC on", "0")):
        vals = []
        for _ in range(3):
            p, _ = start(repo, "--grpc-port", flag)
            time.sleep(1.0)  # settle: the models are loaded before the port file is written
            vals.append(rss_mb(p))
            stop(p)
        mem[label] = statistics.median(vals)
        print("idle RSS, %-8s: median %.1f MB (%s)" % (label, mem[label],
                                                        ", ".join("%.1f" % v for v in vals)))
    print("idle gRPC listener adds %.1f MB" % (mem["gRPC on"] - mem["gRPC off"]))
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    shutil.rmtree(work, ignore_errors=True)
