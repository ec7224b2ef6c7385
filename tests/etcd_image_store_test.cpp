// The snapshot and image stores on etcd where a cluster differs from one
// SQLite file: several clients (hosts) sharing one namespace and one home.
// What SPEC §4 asks of the stores is the conformance suite's (the snapshot
// and image tests run on etcd); these check what only concurrent clients of
// one cluster can break: an evict racing a get of its victim, the running
// totals under concurrent saves and removes, and two hosts putting one
// digest. Skipped (exit 77) when etcd is not installed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <barrier>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "etcd_catalog_records.hpp"
#include "etcd_cluster.hpp"
#include "etcd_image_store.hpp"
#include "etcd_keyspace.hpp"
#include "etcd_snapshot_store.hpp"
#include "fault_injection.hpp"
#include "minimal_records.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace a3s::store;
using namespace a3s::store::detail;
using a3s::test::EtcdCluster;
using a3s::test::TempDir;

namespace {

// Durability is not under test here: etcd's fsyncs are skipped.
EtcdCluster& cluster() {
  static EtcdCluster shared(true);
  return shared;
}

// One host's view of a namespace: its own client, keyspace and stores, on a
// home that other hosts may share.
struct Host {
  Host(const fs::path& home, const std::string& name_space, std::uint64_t cache_cap = 1 << 30)
      : space(make_gateway_client({cluster().endpoints()}), name_space),
        records(space),
        snapshots(space, records, home),
        images(space, records, home, cache_cap) {}
  EtcdKeyspace space;
  EtcdCatalogRecords records;
  EtcdSnapshotStore snapshots;
  EtcdImageStore images;
};

// A namespace no other test case uses.
std::string fresh_namespace() {
  static int cases = 0;
  return "etcd-image-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(++cases);
}

std::string digest_of(char c) { return "sha256:" + std::string(64, c); }

// A layout (or rootfs) source of one regular file of `bytes` bytes.
fs::path make_source(const fs::path& dir, const std::string& name, std::size_t bytes) {
  const fs::path source = dir / name;
  fs::create_directories(source);
  a3s::test::write_file(source / "blob", std::string(bytes, 'x'));
  return source;
}

// Removes the fault hook when the test ends, however it ends.
struct HookGuard {
  ~HookGuard() { set_fault_hook({}); }
};

}  // namespace

int main(int argc, char** argv) {
  if (!a3s::test::find_etcd()) {
    std::puts(
        "etcd is not installed (Debian: etcd-server): the etcd image store tests are skipped");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}

TEST_CASE(
    "an evict racing a get of its victim from another client keeps the image used after the plan") {
  TempDir tmp;
  const std::string name_space = fresh_namespace();
  Host evicting(tmp.path() / "home", name_space);
  Host using_host(tmp.path() / "home", name_space);
  // "old" is the least recently used, so the first plan evicts it; a cap of
  // 150 bytes keeps one of the two 100-byte layouts.
  evicting.images.put("old", digest_of('a'), make_source(tmp.path(), "a", 100));
  evicting.images.put("new", digest_of('b'), make_source(tmp.path(), "b", 100));

  HookGuard unhook;
  int plans = 0;
  set_fault_hook([&](std::string_view point) {
    if (point != "image.evict.before_commit") return;
    // Between the first plan and its commit, another client uses "old".
    if (++plans == 1) REQUIRE(using_host.images.get("old").has_value());
  });
  const auto evicted = evicting.images.evict(150);
  set_fault_hook({});

  CHECK(plans == 2);  // the first plan's commit failed on imgused/old
  CHECK(evicted == std::vector<std::string>{"new"});
  const auto kept = evicting.images.list();
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].reference == "old");
  CHECK(fs::is_directory(evicting.images.layout_of(digest_of('a'))));
  CHECK_FALSE(fs::exists(evicting.images.layout_of(digest_of('b'))));
  CHECK(evicting.images.total_size() == 100);
}

