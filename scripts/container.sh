#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make container`: builds edgeinfer's container image with podman from the x86-64 bundle
# (dist/edgeinfer-<version>-linux-x86_64.tar.gz, `make dist`), smoke-tests it from outside, and
# saves it as a docker-archive tar that `docker load` and `podman load` accept:
#
#   1. base image: scripts/rootfs.sh base (mmdebstrap, cached in .deps/rootfs/) imported as
#      localhost/edgeinfer-base:bookworm;
#   2. podman build --format docker (Docker format keeps the HEALTHCHECK) of
#      deploy/container/Containerfile -> localhost/edgeinfer:<version>;
#   3. size check (<= 150 MB uncompressed, EI_IMAGE_MAX_MB);
#   4. smoke test: run it (host network, loopback only, ports picked by the kernel), then from the
#      host: /v2/health/live and /ready, model metadata, one /classify, /metrics, the image's own
#      HEALTHCHECK, the non-root user; SIGTERM -> exit status 0;
#   5. dist/edgeinfer-<version>-container-x86_64.tar (docker-archive), checked by loading it into
#      an empty store and by its manifest.json.
# Podman runs with a private store under build-container/ and deploy/container/containers.conf
# (runc, cgroupfs, open-files limit): nothing in /etc or the system's store is touched. Needs root.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'container: %s\n' "$*" >&2; }
die() { printf 'container: error: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (podman with a private store)"
command -v podman >/dev/null || die "podman is missing (scripts/setup.sh container)"

version=$(sed -n 's/^project(edgeinfer VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
bundle=$top/dist/edgeinfer-$version-linux-x86_64.tar.gz
[ -f "$bundle" ] || die "$bundle is missing (make dist)"
image=localhost/edgeinfer:$version
base=localhost/edgeinfer-base:bookworm
archive=$top/dist/edgeinfer-$version-container-x86_64.tar
max_mb=${EI_IMAGE_MAX_MB:-150}

export CONTAINERS_CONF=$top/deploy/container/containers.conf
store=$top/build-container
mkdir -p "$store/root" "$store/run"
pm() { podman --root "$store/root" --runroot "$store/run" --storage-driver overlay "$@"; }

# 1. base image (re-imported when the tar changed: same tar, same image ID)
base_tar=$("$top/scripts/rootfs.sh" base x86_64)
stamp=$store/base.sha256
sum=$(sha256sum "$base_tar" | cut -d' ' -f1)
if ! pm image exists "$base" || [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    say "importing $base_tar as $base"
    pm import "$base_tar" "$base" >/dev/null
    echo "$sum" >"$stamp"
fi

# 2. build (context: only the bundle)
ctx=$(mktemp -d)
smoke=""
cleanup() {
    [ -n "$smoke" ] && pm rm -f "$smoke" >/dev/null 2>&1
    rm -rf "$ctx"
}
trap cleanup EXIT
cp "$bundle" "$ctx/"
say "building $image"
pm build --format docker --pull=never --build-arg BUNDLE="$(basename "$bundle")" \
    -f "$top/deploy/container/Containerfile" -t "$image" "$ctx" >&2

# 3. size
size=$(pm image inspect --format '{{.Size}}' "$image")
say "image size: $((size / 1000000)) MB uncompressed"
[ "$size" -le $((max_mb * 1000000)) ] || die "image is $size bytes, above the $max_mb MB target"

# 4. smoke test from outside
chmod 0777 "$ctx"
smoke=edgeinfer-smoke-$$
pm run -d --name "$smoke" --network=host -v "$ctx:/run/ei" "$image" \
    --http-address 127.0.0.1 --http-port 0 --grpc-port 0 --metrics-port 0 --port-file /run/ei/ports >/dev/null
python3 - "$ctx/ports" "$top/examples/images/line_upside_down.png" <<'EOF' || { pm logs "$smoke" >&2; die "smoke test failed"; }
import http.client, json, os, sys, time
ports_file, png = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 120
while not os.path.exists(ports_file):
    if time.monotonic() > deadline:
        sys.exit("the server wrote no port file")
    time.sleep(0.1)
ports = dict(l.split("=", 1) for l in open(ports_file).read().split())
def req(port, method, path, body=None, headers={}):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    return r.status, r.read()
for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/ppocr_cls/ready"):
    st, _ = req(ports["http"], "GET", path)
    assert st == 200, (path, st)
st, body = req(ports["http"], "GET", "/v2/models/ppocr_cls")
assert st == 200 and json.loads(body)["name"] == "ppocr_cls", (st, body)
st, body = req(ports["http"], "POST", "/v2/models/ppocr_cls/classify", open(png, "rb").read(),
               {"Content-Type": "image/png"})
assert st == 200 and json.loads(body)["top"][0]["label"] == "180", (st, body)
st, body = req(ports["metrics"], "GET", "/metrics")
assert st == 200 and b'nv_inference_count{model="ppocr_cls",version="1"} 1' in body, (st, body[:500])
print("smoke: live, ready, metadata, classify (180), metrics: ok")
EOF
cp "$ctx/ports" "$ctx/ports.keep"
# The image's own HEALTHCHECK reads the port from /tmp/edgeinfer.ports; here the ports file is
# elsewhere, so give it the same content and run the check.
pm exec "$smoke" sh -c 'cat /run/ei/ports >/tmp/edgeinfer.ports'
pm healthcheck run "$smoke" >&2 || die "the image's HEALTHCHECK failed"
say "smoke: HEALTHCHECK: healthy"
user=$(pm exec "$smoke" id -u)
[ "$user" = 10001 ] || die "the server runs as uid $user, not 10001"
pm kill --signal TERM "$smoke" >/dev/null
rc=$(pm wait "$smoke")
[ "$rc" = 0 ] || { pm logs "$smoke" >&2; die "SIGTERM: exit status $rc, expected 0"; }
say "smoke: non-root (uid 10001); SIGTERM -> exit 0"
pm rm "$smoke" >/dev/null
smoke=""

# 5. docker-archive, loadable
rm -f "$archive"
pm save --format docker-archive -o "$archive.part" "$image"
mv "$archive.part" "$archive"
python3 - "$archive" "$image" <<'EOF' || die "$archive is not a docker-archive of $image"
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
assert len(m) == 1 and sys.argv[2] in m[0]["RepoTags"], m
cfg = json.load(t.extractfile(m[0]["Config"]))
for layer in m[0]["Layers"]:
    t.getmember(layer)
c = cfg["config"]
assert c["User"] == "10001:10001" and "Healthcheck" in c and "8000/tcp" in c["ExposedPorts"], c
print("docker-archive: manifest.json, config (user, healthcheck, ports), %d layers: ok" % len(m[0]["Layers"]))
EOF
load=$(mktemp -d)
podman --root "$load/root" --runroot "$load/run" --storage-driver overlay load -i "$archive" >&2
loaded=$(podman --root "$load/root" --runroot "$load/run" --storage-driver overlay image inspect --format '{{.Id}}' "$image")
podman --root "$load/root" --runroot "$load/run" --storage-driver overlay rmi -a -f >/dev/null 2>&1 || true
rm -rf "$load"
[ "$loaded" = "$(pm image inspect --format '{{.Id}}' "$image")" ] || die "podman load gave another image ID"
say "$archive ($(du -h "$archive" | cut -f1)): podman load gives the same image ID"
say "done: $image, $((size / 1000000)) MB"
