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
cls_dims=(--dim p2o.DynamicDimension.0=1 --dim p2o.DynamicDimension.1=48 --dim p2o.DynamicDimension.2=192)
step "$ei" ocr "$top/examples/images/line.jpg" "$top/examples/images/line_upside_down.png"
step "$ei" info "$m/ppocr/cls.onnx"
step "$ei" info "$m/vad/silero_vad.onnx"
{
    step "$ei" run "$m/ppocr/cls.onnx" --random "${cls_dims[@]}" -o "$top/$build/tour-out" || true
    step "$ei" run "$m/vad/silero_vad.onnx" --zeros --dim batch=1 --dim sequence=512 || true
    step "$ei" bench "$m/ppocr/cls.onnx" "${cls_dims[@]}" --duration 1 || true
    step "$ei" bench "$m/vad/silero_vad.onnx" --dim batch=1 --dim sequence=512 --duration 1 || true
}

# Last stop: the server, in the foreground, on the bundled repository (Ctrl-C stops it).
if grep -q '^  serve ' <<<"$("$ei" help)"; then
    repo="$top/.deps/repo"
    step "$top/scripts/make_default_repo.sh" "$repo"
    http=${EI_HTTP_PORT:-8000}
    metrics=${EI_METRICS_PORT:-8002}
    portfile=$(mktemp)
    printf '\n\033[1m$ %s\033[0m\n' "edgeinfer serve --model-repository $repo --http-port $http --metrics-port $metrics"
    "$ei" serve --model-repository "$repo" --http-port "$http" --metrics-port "$metrics" \
        --port-file "$portfile" &
    pid=$!
    trap 'kill -TERM $pid 2>/dev/null || true' INT TERM
    for _ in $(seq 300); do
        [ -s "$portfile" ] && break
        kill -0 "$pid" 2>/dev/null || { rm -f "$portfile"; wait "$pid"; exit $?; }
        sleep 0.1
    done
    http=$(sed -n 's/^http=//p' "$portfile")
    metrics=$(sed -n 's/^metrics=//p' "$portfile")
    rm -f "$portfile"
    img="$top/examples/images/line_upside_down.png"
    cat <<EOF2

edgeinfer is serving .deps/repo (ocr: the OCR pipeline of ppocr_det, ppocr_cls, ppocr_rec; silero_vad), KServe v2 / Triton HTTP:
  http://127.0.0.1:$http/v2                     server metadata
  http://127.0.0.1:$http/v2/models/ppocr_cls    model metadata (also /config, /stats, /ready)
  http://127.0.0.1:$metrics/metrics                Prometheus metrics
Try:
  curl -s http://127.0.0.1:$http/v2/models/ppocr_cls
  curl -s -H 'Content-Type: image/png' --data-binary @$img \\
       http://127.0.0.1:$http/v2/models/ppocr_cls/classify
  curl -s -H 'Content-Type: image/png' --data-binary @$img \\
       http://127.0.0.1:$http/v2/models/ocr/ocr
Stop it with Ctrl-C (or: kill -TERM $pid); requests in flight are answered first.
EOF2
    wait "$pid" || true
    wait "$pid" 2>/dev/null || true
fi
