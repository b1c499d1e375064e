#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every tracked C file is formatted as .clang-format says (`make format` fixes it).
set -u
src=${EI_SOURCE_DIR:?}
command -v clang-format >/dev/null 2>&1 || { echo "clang-format not installed; skipping"; exit 77; }
cd "$src" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null) || { echo "not a git checkout; skipping"; exit 77; }
bad=0
for f in $files; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "needs formatting: $f"
        bad=1
    fi
done
[ $bad = 0 ] && echo "format: $(echo "$files" | wc -l) files ok"
exit $bad
