# SPDX-License-Identifier: MIT
# Cross-compiling for ARM64 (aarch64) Linux with Debian's gcc-aarch64-linux-gnu and the arm64
# builds of our Debian dependencies installed through multiarch (`scripts/setup.sh arm64`):
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DONNXRUNTIME_ROOT=.deps/onnxruntime-arm64
#
# Libraries and pkg-config files come from /usr/lib/aarch64-linux-gnu only (never the host's);
# programs (protoc-c, python3) are the host's. Test executables run under qemu-user
# (qemu-aarch64-static, Debian's qemu-user-static) through CMAKE_CROSSCOMPILING_EMULATOR, and the
# tests that start the CLI from a script get EI_BIN = build-arm64/emu/edgeinfer_cli (tests/CMakeLists.txt).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(EI_CROSS_TRIPLE aarch64-linux-gnu)

if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${EI_CROSS_TRIPLE}-gcc)
endif()
find_program(EI_CROSS_STRIP ${EI_CROSS_TRIPLE}-strip)
if(EI_CROSS_STRIP)
  set(CMAKE_STRIP ${EI_CROSS_STRIP} CACHE FILEPATH "strip for the target")
endif()

# Only the target's libraries, headers and pkg-config files; the host's programs.
set(CMAKE_FIND_ROOT_PATH /usr/${EI_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${EI_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Run what we build under qemu-user (binfmt registration is not assumed), through a wrapper that
# gives ONNX Runtime an ARM /proc/cpuinfo (see the script).
find_program(EI_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(EI_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/../scripts/qemu-aarch64.sh)
endif()
