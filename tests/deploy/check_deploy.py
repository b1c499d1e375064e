#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks deploy/ against the real server, without a cluster or a booted systemd.

usage: check_deploy.py kubernetes|systemd

kubernetes: parses every manifest in deploy/kubernetes/ (python3-yaml) and checks their wiring:
  selectors match the pod labels, Service target ports and probe ports name declared container
  ports, the probes (startup/liveness/readiness) use /v2/health/{live,ready}, the security context
  is non-root with a read-only root filesystem and no privilege escalation, requests and limits are
  set, models come from a read-only volume, the grace period outlasts --shutdown-timeout; the
  InferenceService names the ServingRuntime and a format it supports. Then, for the Deployment's
  container and the ServingRuntime's, it starts `edgeinfer serve` with the manifest's own command
  arguments (only the command's path and the volume's mount path point at this build and a test
  repository), and probes it as the kubelet would: HTTP GET on the container ports the probes
  name, success = 200..399, startup first; then /metrics on the metrics port, and SIGTERM -> 0.
systemd: `systemd-analyze verify` on deploy/systemd/edgeinfer.service (ExecStart/ExecReload paths
  pointed at this build), the hardening settings present, --shutdown-timeout < TimeoutStopSec; then
  the ExecStart command line runs and answers, the ExecReload script reloads the models, and
  SIGTERM -> exit 0.
Each server runs in its own network namespace (unshare --net, loopback only), so the manifests'
fixed ports cannot collide with anything on the machine. Exit 77 (skipped) without python3-yaml,
systemd-analyze, or the right to make a network namespace."""
import fcntl
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("EI_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BIN = os.environ.get("EI_BIN", "")
failures = []


def fail(msg):
    print("FAIL:", msg, flush=True)
    failures.append(msg)


def ok(msg):
    print("ok:", msg, flush=True)


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


# --- a private network namespace with loopback up ------------------------------------------------
def enter_netns():
    """Re-runs this script in a new network namespace (returns only there)."""
    if os.environ.get("EI_DEPLOY_NETNS") == "1":
        # Bring lo up: SIOCSIFFLAGS with IFF_UP | IFF_LOOPBACK | IFF_RUNNING.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", 0x1 | 0x8 | 0x40))
        s.close()
        return
    unshare = shutil.which("unshare")
    if not unshare:
        skip("unshare (util-linux) missing")
    cmd = [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--net"]
    probe = subprocess.run(cmd + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip("cannot make a network namespace here: " + probe.stderr.strip())
    env = dict(os.environ, EI_DEPLOY_NETNS="1")
    sys.exit(subprocess.run(cmd + [sys.executable] + sys.argv, env=env).returncode)


def make_repo(root):
    """A small model repository: 'add' (tests/data/core/add.onnx, config completed by the server)."""
    os.makedirs(os.path.join(root, "add", "1"))
    shutil.copy(os.path.join(SRC, "tests", "data", "core", "add.onnx"),
                os.path.join(root, "add", "1", "model.onnx"))
    return root


def kubelet_get(port, path):
    """An HTTP probe as the kubelet sends it; returns the status (or None on a connection error)."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", path, headers={"User-Agent": "kube-probe/1.29", "Accept": "*/*",
                                        "Connection": "close"})
        st = c.getresponse().status
        c.close()
        return st
    except OSError:
        return None


class Server:
    def __init__(self, argv):
        self.log = tempfile.TemporaryFile(mode="w+")
        print("$ " + " ".join(shlex.quote(a) for a in argv), flush=True)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """SIGTERM; returns the exit status (bounded wait, then SIGKILL)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after 120 s"


def wait_for(port, path, proc, limit=180):
    """Polls like a startup probe until success; the limit only bounds a failing run."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        st = kubelet_get(port, path)
        if st is not None and 200 <= st < 400:
            return st
        if proc.poll() is not None:
            return None
        time.sleep(0.2)
    return None


