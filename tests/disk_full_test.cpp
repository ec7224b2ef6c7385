// Disk full and file copies failing part-way (SPEC §4 errors, "Files and rows
// stay consistent"). A full database: every SQLite connection this process
// opens gets `PRAGMA max_page_count` (an auto-extension; the library and the
// test share libsqlite3), and records are created until each store refuses
// one. A copy failing part-way: the process's file size limit (RLIMIT_FSIZE,
// SIGXFSZ ignored) is set below the size of one file of the tree that snapshot
// save, image put or import copies, so writing its copy fails with EFBIG.
// Either way the refused operation is an `io` error naming what failed, leaves
// nothing visible, and succeeds once the cause is gone.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "a3s/store/store.hpp"
#include "cli_home.hpp"
#include "home_check.hpp"
#include "legacy_home_builder.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "totals_check.hpp"

using namespace a3s::store;
namespace fs = std::filesystem;
using a3s::test::TempDir;

namespace {

// What the run did, printed once at its end.
int g_refused = 0;        // operations refused with io
int g_copy_failures = 0;  // copies made to fail part-way

struct FiguresListener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunEnded(const Catch::TestRunStats&) override {
    std::cout << "disk full: " << g_refused << " operations refused, " << g_copy_failures
              << " copy failures injected\n";
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(FiguresListener)

namespace {

// ---- A full database ----

// The page limit given to every SQLite connection opened from now on; 0
// leaves connections as SQLite opens them.
int g_max_pages = 0;

int limit_pages(sqlite3* db, const char**, const sqlite3_api_routines*) {
  if (g_max_pages > 0) {
    const std::string sql = "PRAGMA max_page_count = " + std::to_string(g_max_pages);
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }
  return SQLITE_OK;
}

// Limits the database of every connection opened while it lives to
// `pages` pages (SQLite never lowers it below the file's current size).
class DatabasePageLimit {
 public:
  explicit DatabasePageLimit(int pages) {
    // Registering the same entry point again is a no-op.
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(&limit_pages));
    g_max_pages = pages;
  }
  ~DatabasePageLimit() { g_max_pages = 0; }
  DatabasePageLimit(const DatabasePageLimit&) = delete;
  DatabasePageLimit& operator=(const DatabasePageLimit&) = delete;
};

std::int64_t page_count(const fs::path& db) {
  return std::stoll(a3s::test::run_sqlite3(db, "PRAGMA page_count;"));
}

// Label values of 4 KiB (the most a value may hold): each record with them
// takes overflow pages of its own.
StringMap big_labels(int count) {
  StringMap labels;
  for (int i = 0; i < count; ++i) labels["k" + std::to_string(i)] = std::string(4000, 'x');
  return labels;
}

std::string digest_of(int i) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", i);
  return std::string("sha256:") + hex;
}

// A small tree: what snapshots and images copy when nothing is to fail.
fs::path small_tree(const fs::path& at) {
  fs::create_directories(at / "etc");
  a3s::test::write_file(at / "etc" / "hostname", "box\n");
  return at;
}

// One kind of record; `i` numbers the records of that kind ("net-3").
struct Kind {
  const char* what;
  std::function<void(Store&, int)> create;
  std::function<bool(Store&, int)> exists;
  // The directory the record would own under the home, if any.
  std::function<std::optional<fs::path>(const fs::path& home, int)> directory;
  std::function<std::size_t(Store&)> count;
};

std::vector<Kind> kinds(const fs::path& tree) {
  auto network_name = [](int i) { return "net-" + std::to_string(i); };
  auto volume_name = [](int i) { return "vol-" + std::to_string(i); };
  auto snapshot_id = [](int i) { return "snap-" + std::to_string(i); };
  // A long reference: a few fill a page of the images table.
  auto reference = [](int i) {
    return "registry.example/" + std::string(200, 'r') + ":" + std::to_string(i);
  };
  return {
      {"network",
       [=](Store& s, int i) {
         NetworkConfig n;
         n.name = network_name(i);
         n.subnet = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24";
         n.gateway = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1";
         n.labels = big_labels(20);
         s.networks().create(n);
       },
       [=](Store& s, int i) { return s.networks().get(network_name(i)).has_value(); },
       [](const fs::path&, int) { return std::optional<fs::path>(); },
       [](Store& s) { return s.networks().list().size(); }},
      {"volume",
       [=](Store& s, int i) {
         VolumeConfig v = a3s::test::minimal_volume(volume_name(i));
         v.labels = big_labels(20);
         s.volumes().create(v);
       },
       [=](Store& s, int i) { return s.volumes().get(volume_name(i)).has_value(); },
       [=](const fs::path& home, int i) {
         return std::optional<fs::path>(home / "volumes" / volume_name(i));
       },
       [](Store& s) { return s.volumes().list().size(); }},
      {"snapshot",
       [=](Store& s, int i) {
         SnapshotMetadata m = a3s::test::minimal_snapshot(snapshot_id(i));
         m.labels = big_labels(20);
         s.snapshots().save(m, tree);
       },
       [=](Store& s, int i) { return s.snapshots().get(snapshot_id(i)).has_value(); },
       [=](const fs::path& home, int i) {
         return std::optional<fs::path>(home / "snapshots" / snapshot_id(i));
       },
       [](Store& s) { return static_cast<std::size_t>(s.snapshots().count()); }},
      {"image", [=](Store& s, int i) { s.images().put(reference(i), digest_of(i), tree); },
       [=](Store& s, int i) {
         const auto images = s.images().list();
         return std::any_of(images.begin(), images.end(), [&](const StoredImage& image) {
           return image.reference == reference(i);
         });
       },
       [](const fs::path& home, int i) {
         return std::optional<fs::path>(home / "images" / "sha256" / digest_of(i).substr(7));
       },
       [](Store& s) { return s.images().list().size(); }},
  };
}

}  // namespace

