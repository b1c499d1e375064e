#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make install` into a temporary prefix, then build examples/hello.c against the installed copy
# three ways (pkg-config shared, pkg-config --static, CMake find_package) and run each on a model.
# The installed binaries must find libonnxruntime without LD_LIBRARY_PATH.
set -euo pipefail
build=${EI_BUILD_DIR:?}
src=${EI_SOURCE_DIR:?}
model="$src/tests/data/core/add.onnx"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
unset LD_LIBRARY_PATH
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"

# The installed CLI runs.
# (Output is captured before grep throughout: under pipefail, `cmd | grep -q` fails at random when
# grep's early exit kills cmd with SIGPIPE.)
grep -q '^edgeinfer ' <<<"$("$prefix/bin/edgeinfer" --version)" || { echo "installed edgeinfer does not run"; exit 1; }

# pkg-config, shared.
cc -std=c11 -Wall -Wextra -Werror "$src/examples/hello.c" $(pkg-config --cflags --libs edgeinfer) -o "$tmp/hello"
"$tmp/hello" "$model" | tee "$tmp/out1"
grep -q '^output y float32 \[1,3\] first=0' "$tmp/out1"

# pkg-config, static.
cc -std=c11 "$src/examples/hello.c" $(pkg-config --cflags edgeinfer) "$prefix/lib/libedgeinfer.a" \
    $(pkg-config --static --libs-only-other --libs-only-L edgeinfer) \
    -lonnxruntime -lprotobuf-c -ljpeg -lspng -lwebp -lmicrohttpd -ljansson -lz -lsodium -lgnutls -lpthread -lm \
    -Wl,-rpath,"$prefix/lib" -o "$tmp/hello_static"
grep -q '^output y float32' <<<"$("$tmp/hello_static" "$model")"
if grep -q libedgeinfer <<<"$(ldd "$tmp/hello_static")"; then echo "hello_static links libedgeinfer.so"; exit 1; fi

# CMake find_package.
cmake -S "$src/examples" -B "$tmp/ex" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/ex" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
grep -q '^output y float32' <<<"$("$tmp/ex/hello" "$model")"
grep -q '^output y float32' <<<"$("$tmp/ex/hello_static" "$model")"

# A bad path through the installed library still gets a clear error.
if "$tmp/hello" /nonexistent.onnx 2>"$tmp/err"; then echo "expected failure"; exit 1; fi
grep -q 'EI_ENOENT' "$tmp/err"
echo "install: ok"
