#!/bin/sh
# The meson test `rust_crate`: builds the crate offline against the library
# meson built, runs its tests, then runs examples/network_demo and checks
# what it prints. Usage: run_tests.sh CARGO LIB_DIR TARGET_DIR
# CARGO is empty when meson found no cargo: the test is then skipped (77).
set -eu
cargo=$1
export A3S_STORE_LIB_DIR=$2
export CARGO_TARGET_DIR=$3
if [ -z "$cargo" ]; then
  echo "SKIP: cargo not found when meson configured this build (install cargo and" \
       "reconfigure to run the Rust crate's tests)"
  exit 77
fi
cd "$(dirname "$0")"

"$cargo" test --offline

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
out=$("$cargo" run --offline --quiet --example network_demo -- "$home")
echo "$out"
expected='connected box-1 (web) to demo: 10.88.0.2 02:42:0a:58:00:02 aliases ["app"]'
if ! printf '%s\n' "$out" | grep -qxF "$expected"; then
  echo "network_demo did not print: $expected" >&2
  exit 1
fi
# A second run on the same home meets the network it made: an error, exit 1.
if "$cargo" run --offline --quiet --example network_demo -- "$home" 2>"$home/err"; then
  echo "network_demo created 'demo' twice" >&2
  exit 1
fi
grep -q "already_exists" "$home/err" || { cat "$home/err" >&2; exit 1; }
echo "network_demo: ok"
