// Times typed `time` (SPEC §3) across all that the runtime writes — years
// 0000..9999 and leap seconds — stored and given back as written, through
// the C++ API and the a3s-store CLI, and in time order wherever the store
// sorts by them (snapshot list and prune, image eviction).
#include <catch2/catch.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "cli_home.hpp"
#include "legacy_home_builder.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::LegacyHome;
using a3s::test::open_store;
using a3s::test::TempDir;
using nlohmann::json;

namespace {

// In time order, as chrono writes them.
const std::vector<std::string> kTimes = {
    "0000-01-01T00:00:00Z",     "1677-09-21T00:12:44Z",           "2016-12-31T23:59:59.999999999Z",
    "2016-12-31T23:59:60.500Z", "2017-01-01T00:00:00Z",           "2262-04-11T23:47:16.854775808Z",
    "9999-12-31T23:59:59Z",     "9999-12-31T23:59:59.999999999Z",
};

std::string id_of(std::size_t i) { return "t" + std::to_string(i); }

// Reference names in the reverse of time order, so that an order by
// reference is not taken for an order by time.
std::string reference_of(std::size_t i) {
  return "docker.io/library/r" + std::to_string(kTimes.size() - i) + ":latest";
}

const std::string kHex(64, 'a');
const std::string kDigest = "sha256:" + kHex;

// A 2.4.0 home whose images/index.json holds one reference per time, all of
// one layout: pulled_at the time, last_used the time after it.
void write_legacy_images(LegacyHome& legacy) {
  legacy.layout(kHex);
  for (std::size_t i = 0; i + 1 < kTimes.size(); ++i) {
    legacy.image(json{{"reference", reference_of(i)},
                      {"digest", kDigest},
                      {"size_bytes", 64},
                      {"pulled_at", kTimes[i]},
                      {"last_used", kTimes[i + 1]},
                      {"path", (legacy.root() / "images" / "sha256" / kHex).string()}}
                     .dump());
  }
}

// The JSON text of a snapshot created at `created_at`, written as given.
std::string snapshot_json(const std::string& id, const std::string& created_at) {
  json s = json::parse(st::to_json_text(a3s::test::minimal_snapshot(id)));
  s["created_at"] = created_at;
  return s.dump();
}

}  // namespace

TEST_CASE("snapshot times of years 0000..9999 and leap seconds come back as written",
          "[time][snapshot]") {
  TempDir home;
  {
    auto store = open_store(home);
    for (std::size_t i = 0; i < kTimes.size(); ++i) {
      auto s = a3s::test::minimal_snapshot(id_of(i));
      s.created_at = st::parse_rfc3339(kTimes[i], "created_at");
      CHECK(st::format_rfc3339(store->snapshots().save(s, home.path() / "none").created_at) ==
            kTimes[i]);
    }
  }
  auto store = open_store(home);  // read back from the database, not a cache
  const auto listed = store->snapshots().list();
  REQUIRE(listed.size() == kTimes.size());
  for (std::size_t i = 0; i < kTimes.size(); ++i) {
    const auto& s = listed[kTimes.size() - 1 - i];  // newest first
    INFO(kTimes[i]);
    CHECK(s.id == id_of(i));
    CHECK(st::format_rfc3339(s.created_at) == kTimes[i]);
    CHECK(st::to_json_text(s).find(R"("created_at":")" + kTimes[i] + "\"") != std::string::npos);
    CHECK(store->snapshots().get(id_of(i))->created_at == s.created_at);
  }
  // Oldest first: the leap second after 23:59:59.999999999, year 0000 first.
  std::vector<std::string> oldest_first;
  for (std::size_t i = 0; i + 1 < kTimes.size(); ++i) oldest_first.push_back(id_of(i));
  CHECK(store->snapshots().prune(1, 0) == oldest_first);
}

