// bench --api-overhead: what one call costs through the C API (a3s_store.h:
// JSON text out, a malloc'd string, a status) over the same call through the
// C++ API, on one home with the same records. Both stores are opened with
// synchronous=normal so that a commit's fsync does not drown the
// difference. The two APIs take turns op by op (who goes first alternating)
// and each side reports its median, so a busy machine slows both alike.
#include <a3s_store.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "a3s/store/store.hpp"
#include "api_overhead.hpp"

namespace bench {
namespace {

struct CStore {
  a3s_store* handle = nullptr;
  ~CStore() { a3s_close(handle); }
};

// A C call that must succeed; returns the JSON it wrote to `*json` (freed
// here: it is read only once the call has run).
std::string c_json(a3s_status status, char** json) {
  if (status != A3S_OK) throw std::runtime_error(std::string("C API: ") + a3s_last_error());
  std::string text = *json;
  a3s_free(*json);
  return text;
}

double median(std::vector<std::uint64_t>& ns) {
  std::sort(ns.begin(), ns.end());
  return ns.empty() ? 0 : static_cast<double>(ns[ns.size() / 2]);
}

// Runs `cxx(i)` and `c(i)` in turns within `limits` and returns their
// median latencies in ns: {C++, C}.
template <typename Cxx, typename C>
std::pair<double, double> in_turns(const Limits& limits, Cxx&& cxx, C&& c) {
  std::vector<std::uint64_t> times[2];
  const auto deadline = Clock::now() + limits.max_time;
  for (std::size_t i = 0; i < limits.max_ops && Clock::now() < deadline; ++i) {
    for (int k = 0; k < 2; ++k) {
      const int side = (i + k) % 2;  // 0: C++, 1: C
      const auto start = Clock::now();
      side == 0 ? cxx(i) : c(i);
      times[side].push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    }
  }
  return {median(times[0]), median(times[1])};
}

}  // namespace

int run_api_overhead(std::size_t n, const Limits& reads, const Limits& writes) {
  if (n < 2) throw std::runtime_error("--api-overhead needs at least 2 networks");
  TempDir tmp("api-overhead");
  const fs::path home = tmp.path() / "home";
  CatalogSpec spec;
  spec.networks = n;
  populate_home(Impl::a3s, home, spec);

  a3s::store::Options options;
  options.home = home;
  options.durability = Durability::normal;
  const auto cxx = a3s::store::Store::open(options);
  auto& networks = cxx->networks();
  CStore c;
  if (a3s_open(home.c_str(), R"({"synchronous":"normal"})", &c.handle) != A3S_OK) {
    throw std::runtime_error(std::string("a3s_open: ") + a3s_last_error());
  }

  // Both APIs read the same record alike.
  char* out = nullptr;
  const std::string name = network_name(0);
  if (c_json(a3s_network_get(c.handle, name.c_str(), &out), &out) !=
      a3s::store::to_json_text(*networks.get(name))) {
    std::fprintf(stderr, "bench: the C API's network get differs from the C++ API's\n");
    return 1;
  }

  std::uint64_t sink = 0;
  // get: the same network for both in each turn.
  Rng rng(42);
  std::string target;
  const auto get = in_turns(
      reads,
      [&](std::size_t) {
        target = network_name(rng.below(n));
        sink += networks.get(target)->endpoints.size();
      },
      [&](std::size_t) {
        sink += c_json(a3s_network_get(c.handle, target.c_str(), &out), &out).size();
      });
  // connect: C++ on the first half of the networks, C on the second, each
  // network meeting the same fill on both sides (two endpoints to start
  // with, room for 250 more in its /24).
  const std::size_t half = n / 2;
  Limits connects = writes;
  connects.max_ops = std::min(connects.max_ops, half * 240);
  const auto connect = in_turns(
      connects,
      [&](std::size_t i) {
        const std::string box = "cxx-" + std::to_string(i);
        sink += networks.connect(network_name(i % half), box, "bench-box").ip_address.size();
      },
      [&](std::size_t i) {
        const std::string box = "c-" + std::to_string(i);
        const std::string network = network_name(half + i % half);
        sink += c_json(a3s_network_connect(c.handle, network.c_str(), box.c_str(), "bench-box",
                                           "[]", &out),
                       &out)
                    .size();
      });

  std::printf("C API overhead: %zu networks, synchronous=normal, median of each\n", n);
  std::printf("%-16s %12s %12s %10s %8s\n", "op", "C++ ns/op", "C ns/op", "C - C++", "C / C++");
  for (const auto& [op, times] : {std::pair{"network.get", get}, {"network.connect", connect}}) {
    std::printf("%-16s %12s %12s %10.0f %7.2fx\n", op, format_ns(times.first).c_str(),
                format_ns(times.second).c_str(), times.second - times.first,
                times.second / times.first);
  }
  return sink > 0 ? 0 : 1;
}

}  // namespace bench
