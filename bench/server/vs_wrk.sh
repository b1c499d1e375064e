#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `edgeinfer bench --url` side by side with a reference load generator on the same setting
# (docs/BENCHMARKS.md, part 3): one `edgeinfer serve` on the bundled repository (plus ResNet-50 when
# scripts/export_models.py has exported it), and rows of model x endpoint x connections:
#   binary   POST /infer, Triton's binary tensor extension   reference: wrk (post.lua)
#   json     POST /infer, JSON `data` array                   reference: wrk (post.lua)
#   classify POST /classify, a JPEG                           reference: wrk (post.lua)
#   grpc     ModelInfer, raw_input_contents (--protocol grpc) reference: ei_bench_grpc_load
#                                                                        (bench/server/grpc_load.c)
# with 1, 8 and 32 connections / requests in flight (closed loops both), on the same request bytes
# (make_bodies.py). Paired and interleaved: first one discarded warm-up run of each tool per row,
# then ROUNDS rounds, each round visiting every row once (so a burst of load from elsewhere hits
# one round of many rows, not every round of one), the two tools back to back within a row and
# their order swapped every round. Each run lasts SECONDS. Prints every run, then per row the
# medians (and min-max) of both tools' req/s, p50 and p99, the errors, and the median and min-max
# of the per-round ratio bench/reference; last the median of all ratios.
# Usage: bench/server/vs_wrk.sh [BUILD_DIR] [SECONDS] [ROUNDS]   (needs wrk: scripts/setup.sh full)
#        EPS="binary grpc" CONNS="8" MODELS=ppocr_cls bench/server/vs_wrk.sh ...   (a subset of
#                             the rows)
#        WRK_THREADS=1 ...   (wrk on one thread, as bench --url: on a busy machine a client's share
#                             of the CPU grows with its thread count)
#        WARMUP=0 ...        (no warm-up runs; default 1 s each)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
secs=${2:-5}
rounds=${3:-5}
warm=${WARMUP:-1}
ei="$top/$build/cli/edgeinfer"
grpc_load="$top/$build/bench/server/ei_bench_grpc_load"
models="$top/.deps/models"
photo=${EI_BENCH_PHOTO:-$(ls "$top"/.deps/bench-image/photos/chelsea.jpg 2>/dev/null || true)}
[ -n "$photo" ] || photo="$top/examples/images/line.jpg"
eps=${EPS:-binary json classify grpc}
command -v wrk >/dev/null || { echo "vs_wrk: wrk is missing (scripts/setup.sh full)" >&2; exit 1; }
[ -x "$ei" ] || { echo "vs_wrk: build first ($ei)" >&2; exit 1; }
if [[ " $eps " == *" grpc "* && ! -x "$grpc_load" ]]; then
    echo "vs_wrk: no $grpc_load (a build with EI_GRPC=ON): the grpc rows are left out" >&2
    eps=${eps//grpc/}
fi
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
list=${MODELS:-$list}
/usr/bin/python3 "$top/bench/server/make_bodies.py" "$work"
# The JSON bodies without the spaces Python puts after ',' and ':', as bench --url writes them.
for m in $list; do
    /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[1], "w"), separators=(",", ":"))' "$work/$m.json"
done

"$ei" serve --model-repository "$work/repo" --http-port 0 --grpc-port 0 --metrics-port -1 \
    --port-file "$work/ports" >/dev/null 2>"$work/server.err" &
pid=$!
while [ ! -s "$work/ports" ]; do
    kill -0 $pid 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
    sleep 0.05
done
url="http://127.0.0.1:$(sed -n 's/^http=//p' "$work/ports")"
grpc_target="127.0.0.1:$(sed -n 's/^grpc=//p' "$work/ports")"
# The models load after the ports are bound: wait until the server says it is ready.
until curl -sf -o /dev/null "$url/v2/health/ready"; do
    kill -0 $pid 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
    sleep 0.1
done

