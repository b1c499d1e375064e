# SPDX-License-Identifier: MIT
# The front door. CMake does the building; this file does set-up and the common jobs.
#
#   make            build (Release) into build/
#   make run        set-up + build + a tour of the bundled models
#   make test       set-up + build + the whole test suite, then again under ASan+UBSan, then the
#                   threaded tests under ThreadSanitizer (make test-tsan), then the ARM64 build's
#                   subset under qemu-user (test-arm64)
#   make test-full  make test + the slow end-to-end checks (PyTorch export, fidelity vs torch)
#   make bench      the benchmarks (see docs/BENCHMARKS.md)
#   make fuzz       the libFuzzer targets, FUZZ_SECS (60) each (see fuzz/README.md)
#   make install PREFIX=/usr/local
#   make cross-arm64 / test-arm64   ARM64 cross build into build-arm64/, tests under qemu-user
#   make dist / dist-arm64          self-contained bundles in dist/; dist-test tests them in a rootfs
#   make container                  the container image (podman), smoke-tested, saved for docker load
#   make test-deploy                Kubernetes manifests and the systemd unit against the real server
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
WERROR     ?= $(if $(CI),ON,OFF)
CTEST_ARGS ?=

.PHONY: all build configure setup setup-test setup-full run test test-unit test-asan test-tsan test-full \
        bench fuzz install clean distclean format setup-arm64 cross-arm64 test-arm64 dist dist-arm64 \
        dist-test container test-deploy

all: build

configure: $(BUILD)/CMakeCache.txt
$(BUILD)/CMakeCache.txt:
	@test -f .deps/onnxruntime/.complete || [ -n "$$ONNXRUNTIME_ROOT" ] || \
	  { [ -n "$$EI_ORT_FROM_PKGCONFIG" ] && pkg-config --exists libonnxruntime; } || \
	  { echo "make: ONNX Runtime is not set up yet: run 'make run', 'make test' or scripts/setup.sh"; exit 1; }
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DEI_WERROR=$(WERROR) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

setup:
	@scripts/setup.sh base
setup-test:
	@scripts/setup.sh test
setup-full:
	@scripts/setup.sh full

run: setup
	@$(MAKE) --no-print-directory build
	@scripts/tour.sh $(BUILD)

test: setup-test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory test-arm64

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder,
# compiled with clang (so `make test` proves a warning-free build under both gcc and clang).
# Tests labelled `slow` (the whole conformance sweep) are left out here; the plain run covers them.
ASAN_CC ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo cc)
test-asan:
	CC=$(ASAN_CC) cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEI_SANITIZE=address,undefined \
	  -DEI_WERROR=$(WERROR) $(CMAKE_ARGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) -LE 'slow|noasan' $(CTEST_ARGS)

# The tests that run threads against each other (the core's sessions, the batcher, the repository's
# reloads, the server end to end) under ThreadSanitizer, in its own build folder, with clang.
# tests/tsan.supp silences only reports inside ONNX Runtime (not built with TSan); TSan makes a
# report fail the test (halt_on_error, via EI_TEST_ENV). `make test` ends with it (about 2 min).
TSAN_TESTS ?= ^(test_core|test_batcher|test_repo|test_kserve_v2|server_.*)$$
TSAN_TARGETS = edgeinfer_cli test_core test_batcher test_repo test_kserve_v2
test-tsan: setup-test
	CC=$(ASAN_CC) cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEI_SANITIZE=thread \
	  -DEI_WERROR=$(WERROR) -DEI_BUILD_EXAMPLES=OFF $(CMAKE_ARGS) >/dev/null
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target $(TSAN_TARGETS)
	cd $(TSAN_BUILD) && ctest --output-on-failure -j$(JOBS) -R '$(TSAN_TESTS)' $(CTEST_ARGS)

test-full: setup-full
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && EI_TEST_FULL=1 ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

bench: setup-full
	@$(MAKE) --no-print-directory build
	@scripts/bench.sh $(BUILD)

FUZZ_SECS ?= 60
fuzz: setup-test
	@fuzz/run.sh $(FUZZ_SECS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# --- ARM64 (aarch64): cross-built with Debian's gcc-aarch64-linux-gnu and multiarch arm64 libraries,
# tested under qemu-user. test-arm64 runs a representative subset (ARM64_TESTS, see docs/deploy.md)
# plus arm64_vs_host, which compares the ARM64 CLI's results with the host build's.
ARM64_BUILD ?= build-arm64
ARM64_TESTS ?= ^(test_(core|pb|npy|pbtxt|kserve_v2|model_info|conformance|classify|cli_args|bench_stats)|cli_info_cls_json|cli_run_(cls_npy|silero_npy|types)|classify_cli_(json|corrupt_image)|server_(sigterm|endpoints)|arm64_.*)$$
setup-arm64:
	@scripts/setup.sh test arm64
cross-arm64: setup-arm64
	cmake -S . -B $(ARM64_BUILD) -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
	  -DONNXRUNTIME_ROOT=$(CURDIR)/.deps/onnxruntime-arm64 -DCMAKE_BUILD_TYPE=Release \
	  -DEI_BUILD_BENCH=OFF -DEI_WERROR=$(WERROR) -DEI_HOST_BIN=$(CURDIR)/$(BUILD)/cli/edgeinfer \
	  $(CMAKE_ARGS) >/dev/null
	cmake --build $(ARM64_BUILD) -j$(JOBS)
test-arm64: cross-arm64
	@$(MAKE) --no-print-directory build
	cd $(ARM64_BUILD) && ctest --output-on-failure -j$(JOBS) -R '$(ARM64_TESTS)' $(CTEST_ARGS)

# --- Bundles: dist/edgeinfer-<version>-linux-<arch>.tar.gz (scripts/dist.sh), and their test in a
# minimal Debian root filesystem made with mmdebstrap (tests/dist/check_bundle.py; needs root).
dist:
	@scripts/setup.sh base dist
	@scripts/dist.sh x86_64
dist-arm64:
	@scripts/setup.sh base dist arm64
	@scripts/dist.sh aarch64
dist-test: dist dist-arm64
	@v=$$(sed -n 's/^project(edgeinfer VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt); \
	for a in x86_64 aarch64; do \
	  echo "dist-test: edgeinfer-$$v-linux-$$a in a minimal Debian root filesystem"; \
	  python3 tests/dist/check_bundle.py dist/edgeinfer-$$v-linux-$$a.tar.gz "$$(scripts/rootfs.sh runtime $$a)" $$a || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# --- Container image (podman, needs root and `make dist`): scripts/container.sh, docs/deploy.md.
container: dist
	@scripts/setup.sh base dist container
	@scripts/container.sh

# --- deploy/: the Kubernetes manifests and the systemd unit against the real server (also in make test).
test-deploy: setup-test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -R '^deploy_' $(CTEST_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(ARM64_BUILD) build-dist-x86_64 build-dist-aarch64 \
	  build-container dist

distclean: clean
	rm -rf .deps
