// ImageStore (SPEC §4 "Images", "Files and rows stay consistent"): layouts
// copied once per digest under <home>/images/sha256, dangling entries on
// retag, last_used, removal by reference and by digest, total_size, LRU
// eviction and the cache cap, and many processes sharing digests.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "a3s/store/error.hpp"
#include "a3s/store/image_store.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "database.hpp"
#include "fault_injection.hpp"
#include "home_check.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "totals_check.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::entries;
using a3s::test::ScopedEnv;
using a3s::test::TempDir;

namespace {

using Names = std::vector<std::string>;

std::string digest_of(char hex) { return "sha256:" + std::string(64, hex); }
const std::string kDigestA = digest_of('a');
const std::string kDigestB = digest_of('b');
const std::string kDigestC = digest_of('c');

// Only Store::open makes stores: no constructor is public, none copies.
static_assert(!std::is_constructible_v<st::ImageStore, st::Database&, fs::path, std::uint64_t>);
static_assert(!std::is_constructible_v<st::NetworkStore, st::Database&>);
static_assert(!std::is_constructible_v<st::VolumeStore, st::Database&, fs::path>);
static_assert(!std::is_constructible_v<st::SnapshotStore, st::Database&, fs::path>);
static_assert(!std::is_copy_constructible_v<st::ImageStore> &&
              !std::is_copy_constructible_v<st::NetworkStore> &&
              !std::is_copy_constructible_v<st::VolumeStore> &&
              !std::is_copy_constructible_v<st::SnapshotStore>);

// A store on a fresh home with the given cache cap (unset:
// A3S_IMAGE_CACHE_SIZE or the default), and on SQLite a second connection
// pool on its database for edits by hand (the [sqlite] cases').
struct Home {
  TempDir tmp;
  std::unique_ptr<st::Store> store;
  st::Options options;  // as the store resolved them
  std::unique_ptr<st::Database> db;
  st::ImageStore* images = nullptr;

  explicit Home(std::optional<std::uint64_t> cap = std::nullopt) {
    st::Options o = a3s::test::options_for(tmp.path() / "home");
    o.image_cache_max_bytes = cap;
    store = st::Store::open(o);
    options = store->options();
    if (!a3s::test::stores_on_etcd()) db = std::make_unique<st::Database>(options);
    images = &store->images();
  }

