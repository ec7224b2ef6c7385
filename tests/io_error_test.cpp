// I/O errors from the disk (SPEC §4 errors): through the test VFS
// (support/test_vfs.hpp) the database's Nth write returns SQLITE_FULL or
// SQLITE_IOERR_WRITE, or its Nth sync SQLITE_IOERR_FSYNC, and keeps failing
// until cleared — for every store operation that writes, N swept from 1 to
// past the operation's last call. The operation fails with `io` naming the
// database, nothing of it is visible (rows, catalog entries), the same Store
// then does it once the disk is fine, and a reopened home is consistent.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include <iostream>

#include "a3s/store/store.hpp"
#include "home_check.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "test_vfs.hpp"
#include "totals_check.hpp"

using namespace a3s::store;
namespace fs = std::filesystem;
namespace vfs = a3s::test::vfs;

namespace {

constexpr const char* kDigestA =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kDigestB =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
// More calls than any one operation makes: the sweep stops before.
constexpr std::uint64_t kMaxCalls = 200;

NetworkConfig network(const std::string& name) {
  NetworkConfig n;
  n.name = name;
  n.subnet = "10.66.0.0/24";
  n.gateway = "10.66.0.1";
  n.created_at = "2026-01-01T00:00:00Z";
  return n;
}

// The rows an operation can change, times left out (they are "now").
std::string rows_of(Store& store) {
  std::string state = "networks:";
  for (const auto& n : store.networks().list()) {
    state += " " + n.name + "[" + std::to_string(n.labels.size()) + " labels";
    for (const auto& [box, endpoint] : n.endpoints) state += " " + box + "=" + endpoint.ip_address;
    state += "]";
  }
  state += "\nvolumes:";
  for (const auto& v : store.volumes().list()) {
    state += " " + v.name + "[" + std::to_string(v.labels.size()) + " labels";
    for (const auto& user : v.in_use_by) state += " " + user;
    state += "]";
  }
  state += "\nsnapshots:";
  for (const auto& s : store.snapshots().list()) {
    state += " " + s.id + "=" + std::to_string(s.size_bytes);
  }
  state += "\nimages:";
  for (const auto& i : store.images().list()) {
    state += " " + i.reference + "=" + i.digest + "/" + std::to_string(i.size_bytes);
  }
  return state;
}

// The rows and the catalogs' entries.
std::string state_of(Store& store, const fs::path& home) {
  std::string state = rows_of(store);
  for (const char* catalog : {"volumes", "snapshots", "images/sha256"}) {
    state += std::string("\n") + catalog + "/:";
    for (const auto& entry : a3s::test::catalog_entries(home / catalog)) state += " " + entry;
  }
  return state;
}

struct Operation {
  const char* name;
  std::function<void(Store&, const fs::path& tree)> setup;
  std::function<void(Store&, const fs::path& tree)> run;
};

std::vector<Operation> operations() {
  auto nothing = [](Store&, const fs::path&) {};
  auto with_network = [](Store& s, const fs::path&) {
    s.networks().create(network("net"));
    s.networks().connect("net", "box-1", "one");
  };
  auto with_volume = [](Store& s, const fs::path&) {
    s.volumes().create(a3s::test::minimal_volume("vol"));
    s.volumes().attach("vol", "box-1");
  };
  auto with_snapshots = [](Store& s, const fs::path& tree) {
    s.snapshots().save(a3s::test::minimal_snapshot("s1"), tree);
    s.snapshots().save(a3s::test::minimal_snapshot("s2"), tree);
  };
  auto with_images = [](Store& s, const fs::path& tree) {
    s.images().put("app:1", kDigestA, tree);
    s.images().put("app:2", kDigestB, tree);
  };
  return {
      {"network create", nothing,
       [](Store& s, const fs::path&) { s.networks().create(network("net")); }},
      {"network update", with_network,
       [](Store& s, const fs::path&) {
         auto n = *s.networks().get("net");
         n.labels["k"] = std::string(3000, 'x');
         s.networks().update(n);
       }},
      {"network connect", with_network,
       [](Store& s, const fs::path&) { s.networks().connect("net", "box-2", "two"); }},
      {"network disconnect", with_network,
       [](Store& s, const fs::path&) { s.networks().disconnect("net", "box-1"); }},
      {"network remove", with_network,
       [](Store& s, const fs::path&) { s.networks().remove("net", /*force=*/true); }},
      {"volume create", nothing,
       [](Store& s, const fs::path&) { s.volumes().create(a3s::test::minimal_volume("vol")); }},
      {"volume attach", with_volume,
       [](Store& s, const fs::path&) { s.volumes().attach("vol", "box-2"); }},
      {"volume detach", with_volume,
       [](Store& s, const fs::path&) { s.volumes().detach("vol", "box-1"); }},
      {"volume update", with_volume,
       [](Store& s, const fs::path&) {
         auto v = *s.volumes().get("vol");
         v.labels["k"] = "v";
         s.volumes().update(v);
       }},
      {"volume remove", with_volume,
       [](Store& s, const fs::path&) { s.volumes().remove("vol", /*force=*/true); }},
      {"volume prune",
       [](Store& s, const fs::path&) { s.volumes().create(a3s::test::minimal_volume("vol")); },
       [](Store& s, const fs::path&) { s.volumes().prune(); }},
      {"snapshot save", nothing,
       [](Store& s, const fs::path& tree) {
         s.snapshots().save(a3s::test::minimal_snapshot("s1"), tree);
       }},
      {"snapshot delete", with_snapshots,
       [](Store& s, const fs::path&) { s.snapshots().remove("s1"); }},
      {"snapshot prune", with_snapshots,
       [](Store& s, const fs::path&) { s.snapshots().prune(1, 0); }},
      {"image put", nothing,
       [](Store& s, const fs::path& tree) { s.images().put("app:1", kDigestA, tree); }},
      {"image get (marks it used)", with_images,
       [](Store& s, const fs::path&) { s.images().get("app:1"); }},
      {"image remove", with_images, [](Store& s, const fs::path&) { s.images().remove("app:1"); }},
      {"image evict", with_images, [](Store& s, const fs::path&) { s.images().evict(0); }},
  };
}

struct Fault {
  vfs::Kind kind;
  int code;
  const char* name;
};

constexpr Fault kFaults[] = {
    {vfs::Kind::write, SQLITE_FULL, "SQLITE_FULL at write"},
    {vfs::Kind::write, SQLITE_IOERR_WRITE, "SQLITE_IOERR_WRITE at write"},
    {vfs::Kind::sync, SQLITE_IOERR_FSYNC, "SQLITE_IOERR_FSYNC at sync"},
};

// What prepare() left: the rows, and the rows with the catalogs' entries.
struct Prepared {
  std::string rows;
  std::string state;
};

// A fresh home with `op`'s setup done.
Prepared prepare(const fs::path& home, const fs::path& tree, const Operation& op) {
  fs::create_directories(home);
  auto store = a3s::test::open_store(home);
  op.setup(*store, tree);
  return {rows_of(*store), state_of(*store, home)};
}

}  // namespace

