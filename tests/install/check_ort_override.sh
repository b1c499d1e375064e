#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The two ways to use your own ONNX Runtime instead of the npm copy: ONNXRUNTIME_ROOT (the official
# release tarball layout, headers under include/) and a libonnxruntime pkg-config entry (headers
# under include/onnxruntime/, as distributions install them). For each, configure a fresh build
# tree and build the bare ORT benchmark (it includes onnxruntime_c_api.h and links libonnxruntime),
# then check which ONNX Runtime CMake picked and that the binary resolves it through its rpath.
set -euo pipefail
src=${EI_SOURCE_DIR:?}
ort="$src/.deps/onnxruntime"
[ -f "$ort/include/onnxruntime_c_api.h" ] || { echo "no .deps/onnxruntime to copy; skipping"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset LD_LIBRARY_PATH ONNXRUNTIME_ROOT EI_ORT_FROM_PKGCONFIG

# 1. An official-release-style tree somewhere else.
mkdir -p "$tmp/ort-release"
cp -a "$ort/include" "$ort/lib" "$tmp/ort-release/"
ONNXRUNTIME_ROOT="$tmp/ort-release" cmake -S "$src" -B "$tmp/b1" -DEI_BUILD_TESTS=OFF >"$tmp/c1.log" 2>&1 ||
    { cat "$tmp/c1.log"; exit 1; }
grep -q "ONNX Runtime: $tmp/ort-release" "$tmp/c1.log" || { echo "ONNXRUNTIME_ROOT was not used"; cat "$tmp/c1.log"; exit 1; }
cmake --build "$tmp/b1" --target bare_ort >"$tmp/b1.log" 2>&1 || { cat "$tmp/b1.log"; exit 1; }
# (capture first: with pipefail, `ldd | grep -q` fails whenever grep's early exit kills ldd by SIGPIPE)
deps=$(ldd "$tmp/b1/bench/core/bare_ort")
grep -q "libonnxruntime.so.1 => $tmp/ort-release/lib/" <<<"$deps" ||
    { echo "bare_ort does not resolve the ONNXRUNTIME_ROOT library"; ldd "$tmp/b1/bench/core/bare_ort"; exit 1; }

# 2. A pkg-config entry, distribution layout.
mkdir -p "$tmp/ort-pc/include/onnxruntime" "$tmp/ort-pc/lib/pkgconfig"
cp -a "$ort/include/." "$tmp/ort-pc/include/onnxruntime/"
cp -a "$ort/lib/." "$tmp/ort-pc/lib/"
cat >"$tmp/ort-pc/lib/pkgconfig/libonnxruntime.pc" <<PC
prefix=$tmp/ort-pc
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: onnxruntime
Description: ONNX Runtime
Version: 1.29.0
Libs: -L\${libdir} -lonnxruntime
Cflags: -I\${includedir}
PC
PKG_CONFIG_PATH="$tmp/ort-pc/lib/pkgconfig" EI_ORT_FROM_PKGCONFIG=1 \
    cmake -S "$src" -B "$tmp/b2" -DEI_BUILD_TESTS=OFF >"$tmp/c2.log" 2>&1 || { cat "$tmp/c2.log"; exit 1; }
grep -q "ONNX Runtime:  (lib dir $tmp/ort-pc/lib)" "$tmp/c2.log" || { echo "pkg-config was not used"; cat "$tmp/c2.log"; exit 1; }
cmake --build "$tmp/b2" --target bare_ort >"$tmp/b2.log" 2>&1 || { cat "$tmp/b2.log"; exit 1; }
"$tmp/b2/bench/core/bare_ort" --help >/dev/null 2>&1 || true
deps=$(ldd "$tmp/b2/bench/core/bare_ort")
grep -q "libonnxruntime.so.1 => $tmp/ort-pc/lib/" <<<"$deps" ||
    { echo "bare_ort does not resolve the pkg-config library"; ldd "$tmp/b2/bench/core/bare_ort"; exit 1; }
echo "ort override: ok"