TEST_CASE("a full database refuses writes with io, keeps reads and recovers", "[disk_full]") {
  TempDir home;
  const fs::path tree = small_tree(home.path() / "source");
  const fs::path db = home.path() / "box.db";
  const auto all = kinds(tree);
  // Records made before the limit (index 0 of each kind) must survive it.
  {
    auto store = a3s::test::open_store(home);
    for (const auto& kind : all) kind.create(*store, 0);
  }
  const std::int64_t pages = page_count(db);

  struct Outcome {
    int made = 0;     // records made under the limit, indexes 1..made
    int refused = 0;  // the index refused
  };
  std::vector<Outcome> outcomes(all.size());
  {
    // 64 pages more: a few records with big labels, then the file is full.
    DatabasePageLimit limit(static_cast<int>(pages) + 64);
    auto store = a3s::test::open_store(home);
    for (std::size_t k = 0; k < all.size(); ++k) {
      const Kind& kind = all[k];
      INFO("creating " << kind.what << "s until the database is full");
      constexpr int kMaxRecords = 500;
      for (int i = 1; i <= kMaxRecords && outcomes[k].refused == 0; ++i) {
        try {
          kind.create(*store, i);
          outcomes[k].made = i;
        } catch (const Error& e) {
          outcomes[k].refused = i;
          INFO(e.what());
          CHECK(e.code() == ErrorCode::io);
          CHECK_THAT(std::string(e.what()), Catch::Contains("full"));
          CHECK_THAT(std::string(e.what()), Catch::Contains(db.string()));
        }
      }
      REQUIRE(outcomes[k].refused > 0);
      ++g_refused;
    }

    // Nothing of a refused operation is visible; everything before it is.
    // Reads work while the database is full.
    for (std::size_t k = 0; k < all.size(); ++k) {
      const Kind& kind = all[k];
      INFO(kind.what << ": " << outcomes[k].made << " made under the limit");
      CHECK(kind.count(*store) == static_cast<std::size_t>(outcomes[k].made) + 1);
      for (int i = 0; i <= outcomes[k].made; ++i) CHECK(kind.exists(*store, i));
      CHECK_FALSE(kind.exists(*store, outcomes[k].refused));
      if (auto dir = kind.directory(home.path(), outcomes[k].refused)) {
        CHECK_FALSE(fs::exists(*dir));
      }
    }
    CHECK(a3s::test::staging_leftovers(home.path()).empty());

    // Deleting works when full (a snapshot's directory goes with its row),
    // and frees room for the refused record.
    store->snapshots().remove("snap-0");
    CHECK_FALSE(fs::exists(home.path() / "snapshots" / "snap-0"));
    store->networks().remove("net-0");
    all[0].create(*store, outcomes[0].refused);
    CHECK(all[0].exists(*store, outcomes[0].refused));
  }

  // With the limit gone, the other refused operations succeed.
  auto store = a3s::test::open_store(home);
  for (std::size_t k = 1; k < all.size(); ++k) {
    all[k].create(*store, outcomes[k].refused);
    CHECK(all[k].exists(*store, outcomes[k].refused));
  }
  CHECK(a3s::test::home_problems(home.path()).empty());
  CHECK(a3s::test::totals_problems(db).empty());
}

