// Hostile input on the command line (SPEC §4, §7): every command, given bad
// names, bad UTF-8, NUL, wrong JSON types, numbers out of range, huge values,
// deep or repeated JSON, malformed timestamps or empty paths, exits 1 with
// `error: ...` naming the field (2 for what is a usage error), and writes
// nothing: the home's rows and files are unchanged.
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#define CATCH_CONFIG_EXTERNAL_INTERFACES  // TestEventListenerBase
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_home.hpp"
#include "home_fingerprint.hpp"
#include "hostile_inputs.hpp"
#include "test_support.hpp"

namespace a3s::test::hostile {
std::size_t cli_cases = 0;
std::size_t c_api_cases = 0;
}  // namespace a3s::test::hostile

namespace {

// Prints the one summary line of both tests once the run passed.
struct HostileSummary : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunEnded(const Catch::TestRunStats& stats) override {
    if (!stats.totals.assertions.allOk()) return;
    std::printf(
        "hostile input: %zu CLI cases, %zu C API cases, all refused with the right code, "
        "nothing written\n",
        a3s::test::hostile::cli_cases, a3s::test::hostile::c_api_cases);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(HostileSummary)

namespace {

namespace fs = std::filesystem;
using a3s::test::CliHome;
using a3s::test::home_fingerprint;
using a3s::test::TempDir;
using a3s::test::write_file;
using a3s::test::hostile::kBadIdentifiers;
using a3s::test::hostile::kBadNames;
using a3s::test::hostile::kDigest;
using a3s::test::hostile::kNameRule;
using a3s::test::hostile::nested_objects;
using nlohmann::json;
const std::string kReference = "docker.io/library/alpine:3";

// One refused command line (after `--home <home>`): the exit code and a
// fragment of stderr that names what is wrong.
struct Case {
  std::vector<std::string> args;
  int exit_code;
  std::string names;
};

// A valid snapshot record, as `snapshot save --metadata` reads it.
json valid_snapshot(const std::string& id) {
  return {{"id", id},
          {"name", "n"},
          {"source_box_id", "box-1"},
          {"image", "img"},
          {"vcpus", 1},
          {"memory_mb", 256},
          {"volumes", json::array()},
          {"env", json::object()},
          {"cmd", {"/bin/sh"}},
          {"created_at", "2024-01-01T00:00:00Z"}};
}

// A snapshot record's text with `field` holding `value` (raw JSON text,
// which may be no valid JSON at all).
std::string snapshot_with(const std::string& field, const std::string& value) {
  json record = valid_snapshot("s2");
  record.erase(field);
  std::string text = record.dump();
  text.pop_back();
  return text + ",\"" + field + "\":" + value + "}";
}

// A home holding one record of each kind, for commands to refuse input
// against: network `net` (box-1 connected), volume `vol` (attached to
// box-1), snapshot `snap`, image kReference.
struct Fixture {
  CliHome home;
  TempDir inputs;
  fs::path rootfs = inputs.path() / "rootfs";
  fs::path layout = inputs.path() / "layout";

  Fixture() {
    fs::create_directories(rootfs / "etc");
    fs::create_directories(layout);
    write_file(rootfs / "etc" / "hostname", "box\n");
    write_file(layout / "index.json", "{}");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"network", "create", "net", "--subnet", "10.88.0.0/24"},
             {"network", "connect", "net", "box-1", "--box-name", "one"},
             {"volume", "create", "vol"},
             {"volume", "attach", "vol", "box-1"},
             {"snapshot", "save", "--rootfs", rootfs.string(), "--id", "snap", "--name", "n",
              "--box", "box-1", "--image", "img"},
             {"image", "put", kReference, kDigest, layout.string()}}) {
      const auto r = home.run(args);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
    }
  }

  // A metadata file holding `text`, for `snapshot save --metadata`.
  fs::path metadata(const std::string& text) {
    const fs::path file = inputs.path() / ("metadata-" + std::to_string(files_++) + ".json");
    write_file(file, text);
    return file;
  }
  Case save_metadata(const std::string& text, const std::string& names) {
    return {
        {"snapshot", "save", "--rootfs", rootfs.string(), "--metadata", metadata(text).string()},
        1,
        names};
  }
  // A legacy home whose `file` holds `text`, for `import --from`.
  Case import_legacy(const std::string& file, const std::string& text, const std::string& names) {
    const fs::path dir = inputs.path() / ("legacy-" + std::to_string(files_++));
    fs::create_directories(dir);
    write_file(dir / file, text);
    return {{"import", "--from", dir.string()}, 1, names};
  }

