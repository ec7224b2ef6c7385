// The volume store on a real 3-member etcd cluster on loopback: what etcd
// makes different from SQLite (the SPEC §4 behaviour itself is the volume
// store tests', run on both backends). prune racing attaches from another
// client, prune of more volumes than one etcd txn list holds, two hosts
// (two stores on one home) creating one volume, and `migrate` on etcd
// through the CLI. Skipped (exit 77) when etcd is not installed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "etcd_catalog_records.hpp"
#include "etcd_client.hpp"
#include "etcd_cluster.hpp"
#include "etcd_keyspace.hpp"
#include "etcd_volume_store.hpp"
#include "store_assertions.hpp"

using namespace a3s::store;
using namespace a3s::store::detail;
using a3s::test::EtcdCluster;
using a3s::test::minimal_volume;
using a3s::test::TempDir;

namespace {

// One cluster for every case: none stops a member. etcd's fsyncs are
// skipped: durability is not under test here.
EtcdCluster& cluster() {
  static EtcdCluster shared(true);
  return shared;
}

// A namespace no other case uses.
std::string fresh_namespace() {
  static int next = 0;
  return "vol-test-" + std::to_string(++next);
}

std::unique_ptr<KvClient> gateway_client() {
  GatewayOptions options;
  options.endpoints = cluster().endpoints();
  return make_gateway_client(std::move(options));
}

std::string store_url(const std::string& name_space) {
  std::string url = "etcd://";
  for (const auto& endpoint : cluster().endpoints()) {
    url += (url.size() > 7 ? "," : "") + endpoint;
  }
  return url + "/" + name_space;
}

// How many deletions of keys under `prefix` a txn holds, nested txns
// included.
std::size_t deletions_under(const TxnRequest& txn, const std::string& prefix) {
  std::size_t count = 0;
  for (const RequestOp& op : txn.success) {
    if (const auto* erase = std::get_if<DeleteRangeRequest>(&op.op)) {
      if (erase->key.starts_with(prefix)) ++count;
    } else if (const auto* nested = std::get_if<TxnRequest>(&op.op)) {
      count += deletions_under(*nested, prefix);
    }
  }
  return count;
}

// A KvClient that hands each txn to `before_txn` before forwarding it: what
// another client does between a store's plan and its commit. `before_txn`
// may throw to fail the request as the cluster would.
class HookedClient final : public KvClient {
 public:
  explicit HookedClient(std::unique_ptr<KvClient> inner) : inner_(std::move(inner)) {}
  std::function<void(const TxnRequest&)> before_txn;

  RangeResponse range(const RangeRequest& r) override { return inner_->range(r); }
  PutResponse put(const PutRequest& r) override { return inner_->put(r); }
  DeleteRangeResponse delete_range(const DeleteRangeRequest& r) override {
    return inner_->delete_range(r);
  }
  TxnResponse txn(const TxnRequest& t) override {
    if (before_txn) before_txn(t);
    return inner_->txn(t);
  }
  LeaseGrant lease_grant(std::int64_t ttl) override { return inner_->lease_grant(ttl); }
  void lease_revoke(std::int64_t id) override { inner_->lease_revoke(id); }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<KvClient> inner_;
};

// One host's volume store on a namespace: its own client, keyspace and
// catalog records, on `home`.
struct Host {
  Host(const std::string& name_space, const std::filesystem::path& home)
      : client(new HookedClient(gateway_client())),
        space(std::unique_ptr<KvClient>(client), name_space),
        records(space),
        volumes(space, records, home) {}
  HookedClient* client;  // owned by space
  EtcdKeyspace space;
  EtcdCatalogRecords records;
  EtcdVolumeStore volumes;
};

std::vector<std::string> names_of(const std::vector<VolumeConfig>& volumes) {
  std::vector<std::string> names;
  for (const auto& v : volumes) names.push_back(v.name);
  return names;
}

std::string numbered(const std::string& prefix, int n) {
  char digits[8];
  std::snprintf(digits, sizeof digits, "%03d", n);
  return prefix + digits;
}

}  // namespace

