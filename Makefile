# Top-level entry points. `make test` and `make demo` install what they need (Debian packages, from
# the one list scripts/packages.txt),
# configure, build and run. CMake does the real work in build/ (and build-asan/ for sanitizers).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 12
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
# the interpreter `make python` builds and installs the package for (Debian's, with python3-numpy)
PYTHON     ?= /usr/bin/python3
SUDO       := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build build-asan python test test-deps test-fast test-asan test-fuzz demo bench bench-compare fixtures clean

all: build

deps:
	@scripts/setup-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DRCC_WERROR=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The Python package (docs/python.md): Debian's python3-dev and python3-numpy, the extension built
# against the static librcc, installed into the interpreter's site folder (Debian: /usr/local/lib/
# python3.X/dist-packages, on sys.path), then imported from elsewhere to prove it.
python:
	@scripts/setup-deps.sh build python
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DRCC_WERROR=ON -DRCC_PYTHON=ON -DPython3_EXECUTABLE=$(PYTHON) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS) --target rcc_python
	@$(SUDO) cmake --install $(BUILD) --component python
	@cd / && $(PYTHON) -c "import rcc; print('rcc', rcc.__version__, 'for Python is installed:', rcc.__file__)"

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DRCC_SANITIZE=ON -DRCC_WERROR=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# The whole suite, then again under AddressSanitizer + UndefinedBehaviorSanitizer, then a short
# fuzzing of every parser.
test: test-fast test-asan test-fuzz

# what the tests need beyond the build (the browser test's chromium, the Python package's), installed
# before the build is configured: the Python package is built when CMake finds them
test-deps:
	@scripts/setup-deps.sh build browser python

test-fast: test-deps
	@$(MAKE) --no-print-directory build
	@cd $(BUILD) && ctest --output-on-failure

test-asan: build-asan
	@scripts/setup-deps.sh build browser
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		ctest --output-on-failure

# Each libFuzzer harness for FUZZ_TIME seconds (clang); fails if one finds a crash (fuzz/run.sh).
test-fuzz: deps
	@scripts/setup-deps.sh build fuzz
	@fuzz/run.sh --build $(FUZZ_BUILD) --time $(FUZZ_TIME) --jobs $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

bench: build
	@$(BUILD)/rcc bench

# rcc and PyTorch (Debian's python3-torch) on the same step, one after the other, with the ratio.
bench-compare: build
	@scripts/setup-deps.sh build bench
	@bench/compare.sh $(BUILD)/rcc

# Regenerates the golden fixtures (needs python3-torch); the tests never need PyTorch.
fixtures:
	@scripts/setup-deps.sh build fixtures
	@/usr/bin/python3 tests/reference/make_fixtures.py tests/fixtures

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