 private:
  int files_ = 0;
};

std::vector<Case> name_cases(const Fixture& f) {
  std::vector<Case> cases;
  const std::string rootfs = f.rootfs.string();
  for (const auto& name : kBadNames) {
    const std::vector<std::vector<std::string>> commands = {
        {"network", "create", name, "--subnet", "10.89.0.0/24"},
        {"network", "inspect", name},
        {"network", "rm", name},
        {"network", "connect", name, "box-2", "--box-name", "two"},
        {"network", "disconnect", name, "box-1"},
        {"volume", "create", name},
        {"volume", "inspect", name},
        {"volume", "rm", name},
        {"volume", "attach", name, "box-2"},
        {"volume", "detach", name, "box-1"},
        {"snapshot", "save", "--rootfs", rootfs, "--id", name, "--name", "n", "--box", "b",
         "--image", "i"},
        {"snapshot", "inspect", name},
        {"snapshot", "rm", name},
    };
    for (const auto& args : commands) cases.push_back({args, 1, kNameRule});
  }
  return cases;
}

std::vector<Case> identifier_cases(const Fixture& f) {
  std::vector<Case> cases;
  const std::string rootfs = f.rootfs.string();
  for (const auto& [value, problem, utf8] : kBadIdentifiers) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"network", "connect", "net", value, "--box-name", "two"},
             {"network", "connect", "net", "box-2", "--box-name", value},
             {"network", "disconnect", "net", value},
             {"volume", "attach", "vol", value},
             {"volume", "detach", "vol", value},
             {"snapshot", "save", "--rootfs", rootfs, "--id", "s2", "--name", "n", "--box", value,
              "--image", "i"},
             {"snapshot", "save", "--rootfs", rootfs, "--id", "s2", "--name", "n", "--box", "b",
              "--image", value},
             {"image", "put", value, kDigest, f.layout.string()},
             {"image", "inspect", value},
             {"image", "rm", value},
             {"network", "create", "n2", "--subnet", "10.89.0.0/24", "--label", value + "=v"},
             {"volume", "create", "v2", "--label", value + "=v"},
         }) {
      cases.push_back({args, 1, problem});
    }
    // An empty alias is dropped (SPEC §4), not refused.
    if (!value.empty()) {
      cases.push_back(
          {{"network", "connect", "net", "box-2", "--box-name", "two", "--alias", value},
           1,
           problem});
    }
  }
  return cases;
}

