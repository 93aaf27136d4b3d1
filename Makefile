# AstraGuard developer entry points. Every target first installs missing Debian packages
# (scripts/install-deps.sh, idempotent) and builds Release into build/.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
MAKEFLAGS += --no-print-directory

.PHONY: deps build test test-asan demo bench stack stack-stop clean

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
	rm -rf $(BUILD_DIR) build-asan
