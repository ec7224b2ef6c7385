// NetworkStore (SPEC §4 "Networks"): every operation, every error it can
// produce (code and a message naming the object), the IPAM rules, the JSON
// fixtures, persistence and sharing one Store between threads.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "record_json.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace st = a3s::store;
using a3s::test::fixture;
using a3s::test::open_store;
using a3s::test::TempDir;

namespace {

st::NetworkConfig make_network(const std::string& name, const std::string& subnet = "10.88.0.0/24",
                               const std::string& gateway = "10.88.0.1") {
  st::NetworkConfig n;
  n.name = name;
  n.subnet = subnet;
  n.gateway = gateway;
  n.created_at = "2024-01-01T00:00:00Z";
  return n;
}

st::NetworkEndpoint make_endpoint(const std::string& box_id, const std::string& ip,
                                  const std::string& mac) {
  st::NetworkEndpoint e;
  e.box_id = box_id;
  e.box_name = "name-" + box_id;
  e.ip_address = ip;
  e.mac_address = mac;
  return e;
}

// A network with endpoints box-2 .. box-254 preloaded at 10.88.0.<n>, except
// the addresses in `skip`.
st::NetworkConfig preloaded(const std::string& name, const std::string& subnet,
                            const std::set<int>& skip) {
  st::NetworkConfig n = make_network(name, subnet, "10.88.0.1");
  for (int host = 2; host <= 254; ++host) {
    if (skip.count(host) != 0) continue;
    const std::string id = "box-" + std::to_string(host);
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:42:0a:58:00:%02x", host);
    n.endpoints[id] = make_endpoint(id, "10.88.0." + std::to_string(host), mac);
  }
  return n;
}

}  // namespace

TEST_CASE("get returns nullopt for a network that does not exist", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  CHECK_FALSE(store->networks().get("dev").has_value());
  CHECK(store->networks().list().empty());
}

TEST_CASE("get refuses an invalid network name", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().get("a/b"), st::ErrorCode::invalid_argument, "'a/b'");
  REQUIRE_STORE_ERROR(store->networks().get(".."), st::ErrorCode::invalid_argument, "'..'");
}

TEST_CASE("create stores every field and get returns it unchanged", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  st::NetworkConfig n = make_network("dev");
  n.driver = "macvlan";
  n.labels = {{"team", "web"}, {"env", "prod"}};
  n.created_at = "2026-06-17T08:15:30.123456789+00:00";
  n.endpoints["box-a"] = make_endpoint("box-a", "10.88.0.7", "02:42:0a:58:00:07");
  n.endpoints["box-a"].aliases = {"app", "www"};
  n.policy.isolation = "custom";
  st::PolicyRule rule;
  rule.from = "box-a";
  rule.ports = {80, 443};
  rule.protocol = "tcp";
  rule.action = "deny";
  n.policy.ingress = {rule};
  n.policy.egress = {st::PolicyRule{}};

  CHECK(store->networks().create(n) == n);
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(*got == n);
  CHECK(got->created_at == "2026-06-17T08:15:30.123456789+00:00");
}

TEST_CASE("create of a taken name is already_exists and keeps the first record", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const auto first = store->networks().create(make_network("dev"));
  REQUIRE_STORE_ERROR(store->networks().create(make_network("dev", "10.99.0.0/16", "10.99.0.1")),
                      st::ErrorCode::already_exists, "network 'dev' already exists");
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(*got == first);
  CHECK(store->networks().list().size() == 1);
}

TEST_CASE("create refuses an invalid subnet and writes nothing", "[network]") {
  const std::string subnet =
      GENERATE(as<std::string>{}, "10.0.0.0/31", "10.0.0.0/32", "10.0.0.0/0", "0.0.0.0/0",
               "300.1.1.0/24", "abc", "10.0.0.0", "10.0.0.0/", "10.0.0.0/24x", "");
  CAPTURE(subnet);
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().create(make_network("dev", subnet, "10.0.0.1")),
                      st::ErrorCode::invalid_argument, "network 'dev'");
  REQUIRE_STORE_ERROR(store->networks().create(make_network("dev", subnet, "10.0.0.1")),
                      st::ErrorCode::invalid_argument, "subnet");
  CHECK(store->networks().list().empty());
  CHECK_FALSE(store->networks().get("dev").has_value());
}

