#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# /classify on large photos against small ones (issue #10: at 32 connections, 1.4 MP photos should
# reach >= 0.9 of the small-photo rate, i.e. decoding overlaps inference). ResNet-50 (imagenet
# preset: resize 256, crop 224; dynamic batching up to 8) behind `edgeinfer serve` with its default
# image pool (its queue raised to 64 so that 32 connections never meet its 503);
# `edgeinfer bench --url --endpoint classify --concurrency 32` sends OpenCV's aloeL (1282x1110,
# 1.42 MP) and skimage's chelsea (451x300, 0.14 MP) in alternating rounds against the
# same server, so the machine's drift falls on both alike. Prints per round the two rates and their
# ratio, then the median ratio; then what bounds it on this machine: the decode + preprocess CPU
# per photo (bench/image's ei_bench_image, full decode as the server does) and ResNet-50's CPU per image at
# batch 8 (`edgeinfer bench`), and the ratio those two predict when the cores are the limit:
# (infer + decode_small) / (infer + decode_large).
# Usage: bench/server/classify_sizes.sh [BUILD_DIR] [SECONDS] [ROUNDS]
#        (photos: bench/image/prepare.py, Debian python3-skimage, opencv-doc, python3-pil;
#         ResNet-50: .deps/models/torch/resnet50.onnx from scripts/export_models.py)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
secs=${2:-10}
rounds=${3:-5}
ei="$top/$build/cli/edgeinfer"
bench_image="$top/$build/bench/image/ei_bench_image"
model="$top/.deps/models/torch/resnet50.onnx"
[ -x "$ei" ] || { echo "classify_sizes: build first ($ei)" >&2; exit 1; }
[ -f "$model" ] || { echo "classify_sizes: $model missing (scripts/export_models.py)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; rm -rf "$work"' EXIT
/usr/bin/python3 "$top/bench/image/prepare.py" "$work/photos" >/dev/null
small="$work/photos/chelsea.jpg"
large="$work/photos/aloeL.jpg"

mkdir -p "$work/repo/resnet50/1"
ln -s "$model" "$work/repo/resnet50/1/model.onnx"
cat >"$work/repo/resnet50/config.pbtxt" <<'PBTXT'
name: "resnet50"
platform: "onnxruntime_onnx"
max_batch_size: 8
dynamic_batching { max_queue_delay_microseconds: 2000 }
parameters { key: "image_preset" value: { string_value: "imagenet" } }
PBTXT
"$ei" serve --model-repository "$work/repo" --http-port 0 --metrics-port -1 --grpc-port -1 \
    --image-queue 64 --port-file "$work/ports" >/dev/null 2>"$work/server.err" &
pid=$!
while [ ! -s "$work/ports" ]; do
    kill -0 $pid 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
    sleep 0.05
done
url="http://127.0.0.1:$(sed -n 's/^http=//p' "$work/ports")"

rate() { # PHOTO -> successful requests/s at 32 in flight
    "$ei" bench --url "$url" --model resnet50 --endpoint classify --image "$1" --concurrency 32 \
        --warmup 3 --duration "$secs" --max-windows 1 --quiet --json |
        /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin)["steps"][0]
print("%.2f %d" % (s["throughput_rps"], s["errors_total"]))'
}

echo "# /classify, ResNet-50, 32 connections, ${secs} s windows; small $(basename "$small"), large $(basename "$large")"
printf '%5s %12s %12s %7s %s\n' round "small req/s" "large req/s" ratio errors
ratios=()
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
        read -r s_rps s_err < <(rate "$small"); read -r l_rps l_err < <(rate "$large")
    else
        read -r l_rps l_err < <(rate "$large"); read -r s_rps s_err < <(rate "$small")
    fi
    ratio=$(awk -v a="$l_rps" -v b="$s_rps" 'BEGIN { printf "%.3f", a / b }')
    ratios+=("$ratio")
    printf '%5s %12s %12s %7s %s\n' "$r" "$s_rps" "$l_rps" "$ratio" "$((s_err + l_err))"
done
printf '%s\n' "${ratios[@]}" | sort -n |
    awk '{ v[NR] = $1 } END { printf "median ratio large/small: %.3f (min %.3f, max %.3f, %d rounds)\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR], NR }'
kill -TERM $pid
wait $pid || true
pid=

# What bounds it: CPU per photo for decoding + preprocessing, and per image for inference.
if [ -x "$bench_image" ]; then
    "$bench_image" -n 30 -w 3 "$small" "$large" | awk '$2 == "full" { print $3, $5 }' |
        while read -r name cpus; do
            printf 'decode+preprocess CPU ms (median of 30), %s: %s\n' "$name" \
                "$(tr , '\n' <<<"$cpus" | sort -g | sed -n 15p)"
        done | tee "$work/decode.txt"
fi
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{ print $1 + $2 }'; }
one=$(cpu "$ei" bench "$model" --batch 8 --threads 2 --warmup 1 --iterations 1)
many=$(cpu "$ei" bench "$model" --batch 8 --threads 2 --warmup 1 --iterations 6)
infer=$(awk -v a="$many" -v b="$one" 'BEGIN { printf "%.2f", (a - b) * 1000 / 40 }')
echo "ResNet-50 inference CPU ms per image (batch 8, 2 threads): $infer"
if [ -s "$work/decode.txt" ]; then
    ds=$(sed -n 1p "$work/decode.txt" | awk '{ print $NF }')
    dl=$(sed -n 2p "$work/decode.txt" | awk '{ print $NF }')
    awk -v i="$infer" -v s="$ds" -v l="$dl" 'BEGIN {
        printf "CPU-bound prediction large/small: (%.1f + %.2f) / (%.1f + %.2f) = %.3f\n", i, s, i, l, (i + s) / (i + l) }'
fi
