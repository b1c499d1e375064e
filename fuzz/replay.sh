#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# replay.sh REPLAY_BINARY CORPUS.tar.gz: unpack a checked-in corpus into a scratch folder and feed
# every input to the target once (the ctest tests fuzz_replay_*).
set -euo pipefail
bin=$1 corpus=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$corpus" -C "$tmp"
"$bin" "$tmp"