TEST_CASE("image times of years 0000..9999 and leap seconds come back as written",
          "[time][image]") {
  TempDir dir;
  LegacyHome legacy(dir.path() / "legacy");
  write_legacy_images(legacy);
  TempDir home;
  auto store = open_store(home);
  st::ImportOptions options;
  options.from = legacy.root();
  store->import_legacy(options);

  const auto listed = store->images().list();  // by reference: newest first
  REQUIRE(listed.size() == kTimes.size() - 1);
  for (std::size_t i = 0; i + 1 < kTimes.size(); ++i) {
    const auto& image = listed[listed.size() - 1 - i];
    INFO(image.reference);
    CHECK(image.reference == reference_of(i));
    CHECK(st::format_rfc3339(image.pulled_at) == kTimes[i]);
    CHECK(st::format_rfc3339(image.last_used) == kTimes[i + 1]);
  }
  // Least recently used first; the references share one layout, so all go.
  std::vector<std::string> least_recent_first;
  for (std::size_t i = 0; i + 1 < kTimes.size(); ++i) least_recent_first.push_back(reference_of(i));
  CHECK(store->images().evict(1) == least_recent_first);
}

TEST_CASE("the CLI gives back times of years 0000..9999 and leap seconds as written",
          "[time][cli]") {
  a3s::test::CliHome home;
  TempDir dir;
  for (std::size_t i = 0; i < kTimes.size(); ++i) {
    const auto file = dir.path() / (id_of(i) + ".json");
    a3s::test::write_file(file, snapshot_json(id_of(i), kTimes[i]));
    const auto saved = home.run_json({"snapshot", "save", "--rootfs",
                                      (dir.path() / "none").string(), "--metadata", file.string()});
    CHECK(saved["created_at"] == kTimes[i]);
  }
  const auto listed = home.run_json({"snapshot", "ls"});
  REQUIRE(listed.size() == kTimes.size());
  for (std::size_t i = 0; i < kTimes.size(); ++i) {
    INFO(kTimes[i]);
    CHECK(listed[kTimes.size() - 1 - i]["id"] == id_of(i));
    CHECK(listed[kTimes.size() - 1 - i]["created_at"] == kTimes[i]);
    CHECK(home.run_json({"snapshot", "inspect", id_of(i)})["created_at"] == kTimes[i]);
  }

  LegacyHome legacy(dir.path() / "legacy");
  write_legacy_images(legacy);
  home.run_json({"import", "--from", legacy.root().string()});
  const auto images = home.run_json({"image", "ls"});
  REQUIRE(images.size() == kTimes.size() - 1);
  json least_recent_first = json::array();
  for (std::size_t i = 0; i + 1 < kTimes.size(); ++i) {
    const auto& image = images[images.size() - 1 - i];
    INFO(reference_of(i));
    CHECK(image["reference"] == reference_of(i));
    CHECK(image["pulled_at"] == kTimes[i]);
    CHECK(image["last_used"] == kTimes[i + 1]);
    least_recent_first.push_back(reference_of(i));
  }
  CHECK(home.run_json({"image", "evict", "--max-size", "1"}) == least_recent_first);
}

TEST_CASE("the CLI refuses a time an offset moves out of years 0000..9999, writing nothing",
          "[time][cli]") {
  a3s::test::CliHome home;
  TempDir dir;
  for (const std::string time : {"0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"}) {
    INFO(time);
    const auto file = dir.path() / "metadata.json";
    a3s::test::write_file(file, snapshot_json("late", time));
    home.fails_quietly(
        {"snapshot", "save", "--rootfs", (dir.path() / "none").string(), "--metadata",
         file.string()},
        "field 'created_at' must be an RFC 3339 timestamp in years 0000..9999 UTC, not '" + time +
            "'");
    CHECK(home.run_json({"snapshot", "ls"}) == json::array());
    CHECK_FALSE(fs::exists(home.path() / "snapshots" / "late"));
  }
}
