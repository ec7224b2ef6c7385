#!/bin/sh
# Fails when a public header shows what the library keeps to itself: an
# #include of anything but a standard header (<chrono>) or another public
# header ("a3s/store/records.hpp") — so no nlohmann, SQLiteCpp, sqlite3.h or
# lib/src header — or a name from nlohmann or SQLite. Argument: the public
# header directory (lib/include/a3s/store).
dir=$1
status=0
count=0
for header in "$dir"/*.hpp; do
  [ -f "$header" ] || continue
  count=$((count + 1))
  includes=$(grep -nE '^[[:space:]]*#[[:space:]]*include' "$header" |
    grep -vE '#[[:space:]]*include[[:space:]]*(<[a-z_]+>|"a3s/store/[a-z_]+\.hpp")[[:space:]]*(//.*)?$')
  names=$(grep -nE 'nlohmann|SQLite::|sqlite3' "$header")
  for found in "$includes" "$names"; do
    if [ -n "$found" ]; then
      echo "FAIL: $header:"
      echo "$found"
      status=1
    fi
  done
done
if [ $count -eq 0 ]; then
  echo "FAIL: no header in '$dir'"
  status=1
fi
[ $status -eq 0 ] && echo "$count public headers include only the standard library and each other"
exit $status
