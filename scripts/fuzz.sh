#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan (in
# scripts/sanitize.sh's build dir $ASAN_BUILD_DIR, default build-asan), runs
# each for the given seconds (default 60; the three at once), then replays
# the committed regression inputs. Seeds: the fixtures' legacy home (seeds.py), the
# regression inputs and what earlier runs found (<build>/fuzz-corpus).
# Prints one line per target and per replay, and writes them to
# <build>/fuzz-results.txt for count_tests.py. A crash's input is left in
# <build>/fuzz-artifacts/<target>/: minimise it (-minimize_crash=1), fix
# the library, and commit it to tests/fuzz/regressions/<target>/.
# Exits non-zero on any crash.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
BUILD=${ASAN_BUILD_DIR:-build-asan}
FIXTURES=${A3S_FIXTURES:-$(pwd)/../shared/fixtures}
targets=(records legacy c_api)

bash scripts/setup.sh --packages-only || exit 1

results="$BUILD/fuzz-results.txt"
report() { echo "$1"; echo "$1" >>"$results"; }

ASAN_BUILD_DIR=$BUILD bash scripts/sanitize.sh configure || exit 1
rm -f "$results"
build_targets=()
for t in "${targets[@]}"; do build_targets+=("tests/fuzz/${t}_fuzz"); done
if ! ninja -C "$BUILD" "${build_targets[@]}" >"$BUILD/fuzz-ninja.log" 2>&1; then
  grep -E -B2 -A12 'error|FAILED' "$BUILD/fuzz-ninja.log" | head -n 60
  report "fuzz build: failed (log: $BUILD/fuzz-ninja.log)"
  exit 1
fi

# The targets' scratch homes, removed here should a crash leave them.
export TMPDIR="$(pwd)/$BUILD/fuzz-tmp"
rm -rf "$TMPDIR" "$BUILD/fuzz-seeds"
mkdir -p "$TMPDIR"
python3 tests/fuzz/seeds.py "$FIXTURES/legacy-home-small" "$BUILD/fuzz-seeds" || exit 1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

status=0
pids=()
for t in "${targets[@]}"; do
  mkdir -p "$BUILD/fuzz-corpus/$t" "$BUILD/fuzz-artifacts/$t"
  "$BUILD/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$t/" \
    "$BUILD/fuzz-corpus/$t" "$BUILD/fuzz-seeds/$t" "tests/fuzz/regressions/$t" \
    >"$BUILD/fuzz-$t.log" 2>&1 &
  pids+=($!)
done
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  wait "${pids[$i]}"
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD/fuzz-$t.log" | tail -n 1)
  elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$BUILD/fuzz-$t.log" | tail -n 1)
  crashes=0
  if [ "$rc" -ne 0 ]; then
    crashes=1
    status=1
    grep -E -A30 'ERROR: |contract broken|runtime error' "$BUILD/fuzz-$t.log" | head -n 40
    echo "(full log: $BUILD/fuzz-$t.log; input in $BUILD/fuzz-artifacts/$t/)"
  fi
  report "fuzz $t: ${runs:-0} runs in ${elapsed:-$seconds} s, $crashes crashes"
done

# Each committed input once more, on its own: they must all pass.
for t in "${targets[@]}"; do
  inputs=(tests/fuzz/regressions/"$t"/*)
  [ -e "${inputs[0]}" ] || inputs=()
  if ((${#inputs[@]} == 0)); then
    report "replay $t: 0 inputs, 0 failed"
    continue
  fi
  if "$BUILD/tests/fuzz/${t}_fuzz" "${inputs[@]}" >"$BUILD/replay-$t.log" 2>&1; then
    report "replay $t: ${#inputs[@]} inputs, 0 failed"
  else
    status=1
    grep -E -A30 'ERROR: |contract broken|runtime error' "$BUILD/replay-$t.log" | head -n 40
    report "replay $t: ${#inputs[@]} inputs, 1 failed (log: $BUILD/replay-$t.log)"
  fi
done
rm -rf "$TMPDIR"
exit $status
