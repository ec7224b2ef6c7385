#!/usr/bin/env bash
# The test suite under sanitizers: `asan` runs the whole suite built with
# clang's AddressSanitizer and UndefinedBehaviorSanitizer (build dir
# $ASAN_BUILD_DIR, default build-asan, which the fuzz targets share), `tsan`
# the tests that start threads or processes under gcc's ThreadSanitizer
# ($TSAN_BUILD_DIR, default build-tsan); no argument runs both. After asan
# or tsan, test names run just those. `configure` only sets up build-asan
# (for scripts/fuzz.sh). Packages: scripts/setup.sh.
#
# Not run under ASan: bench_quick (a measurement, and the normal suite runs
# it); open_race, which opens one home from 32 processes 3200 times (the
# suite's longest test, minutes under ASan) through the same code every
# other test opens a store with; power_cut, which replays one transaction
# sequence through more than 200 simulated power cuts (5 minutes under
# ASan) over the library paths io_error and torture run here; rust_crate
# and c_api_package, which load the instrumented shared library into
# programs built elsewhere (cargo's test binaries, a make-built C example),
# which ASan refuses unless its runtime is preloaded: what they test is
# linking and packaging, and the C API's memory use is the c_api test's,
# which does run here.
#
# A sanitizer's report in any process (the CLI the tests start too) goes to
# <build>/sanitizer-reports/, and any report there fails the run, whatever
# the exit status the test saw (but LeakSanitizer's refusal to run under
# strace, which one home_safety test uses).
set -uo pipefail
cd "$(dirname "$0")/.."
ASAN_BUILD=${ASAN_BUILD_DIR:-build-asan}
TSAN_BUILD=${TSAN_BUILD_DIR:-build-tsan}
asan_skipped=(bench_quick open_race power_cut rust_crate c_api_package)
# The tests whose processes run threads on one store (database,
# network_store) and those where processes share one home (volume_store,
# multiprocess); they need neither the CLI nor the release library, so the
# TSan build compiles the library once. ThreadSanitizer sees races between
# the threads of one process only: open_race (32 processes racing to open a
# home, the suite's longest test) and crash (one thread, killed at fault
# points) would cost minutes under it and could show it nothing; backup and
# c_api run their threads through the same pool and transactions, and need
# the CLI or the shared library built a second time.
tsan_tests=(network_store volume_store multiprocess database)

configure_asan() {
  [ -f "$ASAN_BUILD/build.ninja" ] && return 0
  # -O1: the sanitizers' usual level, and a shorter build than -O2; line
  # tables only, enough for file:line in reports, at a fraction of -g's cost.
  CC=clang CXX=clang++ meson setup "$ASAN_BUILD" -Dtests=true -Dfuzzing=true -Doptimization=1 \
    -Ddebug=false -Dc_args=-gline-tables-only -Dcpp_args=-gline-tables-only \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
}

configure_tsan() {
  [ -f "$TSAN_BUILD/build.ninja" ] && return 0
  meson setup "$TSAN_BUILD" -Dtests=true -Doptimization=1 \
    -Db_sanitize=thread -Db_lundef=false >/dev/null
}

# build DIR TARGET...: quiet unless it fails. SANITIZE_BUILD=0 skips it
# (runs what is built already).
build() {
  local dir=$1
  shift
  [ "${SANITIZE_BUILD:-1}" = 0 ] && return 0
  if ! ninja -C "$dir" "$@" >"$dir/ninja.log" 2>&1; then
    grep -E -B2 -A12 'error|FAILED' "$dir/ninja.log" | head -n 60
    echo "build failed (full log: $dir/ninja.log)" >&2
    return 1
  fi
}

# run DIR TEST...: the named tests, then any sanitizer report.
run() {
  local dir=$1
  shift
  local reports="$(pwd)/$dir/sanitizer-reports"
  rm -rf "$reports"
  mkdir -p "$reports"
  local common="halt_on_error=1:log_path=$reports/report"
  export ASAN_OPTIONS="$common:abort_on_error=1:detect_leaks=1"
  export UBSAN_OPTIONS="$common:print_stacktrace=1"
  export TSAN_OPTIONS="$common:second_deadlock_stack=1"
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 --timeout-multiplier 4 \
    "$@"
  local status=$?
  local f
  for f in "$reports"/report*; do
    [ -e "$f" ] || continue
    # LeakSanitizer cannot run in a traced process: home_safety runs the
    # CLI under strace. Not a finding.
    if grep -q 'LeakSanitizer does not work under ptrace' "$f" &&
      ! grep -q -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error' "$f"; then
      continue
    fi
    echo "--- sanitizer report $f"
    head -n 60 "$f"
    status=1
  done
  return $status
}

# The binaries of the Catch2 and C tests named, and the CLI they may run.
targets_of() {
  echo tools/a3s-store/a3s-store
  for t in "$@"; do echo "tests/${t}_test"; done
}

# Every target of build DIR but the benchmark's, which no sanitized test runs.
targets_but_bench() {
  meson introspect "$1" --targets | python3 -c '
import json, os, sys
build = os.path.abspath(sys.argv[1])
for target in json.load(sys.stdin):
    if not target["name"].startswith("bench"):
        for path in target["filename"]:
            print(os.path.relpath(path, build))' "$1"
}

# asan [TEST...]: the tests named (built alone), else all but the skipped.
asan() {
  configure_asan || return 1
  local tests=("$@")
  if ((${#tests[@]})); then
    build "$ASAN_BUILD" $(targets_of "${tests[@]}") || return 1
  else
    while read -r name; do
      [[ " ${asan_skipped[*]} " == *" $name "* ]] || tests+=("$name")
    done < <(meson test -C "$ASAN_BUILD" --list --no-rebuild 2>/dev/null | sed 's/^.* \/ //')
    build "$ASAN_BUILD" $(targets_but_bench "$ASAN_BUILD") || return 1
  fi
  run "$ASAN_BUILD" "${tests[@]}"
}

# tsan [TEST...]: the tests named, else tsan_tests.
tsan() {
  configure_tsan || return 1
  local tests=("$@")
  ((${#tests[@]})) || tests=("${tsan_tests[@]}")
  local targets=()
  for t in "${tests[@]}"; do targets+=("tests/${t}_test"); done
  build "$TSAN_BUILD" "${targets[@]}" || return 1
  run "$TSAN_BUILD" "${tests[@]}"
}

bash scripts/setup.sh --packages-only || exit 1
command=${1:-all}
(($#)) && shift
case "$command" in
  configure) configure_asan ;;
  asan) asan "$@" ;;
  tsan) tsan "$@" ;;
  all)
    asan
    a=$?
    tsan
    exit $((a | $?))
    ;;
  *)
    echo "usage: $0 [asan [TEST...] | tsan [TEST...] | configure]" >&2
    exit 2
    ;;
esac
