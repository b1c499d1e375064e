#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `edgeinfer bench --url` side by side with wrk on the same setting (docs/BENCHMARKS.md, part 3):
# one `edgeinfer serve` on the bundled repository (plus ResNet-50 when scripts/export_models.py has
# exported it), and for each model, endpoint (binary /infer, JSON /infer, /classify with a JPEG) and
# connection count (1, 8, 32), ROUNDS rounds that run wrk and then bench --url (the order swapped
# every round) for SECONDS each on the same body: wrk with N connections, bench with
# --concurrency N (both closed loops). Prints req/s, p50 and p99 of both and their ratio.
# Usage: bench/server/vs_wrk.sh [BUILD_DIR] [SECONDS] [ROUNDS]   (needs wrk: scripts/setup.sh full)
#        EPS="binary" CONNS="8" bench/server/vs_wrk.sh ...   (a subset of the rows)
#        WRK_THREADS=1 ...   (wrk on one thread, as bench --url: on a busy machine a client's share
#                             of the CPU grows with its thread count)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
secs=${2:-5}
rounds=${3:-2}
ei="$top/$build/cli/edgeinfer"
models="$top/.deps/models"
photo=${EI_BENCH_PHOTO:-$(ls "$top"/.deps/bench-image/photos/chelsea.jpg 2>/dev/null || true)}
[ -n "$photo" ] || photo="$top/examples/images/line.jpg"
command -v wrk >/dev/null || { echo "vs_wrk: wrk is missing (scripts/setup.sh full)" >&2; exit 1; }
[ -x "$ei" ] || { echo "vs_wrk: build first ($ei)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill -TERM ${pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

"$top/scripts/make_default_repo.sh" "$work/repo" >/dev/null
rm -rf "$work/repo/ppocr_rec" "$work/repo/silero_vad"
list="ppocr_cls"
if [ -f "$models/torch/resnet50.onnx" ]; then
    mkdir -p "$work/repo/resnet50/1"
    ln -s "$models/torch/resnet50.onnx" "$work/repo/resnet50/1/model.onnx"
    cat >"$work/repo/resnet50/config.pbtxt" <<'PBTXT'
name: "resnet50"
platform: "onnxruntime_onnx"
max_batch_size: 8
dynamic_batching { max_queue_delay_microseconds: 2000 }
parameters { key: "image_preset" value: { string_value: "imagenet" } }
PBTXT
    list="$list resnet50"
fi
/usr/bin/python3 "$top/bench/server/make_bodies.py" "$work"
# The JSON bodies without the spaces Python puts after ',' and ':', as bench --url writes them.
for m in $list; do
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[1], "w"), separators=(",", ":"))' "$work/$m.json"
done

"$ei" serve --model-repository "$work/repo" --http-port 0 --metrics-port -1 --port-file "$work/ports" \
    >/dev/null 2>"$work/server.err" &
pid=$!
while [ ! -s "$work/ports" ]; do
    kill -0 $pid 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
    sleep 0.05
done
url="http://127.0.0.1:$(sed -n 's/^http=//p' "$work/ports")"

tom() { echo "$1" | awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) v += 0; else if ($1 ~ /s$/) v *= 1000; printf "%.2f", v }'; }
run_wrk() { # model endpoint conns -> "rps p50 p99 errors"
    local body ctype hlen=
    case $2 in
        binary) body="$work/$1.bin"; ctype=application/octet-stream; hlen=$(cat "$work/$1.bin.hlen"); path=infer ;;
        json) body="$work/$1.json"; ctype=application/json; path=infer ;;
        classify) body=$photo; ctype=image/jpeg; path=classify ;;
    esac
    local out
    out=$(EI_BODY=$body EI_CTYPE=$ctype EI_HLEN=$hlen wrk -t "${WRK_THREADS:-$(($3 < 2 ? 1 : 2))}" -c "$3" -d "${secs}s" \
        --timeout 30s --latency -s "$top/bench/server/post.lua" "$url/v2/models/$1/$path")
    echo "$(echo "$out" | awk '/Requests\/sec/ { print $2 }') $(tom "$(echo "$out" | awk '$1 == "50%" { print $2 }')")" \
        "$(tom "$(echo "$out" | awk '$1 == "99%" { print $2 }')") $(echo "$out" | awk '/Non-2xx/ { print $NF }' | grep . || echo 0)"
}
run_bench() { # model endpoint conns -> "rps p50 p99 errors"
    local args inp=x
    [ "$1" = resnet50 ] && inp=input
    case $2 in
        binary) args=(-i "$inp=$work/$1.npy" --format binary) ;;
        json) args=(-i "$inp=$work/$1.npy" --format json) ;;
        classify) args=(--image "$photo") ;;
    esac
    "$ei" bench --url "$url" --model "$1" "${args[@]}" --concurrency "$3" --duration "$secs" \
        --warmup 0 --max-windows 1 --quiet --csv |
        awk -F, 'NR == 2 { printf "%.2f %.2f %.2f %d\n", $4, $5, $8, $12 }'
}

printf '%-9s %-8s %5s %5s | %10s %8s %8s %4s | %10s %8s %8s %4s | %6s\n' model endpoint conns round \
    "wrk req/s" "p50 ms" "p99 ms" err "bench req/s" "p50 ms" "p99 ms" err ratio
for m in $list; do
    for ep in ${EPS:-binary json classify}; do
        for c in ${CONNS:-1 8 32}; do
            for r in $(seq "$rounds"); do
                if [ $((r % 2)) = 1 ]; then
                    w=$(run_wrk $m $ep $c); b=$(run_bench $m $ep $c)
                else
                    b=$(run_bench $m $ep $c); w=$(run_wrk $m $ep $c)
                fi
                set -- $w $b
                printf '%-9s %-8s %5d %5d | %10.2f %8.2f %8.2f %4d | %10.2f %8.2f %8.2f %4d | %6.3f\n' \
                    $m $ep $c $r $1 $2 $3 $4 $5 $6 $7 $8 "$(awk -v a="$5" -v b="$1" 'BEGIN { print a / b }')" |
                    tee -a "$work/rows"
            done
        done
    done
done
# Per row: the median of the rounds' ratios (bench req/s / wrk req/s); then the median of all.
echo
echo "median ratio bench/wrk per row, then over all rows and rounds:"
awk '{ k = $1 " " $2 " " $3; r[k] = r[k] " " $NF } END { for (k in r) print k, r[k] }' "$work/rows" | sort |
    while read -r m ep c rest; do
        printf '%-9s %-8s %5s  %s\n' "$m" "$ep" "$c" "$(echo $rest | tr ' ' '\n' | sort -g |
            awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
    done
awk '{ print $NF }' "$work/rows" | sort -g | awk '{ v[NR] = $1 } END { printf "all: %.3f (%d runs)\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, NR }'