int main(int argc, char** argv) {
  if (!a3s::test::find_etcd()) {
    std::puts("etcd is not installed (Debian: etcd-server): the etcd volume tests are skipped");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}

TEST_CASE("prune re-plans when another client attaches a volume after its plan") {
  TempDir home;
  const std::string ns = fresh_namespace();
  Host pruner(ns, home.path());
  Host attacher(ns, home.path());
  for (int i = 0; i < 10; ++i) pruner.volumes.create(minimal_volume(numbered("v", i)));

  // Between prune's read and its commit, the other client attaches v007.
  int commits_seen = 0;
  const std::string volume_keys = ns + "/vol/";
  pruner.client->before_txn = [&](const TxnRequest& txn) {
    if (deletions_under(txn, volume_keys) == 0) return;
    if (++commits_seen == 1) attacher.volumes.attach("v007", "box-late");
  };
  const auto pruned = pruner.volumes.prune();
  pruner.client->before_txn = nullptr;

  CHECK(commits_seen == 2);  // the first commit failed its guard, the re-plan committed
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    if (i != 7) expected.push_back(numbered("v", i));
  }
  CHECK(pruned == expected);
  const auto kept = pruner.volumes.get("v007");
  REQUIRE(kept);
  CHECK(kept->in_use_by == std::vector<std::string>{"box-late"});
  CHECK(names_of(attacher.volumes.list()) == std::vector<std::string>{"v007"});
  CHECK(a3s::test::catalog_entries(home.path() / "volumes") == std::vector<std::string>{"v007"});
}

TEST_CASE("prune racing attaches from another client never removes an attached volume") {
  const std::uint32_t seed = a3s::test::seed_from_env("A3S_ETCD_VOLUME_SEED", 1414);
  INFO("seed " << seed << " (A3S_ETCD_VOLUME_SEED)");
  std::printf("prune racing attach: seed %u\n", seed);
  std::mt19937 random(seed);
  TempDir home;
  const std::string ns = fresh_namespace();
  Host pruner(ns, home.path());
  Host attacher(ns, home.path());
  constexpr int kVolumes = 40;
  std::vector<std::string> order;
  for (int i = 0; i < kVolumes; ++i) {
    order.push_back(numbered("r", i));
    pruner.volumes.create(minimal_volume(order.back()));
  }
  // Half of them, in a random order, get attached; the other half never.
  std::shuffle(order.begin(), order.end(), random);
  const std::vector<std::string> never(order.begin() + kVolumes / 2, order.end());
  order.resize(kVolumes / 2);

  // Each attach that returned: the volume existed and has the box; each
  // not_found: a prune had removed it first. The pruner prunes until the
  // attacher's one pass is over, then once more.
  std::vector<std::string> attached, missed, pruned, failures;
  std::atomic<bool> attaching_done = false;
  // The prune commits sent: each beyond one per prune was a re-plan.
  int prune_commits = 0;
  const std::string volume_keys = ns + "/vol/";
  pruner.client->before_txn = [&](const TxnRequest& txn) {
    if (deletions_under(txn, volume_keys) > 0) ++prune_commits;
  };
  std::latch start(2);
  std::thread attaching([&] {
    start.arrive_and_wait();
    for (const auto& name : order) {
      try {
        attacher.volumes.attach(name, "box-" + name);
        attached.push_back(name);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::not_found) {
          missed.push_back(name);
        } else {
          failures.push_back(name + ": " + e.what());
        }
      }
    }
    attaching_done = true;
  });
  start.arrive_and_wait();
  int prunes = 0;
  bool last = false;
  std::string prune_failure;
  while (!last) {
    last = attaching_done;
    try {
      const auto removed = pruner.volumes.prune();
      ++prunes;
      pruned.insert(pruned.end(), removed.begin(), removed.end());
    } catch (const Error& e) {
      prune_failure = e.what();
      break;
    }
  }
  attaching.join();
  REQUIRE(prune_failure.empty());
  std::printf(
      "prune racing attach: %d prunes sent %d commits; %zu volumes attached, %zu pruned before "
      "their attach\n",
      prunes, prune_commits, attached.size(), missed.size());

  CHECK(failures.empty());
  const std::set<std::string> pruned_set(pruned.begin(), pruned.end());
  for (const auto& name : attached) {
    INFO(name);
    CHECK(pruned_set.count(name) == 0);
    const auto volume = pruner.volumes.get(name);
    REQUIRE(volume);
    CHECK(volume->in_use_by == std::vector<std::string>{"box-" + name});
  }
  for (const auto& name : missed) CHECK(pruned_set.count(name) == 1);
  for (const auto& name : never) CHECK(pruned_set.count(name) == 1);
  CHECK(attached.size() + missed.size() == order.size());
  CHECK(pruned.size() == missed.size() + never.size());
  std::sort(attached.begin(), attached.end());
  CHECK(names_of(pruner.volumes.list()) == attached);
  CHECK(a3s::test::catalog_entries(home.path() / "volumes") == attached);
}

