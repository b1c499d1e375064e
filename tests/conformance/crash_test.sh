#!/bin/sh
# SPDX-License-Identifier: MIT
# A case whose process dies of a signal must be reported as that case's failure, and the run must
# go on to its closing line. ONNX Runtime cannot be made to crash on purpose, so this starts a
# case that never ends (loop_slow) and sends its process SIGSEGV, as a crash inside ORT would.
#   crash_test.sh <edgeinfer> <slow case dir> <passing case dir>
set -u
bin=$1

# The process ids whose parent is $1 (what pgrep -P does, without needing procps).
children_of() {
    parent=$1
    for st in /proc/[0-9]*/stat; do
        line=$(cat "$st" 2>/dev/null) || continue
        # "pid (comm) state ppid ...": comm may hold spaces, so cut after the last ')'.
        rest=${line##*) }
        ppid_=$(echo "$rest" | cut -d' ' -f2)
        [ "$ppid_" = "$parent" ] && echo "${line%% *}"
    done
    return 0
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# ASan would turn the SIGSEGV into its own report and exit 1; let the signal kill the process.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0"
export ASAN_OPTIONS
"$bin" conformance "$2" "$3" --jobs 1 --timeout 60 >"$out" 2>&1 &
pid=$!
child=""
i=0
while [ $i -lt 300 ] && [ -z "$child" ]; do
    sleep 0.1
    # The first case (loop_slow) runs alone (--jobs 1): the parent's only child is that case.
    child=$(children_of "$pid")
    i=$((i + 1))
done
if [ -z "$child" ]; then
    kill "$pid" 2>/dev/null
    echo "crash_test: the case process never started"
    exit 1
fi
sleep 0.5
kill -SEGV "$child"
wait "$pid"
rc=$?
cat "$out"
[ "$rc" -eq 1 ] || { echo "crash_test: exit status $rc, expected 1"; exit 1; }
grep -q 'FAIL data/loop_slow: crashed: killed by signal 11 (SIGSEGV)' "$out" ||
    { echo "crash_test: the crash was not reported as the case's failure"; exit 1; }
tail -n 1 "$out" | grep -qx '1 passed, 1 failed, 0 skipped' ||
    { echo "crash_test: the run did not go on to the next case"; exit 1; }
echo "crash_test: ok"
