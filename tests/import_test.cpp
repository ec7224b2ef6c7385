// Store::import_legacy and `a3s-store import` (SPEC §2 "Legacy files", §3,
// §7 `import`): a 2.4.0 home read record for record with its files copied or
// taken over, a second run changing nothing, a dry run writing nothing,
// broken homes refused whole or skipped entry by entry, and conflicts with
// what is already stored.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "legacy_home_builder.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::catalog_entries;
using a3s::test::comparable;
using a3s::test::entries;
using a3s::test::legacy_image;
using a3s::test::legacy_network;
using a3s::test::legacy_snapshot;
using a3s::test::legacy_volume;
using a3s::test::LegacyHome;
using a3s::test::open_store;
using a3s::test::read_file;
using a3s::test::TempDir;
using nlohmann::json;

namespace {

const std::string kNginxHex = "6515f83e7ba5810842059cf6b2b7279a3073b9d141623e62cc825050025113e0";
const std::string kAlpineHex = "804658e22c3fcf82867343d685d090a2b3851e0581e7a032871c86f7c5c986f7";
const std::string kGoodHex(64, 'a');
const std::string kGoneHex(64, 'b');
const std::string kLinkedHex(64, 'c');

fs::path fixture_home() { return a3s::test::fixtures_dir() / "legacy-home-small"; }

json read_json(const fs::path& path) { return json::parse(read_file(path)); }

// Everything under `root`, symlinks not followed, one line per entry:
// "<path relative to root>: dir", ": symlink to <target>" or ": file of <n>
// bytes, hash <h>". The database's files are left out, and so are the
// catalogs' .staging directories themselves (not what is in them): they are
// no record's.
using Tree = std::vector<std::string>;
Tree tree_of(const fs::path& root) {
  Tree tree;
  if (!fs::exists(fs::symlink_status(root))) return tree;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(root).string();
    const auto status = it->symlink_status();
    if (rel.starts_with("box.db")) continue;
    if (fs::is_symlink(status)) {
      tree.push_back(rel + ": symlink to " + fs::read_symlink(it->path()).string());
    } else if (fs::is_directory(status)) {
      if (it->path().filename() != ".staging") tree.push_back(rel + ": dir");
    } else {
      const std::string data = read_file(it->path());
      tree.push_back(rel + ": file of " + std::to_string(data.size()) + " bytes, hash " +
                     std::to_string(std::hash<std::string>{}(data)));
    }
  }
  std::sort(tree.begin(), tree.end());
  return tree;
}

// The report's counts, one catalog a line: "networks 2/0/0" for imported,
// present, skipped.
std::string counts(const st::ImportReport& report) {
  std::ostringstream out;
  for (const auto& c : report.catalogs) {
    out << c.catalog << ' ' << c.imported << '/' << c.present << '/' << c.skipped << '\n';
  }
  return out.str();
}
std::string counts(const std::array<std::array<int, 3>, 4>& want) {
  const char* const names[] = {"networks", "volumes", "snapshots", "images"};
  std::ostringstream out;
  for (int i = 0; i < 4; ++i) {
    out << names[i] << ' ' << want[i][0] << '/' << want[i][1] << '/' << want[i][2] << '\n';
  }
  return out.str();
}
const auto kFixtureImported = counts({{{2, 0, 0}, {3, 0, 0}, {2, 0, 0}, {3, 0, 0}}});
const auto kFixturePresent = counts({{{0, 2, 0}, {0, 3, 0}, {0, 2, 0}, {0, 3, 0}}});

st::ImportOptions from(const fs::path& legacy, bool skip_bad = false, bool dry_run = false) {
  st::ImportOptions options;
  options.from = legacy;
  options.skip_bad = skip_bad;
  options.dry_run = dry_run;
  return options;
}

// The error an import throws; fails the test when it succeeds.
st::Error import_failure(st::Store& store, const st::ImportOptions& options) {
  try {
    const auto report = store.import_legacy(options);
    FAIL("the import succeeded:\n" << counts(report));
  } catch (const st::Error& e) {
    return e;
  }
  return st::Error(st::ErrorCode::io, "unreachable");
}

