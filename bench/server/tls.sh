#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TLS cost (docs/BENCHMARKS.md, "TLS"): the same `edgeinfer serve` plain and with --tls-cert/--tls-key
# (ECDSA P-256 and RSA-2048 certificates made here with certtool), measured side by side:
#  1. handshake: ROUNDS x N sequential new connections with curl (GET /v2/health/live); the
#     handshake is curl's time_appconnect - time_connect (TLS) against time_connect alone (plain);
#     medians and p10/p90 of all connections;
#  2. new connection per request: wrk -H 'Connection: close' at 8 connections, req/s;
#  3. keep-alive throughput on /infer: wrk at 32 connections, the tiny `add` model (JSON body:
#     protocol-bound) and the PP-OCR classifier with a 110 KB binary tensor body.
# Each phase also records the server's CPU time (utime + stime from /proc/PID/stat) per
# connection or per request: unlike wall-clock rates, it hardly moves with the machine's load.
# Rounds alternate plain / ECDSA / RSA so the machine's drift falls on all alike; each row prints
# the median over rounds with min..max.
# Usage: bench/server/tls.sh [BUILD_DIR] [SECONDS] [ROUNDS]   (needs wrk, curl, certtool)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
secs=${2:-5}
rounds=${3:-5}
n_conn=${EI_TLS_CONNS:-200}
ei="$top/$build/cli/edgeinfer"
for t in wrk curl certtool; do
    command -v $t >/dev/null || { echo "bench/server/tls.sh: $t is missing" >&2; exit 1; }
done
work=$(mktemp -d)
pid=
trap 'kill -TERM $pid 2>/dev/null || true; rm -rf "$work"' EXIT

# Certificates: a CA and a server certificate for 127.0.0.1 of each key type.
cat >"$work/ca.tmpl" <<'EOF'
cn = "bench CA"
ca
cert_signing_key
expiration_days = 30
EOF
cat >"$work/srv.tmpl" <<'EOF'
cn = "localhost"
ip_address = "127.0.0.1"
tls_www_server
signing_key
encryption_key
expiration_days = 30
EOF
certtool --generate-privkey --key-type ecdsa --outfile "$work/ca.key" 2>/dev/null
certtool --generate-self-signed --load-privkey "$work/ca.key" --template "$work/ca.tmpl" \
    --outfile "$work/ca.pem" 2>/dev/null
certtool --generate-privkey --key-type ecdsa --outfile "$work/ecdsa.key" 2>/dev/null
certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$work/rsa.key" 2>/dev/null
for k in ecdsa rsa; do
    certtool --generate-certificate --load-privkey "$work/$k.key" --load-ca-certificate "$work/ca.pem" \
        --load-ca-privkey "$work/ca.key" --template "$work/srv.tmpl" --outfile "$work/$k.pem" 2>/dev/null
done

mkdir -p "$work/repo/add/1" "$work/repo/ppocr_cls/1"
cp "$top/tests/data/core/add.onnx" "$work/repo/add/1/model.onnx"
cp "$top/.deps/models/ppocr/cls.onnx" "$work/repo/ppocr_cls/1/model.onnx"
cat >"$work/repo/ppocr_cls/config.pbtxt" <<'EOF'
name: "ppocr_cls"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 3, 48, 192 ] } ]
output [ { name: "softmax_0.tmp_0" data_type: TYPE_FP32 dims: [ 2 ] } ]
dynamic_batching { max_queue_delay_microseconds: 2000 }
EOF
/usr/bin/python3 "$top/bench/server/make_bodies.py" "$work"
printf '%s' '{"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"b","datatype":"FP32","shape":[3],"data":[1,1,1]}]}' >"$work/add.json"

start() { # MODE: plain | ecdsa | rsa
    rm -f "$work/ports"
    local tls=()
    [ "$1" = plain ] || tls=(--tls-cert "$work/$1.pem" --tls-key "$work/$1.key")
    "$ei" serve --model-repository "$work/repo" --http-port 0 --metrics-port -1 \
        --port-file "$work/ports" "${tls[@]}" >/dev/null 2>"$work/server.err" &
    pid=$!
    while [ ! -s "$work/ports" ]; do
        kill -0 $pid 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
        sleep 0.01
    done
    port=$(sed -n 's/^http=//p' "$work/ports")
    scheme=https
    [ "$1" = plain ] && scheme=http
    url="$scheme://127.0.0.1:$port"
}
stop() { kill -TERM $pid; wait $pid || true; pid=; }
# The server's CPU time so far, in microseconds.
cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1e6 / hz }' "/proc/$pid/stat"; }

