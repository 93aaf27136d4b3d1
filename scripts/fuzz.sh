#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang into build-fuzz/ (ASan + UBSan + libFuzzer)
# and runs each one for SECONDS (argument, else $FUZZ_SECONDS, else 60), starting from its seed
# corpus fuzz/corpus/<name>/ (read only) plus what earlier runs found (build-fuzz/corpus/<name>/).
# A crash, leak or sanitizer report fails the run; the input is saved as
# build-fuzz/crashes/<name>-crash-<sha1>: add it to fuzz/corpus/<name>/ with a regression test.
# FUZZ_TARGETS="api trace" runs only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
dir=${FUZZ_BUILD_DIR:-build-fuzz}
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DASTRAGUARD_FUZZ=ON -DASTRAGUARD_SANITIZE=address,undefined "${launcher[@]}" >/dev/null
cmake --build "$dir" --target fuzzers -j "${JOBS:-$(nproc)}"

targets=${FUZZ_TARGETS:-$(cd fuzz/corpus && ls)}
mkdir -p "$dir/crashes"
failed=()
for t in $targets; do
  mkdir -p "$dir/corpus/$t"
  dict=()
  if [ -f "fuzz/$t.dict" ]; then dict=(-dict="fuzz/$t.dict"); fi
  echo "fuzz: $t for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$dir/fuzz/fuzz_$t" "$dir/corpus/$t" "fuzz/corpus/$t" "${dict[@]}" \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$dir/crashes/$t-" -print_final_stats=1 >"$dir/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$dir/$t.log"
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)|^Done' "$dir/$t.log" | tr '\n' ' '
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $dir/crashes/)" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s without a finding"