// Whether `text` names `fragment` ("a|b": either), case aside.
bool names(const std::string& text, const std::string& fragment) {
  std::istringstream alternatives(fragment);
  for (std::string one; std::getline(alternatives, one, '|');) {
    if (Catch::Contains(one, Catch::CaseSensitive::No).match(text)) return true;
  }
  return false;
}

bool no_rows(st::Store& store) {
  return store.networks().list().empty() && store.volumes().list().empty() &&
         store.snapshots().list().empty() && store.images().list().empty();
}

std::string dump(const fs::path& home) { return a3s::test::run_sqlite3(home / "box.db", ".dump"); }

// Every record of the legacy home `legacy` is stored, field for field (as
// comparable() sees them); an image's path is that of its digest under `home`.
void check_records(st::Store& store, const fs::path& legacy, const fs::path& home) {
  auto same = [](const std::string& catalog, const std::string& stored, const json& entry) {
    INFO(catalog << ": " << entry);
    CHECK(comparable(catalog, json::parse(stored)) == comparable(catalog, entry));
  };
  const json networks = read_json(legacy / "networks.json").at("networks");
  CHECK(store.networks().list().size() == networks.size());
  for (const auto& [name, n] : networks.items()) {
    const auto stored = store.networks().get(name);
    REQUIRE(stored);
    same("networks", st::to_json_text(*stored), n);
  }
  const json volumes = read_json(legacy / "volumes.json").at("volumes");
  CHECK(store.volumes().list().size() == volumes.size());
  for (const auto& [name, v] : volumes.items()) {
    const auto stored = store.volumes().get(name);
    REQUIRE(stored);
    same("volumes", st::to_json_text(*stored), v);
  }
  std::size_t snapshots = 0;
  for (const auto& id : catalog_entries(legacy / "snapshots")) {
    if (id.starts_with(".")) continue;
    ++snapshots;
    const auto stored = store.snapshots().get(id);
    REQUIRE(stored);
    same("snapshots", st::to_json_text(*stored),
         read_json(legacy / "snapshots" / id / "metadata.json"));
  }
  CHECK(store.snapshots().count() == snapshots);
  const json images = read_json(legacy / "images" / "index.json").at("images");
  const auto stored_images = store.images().list();  // list(): nothing marked used
  CHECK(stored_images.size() == images.size());
  for (json entry : images) {
    const std::string hex = entry.at("digest").get<std::string>().substr(7);
    entry["path"] = (home / "images" / "sha256" / hex).string();
    const auto stored =
        std::find_if(stored_images.begin(), stored_images.end(),
                     [&](const auto& i) { return i.reference == entry["reference"]; });
    REQUIRE(stored != stored_images.end());
    same("images", st::to_json_text(*stored), entry);
  }
}

// The fixture's rootfs trees and layouts are under `home`, byte for byte,
// each layout once.
void check_fixture_files(const fs::path& home) {
  CHECK(catalog_entries(home / "snapshots") == std::vector<std::string>{"snap-001", "snap-002"});
  for (const std::string id : {"snap-001", "snap-002"}) {
    INFO("snapshot " << id);
    CHECK(tree_of(home / "snapshots" / id / "rootfs") ==
          tree_of(fixture_home() / "snapshots" / id / "rootfs"));
  }
  CHECK(catalog_entries(home / "images" / "sha256") ==
        std::vector<std::string>{kNginxHex, kAlpineHex});
  for (const auto& hex : {kNginxHex, kAlpineHex}) {
    INFO("layout " << hex);
    CHECK(tree_of(home / "images" / "sha256" / hex) ==
          tree_of(fixture_home() / "images" / "sha256" / hex));
  }
}

ino_t inode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_ino;
}

std::uint64_t fixture_file_bytes() {
  const fs::path f = fixture_home();
  return a3s::test::regular_file_bytes(f / "snapshots" / "snap-001" / "rootfs") +
         a3s::test::regular_file_bytes(f / "snapshots" / "snap-002" / "rootfs") +
         a3s::test::regular_file_bytes(f / "images" / "sha256" / kNginxHex) +
         a3s::test::regular_file_bytes(f / "images" / "sha256" / kAlpineHex);
}

