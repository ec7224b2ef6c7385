// The timing harness: run an operation until a count or a time limit,
// per-op latencies, ns/op and p99; and the result rows with their table and
// JSON renderings.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

// Every measuring loop stops at whichever comes first.
struct Limits {
  std::size_t max_ops = 1000;
  std::chrono::nanoseconds max_time = std::chrono::milliseconds(300);
};

struct Result {
  std::uint64_t ops = 0;
  double ns_per_op = 0;  // wall time / ops (aggregate over workers)
  double p99_ns = 0;     // per-op latency, all workers together
};

// Runs `op(index)` up to 3 untimed warm-up times (at most ~50 ms), then
// measures it within `limits`. When `backend` (the one `op` calls) times its
// operations itself (Backend::last_op_ns), each latency is its figure and
// ns_per_op their mean; otherwise latencies are timed here and ns_per_op is
// wall time / ops.
Result measure(const Limits& limits, const std::function<void(std::size_t)>& op,
               const Backend* backend = nullptr);

// Runs `op(backend, rng)` on `threads` threads at once, each with its own
// Backend::for_another_thread() of `base` and its own generator, within
// `limits` each. ns_per_op is wall time / total ops (a throughput, so a
// backend in another process is charged its round trips here); per-op
// latencies are the backend's own figures when it has them.
Result measure_threads(Backend& base, int threads, const Limits& limits,
                       const std::function<void(Backend&, Rng&)>& op);

// The q-quantile (0 < q <= 1) of latencies by the nearest-rank method, 0 for
// none (sorted in place).
double percentile_of(std::vector<std::uint64_t>& latencies, double q);
// p99 of latencies (sorted in place).
double p99_of(std::vector<std::uint64_t>& latencies);

struct Row {
  std::string op;
  std::string impl;
  std::size_t records = 0;
  std::string durability;  // full | normal | none (json-file-2.4.0) | - (not applicable)
  int threads = 1;         // concurrent workers
  std::string mode;        // threads | processes (mode_name), or empty where it does not matter
  Result result;
  nlohmann::json extra = nlohmann::json::object();
  std::string note;  // e.g. an error; result is then meaningless
};

// Prints the aligned table (with a3s ratios vs json-file-2.4.0 and sqlite-raw).
void print_table(const std::vector<Row>& rows);
nlohmann::json rows_to_json(const std::vector<Row>& rows);

// Finds the row for (op, impl, records, durability, threads, mode),
// or nullptr. json-file-2.4.0 rows (durability "none") match any durability,
// so a3s FULL and NORMAL are both compared with them.
const Row* find_row(const std::vector<Row>& rows, const std::string& op, const std::string& impl,
                    std::size_t records, const std::string& durability, int threads = 1,
                    const std::string& mode = "");

std::string format_ns(double ns);

}  // namespace bench