TEST_CASE("create refuses a gateway outside the subnet or not a host", "[network]") {
  const std::string gateway = GENERATE(as<std::string>{}, "10.89.0.1", "192.168.0.1", "10.88.0.0",
                                       "10.88.0.255", "abc", "10.88.0.256");
  CAPTURE(gateway);
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().create(make_network("dev", "10.88.0.0/24", gateway)),
                      st::ErrorCode::invalid_argument, "network 'dev'");
  REQUIRE_STORE_ERROR(store->networks().create(make_network("dev", "10.88.0.0/24", gateway)),
                      st::ErrorCode::invalid_argument, "gateway");
  CHECK(store->networks().list().empty());
}

TEST_CASE("create refuses an unsafe network name and writes nothing", "[network]") {
  struct Case {
    std::string name;
    std::string fragment;  // how the message names the network
  };
  const std::string long_name(129, 'a');
  const Case c = GENERATE_COPY(values<Case>({
      {"a/b", "network 'a/b'"},
      {"..", "network '..'"},
      {".", "network '.'"},
      {"", "network ''"},
      {long_name, "network '" + std::string(64, 'a')},
      {".x", "network '.x'"},
      {"-x", "network '-x'"},
      {"_x", "network '_x'"},
      {"a b", "network 'a b'"},
      {std::string("a\0b", 3), "network 'a\\x00b'"},
  }));
  CAPTURE(c.name);
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().create(make_network(c.name)),
                      st::ErrorCode::invalid_argument, c.fragment);
  CHECK(store->networks().list().empty());
}

TEST_CASE("a name of exactly 128 characters is accepted", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const std::string name = "A" + std::string(126, 'b') + "9";
  REQUIRE(name.size() == 128);
  store->networks().create(make_network(name));
  const auto got = store->networks().get(name);
  REQUIRE(got.has_value());
  CHECK(got->name == name);
  store->networks().create(make_network("x_y.z-0", "10.89.0.0/24", "10.89.0.1"));
  CHECK(store->networks().get("x_y.z-0").has_value());
}

TEST_CASE("create refuses endpoints outside the subnet or sharing an IP", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto outside = make_network("dev");
  outside.endpoints["b1"] = make_endpoint("b1", "10.99.0.2", "02:42:0a:63:00:02");
  REQUIRE_STORE_ERROR(store->networks().create(outside), st::ErrorCode::invalid_argument,
                      "network 'dev'");

  auto shared = make_network("dev");
  shared.endpoints["b1"] = make_endpoint("b1", "10.88.0.2", "02:42:0a:58:00:02");
  shared.endpoints["b2"] = make_endpoint("b2", "10.88.0.2", "02:42:0a:58:00:02");
  REQUIRE_STORE_ERROR(store->networks().create(shared), st::ErrorCode::invalid_argument,
                      "network 'dev'");

  auto on_gateway = make_network("dev");
  on_gateway.endpoints["b1"] = make_endpoint("b1", "10.88.0.1", "02:42:0a:58:00:01");
  REQUIRE_STORE_ERROR(store->networks().create(on_gateway), st::ErrorCode::invalid_argument,
                      "network 'dev'");
  CHECK(store->networks().list().empty());
}

TEST_CASE("remove of a missing network is not_found", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().remove("dev"), st::ErrorCode::not_found,
                      "network 'dev' not found");
  REQUIRE_STORE_ERROR(store->networks().remove("dev", /*force=*/true), st::ErrorCode::not_found,
                      "network 'dev' not found");
}

TEST_CASE("remove returns the removed record", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto n = make_network("dev");
  n.labels = {{"k", "v"}};
  store->networks().create(n);
  store->networks().create(make_network("other", "10.89.0.0/24", "10.89.0.1"));
  CHECK(store->networks().remove("dev") == n);
  CHECK_FALSE(store->networks().get("dev").has_value());
  REQUIRE(store->networks().list().size() == 1);
  CHECK(store->networks().list()[0].name == "other");
  REQUIRE_STORE_ERROR(store->networks().remove("dev"), st::ErrorCode::not_found,
                      "network 'dev' not found");
}

