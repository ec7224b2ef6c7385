// Store::backup and `a3s-store backup FILE [--force]` (SPEC §7): a consistent
// copy taken while another process keeps writing, and the files it refuses
// to write.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "a3s/store/store.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::open_store;
using a3s::test::read_file;
using a3s::test::run_cli;
using a3s::test::run_sqlite3;
using a3s::test::TempDir;
using a3s::test::write_file;

namespace {

std::string volume_name(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "v%06d", i);
  return buf;
}

// The names in the volumes table of the database file `db`.
std::vector<std::string> volumes_in(const fs::path& db) {
  std::vector<std::string> names;
  std::string out = run_sqlite3(db, "SELECT name FROM volumes ORDER BY name;");
  for (std::size_t start = 0; start < out.size();) {
    const std::size_t end = out.find('\n', start);
    names.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

}  // namespace

TEST_CASE("backups taken while another process writes are consistent copies", "[backup]") {
  TempDir home;
  TempDir out;
  open_store(home);  // the schema, before the writer starts

  int ready[2];
  int stop[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(stop) == 0);
  const pid_t writer = ::fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    // Creates v000000, v000001, ... one transaction each, until told to stop.
    int code = 0;
    try {
      auto store = open_store(home.path());
      for (int i = 0; i < 100000; ++i) {
        store->volumes().create(a3s::test::minimal_volume(volume_name(i)));
        if (i == 10) (void)!::write(ready[1], "r", 1);
        pollfd p{stop[0], POLLIN, 0};
        if (::poll(&p, 1, 0) == 1) break;
      }
    } catch (...) {
      code = 99;
    }
    std::_Exit(code);
  }
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);

  std::vector<fs::path> backups;
  for (int i = 0; i < 3; ++i) {
    backups.push_back(out.path() / ("box-" + std::to_string(i) + ".db"));
    const auto r = run_cli({"--home", home.path().string(), "backup", backups.back().string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  REQUIRE(::write(stop[1], "s", 1) == 1);
  int status = 0;
  REQUIRE(::waitpid(writer, &status, 0) == writer);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  for (int fd : {ready[0], ready[1], stop[0], stop[1]}) ::close(fd);

  std::size_t previous = 0;
  for (const auto& backup : backups) {
    INFO(backup.string());
    CHECK(run_sqlite3(backup, "PRAGMA integrity_check;") == "ok\n");
    // One snapshot of a writer that commits v0, v1, ... in order: exactly a
    // prefix of that sequence, never a gap.
    const auto names = volumes_in(backup);
    REQUIRE(names.size() >= 11);
    CHECK(names.back() == volume_name(static_cast<int>(names.size()) - 1));
    CHECK(names.size() >= previous);
    previous = names.size();
    // The copy opens as a store of its own.
    TempDir restored;
    fs::copy_file(backup, restored.path() / "box.db");
    CHECK(open_store(restored)->volumes().list().size() == names.size());
  }
}

TEST_CASE("backup refuses to overwrite a file unless forced, and the database itself", "[backup]") {
  TempDir home;
  TempDir out;
  auto store = open_store(home);
  store->volumes().create(a3s::test::minimal_volume("data"));
  const fs::path file = out.path() / "copy.db";
  write_file(file, "precious\n");

  const auto refused = run_cli({"--home", home.path().string(), "backup", file.string()});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("'" + file.string() + "' already exists"));
  CHECK(read_file(file) == "precious\n");

  const auto forced = run_cli({"--home", home.path().string(), "backup", "--force", file.string()});
  CHECK(forced.exit_code == 0);
  CHECK(volumes_in(file) == std::vector<std::string>{"data"});
  // Nothing but the copy is left beside it.
  CHECK(a3s::test::entries(out.path()) == std::vector<std::string>{"copy.db"});

  for (const char* own : {"box.db", "box.db-wal"}) {
    const auto self =
        run_cli({"--home", home.path().string(), "backup", (home.path() / own).string()});
    CHECK(self.exit_code == 1);
    CHECK_THAT(self.err, Catch::Contains("is the database's own file"));
  }
  REQUIRE_STORE_ERROR(store->backup(out.path() / "missing" / "x.db"),
                      st::ErrorCode::invalid_argument, "does not exist");
  REQUIRE_STORE_ERROR(store->backup(out.path()), st::ErrorCode::invalid_argument, "is a directory");
  CHECK(store->volumes().list().size() == 1);
}

TEST_CASE("restore puts a backup back while another process holds the store open",
          "[backup][restore]") {
  TempDir home;
  TempDir out;
  auto store = open_store(home);
  store->volumes().create(a3s::test::minimal_volume("before"));
  const fs::path backup = out.path() / "b.db";
  store->backup(backup);
  store->volumes().create(a3s::test::minimal_volume("after"));

  // A process with the store open, waiting to read it again after the restore.
  int go[2];
  REQUIRE(::pipe(go) == 0);
  const pid_t reader = ::fork();
  REQUIRE(reader >= 0);
  if (reader == 0) {
    int code = 0;
    try {
      auto held = open_store(home.path());
      if (held->volumes().list().size() != 2) code = 1;
      char byte = 0;
      if (code == 0 && ::read(go[0], &byte, 1) != 1) code = 2;
      const auto names = held->volumes().list();
      if (code == 0 && (names.size() != 1 || names[0].name != "before")) code = 3;
    } catch (...) {
      code = 99;
    }
    std::_Exit(code);
  }

  const auto r = run_cli({"--home", home.path().string(), "restore", backup.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  // The volume created after the backup has its directory but no row now.
  CHECK_THAT(r.out, Catch::Contains("orphan_directory"));
  CHECK_THAT(r.out, Catch::Contains("the previous database is kept as"));
  REQUIRE(::write(go[1], "g", 1) == 1);
  int status = 0;
  REQUIRE(::waitpid(reader, &status, 0) == reader);
  ::close(go[0]);
  ::close(go[1]);
  INFO("reader exit code (1: not 2 volumes before, 3: did not see the restore, 99: exception)");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  // This process's open store sees it too, and the old database was kept.
  CHECK(store->volumes().list().size() == 1);
  std::vector<std::string> kept;
  for (const auto& e : fs::directory_iterator(home.path())) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("box.db.bak-restore-")) kept.push_back(name);
  }
  REQUIRE(kept.size() == 1);
  CHECK(volumes_in(home.path() / kept[0]) == std::vector<std::string>{"after", "before"});
  CHECK(run_sqlite3(home.path() / "box.db", "PRAGMA integrity_check;") == "ok\n");
}

TEST_CASE("restore migrates an older backup and refuses what it cannot open", "[restore]") {
  TempDir home;
  TempDir out;
  auto store = open_store(home);
  store->volumes().create(a3s::test::minimal_volume("current"));

  SECTION("a version 1 database is migrated on a copy; the file stays at version 1") {
    const fs::path old = out.path() / "v1.db";
    REQUIRE(run_cli({"--db", old.string(), "--home", home.path().string(), "migrate", "up", "--to",
                     "1"})
                .exit_code == 0);
    run_sqlite3(old,
                "INSERT INTO volumes (name, driver, mount_point, labels, size_limit, created_at) "
                "VALUES ('old', 'local', '/x', '{}', 0, '2024-01-01T00:00:00Z');");
    const auto before = read_file(old);
    const auto report = store->restore(old);
    CHECK(read_file(old) == before);
    const auto names = store->volumes().list();
    REQUIRE(names.size() == 1);
    CHECK(names[0].name == "old");
    CHECK(run_sqlite3(home.path() / "box.db", "PRAGMA user_version;") == "5\n");
  }
  SECTION("a newer database is refused untouched") {
    const fs::path newer = out.path() / "newer.db";
    store->backup(newer);
    run_sqlite3(newer, "PRAGMA user_version = 99;");
    const auto before = read_file(newer);
    REQUIRE_STORE_ERROR(store->restore(newer), st::ErrorCode::schema_too_new, "99");
    CHECK(read_file(newer) == before);
    CHECK(store->volumes().list().size() == 1);
  }
  SECTION("a file that is not a database is refused") {
    const fs::path junk = out.path() / "junk.db";
    write_file(junk, std::string(8192, 'x'));
    REQUIRE_STORE_ERROR(store->restore(junk), st::ErrorCode::invalid_argument,
                        "is not a store database");
    REQUIRE_STORE_ERROR(store->restore(out.path() / "missing.db"), st::ErrorCode::invalid_argument,
                        "no such database file");
    CHECK(store->volumes().list().size() == 1);
  }
}
