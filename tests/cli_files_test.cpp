// The a3s-store command-line tool (SPEC §7) for the catalogs that own files:
// snapshot and image commands, run as a separate process.
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "a3s/store/records.hpp"
#include "cli_home.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using a3s::test::empty_or_missing;
using a3s::test::regular_file_bytes;
using a3s::test::ScopedEnv;
using a3s::test::TempDir;
using Home = a3s::test::CliHome;
using nlohmann::json;

namespace {

// Writes `text` to `path`, creating its parent directories.
void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  a3s::test::write_file(path, text);
}

a3s::store::Timestamp time_of(const json& value) {
  return a3s::store::parse_rfc3339(value.get<std::string>(), "test");
}

fs::path legacy_home() { return a3s::test::fixtures_dir() / "legacy-home-small"; }

// The two image layouts of the fixture home and their digests.
const std::string kNginxHex = "6515f83e7ba5810842059cf6b2b7279a3073b9d141623e62cc825050025113e0";
const std::string kAlpineHex = "804658e22c3fcf82867343d685d090a2b3851e0581e7a032871c86f7c5c986f7";
const std::string kNginxDigest = "sha256:" + kNginxHex;
const std::string kAlpineDigest = "sha256:" + kAlpineHex;
const std::string kNginx = "docker.io/library/nginx:1.27";
const std::string kNginxStable = "docker.io/library/nginx:stable";
const std::string kAlpine = "docker.io/library/alpine:latest";

std::string layout(const std::string& hex) {
  return (legacy_home() / "images" / "sha256" / hex).string();
}

// A rootfs with a file of `bytes` bytes, a nested file and an empty directory.
fs::path make_rootfs(const fs::path& dir, std::size_t bytes) {
  write(dir / "data.bin", std::string(bytes, 'x'));
  write(dir / "etc" / "hostname", "box\n");
  fs::create_directories(dir / "empty");
  return dir;
}

// A minimal SnapshotMetadata file.
fs::path write_metadata(const fs::path& file, const std::string& id,
                        const std::string& created_at) {
  const json metadata = {{"id", id},
                         {"name", "snap " + id},
                         {"source_box_id", "box-1"},
                         {"image", "alpine:3"},
                         {"vcpus", 1},
                         {"memory_mb", 256},
                         {"volumes", json::array()},
                         {"env", json::object()},
                         {"cmd", json::array()},
                         {"created_at", created_at}};
  write(file, metadata.dump());
  return file;
}

std::vector<std::string> ids_of(const json& list) {
  std::vector<std::string> ids;
  for (const auto& s : list) ids.push_back(s["id"]);
  return ids;
}

std::vector<std::string> references_of(const json& list) {
  std::vector<std::string> references;
  for (const auto& i : list) references.push_back(i["reference"]);
  return references;
}

std::vector<std::string> save_args(const fs::path& rootfs, const std::string& id) {
  return {"snapshot", "save",  "--rootfs", rootfs.string(), "--id",    id,
          "--name",   "first", "--box",    "box-1",         "--image", "alpine:3"};
}

}  // namespace

