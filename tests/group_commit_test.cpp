// Group commit (Database::write_grouped): threads of one process writing at
// once share one transaction and its COMMIT, each operation atomic on its
// own, failing alone with its own error, and acknowledged only after the
// commit that holds it. Groups are made to form by fault points, not by
// timing: the first writer's group is held before its COMMIT
// (write.group.before_commit) until every other writer has queued
// (write.group.queued), so those all make the next group together.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "a3s/store/store.hpp"
#include "database.hpp"
#include "fault_injection.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "test_vfs.hpp"
#include "unique_fd.hpp"

using namespace a3s::store;
namespace fs = std::filesystem;
namespace vfs = a3s::test::vfs;

namespace {

constexpr int kWriters = 8;
// Bounds every wait on the gate; running out of it fails the test.
constexpr auto kPatience = std::chrono::seconds(60);

NetworkConfig network(const std::string& name, const std::string& subnet = "10.77.0.0/24") {
  NetworkConfig n;
  n.name = name;
  n.subnet = subnet;
  n.created_at = "2026-01-01T00:00:00Z";
  return n;
}

std::string box(int i) { return "box-" + std::to_string(i); }

// A fault hook that holds the first group's leader before its COMMIT until
// `queued` writers (its own included) have queued, so that the others form
// the next group together. `at_commit(point, group)` then runs at every
// write.group.before_commit and write.group.after_commit in the leader's
// thread, `group` counting groups from 1. No Catch2 assertion runs in the
// hook: it runs in the writers' threads.
class GroupGate {
 public:
  using AtCommit = std::function<void(std::string_view point, int group)>;

  explicit GroupGate(int queued, AtCommit at_commit = {})
      : expected_(queued), at_commit_(std::move(at_commit)) {
    detail::set_fault_hook([this](std::string_view point) { on(point); });
  }
  ~GroupGate() { detail::set_fault_hook({}); }
  GroupGate(const GroupGate&) = delete;
  GroupGate& operator=(const GroupGate&) = delete;

  // Whether the first group's leader is held, after waiting for it.
  bool wait_until_held() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return held_; });
  }
  // Groups that reached their COMMIT.
  int groups() {
    std::lock_guard lock(mutex_);
    return groups_;
  }
  // Whether every writer queued while the first group was held.
  bool all_queued() {
    std::lock_guard lock(mutex_);
    return all_queued_;
  }

 private:
  void on(std::string_view point) {
    if (point == "write.group.queued") {
      std::lock_guard lock(mutex_);
      ++queued_;
      changed_.notify_all();
      return;
    }
    const bool before = point == "write.group.before_commit";
    if (!before && point != "write.group.after_commit") return;
    int group = 0;
    {
      std::unique_lock lock(mutex_);
      if (before) ++groups_;
      group = groups_;
      if (before && group == 1) {
        held_ = true;
        changed_.notify_all();
        all_queued_ = changed_.wait_for(lock, kPatience, [&] { return queued_ >= expected_; });
      }
    }
    if (at_commit_) at_commit_(point, group);
  }

  const int expected_;
  const AtCommit at_commit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int queued_ = 0;
  int groups_ = 0;
  bool held_ = false;
  bool all_queued_ = false;
};

// What one writer's operation came to, seen from its own thread.
struct Outcome {
  std::optional<Error> error;
  std::string other_failure;  // an exception that is not an Error
  bool outcome_unknown = false;
};

Outcome outcome_of(const std::function<void()>& operation) {
  Outcome outcome;
  try {
    operation();
  } catch (const Error& e) {
    outcome.error = e;
  } catch (const std::exception& e) {
    outcome.other_failure = e.what();
  }
  outcome.outcome_unknown = last_commit_outcome_unknown();
  return outcome;
}

