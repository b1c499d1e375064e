#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs an aarch64 program under qemu-user: `scripts/qemu-aarch64.sh PROGRAM ARGS...` (the CMake
# emulator of the ARM64 cross build, cmake/aarch64-linux-gnu.cmake).
#
# Debian 12's qemu-user (7.2) passes the host's /proc/cpuinfo through unchanged. ONNX Runtime's CPU
# detection (cpuinfo) reads it at load time, finds no ARM processor in x86 text and crashes (SIGSEGV
# before main). QEMU_LD_PREFIX makes qemu look up every absolute path under a prefix first and fall
# back to the real one; a prefix holding only proc/cpuinfo (an ARMv8.2 core per host CPU, the
# features qemu's default `max` CPU model implements) fixes that and changes nothing else.
set -eu
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
[ -n "$qemu" ] || { echo "qemu-aarch64.sh: qemu-aarch64-static not found (scripts/setup.sh arm64)" >&2; exit 127; }
n=$(getconf _NPROCESSORS_CONF 2>/dev/null || echo 1)
root=${EI_QEMU_ROOT:-${TMPDIR:-/tmp}/edgeinfer-qemu-aarch64-$(id -u)-$n}
if [ ! -f "$root/proc/cpuinfo" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/edgeinfer-qemu.XXXXXX")
    mkdir -p "$tmp/proc"
    i=0
    while [ "$i" -lt "$n" ]; do
        printf 'processor\t: %d\nBogoMIPS\t: 50.00\n' "$i"
        printf 'Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n'
        printf 'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n'
        i=$((i + 1))
    done >"$tmp/proc/cpuinfo"
    mkdir -p "$(dirname "$root")"
    # Another run may have made it meanwhile: keep the first.
    mv -T "$tmp" "$root" 2>/dev/null || rm -rf "$tmp"
fi
QEMU_LD_PREFIX=$root
export QEMU_LD_PREFIX
exec "$qemu" "$@"
