#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make run`: a short tour of edgeinfer on the bundled models.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
ei="$top/$build/cli/edgeinfer"
m="$top/.deps/models"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step "$ei" --version
for c in info run bench; do
    "$ei" help 2>/dev/null | grep -q "^  $c " || { echo "(edgeinfer $c is not built yet)"; }
done
if "$ei" help | grep -q '^  info '; then
    step "$ei" info "$m/ppocr/cls.onnx"
    step "$ei" info "$m/vad/silero_vad.onnx"
fi
if "$ei" help | grep -q '^  run '; then
    step "$ei" run "$m/ppocr/cls.onnx" --random --dim p2o.DynamicDimension.0=1 --dim p2o.DynamicDimension.1=48 --dim p2o.DynamicDimension.2=192 -o "$top/$build/tour-out" || true
    step "$ei" run "$m/vad/silero_vad.onnx" --zeros --dim batch=1 --dim sequence=512 || true
fi
if "$ei" help | grep -q '^  bench '; then
    step "$ei" bench "$m/ppocr/cls.onnx" --dim batch=1 --dim H=48 --dim W=192 --duration 2 || true
    step "$ei" bench "$m/vad/silero_vad.onnx" --dim N=1 --dim T=512 --duration 2 || true
fi
