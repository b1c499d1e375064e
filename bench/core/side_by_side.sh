#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs `edgeinfer bench` and the bare ONNX Runtime loop (bench/core/bare_ort) on the same model with
# the same settings, alternating over several rounds in ABBA order (edgeinfer first on odd rounds,
# bare first on even ones) so that a slow drift of the machine hits both alike, then prints each
# round's medians, the median of the per-round medians for each, their ratio edgeinfer/bare, the
# spread of the per-round ratios, and the ratio of the fastest single runs (the number least
# disturbed by other load on a shared machine). A ratio near 1.00 means `edgeinfer bench` adds nothing
# measurable over ORT itself. Not a tuning tool: both run exactly what you pass.
#
# usage: bench/core/side_by_side.sh [-B BUILD_DIR] [-r ROUNDS] MODEL [bench options...]
#   bench options are those both programs take: --batch N --threads N --iterations N | --duration S
#   --warmup N --dim NAME=N --zeros --seed N
# example:
#   bench/core/side_by_side.sh -r 6 .deps/models/torch/resnet50.onnx --threads 2 --iterations 50
set -eu

build=build
rounds=5
while [ $# -gt 0 ]; do
    case "$1" in
    -B) build=$2; shift 2 ;;
    -r) rounds=$2; shift 2 ;;
    -h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "side_by_side: missing MODEL (see --help)" >&2; exit 2; }
case "$rounds" in '' | *[!0-9]*) echo "side_by_side: -r: expected a count, got '$rounds'" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] || { echo "side_by_side: -r: expected at least 1" >&2; exit 2; }
model=$1
shift
ei=$build/cli/edgeinfer
bare=$build/bench/core/bare_ort
for b in "$ei" "$bare"; do
    [ -x "$b" ] || { echo "side_by_side: $b not built (cmake --build $build)" >&2; exit 1; }
done
[ -f "$model" ] || { echo "side_by_side: $model: no such file" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# "MEDIAN MIN" from the report's "latency (ms):" line (both programs print the same report).
median_of() {
    awk '/^latency \(ms\):/ {
        for (i = 1; i < NF; i++) { if ($i == "median") m = $(i + 1); if ($i == "min") l = $(i + 1) }
        print m, l }' "$1"
}
run() { # run NAME ROUND ARGS...
    name=$1
    round=$2
    shift 2
    if [ "$name" = edgeinfer ]; then
        "$ei" bench "$model" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    else
        "$bare" "$model" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    fi
    m=$(median_of "$tmp/out")
    [ -n "$m" ] || { echo "side_by_side: no median in the $name output:" >&2; cat "$tmp/out" >&2; exit 1; }
    echo "$round $m" >>"$tmp/$name"
    if [ "$round" = 1 ]; then
        cp "$tmp/out" "$tmp/$name.first"
    fi
}

echo "model: $model"
echo "settings: $*"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=1
while [ "$i" -le "$rounds" ]; do
    if [ $((i % 2)) -eq 1 ]; then
        run edgeinfer "$i" "$@"
        run bare "$i" "$@"
    else
        run bare "$i" "$@"
        run edgeinfer "$i" "$@"
    fi
    i=$((i + 1))
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "first round, edgeinfer bench:"
sed 's/^/  /' "$tmp/edgeinfer.first"
echo "first round, bare ORT:"
sed 's/^/  /' "$tmp/bare.first"
echo
# Both files list the rounds in order: "ROUND MEDIAN MIN" per line.
paste -d' ' "$tmp/edgeinfer" "$tmp/bare" | awk '
function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    n++; e[n] = $2; b[n] = $5; r[n] = $2 / $5
    printf "round %d: edgeinfer median %.5g ms, bare median %.5g ms, ratio %.3f\n", $1, $2, $5, $2 / $5
    if (n == 1 || $2 < emin) emin = $2; if (n == 1 || $2 > emax) emax = $2
    if (n == 1 || $5 < bmin) bmin = $5; if (n == 1 || $5 > bmax) bmax = $5
    if (n == 1 || $2 / $5 < rmin) rmin = $2 / $5; if (n == 1 || $2 / $5 > rmax) rmax = $2 / $5
    if (n == 1 || $3 < elow) elow = $3; if (n == 1 || $6 < blow) blow = $6
}
END {
    em = median(e, n); bm = median(b, n); rm = median(r, n)
    printf "\nedgeinfer bench: median of %d medians %.5g ms (range %.5g .. %.5g)\n", n, em, emin, emax
    printf "bare ORT:        median of %d medians %.5g ms (range %.5g .. %.5g)\n", n, bm, bmin, bmax
    printf "ratio edgeinfer/bare: %.3f (of the medians); per-round ratios median %.3f, range %.3f .. %.3f\n", em / bm, rm, rmin, rmax
    # The fastest single run is the least disturbed by other load on the machine.
    printf "fastest run: edgeinfer %.5g ms, bare %.5g ms, ratio %.3f\n", elow, blow, elow / blow
}'
