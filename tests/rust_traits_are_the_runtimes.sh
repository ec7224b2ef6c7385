#!/bin/sh
# Fails when the Rust crate's four traits differ from the runtime's own
# (a3s-box-core 2.4.0, the seed trait file): every trait line, `#[async_trait]`
# and method signature, compared in order with whitespace folded.
# Arguments: the seed trait file, the crate's traits.rs.
signatures() {
  grep -E '^[[:space:]]*((async )?fn |pub trait |#\[async_trait)' "$1" |
    sed -E 's/^[[:space:]]+//; s/[[:space:]]+/ /g'
}
seed=$(signatures "$1")
ours=$(signatures "$2")
if [ -z "$seed" ]; then
  echo "FAIL: no trait found in $1"
  exit 1
fi
if [ "$seed" != "$ours" ]; then
  echo "FAIL: $2 differs from $1:"
  printf '%s\n' "$seed" >"${TMPDIR:-/tmp}/seed.$$"
  printf '%s\n' "$ours" | diff "${TMPDIR:-/tmp}/seed.$$" - 
  rm -f "${TMPDIR:-/tmp}/seed.$$"
  exit 1
fi
echo "$(printf '%s\n' "$seed" | grep -c 'fn ') method signatures are the runtime's"
