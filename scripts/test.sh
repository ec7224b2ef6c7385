#!/usr/bin/env bash
# Installs what is missing, builds, runs the whole test suite and prints
# "N passed, N failed" counted over the Catch2 test cases of every binary.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 1 "$@"
status=$?
python3 scripts/count_tests.py "$BUILD_DIR/meson-logs/testlog.json" || status=1
exit $status