// Runs `first` on a thread of its own and, once its group is held at the
// gate, `writer(i)` for each i < kWriters on a thread each, so the writers
// make one group. Returns the writers' outcomes, in index order.
std::vector<Outcome> run_as_one_group(GroupGate& gate, const std::function<void()>& first,
                                      const std::function<void(int)>& writer) {
  Outcome first_outcome;
  std::thread first_thread([&] { first_outcome = outcome_of(first); });
  const bool held = gate.wait_until_held();
  std::vector<Outcome> outcomes(kWriters);
  std::vector<std::thread> threads;
  if (held) {
    for (int i = 0; i < kWriters; ++i) {
      threads.emplace_back([&, i] { outcomes[i] = outcome_of([&] { writer(i); }); });
    }
  }
  for (auto& t : threads) t.join();
  first_thread.join();
  REQUIRE(held);
  REQUIRE(gate.all_queued());
  INFO("first writer: " << (first_outcome.error ? first_outcome.error->what() : "ok"));
  REQUIRE_FALSE(first_outcome.error);
  REQUIRE(first_outcome.other_failure.empty());
  return outcomes;
}

std::string describe(const Outcome& o) {
  if (o.error) return o.error->what();
  return o.other_failure.empty() ? "ok" : o.other_failure;
}

// The box IDs connected to `name`.
std::set<std::string> boxes_of(Store& store, const std::string& name) {
  std::set<std::string> boxes;
  const NetworkConfig stored = store.networks().get(name).value();
  for (const auto& [id, endpoint] : stored.endpoints) boxes.insert(id);
  return boxes;
}

std::set<std::string> lines_of(const fs::path& file) {
  std::set<std::string> lines;
  std::istringstream in(a3s::test::read_file(file));
  for (std::string line; std::getline(in, line);) lines.insert(line);
  return lines;
}

// Appends `line` to the file open as `fd` (O_APPEND: one write each, whole).
void append_line(int fd, const std::string& line) {
  const std::string text = line + "\n";
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
}

// kWriters threads each connect `per_writer` boxes ("w<writer>-<k>") to
// net-1, appending each box ID to the file open as `acks_fd` once its
// connect has returned.
void connect_from_writers(Store& store, int per_writer, int acks_fd) {
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int k = 0; k < per_writer; ++k) {
        const std::string id = "w" + std::to_string(w) + "-" + std::to_string(k);
        store.networks().connect("net-1", id, "web");
        append_line(acks_fd, id);
      }
    });
  }
  for (auto& t : writers) t.join();
}

// Reopens `home` and checks that every box ID in home/acks is connected to
// net-1 and that no two endpoints share an address. Returns how many IDs
// were acknowledged.
std::size_t check_acknowledged_present(const fs::path& home) {
  auto store = a3s::test::open_store(home);
  const auto stored = store->networks().get("net-1").value();
  const auto acknowledged = lines_of(home / "acks");
  for (const auto& id : acknowledged) CHECK(stored.endpoints.contains(id));
  std::set<std::string> addresses;
  for (const auto& [id, endpoint] : stored.endpoints) addresses.insert(endpoint.ip_address);
  CHECK(addresses.size() == stored.endpoints.size());
  return acknowledged.size();
}

}  // namespace

TEST_CASE("writers at once share one commit and each gets its own address", "[group_commit]") {
  a3s::test::TempDir home;
  auto store = a3s::test::open_store(home);
  GroupGate gate(1 + kWriters);
  std::vector<NetworkEndpoint> endpoints(kWriters);
  const auto outcomes = run_as_one_group(
      gate, [&] { store->networks().create(network("net-1")); },
      [&](int i) { endpoints[i] = store->networks().connect("net-1", box(i), "web"); });
  CHECK(gate.groups() == 2);  // the first writer's, then the eight together

  std::set<std::string> addresses;
  for (int i = 0; i < kWriters; ++i) {
    INFO("writer " << i << ": " << describe(outcomes[i]));
    CHECK_FALSE(outcomes[i].error);
    CHECK(outcomes[i].other_failure.empty());
    addresses.insert(endpoints[i].ip_address);
  }
  CHECK(addresses.size() == kWriters);
  const auto stored = store->networks().get("net-1");
  REQUIRE(stored);
  REQUIRE(stored->endpoints.size() == kWriters);
  for (int i = 0; i < kWriters; ++i) CHECK(stored->endpoints.at(box(i)) == endpoints[i]);
}

