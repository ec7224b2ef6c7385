// The a3s-store command-line tool (SPEC §7): network, volume and migrate
// commands, global options, exit codes and output, run as a separate process.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_home.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using a3s::test::empty_or_missing;
using a3s::test::ScopedEnv;
using a3s::test::TempDir;
using Home = a3s::test::CliHome;
using nlohmann::json;

namespace {

const std::vector<std::string> kBadNames = {"a/b", "..", "", std::string(129, 'n'), ".x", "-x"};

// `text` (pretty JSON, one value) as it appears as an element of a --json
// list: each line indented by two more spaces.
std::string as_list_element(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    out += "  " + text.substr(start, end - start);
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("network create, ls, inspect and rm", "[cli][network]") {
  Home home;
  const auto created =
      home.run_json({"network", "create", "frontend", "--subnet", "10.88.0.0/24", "--label",
                     "env=prod", "--label", "expr=a=b", "--label", "empty="});
  CHECK(created["name"] == "frontend");
  CHECK(created["subnet"] == "10.88.0.0/24");
  CHECK(created["gateway"] == "10.88.0.1");
  CHECK(created["driver"] == "bridge");
  CHECK(created["labels"] == json({{"env", "prod"}, {"expr", "a=b"}, {"empty", ""}}));
  CHECK(created["endpoints"] == json::object());
  CHECK(created["created_at"].get<std::string>().find('T') != std::string::npos);

  // The gateway is the network address + 1 even when the subnet is not /24.
  CHECK(home.run_json({"network", "create", "back", "--subnet", "172.20.0.0/16"})["gateway"] ==
        "172.20.0.1");

  const auto list = home.run_json({"network", "ls"});
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "back");
  CHECK(list[1]["name"] == "frontend");

  CHECK(home.run_json({"network", "inspect", "frontend"}) == created);

  SECTION("human output") {
    auto r = home.run({"network", "ls"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("NAME") == 0);
    for (const char* header : {"SUBNET", "GATEWAY", "DRIVER", "ENDPOINTS", "CREATED"}) {
      CHECK(r.out.find(header) != std::string::npos);
    }
    CHECK(r.out.find("frontend") != std::string::npos);
    CHECK(r.out.find("10.88.0.1") != std::string::npos);

    r = home.run({"network", "inspect", "frontend"});
    CHECK(r.exit_code == 0);
    CHECK(json::parse(r.out) == created);

    r = home.run({"network", "create", "third", "--subnet", "10.89.0.0/24"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("third") != std::string::npos);
    CHECK(r.out.find("10.89.0.1") != std::string::npos);

    r = home.run({"network", "rm", "third"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("third") != std::string::npos);
  }

  SECTION("rm returns the record and forgets it") {
    CHECK(home.run_json({"network", "rm", "frontend"}) == created);
    home.fails({"network", "inspect", "frontend"}, "network 'frontend' not found");
    home.fails({"network", "rm", "frontend"}, "'frontend'");
    CHECK(home.run_json({"network", "ls"}).size() == 1);
  }

  SECTION("a taken name is refused") {
    home.fails({"network", "create", "frontend", "--subnet", "10.90.0.0/24"}, "'frontend'");
    CHECK(home.run_json({"network", "inspect", "frontend"})["subnet"] == "10.88.0.0/24");
  }
}

TEST_CASE("network inspect of a missing network", "[cli][network]") {
  Home home;
  const auto r = home.run({"network", "inspect", "x"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "error: network 'x' not found\n");
  CHECK(r.out.empty());
}

TEST_CASE("network connect and disconnect", "[cli][network]") {
  Home home;
  home.run_json({"network", "create", "frontend", "--subnet", "10.88.0.0/24"});

  auto r = home.run({"network", "connect", "frontend", "box-a", "--box-name", "web"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "connected box-a to frontend: 10.88.0.2 (02:42:0a:58:00:02)\n");

  const auto b = home.run_json({"network", "connect", "frontend", "box-b", "--box-name", "db",
                                "--alias", "database", "--alias", "db", "--alias", "pg"});
  CHECK(b["box_id"] == "box-b");
  CHECK(b["box_name"] == "db");
  CHECK(b["ip_address"] == "10.88.0.3");
  CHECK(b["mac_address"] == "02:42:0a:58:00:03");
  CHECK(b["aliases"] == json({"database", "pg"}));  // the box name itself is dropped

  const auto network = home.run_json({"network", "inspect", "frontend"});
  CHECK(network["endpoints"].size() == 2);
  CHECK(network["endpoints"]["box-b"] == b);

  home.fails({"network", "connect", "frontend", "box-a", "--box-name", "web"}, "box-a");
  home.fails({"network", "connect", "nope", "box-c", "--box-name", "c"}, "network 'nope'");
  home.fails({"network", "rm", "frontend"}, "'frontend'");  // in use
  home.usage_error({"network", "connect", "frontend", "box-c"}, "--box-name");

  SECTION("disconnect") {
    CHECK(home.run_json({"network", "disconnect", "frontend", "box-b"}) == b);
    r = home.run({"network", "disconnect", "frontend", "box-a"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("box-a") != std::string::npos);
    CHECK(r.out.find("10.88.0.2") != std::string::npos);
    home.fails({"network", "disconnect", "frontend", "box-a"}, "box-a");
    home.fails({"network", "disconnect", "nope", "box-a"}, "network 'nope'");
    CHECK(home.run_json({"network", "inspect", "frontend"})["endpoints"] == json::object());
    // The lowest free address is reused.
    CHECK(home.run_json({"network", "connect", "frontend", "box-c", "--box-name",
                         "c"})["ip_address"] == "10.88.0.2");
  }

  SECTION("rm --force removes a network in use") {
    const auto removed = home.run_json({"network", "rm", "frontend", "--force"});
    CHECK(removed["endpoints"].size() == 2);
    CHECK(home.run_json({"network", "ls"}) == json::array());
  }
}

TEST_CASE("--json writes a network's fields in the runtime's order", "[cli][network][json]") {
  Home home;
  home.run_json({"network", "create", "frontend", "--subnet", "10.88.0.0/24", "--label", "b=2",
                 "--label", "a=1"});
  // A repeated alias is kept, as 2.4.0 keeps it.
  const auto endpoint = home.run({"--json", "network", "connect", "frontend", "box-a", "--box-name",
                                  "web", "--alias", "db", "--alias", "db"});
  REQUIRE(endpoint.exit_code == 0);
  const std::string endpoint_text = R"({
  "box_id": "box-a",
  "box_name": "web",
  "aliases": [
    "db",
    "db"
  ],
  "ip_address": "10.88.0.2",
  "mac_address": "02:42:0a:58:00:02"
})";
  CHECK(endpoint.out == endpoint_text + "\n");

  const auto r = home.run({"--json", "network", "inspect", "frontend"});
  REQUIRE(r.exit_code == 0);
  const std::string created_at = json::parse(r.out).at("created_at");
  const std::string network_text = R"({
  "name": "frontend",
  "subnet": "10.88.0.0/24",
  "gateway": "10.88.0.1",
  "driver": "bridge",
  "labels": {
    "a": "1",
    "b": "2"
  },
  "endpoints": {
    "box-a": )" + as_list_element(as_list_element(endpoint_text)).substr(4) +
                                   R"(
  },
  "created_at": ")" + created_at + R"(",
  "policy": {
    "isolation": "none",
    "ingress": [],
    "egress": []
  }
})";
  CHECK(r.out == network_text + "\n");
  CHECK(home.run({"network", "inspect", "frontend"}).out == network_text + "\n");

  const auto ls = home.run({"--json", "network", "ls"});
  CHECK(ls.out == "[\n" + as_list_element(network_text) + "\n]\n");
}

TEST_CASE("--json writes a volume's fields in the runtime's order", "[cli][volume][json]") {
  Home home;
  home.run_json({"volume", "create", "data", "--label", "b=2", "--label", "a=1"});
  home.run_json({"volume", "attach", "data", "box-2"});
  home.run_json({"volume", "attach", "data", "box-1"});
  const auto r = home.run({"--json", "volume", "inspect", "data"});
  REQUIRE(r.exit_code == 0);
  const json parsed = json::parse(r.out);
  const std::string text = R"({
  "name": "data",
  "driver": "local",
  "mount_point": ")" + parsed.at("mount_point").get<std::string>() +
                           R"(",
  "labels": {
    "a": "1",
    "b": "2"
  },
  "in_use_by": [
    "box-2",
    "box-1"
  ],
  "size_limit": 0,
  "created_at": ")" + parsed.at("created_at").get<std::string>() +
                           R"("
})";
  CHECK(r.out == text + "\n");
  CHECK(home.run({"--json", "volume", "ls"}).out == "[\n" + as_list_element(text) + "\n]\n");
}

