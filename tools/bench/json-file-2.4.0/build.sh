#!/bin/sh
# Builds the crate offline (release) and installs its binary as OUT.
# Usage: build.sh CARGO CARGO_HOME TARGET_DIR OUT
# CARGO_HOME and TARGET_DIR live in the build directory, so nothing under
# $HOME is needed or touched. cargo reads .cargo/config.toml (the Debian
# directory source) from the crate directory, hence the cd.
set -eu
cargo=$1
export CARGO_HOME=$2
target_dir=$3
out=$(cd "$(dirname "$4")" && pwd)/$(basename "$4")  # absolute: the cd below
cd "$(dirname "$0")"
"$cargo" build --offline --release --quiet --target-dir "$target_dir"
cp "$target_dir/release/json-file-2_4_0" "$out"