TEST_CASE("remove is in_use while boxes are connected, force removes the endpoints too",
          "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  const auto e1 = store->networks().connect("dev", "box-1", "web");
  const auto e2 = store->networks().connect("dev", "box-2", "api");

  REQUIRE_STORE_ERROR(store->networks().remove("dev"), st::ErrorCode::in_use, "network 'dev'");
  const auto still = store->networks().get("dev");
  REQUIRE(still.has_value());
  CHECK(still->endpoints.size() == 2);

  const auto removed = store->networks().remove("dev", /*force=*/true);
  CHECK(removed.name == "dev");
  REQUIRE(removed.endpoints.size() == 2);
  CHECK(removed.endpoints.at("box-1") == e1);
  CHECK(removed.endpoints.at("box-2") == e2);
  CHECK_FALSE(store->networks().get("dev").has_value());

  // No endpoint outlives its network: a new network of the same name starts
  // empty and hands out the first address again.
  store->networks().create(make_network("dev"));
  const auto fresh = store->networks().get("dev");
  REQUIRE(fresh.has_value());
  CHECK(fresh->endpoints.empty());
  CHECK(store->networks().connect("dev", "box-3", "db").ip_address == "10.88.0.2");
  CHECK(store->networks().connect("dev", "box-1", "web").ip_address == "10.88.0.3");
}

TEST_CASE("list is sorted by name and carries each network's endpoints", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  CHECK(store->networks().list().empty());
  store->networks().create(make_network("zeta", "10.90.0.0/24", "10.90.0.1"));
  store->networks().create(make_network("alpha", "10.88.0.0/24", "10.88.0.1"));
  store->networks().create(make_network("mid", "10.89.0.0/24", "10.89.0.1"));
  store->networks().create(make_network("alpha2", "10.91.0.0/24", "10.91.0.1"));
  store->networks().connect("zeta", "z-box", "z");
  store->networks().connect("alpha", "a-box-2", "a2");
  store->networks().connect("alpha", "a-box-1", "a1");
  store->networks().connect("alpha2", "a2-box", "b");

  const auto all = store->networks().list();
  REQUIRE(all.size() == 4);
  CHECK(all[0].name == "alpha");
  CHECK(all[1].name == "alpha2");
  CHECK(all[2].name == "mid");
  CHECK(all[3].name == "zeta");
  for (const auto& n : all) {
    const auto one = store->networks().get(n.name);
    REQUIRE(one.has_value());
    CHECK(n == *one);
  }
  CHECK(all[0].endpoints.size() == 2);
  CHECK(all[1].endpoints.size() == 1);
  CHECK(all[1].endpoints.count("a2-box") == 1);
  CHECK(all[2].endpoints.empty());
  CHECK(all[3].endpoints.size() == 1);
  CHECK(all[3].endpoints.at("z-box").ip_address == "10.90.0.2");
}

TEST_CASE("summaries list every network by name with its endpoints counted", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  CHECK(store->networks().summaries().empty());
  auto web = make_network("web", "10.90.0.0/24", "10.90.0.1");
  web.labels = {{"tier", "front"}};
  store->networks().create(web);
  store->networks().create(make_network("api"));
  store->networks().create(make_network("db", "10.91.0.0/24", "10.91.0.1"));
  store->networks().connect("api", "box-1", "one");
  store->networks().connect("api", "box-2", "two");
  store->networks().connect("db", "box-1", "one");

  const auto summaries = store->networks().summaries();
  const auto records = store->networks().list();
  REQUIRE(summaries.size() == 3);
  REQUIRE(records.size() == 3);
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const st::NetworkSummary expected{
        records[i].name,   records[i].subnet,           records[i].gateway,
        records[i].driver, records[i].endpoints.size(), records[i].created_at};
    CHECK(summaries[i] == expected);
  }
  CHECK(summaries[0].name == "api");
  CHECK(summaries[0].endpoint_count == 2);
  CHECK(summaries[1].endpoint_count == 1);
  CHECK(summaries[2].name == "web");
  CHECK(summaries[2].endpoint_count == 0);
}

