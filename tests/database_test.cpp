// Connections, PRAGMAs, the busy retry and the connection pool.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "a3s/store/store.hpp"
#include "database.hpp"
#include "migration_engine.hpp"
#include "test_support.hpp"

using namespace a3s::store;
namespace fs = std::filesystem;
using a3s::test::TempDir;

namespace {

NetworkConfig network(const std::string& name, const std::string& subnet = "10.0.0.0/24") {
  NetworkConfig n;
  n.name = name;
  n.subnet = subnet;
  n.gateway = subnet.substr(0, subnet.rfind('.')) + ".1";
  n.created_at = "2026-01-01T00:00:00Z";
  return n;
}

std::unique_ptr<Database> open_database(const Options& options) {
  auto db = std::make_unique<Database>(resolve(options));
  detail::open_schema(*db, detail::embedded_migrations());
  return db;
}

template <class T>
T pragma(Database& db, const char* sql) {
  return db.use("test", [&](Connection& c) { return c.db().execAndGet(sql).getInt(); });
}

}  // namespace

TEST_CASE("every connection gets the engine's PRAGMAs", "[database]") {
  TempDir home;
  Options options = a3s::test::options_for(home.path());

  SECTION("defaults: synchronous FULL, foreign keys on, 5 s busy timeout") {
    auto db = open_database(options);
    CHECK(pragma<int>(*db, "PRAGMA synchronous") == 2);
    CHECK(pragma<int>(*db, "PRAGMA foreign_keys") == 1);
    CHECK(pragma<int>(*db, "PRAGMA busy_timeout") == 5000);
    CHECK(pragma<int>(*db, "PRAGMA recursive_triggers") == 1);
    CHECK(pragma<int>(*db, "PRAGMA mmap_size") == 256 << 20);
  }
  SECTION("durability NORMAL and a custom busy timeout") {
    options.durability = Durability::normal;
    options.busy_timeout = std::chrono::milliseconds(250);
    auto db = open_database(options);
    CHECK(pragma<int>(*db, "PRAGMA synchronous") == 1);
    CHECK(pragma<int>(*db, "PRAGMA busy_timeout") == 250);
  }
}

TEST_CASE("a write waits for another process's lock, then gives up with busy", "[database]") {
  TempDir home;
  Options options = a3s::test::options_for(home.path());
  options.busy_timeout = std::chrono::milliseconds(100);
  options.busy_retries = 2;
  auto store = Store::open(options);

  SQLite::Database other(store->options().db_path.string(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");

  SECTION("held throughout: busy, naming the object, nothing written") {
    try {
      store->networks().create(network("dev"));
      FAIL("a write went through while another connection held the write lock");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::busy);
      CHECK_THAT(e.what(), Catch::Contains("network 'dev'"));
    }
    other.exec("ROLLBACK");
    CHECK_FALSE(store->networks().get("dev"));
  }
  SECTION("released during the retries: the write succeeds") {
    std::thread release([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      other.exec("ROLLBACK");
    });
    CHECK_NOTHROW(store->networks().create(network("dev")));
    release.join();
    CHECK(store->networks().get("dev"));
  }
  SECTION("reads are not blocked by a writer that has written (WAL)") {
    // Without WAL, an exclusive writer with a change in hand locks every
    // reader out until it commits; in WAL readers read the last commit.
    other.exec("ROLLBACK");
    other.exec("BEGIN EXCLUSIVE");
    other.exec("CREATE TABLE uncommitted (x INTEGER NOT NULL) STRICT");
    CHECK(store->networks().list().empty());
    CHECK_NOTHROW(store->networks().get("dev"));
    other.exec("ROLLBACK");
  }
}

TEST_CASE("a schema change under a statement is retried like busy", "[database]") {
  TempDir home;
  Options options = a3s::test::options_for(home.path());
  options.busy_retries = 2;
  auto db = open_database(options);
  int attempts = 0;

  SECTION("once: the transaction runs again and succeeds") {
    const int result = db->write("network 'dev'", [&](Connection&) {
      if (++attempts == 1) throw SQLite::Exception("database schema has changed", SQLITE_SCHEMA);
      return attempts;
    });
    CHECK(result == 2);
  }
  SECTION("every time: busy naming the object once the retries run out") {
    try {
      db->read("network 'dev'", [&](Connection&) -> int {
        ++attempts;
        throw SQLite::Exception("database schema has changed", SQLITE_SCHEMA);
      });
      FAIL("a failing read returned");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::busy);
      CHECK_THAT(e.what(), Catch::Contains("network 'dev'"));
    }
    CHECK(attempts == 1 + options.busy_retries);
  }
  SECTION("other failures are not retried") {
    CHECK_THROWS_AS(db->write("network 'dev'",
                              [&](Connection&) -> int {
                                ++attempts;
                                throw SQLite::Exception("disk I/O error", SQLITE_IOERR);
                              }),
                    Error);
    CHECK(attempts == 1);
  }
}

