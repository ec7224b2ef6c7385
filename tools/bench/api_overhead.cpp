// bench --api-overhead: what one call costs through the C API (a3s_store.h:
// JSON text out, a malloc'd string, a status) over the same call through the
// C++ API, on one home with the same records. Both stores are opened with
// synchronous=normal so that a commit's fsync does not drown the
// difference. Rounds alternate C++ and C, and each side keeps its best round.
#include <a3s_store.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "a3s/store/store.hpp"
#include "api_overhead.hpp"

namespace bench {
namespace {

constexpr int kRounds = 3;

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

  // get: the same names in the same order on both sides. connect: C++ on
  // the first half of the networks, C on the second, so each side meets
  // the same fill (two endpoints each to start with).
  const std::size_t half = n / 2;
  Limits connects = writes;  // each /24 has room for 250 more: never run out
  connects.max_ops = std::min(connects.max_ops, half * 240 / kRounds);
  Result best[2][2];  // [op][api]
  for (auto& op : best) {
    for (auto& r : op) r.ns_per_op = 1e18;
  }
  std::uint64_t sink = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int api = 0; api < 2; ++api) {
      const bool use_c = (api + round) % 2 == 1;  // alternate who goes first
      Rng rng(42 + round);
      const Result get = measure(reads, [&](std::size_t) {
        const std::string network = network_name(rng.below(n));
        if (use_c) {
          sink += c_json(a3s_network_get(c.handle, network.c_str(), &out), &out).size();
        } else {
          sink += networks.get(network)->endpoints.size();
        }
      });
      const Result connect = measure(connects, [&](std::size_t i) {
        const std::string box = "r" + std::to_string(round) + "-" + std::to_string(i);
        const std::string network = network_name((use_c ? half : 0) + i % half);
        if (use_c) {
          sink += c_json(a3s_network_connect(c.handle, network.c_str(), box.c_str(), "bench-box",
                                             "[]", &out),
                         &out)
                      .size();
        } else {
          sink += networks.connect(network, box, "bench-box").ip_address.size();
        }
      });
      const int side = use_c ? 1 : 0;
      if (get.ns_per_op < best[0][side].ns_per_op) best[0][side] = get;
      if (connect.ns_per_op < best[1][side].ns_per_op) best[1][side] = connect;
    }
  }

  std::printf("C API overhead: %zu networks, synchronous=normal, best of %d rounds\n", n, kRounds);
  std::printf("%-16s %12s %12s %10s %8s\n", "op", "C++ ns/op", "C ns/op", "C - C++", "C / C++");
  const char* ops[2] = {"network.get", "network.connect"};
  for (int op = 0; op < 2; ++op) {
    const double cxx_ns = best[op][0].ns_per_op;
    const double c_ns = best[op][1].ns_per_op;
    std::printf("%-16s %12s %12s %10.0f %7.2fx\n", ops[op], format_ns(cxx_ns).c_str(),
                format_ns(c_ns).c_str(), c_ns - cxx_ns, c_ns / cxx_ns);
  }
  return sink > 0 ? 0 : 1;
}

}  // namespace bench