// A legacy home with one good entry of each catalog, beside the store's home
// and a directory outside both, all in one scratch directory, so that
// anything written outside the home shows.
struct Scene {
  TempDir scratch;
  fs::path home = scratch.path() / "home";
  LegacyHome legacy{scratch.path() / "legacy"};
  fs::path outside = scratch.path() / "outside";

  Scene() {
    fs::create_directories(outside);
    legacy.network("good-net", legacy_network("good-net", "10.90.0.0/24", "10.90.0.1"));
    legacy.volume("good-vol", legacy_volume("good-vol", "/home/user/.a3s/volumes/good-vol"));
    legacy.snapshot("good-snap", legacy_snapshot("good-snap"));
    legacy.image(legacy_image("docker.io/library/good:1", "sha256:" + kGoodHex));
    legacy.layout(kGoodHex);
  }
};

// One way a legacy home can be broken, and what the import must say of it.
struct Broken {
  const char* what;
  const char* catalog;  // where the bad entry is
  // What the error and the skipped entry (object and reason) must name;
  // "a|b" for either.
  std::vector<std::string> named;
  std::string reason;                 // what the reason alone must name
  std::array<int, 4> good;            // entries still imported with skip_bad
  std::function<void(Scene&)> apply;  // breaks the scene's legacy home
};

// A bad entry in each catalog but networks.json's truncation leaves one good
// entry of each catalog to import.
std::vector<Broken> broken_homes() {
  const std::array<int, 4> all{1, 1, 1, 1};
  // clang-format off
  return {
      {"a truncated networks.json", "networks", {"networks.json"}, "", {0, 1, 1, 1},
       [](Scene& s) {
         s.legacy.file("networks.json", R"({"networks": {"good-net": {"name": "good-net", "su)");
       }},
      {"a null entry in volumes.json", "volumes", {"bad-vol|volumes.json entry"}, "", all,
       [](Scene& s) { s.legacy.volume("bad-vol", "null"); }},
      {"a network without its subnet", "networks", {"nosub-net"}, "subnet", all,
       [](Scene& s) {
         s.legacy.network("nosub-net", R"({"name": "nosub-net", "gateway": "10.91.0.1",
                                           "created_at": "2026-06-17T08:15:30+00:00"})");
       }},
      {"a record naming a field twice", "networks", {"dup-net"}, "subnet", all,
       [](Scene& s) {
         s.legacy.network("dup-net", R"({"name": "dup-net", "subnet": "10.91.0.0/24",
                                         "subnet": "10.92.0.0/24", "gateway": "10.91.0.1",
                                         "created_at": "2026-06-17T08:15:30+00:00"})");
       }},
      {"a volume with an unsafe name", "volumes", {"../evil"}, "", all,
       [](Scene& s) { s.legacy.volume("../evil", legacy_volume("../evil", "/tmp/evil")); }},
      {"an image digest that is a path", "images", {"docker.io/library/evil:1"}, "digest", all,
       [](Scene& s) {
         // Where the digest leads when taken for a path under the legacy home.
         LegacyHome::write_layout(s.legacy.root() / "etc", "evil");
         s.legacy.image(legacy_image("docker.io/library/evil:1", "sha256:../../etc"));
       }},
      {"an image whose layout is missing", "images", {"docker.io/library/gone:1"}, kGoneHex, all,
       [](Scene& s) {
         s.legacy.image(legacy_image("docker.io/library/gone:1", "sha256:" + kGoneHex));
       }},
      {"an image whose layout is a symlink out of the home", "images",
       {"docker.io/library/linked:1"}, kLinkedHex, all,
       [](Scene& s) {
         LegacyHome::write_layout(s.outside / "layout", "linked");
         fs::create_directory_symlink(s.outside / "layout",
                                      s.legacy.root() / "images" / "sha256" / kLinkedHex);
         s.legacy.image(legacy_image("docker.io/library/linked:1", "sha256:" + kLinkedHex));
       }},
      {"a snapshot directory that is a symlink", "snapshots", {"link-snap"}, "", all,
       [](Scene& s) {
         LegacyHome(s.outside).snapshot("link-snap", legacy_snapshot("link-snap"));
         fs::create_directory_symlink(s.outside / "snapshots" / "link-snap",
                                      s.legacy.root() / "snapshots" / "link-snap");
       }},
      {"a snapshot whose metadata names another id", "snapshots", {"snap-x", "snap-y"}, "", all,
       [](Scene& s) { s.legacy.snapshot("snap-x", legacy_snapshot("snap-y")); }},
  };
  // clang-format on
}

}  // namespace