TEST_CASE("summaries count each network's own endpoints when names share prefixes",
          "[network][sqlite]") {
  // The counts come from a scan of the endpoints merged with the networks by
  // name: a network without endpoints next to one whose name extends its
  // own, and names that differ in case or punctuation only, must each keep
  // their own count, and an endpoint row whose network is gone (written in
  // the sqlite3 shell with foreign keys off) counts for no network. Each
  // count is checked against get(), which reads one network's endpoints by
  // name.
  TempDir tmp;
  auto store = open_store(tmp);
  const std::vector<std::pair<std::string, std::size_t>> wanted = {
      {"B", 1}, {"a", 0}, {"a-b", 2}, {"a.b", 0}, {"a_b", 1}, {"ab", 3}, {"b", 0}};
  int subnet = 0;
  for (const auto& [name, endpoints] : wanted) {
    const std::string prefix = "10.100." + std::to_string(subnet++) + ".";
    store->networks().create(make_network(name, prefix + "0/24", prefix + "1"));
    for (std::size_t i = 0; i < endpoints; ++i) {
      store->networks().connect(name, "box-" + std::to_string(i), "box" + std::to_string(i));
    }
  }

  // "a0" sorts between "a.b" and "a_b".
  a3s::test::run_sqlite3(
      tmp.path() / "box.db",
      "PRAGMA foreign_keys = OFF; INSERT INTO network_endpoints (network, box_id, box_name, "
      "ip_address, mac_address) VALUES ('a0', 'box-9', 'box9', '10.100.9.2', "
      "'02:42:0a:64:09:02');");

  const auto summaries = store->networks().summaries();
  REQUIRE(summaries.size() == wanted.size());
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    INFO("network " << wanted[i].first);
    CHECK(summaries[i].name == wanted[i].first);  // SQLite's BINARY order
    CHECK(summaries[i].endpoint_count == wanted[i].second);
    CHECK(summaries[i].endpoint_count == store->networks().get(wanted[i].first)->endpoints.size());
  }
}

TEST_CASE("update of a missing network is not_found and creates nothing", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().update(make_network("dev")), st::ErrorCode::not_found,
                      "network 'dev' not found");
  CHECK_FALSE(store->networks().get("dev").has_value());
  CHECK(store->networks().list().empty());
}

TEST_CASE("update replaces the record wholesale", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto before = make_network("dev");
  before.labels = {{"old", "1"}, {"keep", "x"}};
  before.endpoints["box-a"] = make_endpoint("box-a", "10.88.0.2", "02:42:0a:58:00:02");
  before.endpoints["box-b"] = make_endpoint("box-b", "10.88.0.3", "02:42:0a:58:00:03");
  store->networks().create(before);

  auto after = make_network("dev", "10.77.0.0/16", "10.77.0.1");
  after.driver = "macvlan";
  after.labels = {{"new", "2"}};
  after.created_at = "2025-02-02T02:02:02.5+00:00";
  after.endpoints["box-c"] = make_endpoint("box-c", "10.77.3.4", "02:42:0a:4d:03:04");
  after.endpoints["box-c"].aliases = {"c"};
  after.policy.isolation = "strict";
  st::PolicyRule rule;
  rule.to = "box-c";
  rule.ports = {22};
  after.policy.egress = {rule};

  CHECK(store->networks().update(after) == after);
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(*got == after);
  CHECK(got->endpoints.count("box-a") == 0);
  CHECK(got->labels.count("keep") == 0);

  // The removed endpoints really are gone: box-a may connect again.
  CHECK(store->networks().connect("dev", "box-a", "a").ip_address == "10.77.0.2");

  // An invalid update is refused and changes nothing.
  auto bad = after;
  bad.gateway = "10.1.0.1";
  REQUIRE_STORE_ERROR(store->networks().update(bad), st::ErrorCode::invalid_argument,
                      "network 'dev'");
  const auto unchanged = store->networks().get("dev");
  REQUIRE(unchanged.has_value());
  CHECK(unchanged->gateway == "10.77.0.1");
  CHECK(unchanged->endpoints.size() == 2);
}

TEST_CASE("connect gives the first box .2 and the MAC derived from the IP", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  const auto e = store->networks().connect("dev", "box-1", "web", {"app"});
  CHECK(e.box_id == "box-1");
  CHECK(e.box_name == "web");
  CHECK(e.ip_address == "10.88.0.2");
  CHECK(e.mac_address == "02:42:0a:58:00:02");
  CHECK(e.aliases == std::vector<std::string>{"app"});
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  REQUIRE(got->endpoints.size() == 1);
  CHECK(got->endpoints.at("box-1") == e);

  store->networks().create(make_network("corp", "172.16.5.0/24", "172.16.5.1"));
  const auto c = store->networks().connect("corp", "box-1", "web");
  CHECK(c.ip_address == "172.16.5.2");
  CHECK(c.mac_address == "02:42:ac:10:05:02");
}

TEST_CASE("connect hands out the lowest free address, reusing freed ones", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  CHECK(store->networks().connect("dev", "b1", "n1").ip_address == "10.88.0.2");
  CHECK(store->networks().connect("dev", "b2", "n2").ip_address == "10.88.0.3");
  CHECK(store->networks().connect("dev", "b3", "n3").ip_address == "10.88.0.4");
  CHECK(store->networks().disconnect("dev", "b2").ip_address == "10.88.0.3");
  const auto reused = store->networks().connect("dev", "b4", "n4");
  CHECK(reused.ip_address == "10.88.0.3");
  CHECK(reused.mac_address == "02:42:0a:58:00:03");
  CHECK(store->networks().connect("dev", "b5", "n5").ip_address == "10.88.0.5");
  CHECK(store->networks().disconnect("dev", "b1").ip_address == "10.88.0.2");
  CHECK(store->networks().connect("dev", "b2", "n2").ip_address == "10.88.0.2");
}

