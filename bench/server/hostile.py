#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile-input run against `edgeinfer serve` (docs/server.md, "Hostile input"; docs/BENCHMARKS.md).

Starts the server on 127.0.0.1 (port 0) on a small repository (tests/server/eiserver.py), then
sends bounded batches of hostile requests over raw sockets: malformed JSON and binary framing,
lying lengths, huge shapes, deep nesting, compression bombs, path tricks in model names and
shared-memory keys, unknown-model load storms, HTTP framing tricks, slow clients and connection
floods. Prints the count of each answer per category (an HTTP status, `closed` when the server
closed without an answer, `hang` when nothing came back within --timeout seconds), the server's
resident memory at the baseline and after the run, health latency while it ran, and the server's
exit status on SIGTERM. Exit 1 when a malformed-input category got a 5xx or a hang, the server
died, its exit status was not 0, or (with an ASan build) it printed a sanitizer report.

    bench/server/hostile.py [--bin build/cli/edgeinfer] [--scale 1] [--json OUT] [-- SERVER ARGS]

Loopback only; every batch is bounded in count and time (about a minute at --scale 1).
"""
import argparse
import collections
import gzip
import json
import os
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "server"))

HOST = "127.0.0.1"
ATTACKER = "127.0.0.2"  # slow clients come from here


def raw(port, data, timeout, half_close=True, chunks=None):
    """Sends `data` (or `chunks`, a list of (bytes, pause)), returns the status (int), 'closed' or
    'hang'. Reads one response: status line, headers, Content-Length body."""
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
    except OSError:
        return "refused"
    s.settimeout(timeout)
    try:
        try:
            if chunks is None:
                s.sendall(data)
            else:
                for c, pause in chunks:
                    s.sendall(c)
                    if pause:
                        time.sleep(pause)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before it read everything
        buf = b""
        while b"\r\n" not in buf:
            try:
                got = s.recv(65536)
            except socket.timeout:
                return "hang"
            except OSError:
                return "closed"
            if not got:
                return "closed"
            buf += got
        line = buf.split(b"\r\n", 1)[0].split()
        try:
            return int(line[1])
        except (IndexError, ValueError):
            return "garbage"
    finally:
        s.close()


def req(method, path, body=b"", headers=None, close=True):
    h = {"Host": "127.0.0.1"}
    if body is not None:
        h["Content-Length"] = str(len(body))
    if close:
        h["Connection"] = "close"
    h.update(headers or {})
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join(
        "%s: %s\r\n" % (k, v) for k, v in h.items() if v is not None) + "\r\n"
    return head.encode("latin-1") + (body or b"")


def infer_doc():
    """A valid request for the `add` model (a [2,3] + b [3])."""
    return json.dumps({"inputs": [
        {"name": "a", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},
        {"name": "b", "shape": [3], "datatype": "FP32", "data": [1, 1, 1]}]}).encode()


def cases(scale):
    """(category, request bytes) pairs; each category is bounded."""
    out = []
    add = "/v2/models/add/infer"
    # Malformed JSON.
    good = infer_doc()
    bad_json = [b"", b"{", b"[]", b"null", b"{\"inputs\": 5}", b"{\"inputs\": [{}]}",
                b"\xff\xfe\x00garbage", good[:len(good) // 2], good + b"trailing", b"{" * 10,
                b"{\"inputs\": [{\"name\": \"a\", \"shape\": \"2x3\"}]}",
                b"{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], \"datatype\": \"FP32\", "
                b"\"data\": [\"a\", \"b\"]}]}",
                b"{\"inputs\": [{\"name\": \"x\", \"shape\": [1e400], \"datatype\": \"FP32\"}]}",
                b"{\"inputs\": [{\"name\": \"\\u0000\", \"shape\": [1], \"datatype\": \"FP32\", "
                b"\"data\": [1]}]}"]
    for i in range(40 * scale):
        b = bad_json[i % len(bad_json)]
        if i >= len(bad_json):  # mutate: flip a byte of the good document
            g = bytearray(good)
            g[(i * 7919) % len(g)] = (g[(i * 7919) % len(g)] + i) % 256
            b = bytes(g)
        out.append(("malformed-json", req("POST", add, b)))
    # Deep nesting.
    for depth in (100, 10000, 200000):
        out.append(("deep-nesting", req("POST", add, b"[" * depth + b"]" * depth)))
        out.append(("deep-nesting", req("POST", add, b"{\"inputs\":" + b"[" * depth)))
    # Huge and impossible shapes.
    for shape in ([1 << 40, 1 << 40], [-1, 3], [0, 3], [2, 3, 0], [1 << 62], [4294967296, 2],
                  [2] * 64, [100000, 100000]):
        d = json.dumps({"inputs": [{"name": "a", "shape": shape, "datatype": "FP32", "data": [1]},
                                   {"name": "b", "shape": [3], "datatype": "FP32",
                                    "data": [1, 1, 1]}]}).encode()
        out.append(("huge-shape", req("POST", add, d)))
        d = json.dumps({"inputs": [{"name": "a", "shape": shape, "datatype": "FP32",
                                    "parameters": {"binary_data_size": 24}}]}).encode()
        out.append(("huge-shape", req("POST", add, d + b"\0" * 24,
                                      {"Inference-Header-Content-Length": str(len(d))})))
    # Binary framing lies.
    hdr = json.dumps({"inputs": [
        {"name": "a", "shape": [2, 3], "datatype": "FP32", "parameters": {"binary_data_size": 24}},
        {"name": "b", "shape": [3], "datatype": "FP32",
         "parameters": {"binary_data_size": 12}}]}).encode()
    for ihcl, tail in ((str(len(hdr) + 5), b"\0" * 36), ("-1", b"\0" * 36), ("abc", b"\0" * 36),
                       (str(len(hdr)), b"\0" * 10), (str(len(hdr)), b"\0" * 100),
                       ("99999999999999999999", b""), (str(len(hdr) - 3), b"\0" * 36), ("0", b"")):
        out.append(("binary-framing", req("POST", add, hdr + tail,
                                          {"Inference-Header-Content-Length": ihcl})))
    lie = json.dumps({"inputs": [
        {"name": "a", "shape": [2, 3], "datatype": "FP32",
         "parameters": {"binary_data_size": 1 << 62}}]}).encode()
    out.append(("binary-framing", req("POST", add, lie,
                                      {"Inference-Header-Content-Length": str(len(lie))})))
    # Lying Content-Length (sent short then half-closed; sent long; invalid; conflicting).
    body = infer_doc()
    for tag, cl in (("longer", str(len(body) + 1000)), ("shorter", str(len(body) - 10)),
                    ("negative", "-5"), ("letters", "abc"), ("exponent", "1e3"),
                    ("space", " 12"), ("overflow", "99999999999999999999999"), ("hex", "0x10")):
        out.append(("length/" + tag, req("POST", add, body, {"Content-Length": cl})))
    dup = req("POST", add, body).replace(b"Content-Length:", b"Content-Length: 3\r\nContent-Length:")
    out.append(("length/conflicting", dup))
    # Compression bombs and bad codings.
    bomb = gzip.compress(b"\0" * (256 << 20), 9)  # 256 MiB of zeros in ~250 KB
    out.append(("compression", req("POST", add, bomb, {"Content-Encoding": "gzip"})))
    out.append(("compression", req("POST", add, zlib.compress(b"[" * (32 << 20), 9),
                                   {"Content-Encoding": "deflate"})))
    out.append(("compression", req("POST", add, gzip.compress(gzip.compress(body)),
                                   {"Content-Encoding": "gzip"})))
    out.append(("compression", req("POST", add, bomb[:1000], {"Content-Encoding": "gzip"})))
    out.append(("compression", req("POST", add, body, {"Content-Encoding": "br"})))
    out.append(("compression", req("POST", add, gzip.compress(body) + b"junk",
                                   {"Content-Encoding": "gzip"})))
    # Path tricks in model names, versions and shared-memory keys.
    for name in ("..", "../add", "%2e%2e", "%2e%2e%2fadd", "add%00x", "add/../../etc/passwd",
                 "a" * 5000, "add%0d%0aFAKE: line", "%ff%fe", "add/versions/-1",
                 "add/versions/99999999999999999999", "add/versions/1x", "/add", "add//",
                 "..%2f..%2fetc"):
        out.append(("path-tricks", req("GET", "/v2/models/%s" % name, None)))
        out.append(("path-tricks", req("POST", "/v2/models/%s/infer" % name, good)))
        out.append(("path-tricks", req("POST", "/v2/repository/models/%s/load" % name, b"")))
    for key in ("/../../etc/passwd", "../x", "/a/b", "", "/" + "k" * 5000, "/ok\u0000x", "relative"):
        d = json.dumps({"key": key, "offset": 0, "byte_size": 64}).encode()
        out.append(("shm-keys", req("POST", "/v2/systemsharedmemory/region/r/register", d)))
    for off, size in ((1 << 62, 64), (0, 1 << 62), (-1, 10), (0, 0)):
        d = json.dumps({"key": "/ei-hostile-none", "offset": off, "byte_size": size}).encode()
        out.append(("shm-keys", req("POST", "/v2/systemsharedmemory/region/r/register", d)))
    # Unknown-model load storm (each must leave nothing behind).
    for i in range(200 * scale):
        out.append(("unknown-load", req("POST", "/v2/repository/models/nope_%d/load" % i, b"")))
    # HTTP framing.
    out.append(("framing/te-gzip", req("POST", add, body, {"Transfer-Encoding": "gzip"})))
    out.append(("framing/te-chunked-gzip", req("POST", add, body,
                                               {"Transfer-Encoding": "chunked, gzip"})))
    out.append(("framing/te-identity", req("POST", add, None, {"Transfer-Encoding": "identity"})
                + body))
    out.append(("framing/te-bad-chunk", req("POST", add, None, {"Transfer-Encoding": "chunked"}) +
                b"zz\r\n" + body + b"\r\n0\r\n\r\n"))
    out.append(("framing/te-and-length", req("POST", add, body, {"Transfer-Encoding": "chunked"})))
    q = "&".join("p%d=%d" % (i, i) for i in range(300))
    out.append(("framing/query-300", req("GET", "/v2/health/live?" + q, None)))
    q = "&".join("p%d=%d" % (i, i) for i in range(3000))
    out.append(("framing/query-3000", req("GET", "/v2/health/live?" + q, None)))
    out.append(("framing/header-20k", req("GET", "/v2/health/live", None,
                                          {"X-Big": "a" * (20 << 10)})))
    out.append(("framing/headers-2000", req("GET", "/v2/health/live", None,
                                            {"X-H%d" % i: "v" for i in range(2000)})))
    out.append(("framing/version-9.9", b"GET /v2/health/live HTTP/9.9\r\n\r\n"))
    out.append(("framing/garbage", b"GARBAGE\r\n\r\n"))
    out.append(("framing/url-70k", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"))
    out.append(("framing/blank-lines", b"\r\n" * 1000))
    return out


def heap_figures(pid):
    """glibc's view of the server's heap, through gdb: malloc_stats() (it prints each arena's
    system and in-use bytes on the server's stderr), then malloc_trim(0) (free memory given back
    to the system) and VmRSS after it. None when gdb cannot attach."""
    import subprocess
    try:
        out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                              "-ex", "call (void) malloc_stats()",
                              "-ex", "print (int) malloc_trim(0)"],
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if "= 1" not in out.stdout and "= 0" not in out.stdout:
        return None
    return {"rss_after_trim": rss_kb(pid)}


def rss_kb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def health_probe(port, stop, lat, timeout):
    while not stop.is_set():
        t0 = time.monotonic()
        st = raw(port, req("GET", "/v2/health/live", None), timeout)
        lat.append((time.monotonic() - t0, st))
        stop.wait(0.2)


def slow_clients(port, n, secs, kind):
    """n connections that send one byte every second for `secs` (headers or body)."""
    socks = []
    for _ in range(n):
        try:
            # From another loopback address: the attacker is not the health prober's address.
            s = socket.create_connection((HOST, port), timeout=5, source_address=(ATTACKER, 0))
            s.setblocking(False)
            if kind == "body":
                s.send(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
            else:
                s.send(b"GET /v2/health/live HTTP/1.1\r\n")
            socks.append(s)
        except OSError:
            break
    end = time.monotonic() + secs
    dropped = 0
    while time.monotonic() < end and socks:
        time.sleep(1.0)
        alive = []
        for s in socks:
            try:
                s.send(b"a" if kind == "body" else b"X-a: b\r\n")
                alive.append(s)
            except OSError:
                dropped += 1
                s.close()
        socks = alive
    for s in socks:
        s.close()
    return len(socks), dropped


def big_image(w=4000, h=3000):
    """A 12 MP PNG (standard library only: rows of a gradient, so inflating and unfiltering it
    costs what a real one does)."""
    row = b"\x00" + bytes((x * 7 + y) % 256 for x in range(w * 3) for y in (0,))
    raw = b"".join(b"\x00" + row[1 + (y % 3):] + row[1:1 + (y % 3)] for y in range(h))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def saturate_images(port, secs, clients):
    """`clients` threads post a 12 MP PNG to /classify back to back for `secs`, while health is
    probed on fresh connections; returns (health latencies, classify answers)."""
    body = big_image()
    stop = threading.Event()
    answers = collections.Counter()
    lat = []

    def post():
        while not stop.is_set():
            st = raw(port, req("POST", "/v2/models/cls/classify", body,
                               {"Content-Type": "image/png"}), 120, half_close=False)
            answers[st] += 1

    ts = [threading.Thread(target=post) for _ in range(clients)]
    for t in ts:
        t.start()
    end = time.monotonic() + secs
    while time.monotonic() < end:
        t0 = time.monotonic()
        st = raw(port, req("GET", "/v2/health/live", None), 60)
        lat.append((time.monotonic() - t0, st))
        time.sleep(0.05)
    stop.set()
    for t in ts:
        t.join()
    return lat, answers


def flood(port, n, secs, results):
    """n idle connections held open; meanwhile a fresh request must get an answer or a close."""
    socks = []
    for i in range(n):
        try:
            # Spread over many loopback addresses, so the per-address cap is not what refuses them.
            src = "127.0.%d.%d" % (1 + i // 200, 2 + i % 200)
            socks.append(socket.create_connection((HOST, port), timeout=2, source_address=(src, 0)))
        except OSError:
            break
    t0 = time.monotonic()
    st = raw(port, req("GET", "/v2/health/live", None), 10)
    results.append(("conn-flood", st, time.monotonic() - t0))
    time.sleep(min(secs, 2))
    for s in socks:
        s.close()
    return len(socks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "cli", "edgeinfer"))
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds before a request is a hang")
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--slow", type=int, default=300, help="slow clients per slow-client batch")
    ap.add_argument("--slow-secs", type=int, default=12)
    ap.add_argument("--flood", type=int, default=600)
    ap.add_argument("--image-secs", type=int, default=15,
                    help="seconds of /classify with 12 MP PNGs (0: skip)")
    ap.add_argument("--image-clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=1,
                    help="after the run, repeat the malformed requests and the image saturation "
                    "this many times more, with the resident memory after each (a leak grows "
                    "with every round; allocator arenas and caches do not)")
    ap.add_argument("--heap", action="store_true",
                    help="at the end, read glibc's heap figures in the server (mallinfo2) and "
                    "give its free memory back (malloc_trim) through gdb, with VmRSS after")
    ap.add_argument("--json")
    ap.add_argument("server_args", nargs="*")
    a = ap.parse_args()
    os.environ["EI_BIN"] = os.path.abspath(a.bin)
    os.environ.setdefault("EI_MODELS", os.path.join(TOP, ".deps", "models"))
    os.environ.setdefault("EI_SOURCE_DIR", TOP)
    import eiserver as E
    E.EI_BIN, E.EI_MODELS = os.environ["EI_BIN"], os.environ["EI_MODELS"]
    root = tempfile.mkdtemp(prefix="ei-hostile-")
    repo = E.make_repo(os.path.join(root, "repo"))
    srv = E.Server(repo, "--model-control-mode", "explicit", "--load-model", "*",
                   "--allow-client-shm", *a.server_args)
    port = srv.port
    pid = srv.proc.pid
    fails = []
    counts = collections.defaultdict(collections.Counter)
    try:
        warm = [req("POST", "/v2/models/add/infer", infer_doc()),
                req("GET", "/v2/models/add", None), req("GET", "/v2/health/ready", None)]
        for _ in range(3):
            for w in warm:
                raw(port, w, a.timeout)
        base = rss_kb(pid)
        st, _, body = srv.request("POST", "/v2/repository/index", b"{}")
        entries0 = len(json.loads(body)) if st == 200 else -1
        stop = threading.Event()
        lat = []
        prober = threading.Thread(target=health_probe, args=(port, stop, lat, a.timeout))
        prober.start()
        todo = cases(a.scale)
        lock = threading.Lock()
        it = iter(todo)
        peak = [base]

        def worker():
            while True:
                with lock:
                    nxt = next(it, None)
                if nxt is None:
                    return
                cat, data = nxt
                # Half-close only where the request lies about its length or framing (the server
                # would wait for bytes that never come); elsewhere it can turn the server's close
                # into a reset that loses its answer on the client side.
                lie = cat.startswith(("length/", "framing/"))
                st = raw(port, data, a.timeout, half_close=lie)
                with lock:
                    counts[cat][st] += 1
                    peak[0] = max(peak[0], rss_kb(pid))

        ts = [threading.Thread(target=worker) for _ in range(a.jobs)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        # Slow clients (headers, then bodies) at the server's defaults, with health probed.
        for kind in ("headers", "body"):
            left, dropped = slow_clients(port, a.slow, a.slow_secs, kind)
            counts["slow-" + kind]["still-open"] += left
            counts["slow-" + kind]["dropped-by-server"] += dropped
        # Image pool saturated: large images posted back to back while health is probed.
        sat = saturate_images(port, a.image_secs, a.image_clients) if a.image_secs else None
        stop.set()
        prober.join()
        # The connection flood last, with its own probe (over the limit, refused is the answer).
        fl = []
        held = flood(port, a.flood, 2, fl)
        counts["conn-flood"]["held-open"] += held
        counts["conn-flood"]["probe:%s" % fl[0][1]] += 1
        for _ in range(3):
            for w in warm:
                raw(port, w, a.timeout)
        time.sleep(1)
        after = rss_kb(pid)
        rounds = [after]
        for _ in range(a.rounds - 1):
            it = iter(cases(a.scale))
            ts = [threading.Thread(target=worker) for _ in range(a.jobs)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            if a.image_secs:
                saturate_images(port, a.image_secs, a.image_clients)
            for w in warm:
                raw(port, w, a.timeout)
            time.sleep(1)
            rounds.append(rss_kb(pid))
        arena = E.metric(srv.metrics(), "ei_run_memory_reserved_bytes")
        heap = heap_figures(pid) if a.heap else None
        st, _, body = srv.request("POST", "/v2/repository/index", b"{}")
        entries = len(json.loads(body)) if st == 200 else -1
        alive = srv.proc.poll() is None
        rc = srv.stop()
        srv.err.flush()
        with open(srv.err.name, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        srv.out.flush()
        with open(srv.out.name, "rb") as f:
            logs = f.read()
    finally:
        srv.close()
    hl = sorted(x[0] for x in lat)
    bad_health = [x[1] for x in lat if x[1] != 200]

    def pct(p):
        return hl[min(len(hl) - 1, int(p * len(hl)))] * 1000 if hl else float("nan")

    total = collections.Counter()
    for cat, c in counts.items():
        total.update({k: v for k, v in c.items() if isinstance(k, int)})
    print("%-16s %s" % ("category", "answers"))
    for cat in sorted(counts):
        print("%-16s %s" % (cat, ", ".join("%s: %d" % (k, v) for k, v in
                                           sorted(counts[cat].items(), key=lambda kv: str(kv[0])))))
    print("all statuses     %s" % dict(sorted(total.items())))
    print("health probes    %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms, not 200: %s" % (
        len(hl), pct(0.5), pct(0.99), hl[-1] * 1000 if hl else float("nan"),
        collections.Counter(bad_health) or "none"))
    if sat:
        sl = sorted(x[0] for x in sat[0])
        bad = [x[1] for x in sat[0] if x[1] != 200]
        print("image pool saturated (%d clients, 12 MP PNGs): classify answers %s; health %d "
              "probes, p50 %.1f ms, p99 %.1f ms, max %.1f ms, not 200: %s" % (
                  a.image_clients, dict(sat[1]), len(sl), sl[len(sl) // 2] * 1000,
                  sl[min(len(sl) - 1, int(0.99 * len(sl)))] * 1000, sl[-1] * 1000,
                  collections.Counter(bad) or "none"))
        if bad:
            fails.append("health not answered 200 while images decode: %s" % collections.Counter(bad))
        n5 = sum(v for k, v in sat[1].items() if isinstance(k, int) and k >= 500 and k != 503)
        if n5:
            fails.append("/classify under saturation: %d 5xx other than 503" % n5)
    print("memory (VmRSS)   baseline %d KiB, peak %d KiB, after %d KiB (%+d KiB)" % (
        base, peak[0], after, after - base))
    if arena is not None:
        print("run-memory arena (ONNX Runtime's tensors) holds %d KiB at the end" % (arena // 1024))
    if len(rounds) > 1:
        print("memory after each round (KiB): %s; growth per round after the first: %s" % (
            rounds, [b - a_ for a_, b in zip(rounds[1:], rounds[2:])]))
    if heap:
        stats = [l for l in err.splitlines() if l.startswith(("Arena", "system bytes",
                                                              "in use bytes", "Total"))]
        print("glibc heap (malloc_stats): %s" % "; ".join(l.strip() for l in stats[-3:]))
        print("after malloc_trim(0): VmRSS %d KiB (%+d KiB from the baseline)" % (
            heap["rss_after_trim"], heap["rss_after_trim"] - base))
    print("repository index entries: %d before, %d after the run" % (entries0, entries))
    print("server alive before SIGTERM: %s, exit status %s" % (alive, rc))
    for cat, c in counts.items():
        if cat.startswith(("slow-", "conn-flood")):
            continue
        # 505 is the right answer to an HTTP version the server does not speak.
        n5 = sum(v for k, v in c.items() if isinstance(k, int) and k >= 500 and k != 505)
        nh = c.get("hang", 0)
        if n5 or nh:
            fails.append("%s: %d 5xx, %d hangs" % (cat, n5, nh))
    if fl and fl[0][1] == "hang":
        fails.append("over the connection limit a new client hangs (no 503, no close)")
    if not alive:
        fails.append("the server died")
    if rc != 0:
        fails.append("exit status %s" % rc)
    if "Sanitizer" in err or "runtime error:" in err:
        fails.append("sanitizer report in stderr:\n" + err[-4000:])
    raw_ctl = sum(1 for ch in logs + err.encode() if ch < 0x20 and ch not in (0x0a,) or ch == 0x7f)
    print("control bytes in the server's log lines: %d" % raw_ctl)
    if raw_ctl:
        fails.append("%d raw control bytes in the logs (request text not escaped)" % raw_ctl)
    if bad_health:
        fails.append("health probes not answered 200: %s" % collections.Counter(bad_health))
    if entries != entries0:
        fails.append("unknown-model loads left %d repository entries" % (entries - entries0))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"counts": {k: {str(s): n for s, n in v.items()} for k, v in counts.items()},
                       "health_ms": {"n": len(hl), "p50": pct(0.5), "p99": pct(0.99)},
                       "rss_kb": {"base": base, "peak": peak[0], "after": after},
                       "index_entries": entries, "exit": rc, "failures": fails}, f, indent=1)
    for f in fails:
        print("FAIL " + f)
    print("hostile: %s" % ("ok" if not fails else "%d failure(s)" % len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