# 1. handshakes: one curl per connection, times in microseconds appended to $work/hs.<mode>
handshakes() {
    local mode=$1 i c0
    c0=$(cpu_us)
    for i in $(seq "$n_conn"); do
        curl -s -o /dev/null --cacert "$work/ca.pem" -w '%{time_connect} %{time_appconnect}\n' \
            "$url/v2/health/live"
    done | awk -v m="$mode" '{ c = $1 * 1e6; a = $2 * 1e6; print (m == "plain" ? c : a - c) }' \
        >>"$work/hs.$mode"
    echo $(( ($(cpu_us) - c0) / n_conn )) >>"$work/hscpu.$mode"
}
wrk_rps() { # NAME CONNS URL [wrk args...]: req/s to $work/NAME.$mode, server CPU µs/request to
    local f=$1 c=$2 u=$3 c0 out n #   $work/NAME_cpu.$mode
    shift 3
    c0=$(cpu_us)
    out=$(wrk -t 2 -c "$c" -d "${secs}s" --timeout 30s "$@" "$u")
    n=$(awk '/requests in/ { print $1 }' <<<"$out")
    awk '/Requests\/sec/ { print $2 }' <<<"$out" >>"$work/$f.$mode"
    echo $(( ($(cpu_us) - c0) / (n > 0 ? n : 1) )) >>"$work/${f}_cpu.$mode"
}

modes="plain ecdsa rsa"
for r in $(seq "$rounds"); do
    for mode in $modes; do
        start $mode
        handshakes $mode
        wrk_rps close 8 "$url/v2/health/live" -H 'Connection: close'
        EI_BODY="$work/add.json" EI_CTYPE=application/json EI_HLEN= \
            wrk_rps add 32 "$url/v2/models/add/infer" -s "$top/bench/server/post.lua"
        EI_BODY="$work/ppocr_cls.bin" EI_CTYPE=application/octet-stream \
            EI_HLEN=$(cat "$work/ppocr_cls.bin.hlen") \
            wrk_rps cls 32 "$url/v2/models/ppocr_cls/infer" -s "$top/bench/server/post.lua"
        stop
    done
    echo "round $r done" >&2
done

# Median and spread of a file of numbers.
stats() { sort -g "$1" | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s %s %s %s", m, v[1], v[NR], v[int(NR * 0.1) + 1], v[int(NR * 0.9)] }'; }
printf '\n%-34s %12s %12s %12s\n' "" plain "TLS ECDSA" "TLS RSA-2048"
printf "%-34s" "handshake µs p50 (plain: TCP conn.)"
for m in $modes; do read -r med lo hi p10 p90 <<<"$(stats "$work/hs.$m")"; printf ' %12.0f' "$med"; done
printf '\n%-34s' "  p10 .. p90"
for m in $modes; do read -r med lo hi p10 p90 <<<"$(stats "$work/hs.$m")"; printf ' %12s' "$(printf '%.0f..%.0f' "$p10" "$p90")"; done
for row in "hscpu:server CPU µs per connection + GET" "close:new connection per request, req/s" \
    "close_cpu:  server CPU µs per request" "add:/infer add JSON, keep-alive, req/s" \
    "add_cpu:  server CPU µs per request" "cls:/infer ppocr_cls 110 KB binary, req/s" \
    "cls_cpu:  server CPU µs per request"; do
    f=${row%%:*} label=${row#*:}
    printf '\n%-34s' "$label"
    for m in $modes; do read -r med lo hi p10 p90 <<<"$(stats "$work/$f.$m")"; printf ' %12s' "$(printf '%.0f' "$med")"; done
    printf '\n%-34s' "  min .. max"
    for m in $modes; do read -r med lo hi p10 p90 <<<"$(stats "$work/$f.$m")"; printf ' %12s' "$(printf '%.0f..%.0f' "$lo" "$hi")"; done
done
printf '\n(%d rounds x %d s; %d handshakes per mode per round)\n' "$rounds" "$secs" "$n_conn"
