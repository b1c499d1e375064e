#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# /ocr throughput with 1 and 8 concurrent clients on `edgeinfer serve` with the bundled repository
# (scripts/make_default_repo.sh: the pipeline model "ocr" over ppocr_det, ppocr_cls, ppocr_rec),
# on the rendered pages of tests/ocr/pages.py; client counts alternate window by window
# (bench/ocr/server.py). Prints the Markdown table of docs/BENCHMARKS.md part 7.
#
#   bench/ocr/server.sh   (PAGES=5 SECONDS_PER_WINDOW=20 ROUNDS=3 CLIENTS=1,8 BUILD=build
#                          REPO=<a fresh copy of the bundled repository>)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pages=${PAGES:-5}
secs=${SECONDS_PER_WINDOW:-20}
rounds=${ROUNDS:-3}
clients=${CLIENTS:-1,8}
build=${BUILD:-$top/build}
py=/usr/bin/python3
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

repo=${REPO:-}
if [ -z "$repo" ]; then
    repo="$work/repo"
    "$top/scripts/make_default_repo.sh" "$repo" >/dev/null
fi
"$py" "$top/tests/ocr/pages.py" "$work/pages" --count "$pages"
files=()
for i in $(seq 0 $((pages - 1))); do files+=("$work/pages/$(printf 'page_%02d.png' "$i")"); done

"$build/cli/edgeinfer" serve --model-repository "$repo" --http-port 0 --metrics-port 0 \
    --grpc-port -1 --no-ui --port-file "$work/ports" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    grep -qs "^http=" "$work/ports" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.2
done
port=$(sed -n 's/^http=//p' "$work/ports")
load0=$(cut -d' ' -f1-3 /proc/loadavg)
"$py" "$top/bench/ocr/server.py" --port "$port" --clients "$clients" --seconds "$secs" \
    --rounds "$rounds" --pid "$pid" "${files[@]}"
echo
echo "load average $load0 -> $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $secs s windows"