std::vector<Case> other_cli_cases(Fixture& f) {
  const std::string rootfs = f.rootfs.string();
  const std::string layout = f.layout.string();
  std::vector<Case> cases;
  // Digests: sha256: and 64 lowercase hex digits, nothing else.
  for (const std::string& digest :
       {std::string("sha256:") + std::string(64, 'A'), "sha256:" + std::string(63, 'a'),
        "sha256:" + std::string(65, 'a'), "sha256:" + std::string(63, 'a') + "g",
        "md5:" + std::string(32, 'a'), std::string(64, 'a'), std::string(""),
        "sha256:" + std::string(63, 'a') + "\xff"}) {
    cases.push_back({{"image", "put", kReference, digest, layout}, 1, "must be 'sha256:'"});
    if (!digest.starts_with("sha256:")) continue;
    // A reference spelled as a digest names that digest: a bad one is refused.
    cases.push_back({{"image", "inspect", digest}, 1, "must be 'sha256:'"});
    cases.push_back({{"image", "rm", digest}, 1, "must be 'sha256:'"});
  }
  // Labels: values of at most 4 KiB of UTF-8 without NUL, at most 1000.
  std::vector<std::string> many_labels = {"volume", "create", "v2"};
  for (int i = 0; i < 1001; ++i) {
    many_labels.push_back("--label");
    many_labels.push_back("k" + std::to_string(i) + "=v");
  }
  cases.push_back({many_labels, 1, "field 'labels' must have at most 1000 entries"});
  for (const std::string sub : {"network", "volume"}) {
    std::vector<std::string> create = {sub, "create", "x2"};
    if (sub == "network") create.insert(create.end(), {"--subnet", "10.89.0.0/24"});
    auto with = [&](std::vector<std::string> extra) {
      auto args = create;
      args.insert(args.end(), extra.begin(), extra.end());
      return args;
    };
    cases.push_back({with({"--label", "k=" + std::string(4097, 'v')}), 1,
                     "field 'labels[k]' must be at most 4096 bytes"});
    cases.push_back({with({"--label", "k=a\xffz"}), 1, "field 'labels[k]' must be valid UTF-8"});
    cases.push_back({with({"--label", "novalue"}), 2, "label 'novalue' is not KEY=VALUE"});
  }
  // Subnets.
  for (const std::string subnet :
       {"10.89.0.0/33", "10.89.0.0/0", "10.89.0.0/31", "10.89.0.0", "256.0.0.0/24", "10.89.0.0/-1",
        "10.89.0.0/2.0", "", "10.89.0.0/24\xff", "010.89.0.0/24", "10.89.0.0/1e1"}) {
    cases.push_back({{"network", "create", "n2", "--subnet", subnet}, 1, "subnet"});
  }
  // Numbers: whole numbers in range, digits only.
  for (const std::string n :
       {"-1", "0", "4294967296", "1e3", "2.0", "-0", "", " 1", "0x10", "18446744073709551616"}) {
    for (const std::string option : {"--vcpus", "--memory-mb"}) {
      cases.push_back({{"snapshot", "save", "--rootfs", rootfs, "--id", "s2", "--name", "n",
                        "--box", "b", "--image", "i", option, n},
                       2,
                       option});
    }
    // --max-count is a u64, 0 meaning no limit.
    if (n == "0" || n == "4294967296") continue;
    cases.push_back({{"snapshot", "prune", "--max-count", n}, 2, "--max-count"});
  }
  for (const std::string size :
       {"-1", "1e3", "2.0", "", "18446744073709551616", "16777216t", "17179869184g", "1x", " 1"}) {
    cases.push_back({{"volume", "create", "v2", "--size-limit", size}, 2, "--size-limit"});
    cases.push_back({{"snapshot", "prune", "--max-bytes", size}, 2, "--max-bytes"});
    cases.push_back({{"image", "evict", "--max-size", size}, 2, "--max-size"});
  }
  for (const std::string to : {"1e3", "2.0", "99999999999", "x"}) {
    cases.push_back({{"migrate", "up", "--to", to}, 2, "--to"});
  }
  cases.push_back({{"migrate", "up", "--to", "-1"}, 1, "unknown schema version -1"});
  cases.push_back({{"migrate", "up", "--to", "0"}, 1, "unknown schema version 0"});
  cases.push_back({{"migrate", "up", "--to", ""}, 1, "unknown schema version 0"});
  // Empty paths: never "the current directory" or "the default".
  cases.push_back({{"--db", "", "volume", "ls"}, 1, "--db must not be an empty path"});
  cases.push_back({{"snapshot", "save", "--rootfs", "", "--id", "s2", "--name", "n", "--box", "b",
                    "--image", "i"},
                   1,
                   "--rootfs must not be an empty path"});
  cases.push_back({{"snapshot", "save", "--rootfs", rootfs, "--metadata", ""},
                   1,
                   "--metadata must not be an empty path"});
  cases.push_back({{"image", "put", "ref2", kDigest, ""}, 1, "DIR must not be an empty path"});
  cases.push_back({{"backup", ""}, 1, "FILE must not be an empty path"});
  cases.push_back({{"restore", ""}, 1, "FILE must not be an empty path"});
  cases.push_back({{"import", "--from", ""}, 1, "--from must not be an empty path"});

  // Whole records from a file: JSON syntax, NUL, UTF-8, types, numbers,
  // sizes, depth, repeated fields, timestamps.
  const json s = valid_snapshot("s2");
  cases.push_back(f.save_metadata("", "not valid JSON"));
  cases.push_back(f.save_metadata("{", "not valid JSON"));
  cases.push_back(f.save_metadata(s.dump() + " x", "not valid JSON"));
  cases.push_back(f.save_metadata(s.dump() + std::string(1, '\0'), "a NUL byte at offset"));
  cases.push_back(f.save_metadata(s.dump() + std::string(1, '\0') + "garbage", "a NUL byte"));
  cases.push_back(f.save_metadata("\xef\xbb\xbf" + s.dump() + "[", "not valid JSON"));
  cases.push_back(f.save_metadata("[" + s.dump() + "]", "must be a JSON object"));
  cases.push_back(f.save_metadata(snapshot_with("description", "\"a" + std::string(1, '\0') + "\""),
                                  "not valid JSON"));
  cases.push_back(f.save_metadata(snapshot_with("description", "\"a\\u0000z\""),
                                  "field 'description' must not contain NUL"));
  cases.push_back(f.save_metadata(snapshot_with("env", R"({"K":"a\u0000"})"),
                                  "field 'env[K]' must not contain NUL"));
  cases.push_back(
      f.save_metadata(snapshot_with("labels", R"({"k\u0000":"v"})"), "field 'labels[k\\x00]' key"));
  cases.push_back(f.save_metadata(snapshot_with("description", "\"a\xff\""), "not valid JSON"));
  cases.push_back(f.save_metadata(snapshot_with("description", "\"\\ud800\""), "not valid JSON"));
  for (const auto& [field, value, names] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"vcpus", "\"2\"", "field 'vcpus' must be an unsigned 32-bit integer"},
           {"vcpus", "null", "field 'vcpus' must be an unsigned 32-bit integer"},
           {"vcpus", "true", "field 'vcpus' must be an unsigned 32-bit integer"},
           {"vcpus", "-1", "field 'vcpus' must be an unsigned 32-bit integer"},
           {"vcpus", "4294967296", "field 'vcpus' must be an unsigned 32-bit integer"},
           {"vcpus", "1e3", "field 'vcpus' must be an unsigned 32-bit integer"},
           {"vcpus", "2.0", "field 'vcpus' must be an unsigned 32-bit integer"},
           {"memory_mb", "18446744073709551616", "field 'memory_mb' must be an unsigned 32-bit"},
           {"size_bytes", "18446744073709551616", "field 'size_bytes' must be an unsigned 64-bit"},
           {"size_bytes", "-1", "field 'size_bytes' must be an unsigned 64-bit integer"},
           {"size_bytes", "1.5", "field 'size_bytes' must be an unsigned 64-bit integer"},
           {"id", "5", "field 'id' must be a string"},
           {"id", "\"../x\"", "field 'id' must match"},
           {"cmd", "\"sh\"", "field 'cmd' must be an array"},
           {"cmd", "[1]", "field 'cmd[0]' must be a string"},
           {"env", "[]", "field 'env' must be an object"},
           {"labels", R"({"a":1})", "field 'labels[a]' must be a string"},
           {"entrypoint", "5", "field 'entrypoint' must be an array"},
           {"healthcheck_disabled", "\"yes\"", "field 'healthcheck_disabled' must be a boolean"},
           {"image_config", "[]", "field 'image_config' must be an object"},
           {"image_config", "\"{}\"", "field 'image_config' must be an object"},
           {"labels", R"({"k":")" + std::string(4097, 'v') + "\"}",
            "field 'labels[k]' must be at most 4096 bytes"},
           {"description", "\"" + std::string(1 << 20, 'd') + "\"", "larger than 1 MiB"},
           {"image_config", nested_objects(127), "field 'image_config' is nested more than 127"},
           {"image_config", nested_objects(100000), "field 'image_config' is nested more than 127"},
           {"x", std::string(100000, '[') + std::string(100000, ']'),
            "field 'x' is nested more than 127"},
           {"id", "\"s3\",\"id\":\"s4\"", "field 'id' is named twice"},
           {"created_at", "\"2024-13-01T00:00:00Z\"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"2024-02-30T00:00:00Z\"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"2024-01-01T24:00:01Z\"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"2024-01-01T00:00:00\"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"2024-01-01\"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"2024-01-01T00:00:00+25:00\"",
            "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"2024-01-01T00:00:00Z \"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"yesterday\"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "\"\"", "field 'created_at' must be an RFC 3339"},
           {"created_at", "1704067200", "field 'created_at' must be an RFC 3339 timestamp string"},
       }) {
    cases.push_back(f.save_metadata(snapshot_with(field, value), names));
  }
  {
    json many = s;
    for (int i = 0; i < 10001; ++i) many["env"]["E" + std::to_string(i)] = "";
    cases.push_back(f.save_metadata(many.dump(), "field 'env' must have at most 10000 entries"));
    json labels = s;
    for (int i = 0; i < 100000; ++i) labels["labels"]["k" + std::to_string(i)] = "";
    cases.push_back(f.save_metadata(labels.dump(), "larger than 1 MiB"));
    json missing = s;
    missing.erase("vcpus");
    cases.push_back(f.save_metadata(missing.dump(), "field 'vcpus' is required"));
  }
  // The legacy files `import` reads.
  cases.push_back(f.import_legacy("networks.json", "{\"networks\":" + nested_objects(100000) + "}",
                                  "is nested more than 127 levels deep"));
  cases.push_back(
      f.import_legacy("volumes.json", "{\"volumes\":{\"v\":\"\xff\"}}", "not valid JSON"));
  cases.push_back(f.import_legacy(
      "networks.json",
      R"({"networks":{"n":{"name":"n","name":"m","subnet":"10.89.0.0/24","gateway":"10.89.0.1","created_at":"x"}}})",
      "field 'name' is named twice"));
  return cases;
}

}  // namespace