TEST_CASE("snapshot save with flags, ls, inspect and rm", "[cli][snapshot]") {
  Home home;
  TempDir src;
  const auto rootfs = make_rootfs(src.path() / "rootfs", 100);
  const auto expected_size = regular_file_bytes(rootfs);
  REQUIRE(expected_size == 104);

  const auto before = a3s::store::now();
  const auto saved = home.run_json(save_args(rootfs, "s1"));
  CHECK(saved["id"] == "s1");
  CHECK(saved["name"] == "first");
  CHECK(saved["source_box_id"] == "box-1");
  CHECK(saved["image"] == "alpine:3");
  CHECK(saved["vcpus"] == 2);  // the defaults of SnapshotMetadata::new in 2.4.0
  CHECK(saved["memory_mb"] == 512);
  CHECK(saved["volumes"] == json::array());
  CHECK(saved["env"] == json::object());
  CHECK(saved["cmd"] == json::array());
  CHECK(saved["description"] == "");
  CHECK(saved["size_bytes"] == expected_size);
  CHECK(time_of(saved["created_at"]) >= before);
  CHECK(time_of(saved["created_at"]) <= a3s::store::now());

  // The tree is copied, empty directories included.
  const auto copy = home.path() / "snapshots" / "s1" / "rootfs";
  CHECK(a3s::test::read_file(copy / "data.bin") == std::string(100, 'x'));
  CHECK(a3s::test::read_file(copy / "etc" / "hostname") == "box\n");
  CHECK(fs::is_directory(copy / "empty"));
  CHECK(regular_file_bytes(copy) == expected_size);

  auto args = save_args(rootfs, "s2");
  args.insert(args.end(), {"--vcpus", "4", "--memory-mb", "2048", "--description", "second"});
  const auto second = home.run_json(args);
  CHECK(second["vcpus"] == 4);
  CHECK(second["memory_mb"] == 2048);
  CHECK(second["description"] == "second");

  CHECK(home.run_json({"snapshot", "inspect", "s1"}) == saved);
  CHECK(home.run_json({"snapshot", "ls"}) == json::array({second, saved}));  // newest first

  SECTION("human output") {
    auto r = home.run(save_args(rootfs, "s3"));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "saved snapshot s3 (104B)\n");

    r = home.run({"snapshot", "ls"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("ID") == 0);
    for (const char* header : {"NAME", "BOX", "IMAGE", "SIZE", "CREATED"}) {
      CHECK(r.out.find(header) != std::string::npos);
    }
    CHECK(r.out.find("s3") < r.out.find("s2"));
    CHECK(r.out.find("s2") < r.out.find("s1"));
    CHECK(r.out.find("box-1") != std::string::npos);
    CHECK(r.out.find("104B") != std::string::npos);

    r = home.run({"snapshot", "inspect", "s1"});
    CHECK(r.exit_code == 0);
    CHECK(json::parse(r.out) == saved);

    r = home.run({"snapshot", "rm", "s3"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "removed snapshot s3\n");
  }

  SECTION("rm deletes the record and the rootfs") {
    CHECK(home.run_json({"snapshot", "rm", "s1"}) == saved);
    CHECK_FALSE(fs::exists(home.path() / "snapshots" / "s1"));
    CHECK(fs::is_directory(home.path() / "snapshots" / "s2" / "rootfs"));
    CHECK(home.run_json({"snapshot", "ls"}) == json::array({second}));
    home.fails_quietly({"snapshot", "inspect", "s1"}, "snapshot 's1' not found");
    const auto r = home.run({"snapshot", "rm", "s1"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "error: snapshot 's1' not found\n");
    CHECK(r.out.empty());
  }

  SECTION("a taken ID is refused and the first snapshot kept") {
    TempDir other;
    const auto other_rootfs = make_rootfs(other.path() / "rootfs", 7);
    home.fails_quietly(save_args(other_rootfs, "s1"), "'s1'");
    CHECK(home.run_json({"snapshot", "inspect", "s1"}) == saved);
    CHECK(a3s::test::read_file(copy / "data.bin") == std::string(100, 'x'));
  }
}

TEST_CASE("snapshot save --metadata keeps the record and recomputes the size", "[cli][snapshot]") {
  Home home;
  const auto dir = legacy_home() / "snapshots" / "snap-001";
  const auto file_json = json::parse(a3s::test::read_file(dir / "metadata.json"));
  const auto rootfs_bytes = regular_file_bytes(dir / "rootfs");
  REQUIRE(rootfs_bytes == 31);
  REQUIRE(file_json["size_bytes"] != rootfs_bytes);  // so the recomputation shows

  const auto saved = home.run_json({"snapshot", "save", "--rootfs", (dir / "rootfs").string(),
                                    "--metadata", (dir / "metadata.json").string()});
  for (const auto& [key, value] : file_json.items()) {
    INFO(key);
    if (key == "size_bytes") {
      CHECK(saved[key] == rootfs_bytes);
    } else {
      CHECK(saved[key] == value);
    }
  }
  CHECK(saved["created_at"] == "2026-06-20T12:00:00Z");
  CHECK(home.run_json({"snapshot", "inspect", "snap-001"}) == saved);

  const auto copy = home.path() / "snapshots" / "snap-001" / "rootfs";
  CHECK(a3s::test::read_file(copy / "etc" / "nginx" / "nginx.conf") ==
        a3s::test::read_file(dir / "rootfs" / "etc" / "nginx" / "nginx.conf"));
  CHECK(a3s::test::read_file(copy / "index.html") ==
        a3s::test::read_file(dir / "rootfs" / "index.html"));

  SECTION("human output") {
    const auto r =
        home.run({"snapshot", "save", "--rootfs", (dir / "rootfs").string(), "--metadata",
                  (legacy_home() / "snapshots" / "snap-002" / "metadata.json").string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "saved snapshot snap-002 (31B)\n");
  }

  SECTION("an absent rootfs gives an empty one") {
    TempDir tmp;
    const auto s =
        home.run_json({"snapshot", "save", "--rootfs", (tmp.path() / "nope").string(), "--metadata",
                       (legacy_home() / "snapshots" / "snap-002" / "metadata.json").string()});
    CHECK(s["size_bytes"] == 0);
    CHECK(s["created_at"] == "1970-01-01T00:00:00Z");  // the field's default
    CHECK(empty_or_missing(home.path() / "snapshots" / "snap-002" / "rootfs"));
    CHECK(fs::is_directory(home.path() / "snapshots" / "snap-002" / "rootfs"));
  }

  SECTION("a taken ID is refused") {
    home.fails_quietly({"snapshot", "save", "--rootfs", (dir / "rootfs").string(), "--metadata",
                        (dir / "metadata.json").string()},
                       "'snap-001'");
    CHECK(home.run_json({"snapshot", "ls"}) == json::array({saved}));
  }
}

TEST_CASE("--json writes a snapshot's fields in the runtime's order", "[cli][snapshot][json]") {
  Home home;
  TempDir tmp;
  const auto metadata = tmp.path() / "metadata.json";
  // The fields in another order; the maps and image_config's keys unsorted.
  write(metadata,
        R"({"description":"d","created_at":"2024-01-01T00:00:00.000001+00:00","size_bytes":7,)"
        R"("rootfs_cache_key":null,"network_mode":"bridge","labels":{"b":"2","a":"1"},)"
        R"("port_map":["80:80"],"healthcheck_disabled":true,"health_check":{},)"
        R"("image_config":{"z":1,"a":2},"workdir":"/w","entrypoint":["sh"],"cmd":["-c"],)"
        R"("env":{"Y":"1","X":"2"},"volumes":["/a:/b"],"memory_mb":64,"vcpus":3,)"
        R"("image":"alpine:3","source_box_id":"box-1","name":"n","id":"s1"})");
  const auto r = home.run({"--json", "snapshot", "save", "--rootfs", (tmp.path() / "none").string(),
                           "--metadata", metadata.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string text = R"({
  "id": "s1",
  "name": "n",
  "source_box_id": "box-1",
  "image": "alpine:3",
  "vcpus": 3,
  "memory_mb": 64,
  "volumes": [
    "/a:/b"
  ],
  "env": {
    "X": "2",
    "Y": "1"
  },
  "cmd": [
    "-c"
  ],
  "entrypoint": [
    "sh"
  ],
  "workdir": "/w",
  "image_config": {
    "a": 2,
    "z": 1
  },
  "health_check": {},
  "healthcheck_disabled": true,
  "port_map": [
    "80:80"
  ],
  "labels": {
    "a": "1",
    "b": "2"
  },
  "network_mode": "bridge",
  "rootfs_cache_key": null,
  "size_bytes": 0,
  "created_at": "2024-01-01T00:00:00.000001Z",
  "description": "d"
}
)";
  CHECK(r.out == text);
  CHECK(home.run({"--json", "snapshot", "inspect", "s1"}).out == text);
  CHECK(home.run({"snapshot", "inspect", "s1"}).out == text);

  // A file naming a field twice is refused, as the runtime refuses it.
  const auto twice = tmp.path() / "twice.json";
  write(twice, R"({"id":"s2","id":"s2","name":"n","source_box_id":"b","image":"i","vcpus":1,)"
               R"("memory_mb":1,"volumes":[],"env":{},"cmd":[]})");
  home.fails_quietly({"snapshot", "save", "--rootfs", (tmp.path() / "none").string(), "--metadata",
                      twice.string()},
                     "metadata file '" + twice.string() + "': snapshot: field 'id' is named twice");
}

// `snapshot save --rootfs ROOTFS --metadata FILE`.
std::vector<std::string> save_with_metadata(const fs::path& rootfs, const fs::path& file) {
  return {"snapshot", "save", "--rootfs", rootfs.string(), "--metadata", file.string()};
}

TEST_CASE("snapshot save --metadata refuses unreadable and invalid files", "[cli][snapshot]") {
  Home home;
  TempDir tmp;
  const auto rootfs = make_rootfs(tmp.path() / "rootfs", 10);
  const auto save = [&](const fs::path& file) { return save_with_metadata(rootfs, file); };

  const auto missing = tmp.path() / "missing.json";
  home.fails_quietly(save(missing), missing.string());

  const auto bad_json = tmp.path() / "bad.json";
  write(bad_json, "{\"id\": \"s1\", ");
  home.fails_quietly(save(bad_json), bad_json.string());

  const auto empty = tmp.path() / "empty.json";
  write(empty, "");
  home.fails_quietly(save(empty), empty.string());

  const auto not_object = tmp.path() / "array.json";
  write(not_object, "[1, 2]");
  home.fails_quietly(save(not_object), not_object.string());

  auto record = json::parse(
      a3s::test::read_file(write_metadata(tmp.path() / "good.json", "s1", "2024-01-01T00:00:00Z")));
  record.erase("image");
  const auto no_image = tmp.path() / "no-image.json";
  write(no_image, record.dump());
  home.fails_quietly(save(no_image), no_image.string());
  home.fails_quietly(save(no_image), "image");

  const auto directory = tmp.path() / "dir.json";
  fs::create_directories(directory);
  home.fails_quietly(save(directory), directory.string());

  CHECK(home.run_json({"snapshot", "ls"}) == json::array());
  CHECK(empty_or_missing(home.path() / "snapshots"));

  // The good one goes through.
  CHECK(home.run_json(save(tmp.path() / "good.json"))["id"] == "s1");
}

TEST_CASE("snapshot save --metadata reads only a regular file of at most 1 MiB",
          "[cli][snapshot][limits]") {
  Home home;
  TempDir tmp;
  const auto rootfs = make_rootfs(tmp.path() / "rootfs", 10);
  const auto save = [&](const fs::path& file) { return save_with_metadata(rootfs, file); };

  // A device is refused unread (/dev/zero never ends).
  home.fails_quietly(save("/dev/zero"), "'/dev/zero': is not a regular file");

  // A record holds at most 1 MiB: a longer file is refused, however it goes on.
  auto record = json::parse(
      a3s::test::read_file(write_metadata(tmp.path() / "good.json", "s1", "2024-01-01T00:00:00Z")));
  record["description"] = std::string(2 << 20, 'd');
  const auto big = tmp.path() / "big.json";
  write(big, record.dump());
  home.fails_quietly(save(big), "'" + big.string() + "': larger than 1 MiB (a record's limit)");

  CHECK(home.run_json({"snapshot", "ls"}) == json::array());
  CHECK(empty_or_missing(home.path() / "snapshots"));
}

TEST_CASE("snapshot save --metadata refuses JSON nested more than 127 levels, writing nothing",
          "[cli][snapshot][limits]") {
  Home home;
  TempDir tmp;
  const auto rootfs = make_rootfs(tmp.path() / "rootfs", 10);
  // 70,000 levels: deep enough to exhaust the stack of a recursive reader.
  const std::size_t levels = 70000;
  std::string text = R"({"id":"s1","name":"n","source_box_id":"b","image":"i","vcpus":1,)"
                     R"("memory_mb":1,"volumes":[],"env":{},"cmd":[],"image_config":)";
  for (std::size_t i = 0; i < levels; ++i) text += R"({"a":)";
  text += "1" + std::string(levels, '}') + "}";
  const auto deep = tmp.path() / "deep.json";
  write(deep, text);
  home.fails_quietly({"snapshot", "save", "--rootfs", rootfs.string(), "--metadata", deep.string()},
                     "snapshot: field 'image_config' is nested more than 127 levels deep");

  CHECK(home.run_json({"snapshot", "ls"}) == json::array());
  CHECK(empty_or_missing(home.path() / "snapshots"));
}

TEST_CASE("snapshot save refuses unsafe IDs and writes nothing", "[cli][snapshot]") {
  Home home;
  TempDir tmp;
  const auto rootfs = make_rootfs(tmp.path() / "rootfs", 10);
  const std::vector<std::string> bad_ids = {"../x", "a/b", "", "..", ".x", std::string(129, 'n')};
  for (const auto& id : bad_ids) {
    INFO("id: '" << id << "'");
    home.fails_quietly(save_args(rootfs, id), "");
    const auto file = write_metadata(tmp.path() / "meta.json", id, "2024-01-01T00:00:00Z");
    home.fails_quietly(
        {"snapshot", "save", "--rootfs", rootfs.string(), "--metadata", file.string()}, "");
    home.fails_quietly({"snapshot", "inspect", "--", id}, "");
    home.fails_quietly({"snapshot", "rm", "--", id}, "");
  }
  CHECK(home.run_json({"snapshot", "ls"}) == json::array());
  CHECK(empty_or_missing(home.path() / "snapshots"));
  CHECK_FALSE(fs::exists(home.path() / "x"));
  CHECK_FALSE(fs::exists(home.path() / "a"));
  CHECK_FALSE(fs::exists(home.path().parent_path() / "x"));
}

TEST_CASE("snapshot ls is newest first, ties by ID", "[cli][snapshot]") {
  Home home;
  TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> snapshots = {
      {"mid", "2025-01-01T00:00:00Z"},
      {"old", "2023-06-01T00:00:00.5+02:00"},
      {"new-b", "2026-01-01T00:00:00.000000001Z"},
      {"new-a", "2026-01-01T00:00:00.000000001Z"},
      {"newest", "2026-01-01T00:00:00.000000002Z"},
  };
  for (const auto& [id, created_at] : snapshots) {
    const auto file = write_metadata(tmp.path() / (id + ".json"), id, created_at);
    home.run_json({"snapshot", "save", "--rootfs", (tmp.path() / "none").string(), "--metadata",
                   file.string()});
  }
  const auto list = home.run_json({"snapshot", "ls"});
  CHECK(ids_of(list) == std::vector<std::string>{"newest", "new-a", "new-b", "mid", "old"});
  CHECK(list[0]["created_at"] == "2026-01-01T00:00:00.000000002Z");
  CHECK(list[4]["created_at"] == "2023-05-31T22:00:00.500Z");
}

TEST_CASE("snapshot prune by count and by bytes", "[cli][snapshot]") {
  Home home;
  TempDir tmp;
  // s1 oldest (100 B) ... s4 newest (400 B).
  for (int i = 1; i <= 4; ++i) {
    const auto id = "s" + std::to_string(i);
    const auto rootfs = tmp.path() / id;
    write(rootfs / "data", std::string(static_cast<std::size_t>(i) * 100, 'x'));
    const auto file = write_metadata(tmp.path() / (id + ".json"), id,
                                     "202" + std::to_string(i) + "-01-01T00:00:00Z");
    CHECK(home.run_json({"snapshot", "save", "--rootfs", rootfs.string(), "--metadata",
                         file.string()})["size_bytes"] == i * 100);
  }
  const auto ids = [&] { return ids_of(home.run_json({"snapshot", "ls"})); };

  // No limits: nothing to do.
  CHECK(home.run_json({"snapshot", "prune"}) == json::array());
  CHECK(home.run_json({"snapshot", "prune", "--max-count", "0", "--max-bytes", "0"}) ==
        json::array());
  auto r = home.run({"snapshot", "prune"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "no snapshots pruned\n");
  CHECK(ids().size() == 4);

  CHECK(home.run_json({"snapshot", "prune", "--max-count", "3"}) == json::array({"s1"}));
  CHECK_FALSE(fs::exists(home.path() / "snapshots" / "s1"));
  CHECK(ids() == std::vector<std::string>{"s4", "s3", "s2"});
  CHECK(home.run_json({"snapshot", "prune", "--max-count", "3"}) == json::array());

  // 900 B left; oldest first until at most 500 B remain.
  CHECK(home.run_json({"snapshot", "prune", "--max-bytes", "500"}) == json::array({"s2", "s3"}));
  CHECK_FALSE(fs::exists(home.path() / "snapshots" / "s2"));
  CHECK_FALSE(fs::exists(home.path() / "snapshots" / "s3"));
  CHECK(fs::is_directory(home.path() / "snapshots" / "s4" / "rootfs"));
  CHECK(home.run_json({"snapshot", "prune", "--max-bytes", "1k"}) == json::array());
  CHECK(ids() == std::vector<std::string>{"s4"});

  SECTION("both limits, human output") {
    r = home.run({"snapshot", "prune", "--max-count", "5", "--max-bytes", "399"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "removed snapshot s4\n");
    CHECK(home.run_json({"snapshot", "ls"}) == json::array());
    CHECK(a3s::test::catalog_entries(home.path() / "snapshots").empty());
  }

  SECTION("bad limits are usage errors") {
    home.usage_error({"snapshot", "prune", "--max-bytes", "12q"}, "12q");
    home.usage_error({"snapshot", "prune", "--max-count", "abc"}, "abc");
    home.usage_error({"snapshot", "prune", "--max-count", "-1"});
    CHECK(ids() == std::vector<std::string>{"s4"});
  }
}

TEST_CASE("snapshot usage errors exit 2", "[cli][snapshot]") {
  Home home;
  TempDir tmp;
  const auto rootfs = make_rootfs(tmp.path() / "rootfs", 10);
  const auto meta = write_metadata(tmp.path() / "m.json", "s1", "2024-01-01T00:00:00Z");
  const auto base = std::vector<std::string>{"snapshot", "save", "--rootfs", rootfs.string()};
  const auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };

  home.usage_error({"snapshot"});
  home.usage_error({"snapshot", "frobnicate"}, "frobnicate");
  home.usage_error({"snapshot", "inspect"});
  home.usage_error({"snapshot", "rm"});
  home.usage_error({"snapshot", "ls", "extra"});
  // --rootfs is required.
  home.usage_error({"snapshot", "save", "--metadata", meta.string()}, "--rootfs");
  home.usage_error({"snapshot", "save", "--id", "s1", "--name", "n", "--box", "b", "--image", "i"},
                   "--rootfs");
  // Neither --metadata nor --id.
  home.usage_error(base);
  // Both.
  home.usage_error(with({"--metadata", meta.string(), "--id", "s1"}), "--metadata");
  home.usage_error(with({"--metadata", meta.string(), "--id", "s1", "--name", "n", "--box", "b",
                         "--image", "i"}),
                   "--metadata");
  home.usage_error(with({"--metadata", meta.string(), "--vcpus", "2"}), "--vcpus");
  home.usage_error(with({"--metadata", meta.string(), "--description", "d"}), "--description");
  // --id needs --name, --box and --image; the other flags need --id.
  home.usage_error(with({"--id", "s1", "--box", "b", "--image", "i"}), "--name");
  home.usage_error(with({"--id", "s1", "--name", "n", "--image", "i"}), "--box");
  home.usage_error(with({"--id", "s1", "--name", "n", "--box", "b"}), "--image");
  home.usage_error(with({"--name", "n", "--box", "b", "--image", "i"}), "--id");
  home.usage_error(with({"--vcpus", "2"}), "--id");
  // Bad numbers.
  const auto flags =
      std::vector<std::string>{"--id", "s1", "--name", "n", "--box", "b", "--image", "i"};
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"--vcpus", "abc"},
                                                        {"--vcpus", "0"},
                                                        {"--vcpus", "-1"},
                                                        {"--vcpus", "4294967296"},
                                                        {"--memory-mb", "lots"},
                                                        {"--memory-mb", "0"}}) {
    INFO(option << " " << value);
    auto args = with(flags);
    args.insert(args.end(), {option, value});
    home.usage_error(args, option);
  }
  CHECK_FALSE(fs::exists(home.db()));
  CHECK(empty_or_missing(home.path() / "snapshots"));

  const auto help = a3s::test::run_cli({"snapshot", "save", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--metadata") != std::string::npos);
  CHECK(help.out.find("--rootfs") != std::string::npos);
}

TEST_CASE("image put, ls, inspect and rm", "[cli][image]") {
  Home home;
  const auto before = a3s::store::now();
  const auto nginx = home.run_json({"image", "put", kNginx, kNginxDigest, layout(kNginxHex)});
  CHECK(nginx["reference"] == kNginx);
  CHECK(nginx["digest"] == kNginxDigest);
  CHECK(nginx["size_bytes"] == regular_file_bytes(layout(kNginxHex)));
  CHECK(nginx["size_bytes"] == 2112);
  CHECK(nginx["pulled_at"] == nginx["last_used"]);
  CHECK(time_of(nginx["pulled_at"]) >= before);
  const auto copy = home.path() / "images" / "sha256" / kNginxHex;
  CHECK(fs::equivalent(nginx["path"].get<std::string>(), copy));
  CHECK(a3s::test::read_file(copy / "oci-layout") ==
        a3s::test::read_file(fs::path(layout(kNginxHex)) / "oci-layout"));
  CHECK(regular_file_bytes(copy) == 2112);

  const auto stable =
      home.run_json({"image", "put", kNginxStable, kNginxDigest, layout(kNginxHex)});
  CHECK(stable["path"] == nginx["path"]);  // one layout per digest
  const auto put = home.run({"--json", "image", "put", kAlpine, kAlpineDigest, layout(kAlpineHex)});
  REQUIRE(put.exit_code == 0);
  const auto alpine = json::parse(put.out);
  CHECK(alpine["size_bytes"] == 576);
  // --json writes the fields in the runtime's order.
  CHECK(put.out == "{\n  \"reference\": \"" + kAlpine + "\",\n  \"digest\": \"" + kAlpineDigest +
                       "\",\n  \"size_bytes\": 576,\n  \"pulled_at\": \"" +
                       alpine["pulled_at"].get<std::string>() + "\",\n  \"last_used\": \"" +
                       alpine["last_used"].get<std::string>() + "\",\n  \"path\": \"" +
                       alpine["path"].get<std::string>() + "\"\n}\n");

  CHECK(home.run_json({"image", "ls"}) == json::array({alpine, nginx, stable}));  // by reference

  SECTION("inspect by reference and by digest marks the image used") {
    const auto seen = home.run_json({"image", "inspect", kNginx});
    CHECK(seen["reference"] == kNginx);
    CHECK(seen["pulled_at"] == nginx["pulled_at"]);
    CHECK(time_of(seen["last_used"]) > time_of(nginx["last_used"]));
    auto listed = home.run_json({"image", "ls"});
    CHECK(listed[1]["last_used"] == seen["last_used"]);

    const auto by_digest = home.run_json({"image", "inspect", kAlpineDigest});
    CHECK(by_digest["reference"] == kAlpine);
    CHECK(time_of(by_digest["last_used"]) > time_of(alpine["last_used"]));
    // The most recently used reference of a shared digest.
    CHECK(home.run_json({"image", "inspect", kNginxDigest})["reference"] == kNginx);

    const auto r = home.run({"image", "inspect", kNginxStable});
    CHECK(r.exit_code == 0);
    CHECK(json::parse(r.out)["reference"] == kNginxStable);
  }

  SECTION("inspect of a missing image") {
    auto r = home.run({"image", "inspect", "docker.io/library/redis:7"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "error: image 'docker.io/library/redis:7' not found\n");
    CHECK(r.out.empty());
    const auto absent = "sha256:" + std::string(64, 'a');
    home.fails_quietly({"image", "inspect", absent}, absent);
    home.fails_quietly({"image", "inspect", "sha256:XYZ"}, "");
  }

  SECTION("rm of a reference keeps a layout still referenced") {
    CHECK(home.run_json({"image", "rm", kNginx}) == json::array({nginx}));
    CHECK(fs::is_directory(copy));
    CHECK(references_of(home.run_json({"image", "ls"})) ==
          std::vector<std::string>{kAlpine, kNginxStable});
    home.fails_quietly({"image", "inspect", kNginx}, kNginx);
    home.fails_quietly({"image", "rm", kNginx}, kNginx);

    const auto r = home.run({"image", "rm", kNginxStable});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "removed image " + kNginxStable + "\n");
    CHECK_FALSE(fs::exists(copy));
  }

  SECTION("rm of a digest removes every reference and the layout") {
    const auto removed = home.run_json({"image", "rm", kNginxDigest});
    CHECK(references_of(removed).size() == 2);
    CHECK(removed.size() == 2);
    for (const auto& image : removed) CHECK(image["digest"] == kNginxDigest);
    CHECK_FALSE(fs::exists(copy));
    CHECK(home.run_json({"image", "ls"}) == json::array({alpine}));
    home.fails_quietly({"image", "rm", kNginxDigest}, kNginxDigest);
    CHECK(fs::is_directory(home.path() / "images" / "sha256" / kAlpineHex));
  }

  SECTION("human output") {
    auto r = home.run({"image", "ls"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("REFERENCE") == 0);
    for (const char* header : {"DIGEST", "SIZE", "PULLED", "LAST USED"}) {
      CHECK(r.out.find(header) != std::string::npos);
    }
    CHECK(r.out.find(kNginxHex.substr(0, 12)) != std::string::npos);
    CHECK(r.out.find(kNginxHex.substr(0, 13)) == std::string::npos);  // short digests
    CHECK(r.out.find("2.1KiB") != std::string::npos);
    CHECK(r.out.find(kAlpine) < r.out.find(kNginx));

    r = home.run({"image", "put", "alpine:3", kAlpineDigest, layout(kAlpineHex)});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("alpine:3") != std::string::npos);
    CHECK(r.out.find(kAlpineHex.substr(0, 12)) != std::string::npos);
  }
}

TEST_CASE("image put refuses bad digests, references and sources, writing nothing",
          "[cli][image]") {
  Home home;
  TempDir tmp;
  const auto source = layout(kAlpineHex);
  std::string upper = kAlpineHex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& digest : std::vector<std::string>{"sha256:../x", "sha256:" + upper, "sha256:abc",
                                                     "sha256:" + kAlpineHex + "0",
                                                     "sha512:" + kAlpineHex, kAlpineHex, ""}) {
    INFO("digest: '" << digest << "'");
    home.fails_quietly({"image", "put", kAlpine, digest, source}, "");
  }
  for (const auto& reference : std::vector<std::string>{"", "a\nb", std::string(257, 'r')}) {
    INFO("reference: '" << reference << "'");
    home.fails_quietly({"image", "put", "--", reference, kAlpineDigest, source}, "");
  }
  const auto missing = tmp.path() / "missing";
  home.fails_quietly({"image", "put", kAlpine, kAlpineDigest, missing.string()}, "");
  write(tmp.path() / "file", "not a directory");
  home.fails_quietly({"image", "put", kAlpine, kAlpineDigest, (tmp.path() / "file").string()}, "");

  CHECK(home.run_json({"image", "ls"}) == json::array());
  CHECK(empty_or_missing(home.path() / "images"));
  CHECK_FALSE(fs::exists(home.path() / "x"));
  CHECK_FALSE(fs::exists(home.path() / "images" / "x"));

  home.fails_quietly({"image", "rm", "sha256:../x"}, "");
  home.fails_quietly({"image", "rm", "docker.io/library/alpine:latest"}, "alpine:latest");
}

TEST_CASE("image put refuses a reference written as another digest", "[cli][image]") {
  Home home;
  home.run_json({"image", "put", "r1", kAlpineDigest, layout(kAlpineHex)});
  // The reference names the alpine digest's entry: it cannot hold nginx's.
  home.fails_quietly({"image", "put", kAlpineDigest, kNginxDigest, layout(kNginxHex)},
                     "image '" + kAlpineDigest + "': a reference written as a digest");
  CHECK(references_of(home.run_json({"image", "ls"})) == std::vector<std::string>{"r1"});
  CHECK_FALSE(fs::exists(home.path() / "images" / "sha256" / kNginxHex));
}

TEST_CASE("image evict with --max-size", "[cli][image]") {
  Home home;
  // Least recently used first: alpine, then nginx:1.27, then nginx:stable.
  home.run_json({"image", "put", kAlpine, kAlpineDigest, layout(kAlpineHex)});
  home.run_json({"image", "put", kNginx, kNginxDigest, layout(kNginxHex)});
  home.run_json({"image", "put", kNginxStable, kNginxDigest, layout(kNginxHex)});
  // 576 + 2112 bytes, the shared digest counted once.

  CHECK(home.run_json({"image", "evict"}) == json::array());  // the default cap is 10 GiB
  CHECK(home.run_json({"image", "evict", "--max-size", "3k"}) == json::array());
  auto r = home.run({"image", "evict", "--max-size", "3k"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "no images evicted\n");

  CHECK(home.run_json({"image", "evict", "--max-size", "2200"}) == json::array({kAlpine}));
  CHECK_FALSE(fs::exists(home.path() / "images" / "sha256" / kAlpineHex));
  CHECK(references_of(home.run_json({"image", "ls"})) ==
        std::vector<std::string>{kNginx, kNginxStable});

  // Using nginx:1.27 makes nginx:stable the least recently used.
  home.run_json({"image", "inspect", kNginx});
  r = home.run({"image", "evict", "--max-size", "1"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "evicted image " + kNginxStable + "\nevicted image " + kNginx + "\n");
  CHECK(home.run_json({"image", "ls"}) == json::array());
  CHECK(a3s::test::catalog_entries(home.path() / "images" / "sha256").empty());

  home.usage_error({"image", "evict", "--max-size", "lots"}, "lots");
  home.usage_error({"image", "evict", "--max-size", ""});
}

TEST_CASE("image evict takes its default cap from A3S_IMAGE_CACHE_SIZE", "[cli][image]") {
  Home home;
  home.run_json({"image", "put", kAlpine, kAlpineDigest, layout(kAlpineHex)});
  home.run_json({"image", "put", kNginx, kNginxDigest, layout(kNginxHex)});
  home.run_json({"image", "put", kNginxStable, kNginxDigest, layout(kNginxHex)});
  {
    ScopedEnv env("A3S_IMAGE_CACHE_SIZE", "3k");
    CHECK(home.run_json({"image", "evict"}) == json::array());
  }
  {
    ScopedEnv env("A3S_IMAGE_CACHE_SIZE", "1k");
    // --max-size wins over the environment.
    CHECK(home.run_json({"image", "evict", "--max-size", "1g"}) == json::array());
    CHECK(home.run_json({"image", "ls"}).size() == 3);
    CHECK(home.run_json({"image", "evict"}) == json::array({kAlpine, kNginx, kNginxStable}));
  }
  {
    ScopedEnv env("A3S_IMAGE_CACHE_SIZE", "lots");
    home.fails_quietly({"image", "evict"}, "A3S_IMAGE_CACHE_SIZE");
  }
  CHECK(home.run_json({"image", "ls"}) == json::array());
  CHECK(a3s::test::catalog_entries(home.path() / "images" / "sha256").empty());
}

TEST_CASE("image usage errors exit 2", "[cli][image]") {
  Home home;
  home.usage_error({"image"});
  home.usage_error({"image", "frobnicate"}, "frobnicate");
  home.usage_error({"image", "put"});
  home.usage_error({"image", "put", kAlpine});
  home.usage_error({"image", "put", kAlpine, kAlpineDigest}, "DIR");
  home.usage_error({"image", "put", kAlpine, kAlpineDigest, layout(kAlpineHex), "extra"});
  home.usage_error({"image", "inspect"});
  home.usage_error({"image", "rm"});
  home.usage_error({"image", "ls", "--bogus"});
  home.usage_error({"image", "evict", "--max-size", "12q"}, "12q");
  CHECK_FALSE(fs::exists(home.db()));

  const auto help = a3s::test::run_cli({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("snapshot") != std::string::npos);
  CHECK(help.out.find("image") != std::string::npos);
}
