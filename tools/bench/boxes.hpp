// The parallel box-start workload: the runtime's real load, N boxes starting
// at once and then stopping (see boxes.cpp).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "bench.hpp"
#include "harness.hpp"

namespace bench {

// N boxes start at once on one populated home (1,000 records in each
// catalog), each: image get (marks it used), volume get_or_create + attach of
// its own volume, connect to the one shared /16 network; then all stop
// (volume detach, network disconnect). In `mode` threads, N threads of this
// process, each with Backend::for_another_thread(); in `mode` processes, N
// processes, each one box: a3s through the a3s-store CLI, the 2.4.0 baseline
// through its `run` mode, sqlite-raw as forked children with a connection
// each. Returns a `boxes.start` and a `boxes.stop` row (records = threads =
// N; ns_per_op = wall time of the phase / N; p99_ns and extra p50_ns per box;
// extra errors, lost, wall_ns), or one row with a note when the mode cannot
// run for `impl`. Afterwards a fresh backend checks the home: every started
// box has its endpoint (IPs distinct) and its attachment, and after the stop
// neither is left; what is missing is counted as `lost`. An error or a loss
// is a row note "error: ..." for a3s and sqlite-raw; for the baseline it is a
// finding added to `notes`.
std::vector<Row> run_boxes(Impl impl, Durability durability, std::size_t boxes, Mode mode,
                           std::vector<std::string>& notes);

// run_boxes for every N in `box_counts`, implementation `wanted` accepts
// (a3s and sqlite-raw at each of `durabilities`), threads and processes.
std::vector<Row> run_box_workloads(const std::vector<std::size_t>& box_counts,
                                   const std::function<bool(Impl)>& wanted,
                                   const std::vector<Durability>& durabilities,
                                   std::vector<std::string>& notes);

// Prints the workload's rows of `rows` as one table (nothing if none).
void print_boxes_table(const std::vector<Row>& rows);

}  // namespace bench