  const fs::path& home() const { return options.home; }
  fs::path source(const std::string& name) const { return tmp.path() / "sources" / name; }
};

// A small OCI layout at `dir`: oci-layout, index.json, two blobs (one of
// `blob_bytes` bytes of `fill`) and a symlink to a file outside the layout,
// which must be copied as a symlink and neither followed nor counted.
// Returns the bytes of the layout's regular files.
std::uint64_t make_layout(const fs::path& dir, std::size_t blob_bytes, char fill = 'x') {
  const std::string oci_layout = R"({"imageLayoutVersion":"1.0.0"})";
  const std::string index = R"({"schemaVersion":2,"manifests":[]})" + std::string(1, fill);
  const std::string blob(blob_bytes, fill);
  const std::string config(100, 'm');
  fs::create_directories(dir / "blobs" / "sha256");
  fs::create_directories(dir / "empty");
  a3s::test::write_file(dir / "oci-layout", oci_layout);
  a3s::test::write_file(dir / "index.json", index);
  a3s::test::write_file(dir / "blobs" / "sha256" / std::string(64, '1'), blob);
  a3s::test::write_file(dir / "blobs" / "sha256" / std::string(64, '2'), config);
  const fs::path outside = dir.parent_path() / (dir.filename().string() + "-outside");
  a3s::test::write_file(outside, std::string(50'000, 'o'));
  fs::create_symlink(outside, dir / "outside-link");
  return oci_layout.size() + index.size() + blob.size() + config.size();
}

Names references_of(const std::vector<st::StoredImage>& images) {
  Names names;
  for (const auto& i : images) names.push_back(i.reference);
  return names;
}

ino_t inode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

// Lets the clock move so a later last_used is strictly later.
void tick() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

}  // namespace

TEST_CASE("put copies the layout into images/sha256/<hex> and records it", "[images]") {
  Home h;
  const fs::path source = h.source("nginx");
  const std::uint64_t bytes = make_layout(source, 1000);

  const auto image = h.images->put("docker.io/library/nginx:1.27", kDigestA, source);
  const fs::path layout = h.home() / "images" / "sha256" / std::string(64, 'a');
  CHECK(image.reference == "docker.io/library/nginx:1.27");
  CHECK(image.digest == kDigestA);
  CHECK(image.path == layout.string());
  CHECK(h.images->layout_of(kDigestA) == layout);
  CHECK(image.size_bytes == bytes);
  CHECK(image.pulled_at == image.last_used);

  CHECK(a3s::test::read_file(layout / "index.json") == a3s::test::read_file(source / "index.json"));
  CHECK(a3s::test::read_file(layout / "blobs" / "sha256" / std::string(64, '1')) ==
        std::string(1000, 'x'));
  CHECK(fs::is_directory(layout / "empty"));
  CHECK(fs::is_symlink(layout / "outside-link"));
  CHECK(fs::read_symlink(layout / "outside-link") == fs::read_symlink(source / "outside-link"));

  const auto stored = h.images->get("docker.io/library/nginx:1.27");
  REQUIRE(stored);
  CHECK(stored->digest == kDigestA);
  CHECK(stored->size_bytes == bytes);
  CHECK(stored->pulled_at == image.pulled_at);
  CHECK(h.images->list() == std::vector<st::StoredImage>{*stored});
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("a second reference to a digest shares its layout, copied once", "[images]") {
  Home h;
  const std::uint64_t bytes = make_layout(h.source("one"), 1000, 'x');
  make_layout(h.source("two"), 3000, 'y');
  h.images->put("app:1", kDigestA, h.source("one"));
  const fs::path layout = h.images->layout_of(kDigestA);
  const ino_t index_inode = inode_of(layout / "index.json");
  const auto modified = fs::last_write_time(layout / "index.json");

  const auto second = h.images->put("app:2", kDigestA, h.source("two"));
  CHECK(second.path == layout.string());
  CHECK(second.size_bytes == bytes);  // measured on the layout in place
  CHECK(inode_of(layout / "index.json") == index_inode);
  CHECK(fs::last_write_time(layout / "index.json") == modified);
  CHECK(a3s::test::read_file(layout / "index.json") ==
        a3s::test::read_file(h.source("one") / "index.json"));
  CHECK(a3s::test::catalog_entries(h.home() / "images" / "sha256") == Names{std::string(64, 'a')});
  CHECK(references_of(h.images->list()) == Names{"app:1", "app:2"});
  CHECK(h.images->total_size() == bytes);
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("a layout directory without a row is replaced by a copy, never adopted", "[images]") {
  Home h;
  const fs::path layout = h.images->layout_of(kDigestA);
  fs::create_directories(layout);
  a3s::test::write_file(layout / "junk", "12345");  // no row: anyone's leftover
  const std::uint64_t bytes = make_layout(h.source("real"), 5000);
  const auto image = h.images->put("app:1", kDigestA, h.source("real"));
  CHECK(image.size_bytes == bytes);
  CHECK_FALSE(fs::exists(layout / "junk"));
  CHECK(a3s::test::read_file(layout / "index.json") ==
        a3s::test::read_file(h.source("real") / "index.json"));
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("a symlink at a layout's place is refused and never followed", "[images]") {
  Home h;
  TempDir elsewhere;
  a3s::test::write_file(elsewhere.path() / "keep", "not ours");
  const fs::path layout = h.images->layout_of(kDigestA);
  fs::create_directories(layout.parent_path());
  fs::create_directory_symlink(elsewhere.path(), layout);
  make_layout(h.source("real"), 100);
  REQUIRE_STORE_ERROR(h.images->put("app:1", kDigestA, h.source("real")), st::ErrorCode::io,
                      layout.string() + "' is a symlink");
  CHECK(h.images->list().empty());
  CHECK(fs::is_symlink(layout));
  CHECK(a3s::test::entries(elsewhere.path()) == Names{"keep"});
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("a regular file at a layout's place is refused with io naming it and kept", "[images]") {
  Home h;
  const fs::path layout = h.images->layout_of(kDigestA);
  fs::create_directories(layout.parent_path());
  make_layout(h.source("real"), 100);
  SECTION("without a row") {}
  SECTION("in place of a recorded layout") {
    h.images->put("app:0", kDigestA, h.source("real"));
    fs::remove_all(layout);
  }
  a3s::test::write_file(layout, "put here by hand");
  REQUIRE_STORE_ERROR(
      h.images->put("app:1", kDigestA, h.source("real")), st::ErrorCode::io,
      layout.string() + "' is a symlink or not a directory, so not an entry this engine made");
  CHECK(a3s::test::read_file(layout) == "put here by hand");
  CHECK_FALSE(h.images->get("app:1"));
  CHECK(a3s::test::staging_leftovers(h.home()).empty());

  const auto other = h.images->put("app:2", kDigestB, h.source("real"));
  CHECK(fs::is_directory(other.path));
  CHECK(other.digest == kDigestB);
}

TEST_CASE("a put whose layout is retired while it waits for the lock copies it again",
          "[images][sqlite]") {
  Home h;
  const std::uint64_t bytes = make_layout(h.source("a"), 100);
  h.images->put("app:1", kDigestA, h.source("a"));
  const fs::path layout = h.images->layout_of(kDigestA);

  // The put below finds the layout in place and decides not to copy it;
  // right then, before it takes the lock, another writer removes app:1 and
  // its layout.
  SQLite::Database other(h.options.db_path.string(), SQLite::OPEN_READWRITE);
  int removals = 0;
  st::detail::set_fault_hook([&](std::string_view point) {
    if (point != "image.put.before_write" || removals++ > 0) return;
    other.exec("DELETE FROM images");
    fs::remove_all(layout);
  });
  const auto put = h.images->put("app:2", kDigestA, h.source("a"));
  st::detail::set_fault_hook({});

  CHECK(removals == 2);  // the first attempt found its layout gone and tried again
  CHECK(put.size_bytes == bytes);
  CHECK(a3s::test::read_file(layout / "index.json") ==
        a3s::test::read_file(h.source("a") / "index.json"));
  CHECK(references_of(h.images->list()) == Names{"app:2"});
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("malformed digests, references and sources are refused before anything is written",
          "[images]") {
  Home h;
  const fs::path source = h.source("ok");
  make_layout(source, 10);

  const std::vector<std::string> bad_digests = {
      "sha256:../x",
      "sha256:" + std::string(64, 'A'),
      "sha256:" + std::string(63, 'a'),
      "sha256:" + std::string(65, 'a'),
      std::string(64, 'a'),
      "sha512:" + std::string(64, 'a'),
      "sha256:" + std::string(62, 'a') + "/.",
      "",
  };
  for (const auto& digest : bad_digests) {
    INFO("digest " << digest);
    REQUIRE_STORE_ERROR(h.images->put("app:1", digest, source), st::ErrorCode::invalid_argument,
                        "digest");
    REQUIRE_STORE_ERROR(h.images->layout_of(digest), st::ErrorCode::invalid_argument, "digest");
    REQUIRE_STORE_ERROR(h.images->get_by_digest(digest), st::ErrorCode::invalid_argument, "digest");
  }
  REQUIRE_STORE_ERROR(h.images->remove("sha256:../../x"), st::ErrorCode::invalid_argument,
                      "digest");

  for (const std::string& reference : {std::string(), std::string("bad\nref"),
                                       std::string(257, 'r'), std::string("nul\0ref", 7)}) {
    REQUIRE_STORE_ERROR(h.images->put(reference, kDigestA, source), st::ErrorCode::invalid_argument,
                        "image reference");
    REQUIRE_STORE_ERROR(h.images->get(reference), st::ErrorCode::invalid_argument,
                        "image reference");
    REQUIRE_STORE_ERROR(h.images->remove(reference), st::ErrorCode::invalid_argument,
                        "image reference");
  }

  const fs::path missing = h.source("missing");
  REQUIRE_STORE_ERROR(h.images->put("app:1", kDigestA, missing), st::ErrorCode::invalid_argument,
                      missing.string());
  REQUIRE_STORE_ERROR(h.images->put("app:1", kDigestA, source / "index.json"),
                      st::ErrorCode::invalid_argument, (source / "index.json").string());

  CHECK(h.images->list().empty());
  CHECK_FALSE(fs::exists(h.home() / "images"));
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("re-putting a reference at a new digest keeps a dangling entry", "[images]") {
  Home h;
  const std::uint64_t bytes_a = make_layout(h.source("a"), 1000, 'a');
  const std::uint64_t bytes_b = make_layout(h.source("b"), 2000, 'b');

  SECTION("the displaced image is listed under its digest") {
    const auto old = h.images->put("app:latest", kDigestA, h.source("a"));
    tick();
    const auto retagged = h.images->put("app:latest", kDigestB, h.source("b"));
    CHECK(retagged.digest == kDigestB);
    CHECK(retagged.size_bytes == bytes_b);
    CHECK(retagged.pulled_at > old.pulled_at);

    const auto images = h.images->list();
    CHECK(references_of(images) == Names{"app:latest", kDigestA});
    const auto& dangling = images[1];
    CHECK(dangling.digest == kDigestA);
    CHECK(dangling.size_bytes == bytes_a);
    CHECK(dangling.path == h.images->layout_of(kDigestA).string());
    CHECK(dangling.pulled_at == old.pulled_at);
    CHECK(dangling.last_used == old.last_used);
    CHECK(fs::is_directory(h.images->layout_of(kDigestA)));
    CHECK(h.images->total_size() == bytes_a + bytes_b);

    // Retagging back leaves the dangling entry of A as it is and keeps B's.
    h.images->put("app:latest", kDigestA, h.source("a"));
    CHECK(references_of(h.images->list()) == Names{"app:latest", kDigestA, kDigestB});

    // The dangling entry goes with its digest.
    CHECK(references_of(h.images->remove(kDigestB)) == Names{kDigestB});
    CHECK_FALSE(fs::exists(h.images->layout_of(kDigestB)));
  }

  SECTION("no dangling entry while another reference still points at the old digest") {
    h.images->put("app:latest", kDigestA, h.source("a"));
    h.images->put("app:1.0", kDigestA, h.source("a"));
    h.images->put("app:latest", kDigestB, h.source("b"));
    const auto images = h.images->list();
    CHECK(references_of(images) == Names{"app:1.0", "app:latest"});
    CHECK(images[0].digest == kDigestA);
    CHECK(images[1].digest == kDigestB);
  }

  SECTION("re-putting at the same digest adds no dangling entry") {
    const auto first = h.images->put("app:latest", kDigestA, h.source("a"));
    tick();
    const auto again = h.images->put("app:latest", kDigestA, h.source("a"));
    CHECK(again.pulled_at > first.pulled_at);
    CHECK(references_of(h.images->list()) == Names{"app:latest"});
  }
}

TEST_CASE("get and get_by_digest mark the image used", "[images][sqlite]") {
  Home h;
  make_layout(h.source("a"), 100);
  const auto one = h.images->put("app:1", kDigestA, h.source("a"));
  const auto two = h.images->put("app:2", kDigestA, h.source("a"));

  tick();
  const auto got = h.images->get("app:1");
  REQUIRE(got);
  CHECK(got->last_used > one.last_used);
  CHECK(got->pulled_at == one.pulled_at);
  CHECK(h.images->list()[0].last_used == got->last_used);

  tick();
  const auto by_digest = h.images->get_by_digest(kDigestA);
  REQUIRE(by_digest);
  CHECK(by_digest->reference == "app:1");  // the most recently used
  CHECK(by_digest->last_used > got->last_used);

  tick();
  REQUIRE(h.images->get("app:2"));
  CHECK(h.images->get_by_digest(kDigestA)->reference == "app:2");

  // Equal last_used: ties go to the first reference.
  h.db->write("test", [](st::Connection& conn) {
    conn.db().exec("UPDATE images SET last_used = '2024-01-01T00:00:00.000000000Z'");
    return 0;
  });
  const auto tied = h.images->get_by_digest(kDigestA);
  REQUIRE(tied);
  CHECK(tied->reference == "app:1");
  CHECK(tied->last_used > st::parse_rfc3339("2024-01-01T00:00:00Z", "t"));

  CHECK_FALSE(h.images->get("app:3"));
  CHECK_FALSE(h.images->get_by_digest(kDigestB));
}

TEST_CASE("remove by reference keeps a shared layout until its last reference goes", "[images]") {
  Home h;
  make_layout(h.source("a"), 100);
  h.images->put("app:1", kDigestA, h.source("a"));
  h.images->put("app:2", kDigestA, h.source("a"));
  const fs::path layout = h.images->layout_of(kDigestA);

  const auto removed = h.images->remove("app:1");
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].reference == "app:1");
  CHECK(removed[0].digest == kDigestA);
  CHECK(fs::is_directory(layout));

  CHECK(references_of(h.images->remove("app:2")) == Names{"app:2"});
  CHECK_FALSE(fs::exists(layout));
  CHECK(h.images->list().empty());
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("remove by digest removes every reference and the layout", "[images]") {
  Home h;
  make_layout(h.source("a"), 100);
  make_layout(h.source("b"), 200);
  h.images->put("web:2", kDigestA, h.source("a"));
  h.images->put("web:1", kDigestA, h.source("a"));
  h.images->put("db:1", kDigestB, h.source("b"));

  const auto removed = h.images->remove(kDigestA);
  CHECK(references_of(removed) == Names{"web:1", "web:2"});
  CHECK_FALSE(fs::exists(h.images->layout_of(kDigestA)));
  CHECK(fs::is_directory(h.images->layout_of(kDigestB)));
  CHECK(references_of(h.images->list()) == Names{"db:1"});
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
}

TEST_CASE("removing an unknown image is not_found", "[images]") {
  Home h;
  REQUIRE_STORE_ERROR(h.images->remove("docker.io/library/nginx:1.27"), st::ErrorCode::not_found,
                      "image 'docker.io/library/nginx:1.27' not found");
  REQUIRE_STORE_ERROR(h.images->remove(kDigestC), st::ErrorCode::not_found,
                      "image '" + kDigestC + "' not found");
}

TEST_CASE("list is by reference and total_size counts each digest once", "[images]") {
  Home h;
  CHECK(h.images->total_size() == 0);
  CHECK(h.images->list().empty());
  const std::uint64_t bytes_a = make_layout(h.source("a"), 1000);
  const std::uint64_t bytes_b = make_layout(h.source("b"), 4000);
  h.images->put("zeta:1", kDigestA, h.source("a"));
  h.images->put("alpha:1", kDigestB, h.source("b"));
  h.images->put("mid:1", kDigestA, h.source("a"));
  CHECK(references_of(h.images->list()) == Names{"alpha:1", "mid:1", "zeta:1"});
  CHECK(h.images->total_size() == bytes_a + bytes_b);
}

TEST_CASE("total_size stays equal to the layouts through put, retag, remove and evict",
          "[images][totals]") {
  Home h;
  const std::uint64_t bytes_a = make_layout(h.source("a"), 1000, 'a');
  const std::uint64_t bytes_b = make_layout(h.source("b"), 2000, 'b');
  const std::uint64_t bytes_c = make_layout(h.source("c"), 3000, 'c');
  auto totals_match = [&](std::uint64_t bytes) {
    CHECK(h.images->total_size() == bytes);
    CHECK(a3s::test::totals_problems(h.options.home / "box.db") == std::vector<std::string>{});
  };
  totals_match(0);

  h.images->put("app:1", kDigestA, h.source("a"));
  totals_match(bytes_a);
  tick();
  h.images->put("app:2", kDigestA, h.source("a"));  // one layout, counted once
  totals_match(bytes_a);
  tick();
  h.images->put("app:1", kDigestB, h.source("b"));  // retag; app:2 still holds A
  totals_match(bytes_a + bytes_b);
  tick();
  h.images->put("app:2", kDigestC, h.source("c"));  // retag; A stays as a dangling entry
  CHECK(references_of(h.images->list()) == Names{"app:1", "app:2", kDigestA});
  totals_match(bytes_a + bytes_b + bytes_c);

  CHECK(references_of(h.images->remove("app:1")) == Names{"app:1"});
  totals_match(bytes_a + bytes_c);
  tick();
  h.images->put("web:1", kDigestC, h.source("c"));
  totals_match(bytes_a + bytes_c);
  CHECK(references_of(h.images->remove(kDigestC)) == Names{"app:2", "web:1"});
  totals_match(bytes_a);

  tick();
  h.images->put("app:3", kDigestB, h.source("b"));
  tick();
  h.images->put("app:4", kDigestB, h.source("b"));
  totals_match(bytes_a + bytes_b);
  CHECK(h.images->evict(bytes_a + bytes_b).empty());
  CHECK(h.images->evict(bytes_b) == Names{kDigestA});
  totals_match(bytes_b);
  CHECK(h.images->evict(0) == Names{"app:3", "app:4"});
  totals_match(0);
  CHECK(a3s::test::catalog_entries(h.home() / "images" / "sha256").empty());
}

TEST_CASE("edits of images rows by hand keep the layouts and totals right",
          "[images][totals][sqlite]") {
  Home h;
  const std::uint64_t bytes_a = make_layout(h.source("a"), 1000);
  h.images->put("app:1", kDigestA, h.source("a"));
  h.images->put("app:2", kDigestA, h.source("a"));
  // Through the sqlite3 shell, as an operator would, with recursive_triggers
  // on as `a3s-store shell` sets it (a REPLACE then runs the delete triggers).
  auto edit = [&](const std::string& sql) {
    a3s::test::run_sqlite3(h.options.db_path, "PRAGMA recursive_triggers = ON;\n" + sql + ";");
  };
  auto totals_match = [&](std::uint64_t bytes) {
    CHECK(h.images->total_size() == bytes);
    CHECK(a3s::test::totals_problems(h.options.home / "box.db") == std::vector<std::string>{});
  };

  // References of one digest recorded at different sizes: the larger counts.
  edit("UPDATE images SET size_bytes = size_bytes + 500 WHERE reference = 'app:2'");
  totals_match(bytes_a + 500);
  CHECK(references_of(h.images->remove("app:2")) == Names{"app:2"});  // the larger goes
  totals_match(bytes_a);
  h.images->put("app:2", kDigestA, h.source("a"));
  edit("UPDATE images SET size_bytes = size_bytes + 500 WHERE reference = 'app:2'");
  totals_match(bytes_a + 500);
  edit("UPDATE images SET digest = '" + kDigestB + "' WHERE reference = 'app:2'");
  totals_match(bytes_a + bytes_a + 500);
  // REPLACE deletes the old row without a DELETE statement; with
  // recursive_triggers on, the delete triggers still run.
  edit(("INSERT OR REPLACE INTO images (reference, digest, size_bytes, pulled_at, last_used, "
        "path) VALUES ('app:2', '" +
        kDigestC +
        "', 42, '2024-01-01T00:00:00.000000000Z', '2024-01-01T00:00:00.000000000Z', "
        "'/x')")
           .c_str());
  totals_match(bytes_a + 42);
  edit("DELETE FROM images");
  totals_match(0);
}

TEST_CASE("a missing or drifted totals row is corrupt, not a wrong answer",
          "[images][totals][sqlite]") {
  Home h;
  make_layout(h.source("a"), 1000);
  h.images->put("app:1", kDigestA, h.source("a"));
  SECTION("the row is gone") {
    a3s::test::run_sqlite3(h.options.db_path,
                           "DELETE FROM catalog_totals WHERE catalog = 'image_layouts';");
    REQUIRE_STORE_ERROR(h.images->total_size(), st::ErrorCode::corrupt,
                        "catalog_totals has no row for 'image_layouts'");
    REQUIRE_STORE_ERROR(h.images->evict(0), st::ErrorCode::corrupt, "catalog_totals");
    REQUIRE_STORE_ERROR(h.images->evict(), st::ErrorCode::corrupt, "catalog_totals");
    // Nothing was evicted on the strength of a total it could not read.
    CHECK(h.images->list().size() == 1);
  }
  SECTION("it counts bytes no row has") {
    a3s::test::run_sqlite3(h.options.db_path,
                           "UPDATE catalog_totals SET size_bytes = size_bytes + 1000000 "
                           "WHERE catalog = 'image_layouts';");
    // Every image goes, and the total still says more than 0: corrupt, with
    // the evictions rolled back rather than a cache reported empty.
    REQUIRE_STORE_ERROR(h.images->evict(999), st::ErrorCode::corrupt, "the images table is empty");
    CHECK(h.images->list().size() == 1);
  }
}

TEST_CASE("a missing snapshots total is corrupt for count, total_size and prune",
          "[images][totals][sqlite]") {
  Home h;
  auto& snaps = h.store->snapshots();
  st::SnapshotMetadata s;
  s.id = "s1";
  s.name = "s1";
  s.source_box_id = "box-1";
  s.image = "alpine:3.20";
  snaps.save(s, h.source("absent"));
  a3s::test::run_sqlite3(h.options.db_path,
                         "DELETE FROM catalog_totals WHERE catalog = 'snapshots';");
  REQUIRE_STORE_ERROR(snaps.count(), st::ErrorCode::corrupt, "'snapshots'");
  REQUIRE_STORE_ERROR(snaps.total_size(), st::ErrorCode::corrupt, "'snapshots'");
  REQUIRE_STORE_ERROR(snaps.prune(0, 1), st::ErrorCode::corrupt, "'snapshots'");
  // The list does not depend on the totals and the snapshot is still there.
  CHECK(snaps.list().size() == 1);
}

TEST_CASE("sizes above INT64_MAX survive the database", "[images][sqlite]") {
  Home h;
  const std::uint64_t huge = (std::uint64_t{1} << 63) + 5;
  auto insert = [&](const char* reference, const std::string& digest, std::uint64_t size) {
    h.db->write("test", [&](st::Connection& conn) {
      SQLite::Statement q(conn.db(),
                          "INSERT INTO images VALUES (?, ?, ?, '2024-01-01T00:00:00.000000000Z', "
                          "'2024-01-01T00:00:00.000000000Z', ?)");
      q.bind(1, reference);
      q.bind(2, digest);
      q.bind(3, static_cast<std::int64_t>(size));
      q.bind(4, h.images->layout_of(digest).string());
      return q.exec();
    });
  };
  insert("big:1", kDigestA, huge);
  CHECK(h.images->total_size() == huge);
  CHECK(h.images->list().at(0).size_bytes == huge);
  insert("small:1", kDigestB, 1000);
  CHECK(h.images->total_size() == huge + 1000);

  // A second such image would carry the total past what 64 bits hold: the
  // write is refused rather than the total left wrong (0003_catalog_totals.sql).
  REQUIRE_STORE_ERROR(insert("big:2", kDigestC, huge), st::ErrorCode::invalid_argument,
                      "catalog_totals.size_bytes");
  CHECK(h.images->total_size() == huge + 1000);
  CHECK(references_of(h.images->list()) == Names{"big:1", "small:1"});
  CHECK(a3s::test::totals_problems(h.options.home / "box.db") == std::vector<std::string>{});
}

TEST_CASE("evict removes least recently used images until under the cap", "[images]") {
  const std::uint64_t small = 1000;
  Home h(small);
  CHECK(h.images->max_size_bytes() == small);
  const std::uint64_t bytes_a = make_layout(h.source("a"), 2000);
  const std::uint64_t bytes_b = make_layout(h.source("b"), 3000);
  const std::uint64_t bytes_c = make_layout(h.source("c"), 4000);
  h.images->put("a:1", kDigestA, h.source("a"));
  tick();
  h.images->put("b:1", kDigestB, h.source("b"));
  tick();
  h.images->put("c:1", kDigestC, h.source("c"));
  tick();
  h.images->get("a:1");  // now the most recently used

  SECTION("only as many as needed, LRU first, and their layouts") {
    CHECK(h.images->evict(bytes_a + bytes_b + bytes_c).empty());
    CHECK(h.images->evict(bytes_a + bytes_c) == Names{"b:1"});
    CHECK(references_of(h.images->list()) == Names{"a:1", "c:1"});
    CHECK_FALSE(fs::exists(h.images->layout_of(kDigestB)));
    CHECK(h.images->total_size() == bytes_a + bytes_c);
    CHECK(h.images->evict(bytes_a) == Names{"c:1"});
    CHECK(fs::is_directory(h.images->layout_of(kDigestA)));
  }

  SECTION("evict() uses the cap the store was opened with") {
    CHECK(h.images->evict() == Names{"b:1", "c:1", "a:1"});
    CHECK(h.images->list().empty());
    CHECK(a3s::test::catalog_entries(h.home() / "images" / "sha256").empty());
    CHECK(h.images->evict().empty());
  }

  SECTION("a shared layout goes with its last reference") {
    tick();
    h.images->put("b:2", kDigestB, h.source("b"));  // B is now also the newest
    // b:1 goes first but frees nothing while b:2 holds B; then c:1.
    CHECK(h.images->evict(bytes_a + bytes_b) == Names{"b:1", "c:1"});
    CHECK(references_of(h.images->list()) == Names{"a:1", "b:2"});
    CHECK(fs::is_directory(h.images->layout_of(kDigestB)));
    CHECK(h.images->evict(0) == Names{"a:1", "b:2"});
    CHECK(a3s::test::catalog_entries(h.home() / "images" / "sha256").empty());
  }
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
  CHECK(a3s::test::totals_problems(h.options.home / "box.db") == std::vector<std::string>{});
}

// The pending_removals rows of the images catalog, in name order.
Names pending_removals(st::Database& db) {
  return db.read("test", [](st::Connection& conn) {
    auto q =
        conn.prepare("SELECT name FROM pending_removals WHERE catalog = 'images' ORDER BY name");
    Names names;
    while (q->executeStep()) names.push_back(q->getColumn(0).getString());
    return names;
  });
}

TEST_CASE("a removal's intent is a row its own commit writes; a later removal clears them",
          "[images][sqlite]") {
  Home h;
  make_layout(h.source("x"), 1000);
  h.images->put("a:1", kDigestA, h.source("x"));
  h.images->put("b:1", kDigestB, h.source("x"));
  h.images->put("c:1", kDigestC, h.source("x"));
  h.images->remove("a:1");
  CHECK_FALSE(fs::exists(h.images->layout_of(kDigestA)));
  // The row stays after the files are gone: clearing it would cost a commit.
  CHECK(pending_removals(*h.db) == Names{std::string(64, 'a')});
  CHECK(h.store->check().clean());  // a row whose entry is gone is no finding

  // As a process that died between its commit and its deletions leaves
  // them: a row for D, whose directory is still there; and a row for B,
  // whose layout a row owns (put again meanwhile), which must stay. And as
  // many rows of finished removals as make 64 (kPendingRemovalsKept in
  // lib/src/directory_change.cpp): the next removal clears them all.
  const std::string digest_d = digest_of('d');
  fs::create_directories(h.images->layout_of(digest_d));
  h.db->write("test", [](st::Connection& conn) {
    auto insert = conn.prepare("INSERT INTO pending_removals (catalog, name) VALUES ('images', ?)");
    Names names{std::string(64, 'b'), std::string(64, 'd')};
    for (int i = 0; names.size() < 63; ++i) {
      names.push_back(std::string(62, 'e') + "0123456789abcdef"[i / 16] +
                      "0123456789abcdef"[i % 16]);
    }
    for (const auto& name : names) {
      insert->reset();
      insert->bind(1, name);
      insert->exec();
    }
    return 0;
  });
  REQUIRE(pending_removals(*h.db).size() == 64);
  const auto findings = h.store->check().findings;
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].problem == "staging_leftover");
  CHECK(findings[0].object == "image " + digest_d);

  h.images->remove("c:1");
  CHECK_FALSE(fs::exists(h.images->layout_of(digest_d)));
  CHECK_FALSE(fs::exists(h.images->layout_of(kDigestC)));
  CHECK(fs::is_directory(h.images->layout_of(kDigestB)));
  CHECK(pending_removals(*h.db) == Names{std::string(64, 'c')});
  CHECK(h.store->check().clean());
  CHECK(a3s::test::staging_leftovers(h.home()).empty());
  CHECK(a3s::test::home_problems(h.home()).empty());
}

TEST_CASE("an open deletes what an unfinished removal left and clears its rows",
          "[images][sqlite]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const std::string hex_d(64, 'd');
  {
    auto store = st::Store::open(a3s::test::options_for(home));
    fs::create_directories(store->images().layout_of(digest_of('d')));
    a3s::test::run_sqlite3(
        store->options().db_path,
        "INSERT INTO pending_removals (catalog, name) VALUES ('images', '" + hex_d + "');");
  }
  auto store = st::Store::open(a3s::test::options_for(home));
  CHECK_FALSE(fs::exists(store->images().layout_of(digest_of('d'))));
  st::Database db(store->options());
  CHECK(pending_removals(db).empty());
  CHECK(a3s::test::staging_leftovers(home).empty());
}

TEST_CASE("the cache cap comes from Options or A3S_IMAGE_CACHE_SIZE", "[images]") {
  TempDir tmp;
  const auto opts = a3s::test::options_for(tmp.path());
  {
    ScopedEnv env("A3S_IMAGE_CACHE_SIZE", nullptr);
    CHECK(st::resolve(opts).image_cache_max_bytes == std::uint64_t{10} << 30);
    auto explicit_cap = opts;
    explicit_cap.image_cache_max_bytes = 1234;
    CHECK(st::resolve(explicit_cap).image_cache_max_bytes == 1234u);
  }
  {
    ScopedEnv env("A3S_IMAGE_CACHE_SIZE", "500m");
    Home h;
    CHECK(h.images->max_size_bytes() == std::uint64_t{500} << 20);
    auto explicit_cap = opts;
    explicit_cap.image_cache_max_bytes = 1234;
    CHECK(st::resolve(explicit_cap).image_cache_max_bytes == 1234u);  // Options win
  }
  {
    ScopedEnv env("A3S_IMAGE_CACHE_SIZE", "20g");
    CHECK(st::resolve(opts).image_cache_max_bytes == std::uint64_t{20} << 30);
  }
  {
    ScopedEnv env("A3S_IMAGE_CACHE_SIZE", "lots");
    REQUIRE_STORE_ERROR(st::resolve(opts), st::ErrorCode::invalid_argument, "A3S_IMAGE_CACHE_SIZE");
  }
}

TEST_CASE("4 processes putting and removing images of 2 shared digests stay consistent",
          "[images][multiprocess]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const std::map<std::string, fs::path> sources = {{kDigestA, tmp.path() / "a"},
                                                   {kDigestB, tmp.path() / "b"}};
  const std::map<std::string, std::uint64_t> sizes = {
      {kDigestA, make_layout(sources.at(kDigestA), 20'000, 'a')},
      {kDigestB, make_layout(sources.at(kDigestB), 30'000, 'b')}};
  auto open = [&](auto&& body) {
    const auto store = st::Store::open(a3s::test::options_for(home));
    return body(store->images());
  };
  open([](st::ImageStore&) { return 0; });  // no store lives across fork

  const auto codes = a3s::test::run_in_children(4, [&](int child) {
    return open([&](st::ImageStore& images) {
      // Another child may remove a digest, taking our references with it.
      auto remove = [&](const std::string& what) {
        try {
          images.remove(what);
        } catch (const st::Error& e) {
          if (e.code() != st::ErrorCode::not_found) throw;
        }
      };
      try {
        const std::string own = "p" + std::to_string(child);
        for (int i = 0; i < 10; ++i) {
          const bool flip = (i + child) % 2 == 0;
          const std::string& digest = flip ? kDigestA : kDigestB;
          const std::string& other = flip ? kDigestB : kDigestA;
          const auto image = images.put(own + "/app:1", digest, sources.at(digest));
          if (image.size_bytes != sizes.at(digest)) return 2;
          images.put(own + "/app:2", other, sources.at(other));
          images.put("shared:latest", digest, sources.at(digest));  // retags: dangling entries
          remove(own + "/app:1");
          if (i % 3 == child % 3) remove(other);
          if (child == 0 && i == 5) images.evict(0);
          images.get_by_digest(digest);
        }
        return 0;
      } catch (const std::exception& e) {
        std::cerr << "child " << child << ": " << e.what() << "\n";
        return 1;
      }
    });
  });
  REQUIRE(codes == std::vector<int>{0, 0, 0, 0});

  // Every child finished its operations, so nothing should be left over even
  // before a sweep.
  CHECK(a3s::test::home_problems(home).empty());
  for (const auto& problem : a3s::test::home_problems(home)) WARN(problem);

  open([&](st::ImageStore& images) {  // the open sweeps
    for (const auto& image : images.list()) {
      INFO(image.reference);
      CHECK(image.path == images.layout_of(image.digest).string());
      CHECK(fs::is_directory(image.path));
      CHECK(image.size_bytes == sizes.at(image.digest));
    }
    return 0;
  });
  CHECK(a3s::test::home_problems(home).empty());
  CHECK(a3s::test::totals_problems(home / "box.db") == std::vector<std::string>{});
}