TEST_CASE("prune of 200 volumes is one transaction: all of them or none") {
  TempDir home;
  const std::string ns = fresh_namespace();
  Host host(ns, home.path());
  constexpr int kUnused = 200;
  for (int i = 0; i < kUnused; ++i) host.volumes.create(minimal_volume(numbered("p", i)));
  host.volumes.create(minimal_volume("used"));
  host.volumes.attach("used", "box-1");

  const std::string volume_keys = ns + "/vol/";
  SECTION("a commit the cluster refuses removes none of them") {
    host.client->before_txn = [&](const TxnRequest& txn) {
      if (deletions_under(txn, volume_keys) > 0) {
        throw EtcdError(ErrorCode::invalid_argument, EtcdError::Kind::refused,
                        "refused by the test");
      }
    };
    REQUIRE_STORE_ERROR(host.volumes.prune(), ErrorCode::invalid_argument, "refused by the test");
    host.client->before_txn = nullptr;
    CHECK(host.volumes.list().size() == kUnused + 1);
    CHECK(a3s::test::catalog_entries(home.path() / "volumes").size() == kUnused + 1);
  }
  SECTION("a commit that applies removes every one of them at once") {
    std::vector<std::size_t> commits;  // the vol/ deletions of each commit sent
    host.client->before_txn = [&](const TxnRequest& txn) {
      if (const auto n = deletions_under(txn, volume_keys)) commits.push_back(n);
    };
    const auto pruned = host.volumes.prune();
    host.client->before_txn = nullptr;
    std::printf("prune of %d volumes: %zu commit(s), %zu deletions of vol/ keys in the first\n",
                kUnused, commits.size(), commits.empty() ? 0 : commits.front());
    CHECK(commits == std::vector<std::size_t>{kUnused});
    CHECK(pruned.size() == kUnused);
    CHECK(names_of(host.volumes.list()) == std::vector<std::string>{"used"});
    CHECK(a3s::test::catalog_entries(home.path() / "volumes") == std::vector<std::string>{"used"});
    CHECK(a3s::test::staging_leftovers(home.path()).empty());
  }
}

