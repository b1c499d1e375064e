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
# The case's own time limit is far above anything a loaded machine needs to reach the kill below:
# the verdict never depends on how fast the machine is.
"$bin" conformance "$2" "$3" --jobs 1 --timeout 3600 >"$out" 2>&1 &
pid=$!
child=""
# Wait for the case process, however long that takes; stop only if the run itself ended first.
while [ -z "$child" ]; do
    st=$(cat "/proc/$pid/stat" 2>/dev/null) || st=""
    st=${st##*) }
    if [ -z "$st" ] || [ "${st%% *}" = Z ]; then
        wait "$pid"
        cat "$out"
        echo "crash_test: the run ended before its first case process was seen"
        exit 1
    fi
    sleep 0.1
    # The first case (loop_slow) runs alone (--jobs 1): the parent's only child is that case.
    child=$(children_of "$pid")
done
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
