# SPDX-License-Identifier: MIT
# The front door. CMake does the building; this file does set-up and the common jobs.
#
#   make            build (Release) into build/
#   make run        set-up + build + a tour of the bundled models
#   make test       set-up + build + the whole test suite, then again under ASan+UBSan, then the
#                   threaded tests under ThreadSanitizer (make test-tsan)
#   make test-full  make test + the slow end-to-end checks (PyTorch export, fidelity vs torch)
#   make bench      the benchmarks (see docs/BENCHMARKS.md)
#   make fuzz       the libFuzzer targets, FUZZ_SECS (60) each (see fuzz/README.md)
#   make install PREFIX=/usr/local
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
WERROR     ?= $(if $(CI),ON,OFF)
CTEST_ARGS ?=

.PHONY: all build configure setup setup-test setup-full run test test-unit test-asan test-tsan test-full \
        bench fuzz install clean distclean format

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

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

distclean: clean
	rm -rf .deps
