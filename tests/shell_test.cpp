// `a3s-store shell [--write]` and the catalog views of schema 0004 (SPEC §7):
// read-only unless asked, hand edits keep the totals right, the views read
// like the catalogs, and a missing sqlite3 is explained.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "a3s/store/store.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "totals_check.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::CommandResult;
using a3s::test::open_store;
using a3s::test::TempDir;
using a3s::test::write_file;

namespace {

// Runs `a3s-store --home HOME shell [extra...]` with `sql` on its stdin.
CommandResult shell(const TempDir& home, const std::string& sql,
                    const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--home", home.path().string(), "shell"};
  args.insert(args.end(), extra.begin(), extra.end());
  return a3s::test::run_program(std::getenv("A3S_STORE_CLI"), args, sql);
}

// A home with a network of two endpoints, two volumes (one attached to two
// boxes) and two images.
void populate(st::Store& store, const fs::path& scratch) {
  st::NetworkConfig n;
  n.name = "dev";
  n.subnet = "10.88.0.0/24";
  n.created_at = "2024-01-01T00:00:00Z";
  store.networks().create(n);
  store.networks().connect("dev", "box-b", "api");
  store.networks().connect("dev", "box-a", "web", {"app"});
  for (const char* name : {"data", "logs"}) {
    store.volumes().create(a3s::test::minimal_volume(name));
  }
  store.volumes().attach("data", "box-z");
  store.volumes().attach("data", "box-a");
  const fs::path layout = scratch / "layout";
  fs::create_directories(layout);
  write_file(layout / "blob", std::string(3 * 1048576 / 2, 'x'));  // 1.5 MiB
  store.images().put("app:1", "sha256:" + std::string(64, 'a'), layout);
  store.images().put("app:2", "sha256:" + std::string(64, 'b'), layout);
}

}  // namespace

TEST_CASE("shell is read-only unless --write", "[shell]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());

  const auto refused = shell(home, "DELETE FROM volumes WHERE name = 'logs';\n");
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("readonly database"));
  CHECK(store->volumes().get("logs").has_value());

  const auto read = shell(home, "SELECT name FROM volumes ORDER BY name;\n");
  CHECK(read.exit_code == 0);
  CHECK(read.out == "data\nlogs\n");

  const auto written = shell(home, "DELETE FROM volumes WHERE name = 'logs';\n", {"--write"});
  INFO(written.err);
  CHECK(written.exit_code == 0);
  CHECK_FALSE(store->volumes().get("logs").has_value());
}

TEST_CASE("hand edits in the shell keep the running totals right", "[shell]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());
  const auto size = store->images().get("app:1")->size_bytes;

  // A REPLACE deletes the old row without a DELETE statement: only with
  // recursive_triggers on do the totals hear of it.
  const auto r = shell(home,
                       "INSERT OR REPLACE INTO images (reference, digest, size_bytes, pulled_at, "
                       "last_used, path) SELECT 'app:2', 'sha256:" +
                           std::string(64, 'a') +
                           "', 42, pulled_at, last_used, path FROM images "
                           "WHERE reference = 'app:1';\n"
                           "UPDATE images SET size_bytes = size_bytes + 1 "
                           "WHERE reference = 'app:1';\n",
                       {"--write"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(a3s::test::totals_problems(home.path() / "box.db") == std::vector<std::string>{});
  CHECK(store->images().total_size() == size + 1);
}

TEST_CASE("the catalog views read like the catalogs", "[shell][views]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());
  store->images().get("app:2");  // used last

  const auto r = shell(home,
                       ".mode list\n"
                       "SELECT network, box_id, box_name, ip_address, aliases "
                       "FROM endpoints_by_network;\n"
                       "SELECT name, users, in_use_by FROM volumes_in_use;\n"
                       "SELECT reference, size_mib FROM images_by_last_use;\n");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out ==
        "dev|box-a|web|10.88.0.3|[\"app\"]\n"
        "dev|box-b|api|10.88.0.2|[]\n"
        "data|2|[\"box-z\",\"box-a\"]\n"
        "app:1|1.5\n"
        "app:2|1.5\n");
}

TEST_CASE("shell without sqlite3 says how to install it", "[shell]") {
  TempDir home;
  open_store(home);
  a3s::test::ScopedEnv no_path("PATH", "/nonexistent");
  const auto r = shell(home, "");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("apt-get install sqlite3"));
}
