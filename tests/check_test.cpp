// Store::check and `a3s-store check [--repair]` (SPEC §4 "Files and rows stay
// consistent", §7): what a check finds on a damaged home, that finding
// changes nothing, and what a repair fixes and never touches.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/store.hpp"
#include "home_check.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "totals_check.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::open_store;
using a3s::test::run_cli;
using a3s::test::run_sqlite3;
using a3s::test::TempDir;
using a3s::test::write_file;

namespace {

const std::string kHexA(64, 'a');
const std::string kHexB(64, 'b');
const std::string kHexOrphan(64, 'c');

// A home with two of each: volumes v1 and v2, snapshots s1 and s2, images
// of digests a and b.
void populate(st::Store& store, const fs::path& scratch) {
  store.volumes().create(a3s::test::minimal_volume("v1"));
  store.volumes().create(a3s::test::minimal_volume("v2"));
  const fs::path rootfs = scratch / "rootfs";
  fs::create_directories(rootfs / "etc");
  write_file(rootfs / "etc" / "hostname", "box\n");
  store.snapshots().save(a3s::test::minimal_snapshot("s1"), rootfs);
  store.snapshots().save(a3s::test::minimal_snapshot("s2"), rootfs);
  const fs::path layout = scratch / "layout";
  fs::create_directories(layout);
  write_file(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  store.images().put("app:a", "sha256:" + kHexA, layout);
  store.images().put("app:b", "sha256:" + kHexB, layout);
}

// (problem, object) of every finding, sorted.
std::set<std::pair<std::string, std::string>> found(const st::CheckReport& report) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& f : report.findings) out.emplace(f.problem, f.object);
  return out;
}

// Breaks `home` in every way check knows, through the file system and the
// sqlite3 shell as an operator (or a crash of 2.4.0) would.
void break_home(const fs::path& home) {
  fs::remove_all(home / "volumes" / "v1");
  fs::remove_all(home / "snapshots" / "s1" / "rootfs");
  fs::remove_all(home / "images" / "sha256" / kHexA);
  fs::create_directories(home / "volumes" / "stray-data");
  fs::create_directories(home / "images" / "sha256");
  write_file(home / "volumes" / "stray-data" / "keep.txt", "user data\n");
  fs::create_directories(home / "snapshots" / "ghost" / "rootfs");
  fs::create_directories(home / "images" / "sha256" / kHexOrphan);
  fs::create_directories(home / "snapshots" / ".staging-1234" / "rootfs");
  write_file(home / "images" / "sha256" / "notes.txt", "not a layout\n");
  run_sqlite3(home / "box.db",
              "UPDATE catalog_totals SET size_bytes = size_bytes + 7 WHERE catalog = 'snapshots';");
}

}  // namespace