TEST_CASE("network connect on a full subnet is exhausted", "[cli][network]") {
  Home home;
  home.run_json({"network", "create", "tiny", "--subnet", "10.0.0.0/30"});
  CHECK(home.run_json({"network", "connect", "tiny", "a", "--box-name", "a"})["ip_address"] ==
        "10.0.0.2");
  home.fails({"network", "connect", "tiny", "b", "--box-name", "b"}, "tiny");
}

TEST_CASE("bad network names and subnets are refused and write nothing", "[cli][network]") {
  Home home;
  for (const auto& name : kBadNames) {
    INFO("name: '" << name << "'");
    // `--` so that "-x" reaches the library as a name rather than an option.
    home.fails({"network", "create", "--subnet", "10.88.0.0/24", "--", name}, "");
  }
  for (const std::string subnet : {"10.0.0.0/31", "10.0.0.0/0", "300.1.1.0/24", "abc"}) {
    INFO("subnet: " << subnet);
    home.fails({"network", "create", "net", "--subnet", subnet}, "'net'");
  }
  CHECK(home.run_json({"network", "ls"}) == json::array());
  for (const auto& name : kBadNames) {
    INFO("name: '" << name << "'");
    home.fails({"network", "inspect", "--", name}, "");
  }
}

TEST_CASE("volume create, ls, inspect and rm", "[cli][volume]") {
  Home home;
  const auto created =
      home.run_json({"volume", "create", "data", "--label", "app=db", "--size-limit", "10GB"});
  CHECK(created["name"] == "data");
  CHECK(created["driver"] == "local");
  CHECK(created["labels"] == json({{"app", "db"}}));
  CHECK(created["size_limit"] == 10ull << 30);
  CHECK(created["in_use_by"] == json::array());
  const fs::path mount = created["mount_point"].get<std::string>();
  CHECK(fs::equivalent(mount, home.path() / "volumes" / "data"));
  CHECK(fs::is_directory(mount));

  CHECK(home.run_json({"volume", "create", "cache"})["size_limit"] == 0);

  const auto list = home.run_json({"volume", "ls"});
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "cache");
  CHECK(list[1] == created);
  CHECK(home.run_json({"volume", "inspect", "data"}) == created);

  SECTION("human output") {
    auto r = home.run({"volume", "ls"});
    CHECK(r.exit_code == 0);
    for (const char* header :
         {"NAME", "DRIVER", "MOUNT POINT", "IN USE BY", "SIZE LIMIT", "CREATED"}) {
      CHECK(r.out.find(header) != std::string::npos);
    }
    CHECK(r.out.find("10GiB") != std::string::npos);
    CHECK(r.out.find("unlimited") != std::string::npos);
    r = home.run({"volume", "inspect", "data"});
    CHECK(r.exit_code == 0);
    CHECK(json::parse(r.out) == created);
    r = home.run({"volume", "create", "third"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("third") != std::string::npos);
  }

  SECTION("rm deletes the record and the directory") {
    CHECK(home.run_json({"volume", "rm", "data"}) == created);
    CHECK_FALSE(fs::exists(mount));
    home.fails({"volume", "inspect", "data"}, "volume 'data' not found");
    home.fails({"volume", "rm", "data"}, "'data'");
  }

  SECTION("a taken name is refused") { home.fails({"volume", "create", "data"}, "'data'"); }
}