TEST_CASE("a failing disk write fails the operation with io and leaves nothing behind",
          "[io_error]") {
  vfs::install();
  a3s::test::TempDir work;
  const fs::path tree = work.path() / "tree";
  fs::create_directories(tree / "etc");
  a3s::test::write_file(tree / "etc" / "config", std::string(1500, 'c'));
  a3s::test::write_file(tree / "index.html", std::string(1500, 'h'));

  int runs = 0;
  std::uint64_t faults = 0;
  int homes = 0;
  for (const Operation& op : operations()) {
    // The state the operation leaves when the disk is fine.
    const fs::path clean_home = work.path() / ("home-" + std::to_string(homes++));
    prepare(clean_home, tree, op);
    std::string after;
    {
      auto store = a3s::test::open_store(clean_home);
      op.run(*store, tree);
      after = state_of(*store, clean_home);
    }
    for (const Fault& fault : kFaults) {
      bool past_the_last_call = false;
      for (std::uint64_t nth = 1; nth <= kMaxCalls && !past_the_last_call; ++nth) {
        INFO(op.name << ", " << fault.name << " #" << nth);
        const fs::path home = work.path() / ("home-" + std::to_string(homes++));
        const Prepared before = prepare(home, tree, op);
        const std::string db = (home / "box.db").string();
        {
          auto store = a3s::test::open_store(home);
          vfs::fail_from(fault.kind, nth, fault.code);
          std::optional<Error> failure;
          try {
            op.run(*store, tree);
          } catch (const Error& e) {
            failure = e;
          }
          const std::uint64_t failed = vfs::clear_failure();
          ++runs;
          if (failed > 0) ++faults;
          if (failed == 0) {
            // The operation made fewer calls than nth: the sweep is done.
            REQUIRE_FALSE(failure);
            past_the_last_call = true;
          } else if (failure) {
            INFO("error: " << failure->what());
            CHECK(failure->code() == ErrorCode::io);
            CHECK(std::string(failure->what()).find(db) != std::string::npos);
            if (fault.kind == vfs::Kind::write) {
              CHECK(state_of(*store, home) == before.state);
            } else {
              // A failed sync may fail a COMMIT whose record is written: the
              // rows are not visible, but what the operation placed or was
              // to delete stays, with its intent, for the sweep of the first
              // open after this process, which keeps it only if recovery
              // brought the rows back (the test below).
              CHECK(rows_of(*store) == before.rows);
            }
            // The disk is fine again: the same Store does the operation.
            op.run(*store, tree);
          }
          // Failed or not, the operation is now done.
          CHECK(state_of(*store, home) == after);
        }
        auto reopened = a3s::test::open_store(home);
        CHECK(state_of(*reopened, home) == after);
        // An intent a failed sync left is this (live) process's: no sweep
        // takes it yet.
        CHECK(a3s::test::home_problems(home, /*expect_no_staging=*/fault.kind == vfs::Kind::write)
                  .empty());
        CHECK(a3s::test::totals_problems(home / "box.db").empty());
        reopened.reset();
        fs::remove_all(home);
      }
      CHECK(past_the_last_call);
    }
    fs::remove_all(clean_home);
  }
  std::cout << "io errors: " << faults << " faults injected over " << runs << " operations\n";
}

