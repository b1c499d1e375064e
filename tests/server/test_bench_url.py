# SPDX-License-Identifier: MIT
"""`edgeinfer bench --url`: the load generator against the real `edgeinfer serve` (JSON and
binary tensors, .npy inputs, images through /classify and /infer, a concurrency sweep and a fixed
rate, --json and --csv), against a server that refuses every other request (413), and against a
stub server that answers 503 or never answers (errors counted by kind, not fatal). The bad paths
exit 1 or 2 with a message that names what was wrong. Runs are tiny (a few tenths of a second);
nothing asserts on a speed: only on counts, their consistency and the order of percentiles."""
import csv
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eiserver  # noqa: E402

# Windows of 0.2 s that also wait for 3 answers: a slow machine gives slower figures, never a
# window without a request.
SHORT = ["--duration", "0.2", "--warmup", "0.05", "--max-windows", "2", "--min-requests", "3",
         "--quiet"]
CLS_SHAPE = ["--shape", "x=1,3,48,192"]


def bench(*args, timeout=240):
    p = subprocess.run([eiserver.EI_BIN, "bench"] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def npy_f32(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join("%d, " % d for d in shape))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(values), *values))


def pb_f32(path, name, shape, values):
    """An ONNX TensorProto (dims, data_type FLOAT, name, raw_data), encoded by hand."""
    def varint(n):
        out = b""
        while True:
            b = n & 0x7F
            n >>= 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out
    raw = struct.pack("<%df" % len(values), *values)
    msg = b"".join(b"\x08" + varint(d) for d in shape) + b"\x10\x01"
    msg += b"\x42" + varint(len(name)) + name.encode() + b"\x4a" + varint(len(raw)) + raw
    with open(path, "wb") as f:
        f.write(msg)


def check_report(c, what, rc, out, err, steps, mode="concurrency"):
    c.eq(what + ": exit status", rc, 0)
    if rc != 0:
        print(err)
        return None
    r = json.loads(out)
    c.eq(what + ": steps", [s[mode] for s in r["steps"]], steps)
    for s in r["steps"]:
        lat = s["latency_ms"]
        order = [lat[k] for k in ("min", "p50", "p90", "p95", "p99", "max")]
        c.true(what + ": ok > 0 and no errors", s["ok"] > 0 and s["errors_total"] == 0,
               str(s))
        c.true(what + ": percentiles ordered", order == sorted(order) and order[0] > 0, str(lat))
        c.true(what + ": throughput = ok / measured time",
               abs(s["throughput_rps"] * s["measured_s"] - s["ok"]) < 1e-6 * s["ok"] + 1e-9,
               str(s))
        c.true(what + ": windows 1..2", 1 <= s["windows"] <= 2, str(s["windows"]))
        srv = s["server"]
        c.true(what + ": server-side split present", srv is not None and srv["requests"] > 0
               and srv["queue_ms"] >= 0 and srv["compute_ms"] > 0, str(srv))
    return r