TEST_CASE("count and total_size stay equal to the records under concurrent saves and removes") {
  const std::uint32_t seed = a3s::test::seed_from_env("A3S_ETCD_SNAPSHOT_SEED", 14);
  std::printf("seed %u (A3S_ETCD_SNAPSHOT_SEED)\n", seed);
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const std::string name_space = fresh_namespace();
  const std::vector<fs::path> sources = {make_source(tmp.path(), "s0", 0),
                                         make_source(tmp.path(), "s1", 1000),
                                         make_source(tmp.path(), "s2", 3000)};
  constexpr int kClients = 2;
  constexpr int kOperations = 25;
  std::vector<std::unique_ptr<Host>> hosts;
  for (int i = 0; i < kClients; ++i) hosts.push_back(std::make_unique<Host>(home, name_space));
  std::vector<int> saved(kClients), taken(kClients), removed(kClients), pruned(kClients);
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 random(seed + c);
      auto& snapshots = hosts[c]->snapshots;
      try {
        for (int op = 0; op < kOperations; ++op) {
          // Few IDs, so that the two clients keep meeting on the same ones.
          const std::string id = "s" + std::to_string(random() % 6);
          switch (random() % 5) {
            case 0:
            case 1:
            case 2:
              try {
                snapshots.save(a3s::test::minimal_snapshot(id), sources[random() % sources.size()]);
                ++saved[c];
              } catch (const Error& e) {
                if (e.code() != ErrorCode::already_exists) throw;
                ++taken[c];
              }
              break;
            case 3:
              if (snapshots.remove(id)) ++removed[c];
              break;
            default:
              pruned[c] += static_cast<int>(snapshots.prune(3, 0).size());
          }
        }
      } catch (const std::exception& e) {
        failures[c] = e.what();
      }
    });
  }
  for (auto& client : clients) client.join();
  for (int c = 0; c < kClients; ++c) {
    INFO("client " << c);
    CHECK(failures[c].empty());
    std::printf("client %d: %d saves, %d already taken, %d removes, %d pruned\n", c, saved[c],
                taken[c], removed[c], pruned[c]);
  }
  const auto listed = hosts[0]->snapshots.list();
  std::uint64_t bytes = 0;
  std::vector<std::string> ids;
  for (const auto& s : listed) {
    bytes += s.size_bytes;
    ids.push_back(s.id);
    CHECK(s.size_bytes == a3s::test::regular_file_bytes(home / "snapshots" / s.id / "rootfs"));
  }
  for (const auto& host : hosts) {
    CHECK(host->snapshots.count() == listed.size());
    CHECK(host->snapshots.total_size() == bytes);
  }
  std::sort(ids.begin(), ids.end());
  CHECK(a3s::test::catalog_entries(home / "snapshots") == ids);
  CHECK(a3s::test::staging_leftovers(home).empty());
}

TEST_CASE("two hosts putting the same digest at once keep one layout and both references") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const std::string name_space = fresh_namespace();
  Host first(home, name_space);
  Host second(home, name_space);
  constexpr int kRounds = 4;
  std::vector<std::string> layouts;
  for (int round = 0; round < kRounds; ++round) {
    const std::string digest = digest_of(static_cast<char>('a' + round));
    const fs::path source = make_source(tmp.path(), "layout-" + std::to_string(round), 500 + round);
    std::barrier start(2);
    std::string failure;
    std::thread other([&] {
      start.arrive_and_wait();
      try {
        second.images.put("second:" + std::to_string(round), digest, source);
      } catch (const std::exception& e) {
        failure = e.what();
      }
    });
    start.arrive_and_wait();
    first.images.put("first:" + std::to_string(round), digest, source);
    other.join();
    CHECK(failure.empty());
    layouts.push_back(digest.substr(7));
  }
  const auto images = first.images.list();
  REQUIRE(images.size() == 2 * kRounds);
  std::uint64_t layout_bytes = 0;
  for (int round = 0; round < kRounds; ++round) {
    const auto& a = images[round];            // "first:<round>"
    const auto& b = images[kRounds + round];  // "second:<round>"
    CHECK(a.reference == "first:" + std::to_string(round));
    CHECK(b.reference == "second:" + std::to_string(round));
    CHECK(a.digest == b.digest);
    CHECK(a.size_bytes == 500u + round);
    CHECK(b.size_bytes == a.size_bytes);
    CHECK(a.path == b.path);
    layout_bytes += a.size_bytes;
  }
  CHECK(a3s::test::catalog_entries(home / "images" / "sha256") == layouts);
  CHECK(first.images.total_size() == layout_bytes);
  CHECK(second.images.total_size() == layout_bytes);
  CHECK(a3s::test::staging_leftovers(home).empty());
}
