#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates tests/conformance/skip.txt from a real run of the ONNX backend test data.
#
#   tests/conformance/make_skip_list.sh [path/to/edgeinfer]
#
# Every case that does not pass is written with its reason. Reasons already in skip.txt (reviewed
# by hand) are kept; cases that now pass drop out; new failures are written as
# 'UNREVIEWED: <observed reason>' and this script exits 1 until each one is reviewed: find why it
# fails, fix it if the bug is ours (our .pb parsing or comparison), otherwise replace UNREVIEWED
# with the category (ORT kernel missing, ORT op missing, ORT unsupported attribute, ORT numerics,
# ORT formatting, random by design, test data, environment; see docs/CONFORMANCE.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/cli/edgeinfer}
data=${EI_ONNX_TESTDATA:-/usr/include/onnx/backend/test/data}
list=$here/skip.txt
new=$(mktemp)
trap 'rm -f "$new"' EXIT

# The `real` folder holds only download pointers (data.json): nothing to run offline.
"$bin" conformance "$data/node" "$data/pytorch-converted" "$data/pytorch-operator" \
    "$data/simple" --skip-list "$list" --write-skip-list "$new" >/dev/null || true
if cmp -s "$list" "$new"; then
    echo "skip list unchanged ($(grep -vc '^#' "$list") entries)"
    exit 0
fi
diff -u "$list" "$new" || true
cp "$new" "$list"
n=$(grep -c '  UNREVIEWED: ' "$list" || true)
echo "skip list updated: $(grep -vc '^#' "$list") entries, $n to review"
[ "$n" -eq 0 ]