TEST_CASE("a writer that fails in a group gets its own error and the others commit",
          "[group_commit]") {
  a3s::test::TempDir home;
  auto store = a3s::test::open_store(home);
  store->volumes().create(a3s::test::minimal_volume("data"));
  GroupGate gate(1 + kWriters);
  // Writers 0-4 connect box-0..4, 5 attaches box-5 to the volume, 6 connects
  // box-0 again, 7 connects to a network that does not exist.
  const auto outcomes = run_as_one_group(
      gate, [&] { store->networks().create(network("net-1")); },
      [&](int i) {
        if (i < 5) store->networks().connect("net-1", box(i), "web");
        if (i == 5) store->volumes().attach("data", box(5));
        if (i == 6) store->networks().connect("net-1", box(0), "web");
        if (i == 7) store->networks().connect("missing", box(7), "web");
      });
  CHECK(gate.groups() == 2);

  // Whichever of the two connects of box-0 came second in the group failed.
  const int loser = outcomes[0].error ? 0 : 6;
  for (int i = 0; i < kWriters; ++i) {
    INFO("writer " << i << ": " << describe(outcomes[i]));
    CHECK(outcomes[i].other_failure.empty());
    CHECK_FALSE(outcomes[i].outcome_unknown);
    if (i == loser) {
      REQUIRE(outcomes[i].error);
      CHECK(outcomes[i].error->code() == ErrorCode::already_exists);
      CHECK_THAT(outcomes[i].error->what(), Catch::Contains("box 'box-0' is already connected"));
    } else if (i == 7) {
      REQUIRE(outcomes[i].error);
      CHECK(outcomes[i].error->code() == ErrorCode::not_found);
      CHECK_THAT(outcomes[i].error->what(), Catch::Contains("missing"));
    } else {
      CHECK_FALSE(outcomes[i].error);
    }
  }
  CHECK(boxes_of(*store, "net-1") ==
        std::set<std::string>{"box-0", "box-1", "box-2", "box-3", "box-4"});
  CHECK(store->volumes().get("data")->in_use_by == std::vector<std::string>{"box-5"});
}