TEST_CASE("a consistent home checks clean", "[check]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());
  const auto report = store->check();
  CHECK(report.clean());
  CHECK(report.findings.empty());

  const auto cli = run_cli({"--home", home.path().string(), "check"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out == "no problems found\n");
}

TEST_CASE("check finds each problem, names it and changes nothing", "[check][sqlite]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());
  break_home(home.path());

  const auto report = store->check();
  CHECK(
      found(report) ==
      std::set<std::pair<std::string, std::string>>{
          {"totals", "catalog_totals 'snapshots'"},
          {"missing_directory", "volume 'v1'"},
          {"missing_directory", "snapshot 's1'"},
          {"missing_directory", "image sha256:" + kHexA},
          {"orphan_directory", "volume 'stray-data'"},
          {"orphan_directory", "snapshot 'ghost'"},
          {"orphan_directory", "image sha256:" + kHexOrphan},
          {"staging_leftover", "'" + (home.path() / "snapshots" / ".staging-1234").string() + "'"},
          {"unexpected_entry",
           "'" + (home.path() / "images" / "sha256" / "notes.txt").string() + "'"},
      });
  for (const auto& f : report.findings) {
    INFO(f.message);
    CHECK(f.repair.empty());
    CHECK_THAT(f.message, Catch::Contains(f.problem == "totals" ? "catalog_totals" : "'"));
  }
  // Nothing changed: the rows, the totals and the files are as they were.
  CHECK(store->snapshots().count() == 2);
  CHECK(store->images().list().size() == 2);
  CHECK(fs::is_directory(home.path() / "snapshots" / "ghost"));
  CHECK(fs::is_directory(home.path() / "images" / "sha256" / kHexOrphan));
  CHECK_FALSE(fs::exists(home.path() / "volumes" / "v1"));
  CHECK(a3s::test::totals_problems(home.path() / "box.db").size() == 1);

  const auto cli = run_cli({"--home", home.path().string(), "check"});
  CHECK(cli.exit_code == 1);
  CHECK_THAT(cli.out, Catch::Contains("missing_directory: snapshot 's1' has no directory"));
  CHECK_THAT(cli.out, Catch::Contains("9 problem(s) found"));

  const auto as_json = run_cli({"--home", home.path().string(), "--json", "check"});
  CHECK(as_json.exit_code == 1);
  const auto j = nlohmann::json::parse(as_json.out);
  CHECK(j.at("clean") == false);
  CHECK(j.at("findings").size() == 9);
  CHECK(j.at("findings").at(0).contains("problem"));
}

TEST_CASE("check --repair fixes what it may and never deletes a volume's data", "[check][sqlite]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());
  break_home(home.path());

  const auto cli = run_cli({"--home", home.path().string(), "check", "--repair"});
  INFO(cli.out << cli.err);
  // The orphan volume directory is reported, not repaired: exit 1.
  CHECK(cli.exit_code == 1);
  CHECK_THAT(cli.out, Catch::Contains("9 problem(s) found, 7 repaired"));

  // Rows whose files were gone are gone; the volume got its directory back.
  CHECK_FALSE(store->snapshots().get("s1").has_value());
  CHECK(store->snapshots().get("s2").has_value());
  CHECK_FALSE(store->images().get("app:a").has_value());
  CHECK(store->images().get("app:b").has_value());
  CHECK(fs::is_directory(home.path() / "volumes" / "v1"));
  CHECK(store->volumes().get("v1").has_value());
  // Orphans and leftovers deleted, the user's data and the stranger kept.
  CHECK_FALSE(fs::exists(home.path() / "snapshots" / "ghost"));
  CHECK_FALSE(fs::exists(home.path() / "snapshots" / "s1"));
  CHECK_FALSE(fs::exists(home.path() / "images" / "sha256" / kHexOrphan));
  CHECK_FALSE(fs::exists(home.path() / "snapshots" / ".staging-1234"));
  CHECK(a3s::test::read_file(home.path() / "volumes" / "stray-data" / "keep.txt") == "user data\n");
  CHECK(fs::exists(home.path() / "images" / "sha256" / "notes.txt"));
  // Totals right again, and every row has its files.
  CHECK(a3s::test::totals_problems(home.path() / "box.db").empty());
  fs::remove(home.path() / "images" / "sha256" / "notes.txt");
  CHECK(a3s::test::home_problems(home.path(), /*expect_no_staging=*/true,
                                 /*volumes_without_rows_ok=*/true) == std::vector<std::string>{});
  write_file(home.path() / "images" / "sha256" / "notes.txt", "not a layout\n");

  // What is left is what a repair never does.
  const auto again = store->check(/*repair=*/true);
  CHECK(found(again) ==
        std::set<std::pair<std::string, std::string>>{
            {"orphan_directory", "volume 'stray-data'"},
            {"unexpected_entry",
             "'" + (home.path() / "images" / "sha256" / "notes.txt").string() + "'"},
        });
  CHECK_FALSE(again.all_repaired());
}

TEST_CASE("check --repair on a home with only repairable problems exits 0", "[check][sqlite]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());
  fs::remove_all(home.path() / "images" / "sha256" / kHexB);
  run_sqlite3(home.path() / "box.db",
              "DELETE FROM catalog_totals WHERE catalog = 'image_layouts';");

  const auto cli = run_cli({"--home", home.path().string(), "check", "--repair"});
  INFO(cli.out << cli.err);
  CHECK(cli.exit_code == 0);
  CHECK_THAT(cli.out, Catch::Contains("2 problem(s) found, 2 repaired"));
  CHECK(store->check().clean());
  CHECK(store->images().total_size() == store->images().get("app:a")->size_bytes);
}

TEST_CASE("check of a copy of the database compares no files", "[check][sqlite]") {
  TempDir home;
  TempDir scratch;
  auto store = open_store(home);
  populate(*store, scratch.path());
  const fs::path copy = scratch.path() / "copy.db";
  run_sqlite3(home.path() / "box.db", "VACUUM INTO '" + copy.string() + "';");
  fs::remove_all(home.path() / "snapshots" / "s1");

  const auto cli = run_cli({"--home", home.path().string(), "--db", copy.string(), "check"});
  CHECK(cli.exit_code == 0);
  const auto repair =
      run_cli({"--home", home.path().string(), "--db", copy.string(), "check", "--repair"});
  CHECK(repair.exit_code == 0);
  // The home's own database still sees the missing snapshot.
  CHECK(found(store->check()) ==
        std::set<std::pair<std::string, std::string>>{{"missing_directory", "snapshot 's1'"}});
}

TEST_CASE("check reports a damaged database", "[check][sqlite]") {
  TempDir home;
  TempDir scratch;
  {
    auto store = open_store(home);
    populate(*store, scratch.path());
  }
  // An index that no longer matches its table: integrity_check's territory.
  run_sqlite3(home.path() / "box.db",
              "PRAGMA writable_schema = ON;"
              "UPDATE sqlite_schema SET sql = replace(sql, '(digest)', '(path)') "
              "WHERE name = 'images_by_digest';");
  auto store = open_store(home);
  const auto report = store->check(/*repair=*/true);
  bool integrity = false;
  for (const auto& f : report.findings) {
    if (f.problem == "integrity") {
      integrity = true;
      CHECK(f.repair.empty());
      CHECK_THAT(f.object, Catch::StartsWith("database '"));
    }
  }
  CHECK(integrity);
}
