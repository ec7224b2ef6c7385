#!/usr/bin/env bash
# Measures `a3s-store import` and `check` on a generated home as 2.4.0 leaves
# it: 10,000 networks (2 endpoints each), 10,000 volumes, 1,000 snapshots
# (a small rootfs each) and 1,000 images (a small layout each) by default;
# `bash scripts/measure_import.sh N V S I` for other counts. Prints the wall
# time and the peak resident memory (GNU time's "Maximum resident set size")
# of each run: the import from another directory (rootfs trees and layouts
# copied, each copy synced), the same import run again (all present), the
# import of a home in place, and `check` on the imported home.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
bash scripts/setup.sh tools/a3s-store/a3s-store tools/bench/bench
cli="$PWD/$BUILD_DIR/tools/a3s-store/a3s-store"
bench="$PWD/$BUILD_DIR/tools/bench/bench"
counts=(10000 10000 1000 1000)
[ $# -eq 4 ] && counts=("$@")

work=$(mktemp -d "${TMPDIR:-/tmp}/a3s-import-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bench" --runtime-home "$work/legacy" --runtime-counts "${counts[@]}"
cp -a "$work/legacy" "$work/in-place"

measure() {  # LABEL COMMAND... (a failing command's exit code is printed too)
  local label=$1 rc=0
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || rc=$?
  read -r seconds kib < <(tail -n 1 "$work/time")
  awk -v l="$label" -v s="$seconds" -v k="$kib" -v rc="$rc" \
    'BEGIN { printf "%-34s %8.2f s  %8.1f MiB peak RSS%s\n", l, s, k / 1024, rc ? "  (exit " rc ")" : "" }'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "legacy home: ${counts[0]} networks, ${counts[1]} volumes, ${counts[2]} snapshots," \
  "${counts[3]} images ($(du -sh "$work/legacy" | cut -f1) on disk)"
measure "import --from (copies)" "$cli" --home "$work/home" import --from "$work/legacy"
tail -n +2 "$work/out"
measure "import --from again (all present)" "$cli" --home "$work/home" import --from "$work/legacy"
measure "import in place" "$cli" --home "$work/in-place" import
measure "import --dry-run" "$cli" --home "$work/in-place" import --dry-run
measure "check (imported home)" "$cli" --home "$work/home" check
tail -n 1 "$work/out"