TEST_CASE("importing the fixture home stores every record and file as 2.4.0 wrote them",
          "[import]") {
  TempDir home;
  const Tree legacy_before = tree_of(fixture_home());
  auto store = open_store(home);
  std::set<std::string> progress_catalogs;
  std::uint64_t progress_bytes = 0;
  auto options = from(fixture_home());
  options.progress = [&](const st::ImportProgress& p) {
    progress_catalogs.insert(p.catalog);
    CHECK(p.done <= p.total);
    progress_bytes = std::max(progress_bytes, p.bytes_copied);
  };

  const auto report = store->import_legacy(options);
  CHECK(counts(report) == kFixtureImported);
  CHECK(report.skipped.empty());
  CHECK_FALSE(report.dry_run);
  CHECK(report.from.is_absolute());
  CHECK(fs::equivalent(report.from, fixture_home()));
  // Each rootfs and each layout once: nginx's two references share one.
  CHECK(report.bytes_copied == fixture_file_bytes());
  CHECK(progress_bytes == report.bytes_copied);
  CHECK(progress_catalogs == std::set<std::string>{"images", "networks", "snapshots", "volumes"});

  check_records(*store, fixture_home(), store->options().home);
  check_fixture_files(home.path());
  // Volumes keep their mount points: no data directory made in the home.
  CHECK(catalog_entries(home.path() / "volumes").empty());
  // The legacy home is only read.
  CHECK(tree_of(fixture_home()) == legacy_before);
  // The snapshot and image rows have their files; the volumes' mount points
  // are on the machine that wrote the fixture.
  for (const auto& f : store->check().findings) {
    INFO(f.problem << ": " << f.message);
    CHECK_FALSE(f.object.starts_with("snapshot"));
    CHECK_FALSE(f.object.starts_with("image"));
    CHECK(f.problem == "missing_directory");
  }
}

TEST_CASE("importing twice changes nothing the second time", "[import][sqlite]") {
  TempDir home;
  auto store = open_store(home);
  REQUIRE(counts(store->import_legacy(from(fixture_home()))) == kFixtureImported);
  const std::string rows = dump(home.path());
  const Tree files = tree_of(home.path());

  const auto again = store->import_legacy(from(fixture_home()));
  CHECK(counts(again) == kFixturePresent);
  CHECK(again.skipped.empty());
  CHECK(again.bytes_copied == 0);
  CHECK(dump(home.path()) == rows);
  CHECK(tree_of(home.path()) == files);

  // Using an image changes its last_used, not what it is.
  REQUIRE(store->images().get("docker.io/library/nginx:1.27"));
  CHECK(counts(store->import_legacy(from(fixture_home()))) == kFixturePresent);
}

TEST_CASE("a dry run reports the import and writes nothing", "[import][sqlite]") {
  TempDir home;
  auto store = open_store(home);
  const std::string rows = dump(home.path());
  const Tree files = tree_of(home.path());

  const auto report = store->import_legacy(from(fixture_home(), false, /*dry_run=*/true));
  CHECK(report.dry_run);
  CHECK(counts(report) == kFixtureImported);
  CHECK(report.skipped.empty());
  CHECK(report.bytes_copied == 0);
  CHECK(no_rows(*store));
  CHECK(dump(home.path()) == rows);
  CHECK(tree_of(home.path()) == files);

  CHECK(counts(store->import_legacy(from(fixture_home()))) == kFixtureImported);
  check_records(*store, fixture_home(), store->options().home);
}

