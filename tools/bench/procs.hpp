// Measurements that run other processes (see procs.cpp).
#pragma once

#include <string>
#include <vector>

#include "bench.hpp"
#include "harness.hpp"

namespace bench {

// Writes all of `data` to `fd`, retrying on EINTR; stops at another error
// (the reader is gone, and the caller finds out from the reader's side).
void write_all(int fd, const void* data, std::size_t size);

struct Spawned {
  int exit_code = -1;  // -2: killed at the timeout
  std::uint64_t wall_ns = 0;
  long maxrss_kb = 0;
  std::string out;  // stdout when captured
  std::string err;  // stderr, first KiB
};

// Runs argv[0] (a path; no shell) by posix_spawn (vfork-like: no copy of this
// big process), stdout captured or sent to /dev/null, stderr captured, and
// reaps it; killed after `timeout`.
Spawned spawn(const std::vector<std::string>& argv, bool capture_stdout,
              std::chrono::seconds timeout);

// `processes` forked processes, each with its own backend, connect boxes to
// one /16 network at once (a3s or json-file-2.4.0), each within `limits`.
// ns_per_op is wall time / total ops; extra: ops_per_s, verified (every
// endpoint kept, no IP shared) — for json-file-2.4.0 instead lost_updates,
// shared_ips and a finding text, which never fail the run (they are 2.4.0's).
Row run_multiprocess_connect(Impl impl, Durability durability, std::size_t records,
                             const Limits& limits, int processes);

// Wall time of a cold `a3s-store network ls` on a `records`-network home vs
// the sqlite3 shell selecting the same columns (median of `runs`).
std::vector<Row> run_cold_cli(const fs::path& cli, std::size_t records, int runs,
                              std::vector<std::string>& notes);

// Peak RSS of a fresh child process listing every network of a
// `records`-network home, for each implementation (json-file-2.4.0: its
// server process).
std::vector<Row> run_memory(const fs::path& self, std::size_t records,
                            std::vector<std::string>& notes);

// The child side of run_memory (a3s, sqlite-raw): prints "baseline_kb
// peak_kb list_ns count".
int memory_child(const fs::path& home, const std::string& impl);

}  // namespace bench
