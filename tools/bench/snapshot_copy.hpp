// Snapshot save against the shell's copy (see snapshot_copy.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness.hpp"

namespace bench {

// Builds a rootfs-like tree of `total_bytes` (half in many 4-64 KiB files
// in nested directories, half in a few large ones) and measures, on the same
// file system, a3s SnapshotStore::save of it (a fresh home, FULL) against
// `cp -a SRC DST && sync` run as a process. Rows: op "snapshot.save_1gib",
// impl "a3s" and "cp-a+sync", records = files in the tree, ns_per_op = the
// median wall time, p99_ns = the slowest run, extra bytes_per_s and files.
// What could not be measured goes to `notes`, as does the ratio.
std::vector<Row> run_snapshot_copy(std::uint64_t total_bytes, std::vector<std::string>& notes);

}  // namespace bench