def server_flags():
    p = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True)
    return set(re.findall(r"(--[a-z][a-z-]+)", p.stdout))


def arg_value(args, flag):
    if flag in args:
        i = len(args) - 1 - args[::-1].index(flag)
        return args[i + 1] if i + 1 < len(args) else None
    return None


# --- Kubernetes ----------------------------------------------------------------------------------
def resolve_port(container, port):
    for p in container.get("ports", []):
        if port == p.get("name") or port == p.get("containerPort"):
            return p["containerPort"]
    return None


def check_container(where, c, pod_spec, flags, want_probes):
    sc = c.get("securityContext", {})
    psc = (pod_spec or {}).get("securityContext", {})
    if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
        fail(f"{where}: runAsNonRoot is not set")
    uid = sc.get("runAsUser", psc.get("runAsUser"))
    if not isinstance(uid, int) or uid == 0:
        fail(f"{where}: runAsUser {uid!r} (the image's user is 10001)")
    if sc.get("readOnlyRootFilesystem") is not True:
        fail(f"{where}: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        fail(f"{where}: allowPrivilegeEscalation is not false")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        fail(f"{where}: capabilities are not all dropped")
    res = c.get("resources", {})
    for k in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(res.get(k, {})):
            fail(f"{where}: resources.{k} lacks cpu or memory")
    for probe in want_probes:
        if probe not in c:
            fail(f"{where}: no {probe}")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if probe not in c:
            continue
        g = c[probe].get("httpGet", {})
        want = "/v2/health/live" if probe == "livenessProbe" else "/v2/health/ready"
        if g.get("path") != want:
            fail(f"{where}: {probe} path {g.get('path')!r}, expected {want}")
        if resolve_port(c, g.get("port")) is None:
            fail(f"{where}: {probe} port {g.get('port')!r} is not a declared container port")
    args = c.get("args", [])
    for a in args:
        if a.startswith("--") and a not in flags:
            fail(f"{where}: argument {a} is not an `edgeinfer serve` option")
    ports = {p["containerPort"] for p in c.get("ports", [])}
    http_port = int(arg_value(args, "--http-port") or 8000)
    if http_port not in ports:
        fail(f"{where}: --http-port {http_port} is not a declared container port {sorted(ports)}")
    if arg_value(args, "--http-address") not in ("0.0.0.0", "::"):
        fail(f"{where}: --http-address must be all addresses in a pod")
    grpc_declared = 8001 in ports or any(p.get("name", "").startswith("grpc") for p in c.get("ports", []))
    if grpc_declared and "--grpc-port" not in flags:
        fail(f"{where}: declares a gRPC port, but `edgeinfer serve` takes no --grpc-port")
    gport = arg_value(args, "--grpc-port")
    if gport is not None and int(gport) > 0 and int(gport) not in ports:
        fail(f"{where}: --grpc-port {gport} is not a declared container port {sorted(ports)}")
    if "--grpc-port" in flags and not grpc_declared and gport != "-1":
        fail(f"{where}: the server serves gRPC (8001 by default): declare the port or pass --grpc-port -1")


def run_container(where, c, mounts, repo):
    """Starts the container's command + args (command path -> EI_BIN, mount paths -> repo) and
    probes it; returns nothing, records failures."""
    argv = [BIN] + c.get("command", [])[1:] + [repo if a in mounts else a for a in c.get("args", [])]
    srv = Server(argv)
    args = c.get("args", [])
    try:
        probes = {k: c[k]["httpGet"] for k in ("startupProbe", "livenessProbe", "readinessProbe")
                  if k in c}
        first = probes.get("startupProbe") or probes.get("readinessProbe")
        st = wait_for(resolve_port(c, first["port"]), first["path"], srv.proc)
        if st is None:
            fail(f"{where}: never answered {first['path']} (exit {srv.proc.poll()}):\n{srv.output()}")
            return
        for k, g in probes.items():
            st = kubelet_get(resolve_port(c, g["port"]), g["path"])
            if st is None or not 200 <= st < 400:
                fail(f"{where}: {k} GET {g['path']} -> {st}")
            else:
                ok(f"{where}: {k} GET :{resolve_port(c, g['port'])}{g['path']} -> {st}")
        mport = arg_value(args, "--metrics-port")
        if mport and int(mport) > 0:
            st = kubelet_get(int(mport), "/metrics")
            if st != 200:
                fail(f"{where}: GET :{mport}/metrics -> {st}")
            else:
                ok(f"{where}: GET :{mport}/metrics -> 200")
        # Every declared container port (gRPC included) accepts connections, as a tcpSocket probe.
        for p in c.get("ports", []):
            try:
                socket.create_connection(("127.0.0.1", p["containerPort"]), timeout=10).close()
                ok(f"{where}: port {p.get('name')} ({p['containerPort']}) accepts connections")
            except OSError as e:
                fail(f"{where}: port {p.get('name')} ({p['containerPort']}): {e}")
        http_port = int(arg_value(args, "--http-port") or 8000)
        st = kubelet_get(http_port, "/v2/models/add/ready")
        if st != 200:
            fail(f"{where}: the repository's model is not ready ({st})")
    finally:
        rc = srv.stop()
        if rc != 0:
            fail(f"{where}: SIGTERM -> exit {rc}:\n{srv.output()}")
        else:
            ok(f"{where}: SIGTERM -> exit 0")


def check_kubernetes():
    try:
        import yaml
    except ImportError:
        skip("python3-yaml missing (scripts/setup.sh test)")
    d = os.path.join(SRC, "deploy", "kubernetes")
    docs = []
    for n in sorted(os.listdir(d)):
        if n.endswith((".yaml", ".yml")):
            with open(os.path.join(d, n)) as f:
                docs += [(n, x) for x in yaml.safe_load_all(f) if x]
    kinds = {}
    for n, x in docs:
        for k in ("apiVersion", "kind", "metadata"):
            if k not in x:
                fail(f"{n}: a document without {k}")
        kinds.setdefault(x.get("kind"), []).append((n, x))
    for want in ("Deployment", "Service", "ServingRuntime", "InferenceService"):
        if want not in kinds:
            fail(f"no {want} in deploy/kubernetes/")
    ok(f"{len(docs)} manifests parse: " + ", ".join(sorted(k for k in kinds if k)))
    flags = server_flags()
    work = tempfile.mkdtemp(prefix="ei-k8s-")
    repo = make_repo(os.path.join(work, "repo"))
    try:
        for n, dep in kinds.get("Deployment", []):
            spec = dep["spec"]
            pod = spec["template"]
            labels = pod["metadata"].get("labels", {})
            if not spec["selector"]["matchLabels"].items() <= labels.items():
                fail(f"{n}: the Deployment's selector does not match its pod labels")
            ps = pod["spec"]
            c = ps["containers"][0]
            where = f"{n} Deployment/{dep['metadata']['name']}"
            check_container(where, c, ps, flags, ("startupProbe", "livenessProbe", "readinessProbe"))
            vols = {v["name"]: v for v in ps.get("volumes", [])}
            mounts = set()
            for m in c.get("volumeMounts", []):
                if m["name"] not in vols:
                    fail(f"{where}: mounts undeclared volume {m['name']}")
                if arg_value(c.get("args", []), "--model-repository") == m["mountPath"]:
                    mounts.add(m["mountPath"])
                    if not m.get("readOnly"):
                        fail(f"{where}: the model volume is not mounted read-only")
            if not mounts:
                fail(f"{where}: --model-repository is not a mounted volume")
            grace = ps.get("terminationGracePeriodSeconds", 30)
            drain = int(arg_value(c.get("args", []), "--shutdown-timeout") or 30)
            if grace <= drain:
                fail(f"{where}: terminationGracePeriodSeconds {grace} <= --shutdown-timeout {drain}")
            for sn, svc in kinds.get("Service", []):
                sel = svc["spec"].get("selector", {})
                if sel and sel.items() <= labels.items():
                    for p in svc["spec"]["ports"]:
                        if resolve_port(c, p.get("targetPort", p["port"])) is None:
                            fail(f"{sn}: Service port {p['name']} targets {p.get('targetPort')!r}, "
                                 "not a container port")
                    ok(f"{sn}: Service/{svc['metadata']['name']} selects the pods, targets their ports")
            run_container(where, c, mounts, repo)
        deployments = {x["metadata"]["name"] for _, x in kinds.get("Deployment", [])}
        for n, h in kinds.get("HorizontalPodAutoscaler", []):
            ref = h["spec"]["scaleTargetRef"]
            if ref.get("kind") != "Deployment" or ref.get("name") not in deployments:
                fail(f"{n}: the autoscaler targets {ref}, not a Deployment here")
            else:
                ok(f"{n}: HorizontalPodAutoscaler targets Deployment/{ref['name']}")
        runtimes = {}
        for n, rt in kinds.get("ServingRuntime", []):
            s = rt["spec"]
            where = f"{n} ServingRuntime/{rt['metadata']['name']}"
            runtimes[rt["metadata"]["name"]] = s
            if "v2" not in s.get("protocolVersions", []):
                fail(f"{where}: protocolVersions lacks v2")
            if not any(f.get("name") == "onnx" for f in s.get("supportedModelFormats", [])):
                fail(f"{where}: supportedModelFormats lacks onnx")
            c = s["containers"][0]
            check_container(where, c, None, flags, ("livenessProbe", "readinessProbe"))
            mp = arg_value(c.get("args", []), "--model-repository")
            if mp != "/mnt/models":
                fail(f"{where}: --model-repository {mp!r}: KServe puts the models in /mnt/models")
            run_container(where, c, {"/mnt/models"}, repo)
        for n, isvc in kinds.get("InferenceService", []):
            m = isvc["spec"]["predictor"]["model"]
            where = f"{n} InferenceService/{isvc['metadata']['name']}"
            rt = runtimes.get(m.get("runtime"))
            if rt is None:
                fail(f"{where}: runtime {m.get('runtime')!r} is not a ServingRuntime here")
            elif not any(f["name"] == m["modelFormat"]["name"] for f in rt["supportedModelFormats"]):
                fail(f"{where}: format {m['modelFormat']['name']} is not supported by its runtime")
            elif m.get("protocolVersion", "v1") not in rt["protocolVersions"]:
                fail(f"{where}: protocolVersion {m.get('protocolVersion')} not in the runtime's")
            else:
                ok(f"{where}: runtime {m['runtime']}, format {m['modelFormat']['name']}, "
                   f"protocol {m['protocolVersion']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- systemd -------------------------------------------------------------------------------------
def unit_settings(text):
    text = re.sub(r"\\\n\s*", " ", text)
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def check_systemd():
    sa = shutil.which("systemd-analyze")
    if not sa:
        skip("systemd-analyze missing (scripts/setup.sh test)")
    d = os.path.join(SRC, "deploy", "systemd")
    unit_path = os.path.join(d, "edgeinfer.service")
    text = open(unit_path).read()
    s = unit_settings(text)
    for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("DynamicUser", "yes"),
                 ("PrivateTmp", "yes"), ("PrivateDevices", "yes"), ("KillSignal", "SIGTERM"),
                 ("MemoryDenyWriteExecute", "yes"), ("CapabilityBoundingSet", "")):
        if s.get(k, [None])[-1] != v:
            fail(f"edgeinfer.service: {k}={s.get(k, [None])[-1]!r}, expected {v!r}")
    if "RestrictAddressFamilies" not in s or "AF_PACKET" in s["RestrictAddressFamilies"][-1]:
        fail("edgeinfer.service: RestrictAddressFamilies missing or too wide")
    start = shlex.split(s["ExecStart"][-1])
    reload_ = shlex.split(s["ExecReload"][-1])
    stop = int(s["TimeoutStopSec"][-1])
    drain = int(arg_value(start, "--shutdown-timeout") or 30)
    if not drain < stop:
        fail(f"edgeinfer.service: --shutdown-timeout {drain} is not below TimeoutStopSec {stop}")
    flags = server_flags()
    for a in start[2:]:
        if a.startswith("--") and a not in flags:
            fail(f"edgeinfer.service: ExecStart argument {a} is not an `edgeinfer serve` option")

    work = tempfile.mkdtemp(prefix="ei-systemd-")
    try:
        # verify: the unit as written, its two executables pointed at this build / this checkout.
        t = text.replace(reload_[0], os.path.join(d, os.path.basename(reload_[0])))
        t = t.replace("ExecStart=" + start[0], "ExecStart=" + BIN)
        tu = os.path.join(work, "edgeinfer.service")
        open(tu, "w").write(t)
        p = subprocess.run([sa, "verify", tu], capture_output=True, text=True)
        msgs = [l for l in (p.stdout + p.stderr).splitlines() if "edgeinfer.service" in l]
        if p.returncode != 0 or msgs:
            fail("systemd-analyze verify:\n" + p.stdout + p.stderr)
        else:
            ok("systemd-analyze verify edgeinfer.service: clean")
        p = subprocess.run([sa, "security", "--offline=yes", tu], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", p.stdout + p.stderr)
        if not m:
            fail("systemd-analyze security gave no score:\n" + p.stdout[-2000:] + p.stderr)
        else:
            score = float(m.group(1))
            print(f"systemd-analyze security --offline=yes: exposure {score} {m.group(2)}")
            if score > 2.0:
                fail(f"exposure {score} is above 2.0 (docs/deploy.md records 1.1)")

        repo = make_repo(os.path.join(work, "repo"))
        mp = arg_value(start, "--model-repository")
        argv = [BIN] + [repo if a == mp else a for a in start[1:]]
        srv = Server(argv)
        try:
            port = int(arg_value(start, "--http-port") or 8000)
            if wait_for(port, "/v2/health/ready", srv.proc) is None:
                fail(f"ExecStart never became ready:\n{srv.output()}")
                return
            ok("ExecStart: ready")
            url = reload_[1] if len(reload_) > 1 else "http://127.0.0.1:8000"
            p = subprocess.run([os.path.join(d, os.path.basename(reload_[0])), url],
                               capture_output=True, text=True, timeout=120)
            if p.returncode != 0 or "add reloaded" not in p.stdout:
                fail(f"ExecReload: exit {p.returncode}: {p.stdout}{p.stderr}\n{srv.output()}")
            else:
                ok("ExecReload: " + p.stdout.strip())
            if kubelet_get(port, "/v2/models/add/ready") != 200:
                fail("the model is not ready after the reload")
        finally:
            rc = srv.stop()
            if rc != 0:
                fail(f"SIGTERM -> exit {rc}:\n{srv.output()}")
            else:
                ok(f"SIGTERM -> exit 0 (drain bound {drain} s < TimeoutStopSec {stop} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("kubernetes", "systemd"):
        print(__doc__)
        return 2
    if not BIN or not os.access(BIN, os.X_OK):
        skip("EI_BIN is not an executable")
    if not os.path.isfile(os.path.join(SRC, "tests", "data", "core", "add.onnx")):
        skip("tests/data/core/add.onnx missing")
    enter_netns()
    (check_kubernetes if sys.argv[1] == "kubernetes" else check_systemd)()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print(f"deploy/{sys.argv[1]}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