def main():
    eiserver.check_env()
    c = eiserver.Checker()
    work = tempfile.mkdtemp(prefix="ei-bench-url-")
    repo = eiserver.make_repo(os.path.join(work, "repo"), cls_delay_us=0)
    have_cls = os.path.isdir(os.path.join(repo, "cls"))
    s = eiserver.Server(repo)
    url = "http://127.0.0.1:%d" % s.port
    try:
        # A concurrency sweep on the tiny add model, binary tensors (the default), JSON report.
        rc, out, err = bench("--url", url, "--model", "add", "--concurrency", "1:4:x2",
                             "--json", *SHORT)
        r = check_report(c, "add binary 1:4:x2", rc, out, err, [1, 2, 4])
        if r:
            c.eq("request url", r["request_url"], url + "/v2/models/add/infer")
            c.eq("format", r["settings"]["format"], "binary")
            c.true("body described", "a FP32 [1,3] (random)" in r["settings"]["bodies"][0]["describe"],
                   r["settings"]["bodies"][0]["describe"])
            ok_total = sum(st["ok"] for st in r["steps"])
            served = eiserver.metric(s.metrics(), "nv_inference_request_success", "add")
            c.true("the server served at least what was counted", served >= ok_total,
                   "%r < %r" % (served, ok_total))

        # JSON tensors, a pinned version, a .npy input for 'a' (b generated), CSV report.
        npy = os.path.join(work, "a.npy")
        npy_f32(npy, (2, 3), [1, 2, 3, 4, 5, 6])
        rc, out, err = bench("--url", url + "/", "--model", "add", "--model-version", "1",
                             "--format", "json", "-i", "a=" + npy, "--csv", *SHORT)
        c.eq("add json csv: exit status", rc, 0)
        rows = list(csv.DictReader(io.StringIO(out)))
        c.eq("csv: one row", len(rows), 1)
        if rows:
            c.true("csv: row values", rows[0]["mode"] == "concurrency" and
                   rows[0]["concurrency"] == "1" and int(rows[0]["ok"]) > 0 and
                   rows[0]["errors"] == "0" and float(rows[0]["p99_ms"]) >= float(rows[0]["p50_ms"]),
                   str(rows[0]))
            c.true("csv: server columns", rows[0]["server_requests"] not in ("", "0"), str(rows[0]))

        # A .pb input (TensorProto) for 'b', the other generated.
        pb = os.path.join(work, "b.pb")
        pb_f32(pb, "b", (3,), [1, 1, 1])
        rc, out, err = bench("--url", url, "--model", "add", "-i", "b=" + pb, "--json", *SHORT)
        r = check_report(c, "add .pb input", rc, out, err, [1])
        if r:
            c.true(".pb input described", "b FP32 [3] (%s)" % pb in r["settings"]["bodies"][0]["describe"],
                   r["settings"]["bodies"][0]["describe"])
        bad = os.path.join(work, "bad.pb")
        with open(bad, "wb") as f:
            f.write(b"\x08\x03\x10\x01\x4a\xff\xff")  # raw_data longer than the file
        rc, out, err = bench("--url", url, "--model", "add", "-i", "b=" + bad, *SHORT)
        c.true("a corrupt .pb: exit 1 naming the file", rc == 1 and "bad.pb" in err, err[-300:])

        # Fixed rate (open loop).
        rc, out, err = bench("--url", url, "--model", "add", "--rate", "40:80:x2", "--json",
                             *SHORT)
        r = check_report(c, "add rate 40:80:x2", rc, out, err, [40.0, 80.0], mode="rate")
        if r:
            c.eq("rate mode", r["settings"]["mode"], "rate")

        # The text report, and the progress lines on stderr (one per window when not a terminal).
        rc, out, err = bench("--url", url, "--model", "add", *SHORT[:-1])
        c.true("progress: a line per window on stderr",
               re.search(r"^bench: step 1/1, concurrency 1, window 1/2: [0-9.]+ req/s, p50 ", err,
                         re.M) is not None, err[-300:])
        c.eq("text: exit status", rc, 0)
        c.true("text: table", "concurrency      req/s   p50 ms" in out and "\n          1 " in out,
               out)

        img = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line.jpg")
        img2 = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line_upside_down.png")
        if have_cls:
            img = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line.jpg")
            img2 = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images",
                                "line_upside_down.png")
            # Images straight to /classify, round-robin.
            rc, out, err = bench("--url", url, "--model", "cls", "--image", img, "--image", img2,
                                 "--concurrency", "2", "--json", *SHORT)
            r = check_report(c, "cls classify", rc, out, err, [2])
            if r:
                c.eq("classify url", r["request_url"], url + "/v2/models/cls/classify")
                c.eq("two bodies", [b["describe"].split(" ")[1] for b in r["settings"]["bodies"]],
                     ["(image/jpeg,", "(image/png,"])
            # An image preprocessed into the tensor for /infer (preset from the config).
            rc, out, err = bench("--url", url, "--model", "cls", "--image", img, "--endpoint",
                                 "infer", "--json", *SHORT)
            r = check_report(c, "cls image infer", rc, out, err, [1])
            if r:
                c.true("preset from the config", "x FP32 [1,3,48,192]" in
                       r["settings"]["bodies"][0]["describe"] and "preset ppocr" in
                       r["settings"]["bodies"][0]["describe"], str(r["settings"]["bodies"]))
            rc, out, err = bench("--url", url, "--model", "cls", *CLS_SHAPE, "--format", "json",
                                 "--json", *SHORT)
            check_report(c, "cls random json", rc, out, err, [1])

        # Bad paths.
        cases = [
            (["--url", url, "--model", "nope"], 1, "HTTP 404.*Request for unknown model: 'nope'"),
            (["--url", url, "--model", "add", "-i", "zz=" + npy], 1, "the model has no input 'zz'"),
            (["--url", url, "--model", "add", "-i", "a=" + os.path.join(work, "missing.npy")], 1,
             "missing.npy"),
            (["--url", url, "--model", "add", "--shape", "a=1,4"], 1,
             "--shape a: dim 1 is 4, the input fixes it at 3"),
            (["--url", url, "--model", "add", "--image", npy, "--endpoint", "infer"], 1,
             "no image input"),
            (["--url", "http://127.0.0.1:1", "--model", "add"], 1, "reading model 'add'"),
            (["--url", url, "--model", "add", "--concurrency", "0"], 2, "--concurrency: expected"),
            (["--url", url, "--model", "add", "--concurrency", "1:8:x1"], 2, "--concurrency: expected"),
            (["--url", url, "--model", "add", "--rate", "5", "--concurrency", "2"], 2,
             "exclude each other"),
            (["--url", url, "--model", "add", "--json", "--csv"], 2, "exclude each other"),
            (["--url", url], 2, "missing --model"),
            (["--url", "ftp://x", "--model", "add"], 2, "expected http://HOST:PORT"),
            (["--url", url, "--model", "add", "--protocol", "grpc"], 2,
             "expected HOST:PORT or grpc://HOST:PORT"),
            (["--url", url, "--model", "add", "--endpoint", "classify"], 2, "needs at least one --image"),
            (["--url", url, "--model", "add", "--header", "nocolon"], 2, "--header: expected"),
            (["--url", url, "--model", "add", "--duration", "0"], 2, "--duration: expected seconds"),
            (["--url", url, "--help"], 0, "usage: edgeinfer bench --url URL"),
        ]
        if have_cls:
            cases.append((["--url", url, "--model", "cls", "--shape", "x=1,3,48"], 1,
                          "--shape x: 3 dims given, the input has 4 \\[-1,3,48,192\\]"))
        for args, want_rc, pattern in cases:
            rc, out, err = bench(*(args + SHORT))
            text = out + err
            c.true("bad path %s: exit %d, /%s/" % (" ".join(args[2:]), want_rc, pattern),
                   rc == want_rc and re.search(pattern, text) is not None and
                   "Sanitizer" not in text, "rc %d: %s" % (rc, text[-800:]))
    finally:
        rc = s.stop()
        c.eq("server exit status", rc, 0)
        s.close()

    # A server that refuses every other request (the larger image is over --max-body-bytes: 413):
    # errors counted by status, the run goes on.
    if have_cls:
        s = eiserver.Server(repo, "--max-body-bytes", "4500")
        try:
            rc, out, err = bench("--url", "http://127.0.0.1:%d" % s.port, "--model", "cls",
                                 "--image", img, "--image", img2, "--concurrency", "2", "--json",
                                 *SHORT, "--min-requests", "6")
            c.eq("refusing server: exit status", rc, 0)
            if rc == 0:
                r = json.loads(out)
                st = r["steps"][0]
                c.true("refusing server: ok and 413s", st["ok"] > 0 and
                       st["errors"].get("413", 0) > 0, str(st))
                c.true("refusing server: the first error quoted", "HTTP 413" in r["first_error"],
                       r["first_error"])
            else:
                print(out, err)
        finally:
            s.stop()
            s.close()

    stub_checks(c)
    return c.done()