TEST_CASE("two hosts creating one volume on a shared home: one wins and owns the directory") {
  TempDir home;
  const std::string url = store_url(fresh_namespace());
  Options options = a3s::test::options_for(home.path());
  options.store = url;
  auto host_a = Store::open(options);
  auto host_b = Store::open(options);
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = numbered("shared", round);
    std::optional<VolumeConfig> won[2];
    std::optional<ErrorCode> lost[2];
    std::latch start(2);
    auto create = [&](int host, Store& store) {
      VolumeConfig config = minimal_volume(name);
      config.labels["host"] = host == 0 ? "a" : "b";
      start.arrive_and_wait();
      try {
        won[host] = store.volumes().create(config);
      } catch (const Error& e) {
        lost[host] = e.code();
      }
    };
    std::thread other([&] { create(1, *host_b); });
    create(0, *host_a);
    other.join();

    INFO(name);
    REQUIRE(won[0].has_value() != won[1].has_value());
    const int winner = won[0] ? 0 : 1;
    CHECK(lost[1 - winner] == ErrorCode::already_exists);
    const auto stored = host_b->volumes().get(name);
    REQUIRE(stored);
    CHECK(*stored == *won[winner]);
    CHECK(stored->labels.at("host") == (winner == 0 ? "a" : "b"));
    CHECK(stored->mount_point == (home.path() / "volumes" / name).string());
  }
  std::vector<std::string> expected;
  for (int round = 0; round < kRounds; ++round) expected.push_back(numbered("shared", round));
  CHECK(a3s::test::catalog_entries(home.path() / "volumes") == expected);
  CHECK(a3s::test::staging_leftovers(home.path()).empty());
  // Each directory is its record's: neither host finds one to report.
  CHECK(host_a->check().clean());
  // A host that lost the race removes the winner's volume like any other.
  host_b->volumes().remove(numbered("shared", 0));
  CHECK_FALSE(host_a->volumes().get(numbered("shared", 0)));
  CHECK(a3s::test::catalog_entries(home.path() / "volumes").size() == kRounds - 1);
}

TEST_CASE("migrate on etcd reads and sets the namespace's key layout version") {
  TempDir home;
  const std::string ns = fresh_namespace();
  const std::string url = store_url(ns);
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home.path().string(), "--store", url});
    return a3s::test::run_cli(args);
  };

  // A namespace no store has opened: nothing set, and status writes nothing.
  auto status = cli({"--json", "migrate", "status"});
  REQUIRE(status.exit_code == 0);
  auto json = nlohmann::json::parse(status.out);
  CHECK(json["exists"] == false);
  CHECK(json["current"] == 0);
  CHECK(json["latest"] == 1);
  CHECK(json["pending"].size() == 1);
  auto verify = cli({"migrate", "verify"});
  CHECK(verify.exit_code == 1);
  CHECK(verify.err.find("namespace '" + ns + "' has no key layout version") != std::string::npos);

  auto dry = cli({"migrate", "up", "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out.find("would migrate " + url + " from version 0 to 1") != std::string::npos);
  CHECK(nlohmann::json::parse(cli({"--json", "migrate", "status"}).out)["current"] == 0);

  auto up = cli({"migrate", "up"});
  REQUIRE(up.exit_code == 0);
  CHECK(up.out.find("migrated " + url + " from version 0 to 1") != std::string::npos);
  json = nlohmann::json::parse(cli({"--json", "migrate", "status"}).out);
  CHECK(json["exists"] == true);
  CHECK(json["current"] == 1);
  CHECK(json["pending"].empty());
  CHECK(cli({"migrate", "verify"}).exit_code == 0);
  CHECK(cli({"migrate", "up"}).out.find("is already at version 1") != std::string::npos);

  // A layout newer than this engine's: refused by migrate and by an open.
  gateway_client()->put({ns + "/meta/layout_version", "2"});
  auto too_new = cli({"migrate", "verify"});
  CHECK(too_new.exit_code == 1);
  CHECK(too_new.err.find("has key layout version 2") != std::string::npos);
  Options options = a3s::test::options_for(home.path());
  options.store = url;
  REQUIRE_STORE_ERROR(Store::open(options), ErrorCode::schema_too_new, "key layout version 2");
}

TEST_CASE("backup and restore on etcd say they are SQLite's and name the cluster") {
  TempDir home;
  const std::string ns = fresh_namespace();
  Options options = a3s::test::options_for(home.path());
  options.store = store_url(ns);
  auto store = Store::open(options);
  REQUIRE_STORE_ERROR(store->backup(home.path() / "copy.db"), ErrorCode::invalid_argument,
                      "`backup` is SQLite's; this store is on etcd cluster '");
  REQUIRE_STORE_ERROR(store->restore(home.path() / "copy.db"), ErrorCode::invalid_argument,
                      "namespace '" + ns + "' (use `etcdctl snapshot restore`)");
  CHECK_FALSE(std::filesystem::exists(home.path() / "copy.db"));
}