TEST_CASE("every command refuses hostile input naming the field, and writes nothing",
          "[cli][input]") {
  Fixture f;
  std::vector<Case> cases = name_cases(f);
  for (auto& c : identifier_cases(f)) cases.push_back(std::move(c));
  for (auto& c : other_cli_cases(f)) cases.push_back(std::move(c));

  const std::string before = home_fingerprint(f.home.path(), f.home.db());
  std::size_t refused = 0;
  for (const auto& c : cases) {
    const auto r = f.home.run(c.args);
    std::string shown;
    for (const auto& a : c.args) shown += " [" + a.substr(0, 60) + "]";
    INFO("args:" << shown << "\nstdout: " << r.out.substr(0, 300)
                 << "\nstderr: " << r.err.substr(0, 300));
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.err.find(c.names) != std::string::npos);
    if (c.exit_code == 1) CHECK(r.err.rfind("error: ", 0) == 0);
    CHECK(r.out.empty());
    // After each case, so that the one that wrote is the one reported.
    const bool unchanged = home_fingerprint(f.home.path(), f.home.db()) == before;
    CHECK(unchanged);
    if (r.exit_code == c.exit_code && unchanged) ++refused;
  }
  REQUIRE(refused == cases.size());
  a3s::test::hostile::cli_cases = cases.size();
}

