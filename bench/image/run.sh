#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Image preprocessing benchmark: decode + resize 256 + centre crop 224 + ImageNet normalise into a
# 1x3x224x224 float32 tensor, per photo, one thread, side by side in one run: edgeinfer (full
# decode and DCT-domain scaling), PIL + NumPy (torchvision-equivalent), OpenCV (imread + resize +
# blobFromImage) and sharp (libvips). Prints the Markdown tables of docs/BENCHMARKS.md (part 2).
#
#   bench/image/run.sh   (RUNS=30 ROUNDS=3 WARMUP=3 BUILD=build-bench-image, CPU= unpinned)
#
# Needs `scripts/setup.sh full` (python3-opencv, python3-skimage, opencv-doc) and node/npm: sharp
# is installed on first use into .deps/bench-node (git-ignored), for this benchmark only.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${RUNS:-30}
warmup=${WARMUP:-3}
rounds=${ROUNDS:-3}
build=${BUILD:-$top/build-bench-image}
work=${WORK:-$top/.deps/bench-image}
cpu=${CPU:-}
py=/usr/bin/python3
sharp_ver=0.34.5

say() { printf 'bench-image: %s\n' "$*" >&2; }

# Release with -O2, as the project's release builds (CMake's own Release default is -O3).
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
    >/dev/null
cmake --build "$build" -j2 --target ei_bench_image >/dev/null
bin="$build/bench/image/ei_bench_image"

mkdir -p "$work/photos" "$work/dumps"
"$py" "$top/bench/image/prepare.py" "$work/photos" >&2
photos=("$work/photos/chelsea.jpg" "$work/photos/coffee.jpg" "$work/photos/aloeL.jpg"
        "$work/photos/photo12mp.jpg")

node_dir="$top/.deps/bench-node"
if [ ! -d "$node_dir/node_modules/sharp" ]; then
    say "installing sharp@$sharp_ver into $node_dir (benchmark only)"
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm install --no-save --no-audit --no-fund --prefix . "sharp@$sharp_ver" >&2)
fi

# Every tool runs with one thread; CPU=n pins them all to that CPU (taskset).
pin=()
if [ -n "$cpu" ]; then pin=(taskset -c "$cpu"); fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 UV_THREADPOOL_SIZE=1 VIPS_CONCURRENCY=1

# The runs are split into ROUNDS rounds, each running every tool in turn, so that a change in
# background load affects all tools alike; the medians are over all runs of all rounds.
res="$work/results.txt"
: >"$res"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
per=$(( (runs + rounds - 1) / rounds ))
for r in $(seq 1 "$rounds"); do
    say "round $r/$rounds: edgeinfer, PIL, OpenCV, sharp ($per runs each)"
    "${pin[@]}" "$bin" -n "$per" -w "$warmup" -d "$work/dumps" "${photos[@]}" >>"$res"
    "${pin[@]}" "$py" "$top/bench/image/bench_py.py" -n "$per" -w "$warmup" -d "$work/dumps" \
        "${photos[@]}" >>"$res"
    "${pin[@]}" node "$top/bench/image/bench_sharp.js" "$node_dir/node_modules" "$per" "$warmup" \
        "$work/dumps" "${photos[@]}" >>"$res"
done

echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(getconf _NPROCESSORS_ONLN) CPUs, load average $load0 at the start and $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
     "libjpeg-turbo $(pkg-config --modversion libjpeg), Pillow $("$py" -c 'import PIL; print(PIL.__version__)')," \
     "OpenCV $("$py" -c 'import cv2; print(cv2.__version__)'), sharp $sharp_ver" \
     "(libvips $(node -e "console.log(require('$node_dir/node_modules/sharp').versions.vips)"))."
echo
"$py" "$top/bench/image/compare.py" "$res" "$work/dumps" "$work/photos"
