#!/usr/bin/env bash
# Installs what the build needs (Debian 12 packages), configures build/ and
# builds the ninja targets given as arguments (everything when none is);
# with --packages-only, installs and stops there (scripts/sanitize.sh and
# scripts/fuzz.sh). Idempotent: installs only what is missing, reconfigures
# only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc g++ make meson ninja-build pkg-config cmake python3 sqlite3 libsqlite3-dev
          libsqlitecpp-dev nlohmann-json3-dev libspdlog-dev libcli11-dev catch2 strace
          libcurl4-openssl-dev etcd-server etcd-client
          librust-serde-dev librust-serde-derive-dev librust-serde-json-dev
          librust-chrono-dev librust-async-trait-dev librust-libc-dev
          clang libclang-rt-14-dev)
# The Rust crate and the bench's 2.4.0 baseline (tools/bench/json-file-2.4.0)
# build offline from the crates above; any cargo will do
# (rustup's, if the machine has one), else Debian's.
command -v cargo >/dev/null || packages+=(cargo)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

[ "${1:-}" = --packages-only ] && exit 0

BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  meson setup "$BUILD_DIR" --buildtype=release -Dtests=true >/dev/null
fi
if ! ninja -C "$BUILD_DIR" "$@" >"$BUILD_DIR/ninja.log" 2>&1; then
  grep -E -B2 -A12 'error|FAILED' "$BUILD_DIR/ninja.log" | head -n 80
  echo "build failed (full log: $BUILD_DIR/ninja.log)" >&2
  exit 1
fi
echo "built in $BUILD_DIR: ${*:-everything}"
