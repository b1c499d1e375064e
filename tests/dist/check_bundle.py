#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests a `make dist` bundle in an otherwise empty minimal root filesystem (`make dist-test`).

usage: check_bundle.py BUNDLE.tar.gz ROOTFS.tar ARCH

ROOTFS.tar is a Debian root filesystem made by scripts/rootfs.sh (mmdebstrap: no -dev packages,
nothing of ours). The bundle is unpacked into <root>/opt/edgeinfer and, checked:
  - SHA256SUMS matches every file, and lists every file;
  - every ELF file needs only libraries in the bundle's lib/ or glibc / libstdc++ / libgcc_s, and
    has no search path except $ORIGIN-relative ones;
  - inside the root (chroot in a private mount namespace; aarch64 under qemu-user):
    `edgeinfer --version`, `edgeinfer classify` on the bundled model (the right labels), and
    `edgeinfer serve` on the bundled repository: ready, metadata, one /classify and one /infer,
    metrics, then SIGTERM -> exit 0.
Needs root (chroot, mounts). Every wait is bounded and only decides failure, never success."""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

SYSTEM = re.compile(r"^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|"
                    r"libresolv\.so\.2|libutil\.so\.1|ld-linux[-a-z0-9_.]*\.so\.\d+|"
                    r"libstdc\+\+\.so\.6|libgcc_s\.so\.1)$")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def fail(msg):
    print("FAIL:", msg, flush=True)
    failures.append(msg)


def ok(msg):
    print("ok:", msg, flush=True)


def is_elf(path):
    if os.path.islink(path) or not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def dynamic(path):
    out = subprocess.run(["readelf", "-dW", path], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", out)
    paths = re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]", out)
    return needed, paths


def check_files(bundle):
    sums = os.path.join(bundle, "SHA256SUMS")
    listed = {}
    with open(sums) as f:
        for line in f:
            digest, name = line.rstrip("\n").split("  ", 1)
            listed[name] = digest
    present = set()
    for d, _, files in os.walk(bundle):
        for n in files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, bundle)
            if rel == "SHA256SUMS" or os.path.islink(p):
                continue
            present.add(rel)
            h = hashlib.sha256(open(p, "rb").read()).hexdigest()
            if listed.get(rel) != h:
                fail(f"SHA256SUMS: {rel}: {'missing' if rel not in listed else 'mismatch'}")
    for rel in set(listed) - present:
        fail(f"SHA256SUMS lists {rel}, which is not in the bundle")
    ok(f"SHA256SUMS covers {len(present)} files")

    libdir = os.path.join(bundle, "lib")
    elves = [os.path.join(d, n) for d, _, fs in os.walk(bundle) for n in fs
             if is_elf(os.path.join(d, n))]
    for p in elves:
        needed, paths = dynamic(p)
        rel = os.path.relpath(p, bundle)
        for n in needed:
            if not SYSTEM.match(n) and not os.path.exists(os.path.join(libdir, n)):
                fail(f"{rel} needs {n}, which is neither in lib/ nor glibc/libstdc++")
        for rp in paths:
            for entry in rp.split(":"):
                if entry and not entry.startswith("$ORIGIN"):
                    fail(f"{rel} searches {entry} (only $ORIGIN-relative paths belong in a bundle)")
    ok(f"{len(elves)} ELF files need only lib/ and glibc/libstdc++/libgcc_s")
    req = open(os.path.join(bundle, "share", "doc", "edgeinfer", "REQUIREMENTS")).read()
    if not re.search(r"glibc\s+>= 2\.\d+", req):
        fail("REQUIREMENTS states no glibc version")
    lic = os.path.join(bundle, "share", "doc", "edgeinfer", "licenses")
    for n in ("edgeinfer", "onnxruntime", "models", "debian-packages.txt"):
        if not os.path.isfile(os.path.join(lic, n)):
            fail(f"licenses/{n} missing")
    for pkg in open(os.path.join(lic, "debian-packages.txt")).read().split():
        if not os.path.isfile(os.path.join(lic, f"debian-{pkg}.copyright")):
            fail(f"licenses/debian-{pkg}.copyright missing")


class Root:
    """Runs programs of the bundle chrooted into the root, in a private mount namespace with /proc,
    /sys and /dev mounted (so nothing is left mounted afterwards); aarch64 through qemu-user."""

    def __init__(self, root, arch):
        self.root, self.arch = root, arch
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
        self.prefix = []
        if arch == "aarch64" and os.uname().machine != "aarch64":
            qemu = shutil.which("qemu-aarch64-static")
            if not qemu:
                print("SKIP: qemu-aarch64-static missing (scripts/setup.sh arm64)")
                sys.exit(77)
            os.makedirs(os.path.join(root, "usr", "libexec"), exist_ok=True)
            shutil.copy(qemu, os.path.join(root, "usr", "libexec", "qemu-aarch64-static"))
            # An ARM /proc/cpuinfo for ONNX Runtime under qemu 7.2 (scripts/qemu-aarch64.sh).
            subprocess.run([os.path.join(TOP, "scripts", "qemu-aarch64.sh"), "--version"],
                           env=dict(os.environ, EI_QEMU_ROOT=os.path.join(root, ".qemu")),
                           check=True, capture_output=True)
            self.env["QEMU_LD_PREFIX"] = "/.qemu"
            self.prefix = ["/usr/libexec/qemu-aarch64-static"]

    def argv(self, args):
        r = self.root
        script = (f"mount -t proc proc {r}/proc && mount --rbind /sys {r}/sys && "
                  f"mount --rbind /dev {r}/dev && exec chroot {r} \"$@\"")
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + \
            self.prefix + args

    def run(self, args, timeout=600):
        return subprocess.run(self.argv(args), env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def popen(self, args, **kw):
        return subprocess.Popen(self.argv(args), env=self.env, **kw)


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def check_runs(root, arch, version):
    b = "/opt/edgeinfer"
    exe = b + "/bin/edgeinfer"
    p = root.run([exe, "--version"])
    print(p.stdout + p.stderr)
    if p.returncode != 0 or not re.search(rf"^edgeinfer {re.escape(version)}$", p.stdout, re.M) \
            or not re.search(r"^onnxruntime 1\.\d+\.\d+$", p.stdout, re.M):
        fail(f"--version: exit {p.returncode}")
    else:
        ok("edgeinfer --version")

    m = b + "/share/edgeinfer/models/ppocr"
    img = b + "/share/edgeinfer/examples/images"
    p = root.run([exe, "classify", "--model", m + "/cls.onnx", "--labels", m + "/cls_labels.txt",
                  "--preset", "ppocr", "--top-k", "1", "--json", img + "/line.jpg",
                  img + "/line_upside_down.png"])
    print(p.stdout + p.stderr)
    try:
        labels = [r["top"][0]["label"] for r in json.loads(p.stdout)["results"]]
    except (ValueError, KeyError, IndexError, TypeError):
        labels = []
    if p.returncode != 0 or labels != ["0", "180"]:
        fail(f"classify: exit {p.returncode}, labels {labels} (expected ['0', '180'])")
    else:
        ok("edgeinfer classify on the bundled model: 0, 180")

    ports = os.path.join(root.root, "tmp", "ports")
    if os.path.exists(ports):
        os.unlink(ports)
    log = tempfile.TemporaryFile(mode="w+")
    srv = root.popen([exe, "serve", "--model-repository", b + "/share/edgeinfer/repo",
                      "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
                      "--port-file", "/tmp/ports"],
                     stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            got = {}
            if os.path.exists(ports):
                got = dict(l.split("=", 1) for l in open(ports).read().split() if "=" in l)
            if "http" in got and "metrics" in got:
                break
            if srv.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                fail(f"serve did not start (exit {srv.poll()}):\n{log.read()}")
                return
            time.sleep(0.1)
        port, mport = int(got["http"]), int(got["metrics"])
        st, _ = request(port, "GET", "/v2/health/ready")
        st2, body = request(port, "GET", "/v2/models/ppocr_cls")
        if st != 200 or st2 != 200 or json.loads(body)["name"] != "ppocr_cls":
            fail(f"serve: ready {st}, metadata {st2}")
        png = open(os.path.join(root.root, img[1:], "line_upside_down.png"), "rb").read()
        st, body = request(port, "POST", "/v2/models/ppocr_cls/classify", png,
                           {"Content-Type": "image/png"})
        top = json.loads(body).get("top", [{}])[0].get("label") if st == 200 else None
        if top != "180":
            fail(f"serve: /classify {st}: {body[:300]!r}")
        # One /infer on the VAD model (its config is completed from the model by the server).
        st, body = request(port, "GET", "/v2/models/silero_vad")
        meta = json.loads(body) if st == 200 else {}
        inputs = []
        for i in meta.get("inputs", []):
            shape = [1 if d < 0 else d for d in i["shape"]]
            if i["name"] == "input":
                shape = [1, 512]
            n = 1
            for d in shape:
                n *= d
            dt = i["datatype"]
            data = [16000] * n if dt == "INT64" else [0.0] * n
            inputs.append({"name": i["name"], "shape": shape, "datatype": dt, "data": data})
        st, body = request(port, "POST", "/v2/models/silero_vad/infer",
                           json.dumps({"inputs": inputs}).encode(),
                           {"Content-Type": "application/json"})
        outs = json.loads(body).get("outputs", []) if st == 200 else []
        if not outs:
            fail(f"serve: /infer silero_vad {st}: {body[:300]!r}")
        st, body = request(mport, "GET", "/metrics")
        if st != 200 or b'nv_inference_count{model="ppocr_cls",version="1"} 1' not in body:
            fail(f"serve: metrics {st} lacks the one ppocr_cls inference")
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(timeout=300)
        if rc != 0:
            fail(f"serve: SIGTERM -> exit {rc}")
        if not [f for f in failures if f.startswith("serve")]:
            ok("edgeinfer serve: ready, metadata, /classify, /infer, metrics, SIGTERM -> exit 0")
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
        log.seek(0)
        text = log.read()
        if failures:
            print(text)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    tarball, rootfs, arch = sys.argv[1:]
    if os.geteuid() != 0:
        print("SKIP: needs root (chroot and mounts)")
        return 77
    m = re.search(r"edgeinfer-([0-9.]+)-linux-([a-z0-9_]+)\.tar\.gz$", tarball)
    if not m or m.group(2) != arch:
        print(f"FAIL: {tarball} is not an edgeinfer-<version>-linux-{arch}.tar.gz")
        return 1
    version = m.group(1)
    work = tempfile.mkdtemp(prefix="ei-dist-")
    try:
        root = os.path.join(work, "root")
        os.makedirs(root)
        subprocess.run(["tar", "-xf", rootfs, "-C", root], check=True)
        for d in ("proc", "sys", "dev", "tmp", "opt/edgeinfer"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        # Nothing of ours may be in the root before the bundle is.
        for bad in ("usr/include/jpeglib.h", "usr/lib/x86_64-linux-gnu/libonnxruntime.so.1",
                    "usr/lib/aarch64-linux-gnu/libjpeg.so.62", "usr/lib/x86_64-linux-gnu/libjpeg.so.62",
                    "usr/lib/aarch64-linux-gnu/libmicrohttpd.so.12",
                    "usr/lib/x86_64-linux-gnu/libmicrohttpd.so.12"):
            if os.path.exists(os.path.join(root, bad)):
                fail(f"the root filesystem already holds /{bad}")
        with tarfile.open(tarball) as t:
            t.extractall(os.path.join(work, "x"))
        bundle = os.path.join(work, "x", f"edgeinfer-{version}-linux-{arch}")
        check_files(bundle)
        shutil.rmtree(os.path.join(root, "opt", "edgeinfer"))
        shutil.move(bundle, os.path.join(root, "opt", "edgeinfer"))
        check_runs(Root(root, arch), arch, version)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("bundle ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
