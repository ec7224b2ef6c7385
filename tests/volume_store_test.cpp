// VolumeStore (SPEC §4 "Volumes"): every operation, every error (code and a
// message naming the volume), the data directories under <home>/volumes, the
// JSON fixtures and u64 sizes.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "record_json.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::entries;
using a3s::test::fixture;
using a3s::test::open_store;
using a3s::test::TempDir;

namespace {

using Names = std::vector<std::string>;

st::VolumeConfig make_volume(const std::string& name) {
  st::VolumeConfig v;
  v.name = name;
  v.created_at = "2024-01-01T00:00:00Z";
  return v;
}

fs::path volume_dir(const TempDir& tmp, const std::string& name) {
  return tmp.path() / "volumes" / name;
}

Names names_of(const std::vector<st::VolumeConfig>& volumes) {
  Names names;
  for (const auto& v : volumes) names.push_back(v.name);
  return names;
}

}  // namespace

TEST_CASE("get returns nullopt for a volume that does not exist", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  CHECK_FALSE(store->volumes().get("data").has_value());
  REQUIRE_STORE_ERROR(store->volumes().get("a/b"), st::ErrorCode::invalid_argument, "'a/b'");
}

TEST_CASE("create sets the mount point and creates the directory", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto config = make_volume("data");
  config.mount_point = "/somewhere/else";  // ignored: the store decides
  config.labels = {{"app", "postgres"}};
  config.size_limit = 1024;
  config.created_at = "2026-06-17T08:16:00.123456789+00:00";

  const auto created = store->volumes().create(config);
  const fs::path dir = volume_dir(tmp, "data");
  CHECK(created.mount_point == dir.string());
  CHECK(fs::is_directory(dir));
  CHECK_FALSE(fs::exists("/somewhere/else"));
  CHECK(created.name == "data");
  CHECK(created.driver == "local");
  CHECK(created.labels == config.labels);
  CHECK(created.size_limit == 1024);
  CHECK(created.created_at == "2026-06-17T08:16:00.123456789+00:00");
  CHECK(created.in_use_by.empty());

  const auto got = store->volumes().get("data");
  REQUIRE(got.has_value());
  CHECK(*got == created);
}

TEST_CASE("create keeps the users it is given", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto config = make_volume("data");
  config.in_use_by = {"box-b", "box-a", "box-c"};
  const auto created = store->volumes().create(config);
  CHECK(created.in_use_by == Names{"box-b", "box-a", "box-c"});
  CHECK(store->volumes().get("data")->in_use_by == Names{"box-b", "box-a", "box-c"});
}

TEST_CASE("create of a taken name is already_exists and leaves the volume alone", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto first = make_volume("data");
  first.labels = {{"v", "1"}};
  const auto created = store->volumes().create(first);
  a3s::test::write_file(volume_dir(tmp, "data") / "file.txt", "payload");

  auto second = make_volume("data");
  second.labels = {{"v", "2"}};
  REQUIRE_STORE_ERROR(store->volumes().create(second), st::ErrorCode::already_exists,
                      "volume 'data' already exists");
  const auto got = store->volumes().get("data");
  REQUIRE(got.has_value());
  CHECK(*got == created);
  CHECK(a3s::test::read_file(volume_dir(tmp, "data") / "file.txt") == "payload");
}

TEST_CASE("create and get_or_create refuse unsafe names without touching the disk", "[volume]") {
  struct Case {
    std::string name;
    std::string fragment;
  };
  // "@outside" stands for an absolute path inside this run's temp dir.
  Case c = GENERATE(values<Case>({
      {"a/b", "'a/b'"},
      {"..", "'..'"},
      {".", "'.'"},
      {"../escape", "'../escape'"},
      {"@outside", ""},
      {"", "''"},
      {std::string(129, 'v'), "'" + std::string(64, 'v')},
      {".x", "'.x'"},
      {"-x", "'-x'"},
      {std::string("a\0b", 3), "'a\\x00b'"},
  }));
  TempDir tmp;
  if (c.name == "@outside") {
    c.name = (tmp.path() / "outside").string();
    c.fragment = "'" + c.name.substr(0, 40);
  }
  CAPTURE(c.name);
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->volumes().create(make_volume(c.name)), st::ErrorCode::invalid_argument,
                      c.fragment);
  REQUIRE_STORE_ERROR(store->volumes().get_or_create(make_volume(c.name)),
                      st::ErrorCode::invalid_argument, "volume");
  CHECK(store->volumes().list().empty());
  CHECK(a3s::test::catalog_entries(tmp.path() / "volumes").empty());
  CHECK_FALSE(fs::exists(tmp.path() / "escape"));
  CHECK_FALSE(fs::exists(tmp.path() / "outside"));
  CHECK_FALSE(fs::exists(tmp.path() / "a"));
}