TEST_CASE("importing a home in place takes its files over where they are", "[import]") {
  TempDir scratch;
  const fs::path home = scratch.path() / "home";
  const auto cp = a3s::test::run_program("cp", {"-a", fixture_home().string(), home.string()});
  REQUIRE(cp.exit_code == 0);
  REQUIRE(a3s::test::run_program("chmod", {"-R", "u+w", home.string()}).exit_code == 0);
  // As 2.4.0 made them: each volume's data in the home.
  json volumes = read_json(home / "volumes.json");
  for (auto& [name, v] : volumes.at("volumes").items()) {
    v["mount_point"] = (home / "volumes" / name).string();
    fs::create_directories(home / "volumes" / name);
    a3s::test::write_file(home / "volumes" / name / "data.txt", name + "\n");
  }
  a3s::test::write_file(home / "volumes.json", volumes.dump(2));

  // Taken over, not copied: the same files (inodes) before and after.
  const fs::path rootfs_file = home / "snapshots" / "snap-001" / "rootfs" / "index.html";
  const fs::path layout_file = home / "images" / "sha256" / kNginxHex / "oci-layout";
  const auto rootfs_inode = inode_of(rootfs_file);
  const auto layout_inode = inode_of(layout_file);

  auto store = open_store(home);
  const auto report = store->import_legacy();
  CHECK(counts(report) == kFixtureImported);
  CHECK(report.skipped.empty());
  CHECK(report.bytes_copied == 0);
  CHECK(fs::equivalent(report.from, home));

  check_records(*store, home, store->options().home);
  check_fixture_files(home);
  CHECK(inode_of(rootfs_file) == rootfs_inode);
  CHECK(inode_of(layout_file) == layout_inode);
  for (const auto& [name, v] : volumes.at("volumes").items()) {
    CHECK(read_file(home / "volumes" / name / "data.txt") == name + "\n");
  }
  std::string findings;
  for (const auto& f : store->check().findings) findings += f.problem + ": " + f.message + "\n";
  CHECK(findings == "");

  CHECK(counts(store->import_legacy()) == kFixturePresent);
}

TEST_CASE("a broken legacy home is refused whole, or its bad entries skipped", "[import]") {
  for (const auto& broken : broken_homes()) {
    DYNAMIC_SECTION(broken.what) {
      Scene scene;
      broken.apply(scene);
      auto store = open_store(scene.home);
      const Tree home_before = tree_of(scene.home);
      const Tree legacy_before = tree_of(scene.legacy.root());
      const Tree outside_before = tree_of(scene.outside);
      const auto scratch_before = entries(scene.scratch.path());

      // Without skip_bad: nothing written, good entries included.
      {
        const auto error = import_failure(*store, from(scene.legacy.root()));
        INFO("error: " << error.what());
        CHECK(error.code() == st::ErrorCode::invalid_argument);
        for (const auto& n : broken.named) CHECK(names(error.what(), n));
      }
      CHECK(no_rows(*store));
      CHECK(tree_of(scene.home) == home_before);

      // With skip_bad: every good entry imported, the bad one listed.
      const auto report = store->import_legacy(from(scene.legacy.root(), /*skip_bad=*/true));
      std::array<std::array<int, 3>, 4> want{};
      for (int i = 0; i < 4; ++i) want[i][0] = broken.good[i];
      const std::string catalogs[] = {"networks", "volumes", "snapshots", "images"};
      for (int i = 0; i < 4; ++i) want[i][2] = catalogs[i] == broken.catalog ? 1 : 0;
      CHECK(counts(report) == counts(want));
      REQUIRE(report.skipped.size() == 1);
      const auto& skip = report.skipped.front();
      INFO(skip.object << ": " << skip.reason);
      CHECK(skip.catalog == broken.catalog);
      CHECK_FALSE(skip.object.empty());
      CHECK_FALSE(skip.reason.empty());
      for (const auto& n : broken.named) CHECK(names(skip.object + ": " + skip.reason, n));
      if (!broken.reason.empty()) CHECK(names(skip.reason, broken.reason));
      CHECK(store->networks().list().size() == std::size_t(broken.good[0]));
      CHECK(store->volumes().list().size() == std::size_t(broken.good[1]));
      CHECK(store->snapshots().get("good-snap"));
      CHECK(store->images().list().size() == 1);
      CHECK(catalog_entries(scene.home / "images" / "sha256") ==
            std::vector<std::string>{kGoodHex});
      CHECK(catalog_entries(scene.home / "snapshots") == std::vector<std::string>{"good-snap"});

      // Nothing written outside the home; the legacy home only read.
      CHECK_FALSE(fs::exists(scene.home / "etc"));
      CHECK(entries(scene.scratch.path()) == scratch_before);
      CHECK(tree_of(scene.legacy.root()) == legacy_before);
      CHECK(tree_of(scene.outside) == outside_before);
    }
  }
}

