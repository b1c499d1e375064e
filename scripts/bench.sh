#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: every benchmark of docs/BENCHMARKS.md, with the commands recorded there.
#   scripts/bench.sh [BUILD_DIR] [core|image|server|ocr]...   (default: all four)
# Expects the `full` set-up (scripts/setup.sh full: torch for the ResNet-50 export, OpenCV, wrk).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
shift || true
parts=${*:-core image server ocr}
cd "$top"
/usr/bin/python3 scripts/export_models.py
cls_dims=(--dim p2o.DynamicDimension.1=48 --dim p2o.DynamicDimension.2=192)
for p in $parts; do
    case "$p" in
    core)
        echo "== edgeinfer bench vs bare ONNX Runtime (docs/BENCHMARKS.md, part 1)"
        bench/core/side_by_side.sh -B "$build" -r 12 .deps/models/ppocr/cls.onnx --threads 1 \
            --iterations 500 "${cls_dims[@]}"
        bench/core/side_by_side.sh -B "$build" -r 6 .deps/models/torch/resnet50.onnx --threads 2 \
            --iterations 30 --warmup 3
        ;;
    image)
        echo "== image preprocessing vs PIL, OpenCV, sharp (part 2)"
        bench/image/run.sh
        ;;
    server)
        echo "== edgeinfer serve under wrk (part 3)"
        bench/server/run.sh "$build" 5
        echo "== gRPC vs HTTP binary and the ORT ceiling, idle gRPC listener (part 3, gRPC)"
        /usr/bin/python3 bench/server/grpc_bench.py "$build" 15 5 32
        echo "== TLS cost: handshakes, plain vs HTTPS /infer (part 5)"
        bench/server/tls.sh "$build" 5 3
        ;;
    ocr)
        echo "== edgeinfer ocr vs @gutenye/ocr-node, interleaved (part 7)"
        PAGES=10 ROUNDS=3 bench/ocr/run.sh
        echo "== /ocr with 1 and 8 clients, alternating windows (part 7)"
        BUILD="$build" PAGES=5 SECONDS_PER_WINDOW=15 ROUNDS=3 bench/ocr/server.sh
        ;;
    *) echo "bench: unknown part '$p' (core, image, server or ocr)" >&2; exit 2 ;;
    esac
done