TEST_CASE("create refuses an invalid record and creates no directory", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto twice = make_volume("data");
  twice.in_use_by = {"box-a", "box-a"};
  REQUIRE_STORE_ERROR(store->volumes().create(twice), st::ErrorCode::invalid_argument,
                      "volume 'data': field 'in_use_by'");
  auto bad_label = make_volume("data");
  bad_label.labels = {{"", "empty key"}};
  REQUIRE_STORE_ERROR(store->volumes().create(bad_label), st::ErrorCode::invalid_argument,
                      "volume 'data': field 'labels[]' key must not be empty");
  CHECK(store->volumes().list().empty());
  CHECK_FALSE(fs::exists(volume_dir(tmp, "data")));
}

TEST_CASE("get_or_create creates a missing volume and returns an existing one unchanged",
          "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto first = make_volume("data");
  first.labels = {{"v", "1"}};
  first.size_limit = 10;
  const auto created = store->volumes().get_or_create(first);
  CHECK(created.mount_point == volume_dir(tmp, "data").string());
  CHECK(created.labels == first.labels);
  CHECK(fs::is_directory(volume_dir(tmp, "data")));
  store->volumes().attach("data", "box-1");

  auto second = make_volume("data");
  second.labels = {{"v", "2"}};
  second.size_limit = 20;
  const auto existing = store->volumes().get_or_create(second);
  CHECK(existing.labels == first.labels);
  CHECK(existing.size_limit == 10);
  CHECK(existing.in_use_by == Names{"box-1"});
  CHECK(existing == *store->volumes().get("data"));
  CHECK(store->volumes().list().size() == 1);
}

TEST_CASE("remove of a missing volume is not_found", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->volumes().remove("data"), st::ErrorCode::not_found,
                      "volume 'data' not found");
  REQUIRE_STORE_ERROR(store->volumes().remove("data", /*force=*/true), st::ErrorCode::not_found,
                      "volume 'data' not found");
}

TEST_CASE("remove returns the record and deletes the directory with its contents", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const auto created = store->volumes().create(make_volume("data"));
  store->volumes().create(make_volume("keep"));
  const fs::path dir = volume_dir(tmp, "data");
  fs::create_directories(dir / "nested" / "deeper");
  a3s::test::write_file(dir / "top.txt", "top");
  a3s::test::write_file(dir / "nested" / "deeper" / "leaf.bin", std::string(4096, 'x'));

  CHECK(store->volumes().remove("data") == created);
  CHECK_FALSE(fs::exists(dir));
  CHECK_FALSE(store->volumes().get("data").has_value());
  CHECK(fs::is_directory(volume_dir(tmp, "keep")));
  CHECK(names_of(store->volumes().list()) == Names{"keep"});
}

TEST_CASE("remove succeeds when the directory is already gone", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->volumes().create(make_volume("data"));
  fs::remove_all(volume_dir(tmp, "data"));
  CHECK(store->volumes().remove("data").name == "data");
  CHECK_FALSE(store->volumes().get("data").has_value());
}

TEST_CASE("remove is in_use while attached; force removes it anyway", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->volumes().create(make_volume("data"));
  store->volumes().attach("data", "box-1");
  store->volumes().attach("data", "box-2");
  a3s::test::write_file(volume_dir(tmp, "data") / "precious", "x");

  REQUIRE_STORE_ERROR(store->volumes().remove("data"), st::ErrorCode::in_use, "volume 'data'");
  REQUIRE_STORE_ERROR(store->volumes().remove("data"), st::ErrorCode::in_use, "box-1");
  const auto still = store->volumes().get("data");
  REQUIRE(still.has_value());
  CHECK(still->in_use_by == Names{"box-1", "box-2"});
  CHECK(fs::exists(volume_dir(tmp, "data") / "precious"));

  const auto removed = store->volumes().remove("data", /*force=*/true);
  CHECK(removed.in_use_by == Names{"box-1", "box-2"});
  CHECK_FALSE(store->volumes().get("data").has_value());
  CHECK_FALSE(fs::exists(volume_dir(tmp, "data")));

  // Its users went with it: a new volume of that name starts unused.
  const auto again = store->volumes().create(make_volume("data"));
  CHECK(again.in_use_by.empty());
  CHECK(store->volumes().get("data")->in_use_by.empty());
}

