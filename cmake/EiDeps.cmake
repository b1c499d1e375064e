# SPDX-License-Identifier: MIT
# Finds ONNX Runtime and the Debian libraries.
#
# ONNX Runtime, first match wins:
#   1. -DONNXRUNTIME_ROOT=... or the ONNXRUNTIME_ROOT environment variable (official tarball layout)
#   2. .deps/onnxruntime (what scripts/setup.sh unpacks from npm)
#   3. pkg-config libonnxruntime (forced with -DEI_ORT_FROM_PKGCONFIG=ON or that environment variable)
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

if(NOT ONNXRUNTIME_ROOT AND DEFINED ENV{ONNXRUNTIME_ROOT})
  set(ONNXRUNTIME_ROOT $ENV{ONNXRUNTIME_ROOT})
endif()
option(EI_ORT_FROM_PKGCONFIG "Take ONNX Runtime from pkg-config (libonnxruntime)" "$ENV{EI_ORT_FROM_PKGCONFIG}")
if(NOT ONNXRUNTIME_ROOT AND NOT EI_ORT_FROM_PKGCONFIG
   AND EXISTS ${PROJECT_SOURCE_DIR}/.deps/onnxruntime/include/onnxruntime_c_api.h)
  set(ONNXRUNTIME_ROOT ${PROJECT_SOURCE_DIR}/.deps/onnxruntime)
endif()
set(ONNXRUNTIME_ROOT "${ONNXRUNTIME_ROOT}" CACHE PATH "ONNX Runtime root (include/, lib/)")

add_library(ei::onnxruntime INTERFACE IMPORTED)
if(ONNXRUNTIME_ROOT)
  find_path(EI_ORT_INCLUDE onnxruntime_c_api.h
            PATHS ${ONNXRUNTIME_ROOT}/include ${ONNXRUNTIME_ROOT}/include/onnxruntime NO_DEFAULT_PATH)
  find_library(EI_ORT_LIBRARY NAMES onnxruntime PATHS ${ONNXRUNTIME_ROOT}/lib NO_DEFAULT_PATH)
  if(NOT EI_ORT_INCLUDE OR NOT EI_ORT_LIBRARY)
    message(FATAL_ERROR "ONNX Runtime not found under ONNXRUNTIME_ROOT=${ONNXRUNTIME_ROOT}")
  endif()
  target_include_directories(ei::onnxruntime INTERFACE ${EI_ORT_INCLUDE})
  target_link_libraries(ei::onnxruntime INTERFACE ${EI_ORT_LIBRARY})
  get_filename_component(EI_ORT_LIBDIR ${EI_ORT_LIBRARY} DIRECTORY)
else()
  pkg_check_modules(ORT libonnxruntime)
  if(NOT ORT_FOUND)
    message(FATAL_ERROR "ONNX Runtime not found: run scripts/setup.sh, set ONNXRUNTIME_ROOT, "
                        "or install a libonnxruntime pkg-config entry")
  endif()
  target_include_directories(ei::onnxruntime INTERFACE ${ORT_INCLUDE_DIRS} ${ORT_INCLUDE_DIRS}/onnxruntime)
  target_link_libraries(ei::onnxruntime INTERFACE ${ORT_LINK_LIBRARIES})
  set(EI_ORT_LIBDIR ${ORT_LIBRARY_DIRS})
endif()
message(STATUS "ONNX Runtime: ${ONNXRUNTIME_ROOT} (lib dir ${EI_ORT_LIBDIR})")

pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
# libjpeg-turbo through its libjpeg API (partial decodes); the tests make JPEGs with TurboJPEG.
pkg_check_modules(JPEG REQUIRED IMPORTED_TARGET libjpeg)
if(EI_BUILD_TESTS)
  pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
endif()
pkg_check_modules(SPNG REQUIRED IMPORTED_TARGET spng)
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
# libsodium: model signatures (Ed25519), encrypted models (XChaCha20-Poly1305), API-key hashes.
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# GnuTLS: the server's HTTPS (libmicrohttpd is built on it; we set per-connection credentials).
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)
# libcurl: the HTTP client of `edgeinfer bench --url` (the CLI only; the library does not link it).
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
find_program(PROTOC_C protoc-c REQUIRED)
# gRPC's C core (Debian libgrpc-dev) for the gRPC front-end; -DEI_GRPC=OFF builds without it.
if(EI_GRPC)
  pkg_check_modules(GRPC IMPORTED_TARGET grpc)
  if(NOT GRPC_FOUND)
    message(FATAL_ERROR "gRPC not found: install libgrpc-dev (scripts/setup.sh does), "
                        "or configure with -DEI_GRPC=OFF to build without the gRPC endpoint")
  endif()
endif()
find_file(EI_ONNX_PROTO onnx.proto PATHS /usr/include/onnx REQUIRED)

# The ONNX backend test data (Debian libonnx-testdata), for the conformance tests.
set(EI_ONNX_TESTDATA /usr/include/onnx/backend/test/data CACHE PATH "ONNX backend test data")