namespace {

// ---- File copies failing part-way ----

// The file the copies fail on: 2 MiB of data, twice the limit below, which
// leaves room for the database's writes (its WAL) in the same process.
constexpr const char* kBigFile = "big.bin";
constexpr rlim_t kFileSizeLimit = 1024 * 1024;
// The end of the message for its copy: "cannot write '<copy>/data/big.bin':
// File too large".
const std::string kBigFileTooLarge = std::string("data/") + kBigFile + "': " + std::strerror(EFBIG);

// While it lives, a write past `bytes` into any regular file fails with EFBIG,
// in this process and in the processes it starts (they inherit both the limit
// and SIGXFSZ ignored, which would otherwise kill the writer).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGXFSZ, &ignore, &old_action_) == 0);
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit_) == 0);
    struct rlimit limit = old_limit_;
    limit.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_limit_);
    ::sigaction(SIGXFSZ, &old_action_, nullptr);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  struct sigaction old_action_ {};
  struct rlimit old_limit_ {};
};

// A small tree with kBigFile in a subdirectory.
fs::path tree_with_big_file(const fs::path& at) {
  small_tree(at);
  fs::create_directories(at / "data");
  a3s::test::write_file(at / "data" / kBigFile, std::string(2 * 1024 * 1024, 'b'));
  return at;
}

// What a failed copy must leave as it was.
struct Catalogs {
  std::vector<std::string> networks;
  std::vector<std::string> snapshots;
  std::vector<std::string> layouts;
  std::uint64_t snapshot_bytes = 0;
  std::uint64_t image_bytes = 0;
  std::size_t images = 0;

  static Catalogs of(Store& s, const fs::path& home) {
    Catalogs c;
    for (const auto& n : s.networks().list()) c.networks.push_back(n.name);
    c.snapshots = a3s::test::catalog_entries(home / "snapshots");
    c.layouts = a3s::test::catalog_entries(home / "images" / "sha256");
    c.snapshot_bytes = s.snapshots().total_size();
    c.image_bytes = s.images().total_size();
    c.images = s.images().list().size();
    return c;
  }
  bool operator==(const Catalogs&) const = default;
};

// One operation that copies a tree holding kBigFile from `source`.
struct CopyCase {
  const char* what;
  // Makes what the operation copies under `scratch`; returns its source.
  std::function<fs::path(const fs::path& scratch)> prepare;
  std::function<void(Store&, const fs::path& source)> run;
  // Whether the operation's records are visible.
  std::function<bool(Store&)> visible;
};