TEST_CASE("list is sorted by name with each volume's users", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  CHECK(store->volumes().list().empty());
  for (const char* name : {"zeta", "alpha", "mid", "alpha2"}) {
    store->volumes().create(make_volume(name));
  }
  store->volumes().attach("zeta", "z1");
  store->volumes().attach("alpha", "a2");
  store->volumes().attach("alpha", "a1");
  store->volumes().attach("alpha2", "b1");

  const auto all = store->volumes().list();
  REQUIRE(names_of(all) == Names{"alpha", "alpha2", "mid", "zeta"});
  CHECK(all[0].in_use_by == Names{"a2", "a1"});
  CHECK(all[1].in_use_by == Names{"b1"});
  CHECK(all[2].in_use_by.empty());
  CHECK(all[3].in_use_by == Names{"z1"});
  for (const auto& v : all) CHECK(v == *store->volumes().get(v.name));
}

TEST_CASE("update of a missing volume is not_found and creates nothing", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->volumes().update(make_volume("data")), st::ErrorCode::not_found,
                      "volume 'data' not found");
  CHECK_FALSE(store->volumes().get("data").has_value());
  CHECK_FALSE(fs::exists(volume_dir(tmp, "data")));
}

TEST_CASE("update replaces labels, users and size limit but keeps the mount point", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto before = make_volume("data");
  before.labels = {{"old", "1"}, {"gone", "2"}};
  before.size_limit = 100;
  const auto created = store->volumes().create(before);
  store->volumes().attach("data", "box-1");
  store->volumes().attach("data", "box-2");

  auto after = make_volume("data");
  after.mount_point = "/elsewhere";
  after.driver = "nfs";
  after.labels = {{"new", "3"}};
  after.in_use_by = {"box-3", "box-1"};
  after.size_limit = 200;
  after.created_at = "2025-05-05T05:05:05Z";

  const auto updated = store->volumes().update(after);
  CHECK(updated.mount_point == created.mount_point);
  CHECK(updated.driver == "nfs");
  CHECK(updated.labels == st::StringMap{{"new", "3"}});
  CHECK(updated.in_use_by == Names{"box-3", "box-1"});
  CHECK(updated.size_limit == 200);
  CHECK(updated.created_at == "2025-05-05T05:05:05Z");
  const auto got = store->volumes().get("data");
  REQUIRE(got.has_value());
  CHECK(*got == updated);
  CHECK(fs::is_directory(volume_dir(tmp, "data")));

  // Later attaches go after the users update wrote.
  CHECK(store->volumes().attach("data", "box-4").in_use_by == Names{"box-3", "box-1", "box-4"});

  // An invalid update is refused and changes nothing.
  auto bad = after;
  bad.in_use_by = {"x", "x"};
  REQUIRE_STORE_ERROR(store->volumes().update(bad), st::ErrorCode::invalid_argument,
                      "volume 'data': field 'in_use_by'");
  CHECK(store->volumes().get("data")->in_use_by == Names{"box-3", "box-1", "box-4"});
}

TEST_CASE("attach is idempotent and keeps the attach order; detach removes one user", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->volumes().create(make_volume("data"));
  CHECK(store->volumes().attach("data", "box-c").in_use_by == Names{"box-c"});
  CHECK(store->volumes().attach("data", "box-a").in_use_by == Names{"box-c", "box-a"});
  CHECK(store->volumes().attach("data", "box-b").in_use_by == Names{"box-c", "box-a", "box-b"});
  const auto again = store->volumes().attach("data", "box-a");
  CHECK(again.in_use_by == Names{"box-c", "box-a", "box-b"});
  CHECK(again == *store->volumes().get("data"));

  const auto detached = store->volumes().detach("data", "box-a");
  CHECK(detached.in_use_by == Names{"box-c", "box-b"});
  CHECK(detached == *store->volumes().get("data"));
  // Re-attaching puts the box last.
  CHECK(store->volumes().attach("data", "box-a").in_use_by == Names{"box-c", "box-b", "box-a"});
  // Detaching a box that is not a user changes nothing.
  CHECK(store->volumes().detach("data", "box-z").in_use_by == Names{"box-c", "box-b", "box-a"});
  CHECK(store->volumes().get("data")->in_use_by == Names{"box-c", "box-b", "box-a"});
}

TEST_CASE("attach and detach report a missing volume or a bad box ID", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->volumes().attach("nope", "box-1"), st::ErrorCode::not_found,
                      "volume 'nope' not found");
  REQUIRE_STORE_ERROR(store->volumes().detach("nope", "box-1"), st::ErrorCode::not_found,
                      "volume 'nope' not found");
  store->volumes().create(make_volume("data"));
  REQUIRE_STORE_ERROR(store->volumes().attach("data", ""), st::ErrorCode::invalid_argument,
                      "volume 'data': box ID");
  REQUIRE_STORE_ERROR(store->volumes().attach("data", "box\x01"), st::ErrorCode::invalid_argument,
                      "volume 'data': box ID");
  REQUIRE_STORE_ERROR(store->volumes().attach("data", std::string(257, 'b')),
                      st::ErrorCode::invalid_argument, "volume 'data': box ID");
  REQUIRE_STORE_ERROR(store->volumes().detach("data", ""), st::ErrorCode::invalid_argument,
                      "volume 'data': box ID");
  REQUIRE_STORE_ERROR(store->volumes().attach("../x", "box-1"), st::ErrorCode::invalid_argument,
                      "'../x'");
  CHECK(store->volumes().get("data")->in_use_by.empty());
}