TEST_CASE("volume sizes", "[cli][volume]") {
  Home home;
  const std::vector<std::pair<std::string, std::uint64_t>> sizes = {
      {"1048576", 1048576},
      {"512k", 512ull << 10},
      {"500m", 500ull << 20},
      {"10g", 10ull << 30},
      {"10GB", 10ull << 30},
      {"1KiB", 1024},
      {"2t", 2ull << 40},
      {"0", 0},
      {"7b", 7},
  };
  int i = 0;
  for (const auto& [text, bytes] : sizes) {
    INFO(text);
    CHECK(home.run_json({"volume", "create", "v" + std::to_string(i++), "--size-limit",
                         text})["size_limit"] == bytes);
  }
  for (const std::string bad : {"12q", "abc", "", "1.5g", "10 g", "1ib", "k",
                                "18446744073709551616", "16EiB", "99999999999999999999k"}) {
    INFO(bad);
    home.usage_error({"volume", "create", "bad", "--size-limit", bad}, "'" + bad + "'");
  }
  CHECK_FALSE(fs::exists(home.path() / "volumes" / "bad"));
}

TEST_CASE("volume attach, detach and prune", "[cli][volume]") {
  Home home;
  for (const char* name : {"a", "b", "c"}) home.run_json({"volume", "create", name});

  auto v = home.run_json({"volume", "attach", "a", "box-1"});
  CHECK(v["in_use_by"] == json({"box-1"}));
  v = home.run_json({"volume", "attach", "a", "box-2"});
  v = home.run_json({"volume", "attach", "a", "box-1"});  // idempotent
  CHECK(v["in_use_by"] == json({"box-1", "box-2"}));
  auto r = home.run({"volume", "attach", "b", "box-3"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("box-3") != std::string::npos);

  home.fails({"volume", "attach", "nope", "box-1"}, "volume 'nope'");
  home.fails({"volume", "detach", "nope", "box-1"}, "volume 'nope'");
  home.fails({"volume", "rm", "a"}, "'a'");  // in use
  CHECK(fs::is_directory(home.path() / "volumes" / "a"));

  v = home.run_json({"volume", "detach", "a", "box-1"});
  CHECK(v["in_use_by"] == json({"box-2"}));
  v = home.run_json({"volume", "detach", "a", "box-1"});  // not a user: a no-op
  CHECK(v["in_use_by"] == json({"box-2"}));
  r = home.run({"volume", "detach", "b", "box-3"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("box-3") != std::string::npos);

  // b and c are unused now.
  CHECK(home.run_json({"volume", "prune"}) == json({"b", "c"}));
  CHECK_FALSE(fs::exists(home.path() / "volumes" / "b"));
  CHECK(home.run_json({"volume", "prune"}) == json::array());
  r = home.run({"volume", "prune"});
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.out.empty());

  CHECK(home.run_json({"volume", "rm", "a", "--force"})["in_use_by"] == json({"box-2"}));
  CHECK(home.run_json({"volume", "ls"}) == json::array());
}

TEST_CASE("bad volume names are refused and create no directory", "[cli][volume]") {
  Home home;
  for (const auto& name : kBadNames) {
    INFO("name: '" << name << "'");
    home.fails({"volume", "create", "--", name}, "");
    home.fails({"volume", "inspect", "--", name}, "");
  }
  CHECK(home.run_json({"volume", "ls"}) == json::array());
  CHECK(empty_or_missing(home.path() / "volumes"));
  CHECK_FALSE(fs::exists(home.path() / "a"));
}

TEST_CASE("usage errors exit 2", "[cli]") {
  Home home;
  home.usage_error({});
  home.usage_error({"frobnicate"}, "frobnicate");
  home.usage_error({"network"});
  home.usage_error({"network", "frobnicate"}, "frobnicate");
  home.usage_error({"network", "create", "n"}, "--subnet");
  home.usage_error({"network", "create", "--subnet", "10.0.0.0/24"});
  home.usage_error({"network", "inspect"});
  home.usage_error({"network", "ls", "--bogus"});
  home.usage_error({"volume", "create", "v", "--size-limit", "12q"}, "12q");
  home.usage_error({"volume", "create", "v", "--label", "novalue"}, "novalue");
  home.usage_error({"network", "create", "n", "--subnet", "10.0.0.0/24", "--label", "x"}, "'x'");
  home.usage_error({"--log-level", "loud", "network", "ls"}, "loud");
  home.usage_error({"migrate", "up", "--to", "abc"});
  home.usage_error({"migrate", "frobnicate"});
  CHECK_FALSE(fs::exists(home.db()));

  const auto help = a3s::test::run_cli({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("network") != std::string::npos);
  CHECK(a3s::test::run_cli({"network", "create", "--help"}).exit_code == 0);
}

TEST_CASE("global options are accepted after the subcommand", "[cli]") {
  Home home;
  auto r = a3s::test::run_cli({"network", "create", "n", "--subnet", "10.1.0.0/24", "--json",
                               "--home", home.path().string(), "--log-level", "error"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(r.out)["name"] == "n");
  r = a3s::test::run_cli({"network", "ls", "--home", home.path().string(), "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(r.out).size() == 1);
  CHECK(home.run({"--log-level", "off", "volume", "ls"}).exit_code == 0);
}

TEST_CASE("--db points at another database", "[cli][sqlite]") {
  Home home;
  TempDir other;
  const auto db = other.path() / "elsewhere.db";
  auto r = home.run({"--db", db.string(), "network", "create", "n", "--subnet", "10.1.0.0/24"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(db));
  CHECK_FALSE(fs::exists(home.db()));
  CHECK(home.run_json({"--db", db.string(), "network", "ls"}).size() == 1);
  CHECK(home.run_json({"network", "ls"}) == json::array());
}

TEST_CASE("A3S_HOME selects the home when --home is absent", "[cli][sqlite]") {
  TempDir dir;
  const auto home = dir.path() / "from-env";
  {
    ScopedEnv env("A3S_HOME", home.string());
    const auto r = a3s::test::run_cli({"--json", "volume", "create", "data"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(fs::equivalent(json::parse(r.out)["mount_point"].get<std::string>(),
                         home / "volumes" / "data"));
    CHECK(json::parse(a3s::test::run_cli({"--json", "volume", "ls"}).out).size() == 1);
  }
  CHECK(fs::exists(home / "box.db"));
}

TEST_CASE("migrate status on a fresh home", "[cli][migrate][sqlite]") {
  Home home;
  const auto s = home.run_json({"migrate", "status"});
  CHECK(s["exists"] == false);
  CHECK(s["current"] == 0);
  const int latest = s["latest"];
  CHECK(latest >= 1);
  CHECK(s["applied"] == json::array());
  REQUIRE(s["pending"].size() == static_cast<std::size_t>(latest));
  CHECK(s["pending"][0]["version"] == 1);
  CHECK(s["pending"][0]["name"].get<std::string>().rfind("0001_", 0) == 0);
  CHECK(s["pending"][0]["checksum"].get<std::string>().size() == 64);
  CHECK_FALSE(fs::exists(home.db()));

  const auto r = home.run({"migrate", "status"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("current:  0") != std::string::npos);
  CHECK(r.out.find("0001_") != std::string::npos);
  CHECK_FALSE(fs::exists(home.db()));
}

TEST_CASE("migrate up, dry runs and --no-auto-migrate", "[cli][migrate][sqlite]") {
  Home home;
  const int latest = home.run_json({"migrate", "status"})["latest"];

  SECTION("a dry run writes nothing") {
    const auto s = home.run_json({"migrate", "up", "--dry-run"});
    CHECK(s["current"] == latest);
    CHECK(s["dry_run"] == true);
    CHECK_FALSE(fs::exists(home.db()));
    const auto r = home.run({"migrate", "up", "--dry-run"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("dry run") != std::string::npos);
    CHECK_FALSE(fs::exists(home.db()));
  }

  SECTION("up --to 1 creates a database at version 1") {
    auto s = home.run_json({"migrate", "up", "--to", "1"});
    CHECK(s["current"] == 1);
    CHECK(s["from"] == 0);
    CHECK(fs::exists(home.db()));
    s = home.run_json({"migrate", "status"});
    CHECK(s["exists"] == true);
    CHECK(s["current"] == 1);
    REQUIRE(s["applied"].size() == 1);
    CHECK(s["applied"][0]["version"] == 1);
    CHECK(s["applied"][0]["checksum"].get<std::string>().size() == 64);
    CHECK_FALSE(s["applied"][0]["applied_at"].get<std::string>().empty());
    CHECK_FALSE(s["applied"][0]["applied_by"].get<std::string>().empty());
    CHECK(s["pending"].size() == static_cast<std::size_t>(latest - 1));
    const auto human = home.run({"migrate", "status"});
    CHECK(human.out.find(s["applied"][0]["checksum"].get<std::string>()) != std::string::npos);

    home.fails({"migrate", "up", "--to", "99"}, "99");
    CHECK(home.run_json({"migrate", "status"})["current"] == 1);

    if (latest > 1) {
      // A dry run reports the migration but leaves the file at version 1.
      CHECK(home.run_json({"migrate", "up", "--dry-run"})["current"] == latest);
      CHECK(home.run_json({"migrate", "status"})["current"] == 1);
      // Without auto-migration the outdated database is refused, untouched.
      home.fails({"--no-auto-migrate", "network", "ls"}, "");
      CHECK(home.run_json({"migrate", "status"})["current"] == 1);
    } else {
      CHECK(home.run({"--no-auto-migrate", "network", "ls"}).exit_code == 0);
    }
    // Auto-migration (the default) brings it to the latest version.
    CHECK(home.run_json({"network", "ls"}) == json::array());
    CHECK(home.run_json({"migrate", "status"})["current"] == latest);
    CHECK(home.run_json({"migrate", "status"})["pending"] == json::array());
  }

  SECTION("up on a current database changes nothing") {
    home.run_json({"migrate", "up"});
    const auto before = home.run_json({"migrate", "status"});
    CHECK(before["current"] == latest);
    const auto r = home.run({"migrate", "up"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("already") != std::string::npos);
    CHECK(home.run_json({"migrate", "status"}) == before);
  }
}

TEST_CASE("migrate verify", "[cli][migrate][sqlite]") {
  Home home;
  home.fails({"migrate", "verify"}, "");  // no database yet
  CHECK_FALSE(fs::exists(home.db()));

  REQUIRE(home.run({"network", "ls"}).exit_code == 0);  // creates it at the latest version
  const auto v = home.run_json({"migrate", "verify"});
  CHECK(v["verified"] == true);
  CHECK(v["current"] == home.run_json({"migrate", "status"})["latest"]);
  const auto r = home.run({"migrate", "verify"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("verified") != std::string::npos);
}

TEST_CASE("network create on a subnet with host bits warns and keeps them", "[cli][network]") {
  Home home;
  auto r = home.run({"--json", "network", "create", "odd", "--subnet", "10.88.0.5/24"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  const auto created = json::parse(r.out);
  CHECK(created["subnet"] == "10.88.0.5/24");
  CHECK(created["gateway"] == "10.88.0.6");
  CHECK(r.err.find("warn") != std::string::npos);
  CHECK(r.err.find("host bits") != std::string::npos);
  CHECK(r.err.find("10.88.0.5/24") != std::string::npos);
  CHECK(home.run_json({"network", "connect", "odd", "b1", "--box-name", "b"})["ip_address"] ==
        "10.88.0.7");

  // A subnet without host bits creates quietly.
  r = home.run({"network", "create", "plain", "--subnet", "10.89.0.0/24"});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
}

TEST_CASE("volume ls prints size limits without passing an approximation off as exact",
          "[cli][volume]") {
  Home home;
  for (const auto& [name, limit] : std::vector<std::pair<std::string, std::string>>{
           {"whole", "10g"}, {"half", "1536"}, {"max", "18446744073709551615"}}) {
    REQUIRE(home.run({"volume", "create", name, "--size-limit", limit}).exit_code == 0);
  }
  const auto r = home.run({"volume", "ls"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(" 10GiB ") != std::string::npos);
  CHECK(r.out.find(" 1.5KiB ") != std::string::npos);
  CHECK(r.out.find(" ~16EiB ") != std::string::npos);  // 1 byte short of 16 EiB
  CHECK(r.out.find("16.0EiB") == std::string::npos);
  // --json keeps the exact number.
  CHECK(home.run_json({"volume", "inspect", "max"})["size_limit"] ==
        std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("image put over a file put by hand at the layout's place fails naming it",
          "[cli][image]") {
  Home home;
  TempDir sources;
  fs::create_directories(sources.path() / "layout");
  a3s::test::write_file(sources.path() / "layout" / "index.json", "{}");
  const std::string hex(64, 'a');
  const fs::path layout = home.path() / "images" / "sha256" / hex;
  REQUIRE(home.run({"image", "ls"}).exit_code == 0);
  fs::create_directories(layout.parent_path());
  a3s::test::write_file(layout, "by hand");

  const auto r =
      home.run({"image", "put", "app:1", "sha256:" + hex, (sources.path() / "layout").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("'" + layout.string() + "' is a symlink or not a directory") !=
        std::string::npos);
  CHECK(r.err.find("removed by another process") == std::string::npos);
  CHECK(a3s::test::read_file(layout) == "by hand");
  CHECK(home.run({"image", "put", "app:2", "sha256:" + std::string(64, 'b'),
                  (sources.path() / "layout").string()})
            .exit_code == 0);
}
