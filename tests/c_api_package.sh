#!/bin/sh
# The installed package as a user meets it: `meson install` into a staging
# directory, then lib/examples/c built with nothing but
# `pkg-config --cflags --libs a3s-box-store` and run on a fresh home; a C++
# program likewise, through the public C++ headers; and the shared library
# exporting the API alone.
# Usage: c_api_package.sh BUILD_DIR SOURCE_ROOT
set -eu
build=$1
source_root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/stage

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

meson install -C "$build" --no-rebuild --quiet --destdir "$stage" >/dev/null

pc=$(find "$stage" -name a3s-box-store.pc)
[ -n "$pc" ] || fail "a3s-box-store.pc is not installed"
libdir=$(dirname "$(dirname "$pc")")
# The .pc names the final prefix; the sysroot maps it into the staging tree.
export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$stage"
export LD_LIBRARY_PATH="$libdir"

# What is installed: the versioned library and its soname link, the headers
# (the public ones only), the CLI.
soname=$(readelf -d "$libdir/liba3s_store.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = liba3s_store.so.0 ] || fail "soname is '$soname'"
[ -e "$libdir/$soname" ] || fail "no $soname link"
include=$(find "$stage" -type d -name include | head -n 1)
[ -f "$include/a3s_store.h" ] || fail "a3s_store.h is not installed"
[ -f "$include/a3s/store/store.hpp" ] || fail "the C++ headers are not installed"
extra=$(find "$include" -type f ! -name a3s_store.h ! -path '*/a3s/store/*.hpp')
[ -z "$extra" ] || fail "headers beyond the public ones: $extra"
cli=$(find "$stage" -type f -name a3s-store)
[ -x "$cli" ] || fail "the a3s-store tool is not installed"

# The shared library exports the C API and a3s::store, nothing of what is
# built into it (SQLiteCpp, nlohmann, lib/src's detail).
leaked=$(nm -DC --defined-only "$libdir/liba3s_store.so" | awk '{ $1 = ""; $2 = ""; print }' |
  grep -v '^ *a3s_' | grep -v 'a3s::store::' || true)
[ -z "$leaked" ] || fail "symbols beyond the API are exported: $(echo "$leaked" | head -n 5)"
nm -DC --defined-only "$libdir/liba3s_store.so" | grep -q 'a3s::store::detail' &&
  fail "internal symbols are exported"

# The example, built as its Makefile builds it.
cp "$source_root/lib/examples/c/network_demo.c" "$source_root/lib/examples/c/Makefile" "$work/"
make -s -C "$work" network_demo >/dev/null || fail "the example does not build"
"$work/network_demo" "$work/home" >"$work/demo.out" || fail "the example failed"
expected='{"box_id":"box-1","box_name":"web","aliases":["www"],"ip_address":"10.89.0.2","mac_address":"02:42:0a:59:00:02"}'
# Its whole stdout: the library logs to stderr only, never into its host's
# output (opening a new home logs each migration applied).
[ "$(cat "$work/demo.out")" = "$expected" ] || fail "the example printed: $(cat "$work/demo.out")"

# The installed CLI reads what the C program wrote.
"$cli" --home "$work/home" network inspect demo --json | grep -qF '"box_id": "box-1"' ||
  fail "a3s-store does not see the example's network"

# A C++ program through the public C++ API and the same pkg-config line.
cat >"$work/cxx_demo.cpp" <<'CXX'
#include <a3s/store/store.hpp>
#include <iostream>

int main(int, char** argv) {
  auto store = a3s::store::Store::open({.home = argv[1]});
  try {
    store->networks().remove("absent");
  } catch (const a3s::store::Error& e) {
    if (e.code() != a3s::store::ErrorCode::not_found) return 1;
  }
  std::cout << a3s::store::to_json_text(*store->networks().get("demo")) << "\n";
}
CXX
# shellcheck disable=SC2046
c++ -std=c++20 $(pkg-config --cflags a3s-box-store) -o "$work/cxx_demo" "$work/cxx_demo.cpp" \
  $(pkg-config --libs a3s-box-store) || fail "a C++ program does not build"
"$work/cxx_demo" "$work/home" | grep -qF '"name":"demo"' || fail "the C++ program failed"
echo "package: installed, example built and run with pkg-config alone"
