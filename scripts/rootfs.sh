#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds a minimal Debian 12 root filesystem with mmdebstrap, cached as a tar in .deps/rootfs/:
#
#   scripts/rootfs.sh runtime ARCH   -> .deps/rootfs/bookworm-runtime-ARCH.tar (prints the path)
#       The bundle test's target system: glibc, libstdc++, libgcc_s and nothing else of ours, no
#       -dev packages. x86_64: variant essential + libstdc++6. aarch64: the same packages only
#       extracted (variant extract), since their maintainer scripts cannot run without qemu's
#       binfmt registration; the loader and libraries are all that running the bundle needs.
#   scripts/rootfs.sh base [ARCH]    -> .deps/rootfs/bookworm-base-ARCH.tar
#       The container base image: variant essential + libstdc++6 (ONNX Runtime is C++), merged /usr,
#       no docs/man/locales.
#
# Both come from the Debian mirror this machine's apt uses (the first deb.debian.org-style URI in
# its sources), so they need the network once; later runs reuse the cached tar.
set -euo pipefail
kind=${1:?usage: scripts/rootfs.sh runtime|base [x86_64|aarch64]}
arch=${2:-$(uname -m)}
top=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'rootfs: %s\n' "$*" >&2; }
die() { printf 'rootfs: error: %s\n' "$*" >&2; exit 1; }
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (scripts/setup.sh dist)"

case "$arch" in
x86_64 | amd64) arch=x86_64 deb=amd64 ;;
aarch64 | arm64) arch=aarch64 deb=arm64 ;;
*) die "unknown architecture '$arch'" ;;
esac
suite=bookworm
out=$top/.deps/rootfs/$suite-$kind-$arch.tar
if [ -f "$out" ]; then
    printf '%s\n' "$out"
    exit 0
fi

# The mirror apt already uses (deb822 .sources or a one-line sources.list), else Debian's default.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror=$(awk '/^URIs:/ && /debian\/?$/ && !/security/ {print $2; exit}' "$f")
    [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' \
        /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

# dpkg's path patterns are fnmatch(3): no {a,b} alternatives, one option per directory.
common=(--architectures="$deb" --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    "--dpkgopt=path-exclude=/usr/share/man/*" "--dpkgopt=path-exclude=/usr/share/locale/*"
    "--dpkgopt=path-exclude=/usr/share/info/*" "--dpkgopt=path-exclude=/usr/share/doc/*"
    "--dpkgopt=path-include=/usr/share/doc/*/copyright")
case "$kind" in
runtime)
    if [ "$deb" = "$(dpkg --print-architecture)" ]; then
        args=(--variant=essential --include=libstdc++6)
    else
        args=(--variant=extract --include=libc6,libstdc++6,libgcc-s1)
    fi
    ;;
base) args=(--variant=essential --include=libstdc++6) ;;
*) die "unknown kind '$kind' (runtime or base)" ;;
esac

mkdir -p "$(dirname "$out")"
say "building $out from $mirror (mmdebstrap ${args[*]})"
part=${out%.tar}.part.tar # mmdebstrap picks the output format from the extension
mmdebstrap "${common[@]}" "${args[@]}" "$suite" "$part" "deb $mirror $suite main" </dev/null >&2 ||
    { rm -f "$part"; die "mmdebstrap failed"; }
mv "$part" "$out"
say "$out: $(du -h "$out" | cut -f1)"
printf '%s\n' "$out"