TEST_CASE("connect fills the gap among endpoints the record was created with", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(preloaded("dev", "10.88.0.0/24", {100}));
  const auto e = store->networks().connect("dev", "new", "n");
  CHECK(e.ip_address == "10.88.0.100");
  CHECK(e.mac_address == "02:42:0a:58:00:64");
  // .255 is the broadcast address of a /24: the network is now full.
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "one-more", "n"), st::ErrorCode::exhausted,
                      "network 'dev'");
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(got->endpoints.size() == 253);
  CHECK(got->endpoints.count("one-more") == 0);
}

TEST_CASE("connect crosses octet boundaries in a larger subnet", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  // In a /23, 10.88.0.255 and 10.88.1.0 are ordinary hosts.
  store->networks().create(preloaded("wide", "10.88.0.0/23", {}));
  const auto a = store->networks().connect("wide", "a", "a");
  CHECK(a.ip_address == "10.88.0.255");
  CHECK(a.mac_address == "02:42:0a:58:00:ff");
  const auto b = store->networks().connect("wide", "b", "b");
  CHECK(b.ip_address == "10.88.1.0");
  CHECK(b.mac_address == "02:42:0a:58:01:00");
}

TEST_CASE("connect never hands out the gateway address", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  // A legacy record whose gateway is not the subnet's address + 1.
  store->networks().create(make_network("odd", "10.88.0.0/24", "10.88.0.2"));
  CHECK(store->networks().connect("odd", "b1", "n").ip_address == "10.88.0.3");
  CHECK(store->networks().connect("odd", "b2", "n").ip_address == "10.88.0.4");
  // With the usual gateway, .1 is never handed out either.
  store->networks().create(make_network("dev", "10.89.0.0/24", "10.89.0.1"));
  CHECK(store->networks().connect("dev", "b1", "n").ip_address == "10.89.0.2");
}

TEST_CASE("a /30 network holds exactly one box, then is exhausted", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("tiny", "10.0.0.0/30", "10.0.0.1"));
  const auto only = store->networks().connect("tiny", "b1", "n1");
  CHECK(only.ip_address == "10.0.0.2");
  CHECK(only.mac_address == "02:42:0a:00:00:02");
  REQUIRE_STORE_ERROR(store->networks().connect("tiny", "b2", "n2"), st::ErrorCode::exhausted,
                      "network 'tiny'");
  // A failed connect writes nothing.
  auto got = store->networks().get("tiny");
  REQUIRE(got.has_value());
  CHECK(got->endpoints.size() == 1);
  // Freeing the address makes room again.
  store->networks().disconnect("tiny", "b1");
  CHECK(store->networks().connect("tiny", "b2", "n2").ip_address == "10.0.0.2");
  REQUIRE_STORE_ERROR(store->networks().connect("tiny", "b3", "n3"), st::ErrorCode::exhausted,
                      "network 'tiny'");
}

TEST_CASE("connecting a box twice is already_exists and keeps its endpoint", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  const auto first = store->networks().connect("dev", "box-1", "web", {"a"});
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "box-1", "other", {"b"}),
                      st::ErrorCode::already_exists, "network 'dev'");
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "box-1", "web"),
                      st::ErrorCode::already_exists, "box-1");
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  REQUIRE(got->endpoints.size() == 1);
  CHECK(got->endpoints.at("box-1") == first);
}

TEST_CASE("connect to an unknown network is not_found", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().connect("nope", "box-1", "web"), st::ErrorCode::not_found,
                      "network 'nope' not found");
  CHECK(store->networks().list().empty());
}