TEST_CASE("an explicitly empty --home is refused; an empty A3S_HOME counts as unset",
          "[cli][input]") {
  TempDir user_home;
  const a3s::test::ScopedEnv home_env("HOME", user_home.path().string());
  const a3s::test::ScopedEnv unset("A3S_HOME", nullptr);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--home", "", "volume", "create", "v"}, {"volume", "create", "v", "--home", ""}}) {
    const auto r = a3s::test::run_cli(args);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "error: --home must not be an empty path\n");
    CHECK(a3s::test::entries(user_home.path()).empty());  // not ~/.a3s
  }
  // A variable set to "" is the variable unset, as for most tools (and as
  // SPEC §2 reads: the home is $A3S_HOME, and ~/.a3s without one).
  const a3s::test::ScopedEnv empty("A3S_HOME", "");
  const auto r = a3s::test::run_cli({"volume", "create", "v"});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(fs::is_directory(user_home.path() / ".a3s" / "volumes" / "v"));
}

TEST_CASE("snapshot save takes a record nested up to 127 levels, image_config included",
          "[cli][input]") {
  CliHome home;
  TempDir inputs;
  // image_config sits one level inside the record.
  for (const std::size_t record_levels : {65, 100, 127, 128}) {
    const std::string id = "deep" + std::to_string(record_levels);
    json record = valid_snapshot(id);
    std::string text = record.dump();
    text.pop_back();
    text += ",\"image_config\":" + nested_objects(record_levels - 1) + "}";
    const fs::path file = inputs.path() / (id + ".json");
    write_file(file, text);
    const std::vector<std::string> save = {"snapshot",   "save",
                                           "--rootfs",   (inputs.path() / "none").string(),
                                           "--metadata", file.string()};
    INFO("record levels " << record_levels);
    if (record_levels <= 127) {
      home.run_json(save);
      CHECK(home.run_json({"snapshot", "inspect", id})["image_config"] ==
            json::parse(nested_objects(record_levels - 1)));
    } else {
      home.fails_quietly(save, "field 'image_config' is nested more than 127 levels deep");
    }
  }
}