// A legacy home holding a network and `fill` (its snapshots and images).
fs::path legacy_home(const fs::path& root,
                     const std::function<void(a3s::test::LegacyHome&)>& fill) {
  a3s::test::LegacyHome legacy(root);
  legacy.network("legacy-net",
                 a3s::test::legacy_network("legacy-net", "10.99.0.0/24", "10.99.0.1"));
  fill(legacy);
  return root;
}

const std::string kLayoutHex(64, 'c');

std::vector<CopyCase> copy_cases() {
  auto import_from = [](Store& s, const fs::path& from) {
    ImportOptions options;
    options.from = from;
    s.import_legacy(options);
  };
  auto imported = [](Store& s) { return s.networks().get("legacy-net").has_value(); };
  return {
      {"snapshot save", [](const fs::path& at) { return tree_with_big_file(at / "rootfs"); },
       [](Store& s, const fs::path& source) {
         s.snapshots().save(a3s::test::minimal_snapshot("s1"), source);
       },
       [](Store& s) { return s.snapshots().get("s1").has_value(); }},
      {"image put", [](const fs::path& at) { return tree_with_big_file(at / "layout"); },
       [](Store& s, const fs::path& source) { s.images().put("app:1", digest_of(1), source); },
       [](Store& s) { return s.images().get_by_digest(digest_of(1)).has_value(); }},
      {"import of a snapshot's rootfs",
       [](const fs::path& at) {
         return legacy_home(at / "legacy", [](a3s::test::LegacyHome& legacy) {
           legacy.snapshot("s1", a3s::test::legacy_snapshot("s1"));
           tree_with_big_file(legacy.root() / "snapshots" / "s1" / "rootfs");
         });
       },
       import_from, imported},
      {"import of an image layout",
       [](const fs::path& at) {
         return legacy_home(at / "legacy", [](a3s::test::LegacyHome& legacy) {
           legacy.image(a3s::test::legacy_image("app:1", "sha256:" + kLayoutHex));
           legacy.layout(kLayoutHex);
           tree_with_big_file(legacy.root() / "images" / "sha256" / kLayoutHex);
         });
       },
       import_from, imported},
  };
}

}  // namespace

TEST_CASE("a copy failing part-way is an io error naming the file, and leaves nothing",
          "[disk_full]") {
  const auto all = copy_cases();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const CopyCase& c = all[i];
    DYNAMIC_SECTION(c.what) {
      TempDir home;
      TempDir scratch;
      const fs::path source = c.prepare(scratch.path());
      auto store = a3s::test::open_store(home);
      // Something already stored, which the failure must not disturb.
      store->snapshots().save(a3s::test::minimal_snapshot("kept"),
                              small_tree(scratch.path() / "kept"));
      const Catalogs before = Catalogs::of(*store, home.path());

      {
        FileSizeLimit limit(kFileSizeLimit);
        // The copy of kBigFile fails, named by its path and the system's reason.
        REQUIRE_STORE_ERROR(c.run(*store, source), ErrorCode::io, kBigFileTooLarge);
        ++g_copy_failures;
      }
      CHECK_FALSE(c.visible(*store));
      CHECK(Catalogs::of(*store, home.path()) == before);
      store.reset();
      store = a3s::test::open_store(home);  // sweeps staging
      CHECK(a3s::test::staging_leftovers(home.path()).empty());
      CHECK(a3s::test::home_problems(home.path()).empty());
      CHECK(a3s::test::totals_problems(home.path() / "box.db").empty());

      // The cause gone, the same operation succeeds.
      c.run(*store, source);
      CHECK(c.visible(*store));
      CHECK(a3s::test::home_problems(home.path()).empty());
      CHECK(a3s::test::totals_problems(home.path() / "box.db").empty());
    }
  }
}

