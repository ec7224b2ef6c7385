#!/usr/bin/env bash
# The main job: builds a3s-store if needed, then a short tour of it on the
# default home ($A3S_HOME, else ~/.a3s). It creates, connects, lists and
# removes a network and a volume named tour-<pid> (nothing else is touched)
# and shows the rows in the sqlite3 shell.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR
bash scripts/setup.sh tools/a3s-store/a3s-store  # the CLI alone, not the tests
cli="$BUILD_DIR/tools/a3s-store/a3s-store"
home=${A3S_HOME:-$HOME/.a3s}
net="tour-$$"
vol="tour-$$"
db="$home/box.db"

run() { echo "\$ a3s-store $*"; "$cli" "$@"; echo; }

run migrate status
run network create "$net" --subnet 10.123.0.0/24 --label purpose=tour
run network connect "$net" box-1 --box-name web --alias www
run network connect "$net" box-2 --box-name api
run network ls
run --json network inspect "$net"
run volume create "$vol" --label purpose=tour --size-limit 1g
run volume attach "$vol" box-1
run volume ls

echo "\$ sqlite3 $db  (the same rows, read-only)"
sqlite3 -readonly -header -column "$db" \
  "SELECT network, box_id, box_name, ip_address, mac_address FROM network_endpoints
   WHERE network = '$net' ORDER BY box_id;" \
  "SELECT name, mount_point, size_limit FROM volumes WHERE name = '$vol';"
echo

run network rm "$net" --force
run volume rm "$vol" --force
run migrate verify
echo "tour done: $net and $vol created and removed in $home"
