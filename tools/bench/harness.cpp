#include "harness.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <latch>
#include <map>
#include <thread>

namespace bench {
namespace {

constexpr int kWarmupOps = 3;
constexpr auto kWarmupTime = std::chrono::milliseconds(50);

std::uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

int op_rank(const std::string& op) {
  static const std::vector<std::string> order = {
      "network.get", "network.create", "network.connect",     "volume.attach",
      "volume.list", "snapshot.count", "snapshot.total_size", "image.get",
      "image.evict", "cli.network_ls", "memory.network_list", "boxes.start",
      "boxes.stop"};
  const auto it = std::find(order.begin(), order.end(), op);
  return static_cast<int>(it - order.begin());
}

int impl_rank(const std::string& impl) {
  if (impl == "json-file-2.4.0") return 0;
  if (impl == "sqlite-raw") return 1;
  if (impl == "a3s") return 2;
  if (impl == "a3s-etcd") return 3;
  return 4;
}

std::string with_commas(std::uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[i];
    if ((n - i - 1) % 3 == 0 && i + 1 < n) out += ',';
  }
  return out;
}

std::string ratio(double num, double den) {
  if (den <= 0 || num <= 0) return "-";
  const double r = num / den;
  char buf[32];
  if (r >= 100) {
    std::snprintf(buf, sizeof buf, "%.0fx", r);
  } else if (r >= 10) {
    std::snprintf(buf, sizeof buf, "%.1fx", r);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fx", r);
  }
  return buf;
}

// The ops measured between `start` and `end`, one latency each (sorted in
// place for the p99).
Result result_of(std::vector<std::uint64_t>& latencies, Clock::time_point start,
                 Clock::time_point end) {
  Result r;
  r.ops = latencies.size();
  r.ns_per_op =
      r.ops ? static_cast<double>(ns_between(start, end)) / static_cast<double>(r.ops) : 0;
  r.p99_ns = p99_of(latencies);
  return r;
}

}  // namespace

std::string format_ns(double ns) {
  return with_commas(static_cast<std::uint64_t>(std::llround(ns)));
}

double percentile_of(std::vector<std::uint64_t>& latencies, double q) {
  if (latencies.empty()) return 0;
  std::sort(latencies.begin(), latencies.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies.size())));
  return static_cast<double>(latencies[std::clamp<std::size_t>(rank, 1, latencies.size()) - 1]);
}

double p99_of(std::vector<std::uint64_t>& latencies) { return percentile_of(latencies, 0.99); }

Result measure(const Limits& limits, const std::function<void(std::size_t)>& op,
               const Backend* backend) {
  std::size_t index = 0;
  const auto warm_start = Clock::now();
  for (int i = 0; i < kWarmupOps && Clock::now() - warm_start < kWarmupTime; ++i) op(index++);

  std::vector<std::uint64_t> latencies;
  latencies.reserve(std::min<std::size_t>(limits.max_ops, 1 << 20));
  std::uint64_t own_total = 0;  // the backend's own figures, summed
  bool own_timing = false;
  const auto start = Clock::now();
  auto last = start;
  for (std::size_t i = 0; i < limits.max_ops; ++i) {
    const auto t0 = Clock::now();
    op(index++);
    last = Clock::now();
    const auto own = backend ? backend->last_op_ns() : std::nullopt;
    own_timing = own.has_value();
    latencies.push_back(own ? *own : ns_between(t0, last));
    own_total += latencies.back();
    if (last - start >= limits.max_time) break;
  }
  if (!own_timing) return result_of(latencies, start, last);
  Result r;
  r.ops = latencies.size();
  r.ns_per_op = r.ops ? static_cast<double>(own_total) / static_cast<double>(r.ops) : 0;
  r.p99_ns = p99_of(latencies);
  return r;
}

Result measure_threads(Backend& base, int threads, const Limits& limits,
                       const std::function<void(Backend&, Rng&)>& op) {
  std::vector<std::unique_ptr<Backend>> backends;
  for (int t = 0; t < threads; ++t) backends.push_back(base.for_another_thread());
  std::vector<std::vector<std::uint64_t>> latencies(static_cast<std::size_t>(threads));
  std::vector<Clock::time_point> ends(static_cast<std::size_t>(threads));
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  std::latch ready(threads + 1);
  std::latch go(1);
  Clock::time_point start;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const auto k = static_cast<std::size_t>(t);
      Rng rng(1000 + k);
      try {
        for (int i = 0; i < kWarmupOps; ++i) op(*backends[k], rng);
      } catch (...) {
        errors[k] = std::current_exception();
      }
      ready.count_down();
      go.wait();
      if (errors[k]) return;
      auto& lat = latencies[k];
      lat.reserve(std::min<std::size_t>(limits.max_ops, 1 << 20));
      try {
        for (std::size_t i = 0; i < limits.max_ops; ++i) {
          const auto t0 = Clock::now();
          op(*backends[k], rng);
          ends[k] = Clock::now();
          const auto own = backends[k]->last_op_ns();
          lat.push_back(own ? *own : ns_between(t0, ends[k]));
          if (ends[k] - start >= limits.max_time) break;
        }
      } catch (...) {
        errors[k] = std::current_exception();
      }
    });
  }
  ready.arrive_and_wait();
  start = Clock::now();
  go.count_down();
  for (auto& w : workers) w.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  std::vector<std::uint64_t> all;
  Clock::time_point end = start;
  for (std::size_t k = 0; k < latencies.size(); ++k) {
    all.insert(all.end(), latencies[k].begin(), latencies[k].end());
    end = std::max(end, ends[k]);
  }
  return result_of(all, start, end);
}

