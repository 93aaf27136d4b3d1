# AstraGuard developer entry points. Every target first installs missing Debian packages
# (scripts/install-deps.sh, idempotent) and builds Release into build/.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
MAKEFLAGS += --no-print-directory

.PHONY: deps build test test-asan test-tsan fuzz soak demo bench stack stack-stop clean

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/. The
# end-to-end tests fail on any sanitizer report a child service prints.
test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DASTRAGUARD_SANITIZE=address,undefined >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# The whole suite under ThreadSanitizer, in build-tsan/.
test-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASTRAGUARD_SANITIZE=thread >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j $(JOBS)

# Every libFuzzer target of fuzz/ for FUZZ_SECONDS each (default 60), built with clang in
# build-fuzz/ (scripts/fuzz.sh). make test runs the same for 3 s each.
FUZZ_SECONDS ?= 60
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

# The service under the simulator's load for SOAK_MINUTES (default 10): RSS flat after warm-up,
# no errors, stable p99; prints a table and writes build/soak.svg (bench/soak.py).
SOAK_MINUTES ?= 10
soak: build
	@SOAK_MINUTES=$(SOAK_MINUTES) python3 bench/soak.py $(BUILD_DIR)

demo: build
	@$(BUILD_DIR)/astraguard demo

bench: build
	@bash bench/run.sh $(BUILD_DIR)

# The production topology without Docker, on 127.0.0.1 (deploy/stack.sh; DEPLOYMENT.md).
stack: build
	@bash deploy/stack.sh start

stack-stop:
	@bash deploy/stack.sh stop

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
