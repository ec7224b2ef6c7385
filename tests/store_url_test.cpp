// Choosing the backend (SPEC §9): the store URL of Options::store, --store
// and A3S_STORE, parsed in one place (store_url.hpp) and checked by
// resolve(), with each mistake named; the CLI and Store::open on top.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "a3s/store/error.hpp"
#include "a3s/store/options.hpp"
#include "a3s/store/store.hpp"
#include "store_assertions.hpp"
#include "store_url.hpp"
#include "test_support.hpp"

namespace {

using a3s::store::ErrorCode;
using a3s::store::Options;
using a3s::store::detail::parse_store_url;
using a3s::test::ScopedEnv;
using a3s::test::TempDir;

Options options_with_store(const TempDir& home, const std::string& store) {
  Options options;
  options.home = home.path();
  options.store = store;
  return options;
}

}  // namespace

TEST_CASE("sqlite and etcd URLs parse into endpoints and a namespace", "[store_url]") {
  CHECK_FALSE(parse_store_url("sqlite").etcd);
  CHECK(parse_store_url("sqlite").endpoints.empty());

  const auto one = parse_store_url("etcd://127.0.0.1:2379/a3s");
  CHECK(one.etcd);
  CHECK(one.endpoints == std::vector<std::string>{"127.0.0.1:2379"});
  CHECK(one.name_space == "a3s");

  const auto three =
      parse_store_url("etcd://etcd-0.local:1,[::1]:65535,10.0.0.3:2379/fleet_1.prod-eu");
  CHECK(three.endpoints ==
        std::vector<std::string>{"etcd-0.local:1", "[::1]:65535", "10.0.0.3:2379"});
  CHECK(three.name_space == "fleet_1.prod-eu");

  CHECK(parse_store_url("etcd://h:2379/" + std::string(128, 'n')).name_space.size() == 128);
}