TEST_CASE("a refused import names every bad entry, in catalog order when skipped", "[import]") {
  Scene scene;
  scene.legacy.volume("bad-vol", "null");
  scene.legacy.network("dup-net", R"({"name": "dup-net", "subnet": "10.91.0.0/24",
                                      "gateway": "10.91.0.1", "gateway": "10.91.0.2",
                                      "created_at": "2026-06-17T08:15:30+00:00"})");
  auto store = open_store(scene.home);
  const std::string message = import_failure(*store, from(scene.legacy.root())).what();
  CHECK(names(message, "dup-net"));
  CHECK(names(message, "bad-vol|volumes.json entry"));
  CHECK(no_rows(*store));

  const auto report = store->import_legacy(from(scene.legacy.root(), /*skip_bad=*/true));
  CHECK(counts(report) == counts({{{1, 0, 1}, {1, 0, 1}, {1, 0, 0}, {1, 0, 0}}}));
  REQUIRE(report.skipped.size() == 2);
  CHECK(report.skipped[0].catalog == "networks");
  CHECK(report.skipped[1].catalog == "volumes");
}

TEST_CASE("what 2.4.0 accepts imports exactly: host bits, the largest size limit", "[import]") {
  Scene scene;
  scene.legacy.network("hostbits", legacy_network("hostbits", "10.88.0.5/24", "10.88.0.6"));
  scene.legacy.volume("huge", R"({"name": "huge", "mount_point": "/srv/huge",
                                  "size_limit": 18446744073709551615,
                                  "created_at": "2026-06-17T08:16:00+00:00"})");
  auto store = open_store(scene.home);
  const auto report = store->import_legacy(from(scene.legacy.root()));
  CHECK(counts(report) == counts({{{2, 0, 0}, {2, 0, 0}, {1, 0, 0}, {1, 0, 0}}}));
  const auto network = store->networks().get("hostbits");
  REQUIRE(network);
  CHECK(network->subnet == "10.88.0.5/24");
  CHECK(network->gateway == "10.88.0.6");
  const auto volume = store->volumes().get("huge");
  REQUIRE(volume);
  CHECK(volume->size_limit == std::numeric_limits<std::uint64_t>::max());
  CHECK(volume->mount_point == "/srv/huge");
}

TEST_CASE("what 2.4.0 leaves behind is neither imported nor an error", "[import]") {
  Scene scene;
  auto& legacy = scene.legacy;
  legacy.file("snapshots/.staging-x-1-2/metadata.json", legacy_snapshot("x"));
  legacy.file("snapshots/.staging-x-1-2/rootfs/bin/sh", "half\n");
  LegacyHome::write_layout(legacy.root() / "images" / "tmp" / "pull-1", "tmp");
  LegacyHome::write_layout(legacy.root() / "images" / "sha256" / ".staging-y", "y");
  legacy.file("networks.json.tmp", R"({"networks": {"tmp-net": )" +
                                       legacy_network("tmp-net", "10.93.0.0/24", "10.93.0.1") +
                                       "}}");
  legacy.file("networks.json.lock", "");
  legacy.file("volumes.json.corrupt-1718000000",
              R"({"volumes": {"corrupt-vol": )" + legacy_volume("corrupt-vol", "/srv/c") + "}}");
  auto store = open_store(scene.home);

  const auto report = store->import_legacy(from(legacy.root()));
  CHECK(counts(report) == counts({{{1, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}}}));
  CHECK(report.skipped.empty());
  CHECK_FALSE(store->networks().get("tmp-net"));
  CHECK_FALSE(store->volumes().get("corrupt-vol"));
  CHECK_FALSE(store->snapshots().get("x"));
  CHECK(catalog_entries(scene.home / "snapshots") == std::vector<std::string>{"good-snap"});
  CHECK(catalog_entries(scene.home / "images" / "sha256") == std::vector<std::string>{kGoodHex});
  CHECK_FALSE(fs::exists(scene.home / "images" / "tmp"));
}

