#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Server benchmark (docs/BENCHMARKS.md, part 3): wrk against `edgeinfer serve` on ResNet-50 and the
# PP-OCR orientation classifier: /infer with binary tensors, /infer with JSON, and /classify with a
# JPEG, at 1, 8 and 32 connections; requests/s, p50/p99 and the server's peak resident memory
# (VmHWM, a fresh server per row); plus `edgeinfer bench` on the same models as the ONNX Runtime
# ceiling, idle memory and time to ready.
# Usage: bench/server/run.sh [BUILD_DIR] [SECONDS]     (needs wrk: scripts/setup.sh full)
#        PAIRED=N bench/server/run.sh [BUILD_DIR] [SECONDS]
#   PAIRED=N: instead of the table, N rounds that alternate, against one long-running server, wrk at
#   32 connections (SECONDS) and the ORT ceiling (`edgeinfer bench --batch 8 --threads 2`,
#   SECONDS - 2) on the same model, and print each round's ratio server/ceiling: the ratio the
#   issue's targets ask for, with the machine's drift falling on both sides alike.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
secs=${2:-10}
ei="$top/$build/cli/edgeinfer"
models="$top/.deps/models"
photo=${EI_BENCH_PHOTO:-$(ls "$top"/.deps/bench-image/photos/chelsea.jpg 2>/dev/null || true)}
command -v wrk >/dev/null || { echo "bench/server: wrk is missing (scripts/setup.sh full)" >&2; exit 1; }
[ -x "$ei" ] || { echo "bench/server: build first ($ei)" >&2; exit 1; }
[ -f "$models/torch/resnet50.onnx" ] || { echo "bench/server: run scripts/export_models.py first" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill -TERM ${pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

# The repository: ResNet-50 (dynamic batching, imagenet preprocessing for /classify) and the
# bundled PP-OCR classifier.
"$top/scripts/make_default_repo.sh" "$work/repo" >/dev/null
rm -rf "$work/repo/ppocr_rec" "$work/repo/silero_vad"
mkdir -p "$work/repo/resnet50/1"
ln -s "$models/torch/resnet50.onnx" "$work/repo/resnet50/1/model.onnx"
cat >"$work/repo/resnet50/config.pbtxt" <<'PBTXT'
name: "resnet50"
platform: "onnxruntime_onnx"
max_batch_size: 8
dynamic_batching { max_queue_delay_microseconds: 2000 }
parameters { key: "image_preset" value: { string_value: "imagenet" } }
PBTXT
/usr/bin/python3 "$top/bench/server/make_bodies.py" "$work"

start_server() {
    rm -f "$work/ports"
    local t0=$(date +%s.%N)
    "$ei" serve --model-repository "$work/repo" --http-port 0 --metrics-port -1 --grpc-port -1 \
        --port-file "$work/ports" >/dev/null 2>"$work/server.err" &
    pid=$!
    while [ ! -s "$work/ports" ]; do
        kill -0 $pid 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
        sleep 0.01
    done
    ready_s=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
    port=$(sed -n 's/^http=//p' "$work/ports")
}
stop_server() {
    kill -TERM $pid
    wait $pid || true
}
vm() { awk -v k="$1:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }

if [ -n "${PAIRED:-}" ]; then
    start_server
    cls_dims=(--dim p2o.DynamicDimension.1=48 --dim p2o.DynamicDimension.2=192)
    printf '%-10s %-9s %5s %12s %14s %6s\n' model endpoint round "server req/s" "ceiling items/s" ratio
    for round in $(seq "$PAIRED"); do
        for pair in "ppocr_cls binary" "resnet50 classify" "resnet50 binary"; do
            set -- $pair
            model=$1 ep=$2
            case $ep in
                binary) body="$work/$model.bin"; ctype=application/octet-stream
                        hlen=$(cat "$work/$model.bin.hlen"); path=infer ;;
                classify) body=$photo; ctype=image/jpeg; hlen=; path=classify ;;
            esac
            [ -n "$body" ] || continue
            rps=$(EI_BODY=$body EI_CTYPE=$ctype EI_HLEN=$hlen wrk -t 2 -c 32 -d ${secs}s --timeout 30s \
                -s "$top/bench/server/post.lua" "http://127.0.0.1:$port/v2/models/$model/$path" |
                awk '/Requests\/sec/ { print $2 }')
            if [ "$model" = ppocr_cls ]; then
                mfile="$models/ppocr/cls.onnx"; extra=("${cls_dims[@]}")
            else
                mfile="$models/torch/resnet50.onnx"; extra=()
            fi
            ceil=$("$ei" bench "$mfile" --batch 8 --threads 2 --warmup 1 --duration $(( secs > 3 ? secs - 2 : 1 )) \
                "${extra[@]}" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["throughput"]["items_per_s"])')
            awk -v m="$model" -v e="$ep" -v r="$round" -v a="$rps" -v b="$ceil" \
                'BEGIN { printf "%-10s %-9s %5d %12.2f %14.2f %6.2f\n", m, e, r, a, b, a / b }'
        done
    done
    stop_server
    exit 0
fi

printf '%-10s %-9s %5s %10s %9s %9s %8s %6s\n' model endpoint conns "req/s" "p50 ms" "p99 ms" "peak MB" errors
for model in ppocr_cls resnet50; do
    for ep in binary json classify; do
        for conns in 1 8 32; do
            start_server
            case $ep in
                binary) body="$work/$model.bin"; ctype=application/octet-stream
                        hlen=$(cat "$work/$model.bin.hlen"); path=infer ;;
                json) body="$work/$model.json"; ctype=application/json; hlen=; path=infer ;;
                classify) body=$photo; ctype=image/jpeg; hlen=; path=classify ;;
            esac
            [ -n "$body" ] || continue
            out=$(EI_BODY=$body EI_CTYPE=$ctype EI_HLEN=$hlen wrk -t $(( conns < 2 ? 1 : 2 )) -c $conns -d ${secs}s \
                --timeout 30s --latency -s "$top/bench/server/post.lua" \
                "http://127.0.0.1:$port/v2/models/$model/$path")
            rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
            p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
            p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
            errs=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
            # wrk prints latencies with units (us, ms, s): normalise to ms.
            tom() { echo "$1" | awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) v += 0; else if ($1 ~ /s$/) v *= 1000; printf "%.1f", v }'; }
            printf '%-10s %-9s %5d %10s %9s %9s %8s %6s\n' $model $ep $conns "$rps" "$(tom "$p50")" \
                "$(tom "$p99")" "$(vm VmHWM)" "${errs:-0}"
            stop_server
        done
    done
done

start_server
sleep 1
echo
echo "idle resident memory (both models loaded): $(vm VmRSS) MB; ready in ${ready_s} s"
stop_server
echo
echo "ONNX Runtime ceiling (edgeinfer bench, ${secs}s, 2 intra-op threads):"
for b in 1 8 16; do
    "$ei" bench "$models/torch/resnet50.onnx" --batch $b --duration $secs --threads 2 |
        awk -v b=$b '/throughput/ { print "  resnet50  batch " b ": " $0 } /peak memory/ { print "  resnet50  batch " b ": " $0 }'
done
for b in 1 8; do
    "$ei" bench "$models/ppocr/cls.onnx" --batch $b --dim p2o.DynamicDimension.1=48 \
        --dim p2o.DynamicDimension.2=192 --duration $secs --threads 2 |
        awk -v b=$b '/throughput/ { print "  ppocr_cls batch " b ": " $0 }'
done