// A body that fails after writing is rolled back to its savepoint alone.
// SQLite ends the whole transaction itself after some failures (a full
// disk, say); a body that does so by running ROLLBACK stands for them. The
// writers whose bodies ran before it lost their changes with it: they run
// again, without it, and commit.
TEST_CASE("a failed writer's changes are rolled back alone, even when it ends the transaction",
          "[group_commit]") {
  a3s::test::TempDir home;
  Options options = resolve(a3s::test::options_for(home.path()));
  Database db(options);
  db.enable_wal();
  db.write("setup", [](Connection& conn) {
    conn.db().exec("CREATE TABLE rows_written (writer INTEGER PRIMARY KEY)");
    return 0;
  });
  const auto insert = [](Connection& conn, int writer) {
    auto q = conn.prepare("INSERT INTO rows_written (writer) VALUES (?)");
    q->bind(1, writer);
    q->exec();
  };
  constexpr int kFailing = 3;       // ends the transaction
  constexpr int kFailingAlone = 5;  // fails after writing its row
  std::vector<int> runs(kWriters, 0);
  GroupGate gate(1 + kWriters);
  const auto outcomes = run_as_one_group(
      gate,
      [&] {
        db.write_grouped("first", [&](Connection& conn) {
          insert(conn, 100);
          return 0;
        });
      },
      [&](int i) {
        db.write_grouped("writer " + std::to_string(i), [&](Connection& conn) {
          ++runs[i];
          insert(conn, i);
          if (i == kFailing) {
            conn.db().exec("ROLLBACK");
            throw Error(ErrorCode::io, "writer 3 failed");
          }
          if (i == kFailingAlone) throw Error(ErrorCode::invalid_argument, "writer 5 failed");
          return 0;
        });
      });
  CHECK(gate.groups() == 2);  // the group's COMMIT came once, after the rerun
  for (int i = 0; i < kWriters; ++i) {
    INFO("writer " << i << ": " << describe(outcomes[i]));
    if (i == kFailing) {
      REQUIRE(outcomes[i].error);
      CHECK(std::string(outcomes[i].error->what()) == "writer 3 failed");
      CHECK(runs[i] == 1);
    } else if (i == kFailingAlone) {
      REQUIRE(outcomes[i].error);
      CHECK(std::string(outcomes[i].error->what()) == "writer 5 failed");
    } else {
      CHECK_FALSE(outcomes[i].error);
      CHECK(runs[i] >= 1);
    }
  }
  const auto written = db.read("check", [](Connection& conn) {
    std::vector<int> writers;
    auto q = conn.prepare("SELECT writer FROM rows_written ORDER BY writer");
    while (q->executeStep()) writers.push_back(q->getColumn(0).getInt());
    return writers;
  });
  CHECK(written == std::vector<int>{0, 1, 2, 4, 6, 7, 100});
}

// Every acknowledged operation survives a crash, and a group is committed
// whole or not at all: killed before its COMMIT none of its writers' changes
// are there after reopening, killed after it all of them are.
TEST_CASE("a crash inside a group loses no acknowledged operation and splits no group",
          "[group_commit][crash]") {
  for (const char* point : {"write.group.before_commit", "write.group.after_commit"}) {
    DYNAMIC_SECTION(point) {
      a3s::test::TempDir home;
      a3s::store::detail::UniqueFd acks(
          ::open((home.path() / "acks").c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0644));
      REQUIRE(acks.get() >= 0);
      a3s::test::open_store(home)->networks().create(network("net-1"));
      const auto codes = a3s::test::run_in_children(1, [&](int) {
        auto store = a3s::test::open_store(home);
        GroupGate gate(1 + kWriters, [point](std::string_view at, int group) {
          if (at == point && group == 2) ::kill(::getpid(), SIGKILL);
        });
        run_as_one_group(
            gate,
            [&] {
              store->networks().connect("net-1", "first", "web");
              append_line(acks.get(), "first");
            },
            [&](int i) {
              store->networks().connect("net-1", box(i), "web");
              append_line(acks.get(), box(i));
            });
        return 0;  // the fault point was never reached
      });
      REQUIRE(codes == std::vector<int>{128 + SIGKILL});

      auto store = a3s::test::open_store(home);
      const auto present = boxes_of(*store, "net-1");
      const auto acknowledged = lines_of(home.path() / "acks");
      for (const auto& id : acknowledged) CHECK(present.contains(id));
      std::set<std::string> expected{"first"};  // its own group committed before
      if (std::string_view(point) == "write.group.after_commit") {
        for (int i = 0; i < kWriters; ++i) expected.insert(box(i));
      }
      CHECK(present == expected);
    }
  }
}