TEST_CASE("a bad store URL is refused naming the URL and the part that is wrong", "[store_url]") {
  struct Case {
    std::string url;
    std::string part;
  };
  const std::vector<Case> cases = {
      {"", "unknown backend"},
      {"SQLite", "unknown backend"},
      {"sqlite3", "unknown backend"},
      {"http://h:2379/a3s", "unknown backend"},
      {"etcd:/h:2379/a3s", "unknown backend"},
      {"etcd://h:2379", "no namespace"},
      {"etcd:///a3s", "no endpoint"},
      {"etcd://h:2379,/a3s", "an empty endpoint"},
      {"etcd://h/a3s", "endpoint 'h' has no port"},
      {"etcd://[::1]/a3s", "endpoint '[::1]' has no port"},
      {"etcd://:2379/a3s", "endpoint ':2379': host ''"},
      {"etcd://h_1:2379/a3s", "endpoint 'h_1:2379': host 'h_1'"},
      {"etcd://h :2379/a3s", "endpoint 'h :2379': host 'h '"},
      {"etcd://[::g]:2379/a3s", "endpoint '[::g]:2379': host '[::g]'"},
      {"etcd://h:0/a3s", "endpoint 'h:0': port '0'"},
      {"etcd://h:65536/a3s", "endpoint 'h:65536': port '65536'"},
      {"etcd://h:99999999999999999999/a3s",
       "endpoint 'h:99999999999999999999': port '99999999999999999999'"},
      {"etcd://h:+1/a3s", "endpoint 'h:+1': port '+1'"},
      {"etcd://h:/a3s", "endpoint 'h:': port ''"},
      {"etcd://h:2379,h:2379/a3s", "endpoint 'h:2379' is listed twice"},
      {"etcd://h:2379/", "namespace ''"},
      {"etcd://h:2379/a/b", "namespace 'a/b'"},
      {"etcd://h:2379/.a3s", "namespace '.a3s'"},
      {"etcd://h:2379/a3s ", "namespace 'a3s '"},
      {"etcd://h:2379/" + std::string(129, 'n'), "namespace '" + std::string(129, 'n') + "'"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    REQUIRE_STORE_ERROR(parse_store_url(c.url), ErrorCode::invalid_argument,
                        "store URL '" + c.url + "': " + c.part);
  }
}

TEST_CASE("resolve() takes the store from Options, else A3S_STORE, else sqlite", "[store_url]") {
  TempDir home;
  {
    ScopedEnv env("A3S_STORE", nullptr);
    const Options resolved = a3s::store::resolve(options_with_store(home, ""));
    CHECK(resolved.store == "sqlite");
    CHECK(resolved.db_path == resolved.home / "box.db");
  }
  {
    ScopedEnv env("A3S_STORE", "etcd://h:2379/from-env");
    const Options resolved = a3s::store::resolve(options_with_store(home, ""));
    CHECK(resolved.store == "etcd://h:2379/from-env");
    CHECK(resolved.db_path.empty());
    CHECK(a3s::store::resolve(options_with_store(home, "sqlite")).store == "sqlite");
  }
  {
    ScopedEnv env("A3S_STORE", "etcd://h/from-env");
    REQUIRE_STORE_ERROR(a3s::store::resolve(options_with_store(home, "")),
                        ErrorCode::invalid_argument,
                        "store URL 'etcd://h/from-env': endpoint 'h' has no port");
  }
}

TEST_CASE("a database file is refused on etcd, and a bad URL opens nothing", "[store_url]") {
  TempDir home;
  Options options = options_with_store(home, "etcd://h:2379/a3s");
  options.db_path = home.path() / "other.db";
  REQUIRE_STORE_ERROR(a3s::store::Store::open(options), ErrorCode::invalid_argument,
                      "--db (\"db\") is SQLite's: the store 'etcd://h:2379/a3s'");
  REQUIRE_STORE_ERROR(a3s::store::Store::open(options_with_store(home, "etcd://h:2379")),
                      ErrorCode::invalid_argument, "store URL 'etcd://h:2379': no namespace");
  CHECK(a3s::test::entries(home.path()).empty());
}

TEST_CASE("--store and A3S_STORE select the backend on the command line", "[store_url][cli]") {
  ScopedEnv env("A3S_STORE", nullptr);
  TempDir sqlite_home;
  auto r = a3s::test::run_cli(
      {"--home", sqlite_home.path().string(), "--store", "sqlite", "--json", "network", "ls"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "[]\n");
  CHECK(std::filesystem::exists(sqlite_home.path() / "box.db"));

  // Each refusal below comes before anything is opened or created.
  TempDir home;
  const std::string h = home.path().string();
  r = a3s::test::run_cli({"--home", h, "--store", "etcd://h/a3s", "network", "ls"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "error: store URL 'etcd://h/a3s': endpoint 'h' has no port (expected HOST:PORT)\n");

  r = a3s::test::run_cli(
      {"--home", h, "--store", "etcd://h:2379/a3s", "--db", h + "/x.db", "volume", "ls"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("--db (\"db\") is SQLite's"));

  r = a3s::test::run_cli({"--home", h, "--store", "", "network", "ls"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("the store URL must not be empty"));

  r = a3s::test::run_cli({"--home", h, "--store", "etcd://h:2379/a3s", "shell"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "error: shell is SQLite's: the store 'etcd://h:2379/a3s' is an etcd cluster (use "
        "etcdctl on it)\n");

  {
    ScopedEnv bad("A3S_STORE", "mysql://h:1/a3s");
    r = a3s::test::run_cli({"--home", h, "volume", "ls"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("store URL 'mysql://h:1/a3s': unknown backend"));
  }
  CHECK(a3s::test::entries(home.path()).empty());

  // --store wins over the environment.
  ScopedEnv bad("A3S_STORE", "mysql://h:1/a3s");
  r = a3s::test::run_cli({"--home", h, "--store", "sqlite", "volume", "ls"});
  CHECK(r.exit_code == 0);
}
