#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The custom-op library through the CLI (run, bench, info, conformance's option parsing), and
# errors in our words: a model whose op needs a library, a missing library, a library without
# RegisterCustomOps, a kernel that refuses the model, an empty model in every loading command, and
# silero without --dim. Each error is printed once, carries its [EI_CODE] and no ONNX Runtime
# source path or C++ signature.
set -u
ei=${EI_BIN:?}
py=${EI_PYTHON:-/usr/bin/python3}
lib=${EI_BUILD_DIR:?}/tests/libei_test_ops.so
broken=${EI_BUILD_DIR}/tests/libei_test_ops_broken.so
src=${EI_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
"$py" "$src/tests/customop/make_model.py" "$tmp" || { echo "FAIL make_model.py (python3-onnx?)"; exit 1; }
m=$tmp/scale_shift.onnx

# Runs "$@", keeps stderr in $err and the exit code in $rc.
run() { err=$("$@" 2>&1 >"$tmp/stdout"); rc=$?; }
# An error run: exit 1, exactly one error line, ending in [EI_...], containing $1, no ORT source.
expect_error() { # what, substring, command...
    local what=$1 want=$2
    shift 2
    run "$@"
    local lines
    lines=$(printf '%s\n' "$err" | grep -c 'error:')
    if [ "$rc" != 1 ]; then bad "$what: exit $rc, want 1 ($err)"; return; fi
    if [ "$lines" != 1 ]; then bad "$what: $lines error lines, want 1: $err"; return; fi
    case "$err" in *"$want"*) ;; *) bad "$what: no '$want' in: $err"; return ;; esac
    if ! printf '%s\n' "$err" | grep 'error:' | grep -Eq '\[EI_[A-Z]+\]$'; then
        bad "$what: the error line has no [EI_CODE]: $err"; return
    fi
    case "$err" in *onnxruntime_src*|*"onnxruntime::"*) bad "$what: ORT internals in: $err"; return ;; esac
    ok "$what"
}

expect_error "run without the library" "--custom-op-library" "$ei" run "$m" --random
expect_error "missing library" "nope.so: No such file or directory [EI_ENOENT]" \
    "$ei" run "$m" --random --custom-op-library "$tmp/nope.so"
expect_error "library without RegisterCustomOps" "RegisterCustomOps" \
    "$ei" run "$m" --random --custom-op-library "$broken"
expect_error "not a library" "could not be loaded" \
    "$ei" run "$m" --random --custom-op-library "$tmp/xf.npy"
expect_error "kernel refuses the model" "ScaleShift needs the int attribute 'scale'" \
    "$ei" run "$tmp/no_scale.onnx" --random --custom-op-library "$lib"
expect_error "bench without the library" "--custom-op-library" "$ei" bench "$m" --iterations 2

run "$ei" run "$m" -i xf="$tmp/xf.npy" -i xi="$tmp/xi.npy" --custom-op-library "$lib" -o "$tmp/out"
if [ "$rc" = 0 ] && "$py" - "$tmp" <<'PY'
import sys, numpy as np
d = sys.argv[1]
for n in ("yf", "yi"):
    got, want = np.load(f"{d}/out/{n}.npy"), np.load(f"{d}/{n}.npy")
    assert got.dtype == want.dtype and (got == want).all(), (n, got, want)
PY
then ok "run with the library: outputs equal numpy's"; else bad "run with the library ($rc): $err"; fi
run "$ei" bench "$m" --custom-op-library "$lib" --iterations 5 --dim N=64
[ "$rc" = 0 ] && ok "bench with the library" || bad "bench with the library ($rc): $err"
run "$ei" info "$m" --custom-op-library "$lib"
[ "$rc" = 0 ] && grep -q 'ei.test:ScaleShift' "$tmp/stdout" && ok "info with the library" ||
    bad "info with the library ($rc): $err"
run "$ei" conformance "$tmp/none" --custom-op-library
[ "$rc" = 2 ] && ok "conformance --custom-op-library needs a value" || bad "conformance usage ($rc)"

# Errors in our words for an empty model, in every command that loads one.
: >"$tmp/empty.onnx"
expect_error "run: empty model" "empty file, not an ONNX model" "$ei" run "$tmp/empty.onnx" --random
expect_error "bench: empty model" "empty file, not an ONNX model" "$ei" bench "$tmp/empty.onnx"
expect_error "info: empty model" "empty file, not an ONNX model" "$ei" info "$tmp/empty.onnx"
expect_error "classify: empty model" "empty file, not an ONNX model" \
    "$ei" classify --model "$tmp/empty.onnx" "$src/examples/images/line.jpg"
head -c 100 "$m" >"$tmp/trunc.onnx"
expect_error "bench: truncated model" "not an ONNX model" "$ei" bench "$tmp/trunc.onnx"
# A model that fails inside a kernel: one error line, ORT's node chain in our words.
if [ -f "${EI_MODELS:-}/vad/silero_vad.onnx" ]; then
    expect_error "silero without --dim" "node 'If_25' (If): node 'Pad_537' (Pad):" \
        "$ei" run "$EI_MODELS/vad/silero_vad.onnx" --random
fi
# Errors the CLI raises itself (not the library) carry a code too.
expect_error "run: unknown --output" "[EI_ENOTFOUND]" "$ei" run "$m" --random --output nope \
    --custom-op-library "$lib"
: >"$tmp/afile"
expect_error "run: -o onto a file" "exists and is not a directory [EI_EINVAL]" \
    "$ei" run "$m" --random --custom-op-library "$lib" -o "$tmp/afile"
expect_error "conformance: no cases" "[EI_ENOTFOUND]" "$ei" conformance "$tmp"
[ $fail = 0 ] && echo "custom ops and errors: all ok"
exit $fail
