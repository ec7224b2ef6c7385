// SnapshotStore (SPEC §4 "Snapshots", "Files and rows stay consistent"):
// every operation and error, the copied rootfs under <home>/snapshots/<id>,
// the fixture records, the version-2 fields, and concurrent saves and prunes
// from several processes. Every test ends with home_problems() empty.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/snapshot_store.hpp"
#include "a3s/store/store.hpp"
#include "home_check.hpp"
#include "record_json.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "totals_check.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::entries;
using a3s::test::open_store;
using a3s::test::regular_file_bytes;
using a3s::test::TempDir;
using nlohmann::json;

// The files-vs-rows invariants hold (and no staging leftovers remain), and
// the running totals equal a fresh scan of the rows.
#define CHECK_HOME_CONSISTENT(home)                                                     \
  do {                                                                                  \
    CHECK(a3s::test::home_problems(home) == std::vector<std::string>{});                \
    CHECK(a3s::test::totals_problems((home) / "box.db") == std::vector<std::string>{}); \
  } while (false)

namespace {

using Ids = std::vector<std::string>;

st::Timestamp at(const std::string& rfc3339) { return st::parse_rfc3339(rfc3339, "created_at"); }

st::SnapshotMetadata make_snapshot(const std::string& id,
                                   const std::string& created_at = "2024-01-01T00:00:00Z") {
  st::SnapshotMetadata s = a3s::test::minimal_snapshot(id);
  s.created_at = at(created_at);
  return s;
}

fs::path snapshot_dir(const fs::path& home, const std::string& id) {
  return home / "snapshots" / id;
}

fs::path rootfs_of(const fs::path& home, const std::string& id) {
  return snapshot_dir(home, id) / "rootfs";
}

// Every path under `root`, relative, sorted (symlinks not followed).
Ids tree_listing(const fs::path& root) {
  Ids paths;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    paths.push_back(it->path().lexically_relative(root).string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

Ids ids_of(const std::vector<st::SnapshotMetadata>& snapshots) {
  Ids ids;
  for (const auto& s : snapshots) ids.push_back(s.id);
  return ids;
}

fs::perms mode_of(const fs::path& path) {
  return fs::symlink_status(path).permissions() & fs::perms::mask;
}

void write_with_mode(const fs::path& path, const std::string& text, fs::perms mode) {
  a3s::test::write_file(path, text);
  fs::permissions(path, mode, fs::perm_options::replace);
}

// A directory holding one regular file of `bytes` bytes.
fs::path tree_of_size(const fs::path& parent, const std::string& name, std::size_t bytes) {
  const fs::path root = parent / name;
  fs::create_directories(root);
  a3s::test::write_file(root / "data", std::string(bytes, 'x'));
  return root;
}

// The source tree of the copy tests and what save must make of it.
struct SourceTree {
  fs::path root;
  fs::path outside_file;
  fs::path outside_dir;
  std::uint64_t regular_bytes = 0;
};

const std::string kTool = "#!/bin/sh\necho tool\n";
const std::string kConf = "key=value\n";
const std::string kDeep = "deep file contents";
const std::string kSecret = "outside the tree, never copied";

SourceTree make_source_tree(const fs::path& parent) {
  SourceTree t;
  t.root = parent / "rootfs-src";
  t.outside_file = parent / "outside" / "secret.txt";
  t.outside_dir = parent / "outside" / "dir";
  fs::create_directories(t.outside_dir);
  a3s::test::write_file(t.outside_file, kSecret);
  a3s::test::write_file(t.outside_dir / "inner.txt", kSecret);

  fs::create_directories(t.root / "bin");
  fs::create_directories(t.root / "etc");
  fs::create_directories(t.root / "a" / "b" / "c");
  fs::create_directories(t.root / "empty");
  write_with_mode(t.root / "bin" / "tool", kTool, static_cast<fs::perms>(0750));
  write_with_mode(t.root / "etc" / "conf", kConf, static_cast<fs::perms>(0604));
  a3s::test::write_file(t.root / "a" / "b" / "c" / "deep.txt", kDeep);
  a3s::test::write_file(t.root / "zero-length", "");
  fs::create_symlink(t.outside_file, t.root / "link-out");
  fs::create_symlink(t.outside_dir, t.root / "dir-link-out");
  fs::create_symlink("does/not/exist", t.root / "dangling");
  fs::create_symlink("etc/conf", t.root / "rel-link");
  t.regular_bytes = kTool.size() + kConf.size() + kDeep.size();
  return t;
}

Ids expected_listing() {
  return {"a",        "a/b",      "a/b/c",        "a/b/c/deep.txt", "bin",
          "bin/tool", "dangling", "dir-link-out", "empty",          "etc",
          "etc/conf", "link-out", "rel-link",     "zero-length"};
}

// <fixtures>/legacy-home-small/snapshots/<id>.
fs::path fixture_snapshot(const std::string& id) {
  return a3s::test::fixtures_dir() / "legacy-home-small" / "snapshots" / id;
}

st::SnapshotMetadata fixture_record(const std::string& id) {
  return st::snapshot_from_json(
      json::parse(a3s::test::read_file(fixture_snapshot(id) / "metadata.json")));
}

}  // namespace

// ---------------------------------------------------------------------------
// save

TEST_CASE("save copies the tree: contents, modes, nested and empty dirs, symlinks as symlinks",
          "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  const SourceTree tree = make_source_tree(src.path());
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  auto input = make_snapshot("snap-1", "2026-06-17T08:16:00.123456789+00:00");
  input.size_bytes = 999999;  // ignored: the store counts
  const auto saved = snaps.save(input, tree.root);

  const fs::path rootfs = rootfs_of(tmp.path(), "snap-1");
  CHECK(snaps.directory_of("snap-1") == snapshot_dir(tmp.path(), "snap-1"));
  REQUIRE(fs::is_directory(fs::symlink_status(rootfs)));
  CHECK(tree_listing(rootfs) == expected_listing());

  // Regular files: contents and permission bits.
  CHECK(a3s::test::read_file(rootfs / "bin" / "tool") == kTool);
  CHECK(a3s::test::read_file(rootfs / "etc" / "conf") == kConf);
  CHECK(a3s::test::read_file(rootfs / "a" / "b" / "c" / "deep.txt") == kDeep);
  CHECK(fs::is_regular_file(fs::symlink_status(rootfs / "zero-length")));
  CHECK(fs::file_size(rootfs / "zero-length") == 0);
  CHECK(mode_of(rootfs / "bin" / "tool") == static_cast<fs::perms>(0750));
  CHECK(mode_of(rootfs / "etc" / "conf") == static_cast<fs::perms>(0604));

  // Directories, the empty one too.
  CHECK(fs::is_directory(fs::symlink_status(rootfs / "a" / "b" / "c")));
  CHECK(fs::is_directory(fs::symlink_status(rootfs / "empty")));
  CHECK(entries(rootfs / "empty").empty());

  // Symlinks are copied as symlinks with the same target, never followed.
  for (const auto& [name, target] :
       std::map<std::string, fs::path>{{"link-out", tree.outside_file},
                                       {"dir-link-out", tree.outside_dir},
                                       {"dangling", "does/not/exist"},
                                       {"rel-link", "etc/conf"}}) {
    CAPTURE(name);
    REQUIRE(fs::is_symlink(fs::symlink_status(rootfs / name)));
    CHECK(fs::read_symlink(rootfs / name) == target);
  }
  // The outside tree was neither copied nor touched.
  CHECK(a3s::test::read_file(tree.outside_file) == kSecret);
  CHECK(entries(tree.outside_dir) == Ids{"inner.txt"});

  // size_bytes = the bytes of regular files only; created_at kept.
  CHECK(saved.size_bytes == tree.regular_bytes);
  CHECK(saved.size_bytes == regular_file_bytes(rootfs));
  CHECK(saved.created_at == at("2026-06-17T08:16:00.123456789Z"));
  auto expected = input;
  expected.size_bytes = tree.regular_bytes;
  CHECK(saved == expected);

  const auto got = snaps.get("snap-1");
  REQUIRE(got.has_value());
  CHECK(*got == saved);
  CHECK(snaps.count() == 1);
  CHECK(snaps.total_size() == tree.regular_bytes);

  // The source is left as it was.
  CHECK(tree_listing(tree.root) == expected_listing());
  CHECK(mode_of(tree.root / "bin" / "tool") == static_cast<fs::perms>(0750));
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("save of an absent source gives an empty rootfs of size 0", "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  auto input = make_snapshot("empty-1");
  input.size_bytes = 77;
  const auto saved = snaps.save(input, src.path() / "does-not-exist");
  CHECK(saved.size_bytes == 0);
  const fs::path rootfs = rootfs_of(tmp.path(), "empty-1");
  CHECK(fs::is_directory(fs::symlink_status(rootfs)));
  CHECK(entries(rootfs).empty());
  CHECK_FALSE(fs::exists(src.path() / "does-not-exist"));

  const auto got = snaps.get("empty-1");
  REQUIRE(got.has_value());
  CHECK(got->size_bytes == 0);
  CHECK(*got == saved);
  CHECK(snaps.total_size() == 0);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("save of an empty source directory gives an empty rootfs", "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  fs::create_directories(src.path() / "empty-src");
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  const auto saved = snaps.save(make_snapshot("e"), src.path() / "empty-src");
  CHECK(saved.size_bytes == 0);
  CHECK(fs::is_directory(rootfs_of(tmp.path(), "e")));
  CHECK(entries(rootfs_of(tmp.path(), "e")).empty());
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("save of a source that is a regular file is invalid_argument and writes nothing",
          "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  a3s::test::write_file(src.path() / "not-a-dir", "plain file");
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  REQUIRE_STORE_ERROR(snaps.save(make_snapshot("f"), src.path() / "not-a-dir"),
                      st::ErrorCode::invalid_argument, "not a directory");
  CHECK_FALSE(snaps.get("f").has_value());
  CHECK(snaps.count() == 0);
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots").empty());
  CHECK(a3s::test::staging_leftovers(tmp.path()).empty());
  CHECK(a3s::test::read_file(src.path() / "not-a-dir") == "plain file");
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("save recreates a FIFO as root and skips it otherwise, never blocking on it",
          "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  const fs::path source = tree_of_size(src.path(), "t", 12);
  REQUIRE(::mkfifo((source / "pipe").c_str(), 0644) == 0);
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  const auto saved = snaps.save(make_snapshot("fifo"), source);
  CHECK(saved.size_bytes == 12);
  if (::geteuid() == 0) {
    CHECK(entries(rootfs_of(tmp.path(), "fifo")) == Ids{"data", "pipe"});
    CHECK(fs::is_fifo(rootfs_of(tmp.path(), "fifo") / "pipe"));
  } else {
    CHECK(entries(rootfs_of(tmp.path(), "fifo")) == Ids{"data"});
  }
  CHECK_HOME_CONSISTENT(tmp.path());
}

// Only a missing source means an empty rootfs; a path that cannot be
// resolved (ELOOP, ENAMETOOLONG, EACCES) is an error.
TEST_CASE("save of a source path that cannot be resolved is an error, not an empty snapshot",
          "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  fs::create_symlink("loop", src.path() / "loop");  // loop/anything: ELOOP
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  const std::string which = GENERATE(std::string("ELOOP"), std::string("ENAMETOOLONG"));
  CAPTURE(which);
  const fs::path source =
      which == "ELOOP" ? src.path() / "loop" / "rootfs" : src.path() / std::string(300, 'n');
  bool thrown = false;
  try {
    snaps.save(make_snapshot("unresolvable"), source);
  } catch (const st::Error& e) {
    thrown = true;
    CHECK((e.code() == st::ErrorCode::io || e.code() == st::ErrorCode::invalid_argument));
  }
  CHECK(thrown);
  CHECK_FALSE(snaps.get("unresolvable").has_value());
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots").empty());
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("save of a taken ID is already_exists and leaves the snapshot and its files alone",
          "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  const fs::path first_src = tree_of_size(src.path(), "first", 10);
  const fs::path second_src = tree_of_size(src.path(), "second", 500);
  a3s::test::write_file(second_src / "extra", "only in the second tree");
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  const auto first = snaps.save(make_snapshot("dup", "2024-01-01T00:00:00Z"), first_src);
  auto second = make_snapshot("dup", "2025-01-01T00:00:00Z");
  second.name = "another name";
  REQUIRE_STORE_ERROR(snaps.save(second, second_src), st::ErrorCode::already_exists,
                      "snapshot 'dup' already exists");
  // Even with an absent source.
  REQUIRE_STORE_ERROR(snaps.save(second, src.path() / "absent"), st::ErrorCode::already_exists,
                      "'dup'");

  const auto got = snaps.get("dup");
  REQUIRE(got.has_value());
  CHECK(*got == first);
  CHECK(got->size_bytes == 10);
  const fs::path rootfs = rootfs_of(tmp.path(), "dup");
  CHECK(entries(rootfs) == Ids{"data"});
  CHECK(a3s::test::read_file(rootfs / "data") == std::string(10, 'x'));
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots") == Ids{"dup"});
  CHECK(a3s::test::staging_leftovers(tmp.path()).empty());
  CHECK(snaps.count() == 1);
  CHECK(snaps.total_size() == 10);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("bad snapshot IDs are invalid_argument before they reach a path", "[snapshot][ids]") {
  TempDir tmp;
  TempDir src;
  const SourceTree tree = make_source_tree(src.path());
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  const std::string bad_id =
      GENERATE(std::string("../x"), std::string("a/b"), std::string(""), std::string(".x"),
               std::string(".."), std::string("/abs"), std::string("-x"), std::string("a b"),
               std::string("x\0y", 3), std::string(129, 'a'));
  CAPTURE(bad_id);

  REQUIRE_STORE_ERROR(snaps.save(make_snapshot(bad_id), tree.root), st::ErrorCode::invalid_argument,
                      "snapshot ID");
  REQUIRE_STORE_ERROR(snaps.save(make_snapshot(bad_id), src.path() / "absent"),
                      st::ErrorCode::invalid_argument, "snapshot ID");
  REQUIRE_STORE_ERROR(snaps.get(bad_id), st::ErrorCode::invalid_argument, "snapshot ID");
  REQUIRE_STORE_ERROR(snaps.remove(bad_id), st::ErrorCode::invalid_argument, "snapshot ID");
  REQUIRE_STORE_ERROR(snaps.directory_of(bad_id), st::ErrorCode::invalid_argument, "snapshot ID");

  // Nothing written: no row, nothing under snapshots/, no staging leftovers,
  // nothing next to the home's snapshots directory or in the home.
  CHECK(snaps.count() == 0);
  CHECK(snaps.list().empty());
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots").empty());
  CHECK(a3s::test::staging_leftovers(tmp.path()).empty());
  CHECK_FALSE(fs::exists(tmp.path() / "x"));
  CHECK_FALSE(fs::exists(tmp.path() / "a"));
  for (const auto& entry : entries(tmp.path())) {
    CAPTURE(entry);
    CHECK((entry == "box.db" || entry.rfind("box.db-", 0) == 0 || entry == "snapshots" ||
           entry == "volumes" || entry == "images"));
  }
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("an ID of 128 characters and every allowed character is accepted", "[snapshot][ids]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  for (const std::string& id : {std::string(128, 'z'), std::string("A0_.-z9"), std::string("9")}) {
    CAPTURE(id);
    const auto saved = snaps.save(make_snapshot(id), tmp.path() / "absent");
    CHECK(saved.id == id);
    CHECK(fs::is_directory(rootfs_of(tmp.path(), id)));
    REQUIRE(snaps.get(id).has_value());
    CHECK(*snaps.get(id) == saved);
  }
  CHECK(snaps.count() == 3);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("save refuses an invalid record and writes nothing", "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  const fs::path source = tree_of_size(src.path(), "t", 5);
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  auto bad = make_snapshot("bad");
  std::string field;
  SECTION("empty source_box_id") {
    bad.source_box_id = "";
    field = "source_box_id";
  }
  SECTION("control character in image") {
    bad.image = "alpine\n:latest";
    field = "image";
  }
  SECTION("invalid UTF-8 in the name") {
    bad.name = "bad \xff name";
    field = "name";
  }
  SECTION("image_config that is not an object") {
    bad.image_config = "[1, 2]";
    field = "image_config";
  }
  SECTION("image_config that is not JSON") {
    bad.image_config = R"({"Env": [)";
    field = "image_config";
  }
  SECTION("health_check that is not an object") {
    bad.health_check = R"("CMD true")";
    field = "health_check";
  }
  SECTION("too many env entries") {
    for (int i = 0; i <= 10000; ++i) bad.env["K" + std::to_string(i)] = "v";
    field = "env";
  }
  REQUIRE_STORE_ERROR(snaps.save(bad, source), st::ErrorCode::invalid_argument, field);
  CHECK_FALSE(snaps.get("bad").has_value());
  CHECK(snaps.count() == 0);
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots").empty());
  CHECK(a3s::test::staging_leftovers(tmp.path()).empty());
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("a saved snapshot survives closing and reopening the store", "[snapshot][save]") {
  TempDir tmp;
  TempDir src;
  const fs::path source = tree_of_size(src.path(), "t", 42);
  st::SnapshotMetadata saved;
  {
    auto store = open_store(tmp.path());
    saved =
        store->snapshots().save(make_snapshot("keep", "2024-02-29T23:59:59.999999999Z"), source);
  }
  auto store = open_store(tmp.path());
  const auto got = store->snapshots().get("keep");
  REQUIRE(got.has_value());
  CHECK(*got == saved);
  CHECK(got->size_bytes == 42);
  CHECK(store->snapshots().total_size() == 42);
  CHECK_HOME_CONSISTENT(tmp.path());
}

// ---------------------------------------------------------------------------
// get, list

TEST_CASE("get returns nullopt for a snapshot that does not exist", "[snapshot][get]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  CHECK_FALSE(snaps.get("nope").has_value());
  snaps.save(make_snapshot("yes"), tmp.path() / "absent");
  CHECK_FALSE(snaps.get("nope").has_value());
  CHECK_FALSE(snaps.get("YES").has_value());
  CHECK(snaps.get("yes").has_value());
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("list is newest first, by the instant not the text, ties by ID", "[snapshot][list]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  CHECK(snaps.list().empty());

  const fs::path absent = tmp.path() / "absent";
  // Saved in an order unrelated to the expected one.
  snaps.save(make_snapshot("tie-b", "2024-06-01T00:00:00Z"), absent);
  snaps.save(make_snapshot("oldest", "1970-01-01T00:00:00Z"), absent);
  snaps.save(make_snapshot("frac-long", "2024-06-01T00:00:00.123456789Z"), absent);
  snaps.save(make_snapshot("tie-a", "2024-06-01T00:00:00Z"), absent);
  snaps.save(make_snapshot("frac-short", "2024-06-01T00:00:00.5Z"), absent);
  // 01:00 at +02:00 is 23:00 the day before: older than the ties.
  snaps.save(make_snapshot("offset", "2024-06-01T01:00:00+02:00"), absent);
  snaps.save(make_snapshot("newest", "2030-01-01T00:00:00Z"), absent);
  snaps.save(make_snapshot("one-ns", "2024-06-01T00:00:00.000000001Z"), absent);

  const auto listed = snaps.list();
  CHECK(ids_of(listed) ==
        Ids{"newest", "frac-short", "frac-long", "one-ns", "tie-a", "tie-b", "offset", "oldest"});
  for (const auto& s : listed) {
    CAPTURE(s.id);
    const auto got = snaps.get(s.id);
    REQUIRE(got.has_value());
    CHECK(*got == s);
  }
  CHECK(listed.back().created_at == st::Timestamp{});
  CHECK_HOME_CONSISTENT(tmp.path());
}

// ---------------------------------------------------------------------------
// remove, count, total_size

TEST_CASE("remove deletes the row and then the directory; returns whether it existed",
          "[snapshot][remove]") {
  TempDir tmp;
  TempDir src;
  const SourceTree tree = make_source_tree(src.path());
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  CHECK_FALSE(snaps.remove("never-saved"));
  snaps.save(make_snapshot("gone"), tree.root);
  snaps.save(make_snapshot("stays"), tree.root);
  REQUIRE(fs::is_directory(rootfs_of(tmp.path(), "gone")));

  const auto saved_gone = snaps.get("gone");
  const auto removed = snaps.remove("gone");
  REQUIRE(removed);
  CHECK(removed == saved_gone);  // the removed record, as it was stored
  CHECK_FALSE(snaps.get("gone").has_value());
  CHECK_FALSE(fs::exists(fs::symlink_status(snapshot_dir(tmp.path(), "gone"))));
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots") == Ids{"stays"});
  CHECK(a3s::test::staging_leftovers(tmp.path()).empty());
  // The symlinks were removed, not followed.
  CHECK(a3s::test::read_file(tree.outside_file) == kSecret);
  CHECK(entries(tree.outside_dir) == Ids{"inner.txt"});
  CHECK(tree_listing(tree.root) == expected_listing());

  CHECK_FALSE(snaps.remove("gone"));
  CHECK(snaps.get("stays").has_value());
  CHECK(tree_listing(rootfs_of(tmp.path(), "stays")) == expected_listing());
  CHECK(snaps.count() == 1);
  CHECK_HOME_CONSISTENT(tmp.path());

  // The ID can be used again.
  const auto again = snaps.save(make_snapshot("gone"), src.path() / "absent");
  CHECK(again.size_bytes == 0);
  CHECK(entries(rootfs_of(tmp.path(), "gone")).empty());
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("remove succeeds when the snapshot's files are already gone", "[snapshot][remove]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  snaps.save(make_snapshot("lost"), tmp.path() / "absent");
  fs::remove_all(snapshot_dir(tmp.path(), "lost"));

  CHECK(snaps.remove("lost"));
  CHECK_FALSE(snaps.get("lost").has_value());
  CHECK(snaps.count() == 0);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("count and total_size follow saves and removes", "[snapshot][count]") {
  TempDir tmp;
  TempDir src;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  CHECK(snaps.count() == 0);
  CHECK(snaps.total_size() == 0);

  snaps.save(make_snapshot("s100"), tree_of_size(src.path(), "a", 100));
  snaps.save(make_snapshot("s250"), tree_of_size(src.path(), "b", 250));
  snaps.save(make_snapshot("s0"), src.path() / "absent");
  snaps.save(make_snapshot("s7"), tree_of_size(src.path(), "c", 7));
  CHECK(snaps.count() == 4);
  CHECK(snaps.total_size() == 357);
  CHECK_HOME_CONSISTENT(tmp.path());

  CHECK(snaps.remove("s250"));
  CHECK(snaps.count() == 3);
  CHECK(snaps.total_size() == 107);
  CHECK_HOME_CONSISTENT(tmp.path());
  CHECK(snaps.remove("s0"));
  CHECK(snaps.count() == 2);
  CHECK(snaps.total_size() == 107);
  CHECK_FALSE(snaps.remove("s0"));
  CHECK(snaps.count() == 2);
  CHECK(snaps.remove("s100"));
  CHECK(snaps.remove("s7"));
  CHECK(snaps.count() == 0);
  CHECK(snaps.total_size() == 0);
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots").empty());
  CHECK_HOME_CONSISTENT(tmp.path());
}

// Copies keep directory modes (the fixture's are 0555); a non-root owner
// must still be able to delete them.
TEST_CASE("an unprivileged user can remove a snapshot of a tree with read-only directories",
          "[snapshot][remove]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  if (::geteuid() == 0) {
    REQUIRE(::chown(tmp.path().c_str(), a3s::test::kNobody, a3s::test::kNobody) == 0);
  }
  const fs::path source = fixture_snapshot("snap-001") / "rootfs";
  const int code = a3s::test::unprivileged([&] {
    auto store = open_store(home);
    auto& snaps = store->snapshots();
    snaps.save(make_snapshot("ro"), source);
    if (!snaps.remove("ro")) return 11;
    return a3s::test::home_problems(home).empty() ? 0 : 12;
  });
  CHECK(code == 0);
  CHECK_HOME_CONSISTENT(home);
}

// ---------------------------------------------------------------------------
// prune

namespace {

// Five snapshots, oldest first: p1 (10 B), p2 (20 B), p3 (30 B), p4 (40 B),
// p5 (50 B); p2 and p1 share a created_at, so p1 is the older by ID.
void save_prune_set(st::SnapshotStore& snaps, const fs::path& src) {
  snaps.save(make_snapshot("p4", "2024-01-04T00:00:00Z"), tree_of_size(src, "t4", 40));
  snaps.save(make_snapshot("p2", "2024-01-01T00:00:00Z"), tree_of_size(src, "t2", 20));
  snaps.save(make_snapshot("p5", "2024-01-05T00:00:00Z"), tree_of_size(src, "t5", 50));
  snaps.save(make_snapshot("p1", "2024-01-01T00:00:00Z"), tree_of_size(src, "t1", 10));
  snaps.save(make_snapshot("p3", "2024-01-03T00:00:00Z"), tree_of_size(src, "t3", 30));
}

}  // namespace

TEST_CASE("prune deletes oldest first (ties by ID) until both limits hold", "[snapshot][prune]") {
  TempDir tmp;
  TempDir src;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  save_prune_set(snaps, src.path());
  REQUIRE(snaps.total_size() == 150);

  Ids pruned;
  Ids kept;
  std::uint64_t max_count = 0;
  std::uint64_t max_bytes = 0;
  SECTION("0 and 0 mean no limit") { kept = {"p5", "p4", "p3", "p1", "p2"}; }
  SECTION("limits already met") {
    max_count = 5;
    max_bytes = 150;
    kept = {"p5", "p4", "p3", "p1", "p2"};
  }
  SECTION("by count") {
    max_count = 3;
    pruned = {"p1", "p2"};
    kept = {"p5", "p4", "p3"};
  }
  SECTION("by count, down to one") {
    max_count = 1;
    pruned = {"p1", "p2", "p3", "p4"};
    kept = {"p5"};
  }
  SECTION("by bytes") {
    max_bytes = 100;  // 150 → 140 → 120 → 90
    pruned = {"p1", "p2", "p3"};
    kept = {"p5", "p4"};
  }
  SECTION("by bytes, exactly at the limit") {
    max_bytes = 120;  // 150 → 140 → 120
    pruned = {"p1", "p2"};
    kept = {"p5", "p4", "p3"};
  }
  SECTION("by bytes smaller than any snapshot") {
    max_bytes = 1;
    pruned = {"p1", "p2", "p3", "p4", "p5"};
  }
  SECTION("both: bytes is the stricter") {
    max_count = 4;
    max_bytes = 100;
    pruned = {"p1", "p2", "p3"};
    kept = {"p5", "p4"};
  }
  SECTION("both: count is the stricter") {
    max_count = 2;
    max_bytes = 140;
    pruned = {"p1", "p2", "p3"};
    kept = {"p5", "p4"};
  }
  SECTION("a count limit with no byte limit") {
    max_count = 4;
    max_bytes = 0;
    pruned = {"p1"};
    kept = {"p5", "p4", "p3", "p2"};
  }
  CAPTURE(max_count, max_bytes);

  CHECK(snaps.prune(max_count, max_bytes) == pruned);
  CHECK(ids_of(snaps.list()) == kept);
  CHECK(snaps.count() == kept.size());
  std::uint64_t kept_bytes = 0;
  for (const auto& id : kept) kept_bytes += snaps.get(id)->size_bytes;
  CHECK(snaps.total_size() == kept_bytes);
  for (const auto& id : pruned) {
    CAPTURE(id);
    CHECK_FALSE(snaps.get(id).has_value());
    CHECK_FALSE(fs::exists(snapshot_dir(tmp.path(), id)));
  }
  Ids sorted_kept = kept;
  std::sort(sorted_kept.begin(), sorted_kept.end());
  CHECK(a3s::test::catalog_entries(tmp.path() / "snapshots") == sorted_kept);
  CHECK_HOME_CONSISTENT(tmp.path());

  // A second prune with the same limits has nothing left to do.
  CHECK(snaps.prune(max_count, max_bytes).empty());
  CHECK(ids_of(snaps.list()) == kept);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("count and total_size stay equal to the rows through save, prune, remove and edits",
          "[snapshot][count][prune][sqlite]") {
  TempDir tmp;
  TempDir src;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  const fs::path db = tmp.path() / "box.db";
  auto totals_match = [&](std::uint64_t count, std::uint64_t bytes) {
    CHECK(snaps.count() == count);
    CHECK(snaps.total_size() == bytes);
    CHECK(a3s::test::totals_problems(db) == std::vector<std::string>{});
  };

  save_prune_set(snaps, src.path());
  totals_match(5, 150);
  CHECK(snaps.prune(3, 0) == Ids{"p1", "p2"});
  totals_match(3, 120);
  CHECK(snaps.remove("p3"));
  totals_match(2, 90);

  // An operator's edit in the sqlite3 shell moves the totals too.
  const std::uint64_t five_gib = std::uint64_t{5} << 30;
  a3s::test::run_sqlite3(
      db, "UPDATE snapshots SET size_bytes = " + std::to_string(five_gib) + " WHERE id = 'p4';");
  totals_match(2, five_gib + 50);
  CHECK(snaps.prune(0, 100) == Ids{"p4"});
  totals_match(1, 50);
  CHECK(snaps.prune(0, 1) == Ids{"p5"});
  totals_match(0, 0);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("prune of an empty store returns nothing", "[snapshot][prune]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  CHECK(snaps.prune(0, 0).empty());
  CHECK(snaps.prune(1, 1).empty());
  CHECK(snaps.count() == 0);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("prune by bytes keeps snapshots of size 0", "[snapshot][prune]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();
  snaps.save(make_snapshot("z1", "2024-01-01T00:00:00Z"), tmp.path() / "absent");
  snaps.save(make_snapshot("z2", "2024-01-02T00:00:00Z"), tmp.path() / "absent");
  CHECK(snaps.prune(0, 1).empty());
  CHECK(snaps.count() == 2);
  CHECK(snaps.prune(1, 1) == Ids{"z1"});
  CHECK(ids_of(snaps.list()) == Ids{"z2"});
  CHECK_HOME_CONSISTENT(tmp.path());
}

// ---------------------------------------------------------------------------
// Fixtures and the version-2 fields

TEST_CASE("the fixture snapshots round-trip with their rootfs", "[snapshot][fixtures]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  for (const std::string& id : {std::string("snap-001"), std::string("snap-002")}) {
    CAPTURE(id);
    const auto record = fixture_record(id);
    const fs::path source = fixture_snapshot(id) / "rootfs";
    const std::uint64_t bytes = regular_file_bytes(source);

    const auto saved = snaps.save(record, source);
    auto expected = record;
    expected.size_bytes = bytes;  // recomputed from the files, whatever the JSON said
    CHECK(saved == expected);
    const auto got = snaps.get(id);
    REQUIRE(got.has_value());
    CHECK(*got == expected);
    CHECK(st::to_json(*got) == st::to_json(expected));

    const fs::path rootfs = rootfs_of(tmp.path(), id);
    CHECK(tree_listing(rootfs) == tree_listing(source));
    for (const auto& rel : tree_listing(source)) {
      CAPTURE(rel);
      if (fs::is_regular_file(fs::symlink_status(source / rel))) {
        CHECK(a3s::test::read_file(rootfs / rel) == a3s::test::read_file(source / rel));
        CHECK(mode_of(rootfs / rel) == mode_of(source / rel));
      }
    }
  }

  // snap-001: etc/nginx/nginx.conf and index.html.
  const std::uint64_t snap1_bytes =
      fs::file_size(fixture_snapshot("snap-001") / "rootfs" / "etc" / "nginx" / "nginx.conf") +
      fs::file_size(fixture_snapshot("snap-001") / "rootfs" / "index.html");
  CHECK(snaps.get("snap-001")->size_bytes == snap1_bytes);
  CHECK(snaps.get("snap-002")->size_bytes ==
        fs::file_size(fixture_snapshot("snap-002") / "rootfs" / "bin" / "sh"));

  // snap-001 keeps every field of its JSON.
  const auto snap1 = *snaps.get("snap-001");
  CHECK(snap1.name == "web-before-upgrade");
  CHECK(snap1.image == "docker.io/library/nginx:1.27");
  CHECK(snap1.volumes == std::vector<std::string>{"/home/user/.a3s/volumes/pgdata:/var/lib/"
                                                  "postgresql/data"});
  CHECK(snap1.entrypoint == std::optional<std::vector<std::string>>{{"/docker-entrypoint.sh"}});
  CHECK(snap1.workdir == std::optional<std::string>{"/usr/share/nginx/html"});
  CHECK(snap1.network_mode == std::optional<std::string>{"bridge:frontend"});
  CHECK(snap1.rootfs_cache_key == std::optional<std::string>{"c0ffee"});
  CHECK(snap1.created_at == at("2026-06-20T12:00:00Z"));
  CHECK(snap1.description == "before nginx upgrade");
  // snap-002 takes the defaults.
  const auto snap2 = *snaps.get("snap-002");
  CHECK_FALSE(snap2.entrypoint.has_value());
  CHECK_FALSE(snap2.workdir.has_value());
  CHECK(snap2.created_at == st::Timestamp{});
  CHECK(snap2.description.empty());
  CHECK_FALSE(snap2.image_config.has_value());
  CHECK_FALSE(snap2.health_check.has_value());
  CHECK_FALSE(snap2.healthcheck_disabled);

  CHECK(ids_of(snaps.list()) == Ids{"snap-001", "snap-002"});
  CHECK(snaps.total_size() == snap1_bytes + snap2.size_bytes);
  CHECK_HOME_CONSISTENT(tmp.path());
}

TEST_CASE("image_config, health_check and healthcheck_disabled round-trip verbatim",
          "[snapshot][v2]") {
  TempDir tmp;
  auto store = open_store(tmp.path());
  auto& snaps = store->snapshots();

  // The text as the runtime wrote it: whitespace and key order are kept.
  const std::string image_config = R"({
    "Env": ["PATH=/usr/bin", "A=1"],
    "ExposedPorts": {"80/tcp": {}},
    "Labels": {"org.opencontainers.image.title": "nginx \u00e9"},
    "nested": {"deep": [1, -2, 2.5, null, true, {"k": "v", "empty": []}],
               "big": 18446744073709551615, "zero": 0}
  })";
  const std::string health_check = R"({
    "Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
    "Interval": 30000000000, "Timeout": 5000000000, "Retries": 3,
    "StartPeriod": 0, "Extra": {"x": {"y": {"z": "deep"}}}
  })";

  auto full = make_snapshot("v2-full", "2024-01-02T00:00:00Z");
  full.image_config = image_config;
  full.health_check = health_check;
  full.healthcheck_disabled = true;
  auto empty_objects = make_snapshot("v2-empty", "2024-01-01T00:00:00Z");
  empty_objects.image_config = "{}";
  empty_objects.health_check = "{}";
  auto absent = make_snapshot("v2-absent", "2023-01-01T00:00:00Z");

  for (const auto* s : {&full, &empty_objects, &absent}) {
    CAPTURE(s->id);
    const auto saved = snaps.save(*s, tmp.path() / "absent");
    CHECK(saved == *s);
  }

  const auto got = snaps.get("v2-full");
  REQUIRE(got.has_value());
  CHECK(*got == full);
  REQUIRE(got->image_config.has_value());
  REQUIRE(got->health_check.has_value());
  CHECK(*got->image_config == image_config);
  CHECK(*got->health_check == health_check);
  CHECK(got->healthcheck_disabled);
  // The record's JSON carries the objects themselves.
  const json got_json = st::to_json(*got);
  CHECK(got_json.at("image_config") == json::parse(image_config));
  CHECK(got_json.at("image_config")["nested"]["big"].get<std::uint64_t>() ==
        18446744073709551615ULL);
  CHECK(got_json.at("health_check") == json::parse(health_check));

  const auto empty_got = snaps.get("v2-empty");
  REQUIRE(empty_got.has_value());
  CHECK(*empty_got == empty_objects);
  CHECK(empty_got->image_config == std::optional<std::string>("{}"));
  CHECK(empty_got->health_check == std::optional<std::string>("{}"));
  CHECK_FALSE(empty_got->healthcheck_disabled);

  const auto absent_got = snaps.get("v2-absent");
  REQUIRE(absent_got.has_value());
  CHECK(*absent_got == absent);
  CHECK_FALSE(absent_got->image_config.has_value());
  CHECK_FALSE(absent_got->health_check.has_value());
  const json absent_json = st::to_json(*absent_got);
  CHECK_FALSE(absent_json.contains("image_config"));
  CHECK_FALSE(absent_json.contains("health_check"));

  // list decodes the same way, and the values survive a reopen.
  const auto listed = snaps.list();
  REQUIRE(ids_of(listed) == Ids{"v2-full", "v2-empty", "v2-absent"});
  CHECK(listed[0] == full);
  CHECK(listed[1] == empty_objects);
  CHECK(listed[2] == absent);
  store.reset();
  auto reopened = open_store(tmp.path());
  CHECK(reopened->snapshots().get("v2-full") == std::optional<st::SnapshotMetadata>(full));
  CHECK_HOME_CONSISTENT(tmp.path());
}

// ---------------------------------------------------------------------------
// Several processes

TEST_CASE("4 processes saving 10 snapshots each and pruning to 15 leave a consistent home",
          "[snapshot][multiprocess]") {
  TempDir tmp;
  TempDir src;
  const fs::path home = tmp.path();
  const fs::path reports = src.path() / "reports";
  fs::create_directories(reports);
  constexpr int kProcesses = 4;
  constexpr int kSnapshots = 10;
  constexpr std::uint64_t kKeep = 15;
  for (int p = 0; p < kProcesses; ++p) {
    const fs::path t = tree_of_size(src.path(), "tree-" + std::to_string(p), 100 + p);
    fs::create_directories(t / "sub" / "empty");
    fs::create_symlink("../data", t / "sub" / "link");
  }
  { auto store = open_store(home); }  // created, and closed before the fork

  const auto id_of = [](int p, int s) {
    return "p" + std::to_string(p) + "-s" + std::to_string(s);
  };
  const auto codes = a3s::test::run_in_children(kProcesses, [&](int index) {
    auto store = open_store(home);
    auto& snaps = store->snapshots();
    std::ofstream out(reports / ("child-" + std::to_string(index) + ".txt"));
    const fs::path source = src.path() / ("tree-" + std::to_string(index));
    for (int s = 0; s < kSnapshots; ++s) {
      // Interleaved creation times: s-th of every process close together.
      auto meta = make_snapshot(id_of(index, s), "2024-01-01T00:00:00Z");
      meta.created_at = st::Timestamp{meta.created_at.seconds() + s * kProcesses + index, 0};
      try {
        const auto saved = snaps.save(meta, source);
        if (saved.size_bytes != static_cast<std::uint64_t>(100 + index)) return 2;
        for (const auto& id : snaps.prune(kKeep, 0)) out << "pruned " << id << '\n';
      } catch (const st::Error& err) {
        std::cerr << "child " << index << ": " << err.what() << '\n';
        return 1;
      }
    }
    out.flush();
    return out ? 0 : 3;
  });
  CHECK(codes == std::vector<int>(kProcesses, 0));

  auto store = open_store(home);
  auto& snaps = store->snapshots();
  const auto listed = snaps.list();
  CHECK(snaps.count() == kKeep);
  CHECK(listed.size() == kKeep);
  std::uint64_t bytes = 0;
  for (const auto& s : listed) bytes += s.size_bytes;
  CHECK(snaps.total_size() == bytes);

  // Every snapshot was either kept or pruned by exactly one process.
  std::multiset<std::string> pruned;
  for (int p = 0; p < kProcesses; ++p) {
    std::istringstream in(a3s::test::read_file(reports / ("child-" + std::to_string(p) + ".txt")));
    std::string word, id;
    while (in >> word >> id) pruned.insert(id);
  }
  std::multiset<std::string> seen(pruned);
  for (const auto& s : listed) seen.insert(s.id);
  std::multiset<std::string> all;
  for (int p = 0; p < kProcesses; ++p) {
    for (int s = 0; s < kSnapshots; ++s) all.insert(id_of(p, s));
  }
  CHECK(seen == all);
  CHECK(pruned.size() == kProcesses * kSnapshots - kKeep);

  for (const auto& s : listed) {
    CAPTURE(s.id);
    const fs::path rootfs = rootfs_of(home, s.id);
    CHECK(a3s::test::read_file(rootfs / "data").size() == s.size_bytes);
    CHECK(fs::is_directory(rootfs / "sub" / "empty"));
    CHECK(fs::read_symlink(rootfs / "sub" / "link") == "../data");
  }
  for (const auto& id : pruned) CHECK_FALSE(fs::exists(snapshot_dir(home, id)));
  CHECK_HOME_CONSISTENT(home);
}

TEST_CASE("of 4 processes saving the same ID at once exactly one succeeds",
          "[snapshot][multiprocess]") {
  TempDir tmp;
  TempDir src;
  const fs::path home = tmp.path();
  constexpr int kProcesses = 4;
  for (int p = 0; p < kProcesses; ++p) {
    const fs::path t = tree_of_size(src.path(), "tree-" + std::to_string(p), 1000 + p);
    for (int f = 0; f < 20; ++f) a3s::test::write_file(t / ("f" + std::to_string(f)), "x");
  }
  { auto store = open_store(home); }  // created, and closed before the fork

  const auto codes = a3s::test::run_in_children(kProcesses, [&](int index) {
    auto store = open_store(home);
    try {
      store->snapshots().save(make_snapshot("same"),
                              src.path() / ("tree-" + std::to_string(index)));
      return 0;
    } catch (const st::Error& err) {
      return err.code() == st::ErrorCode::already_exists ? 3 : 1;
    }
  });
  CHECK(std::count(codes.begin(), codes.end(), 0) == 1);
  CHECK(std::count(codes.begin(), codes.end(), 3) == kProcesses - 1);

  auto store = open_store(home);
  const auto winner = static_cast<int>(std::find(codes.begin(), codes.end(), 0) - codes.begin());
  const auto got = store->snapshots().get("same");
  REQUIRE(got.has_value());
  CHECK(got->size_bytes == static_cast<std::uint64_t>(1000 + winner + 20));
  CHECK(a3s::test::read_file(rootfs_of(home, "same") / "data") ==
        std::string(static_cast<std::size_t>(1000 + winner), 'x'));
  CHECK(entries(rootfs_of(home, "same")).size() == 21);
  CHECK(store->snapshots().count() == 1);
  CHECK_HOME_CONSISTENT(home);
}

TEST_CASE("4 processes saving and removing the same few IDs leave a consistent home",
          "[snapshot][multiprocess]") {
  TempDir tmp;
  TempDir src;
  const fs::path home = tmp.path();
  const fs::path source = tree_of_size(src.path(), "t", 64);
  fs::create_directories(source / "d" / "e");
  { auto store = open_store(home); }  // created, and closed before the fork

  const auto codes = a3s::test::run_in_children(4, [&](int index) {
    auto store = open_store(home);
    auto& snaps = store->snapshots();
    for (int round = 0; round < 15; ++round) {
      const std::string id = "churn-" + std::to_string((round + index) % 3);
      try {
        snaps.save(make_snapshot(id), source);
      } catch (const st::Error& err) {
        if (err.code() != st::ErrorCode::already_exists) return 1;
      }
      if (round % 2 == index % 2) snaps.remove(id);
      if (round % 5 == 4) snaps.prune(1, 0);
    }
    return 0;
  });
  CHECK(codes == std::vector<int>(4, 0));

  auto store = open_store(home);
  auto& snaps = store->snapshots();
  for (const auto& s : snaps.list()) {
    CAPTURE(s.id);
    CHECK(s.size_bytes == 64);
    CHECK(a3s::test::read_file(rootfs_of(home, s.id) / "data") == std::string(64, 'x'));
    CHECK(fs::is_directory(rootfs_of(home, s.id) / "d" / "e"));
  }
  CHECK(snaps.total_size() == 64 * snaps.count());
  CHECK_HOME_CONSISTENT(home);
}