TEST_CASE("connect drops empty aliases and aliases equal to the box name, and nothing else",
          "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  // As 2.4.0: a repeated alias is kept, in its place (no other dedup).
  const auto e =
      store->networks().connect("dev", "box-1", "web", {"", "db", "web", "", "cache", "db"});
  const std::vector<std::string> kept{"db", "cache", "db"};
  CHECK(e.aliases == kept);
  CHECK(st::to_json_text(e) ==
        R"({"box_id":"box-1","box_name":"web","aliases":["db","cache","db"],)"
        R"("ip_address":"10.88.0.2","mac_address":"02:42:0a:58:00:02"})");
  const auto only_dropped = store->networks().connect("dev", "box-2", "api", {"", "api"});
  CHECK(only_dropped.aliases.empty());
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(got->endpoints.at("box-1").aliases == kept);
  CHECK(got->endpoints.at("box-2").aliases.empty());

  // A record carrying repeated aliases is accepted as well, and kept as is.
  auto updated = *got;
  updated.endpoints.at("box-2").aliases = {"x", "x"};
  store->networks().update(updated);
  CHECK(store->networks().get("dev")->endpoints.at("box-2").aliases ==
        std::vector<std::string>{"x", "x"});
}

TEST_CASE("connect refuses invalid box IDs, box names and aliases", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  // Each message names the network and the field at fault, so a box ID
  // reported as a box name (or the other way round) fails here.
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "", "web"), st::ErrorCode::invalid_argument,
                      "network 'dev': box ID");
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "box\n1", "web"),
                      st::ErrorCode::invalid_argument, "network 'dev': box ID");
  REQUIRE_STORE_ERROR(store->networks().connect("dev", std::string(257, 'b'), "web"),
                      st::ErrorCode::invalid_argument, "network 'dev': box ID");
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "box-1", ""),
                      st::ErrorCode::invalid_argument, "network 'dev': box name");
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "box-1", "web\x01"),
                      st::ErrorCode::invalid_argument, "network 'dev': box name");
  REQUIRE_STORE_ERROR(store->networks().connect("dev", "box-1", "web", {"bad\talias"}),
                      st::ErrorCode::invalid_argument, "network 'dev': alias");
  REQUIRE_STORE_ERROR(store->networks().disconnect("dev", "box\n1"),
                      st::ErrorCode::invalid_argument, "network 'dev': box ID");
  REQUIRE_STORE_ERROR(store->networks().connect("a/b", "box-1", "web"),
                      st::ErrorCode::invalid_argument, "'a/b'");
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(got->endpoints.empty());
  // 256 bytes is still fine.
  CHECK(store->networks().connect("dev", std::string(256, 'b'), "web").ip_address == "10.88.0.2");
}

TEST_CASE("disconnect returns the endpoint and frees it", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  const auto e = store->networks().connect("dev", "box-1", "web", {"app"});
  store->networks().connect("dev", "box-2", "api");
  CHECK(store->networks().disconnect("dev", "box-1") == e);
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(got->endpoints.size() == 1);
  CHECK(got->endpoints.count("box-1") == 0);
  CHECK(got->endpoints.count("box-2") == 1);
}

TEST_CASE("disconnect of an unknown box or network is not_found", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("dev"));
  store->networks().connect("dev", "box-1", "web");
  REQUIRE_STORE_ERROR(store->networks().disconnect("dev", "ghost"), st::ErrorCode::not_found,
                      "network 'dev'");
  REQUIRE_STORE_ERROR(store->networks().disconnect("dev", "ghost"), st::ErrorCode::not_found,
                      "ghost");
  REQUIRE_STORE_ERROR(store->networks().disconnect("nope", "box-1"), st::ErrorCode::not_found,
                      "network 'nope' not found");
  store->networks().disconnect("dev", "box-1");
  REQUIRE_STORE_ERROR(store->networks().disconnect("dev", "box-1"), st::ErrorCode::not_found,
                      "network 'dev'");
  // A box connected elsewhere is not connected here.
  store->networks().create(make_network("other", "10.89.0.0/24", "10.89.0.1"));
  store->networks().connect("other", "box-9", "x");
  REQUIRE_STORE_ERROR(store->networks().disconnect("dev", "box-9"), st::ErrorCode::not_found,
                      "network 'dev'");
  CHECK(store->networks().get("other")->endpoints.size() == 1);
}

