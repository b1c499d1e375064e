#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# OCR end to end, side by side in one run: edgeinfer (ei_bench_ocr, the library call) and the npm
# peer @gutenye/ocr-node@1.4.8 (the same PP-OCRv4 det/rec models with onnxruntime-node, sharp,
# opencv-js and js-clipper; no orientation model), on the same rendered invoice-like pages
# (tests/ocr/pages.py: 1100 px wide, 4-9 lines, 8 fonts, blur, a page turned 180 degrees), with
# the same ONNX Runtime thread counts (THREADS intra-op, 1 inter-op). Both tools stay loaded and
# are driven page by page, interleaved (bench/ocr/pair.py: A then B, then B then A, ...), so each
# pair of runs sees the same machine load. Prints the Markdown tables of docs/BENCHMARKS.md
# (part 7): median latency and spread, the paired ratio, peak memory, character error rate, and
# where each tool's time goes (edgeinfer's per-stage timings; the peer's time inside ONNX Runtime).
#
#   bench/ocr/run.sh   (PAGES=10 ROUNDS=5 WARMUP=1 THREADS=2 BUILD=build-bench-ocr)
#
# The peer is fetched on first use into .deps/bench-ocr-node (git-ignored): its tarball is pinned
# by version and sha512, then installed with its dependencies (npm install --ignore-scripts:
# onnxruntime-node's install script would download CUDA libraries from nuget.org; the CPU build
# it runs ships in the package). After that the benchmark runs offline.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pages=${PAGES:-10}
warmup=${WARMUP:-1}
threads=${THREADS:-2}
rounds=${ROUNDS:-5}
build=${BUILD:-$top/build-bench-ocr}
work=${WORK:-$build/work}
py=/usr/bin/python3
peer=@gutenye/ocr-node@1.4.8
peer_sha="sha512-Ej6hHQSrBLCY74Qb2rRYZ0v97kp3h1Q8obLdQDM208ft9BOyqj+aUN2yTYQ/1c/BO695OWDgufRSiWiLB92KLw=="

say() { printf 'bench-ocr: %s\n' "$*" >&2; }

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
    >/dev/null
cmake --build "$build" -j2 --target ei_bench_ocr >/dev/null
bin="$build/bench/ocr/ei_bench_ocr"

node_dir="$top/.deps/bench-ocr-node"
if [ ! -d "$node_dir/node_modules/@gutenye/ocr-node" ]; then
    say "fetching $peer into $node_dir (benchmark only)"
    mkdir -p "$node_dir"
    (cd "$node_dir" && rm -f gutenye-ocr-node-*.tgz && npm pack --silent "$peer" >/dev/null)
    tgz=$(ls "$node_dir"/gutenye-ocr-node-*.tgz)
    got="sha512-$(openssl dgst -sha512 -binary "$tgz" | openssl base64 -A)"
    [ "$got" = "$peer_sha" ] || { say "$tgz: sha512 $got, expected $peer_sha"; exit 1; }
    [ -f "$node_dir/package.json" ] || echo '{"name":"bench-ocr","private":true}' >"$node_dir/package.json"
    (cd "$node_dir" && npm install --no-audit --no-fund --ignore-scripts "./$(basename "$tgz")" >&2)
fi
cp "$top/bench/ocr/peer.mjs" "$node_dir/peer.mjs"

mkdir -p "$work"
"$py" "$top/tests/ocr/pages.py" "$work/pages" --count "$pages"
files=()
for i in $(seq 0 $((pages - 1))); do files+=("$work/pages/$(printf 'page_%02d.png' "$i")"); done

res="$work/results.jsonl"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
"$py" "$top/bench/ocr/pair.py" "$res" --rounds "$rounds" --warmup "$warmup" --pages "${files[@]}" \
    --tool edgeinfer "$top" "$bin -m $top/.deps/models/ppocr -t $threads" \
    --tool ocr-node "$node_dir" "node peer.mjs $threads"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
"$py" "$top/bench/ocr/compare.py" "$res" --threads "$threads" --rounds "$rounds" \
    --load "$load0 -> $load1"