TEST_CASE("concurrent readers do not queue behind one another", "[database]") {
  TempDir home;
  auto db = open_database(a3s::test::options_for(home.path()));

  // Both readers must be inside a read transaction at the same moment; with
  // a single shared connection the second could never enter.
  std::mutex m;
  std::condition_variable cv;
  int inside = 0;
  bool both = false;
  auto reader = [&] {
    db->read("test", [&](Connection& c) {
      c.db().execAndGet("SELECT count(*) FROM networks");
      std::unique_lock lock(m);
      ++inside;
      cv.notify_all();
      const bool met = cv.wait_for(lock, std::chrono::seconds(10), [&] { return inside == 2; });
      if (met) both = true;
      return 0;
    });
  };
  std::thread a(reader), b(reader);
  a.join();
  b.join();
  CHECK(both);
}

TEST_CASE("an unusable database path is an io error naming it", "[database]") {
  TempDir home;
  a3s::test::write_file(home.path() / "not-a-dir", "x");
  Options options = a3s::test::options_for(home.path());
  options.db_path = home.path() / "not-a-dir" / "box.db";
  try {
    Store::open(options);
    FAIL("opened a database under a regular file");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::io);
    CHECK_THAT(e.what(), Catch::Contains("not-a-dir"));
  }
}

TEST_CASE("options resolve the home from A3S_HOME and the database inside it", "[database]") {
  TempDir home;
  ::setenv("A3S_HOME", home.path().c_str(), 1);
  const Options resolved = resolve({});
  ::unsetenv("A3S_HOME");
  CHECK(resolved.home == home.path());
  CHECK(resolved.db_path == home.path() / "box.db");

  Options explicit_db;
  explicit_db.home = home.path();
  explicit_db.db_path = home.path() / "elsewhere.db";
  CHECK(resolve(explicit_db).db_path == home.path() / "elsewhere.db");
}

TEST_CASE("the pool serves any number of threads whatever it keeps idle", "[database]") {
  // 0 keeps nothing between operations; 1 makes threads share one slot.
  const int idle = GENERATE(0, 1, 8);
  TempDir home;
  Options options = a3s::test::options_for(home.path());
  options.max_idle_connections = idle;
  auto store = Store::open(options);
  store->networks().create(network("dev", "10.1.0.0/16"));

  constexpr int kThreads = 4;
  constexpr int kBoxes = 10;
  std::vector<std::thread> threads;
  std::mutex m;
  std::vector<std::string> errors;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kBoxes; ++i) {
          store->networks().connect("dev", "box-" + std::to_string(t) + "-" + std::to_string(i),
                                    "web");
          if (!store->networks().get("dev")) throw std::runtime_error("dev vanished");
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(m);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  INFO("max_idle_connections = " << idle);
  CHECK(errors.empty());
  CHECK(store->networks().get("dev")->endpoints.size() == kThreads * kBoxes);
}