TEST_CASE("the fixture's networks.json records round-trip through the store", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const auto doc = fixture("networks.json");
  const auto& networks = doc.at("networks");
  REQUIRE(networks.size() == 2);
  std::vector<st::NetworkConfig> decoded;
  for (const auto& [name, record] : networks.items()) {
    CAPTURE(name);
    const auto n = st::network_from_json(record);
    CHECK(n.name == name);
    CHECK(store->networks().create(n) == n);
    const auto got = store->networks().get(name);
    REQUIRE(got.has_value());
    CHECK(*got == n);
    decoded.push_back(n);
  }

  const auto frontend = store->networks().get("frontend");
  REQUIRE(frontend.has_value());
  CHECK(frontend->created_at == "2026-06-17T08:15:30.123456789+00:00");
  CHECK(frontend->labels == st::StringMap{{"team", "web"}});
  REQUIRE(frontend->endpoints.size() == 2);
  CHECK(frontend->endpoints.at("box-a").aliases == std::vector<std::string>{"app"});
  CHECK(frontend->endpoints.at("box-b").aliases.empty());
  CHECK(frontend->endpoints.at("box-b").mac_address == "02:42:0a:58:00:03");

  const auto backend = store->networks().get("backend");
  REQUIRE(backend.has_value());
  CHECK(backend->created_at == "2026-06-18T09:00:00+00:00");
  CHECK(backend->driver == "bridge");
  CHECK(backend->endpoints.empty());
  CHECK(backend->policy == st::NetworkPolicy{});

  // The record's JSON as the store returns it decodes to the same record.
  CHECK(st::network_from_json(st::to_json(*frontend)) == *frontend);

  const auto all = store->networks().list();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "backend");
  CHECK(all[1].name == "frontend");

  // Addresses in imported records are taken: the next box gets .4.
  CHECK(store->networks().connect("frontend", "box-c", "worker").ip_address == "10.88.0.4");
}

TEST_CASE("networks and endpoints persist across reopening the store", "[network]") {
  TempDir tmp;
  st::NetworkConfig stored;
  {
    auto store = open_store(tmp);
    auto n = make_network("dev");
    n.labels = {{"a", "b"}};
    store->networks().create(n);
    store->networks().connect("dev", "box-1", "web", {"app"});
    store->networks().connect("dev", "box-2", "api");
    store->networks().create(make_network("gone", "10.89.0.0/24", "10.89.0.1"));
    store->networks().remove("gone");
    stored = *store->networks().get("dev");
  }
  auto store = open_store(tmp);
  const auto got = store->networks().get("dev");
  REQUIRE(got.has_value());
  CHECK(*got == stored);
  CHECK(got->endpoints.size() == 2);
  CHECK_FALSE(store->networks().get("gone").has_value());
  CHECK(store->networks().list().size() == 1);
  CHECK(store->networks().connect("dev", "box-3", "db").ip_address == "10.88.0.4");
}

TEST_CASE("a row changed outside the store into the wrong shape reads as corrupt",
          "[network][sqlite]") {
  TempDir tmp;
  auto store = open_store(tmp);
  auto n = make_network("dev");
  n.labels = {{"tier", "web"}};
  store->networks().create(n);
  store->networks().connect("dev", "box-1", "web", {"app"});
  store->networks().create(make_network("ok", "10.89.0.0/24", "10.89.0.1"));
  SQLite::Database sql((tmp.path() / "box.db").string(), SQLite::OPEN_READWRITE);

  SECTION("a label value that is not a string") {
    sql.exec(R"(UPDATE networks SET labels = '{"tier": 1}' WHERE name = 'dev')");
    REQUIRE_STORE_ERROR(store->networks().get("dev"), st::ErrorCode::corrupt,
                        "network 'dev': column 'labels'");
    REQUIRE_STORE_ERROR(store->networks().list(), st::ErrorCode::corrupt, "network 'dev'");
  }
  SECTION("an alias that is not a string") {
    sql.exec(R"(UPDATE network_endpoints SET aliases = '["app", 2]' WHERE box_id = 'box-1')");
    REQUIRE_STORE_ERROR(store->networks().get("dev"), st::ErrorCode::corrupt,
                        "network 'dev': column 'aliases'");
    REQUIRE_STORE_ERROR(store->networks().disconnect("dev", "box-1"), st::ErrorCode::corrupt,
                        "column 'aliases'");
    // The failed disconnect wrote nothing.
    CHECK(
        sql.execAndGet("SELECT count(*) FROM network_endpoints WHERE box_id = 'box-1'").getInt() ==
        1);
  }
  SECTION("a policy rule of the wrong type") {
    sql.exec(R"(UPDATE networks SET policy = '{"isolation": "custom", "ingress": [7]}')"
             R"( WHERE name = 'dev')");
    REQUIRE_STORE_ERROR(store->networks().get("dev"), st::ErrorCode::corrupt,
                        "network 'dev': field 'policy.ingress[0]'");
  }
  // The other record reads as before.
  CHECK(store->networks().get("ok") == make_network("ok", "10.89.0.0/24", "10.89.0.1"));
}