// A failed fsync does not take the write back: the commit's frames are in
// the WAL, and a process that dies before writing over them leaves them to
// the next open's recovery, which shows the operation done though it failed.
// Whichever state the reopened home shows, its rows and files agree.
TEST_CASE("a crash after a failed sync leaves the old or the new state", "[io_error]") {
  vfs::install();
  a3s::test::TempDir work;
  const fs::path tree = work.path() / "tree";
  fs::create_directories(tree);
  a3s::test::write_file(tree / "index.html", std::string(1500, 'h'));
  int crashes = 0;
  int recovered = 0;
  int homes = 0;
  for (const Operation& op : operations()) {
    const fs::path clean_home = work.path() / ("home-" + std::to_string(homes++));
    const std::string before = prepare(clean_home, tree, op).state;
    std::string after;
    {
      auto store = a3s::test::open_store(clean_home);
      op.run(*store, tree);
      after = state_of(*store, clean_home);
    }
    for (std::uint64_t nth = 1; nth <= kMaxCalls; ++nth) {
      INFO(op.name << ", SQLITE_IOERR_FSYNC at sync #" << nth << ", then SIGKILL");
      const fs::path home = work.path() / ("home-" + std::to_string(homes++));
      prepare(home, tree, op);
      const auto codes = a3s::test::run_in_children(1, [&](int) {
        auto store = a3s::test::open_store(home);
        vfs::fail_from(vfs::Kind::sync, nth, SQLITE_IOERR_FSYNC);
        try {
          op.run(*store, tree);
        } catch (const Error& e) {
          if (e.code() == ErrorCode::io) ::kill(::getpid(), SIGKILL);
          return 1;
        }
        return vfs::clear_failure() == 0 ? 0 : 2;  // 0: fewer syncs than nth
      });
      if (codes == std::vector<int>{0}) break;
      REQUIRE(codes == std::vector<int>{128 + SIGKILL});
      ++crashes;
      auto store = a3s::test::open_store(home);  // recovers the WAL, sweeps
      const std::string state = state_of(*store, home);
      CHECK((state == before || state == after));
      if (state == after && after != before) ++recovered;
      CHECK(a3s::test::home_problems(home) == std::vector<std::string>{});
    }
  }
  std::cout << "io errors then crash: " << crashes << " crashes after a failed sync, " << recovered
            << " of them recovered the failed operation\n";
}