TEST_CASE("a record stored under the same name is left alone, or is a conflict", "[import]") {
  Scene scene;
  const std::string same = legacy_network("same", "10.94.0.0/24", "10.94.0.1");
  scene.legacy.network("same", same);
  scene.legacy.network("dev", legacy_network("dev", "10.91.0.0/24", "10.91.0.1"));
  auto store = open_store(scene.home);
  store->networks().create(st::network_from_json_text(same));
  store->networks().create(
      st::network_from_json_text(legacy_network("dev", "10.92.0.0/24", "10.92.0.1")));
  const auto stored = store->networks().list();
  const Tree files = tree_of(scene.home);

  SECTION("without skip_bad the import fails, naming the record and the field") {
    const auto error = import_failure(*store, from(scene.legacy.root()));
    CHECK(error.code() == st::ErrorCode::already_exists);
    CHECK_THAT(error.what(), Catch::Contains("network 'dev'"));
    CHECK_THAT(error.what(), Catch::Contains("subnet"));
    CHECK(store->networks().list() == stored);
    CHECK(store->volumes().list().empty());
    CHECK(store->snapshots().list().empty());
    CHECK(store->images().list().empty());
    CHECK(tree_of(scene.home) == files);
  }
  SECTION("with skip_bad the conflict is skipped and the stored record kept") {
    const auto report = store->import_legacy(from(scene.legacy.root(), /*skip_bad=*/true));
    CHECK(counts(report) == counts({{{1, 1, 1}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}}}));
    REQUIRE(report.skipped.size() == 1);
    const auto& skip = report.skipped.front();
    INFO(skip.reason);
    CHECK(skip.catalog == "networks");
    CHECK(skip.object == "network 'dev'");
    CHECK(names(skip.reason, "subnet"));
    CHECK(names(skip.reason, "differ|conflict"));
    CHECK(store->networks().get("dev") == stored[0]);
    CHECK(store->networks().get("same") == stored[1]);
    CHECK(store->networks().get("good-net"));
  }
}

TEST_CASE("a store on another database than the home's copies no files in", "[import][sqlite]") {
  TempDir home;
  TempDir elsewhere;
  auto options = a3s::test::options_for(home.path());
  options.db_path = elsewhere.path() / "copy.db";
  auto store = st::Store::open(options);
  const Tree files = tree_of(home.path());
  REQUIRE_STORE_ERROR(store->import_legacy(from(fixture_home())), st::ErrorCode::invalid_argument,
                      "");
  CHECK(no_rows(*store));
  CHECK(tree_of(home.path()) == files);
}

// The CLI: `a3s-store [--json] import [--from DIR] [--dry-run] [--skip-bad]`.

