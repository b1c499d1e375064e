# SPDX-License-Identifier: MIT
"""Helpers for the server tests: build a small model repository, start the real `edgeinfer serve`
on loopback with --http-port 0 --port-file, talk KServe v2 to it with the standard library only,
and stop it. Every wait is bounded; nothing asserts on wall-clock time."""
import http.client
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

EI_BIN = os.environ.get("EI_BIN", "")
EI_MODELS = os.environ.get("EI_MODELS", "")
EI_SOURCE_DIR = os.environ.get("EI_SOURCE_DIR", "")
CORE_DATA = os.path.join(EI_SOURCE_DIR, "tests", "data", "core")


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def check_env():
    if not EI_BIN or not os.access(EI_BIN, os.X_OK):
        skip("EI_BIN is not an executable")
    if not os.path.isfile(os.path.join(CORE_DATA, "add.onnx")):
        skip("tests/data/core/add.onnx missing")


def default_repo(prefix):
    """The bundled repository (scripts/make_default_repo.sh: the OCR pipeline `ocr` and its
    stages...) in a new temporary folder: (that folder, the repository in it). Skips (77) when
    the PP-OCR models are not set up."""
    if not os.path.isfile(os.path.join(EI_MODELS, "ppocr", "det.onnx")):
        skip("the bundled PP-OCR models are not set up")
    root = tempfile.mkdtemp(prefix=prefix)
    repo = os.path.join(root, "repo")
    subprocess.run([os.path.join(EI_SOURCE_DIR or ".", "scripts", "make_default_repo.sh"), repo],
                   check=True, stdout=subprocess.DEVNULL)
    return root, repo


CLS_CONFIG = """name: "cls"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 3, 48, 192 ] } ]
output [ { name: "softmax_0.tmp_0" data_type: TYPE_FP32 dims: [ 2 ] label_filename: "labels.txt" } ]
dynamic_batching { max_queue_delay_microseconds: %d }
parameters { key: "image_preset" value: { string_value: "ppocr" } }
parameters { key: "image_top_k" value: { string_value: "2" } }
"""


def make_repo(root, cls_delay_us=20000, with_cls=True):
    """add (auto-complete, no config), ident (every dtype), cls (PP-OCR orientation classifier with
    labels and a dynamic batcher) when the bundled models are there."""
    os.makedirs(os.path.join(root, "add", "1"))
    shutil.copy(os.path.join(CORE_DATA, "add.onnx"), os.path.join(root, "add", "1", "model.onnx"))
    os.makedirs(os.path.join(root, "ident", "1"))
    shutil.copy(os.path.join(CORE_DATA, "identity.onnx"),
                os.path.join(root, "ident", "1", "model.onnx"))
    cls = os.path.join(EI_MODELS, "ppocr", "cls.onnx")
    if with_cls and os.path.isfile(cls):
        os.makedirs(os.path.join(root, "cls", "1"))
        shutil.copy(cls, os.path.join(root, "cls", "1", "model.onnx"))
        with open(os.path.join(root, "cls", "labels.txt"), "w") as f:
            f.write("0\n180\n")
        with open(os.path.join(root, "cls", "config.pbtxt"), "w") as f:
            f.write(CLS_CONFIG % cls_delay_us)
    return root


class Server:
    def __init__(self, repo, *extra, env=None):
        self.dir = tempfile.mkdtemp(prefix="ei-serve-")
        self.port_file = os.path.join(self.dir, "ports")
        self.out = open(os.path.join(self.dir, "stdout.log"), "w+")
        self.err = open(os.path.join(self.dir, "stderr.log"), "w+")
        # gRPC on a free port too (its default, 8001, would collide between parallel tests).
        grpc_port = [] if "--grpc-port" in extra else ["--grpc-port", "0"]
        args = [EI_BIN, "serve", "--model-repository", repo, "--http-port", "0",
                "--metrics-port", "0", "--port-file", self.port_file] + grpc_port + list(extra)
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err,
                                     env=env or os.environ.copy())
        deadline = time.monotonic() + 60
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d:\n%s" % (self.proc.returncode,
                                                                    self.stderr()))
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("server did not write its port file:\n" + self.stderr())
            time.sleep(0.05)
        ports = dict(l.split("=") for l in open(self.port_file).read().split())
        self.port = int(ports["http"])
        self.metrics_port = int(ports["metrics"])
        self.grpc_port = int(ports.get("grpc", "-1"))

    def stderr(self):
        self.err.flush()
        with open(self.err.name) as f:
            return f.read()

    def stdout(self):
        self.out.flush()
        with open(self.out.name) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, port=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def get_json(self, path):
        st, _, body = self.request("GET", path)
        return st, (json.loads(body) if body else None)

    def post_json(self, path, doc, headers=None):
        st, h, body = self.request("POST", path, doc, headers)
        return st, (json.loads(body) if body else None)

    def metrics(self):
        st, _, body = self.request("GET", "/metrics", port=self.metrics_port)
        assert st == 200, st
        return body.decode()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("server did not exit %d s after signal %d" % (timeout, sig))
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        self.kill()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def metric(text, name, model=None, version=None):
    """The value of one sample (labels matched when given); None when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        rest = line[len(name):]
        if rest[:1] not in ("{", " "):
            continue
        if model is not None and 'model="%s"' % model not in rest:
            continue
        if version is not None and 'version="%s"' % version not in rest:
            continue
        return float(line.rsplit(" ", 1)[1])
    return None


def binary_infer_body(header, blobs):
    """header dict + raw blobs -> (body, Inference-Header-Content-Length)."""
    h = json.dumps(header).encode()
    return h + b"".join(blobs), len(h)


def parse_binary_response(headers, body):
    hl = headers.get("Inference-Header-Content-Length")
    if hl is None:
        return json.loads(body), {}
    hl = int(hl)
    doc = json.loads(body[:hl])
    off = hl
    blobs = {}
    for o in doc["outputs"]:
        n = o.get("parameters", {}).get("binary_data_size")
        if n is not None:
            blobs[o["name"]] = body[off:off + n]
            off += n
    assert off == len(body), (off, len(body))
    return doc, blobs


def png(width, height, rgb):
    """A truecolour PNG of one colour, with the standard library only."""
    import zlib
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def bytes_elems(*items):
    return b"".join(struct.pack("<I", len(s)) + s for s in items)


class Checker:
    """Collects failures so one run reports all of them."""

    def __init__(self):
        self.failed = 0

    def eq(self, what, got, want):
        if got != want:
            self.failed += 1
            print("FAIL %s: got %r, want %r" % (what, got, want))
        else:
            print("ok   %s" % what)

    def true(self, what, cond, detail=""):
        if not cond:
            self.failed += 1
            print("FAIL %s %s" % (what, detail))
        else:
            print("ok   %s" % what)

    def done(self, server=None):
        if self.failed and server is not None:
            print("---- server stderr ----\n" + server.stderr()[-6000:])
        print("%d failure(s)" % self.failed)
        return 1 if self.failed else 0
