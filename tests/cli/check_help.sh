#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every command listed by `edgeinfer help` answers --help with a usage text and exit 0; unknown
# commands and unknown options are usage errors (exit 2); --version names both versions.
set -u
ei=${EI_BIN:?}
fail=0
check() { # what, expected rc, actual rc
    if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, want $2"; fail=1; else echo "ok   $1"; fi
}
cmds=$("$ei" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | grep -v '^help$')
[ -n "$cmds" ] || { echo "FAIL: edgeinfer help lists no commands"; exit 1; }
for c in $cmds; do
    out=$("$ei" "$c" --help 2>&1); rc=$?
    check "$c --help" 0 $rc
    echo "$out" | grep -qi "usage: edgeinfer $c" || { echo "FAIL $c --help has no usage line"; fail=1; }
    "$ei" help "$c" >/dev/null 2>&1; check "help $c" 0 $?
    "$ei" "$c" --no-such-option >/dev/null 2>&1; check "$c --no-such-option" 2 $?
done
"$ei" >/dev/null 2>&1; check "no command" 2 $?
err=$("$ei" frobnicate 2>&1); check "unknown command" 2 $?
echo "$err" | grep -q "unknown command 'frobnicate'" || { echo "FAIL unknown command message: $err"; fail=1; }
v=$("$ei" --version); check "--version" 0 $?
echo "$v" | grep -q '^edgeinfer [0-9]' && echo "$v" | grep -q '^onnxruntime 1\.' && echo "$v" | grep -q '^providers:.*cpu' ||
    { echo "FAIL --version output: $v"; fail=1; }
[ $fail = 0 ] && echo "cli help: all ok"
exit $fail