// Writers keep connecting until the process is killed at a random group's
// COMMIT (before or after it): after reopening, every acknowledged connect
// is there and no two boxes share an address.
TEST_CASE("killed at random group commits, no acknowledged operation is lost",
          "[group_commit][crash]") {
  const std::uint32_t seed = a3s::test::seed_from_env("A3S_GROUP_COMMIT_SEED", 1313);
  std::cout << "group commit crash: seed " << seed << " (A3S_GROUP_COMMIT_SEED)\n";
  std::mt19937 rng(seed);
  constexpr int kKills = 6;
  constexpr int kConnectsPerWriter = 40;  // far more groups than the kill waits for
  std::size_t acknowledged_total = 0;
  for (int round = 0; round < kKills; ++round) {
    const std::string point =
        round % 2 == 0 ? "write.group.before_commit" : "write.group.after_commit";
    const int at_group = std::uniform_int_distribution<int>(2, 20)(rng);
    INFO("round " << round << ": killed at " << point << " of group " << at_group);
    a3s::test::TempDir home;
    a3s::store::detail::UniqueFd acks(
        ::open((home.path() / "acks").c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0644));
    REQUIRE(acks.get() >= 0);
    a3s::test::open_store(home)->networks().create(network("net-1", "10.78.0.0/16"));
    const auto codes = a3s::test::run_in_children(1, [&](int) {
      auto store = a3s::test::open_store(home);
      int groups = 0;  // counted by the leaders, one at a time (the queue orders them)
      detail::set_fault_hook([&](std::string_view at) {
        if (at == "write.group.before_commit") ++groups;
        if (at == point && groups == at_group) ::kill(::getpid(), SIGKILL);
      });
      connect_from_writers(*store, kConnectsPerWriter, acks.get());
      return 0;  // the fault point was never reached
    });
    REQUIRE(codes == std::vector<int>{128 + SIGKILL});

    acknowledged_total += check_acknowledged_present(home.path());
  }
  std::cout << "group commit crash: " << kKills << " kills, " << acknowledged_total
            << " acknowledged connects, every one present after reopening\n";
}

// Through the test VFS, a child's writers connect until the power is cut
// at a mutating call spread over the calls an uncut run makes (every write
// since the last sync lost, or a random part of them kept and the last page
// torn): after reopening, every connect a writer had returned from is
// there, and no two boxes share an address.
TEST_CASE("a power cut during grouped commits loses no acknowledged operation",
          "[group_commit][power_cut]") {
  const std::uint32_t seed = a3s::test::seed_from_env("A3S_GROUP_POWER_CUT_SEED", 20261203);
  std::cout << "group commit power cut: seed " << seed << " (A3S_GROUP_POWER_CUT_SEED)\n";
  constexpr int kCuts = 16;
  constexpr int kConnectsPerWriter = 12;
  a3s::test::TempDir work;
  const fs::path start = work.path() / "start";
  const fs::path home = work.path() / "home";
  a3s::test::open_store(start)->networks().create(network("net-1", "10.79.0.0/16"));

  // Runs the writers in a child through the test VFS, cut at mutating call
  // `cut_at` (0: never). The child reports its mutating calls and the
  // commits its groups made; each writer appends what it was acknowledged
  // to home/acks.
  struct Report {
    std::uint64_t calls = 0;
    std::uint64_t commits = 0;
  };
  const auto run = [&](std::uint64_t cut_at, vfs::CutMode mode, std::uint32_t cut_seed) {
    fs::remove_all(home);
    fs::copy(start, home, fs::copy_options::recursive);
    a3s::store::detail::UniqueFd acks(
        ::open((home / "acks").c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0644));
    REQUIRE(acks.get() >= 0);
    const fs::path report = work.path() / "report";
    fs::remove(report);
    const auto codes = a3s::test::run_in_children(1, [&](int) {
      vfs::install();
      if (cut_at != 0) vfs::power_cut_at(cut_at, mode, cut_seed, {});
      std::atomic<std::uint64_t> commits{0};
      detail::set_fault_hook([&](std::string_view at) {
        if (at == "write.group.before_commit") ++commits;
      });
      auto store = a3s::test::open_store(home);
      connect_from_writers(*store, kConnectsPerWriter, acks.get());
      std::ofstream(report) << vfs::mutating_calls() << " " << commits.load();
      return 0;
    });
    Report r;
    // A run makes a different number of calls each time (threads): a cut
    // past this run's last call never comes.
    REQUIRE((codes == std::vector<int>{0} || codes == std::vector<int>{128 + SIGKILL}));
    if (codes == std::vector<int>{0}) std::ifstream(report) >> r.calls >> r.commits;
    return r;
  };

  const Report whole = run(0, vfs::CutMode::unsynced_lost, 0);
  REQUIRE(whole.calls > 0);
  // Groups of several formed: fewer commits than connects.
  REQUIRE(whole.commits > 0);
  REQUIRE(whole.commits < static_cast<std::uint64_t>(kWriters * kConnectsPerWriter));
  std::size_t acknowledged_total = 0;
  int cut = 0;
  for (int c = 0; c < kCuts; ++c) {
    const auto at = 1 + (static_cast<std::uint64_t>(c) * whole.calls) / kCuts + (seed + c) % 5;
    const vfs::CutMode mode = c % 2 == 0 ? vfs::CutMode::unsynced_lost : vfs::CutMode::torn;
    INFO("cut at call " << at << " of about " << whole.calls << ", "
                        << (mode == vfs::CutMode::torn ? "torn" : "unsynced lost") << ", seed "
                        << seed + c);
    if (run(at, mode, seed + static_cast<std::uint32_t>(c)).calls == 0) ++cut;
    {
      SQLite::Database db((home / "box.db").string(), SQLite::OPEN_READWRITE);
      CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    }
    acknowledged_total += check_acknowledged_present(home);
  }
  CHECK(cut > 0);
  std::cout << "group commit power cut: " << cut << " cuts of " << kCuts << " runs, "
            << whole.commits << " commits for " << kWriters * kConnectsPerWriter
            << " connects in the uncut run, " << acknowledged_total
            << " acknowledged connects, every one present\n";
}