TEST_CASE("import --skip-bad skips the entry whose copy failed and imports the rest",
          "[disk_full]") {
  TempDir home;
  TempDir scratch;
  const fs::path from = legacy_home(scratch.path() / "legacy", [](a3s::test::LegacyHome& legacy) {
    legacy.snapshot("small", a3s::test::legacy_snapshot("small"));
    legacy.snapshot("s1", a3s::test::legacy_snapshot("s1"));
    tree_with_big_file(legacy.root() / "snapshots" / "s1" / "rootfs");
  });
  auto store = a3s::test::open_store(home);
  ImportOptions options;
  options.from = from;
  options.skip_bad = true;
  ImportReport report;
  {
    FileSizeLimit limit(kFileSizeLimit);
    report = store->import_legacy(options);
  }
  REQUIRE(report.skipped.size() == 1);
  ++g_copy_failures;
  CHECK(report.skipped[0].object == "snapshot 's1'");
  CHECK_THAT(report.skipped[0].reason, Catch::Contains(kBigFileTooLarge));
  CHECK(store->networks().get("legacy-net").has_value());
  CHECK(store->snapshots().get("small").has_value());
  CHECK_FALSE(store->snapshots().get("s1").has_value());
  CHECK(a3s::test::catalog_entries(home.path() / "snapshots") == std::vector<std::string>{"small"});
  CHECK(a3s::test::staging_leftovers(home.path()).empty());

  // Run again without the limit: the skipped snapshot comes in, the rest is present.
  report = store->import_legacy(options);
  CHECK(report.skipped.empty());
  CHECK(report.imported() == 1);
  CHECK(store->snapshots().get("s1").has_value());
  CHECK(a3s::test::home_problems(home.path()).empty());
  CHECK(a3s::test::totals_problems(home.path() / "box.db").empty());
}

TEST_CASE("the CLI reports a full file system and a failed copy: exit 1, an io message",
          "[disk_full][cli]") {
  a3s::test::CliHome home;
  TempDir scratch;
  REQUIRE(home.run({"network", "ls"}).exit_code == 0);  // the database made, unlimited
  // A network whose row alone is larger than the limit: its WAL frames cannot be written.
  std::vector<std::string> create = {"network", "create", "big", "--subnet", "10.1.0.0/24"};
  for (int i = 0; i < 20; ++i) {
    create.push_back("--label");
    create.push_back("k" + std::to_string(i) + "=" + std::string(4000, 'x'));
  }
  const fs::path rootfs = tree_with_big_file(scratch.path() / "rootfs");
  const std::vector<std::string> save = {"snapshot", "save",  "--rootfs", rootfs.string(),
                                         "--id",     "s1",    "--name",   "n",
                                         "--box",    "box-1", "--image",  "alpine:latest"};
  a3s::test::CommandResult full;
  a3s::test::CommandResult copy;
  {
    // Below the WAL frames of that network's row, and below kBigFile.
    FileSizeLimit limit(64 * 1024);
    full = home.run(create);
    copy = home.run(save);
  }
  INFO("network create: exit " << full.exit_code << ", stderr: " << full.err);
  INFO("snapshot save: exit " << copy.exit_code << ", stderr: " << copy.err);
  CHECK(full.exit_code == 1);
  CHECK_THAT(full.err,
             Catch::StartsWith("error: network 'big': database '" + home.db().string() + "': "));
  CHECK(copy.exit_code == 1);
  CHECK_THAT(copy.err, Catch::StartsWith("error: ") && Catch::Contains(kBigFileTooLarge));
  if (full.exit_code == 1) ++g_refused;
  if (copy.exit_code == 1) ++g_copy_failures;
  CHECK(home.run_json({"network", "ls"}).empty());
  CHECK(home.run_json({"snapshot", "ls"}).empty());
  CHECK(a3s::test::staging_leftovers(home.path()).empty());

  // Without the limit, both succeed.
  CHECK(home.run(create).exit_code == 0);
  CHECK(home.run(save).exit_code == 0);
  CHECK(home.run_json({"network", "ls"}).size() == 1);
  CHECK(home.run_json({"snapshot", "ls"}).size() == 1);
  CHECK(a3s::test::home_problems(home.path()).empty());
}