namespace {

a3s::test::CommandResult cli(const fs::path& home, std::vector<std::string> args) {
  args.insert(args.begin(), {"--home", home.string()});
  return a3s::test::run_cli(args);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The first line names the legacy home: `<prefix><path>`.
void check_from_line(const std::string& line, const std::string& prefix) {
  INFO(line);
  REQUIRE(line.starts_with(prefix));
  CHECK(fs::equivalent(line.substr(prefix.size()), fixture_home()));
}

const std::vector<std::string> kFixtureLines = {
    "networks: 2 imported, 0 already present, 0 skipped",
    "volumes: 3 imported, 0 already present, 0 skipped",
    "snapshots: 2 imported, 0 already present, 0 skipped",
    "images: 3 imported, 0 already present, 0 skipped",
};

}  // namespace

TEST_CASE("import on the command line reports each catalog", "[import][cli]") {
  TempDir home;
  const std::string legacy = fixture_home().string();

  SECTION("text, dry run first") {
    const auto dry = cli(home.path(), {"import", "--from", legacy, "--dry-run"});
    INFO(dry.out << dry.err);
    CHECK(dry.exit_code == 0);
    auto lines = lines_of(dry.out);
    REQUIRE(lines.size() == 5);
    check_from_line(lines[0], "dry run: nothing written; would import from ");
    CHECK(std::vector<std::string>(lines.begin() + 1, lines.end()) == kFixtureLines);
    CHECK(json::parse(cli(home.path(), {"--json", "network", "ls"}).out) == json::array());

    // A summary of what was copied may follow the counts; no skipped line.
    const auto real = cli(home.path(), {"import", "--from", legacy});
    CHECK(real.exit_code == 0);
    lines = lines_of(real.out);
    REQUIRE(lines.size() >= 5);
    check_from_line(lines[0], "imported from ");
    CHECK(std::vector<std::string>(lines.begin() + 1, lines.begin() + 5) == kFixtureLines);
    for (std::size_t i = 5; i < lines.size(); ++i) CHECK_FALSE(lines[i].starts_with("skipped"));
  }
  SECTION("json") {
    const auto r = cli(home.path(), {"--json", "import", "--from", legacy});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = json::parse(r.out);
    CHECK(fs::equivalent(j.at("from").get<std::string>(), fixture_home()));
    CHECK(j.at("dry_run") == false);
    CHECK(j.at("catalogs") == json{{"networks", {{"imported", 2}, {"present", 0}, {"skipped", 0}}},
                                   {"volumes", {{"imported", 3}, {"present", 0}, {"skipped", 0}}},
                                   {"snapshots", {{"imported", 2}, {"present", 0}, {"skipped", 0}}},
                                   {"images", {{"imported", 3}, {"present", 0}, {"skipped", 0}}}});
    CHECK(j.at("skipped") == json::array());
    CHECK(j.at("bytes_copied") == fixture_file_bytes());

    const auto again = json::parse(cli(home.path(), {"--json", "import", "--from", legacy}).out);
    CHECK(again.at("catalogs").at("images") ==
          json{{"imported", 0}, {"present", 3}, {"skipped", 0}});
  }
}

TEST_CASE("import on the command line: skips, failures and usage errors", "[import][cli]") {
  Scene scene;
  scene.legacy.volume("bad-vol", "null");
  const std::string legacy = scene.legacy.root().string();
  REQUIRE(cli(scene.home, {"network", "ls"}).exit_code == 0);  // the database made
  const Tree files = tree_of(scene.home);

  SECTION("a bad entry fails the import: exit 1, nothing written") {
    const auto r = cli(scene.home, {"import", "--from", legacy});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("error: "));
    CHECK(names(r.err, "bad-vol|volumes.json entry"));
    CHECK(json::parse(cli(scene.home, {"--json", "network", "ls"}).out) == json::array());
    CHECK(json::parse(cli(scene.home, {"--json", "snapshot", "ls"}).out) == json::array());
    CHECK(tree_of(scene.home) == files);
  }
  SECTION("--skip-bad imports the rest and lists the bad entry") {
    const auto r = cli(scene.home, {"import", "--from", legacy, "--skip-bad"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() >= 6);
    CHECK(lines[2] == "volumes: 1 imported, 0 already present, 1 skipped");
    CHECK(lines[5].starts_with("skipped "));
    CHECK(names(lines[5], "bad-vol|volumes.json entry"));
  }
  SECTION("--json --skip-bad lists it as catalog, object, reason") {
    const auto r = cli(scene.home, {"--json", "import", "--from", legacy, "--skip-bad"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto skipped = json::parse(r.out).at("skipped");
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].at("catalog") == "volumes");
    CHECK(names(skipped[0].at("object").get<std::string>(), "bad-vol|volumes.json entry"));
    CHECK_FALSE(skipped[0].at("reason").get<std::string>().empty());
  }
  SECTION("usage errors exit 2 and write nothing") {
    CHECK(cli(scene.home, {"import", "--bogus"}).exit_code == 2);
    CHECK(cli(scene.home, {"import", "--from"}).exit_code == 2);
    CHECK(tree_of(scene.home) == files);
  }
  SECTION("a --from that is no directory fails") {
    const auto r = cli(scene.home, {"import", "--from", (scene.outside / "nope").string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("error: "));
    auto store = open_store(scene.home);
    REQUIRE_STORE_ERROR(store->import_legacy(from(scene.outside / "nope")),
                        st::ErrorCode::invalid_argument, "nope");
  }
}
