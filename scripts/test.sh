#!/usr/bin/env bash
# Installs what is missing, builds, runs the whole test suite, then (when
# no test is named) the suite under ASan+UBSan, the threaded and
# multi-process tests under TSan (scripts/sanitize.sh) and each fuzz target
# for $FUZZ_SECONDS (default 45; scripts/fuzz.sh). Prints each part's wall
# time and last "N passed, N failed", counted over the Catch2 test cases of
# every binary, in every suite, and the fuzz runs.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
TSAN_BUILD_DIR=${TSAN_BUILD_DIR:-build-tsan}
export BUILD_DIR ASAN_BUILD_DIR TSAN_BUILD_DIR
# What each part reports; a part that does not get to write its own counts
# as one failure.
results=("$BUILD_DIR/meson-logs/testlog.json")
(($#)) || results+=("$ASAN_BUILD_DIR/meson-logs/testlog.json"
                    "$TSAN_BUILD_DIR/meson-logs/testlog.json"
                    "$ASAN_BUILD_DIR/fuzz-results.txt")
rm -f "${results[@]}"
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  local rc=$?
  echo "--- $name: $((SECONDS - start)) s"
  return $rc
}

timed setup bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
# The benchmark's smoke run (test bench_quick) leaves its rows here; they
# are shown after the tests, numbers only, never judged.
bench_json="$BUILD_DIR/tools/bench/bench-quick.json"
rm -f "$bench_json"
# Two at a time (the machines have 2 cores); the benchmark runs alone.
timed tests meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 2 "$@"
status=$?
if [ -f "$bench_json" ]; then
  echo "--- bench --quick (smoke run; numbers are reported, not asserted)"
  python3 tools/bench/report.py "$bench_json" || true
fi
if (($# == 0)); then
  timed asan bash scripts/sanitize.sh asan || status=1
  timed tsan bash scripts/sanitize.sh tsan || status=1
  timed fuzz bash scripts/fuzz.sh "${FUZZ_SECONDS:-45}" || status=1
fi
# The reliability figures (docs/RELIABILITY.md), as the tests printed them.
echo "--- reliability figures"
grep -hE '^(torture|power cut|io errors|disk full|hostile input|hostile files|group commit)[ (:]' \
  "$BUILD_DIR/meson-logs/testlog.txt" 2>/dev/null
cat "$ASAN_BUILD_DIR/fuzz-results.txt" 2>/dev/null
python3 scripts/count_tests.py "${results[@]}" || status=1
exit $status