const Row* find_row(const std::vector<Row>& rows, const std::string& op, const std::string& impl,
                    std::size_t records, const std::string& durability, int threads,
                    const std::string& mode) {
  for (const auto& r : rows) {
    if (r.op == op && r.impl == impl && r.records == records && r.threads == threads &&
        r.mode == mode && r.note.empty() &&
        (impl == "json-file-2.4.0" || r.durability == durability)) {
      return &r;
    }
  }
  return nullptr;
}

void print_table(const std::vector<Row>& input) {
  std::vector<const Row*> rows;
  for (const auto& r : input) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](const Row* a, const Row* b) {
    const auto key = [](const Row* r) {
      return std::make_tuple(op_rank(r->op), r->records, r->mode, r->threads, impl_rank(r->impl),
                             r->durability);
    };
    return key(a) < key(b);
  });

  const std::vector<std::string> header = {"op",       "impl",    "records", "durability",
                                           "threads",  "ns/op",   "p99",     "ops",
                                           "json/a3s", "a3s/raw", "etcd/a3s"};
  std::vector<std::vector<std::string>> cells;
  for (const Row* r : rows) {
    std::string threads = std::to_string(r->threads) + (r->mode == "processes" ? "p" : "");
    std::string vs_json = "";
    std::string vs_raw = "";
    std::string vs_a3s = "";
    if (r->impl == "a3s-etcd" && r->note.empty()) {
      if (const Row* a = find_row(input, r->op, "a3s", r->records, "full", r->threads, r->mode)) {
        vs_a3s = ratio(r->result.ns_per_op, a->result.ns_per_op);
      }
    }
    if (r->impl == "a3s" && r->note.empty()) {
      if (const Row* j = find_row(input, r->op, "json-file-2.4.0", r->records, r->durability,
                                  r->threads, r->mode)) {
        vs_json = ratio(j->result.ns_per_op, r->result.ns_per_op);
      }
      if (const Row* raw = find_row(input, r->op, "sqlite-raw", r->records, r->durability,
                                    r->threads, r->mode)) {
        vs_raw = ratio(r->result.ns_per_op, raw->result.ns_per_op);
      }
    }
    if (!r->note.empty()) {
      cells.push_back({r->op, r->impl, std::to_string(r->records), r->durability, threads, "n/a",
                       "", "", "", "", r->note});
    } else {
      cells.push_back({r->op, r->impl, std::to_string(r->records), r->durability, threads,
                       format_ns(r->result.ns_per_op), format_ns(r->result.p99_ns),
                       std::to_string(r->result.ops), vs_json, vs_raw, vs_a3s});
    }
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : cells) {
      if (c + 1 < header.size() || row[c].size() < 40) width[c] = std::max(width[c], row[c].size());
    }
  }
  const auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool left = c < 2 || c == 3;
      const std::size_t pad = width[c] > row[c].size() ? width[c] - row[c].size() : 0;
      if (left) {
        line += row[c] + std::string(pad, ' ');
      } else {
        line += std::string(pad, ' ') + row[c];
      }
      if (c + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << '\n';
  };
  print(header);
  std::string rule;
  for (std::size_t c = 0; c < header.size(); ++c) rule += std::string(width[c], '-') + "  ";
  std::cout << rule.substr(0, rule.size() - 2) << '\n';
  int last_op = -1;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (last_op != -1 && op_rank(rows[i]->op) != last_op) std::cout << '\n';
    last_op = op_rank(rows[i]->op);
    print(cells[i]);
  }
  std::cout
      << "(ns/op and p99 in nanoseconds; json/a3s = json-file-2.4.0 ns / a3s ns, i.e. how "
         "many times faster a3s is\n (json-file-2.4.0 never fsyncs: durability none, compared "
         "with a3s FULL and NORMAL both);\n a3s/raw = a3s ns / sqlite-raw ns, i.e. the engine's "
         "cost "
         "over the floor;\n etcd/a3s = a3s-etcd ns / a3s FULL ns, a 3-member etcd cluster on "
         "loopback, which hides network latency; threads 'Np' = N processes)\n";
  std::cout.flush();
}

nlohmann::json rows_to_json(const std::vector<Row>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = {
        {"op", r.op},
        {"impl", r.impl},
        {"records", r.records},
        {"durability", r.durability},
        {"threads", r.threads},
        {"ns_per_op", r.note.empty() ? nlohmann::json(r.result.ns_per_op) : nullptr},
        {"p99_ns", r.note.empty() ? nlohmann::json(r.result.p99_ns) : nullptr},
        {"ops", r.result.ops}};
    if (!r.mode.empty()) j["mode"] = r.mode;
    for (const auto& [k, v] : r.extra.items()) j[k] = v;
    if (!r.note.empty()) j["note"] = r.note;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace bench
