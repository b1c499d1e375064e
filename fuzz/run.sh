#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh [SECONDS] [TARGET...]: build the libFuzzer targets with clang + ASan/UBSan in build-fuzz/
# and fuzz each for SECONDS (default 60), starting from its checked-in corpus. New coverage goes to
# build-fuzz/corpus/<target>/; a crash, leak or timeout stops that target and leaves its input as
# build-fuzz/artifacts/<target>/crash-* (or leak-*, timeout-*), and the script exits 1.
# To keep an input as a regression test, add it to fuzz/corpus/<target>.tar.gz (see README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
secs=${1:-60}
shift || true
targets=${*:-fuzz_tensor_files fuzz_image fuzz_server fuzz_model_crypto fuzz_ocr}
out=${FUZZ_BUILD:-$top/build-fuzz}

command -v clang >/dev/null || { echo "fuzz: needs clang (apt-get install clang)"; exit 1; }
cmake -S "$top" -B "$out" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DEI_FUZZ=ON \
    -DEI_BUILD_TESTS=OFF -DEI_SANITIZE=address,undefined >/dev/null
cmake --build "$out" --target fuzz_targets -j"$(nproc)"

status=0
for t in $targets; do
    corpus="$out/corpus/$t" artifacts="$out/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    tar -xzf "$here/corpus/$t.tar.gz" -C "$corpus" # the checked-in inputs, plus what earlier runs found
    echo "== $t: ${secs}s from $(ls "$corpus" | wc -l) inputs"
    if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$out/fuzz/$t" -max_total_time="$secs" \
        -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$corpus" 2>"$out/$t.log"; then
        status=1
        grep -E 'ERROR|SUMMARY|Test unit written' "$out/$t.log" || tail -n 20 "$out/$t.log"
    fi
    grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$out/$t.log" || true
done
exit $status
