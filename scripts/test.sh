#!/usr/bin/env bash
# Installs what is missing, builds, runs the whole test suite and prints
# "N passed, N failed" counted over the Catch2 test cases of every binary.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
# The benchmark's smoke run (test bench_quick) leaves its rows here; they
# are shown after the tests, numbers only, never judged.
bench_json="$BUILD_DIR/tools/bench/bench-quick.json"
rm -f "$bench_json"
# Two at a time (the machines have 2 cores); the benchmark runs alone.
meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 2 "$@"
status=$?
if [ -f "$bench_json" ]; then
  echo "--- bench --quick (smoke run; numbers are reported, not asserted)"
  python3 tools/bench/report.py "$bench_json" || true
fi
python3 scripts/count_tests.py "$BUILD_DIR/meson-logs/testlog.json" || status=1
exit $status