TEST_CASE("prune removes exactly the unattached volumes and their directories", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  for (const char* name : {"c", "used", "d", "b", "also-used"}) {
    store->volumes().create(make_volume(name));
    a3s::test::write_file(volume_dir(tmp, name) / "data", name);
  }
  store->volumes().attach("used", "box-1");
  store->volumes().attach("also-used", "box-2");
  store->volumes().attach("d", "box-3");
  store->volumes().detach("d", "box-3");  // attached once, free now

  CHECK(store->volumes().prune() == Names{"b", "c", "d"});
  CHECK(names_of(store->volumes().list()) == Names{"also-used", "used"});
  CHECK(a3s::test::catalog_entries(tmp.path() / "volumes") == Names{"also-used", "used"});
  CHECK(a3s::test::read_file(volume_dir(tmp, "used") / "data") == "used");
  CHECK(store->volumes().get("used")->in_use_by == Names{"box-1"});

  CHECK(store->volumes().prune().empty());
  CHECK(names_of(store->volumes().list()) == Names{"also-used", "used"});
}

TEST_CASE("prune of an empty store returns nothing", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  CHECK(store->volumes().prune().empty());
}

TEST_CASE("size_limit keeps every u64 value exactly", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  REQUIRE(max == 18446744073709551615ULL);
  auto v = make_volume("big");
  v.size_limit = max;
  CHECK(store->volumes().create(v).size_limit == max);
  CHECK(store->volumes().get("big")->size_limit == max);
  CHECK(store->volumes().list().at(0).size_limit == max);
  CHECK(st::to_json(*store->volumes().get("big")).at("size_limit").dump() ==
        "18446744073709551615");

  auto half = *store->volumes().get("big");
  half.size_limit = 9223372036854775808ULL;  // 2^63
  store->volumes().update(half);
  CHECK(store->volumes().get("big")->size_limit == 9223372036854775808ULL);
  half.size_limit = 9223372036854775807ULL;  // 2^63 - 1
  store->volumes().update(half);
  CHECK(store->volumes().get("big")->size_limit == 9223372036854775807ULL);
}

TEST_CASE("the fixture's volumes.json records are stored and read back", "[volume]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const auto doc = fixture("volumes.json");
  const auto& volumes = doc.at("volumes");
  REQUIRE(volumes.size() == 3);
  for (const auto& [name, record] : volumes.items()) {
    CAPTURE(name);
    auto expected = st::volume_from_json(record);
    CHECK(expected.name == name);
    store->volumes().create(expected);
    expected.mount_point = volume_dir(tmp, name).string();
    const auto got = store->volumes().get(name);
    REQUIRE(got.has_value());
    CHECK(*got == expected);
    CHECK(fs::is_directory(expected.mount_point));
  }
  const auto pgdata = *store->volumes().get("pgdata");
  CHECK(pgdata.in_use_by == Names{"box-a"});
  CHECK(pgdata.size_limit == 10737418240ULL);
  CHECK(pgdata.labels == st::StringMap{{"app", "postgres"}});
  CHECK(pgdata.created_at == "2026-06-17T08:16:00+00:00");
  const auto cache = *store->volumes().get("cache");
  CHECK(cache.driver == "local");
  CHECK(cache.size_limit == 0);
  CHECK(cache.in_use_by.empty());
  CHECK(names_of(store->volumes().list()) == Names{"cache", "logs", "pgdata"});
  // pgdata is in use, so prune takes the other two.
  CHECK(store->volumes().prune() == Names{"cache", "logs"});
}

TEST_CASE("volumes persist across reopening the store", "[volume]") {
  TempDir tmp;
  st::VolumeConfig stored;
  {
    auto store = open_store(tmp);
    auto v = make_volume("data");
    v.labels = {{"a", "b"}};
    v.size_limit = 42;
    store->volumes().create(v);
    store->volumes().attach("data", "box-2");
    store->volumes().attach("data", "box-1");
    stored = *store->volumes().get("data");
  }
  auto store = open_store(tmp);
  const auto got = store->volumes().get("data");
  REQUIRE(got.has_value());
  CHECK(*got == stored);
  CHECK(got->in_use_by == Names{"box-2", "box-1"});
}