TEST_CASE("eight threads sharing one Store connect 160 boxes without a clash",
          "[network][concurrency]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("shared"));
  constexpr int kThreads = 8;
  constexpr int kBoxesPerThread = 20;

  std::mutex mutex;
  std::vector<std::string> errors;
  std::map<std::string, std::string> returned;  // box_id -> ip
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBoxesPerThread; ++b) {
        const std::string box = "t" + std::to_string(t) + "-b" + std::to_string(b);
        try {
          const auto e = store->networks().connect("shared", box, "name-" + box);
          std::lock_guard lock(mutex);
          returned[box] = e.ip_address;
        } catch (const std::exception& ex) {
          std::lock_guard lock(mutex);
          errors.push_back(box + ": " + ex.what());
        }
      }
    });
  }
  for (auto& th : threads) th.join();

  CAPTURE(errors);
  CHECK(errors.empty());
  const auto got = store->networks().get("shared");
  REQUIRE(got.has_value());
  REQUIRE(got->endpoints.size() == kThreads * kBoxesPerThread);
  std::set<std::string> ips;
  for (const auto& [box, e] : got->endpoints) {
    ips.insert(e.ip_address);
    CHECK(returned.at(box) == e.ip_address);
  }
  CHECK(ips.size() == kThreads * kBoxesPerThread);
  // No address freed, so the lowest 160 were handed out: .2 .. .161.
  std::set<std::string> expected;
  for (int host = 2; host < 2 + kThreads * kBoxesPerThread; ++host) {
    expected.insert("10.88.0." + std::to_string(host));
  }
  CHECK(ips == expected);
}

TEST_CASE("create derives an empty gateway from the subnet's address as written",
          "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const auto plain = store->networks().create(make_network("plain", "10.88.0.0/24", ""));
  CHECK(plain.gateway == "10.88.0.1");
  // Host bits are kept, as 2.4.0 keeps them: the gateway is the address + 1.
  const auto odd = store->networks().create(make_network("odd", "10.89.0.5/24", ""));
  CHECK(odd.subnet == "10.89.0.5/24");
  CHECK(odd.gateway == "10.89.0.6");
  // What create returned is what was stored.
  CHECK(store->networks().get("plain")->gateway == "10.88.0.1");
  CHECK(store->networks().get("odd")->gateway == "10.89.0.6");
}

TEST_CASE("connect on a subnet with host bits counts from the address as written",
          "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  store->networks().create(make_network("odd", "10.88.0.5/24", ""));
  const auto e = store->networks().connect("odd", "b1", "n1");
  CHECK(e.ip_address == "10.88.0.7");
  CHECK(e.mac_address == "02:42:0a:58:00:07");
  CHECK(store->networks().connect("odd", "b2", "n2").ip_address == "10.88.0.8");
}

TEST_CASE("create keeps an explicit gateway", "[network][ipam]") {
  TempDir tmp;
  auto store = open_store(tmp);
  const auto created = store->networks().create(make_network("dev", "10.88.0.5/24", "10.88.0.7"));
  CHECK(created.gateway == "10.88.0.7");
  CHECK(store->networks().get("dev")->gateway == "10.88.0.7");
  // Addresses still count from the subnet's address, skipping the gateway.
  CHECK(store->networks().connect("dev", "b1", "n1").ip_address == "10.88.0.8");
  CHECK(store->networks().connect("dev", "b2", "n2").ip_address == "10.88.0.9");
}

TEST_CASE("create with an empty gateway still reports a bad subnet", "[network]") {
  TempDir tmp;
  auto store = open_store(tmp);
  REQUIRE_STORE_ERROR(store->networks().create(make_network("dev", "10.88.0.0/31", "")),
                      st::ErrorCode::invalid_argument, "subnet");
  CHECK_FALSE(store->networks().get("dev").has_value());
}

TEST_CASE("subnet_has_host_bits tells a subnet written with host bits", "[network]") {
  CHECK(st::subnet_has_host_bits("10.88.0.5/24"));
  CHECK(st::subnet_has_host_bits("172.16.0.1/16"));
  CHECK_FALSE(st::subnet_has_host_bits("10.88.0.0/24"));
  CHECK_FALSE(st::subnet_has_host_bits("10.88.0.0/16"));
  CHECK_FALSE(st::subnet_has_host_bits("10.88.0.5/31"));  // refused by create
  CHECK_FALSE(st::subnet_has_host_bits("abc"));
}