tom() { echo "$1" | awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) v += 0; else if ($1 ~ /s$/) v *= 1000; printf "%.2f", v }'; }
run_ref() { # model endpoint conns seconds -> "rps p50 p99 errors"
    if [ "$2" = grpc ]; then
        "$grpc_load" "$grpc_target" /inference.GRPCInferenceService/ModelInfer "$work/$1.pb" "$3" "$4" |
            /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f %.2f %.2f %d" % (d["requests_per_s"], d["p50_ms"], d["p99_ms"], d["errors"]))'
        return
    fi
    local body ctype hlen= path
    case $2 in
        binary) body="$work/$1.bin"; ctype=application/octet-stream; hlen=$(cat "$work/$1.bin.hlen"); path=infer ;;
        json) body="$work/$1.json"; ctype=application/json; path=infer ;;
        classify) body=$photo; ctype=image/jpeg; path=classify ;;
    esac
    local out
    out=$(EI_BODY=$body EI_CTYPE=$ctype EI_HLEN=$hlen wrk -t "${WRK_THREADS:-$(($3 < 2 ? 1 : 2))}" -c "$3" -d "${4}s" \
        --timeout 30s --latency -s "$top/bench/server/post.lua" "$url/v2/models/$1/$path")
    echo "$(echo "$out" | awk '/Requests\/sec/ { print $2 }') $(tom "$(echo "$out" | awk '$1 == "50%" { print $2 }')")" \
        "$(tom "$(echo "$out" | awk '$1 == "99%" { print $2 }')") $(echo "$out" | awk '/Non-2xx/ { print $NF }' | grep . || echo 0)"
}
run_bench() { # model endpoint conns seconds -> "rps p50 p99 errors"
    local args inp=x target=$url
    [ "$1" = resnet50 ] && inp=input
    case $2 in
        binary) args=(-i "$inp=$work/$1.npy" --format binary) ;;
        json) args=(-i "$inp=$work/$1.npy" --format json) ;;
        classify) args=(--image "$photo") ;;
        grpc) args=(-i "$inp=$work/$1.npy" --protocol grpc); target="grpc://$grpc_target" ;;
    esac
    "$ei" bench --url "$target" --model "$1" "${args[@]}" --concurrency "$3" --duration "$4" \
        --warmup 0 --max-windows 1 --quiet --csv 2>"$work/bench.err" |
        awk -F, 'NR == 2 { printf "%.2f %.2f %.2f %d\n", $4, $5, $8, $12 }' || cat "$work/bench.err" >&2
}

rows=()
for m in $list; do
    for ep in $eps; do
        for c in ${CONNS:-1 8 32}; do
            rows+=("$m $ep $c")
        done
    done
done
ref_name() { [ "$1" = grpc ] && echo grpc_load || echo wrk; }

echo "server: $url, gRPC $grpc_target; ${secs} s per run, $rounds rounds, warm-up ${warm} s; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$warm" != 0 ]; then
    for row in "${rows[@]}"; do
        set -- $row
        run_ref "$1" "$2" "$3" "$warm" >/dev/null || true
        run_bench "$1" "$2" "$3" "$warm" >/dev/null 2>&1 || true
    done
fi
printf '%-9s %-8s %5s %5s %-9s | %10s %8s %8s %4s | %10s %8s %8s %4s | %6s\n' model endpoint conns round ref \
    "ref req/s" "p50 ms" "p99 ms" err "bench req/s" "p50 ms" "p99 ms" err ratio
for r in $(seq "$rounds"); do
    for row in "${rows[@]}"; do
        set -- $row
        if [ $((r % 2)) = 1 ]; then
            w=$(run_ref "$1" "$2" "$3" "$secs"); b=$(run_bench "$1" "$2" "$3" "$secs")
        else
            b=$(run_bench "$1" "$2" "$3" "$secs"); w=$(run_ref "$1" "$2" "$3" "$secs")
        fi
        ref=$(ref_name "$2")
        set -- $row $w $b
        printf '%-9s %-8s %5d %5d %-9s | %10.2f %8.2f %8.2f %4d | %10.2f %8.2f %8.2f %4d | %6.3f\n' \
            "$1" "$2" "$3" "$r" "$ref" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}" \
            "$(awk -v a="$8" -v b="$4" 'BEGIN { print (b > 0 ? a / b : 0) }')" | tee -a "$work/rows"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Per row: medians (min-max) over the rounds. Columns of a run line: 1 model 2 endpoint 3 conns
# 4 round 5 ref 6 "|" 7-10 ref rps p50 p99 err 11 "|" 12-15 bench rps p50 p99 err 16 "|" 17 ratio.
echo
echo "per row, median (min-max) over $rounds rounds; errors summed; ratio = bench req/s / ref req/s:"
printf '| model | endpoint | conns | ref | ref req/s | bench req/s | p50 ms ref / bench | p99 ms ref / bench | errors ref / bench | ratio |\n'
printf '|---|---|---:|---|---:|---:|---:|---:|---:|---|\n'
for row in "${rows[@]}"; do
    set -- $row
    awk -v m="$1" -v ep="$2" -v c="$3" '
        function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }
        function med(a, n) { return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        $1 == m && $2 == ep && $3 == c {
            n++; ref = $5; rr[n] = $7; rp50[n] = $8; rp99[n] = $9; re += $10
            br[n] = $12; bp50[n] = $13; bp99[n] = $14; be += $15; q[n] = $17
        }
        END {
            if (n == 0) exit
            sort(rr, n); sort(br, n); sort(rp50, n); sort(bp50, n); sort(rp99, n); sort(bp99, n); sort(q, n)
            printf "| %s | %s | %d | %s | %.1f (%.1f-%.1f) | %.1f (%.1f-%.1f) | %.2f / %.2f | %.2f / %.2f | %d / %d | **%.3f** (%.3f-%.3f) |\n",
                m, ep, c, ref, med(rr, n), rr[1], rr[n], med(br, n), br[1], br[n], med(rp50, n), med(bp50, n),
                med(rp99, n), med(bp99, n), re, be, med(q, n), q[1], q[n]
        }' "$work/rows"
done
awk '{ print $NF }' "$work/rows" | sort -g | awk '{ v[NR] = $1 } END { printf "\nall ratios: median %.3f, min %.3f, max %.3f (%d runs)\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR], NR }'