class Stub(BaseHTTPRequestHandler):
    """Answers the metadata like a v2 server; /infer answers 200, 503, or never (in turn)."""
    protocol_version = "HTTP/1.1"
    count = 0
    lock = threading.Lock()
    release = threading.Event()

    def log_message(self, *a):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v2/models/m":
            self.reply(200, {"name": "m", "inputs": [{"name": "in", "datatype": "INT64",
                                                      "shape": [2]}]})
        elif self.path == "/v2/models/v":
            self.reply(200, {"name": "v", "inputs": [{"name": "in", "datatype": "FP32",
                                                      "shape": [-1, 4, -1]}]})
        elif self.path == "/v2/models/img":
            self.reply(200, {"name": "img", "inputs": [{"name": "image", "datatype": "BYTES",
                                                        "shape": [-1]}]})
        elif self.path == "/v2/models/odd":
            self.reply(200, {"name": "odd", "inputs": [{"name": "in", "datatype": "COMPLEX",
                                                        "shape": [1]}]})
        elif self.path == "/v2/models/m/stats":
            self.reply(404, {"error": "no statistics here"})
        else:
            self.reply(404, {"error": "unknown"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        if self.path == "/v2/models/img/infer":
            self.reply(200, {"outputs": []})
            return
        with Stub.lock:
            k = Stub.count
            Stub.count += 1
        if k % 3 == 0:
            self.reply(200, {"outputs": []})
        elif k % 3 == 1:
            self.reply(503, {"error": "busy"})
        else:
            Stub.release.wait(60)  # never answers in time: the client times out
            self.close_connection = True


def stub_checks(c):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        rc, out, err = bench("--url", "http://127.0.0.1:%d" % srv.server_address[1], "--model",
                             "m", "--timeout", "5", "--concurrency", "3", "--format", "json",
                             "--json", "--duration", "1", "--warmup", "0", "--max-windows", "1",
                             "--min-requests", "12", "--quiet")
        c.eq("stub: exit status", rc, 0)
        if rc == 0:
            st = json.loads(out)["steps"][0]
            c.true("stub: 503s and timeouts counted by kind", st["errors"].get("503", 0) > 0 and
                   st["errors"].get("timeout", 0) > 0, str(st["errors"]))
            c.true("stub: some ok", st["ok"] > 0, str(st))
            c.true("stub: the window waited for 12 answers", st["ok"] + st["errors_total"] >= 12,
                   str(st))
            c.eq("stub: no statistics, no server split", st["server"], None)
            c.true("stub: first error kept", "HTTP 503" in (json.loads(out)["first_error"] or "")
                   or "imeout" in (json.loads(out)["first_error"] or ""), out[-400:])
        else:
            print(out, err)
        base = "http://127.0.0.1:%d" % srv.server_address[1]
        # A model taking images as BYTES (an OCR pipeline's): --image goes to /infer, as is.
        img = os.path.join(eiserver.EI_SOURCE_DIR, "examples", "images", "line.jpg")
        rc, out, err = bench("--url", base, "--model", "img", "--image", img, "--json", *SHORT)
        r = json.loads(out) if rc == 0 else {}
        c.true("stub model img: --image to /infer into the BYTES input",
               rc == 0 and r["request_url"] == base + "/v2/models/img/infer" and
               "image BYTES [1] (%s (image/jpeg" % img in r["settings"]["bodies"][0]["describe"],
               "rc %d: %s %s" % (rc, out[-500:], err[-300:]))
        for model, pattern in (("v", "input 'in' \\[-1,4,-1\\]: dim 2 is variable; give the whole "
                                     "shape with --shape in="),
                               ("odd", "input 'in': unknown datatype 'COMPLEX'")):
            rc, out, err = bench("--url", base, "--model", model, *SHORT)
            c.true("stub model %s: exit 1, /%s/" % (model, pattern),
                   rc == 1 and re.search(pattern, err) is not None, "rc %d: %s" % (rc, err))
    finally:
        Stub.release.set()
        srv.shutdown()
        srv.server_close()


if __name__ == "__main__":
    sys.exit(main())
