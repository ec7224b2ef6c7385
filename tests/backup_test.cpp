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

st::VolumeConfig make_volume(const std::string& name) {
  st::VolumeConfig v;
  v.name = name;
  v.created_at = "2024-01-01T00:00:00Z";
  return v;
}

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
        store->volumes().create(make_volume(volume_name(i)));
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
  store->volumes().create(make_volume("data"));
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