// Last: the test VFS, once installed, stays the process's default VFS.
TEST_CASE("a failed group commit fails every writer and shows nothing of the group",
          "[group_commit][io_error]") {
  vfs::install();
  struct Fault {
    vfs::Kind kind;
    int code;
    const char* name;
  };
  for (const Fault fault : {Fault{vfs::Kind::write, SQLITE_IOERR_WRITE, "write"},
                            Fault{vfs::Kind::sync, SQLITE_IOERR_FSYNC, "sync"}}) {
    DYNAMIC_SECTION("the group's COMMIT fails at its " << fault.name) {
      a3s::test::TempDir home;
      auto store = a3s::test::open_store(home);
      GroupGate gate(1 + kWriters, [&](std::string_view at, int group) {
        if (at == "write.group.before_commit" && group == 2)
          vfs::fail_from(fault.kind, 1, fault.code);
      });
      const auto outcomes = run_as_one_group(
          gate, [&] { store->networks().create(network("net-1")); },
          [&](int i) { store->networks().connect("net-1", box(i), "web"); });
      CHECK(vfs::clear_failure() > 0);
      CHECK(gate.groups() == 2);
      const std::string db = (home.path() / "box.db").string();
      for (int i = 0; i < kWriters; ++i) {
        INFO("writer " << i << ": " << describe(outcomes[i]));
        REQUIRE(outcomes[i].error);
        CHECK(outcomes[i].error->code() == ErrorCode::io);
        CHECK_THAT(outcomes[i].error->what(), Catch::Contains("network 'net-1'"));
        CHECK_THAT(outcomes[i].error->what(), Catch::Contains(db));
        // Only a failed fsync leaves the commit record written.
        CHECK(outcomes[i].outcome_unknown == (fault.kind == vfs::Kind::sync));
      }
      CHECK(boxes_of(*store, "net-1").empty());
      // The disk is fine again: the same store connects.
      store->networks().connect("net-1", box(0), "web");
      CHECK(boxes_of(*store, "net-1") == std::set<std::string>{"box-0"});
    }
  }
}
