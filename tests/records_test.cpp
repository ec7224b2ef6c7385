// The record JSON codec and input validation (SPEC §3, §4): what the runtime
// and the C API rely on when they hand records over as JSON.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "ipv4.hpp"
#include "record_json.hpp"
#include "rfc3339.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace {

using a3s::store::Error;
using a3s::store::ErrorCode;
using a3s::test::fixture;
using Catch::Matchers::Contains;
using nlohmann::json;
namespace store = a3s::store;
namespace chr = std::chrono;

// The message of the invalid_argument Error that `f` throws; fails the test
// if `f` succeeds or throws anything else.
std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid_argument);
    return e.what();
  }
  FAIL("not refused");
  return {};
}

json valid_network() {
  return {{"name", "dev"},
          {"subnet", "10.88.0.0/24"},
          {"gateway", "10.88.0.1"},
          {"created_at", "2026-06-17T08:15:30+00:00"},
          {"endpoints",
           {{"box-a",
             {{"box_id", "box-a"},
              {"box_name", "web"},
              {"ip_address", "10.88.0.2"},
              {"mac_address", "02:42:0a:58:00:02"}}}}}};
}

json valid_volume() {
  return {{"name", "x"}, {"mount_point", "/home/u/.a3s/volumes/x"}, {"created_at", "2026-01-01"}};
}

json valid_snapshot() {
  return {{"id", "snap"},
          {"name", "n"},
          {"source_box_id", "box-1"},
          {"image", "alpine:latest"},
          {"vcpus", 1},
          {"memory_mb", 256},
          {"volumes", json::array()},
          {"env", json::object()},
          {"cmd", json::array()}};
}

json valid_image() {
  return {{"reference", "docker.io/library/alpine:latest"},
          {"digest", "sha256:" + std::string(64, 'a')},
          {"size_bytes", 1},
          {"pulled_at", "2026-01-01T00:00:00Z"},
          {"last_used", "2026-01-01T00:00:00Z"},
          {"path", "/images/sha256/aaa"}};
}

// The instant `since_epoch` after 1970-01-01T00:00:00Z (before it when
// negative).
store::Timestamp at(chr::nanoseconds since_epoch) {
  return store::Timestamp{store::Timestamp::SysTime{since_epoch}};
}

// A record's JSON as a plain json value, which compares regardless of the
// fields' order (the order has tests of its own, on the text).
template <class Record>
json as_json(const Record& r) {
  return store::to_json(r);
}

}  // namespace

// ---------------------------------------------------------------------------
// Fixtures: what the 2.4.0 runtime wrote decodes, and encodes back the same.

TEST_CASE("networks.json records round-trip", "[records][fixtures]") {
  const json networks = fixture("networks.json")["networks"];
  REQUIRE(networks.size() == 2);
  for (const auto& [name, j] : networks.items()) {
    INFO(name);
    const auto decoded = store::network_from_json(j);
    CHECK(decoded.name == name);
    const json encoded = as_json(decoded);
    CHECK(store::network_from_json(encoded) == decoded);
    CHECK(encoded["created_at"] == j["created_at"]);  // string time: verbatim
  }

  // Equal to the fixture except for the one defaulted field it omits.
  json expected = networks["frontend"];
  expected["endpoints"]["box-b"]["aliases"] = json::array();
  CHECK(as_json(store::network_from_json(networks["frontend"])) == expected);

  const auto frontend = store::network_from_json(networks["frontend"]);
  CHECK(frontend.endpoints.at("box-a").aliases == std::vector<std::string>{"app"});
  CHECK(frontend.created_at == "2026-06-17T08:15:30.123456789+00:00");
}

TEST_CASE("a network missing optional fields takes serde's defaults", "[records][defaults]") {
  const json backend = fixture("networks.json")["networks"]["backend"];
  const auto n = store::network_from_json(backend);
  CHECK(n.driver == "bridge");
  CHECK(n.labels.empty());
  CHECK(n.endpoints.empty());
  CHECK(n.policy == store::NetworkPolicy{});
  CHECK(n.policy.isolation == "none");

  json expected = backend;
  expected["driver"] = "bridge";
  expected["labels"] = json::object();
  expected["endpoints"] = json::object();
  expected["policy"] = {
      {"isolation", "none"}, {"ingress", json::array()}, {"egress", json::array()}};
  CHECK(as_json(n) == expected);
}

TEST_CASE("a policy rule missing fields takes serde's defaults", "[records][defaults]") {
  json j = valid_network();
  j["policy"] = {{"isolation", "custom"}, {"ingress", {json::object()}}};
  const auto n = store::network_from_json(j);
  CHECK(n.policy.isolation == "custom");
  REQUIRE(n.policy.ingress.size() == 1);
  CHECK(n.policy.ingress[0] == store::PolicyRule{});
  CHECK(n.policy.ingress[0].from == "*");
  CHECK(n.policy.ingress[0].to == "*");
  CHECK(n.policy.ingress[0].protocol == "any");
  CHECK(n.policy.ingress[0].action == "allow");
  CHECK(n.policy.egress.empty());
  CHECK(as_json(n)["policy"]["ingress"][0] == json{{"from", "*"},
                                                   {"to", "*"},
                                                   {"ports", json::array()},
                                                   {"protocol", "any"},
                                                   {"action", "allow"}});
}

TEST_CASE("volumes.json records round-trip", "[records][fixtures]") {
  const json volumes = fixture("volumes.json")["volumes"];
  REQUIRE(volumes.size() == 3);
  for (const auto& [name, j] : volumes.items()) {
    INFO(name);
    const auto decoded = store::volume_from_json(j);
    CHECK(decoded.name == name);
    const json encoded = as_json(decoded);
    CHECK(store::volume_from_json(encoded) == decoded);
    CHECK(encoded["created_at"] == j["created_at"]);
  }
  CHECK(as_json(store::volume_from_json(volumes["pgdata"])) == volumes["pgdata"]);
  CHECK(as_json(store::volume_from_json(volumes["logs"])) == volumes["logs"]);
  CHECK(store::volume_from_json(volumes["pgdata"]).size_limit == 10737418240ULL);
}

TEST_CASE("a volume missing optional fields takes serde's defaults", "[records][defaults]") {
  const json cache = fixture("volumes.json")["volumes"]["cache"];
  const auto v = store::volume_from_json(cache);
  CHECK(v.driver == "local");
  CHECK(v.labels.empty());
  CHECK(v.in_use_by.empty());
  CHECK(v.size_limit == 0);

  json expected = cache;
  expected["driver"] = "local";
  expected["labels"] = json::object();
  expected["in_use_by"] = json::array();
  expected["size_limit"] = 0;
  CHECK(as_json(v) == expected);
}

TEST_CASE("images/index.json records round-trip", "[records][fixtures]") {
  const json images = fixture("images/index.json")["images"];
  REQUIRE(images.size() == 3);
  for (const auto& j : images) {
    INFO(j.dump());
    const auto decoded = store::image_from_json(j);
    CHECK(store::image_from_json(as_json(decoded)) == decoded);
    json expected = j;
    // The fixture writes "...00.5Z"; chrono writes the fraction in 3, 6 or 9 digits.
    for (const char* key : {"pulled_at", "last_used"}) {
      if (expected[key] == "2026-06-16T08:00:00.5Z") expected[key] = "2026-06-16T08:00:00.500Z";
    }
    CHECK(as_json(decoded) == expected);
  }
  const auto alpine = store::image_from_json(images[2]);
  CHECK(alpine.pulled_at == store::parse_rfc3339("2026-06-16T08:00:00.500Z", "pulled_at"));
}

TEST_CASE("snapshot metadata.json records round-trip", "[records][fixtures]") {
  for (const char* id : {"snap-001", "snap-002"}) {
    INFO(id);
    const json j = fixture(std::string("snapshots/") + id + "/metadata.json");
    const auto decoded = store::snapshot_from_json(j);
    CHECK(decoded.id == id);
    CHECK(store::snapshot_from_json(as_json(decoded)) == decoded);
  }

  const json snap1 = fixture("snapshots/snap-001/metadata.json");
  json expected = snap1;
  expected["healthcheck_disabled"] = false;  // written always since schema v2
  const json encoded = as_json(store::snapshot_from_json(snap1));
  CHECK(encoded == expected);
  CHECK_FALSE(encoded.contains("image_config"));
  CHECK_FALSE(encoded.contains("health_check"));
}

TEST_CASE("a snapshot missing optional fields takes serde's defaults", "[records][defaults]") {
  const auto s = store::snapshot_from_json(fixture("snapshots/snap-002/metadata.json"));
  CHECK_FALSE(s.entrypoint);
  CHECK_FALSE(s.workdir);
  CHECK_FALSE(s.network_mode);
  CHECK_FALSE(s.rootfs_cache_key);
  CHECK(s.port_map.empty());
  CHECK(s.labels.empty());
  CHECK(s.size_bytes == 0);
  CHECK(s.created_at == store::Timestamp{});
  CHECK(s.description.empty());
  CHECK_FALSE(s.image_config);
  CHECK_FALSE(s.health_check);
  CHECK_FALSE(s.healthcheck_disabled);

  const json j = as_json(s);
  // Option::None is written as null; the v2 objects are omitted.
  CHECK(j.at("entrypoint").is_null());
  CHECK(j.at("workdir").is_null());
  CHECK(j.at("network_mode").is_null());
  CHECK(j.at("rootfs_cache_key").is_null());
  CHECK(j.at("created_at") == "1970-01-01T00:00:00Z");
  CHECK(j.at("description") == "");
  CHECK(j.at("size_bytes") == 0);
  CHECK(j.at("port_map") == json::array());
  CHECK(j.at("labels") == json::object());
  CHECK(j.at("healthcheck_disabled") == false);
  CHECK_FALSE(j.contains("image_config"));
  CHECK_FALSE(j.contains("health_check"));
}

TEST_CASE("null optional snapshot fields read as absent", "[records][defaults]") {
  json j = valid_snapshot();
  for (const char* key : {"entrypoint", "workdir", "network_mode", "rootfs_cache_key",
                          "image_config", "health_check"}) {
    j[key] = nullptr;
  }
  const auto s = store::snapshot_from_json(j);
  CHECK_FALSE(s.entrypoint);
  CHECK_FALSE(s.workdir);
  CHECK_FALSE(s.image_config);
  CHECK_FALSE(s.health_check);
}

TEST_CASE("schema v2 snapshot fields are kept verbatim", "[records]") {
  json j = valid_snapshot();
  j["image_config"] = {{"Env", {"PATH=/bin"}}, {"Labels", {{"a", "b"}}}, {"nested", {{"x", 1.5}}}};
  j["health_check"] = {{"test", {"CMD", "true"}}, {"interval", 30}};
  j["healthcheck_disabled"] = true;
  const auto s = store::snapshot_from_json(j);
  REQUIRE(s.image_config);
  CHECK(*s.image_config == j["image_config"].dump());  // the compact text
  REQUIRE(s.health_check);
  CHECK(*s.health_check == j["health_check"].dump());
  CHECK(s.healthcheck_disabled);
  const json encoded = as_json(s);
  CHECK(encoded["image_config"] == j["image_config"]);
  CHECK(encoded["health_check"] == j["health_check"]);
  CHECK(store::snapshot_from_json(encoded) == s);
  CHECK(store::snapshot_from_json_text(store::to_json_text(s)) == s);

  j["image_config"] = json::array();
  CHECK_THAT(refusal([&] { store::snapshot_from_json(j); }),
             Contains("field 'image_config' must be an object"));

  // Text set by hand is checked by validate() and encoded as its value.
  auto by_hand = s;
  by_hand.image_config = " {\"b\": [1, 2], \"a\": {}}\n";
  CHECK_NOTHROW(store::validate(by_hand));
  CHECK(as_json(by_hand)["image_config"] == json{{"a", json::object()}, {"b", {1, 2}}});
  for (const char* bad : {"", "[]", "null", "{\"a\": 1", "{} {}", "\xef\xbb\xbf{}"}) {
    by_hand.image_config = bad;
    CAPTURE(bad);
    CHECK_THAT(refusal([&] { store::validate(by_hand); }),
               Contains("field 'image_config' must be the JSON text of an object"));
    CHECK_THAT(refusal([&] { store::to_json_text(by_hand); }),
               Contains("field 'image_config' must be the JSON text of an object"));
  }
  by_hand.image_config = R"({"a": "\u0000"})";
  CHECK_THAT(refusal([&] { store::validate(by_hand); }),
             Contains("field 'image_config' must not contain NUL"));
  by_hand.image_config = "{" + std::string(1 << 20, ' ') + "}";
  CHECK_THAT(refusal([&] { store::validate(by_hand); }),
             Contains("field 'image_config' must be at most 1 MiB of JSON"));
}

TEST_CASE("the codec reads and writes JSON text", "[records]") {
  const json network = valid_network();
  const auto n = store::network_from_json_text(network.dump());
  CHECK(n == store::network_from_json(network));
  CHECK(json::parse(store::to_json_text(n)) == as_json(n));
  CHECK(store::network_from_json_text(store::to_json_text(n)) == n);

  const auto v = store::volume_from_json_text(valid_volume().dump());
  CHECK(store::volume_from_json_text(store::to_json_text(v)) == v);
  const auto i = store::image_from_json_text(valid_image().dump());
  CHECK(store::image_from_json_text(store::to_json_text(i)) == i);
  const auto e = store::endpoint_from_json_text(network["endpoints"]["box-a"].dump());
  CHECK(store::endpoint_from_json_text(store::to_json_text(e)) == e);

  CHECK_THAT(refusal([] { store::network_from_json_text(R"({"name": "dev",)"); }),
             Contains("network: not valid JSON"));
  CHECK_THAT(refusal([] { store::volume_from_json_text("{} x"); }),
             Contains("volume: not valid JSON"));
  CHECK_THAT(refusal([] { store::image_from_json_text("[]"); }),
             Contains("image: must be a JSON object"));
}

// ---------------------------------------------------------------------------
// Field order and fields named twice, as serde writes and reads them.

TEST_CASE("records are written with their fields in the runtime's order", "[records][order]") {
  // Read in another order; maps come out sorted by key.
  const auto n = store::network_from_json_text(
      R"({"policy":{"egress":[],"ingress":[{"action":"deny","protocol":"tcp","ports":[443,80],)"
      R"("from":"10.0.0.0/8"}],"isolation":"custom"},"created_at":"2026-06-17T08:15:30+00:00",)"
      R"("endpoints":{"box-b":{"mac_address":"02:42:0a:58:00:03","ip_address":"10.88.0.3",)"
      R"("box_name":"db","box_id":"box-b"},"box-a":{"mac_address":"02:42:0a:58:00:02",)"
      R"("ip_address":"10.88.0.2","aliases":["www"],"box_name":"web","box_id":"box-a"}},)"
      R"("labels":{"b":"2","a":"1"},"gateway":"10.88.0.1","subnet":"10.88.0.0/24","name":"dev"})");
  CHECK(store::to_json_text(n) ==
        R"({"name":"dev","subnet":"10.88.0.0/24","gateway":"10.88.0.1","driver":"bridge",)"
        R"("labels":{"a":"1","b":"2"},"endpoints":{"box-a":{"box_id":"box-a","box_name":"web",)"
        R"("aliases":["www"],"ip_address":"10.88.0.2","mac_address":"02:42:0a:58:00:02"},)"
        R"("box-b":{"box_id":"box-b","box_name":"db","aliases":[],"ip_address":"10.88.0.3",)"
        R"("mac_address":"02:42:0a:58:00:03"}},"created_at":"2026-06-17T08:15:30+00:00",)"
        R"("policy":{"isolation":"custom","ingress":[{"from":"10.0.0.0/8","to":"*",)"
        R"("ports":[443,80],"protocol":"tcp","action":"deny"}],"egress":[]}})");
  CHECK(store::to_json_text(n.endpoints.at("box-b")) ==
        R"({"box_id":"box-b","box_name":"db","aliases":[],"ip_address":"10.88.0.3",)"
        R"("mac_address":"02:42:0a:58:00:03"})");

  const auto v = store::volume_from_json_text(
      R"({"created_at":"2026-01-01","size_limit":5,"in_use_by":["b","a"],"labels":{"k":"v"},)"
      R"("mount_point":"/m","driver":"local","name":"x"})");
  CHECK(store::to_json_text(v) ==
        R"({"name":"x","driver":"local","mount_point":"/m","labels":{"k":"v"},)"
        R"("in_use_by":["b","a"],"size_limit":5,"created_at":"2026-01-01"})");

  const std::string digest = "sha256:" + std::string(64, 'a');
  const auto i = store::image_from_json_text(
      R"({"path":"/p","last_used":"2024-01-01T00:00:00Z","pulled_at":"2024-01-01T00:00:00Z",)"
      R"("size_bytes":1,"digest":")" +
      digest + R"(","reference":"r"})");
  CHECK(store::to_json_text(i) == R"({"reference":"r","digest":")" + digest +
                                      R"(","size_bytes":1,"pulled_at":"2024-01-01T00:00:00Z",)"
                                      R"("last_used":"2024-01-01T00:00:00Z","path":"/p"})");

  // The three fields of schema version 2 sit after workdir; the objects are
  // omitted when absent, and their own keys come out sorted, as serde_json's.
  auto s = store::snapshot_from_json(valid_snapshot());
  s.env = {{"B", "2"}, {"A", "1"}};
  s.created_at = store::parse_rfc3339("2024-01-01T00:00:00.1Z", "t");
  const std::string head =
      R"({"id":"snap","name":"n","source_box_id":"box-1","image":"alpine:latest","vcpus":1,)"
      R"("memory_mb":256,"volumes":[],"env":{"A":"1","B":"2"},"cmd":[],"entrypoint":null,)"
      R"("workdir":null,)";
  const std::string tail =
      R"("port_map":[],"labels":{},"network_mode":null,"rootfs_cache_key":null,)"
      R"("size_bytes":0,"created_at":"2024-01-01T00:00:00.100Z","description":""})";
  CHECK(store::to_json_text(s) == head + R"("healthcheck_disabled":false,)" + tail);
  s.image_config = R"({"z":1,"a":{"y":2,"b":3}})";
  s.health_check = "{}";
  s.healthcheck_disabled = true;
  CHECK(store::to_json_text(s) == head +
                                      R"("image_config":{"a":{"b":3,"y":2},"z":1},)"
                                      R"("health_check":{},"healthcheck_disabled":true,)" +
                                      tail);
}

TEST_CASE("a record naming one field twice is refused, as serde refuses it",
          "[records][duplicates]") {
  const auto network_with = [](const std::string& inside) {
    return R"({"name":"dev","subnet":"10.88.0.0/24","gateway":"10.88.0.1",)"
           R"("created_at":"2026-01-01",)" +
           inside + "}";
  };
  CHECK(refusal([&] {
          store::network_from_json_text(network_with(R"("subnet":"10.88.0.0/24")"));
        }) == "network: field 'subnet' is named twice");
  CHECK(refusal([&] {
          store::network_from_json_text(
              network_with(R"("policy":{"isolation":"none","isolation":"strict"})"));
        }) == "network: field 'policy.isolation' is named twice");
  CHECK(refusal([&] {
          store::network_from_json_text(network_with(
              R"("policy":{"ingress":[{},{"action":"deny","ports":[1],"action":"deny"}]})"));
        }) == "network: field 'policy.ingress[1].action' is named twice");
  CHECK(refusal([&] {
          store::network_from_json_text(network_with(
              R"("endpoints":{"box-a":{"box_id":"box-a","box_id":"box-a","box_name":"web",)"
              R"("ip_address":"10.88.0.2","mac_address":"02:42:0a:58:00:02"}})"));
        }) == "network: field 'endpoints[box-a].box_id' is named twice");
  CHECK(refusal([] {
          store::volume_from_json_text(R"({"name":"x","mount_point":"/m","created_at":"t",)"
                                       R"("labels":{},"labels":{}})");
        }) == "volume: field 'labels' is named twice");
  CHECK(refusal([] {
          store::endpoint_from_json_text(R"({"box_id":"a","box_name":"b","aliases":[],)"
                                         R"("aliases":[],"ip_address":"10.0.0.2",)"
                                         R"("mac_address":"m"})");
        }) == "endpoint: field 'aliases' is named twice");
  json s = valid_snapshot();
  std::string text = s.dump();
  text.insert(1, R"("image_config":{},"image_config":{},)");
  CHECK(refusal([&] { store::snapshot_from_json_text(text); }) ==
        "snapshot: field 'image_config' is named twice");
  text = valid_image().dump();
  text.insert(1, R"("size_bytes":1,)");
  CHECK(refusal([&] { store::image_from_json_text(text); }) ==
        "image: field 'size_bytes' is named twice");

  // A field no record declares is skipped whole, as serde skips it: named
  // twice, or holding an object that names a key twice, it is no error.
  text = valid_image().dump();
  text.insert(1, R"("later":{"a":{"b":1,"b":2},"a":3},"later":[],)");
  CHECK(store::image_from_json_text(text) == store::image_from_json(valid_image()));
}

TEST_CASE("a repeated key in a map or a free JSON object keeps its last value",
          "[records][duplicates]") {
  const auto n = store::network_from_json_text(
      R"({"name":"dev","subnet":"10.88.0.0/24","gateway":"10.88.0.1","created_at":"t",)"
      R"("labels":{"team":"a","team":"b"},"endpoints":{)"
      R"("box-a":{"box_id":"box-a","box_name":"web","ip_address":"10.88.0.2","mac_address":"m"},)"
      R"("box-a":{"box_id":"box-a","box_name":"api","ip_address":"10.88.0.3","mac_address":"m"}}})");
  CHECK(n.labels == store::StringMap{{"team", "b"}});
  REQUIRE(n.endpoints.size() == 1);
  CHECK(n.endpoints.at("box-a").box_name == "api");
  CHECK(n.endpoints.at("box-a").ip_address == "10.88.0.3");

  std::string text = valid_snapshot().dump();
  text.insert(1, R"("labels":{"k":"1","k":"2"},"image_config":{"a":1,"a":{"x":1,"x":2}},)"
                 R"("health_check":{"t":[{"u":1,"u":2}],"t":[]},)");
  text.replace(text.find(R"("env":{})"), 8, R"("env":{"A":"1","A":"2"})");
  const auto s = store::snapshot_from_json_text(text);
  CHECK(s.labels == store::StringMap{{"k", "2"}});
  CHECK(s.env == store::StringMap{{"A", "2"}});
  CHECK(s.image_config == std::optional<std::string>(R"({"a":{"x":2}})"));
  CHECK(s.health_check == std::optional<std::string>(R"({"t":[]})"));
}

TEST_CASE("the text parser reads the legacy files' wrappers", "[records][duplicates]") {
  using a3s::store::detail::parse_json_text;
  const std::string dev =
      R"({"name":"dev","subnet":"10.88.0.0/24","gateway":"10.88.0.1","created_at":"t"})";
  const json networks =
      parse_json_text(R"({"networks":{"dev":{"name":"old"},"dev":)" + dev + "}}", "networks.json");
  CHECK(store::network_from_json(networks.at("networks").at("dev")).name == "dev");
  CHECK(refusal([&] {
          parse_json_text(R"({"networks":{"dev":{"name":"dev","name":"dev"}}})", "networks.json");
        }) == "networks.json: field 'networks[dev].name' is named twice");
  CHECK(refusal([&] { parse_json_text(R"({"networks":{},"networks":{}})", "networks.json"); }) ==
        "networks.json: field 'networks' is named twice");
  CHECK(parse_json_text(R"({"volumes":{"x":1,"x":2}})", "volumes.json") ==
        json{{"volumes", {{"x", 2}}}});
  CHECK(refusal([&] {
          parse_json_text(R"({"images":[{"path":"a"},{"path":"a","path":"b"}]})", "index.json");
        }) == "index.json: field 'images[1].path' is named twice");
  CHECK_THAT(refusal([&] { parse_json_text(R"({"a":)", "index.json"); }),
             Contains("index.json: not valid JSON"));
}

TEST_CASE("unknown fields are ignored", "[records]") {
  json n = valid_network();
  n["future_field"] = {{"anything", 1}};
  n["endpoints"]["box-a"]["extra"] = true;
  n["policy"] = {
      {"isolation", "strict"}, {"ingress", {{{"action", "deny"}, {"new", 1}}}}, {"x", 2}};
  const auto network = store::network_from_json(n);
  CHECK(network.policy.ingress.at(0).action == "deny");
  CHECK_FALSE(as_json(network).contains("future_field"));

  json v = valid_volume();
  v["mystery"] = "value";
  CHECK(store::volume_from_json(v).name == "x");
  json s = valid_snapshot();
  s["later"] = json::array();
  CHECK(store::snapshot_from_json(s).id == "snap");
  json i = valid_image();
  i["annotations"] = json::object();
  CHECK(store::image_from_json(i).size_bytes == 1);
}

// ---------------------------------------------------------------------------
// Refusals: required fields, types, ranges.

TEST_CASE("each missing required field is refused, naming it", "[records][required]") {
  const auto check_required = [](const json& valid, std::initializer_list<const char*> fields,
                                 const std::function<void(const json&)>& decode) {
    decode(valid);  // the base record is fine
    for (const char* field : fields) {
      INFO(field);
      json j = valid;
      j.erase(field);
      CHECK_THAT(refusal([&] { decode(j); }),
                 Contains(std::string("field '") + field + "' is required"));
    }
  };
  check_required(valid_network(), {"name", "subnet", "gateway", "created_at"},
                 [](const json& j) { store::network_from_json(j); });
  check_required(valid_volume(), {"name", "mount_point", "created_at"},
                 [](const json& j) { store::volume_from_json(j); });
  check_required(
      valid_snapshot(),
      {"id", "name", "source_box_id", "image", "vcpus", "memory_mb", "volumes", "env", "cmd"},
      [](const json& j) { store::snapshot_from_json(j); });
  check_required(valid_image(),
                 {"reference", "digest", "size_bytes", "pulled_at", "last_used", "path"},
                 [](const json& j) { store::image_from_json(j); });
  check_required(valid_network()["endpoints"]["box-a"],
                 {"box_id", "box_name", "ip_address", "mac_address"},
                 [](const json& j) { store::endpoint_from_json(j); });
}

TEST_CASE("a refusal names the record it is about", "[records][required]") {
  json n = valid_network();
  n.erase("subnet");
  CHECK(refusal([&] { store::network_from_json(n); }) ==
        "network 'dev': field 'subnet' is required");
  json e = valid_network();
  e["endpoints"]["box-a"].erase("ip_address");
  CHECK(refusal([&] { store::network_from_json(e); }) ==
        "network 'dev': field 'endpoints[box-a].ip_address' is required");
  json s = valid_snapshot();
  s.erase("cmd");
  CHECK(refusal([&] { store::snapshot_from_json(s); }) ==
        "snapshot 'snap': field 'cmd' is required");
  json i = valid_image();
  i.erase("digest");
  CHECK(refusal([&] { store::image_from_json(i); }) ==
        "image 'docker.io/library/alpine:latest': field 'digest' is required");
  CHECK_THAT(refusal([] { store::volume_from_json(json::array()); }),
             Contains("volume: must be a JSON object"));
}

TEST_CASE("fields of the wrong type are refused", "[records][types]") {
  json n = valid_network();
  n["driver"] = nullptr;  // not an Option in Rust: null is not "missing"
  CHECK_THAT(refusal([&] { store::network_from_json(n); }),
             Contains("field 'driver' must be a string"));
  n = valid_network();
  n["labels"] = {{"team", 5}};
  CHECK_THAT(refusal([&] { store::network_from_json(n); }),
             Contains("field 'labels[team]' must be a string"));
  json s = valid_snapshot();
  s["cmd"] = "sh -c true";
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("field 'cmd' must be an array"));
  s = valid_snapshot();
  s["healthcheck_disabled"] = "yes";
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("field 'healthcheck_disabled' must be a boolean"));
  s = valid_snapshot();
  s["created_at"] = "yesterday";
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("field 'created_at' must be an RFC 3339 timestamp"));
}

TEST_CASE("u64 fields take the full range and nothing else", "[records][integers]") {
  json v = valid_volume();
  v["size_limit"] = std::numeric_limits<std::uint64_t>::max();
  const auto volume = store::volume_from_json(v);
  CHECK(volume.size_limit == 18446744073709551615ULL);
  CHECK(as_json(volume)["size_limit"].dump() == "18446744073709551615");

  const auto parsed = store::volume_from_json(json::parse(
      R"({"name":"x","mount_point":"/m","created_at":"t","size_limit":18446744073709551615})"));
  CHECK(parsed.size_limit == 18446744073709551615ULL);
  CHECK(store::volume_from_json(as_json(parsed)) == parsed);

  for (const char* bad : {"-1", "1.5", "18446744073709551616", "1e3", "\"1\"", "true"}) {
    INFO(bad);
    const json j = json::parse(
        std::string(R"({"name":"x","mount_point":"/m","created_at":"t","size_limit":)") + bad +
        "}");
    CHECK(refusal([&] { store::volume_from_json(j); }) ==
          "volume 'x': field 'size_limit' must be an unsigned 64-bit integer");
  }
}

TEST_CASE("u32 and u16 fields refuse values past their range", "[records][integers]") {
  json s = valid_snapshot();
  s["vcpus"] = 4294967295ULL;
  CHECK(store::snapshot_from_json(s).vcpus == 4294967295U);
  s["vcpus"] = 4294967296ULL;
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("field 'vcpus' must be an unsigned 32-bit integer"));
  s = valid_snapshot();
  s["memory_mb"] = -512;
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("field 'memory_mb' must be an unsigned 32-bit integer"));

  json n = valid_network();
  n["policy"] = {{"ingress", {{{"ports", {80, 65535}}}}}};
  CHECK(store::network_from_json(n).policy.ingress.at(0).ports ==
        std::vector<std::uint16_t>{80, 65535});
  n["policy"] = {{"ingress", {{{"ports", {80, 65536}}}}}};
  CHECK_THAT(refusal([&] { store::network_from_json(n); }),
             Contains("field 'policy.ingress[0].ports[1]' must be an unsigned 16-bit integer"));
}

// ---------------------------------------------------------------------------
// Timestamps

TEST_CASE("RFC 3339 timestamps parse in every valid form", "[records][time]") {
  const auto parse = [](std::string_view text) { return store::parse_rfc3339(text, "t"); };
  const chr::nanoseconds midnight = chr::seconds{1704067200};  // 2024-01-01T00:00:00Z
  CHECK(parse("2024-01-01T00:00:00Z") == at(midnight));
  CHECK(parse("2024-01-01t00:00:00z") == at(midnight));
  CHECK(parse("2024-01-01T00:00:00+00:00") == at(midnight));
  CHECK(parse("2024-01-01T02:00:00+02:00") == at(midnight));
  CHECK(parse("2023-12-31T22:30:00-01:30") == at(midnight));
  CHECK(parse("2024-01-01T00:00:00.123456789+00:00") == at(midnight + chr::nanoseconds{123456789}));
  CHECK(parse("2024-01-01T00:00:00.5Z") == at(midnight + chr::milliseconds{500}));
  CHECK(parse("1970-01-01T00:00:00Z") == store::Timestamp{});
  CHECK(parse("2024-02-29T00:00:00Z") == at(midnight + chr::days{59}));  // leap year
  CHECK(parse("2024-01-01T00:00:00.1234567891Z") == at(midnight + chr::nanoseconds{123456789}));

  // What chrono's relaxed reading (serde's, in the runtime) also takes.
  CHECK(parse("2024-01-01 00:00:00Z") == at(midnight));
  CHECK(parse("2024-01-01t00:00:00Z") == at(midnight));
  CHECK(parse("2024-01-01T00:00:00z") == at(midnight));
  CHECK(parse("2024-01-01T02:00:00+0200") == at(midnight));
  CHECK(parse("2023-12-31T22:30:00.25-0130") == at(midnight + chr::milliseconds{250}));
  CHECK(parse("2024-01-01 00:00:00+0000") == at(midnight));

  for (const char* bad : {"",
                          "2024-01-01",
                          "2024-01-01T00:00:00",
                          "2024-1-01T00:00:00Z",
                          "2024-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z",
                          "2024-04-31T00:00:00Z",
                          "2024-01-01T24:00:00Z",
                          "2024-01-01T00:60:00Z",
                          "2024-01-01T00:00:61Z",
                          "2024-01-01T00:00:00.Z",
                          "2024-01-01T00:00:00+24:00",
                          "2024-01-01T00:00:00+02",
                          "2024-01-01T00:00:00+020",
                          "2024-01-01T00:00:00+02:0",
                          "2024-01-01T00:00:00+02-00",
                          "2024-01-01_00:00:00Z",
                          "2024-01-01T00:00:00Z ",
                          "10000-01-01T00:00:00Z",
                          "-0001-01-01T00:00:00Z",
                          "+2024-01-01T00:00:00Z",
                          "0000-00-01T00:00:00Z"}) {
    INFO(bad);
    CHECK_THAT(refusal([&] { parse(bad); }),
               Contains("field 't' must be an RFC 3339 timestamp in years 0000..9999 UTC, not '" +
                        std::string(bad) + "'"));
  }
}

TEST_CASE("every time in years 0000..9999 comes back as written", "[records][time]") {
  // As chrono writes them, in time order: the ends of the range, of what a
  // 64-bit count of nanoseconds holds, and leap seconds.
  const std::vector<std::string> times = {
      "0000-01-01T00:00:00Z",           "0000-01-01T00:00:00.000000001Z",
      "0000-02-29T12:00:00.500Z",  // year 0 is a leap year
      "0001-01-01T00:00:00Z",           "1677-09-21T00:12:43.145224191Z",
      "1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:44Z",
      "1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z",
      "2016-12-31T23:59:59.999999999Z", "2016-12-31T23:59:60Z",
      "2016-12-31T23:59:60.500Z",       "2016-12-31T23:59:60.999999999Z",
      "2017-01-01T00:00:00Z",           "2024-06-17T08:15:59Z",
      "2024-06-17T08:15:60.250Z",  // chrono takes a leap second on any minute
      "2024-06-17T08:16:00Z",           "2262-04-11T23:47:16.854775807Z",
      "2262-04-11T23:47:16.854775808Z", "9999-12-31T23:59:59Z",
      "9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:60.999999Z",
  };
  std::vector<store::Timestamp> parsed;
  for (const auto& text : times) {
    INFO(text);
    const auto t = store::parse_rfc3339(text, "t");
    CHECK(store::format_rfc3339(t) == text);
    CHECK(store::parse_rfc3339(store::format_rfc3339_sortable(t), "t") == t);
    if (!parsed.empty()) {
      // In time order, and so are the stored (sortable) texts, byte for byte.
      CHECK(parsed.back() < t);
      CHECK(store::format_rfc3339_sortable(parsed.back()) < store::format_rfc3339_sortable(t));
    }
    parsed.push_back(t);
  }
  CHECK(parsed.front() == store::Timestamp{-62167219200, 0});
  CHECK(store::format_rfc3339_sortable(parsed.front()) == "0000-01-01T00:00:00.000000000Z");
  CHECK(store::parse_rfc3339("9999-12-31T23:59:59.999999999Z", "t") ==
        store::Timestamp{253402300799, 999999999});
  CHECK(store::format_rfc3339_sortable(parsed.back()) == "9999-12-31T23:59:60.999999000Z");
}

TEST_CASE("an offset that moves a time out of years 0000..9999 is refused", "[records][time]") {
  const auto parse = [](std::string_view text) { return store::parse_rfc3339(text, "t"); };
  for (const char* bad :
       {"0000-01-01T00:00:00+01:00", "0000-01-01T00:59:59.999+01:00", "0000-01-01T00:00:00+0001",
        "9999-12-31T23:59:59-01:00", "9999-12-31T23:00:00-01:00", "9999-12-31T23:59:60-00:01"}) {
    INFO(bad);
    CHECK_THAT(refusal([&] { parse(bad); }),
               Contains("field 't' must be an RFC 3339 timestamp in years 0000..9999 UTC, not '" +
                        std::string(bad) + "'"));
  }
  CHECK(store::format_rfc3339(parse("0000-01-01T01:00:00+01:00")) == "0000-01-01T00:00:00Z");
  CHECK(store::format_rfc3339(parse("9999-12-31T22:59:59.5-01:00")) == "9999-12-31T23:59:59.500Z");

  // Named with the record and field through the codec, writing nothing.
  json s = valid_snapshot();
  s["created_at"] = "0000-01-01T00:00:00+01:00";
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("snapshot 'snap': field 'created_at' must be an RFC 3339 timestamp in "
                      "years 0000..9999 UTC, not '0000-01-01T00:00:00+01:00'"));
  json i = valid_image();
  i["last_used"] = "9999-12-31T23:59:59-01:00";
  CHECK_THAT(refusal([&] { store::image_from_json(i); }),
             Contains("field 'last_used' must be an RFC 3339 timestamp in years 0000..9999 UTC"));
}

TEST_CASE("a leap second is kept, between its :59 second and the next minute", "[records][time]") {
  const auto parse = [](std::string_view text) { return store::parse_rfc3339(text, "t"); };
  const auto leap = parse("2016-12-31T23:59:60.5Z");
  CHECK(leap.seconds() == parse("2016-12-31T23:59:59Z").seconds());
  CHECK(leap.nanos() == 1'500'000'000u);
  CHECK(leap != parse("2017-01-01T00:00:00.5Z"));
  CHECK(parse("2016-12-31T23:59:59.9Z") < leap);
  CHECK(leap < parse("2017-01-01T00:00:00Z"));
  CHECK(store::format_rfc3339(leap) == "2016-12-31T23:59:60.500Z");
  CHECK(store::format_rfc3339_sortable(leap) == "2016-12-31T23:59:60.500000000Z");
  // The offset applies to the minute; the leap second stays one.
  CHECK(store::format_rfc3339(parse("2017-01-01T00:59:60+01:00")) == "2016-12-31T23:59:60Z");
  CHECK(store::format_rfc3339(parse("2016-12-31T22:29:60.25-01:30")) == "2016-12-31T23:59:60.250Z");
  // std::chrono has no leap seconds: there it is the next minute's first.
  CHECK(leap.to_sys_time() == parse("2017-01-01T00:00:00.5Z").to_sys_time());
}

TEST_CASE("a Timestamp is made only of an instant in range", "[records][time]") {
  CHECK(store::Timestamp{} == store::Timestamp{0, 0});
  CHECK(store::Timestamp{-62167219200, 0} == store::parse_rfc3339("0000-01-01T00:00:00Z", "t"));
  CHECK(store::Timestamp{59, 1'999'999'999} ==
        store::parse_rfc3339("1970-01-01T00:00:60.999999999Z", "t"));
  CHECK(store::Timestamp{-1, 1'000'000'000} == store::parse_rfc3339("1969-12-31T23:59:60Z", "t"));
  for (const auto& time : std::vector<std::pair<std::int64_t, std::uint32_t>>{
           {-62167219201, 999'999'999},
           {253402300800, 0},
           {0, 1'000'000'000},  // a leap second after :00
           {58, 1'000'000'000},
           {59, 2'000'000'000},
           {std::numeric_limits<std::int64_t>::min(), 0},
           {std::numeric_limits<std::int64_t>::max(), 0}}) {
    INFO(time.first << " s " << time.second << " ns");
    CHECK_THAT(refusal([&] { store::Timestamp(time.first, time.second); }), Contains("timestamp"));
  }
}

TEST_CASE("a Timestamp converts to and from std::chrono's nanosecond sys_time", "[records][time]") {
  using Limits = std::numeric_limits<std::int64_t>;
  const auto first = at(chr::nanoseconds{Limits::min()});
  const auto last = at(chr::nanoseconds{Limits::max()});
  CHECK(store::format_rfc3339(first) == "1677-09-21T00:12:43.145224192Z");
  CHECK(store::format_rfc3339(last) == "2262-04-11T23:47:16.854775807Z");
  CHECK(first.to_sys_time().time_since_epoch().count() == Limits::min());
  CHECK(last.to_sys_time().time_since_epoch().count() == Limits::max());
  CHECK(at(chr::nanoseconds{-1}) == store::Timestamp{-1, 999'999'999});
  CHECK(at(chr::nanoseconds{-1}).to_sys_time().time_since_epoch().count() == -1);
  for (const char* outside : {"1677-09-21T00:12:43.145224191Z", "2262-04-11T23:47:16.854775808Z",
                              "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    INFO(outside);
    CHECK_THAT(refusal([&] { store::parse_rfc3339(outside, "t").to_sys_time(); }),
               Contains(std::string(outside) + " is outside what std::chrono::sys_time"));
  }
}

TEST_CASE("timestamps keep nanosecond order", "[records][time]") {
  const auto a = store::parse_rfc3339("2026-06-17T08:15:30.123456789Z", "t");
  const auto b = store::parse_rfc3339("2026-06-17T08:15:30.12345679Z", "t");
  const auto c = store::parse_rfc3339("2026-06-17T10:15:30.12345679+02:00", "t");
  CHECK(b.to_sys_time() - a.to_sys_time() == chr::nanoseconds{1});
  CHECK(b == c);
  CHECK(store::format_rfc3339_sortable(a) < store::format_rfc3339_sortable(b));
}

TEST_CASE("timestamps are written in UTC with a fraction of 0, 3, 6 or 9 digits",
          "[records][time]") {
  // As chrono's SecondsFormat::AutoSi with Z, which the runtime writes.
  const chr::nanoseconds midnight = chr::seconds{1704067200};  // 2024-01-01T00:00:00Z
  CHECK(store::format_rfc3339(at(midnight)) == "2024-01-01T00:00:00Z");
  CHECK(store::format_rfc3339(at(midnight + chr::milliseconds{100})) == "2024-01-01T00:00:00.100Z");
  CHECK(store::format_rfc3339(at(midnight + chr::milliseconds{1})) == "2024-01-01T00:00:00.001Z");
  CHECK(store::format_rfc3339(at(midnight + chr::microseconds{123456})) ==
        "2024-01-01T00:00:00.123456Z");
  CHECK(store::format_rfc3339(at(midnight + chr::microseconds{100001})) ==
        "2024-01-01T00:00:00.100001Z");
  CHECK(store::format_rfc3339(at(midnight + chr::microseconds{1})) ==
        "2024-01-01T00:00:00.000001Z");
  CHECK(store::format_rfc3339(at(midnight + chr::nanoseconds{1})) ==
        "2024-01-01T00:00:00.000000001Z");
  CHECK(store::format_rfc3339(at(midnight + chr::nanoseconds{100000010})) ==
        "2024-01-01T00:00:00.100000010Z");

  const auto t = store::parse_rfc3339("2026-06-17T10:15:30.120000000+02:00", "t");
  CHECK(store::format_rfc3339(t) == "2026-06-17T08:15:30.120Z");
  CHECK(store::format_rfc3339(store::Timestamp{t.seconds(), t.nanos() + 3}) ==
        "2026-06-17T08:15:30.120000003Z");
  CHECK(store::format_rfc3339(store::Timestamp{}) == "1970-01-01T00:00:00Z");
  CHECK(store::format_rfc3339(at(chr::nanoseconds{-1})) == "1969-12-31T23:59:59.999999999Z");
  CHECK(store::format_rfc3339(at(chr::milliseconds{-1})) == "1969-12-31T23:59:59.999Z");

  CHECK(store::format_rfc3339_sortable(store::Timestamp{}) == "1970-01-01T00:00:00.000000000Z");
  CHECK(store::format_rfc3339_sortable(t) == "2026-06-17T08:15:30.120000000Z");
  CHECK(store::parse_rfc3339(store::format_rfc3339_sortable(t), "t") == t);
  CHECK(store::parse_rfc3339(store::format_rfc3339(t), "t") == t);

  const auto n = store::now();
  CHECK(n > store::parse_rfc3339("2024-01-01T00:00:00Z", "t"));
  CHECK(store::format_rfc3339_sortable(n).size() == 30);
}

TEST_CASE("snapshot created_at is written in the canonical form", "[records][time]") {
  json s = valid_snapshot();
  s["created_at"] = "2026-06-20T14:00:00.500000+02:00";
  CHECK(as_json(store::snapshot_from_json(s))["created_at"] == "2026-06-20T12:00:00.500Z");
  const auto image = store::image_from_json_text(
      R"({"reference":"r","digest":"sha256:)" + std::string(64, 'a') +
      R"(","size_bytes":1,"pulled_at":"2024-01-01 00:00:00.000001+0000",)"
      R"("last_used":"2024-01-01t01:00:00.1z","path":"/p"})");
  CHECK(store::to_json_text(image) == R"({"reference":"r","digest":"sha256:)" +
                                          std::string(64, 'a') +
                                          R"(","size_bytes":1,"pulled_at":)"
                                          R"("2024-01-01T00:00:00.000001Z","last_used":)"
                                          R"("2024-01-01T01:00:00.100Z","path":"/p"})");
}

// ---------------------------------------------------------------------------
// Names, identifiers, digests, text

TEST_CASE("unsafe names are refused before they reach a path", "[records][names]") {
  for (const char* good : {"a", "dev", "my-net_1.2", "0", "A.."}) {
    INFO(good);
    CHECK_NOTHROW(store::validate_name("network name", good));
  }
  const std::string nul("a\0b", 3);
  for (const std::string& bad :
       {std::string("/"), std::string(".."), std::string(), std::string(129, 'a'),
        std::string(".hidden"), std::string("-rf"), std::string("a/b"), std::string("_x"), nul,
        std::string("caf\xc3\xa9"), std::string("a b")}) {
    INFO(bad);
    CHECK_THAT(refusal([&] { store::validate_name("network name", bad); }),
               Contains("invalid network name '") &&
                   Contains("must match [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 128 characters"));
  }
  CHECK_NOTHROW(store::validate_name("volume name", std::string(128, 'a')));

  json n = valid_network();
  n["name"] = "../etc";
  CHECK_THAT(refusal([&] { store::network_from_json(n); }),
             Contains("network '../etc': field 'name' must match"));
  json s = valid_snapshot();
  s["id"] = "a/b";
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("snapshot 'a/b': field 'id' must match"));
}

TEST_CASE("identifiers are 1 to 256 bytes of UTF-8 without control characters",
          "[records][names]") {
  CHECK_NOTHROW(store::validate_identifier("box name", "web server \xc3\xa9"));
  CHECK_NOTHROW(store::validate_identifier("box name", std::string(256, 'x')));
  CHECK_THAT(refusal([] { store::validate_identifier("box name", ""); }),
             Contains("must not be empty"));
  CHECK_THAT(refusal([] { store::validate_identifier("box name", std::string(257, 'x')); }),
             Contains("at most 256 bytes"));
  for (const std::string& bad : {std::string("a\0b", 3), std::string("a\nb"), std::string("a\x7f"),
                                 std::string("\xc2\x85")}) {
    CHECK_THAT(refusal([&] { store::validate_identifier("box name", bad); }),
               Contains("invalid box name") && Contains("control characters"));
  }
  CHECK_THAT(refusal([] { store::validate_identifier("box name", "\xff"); }),
             Contains("valid UTF-8"));

  json n = valid_network();
  n["endpoints"]["box-a"]["box_name"] = "";
  CHECK_THAT(refusal([&] { store::network_from_json(n); }),
             Contains("network 'dev': field 'endpoints[box-a].box_name' must not be empty"));
  json i = valid_image();
  i["reference"] = "alpine\tlatest";
  CHECK_THAT(refusal([&] { store::image_from_json(i); }),
             Contains("field 'reference' must not contain control characters"));
}

TEST_CASE("strings must be valid UTF-8 without NUL", "[records][names]") {
  CHECK_NOTHROW(store::validate_text("description", "tab\tand \xe2\x82\xac"));
  for (const std::string& bad : {std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                 std::string("\xe2\x82"), std::string("\xf4\x90\x80\x80")}) {
    CHECK_THAT(refusal([&] { store::validate_text("description", bad); }),
               Contains("must be valid UTF-8"));
  }
  CHECK_THAT(refusal([] { store::validate_text("description", std::string("a\0", 2)); }),
             Contains("must not contain NUL"));

  auto s = store::snapshot_from_json(valid_snapshot());
  s.env["PATH"] = std::string("/bin\0/evil", 10);
  CHECK_THAT(refusal([&] { store::validate(s); }),
             Contains("snapshot 'snap': field 'env[PATH]' must not contain NUL"));
  s = store::snapshot_from_json(valid_snapshot());
  s.image_config = "{\"bad\": \"\xff\"}";
  CHECK_THAT(refusal([&] { store::validate(s); }),
             Contains("field 'image_config' must be valid UTF-8"));
}

TEST_CASE("digests are sha256 with 64 lowercase hex digits", "[records][names]") {
  const std::string hex(64, 'a');
  CHECK_NOTHROW(store::validate_digest("sha256:" + hex));
  for (const std::string& bad : {std::string("sha256:../x"), "sha256:" + std::string(64, 'A'),
                                 "sha512:" + hex, "sha256:" + hex + "0", "sha256:" + hex.substr(1),
                                 std::string(hex), "sha256:" + hex.substr(1) + "g"}) {
    INFO(bad);
    CHECK_THAT(refusal([&] { store::validate_digest(bad); }), Contains("invalid digest"));
  }
  json i = valid_image();
  i["digest"] = "sha256:../x";
  CHECK_THAT(refusal([&] { store::image_from_json(i); }),
             Contains("field 'digest' must be 'sha256:' followed by 64 lowercase hex digits"));
}

// ---------------------------------------------------------------------------
// Networks: subnet, gateway, endpoints, policy

TEST_CASE("IPv4 addresses parse strictly", "[records][ipv4]") {
  using a3s::store::detail::parse_ipv4;
  CHECK(parse_ipv4("10.88.0.1") == 0x0a580001U);
  CHECK(parse_ipv4("0.0.0.0") == 0U);
  CHECK(parse_ipv4("255.255.255.255") == 0xffffffffU);
  for (const char* bad : {"01.2.3.4", "1.2.3", "1.2.3.4.5", "300.1.1.0", "abc", " 1.2.3.4",
                          "1.2.3.4 ", "1..3.4", "+1.2.3.4", "1.2.3.", "", "0x1.2.3.4"}) {
    INFO(bad);
    CHECK_FALSE(parse_ipv4(bad));
  }
  CHECK(a3s::store::detail::format_ipv4(0x0a580002U) == "10.88.0.2");
  CHECK(a3s::store::detail::mac_for(0x0a58000aU) == "02:42:0a:58:00:0a");
}

TEST_CASE("subnets the IPAM cannot serve are refused", "[records][ipv4]") {
  using a3s::store::detail::parse_subnet;
  const auto s = parse_subnet("network 'dev'", "10.88.0.0/24");
  CHECK(s.network() == 0x0a580000U);
  CHECK_FALSE(s.has_host_bits());
  CHECK(s.prefix == 24);
  CHECK(s.gateway() == 0x0a580001U);
  CHECK(s.first_host() == 0x0a580002U);
  CHECK(s.broadcast() == 0x0a5800ffU);
  CHECK(s.contains(0x0a5800feU));
  CHECK_FALSE(s.contains(0x0a590000U));
  CHECK(parse_subnet("x", "10.0.0.0/30").broadcast() == 0x0a000003U);
  CHECK(parse_subnet("x", "0.0.0.0/1").broadcast() == 0x7fffffffU);

  CHECK(refusal([] { parse_subnet("network 'dev'", "300.1.1.0/24"); }) ==
        "network 'dev': subnet '300.1.1.0/24' is not a valid IPv4 CIDR");
  CHECK(refusal([] { parse_subnet("network 'dev'", "10.0.0.0/31"); }) ==
        "network 'dev': subnet '10.0.0.0/31' prefix must be 1..30");
  for (const char* bad : {"10.0.0.0/0", "10.0.0.0/32", "10.0.0.0/33"}) {
    CHECK_THAT(refusal([&] { parse_subnet("network 'dev'", bad); }),
               Contains("prefix must be 1..30"));
  }
  for (const char* bad : {"abc", "10.0.0.0", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/24/8",
                          "10.0.0.0/024", "10.0.0.0/ 24"}) {
    INFO(bad);
    CHECK_THAT(refusal([&] { parse_subnet("network 'dev'", bad); }),
               Contains("is not a valid IPv4 CIDR"));
  }
}

TEST_CASE("a subnet with host bits counts from the address as written, as 2.4.0 does",
          "[records][ipv4]") {
  using namespace a3s::store::detail;
  const auto s = parse_subnet("network 'dev'", "10.88.0.5/24");
  CHECK(s.has_host_bits());
  CHECK(s.text() == "10.88.0.5/24");
  CHECK(format_ipv4(s.network()) == "10.88.0.0");
  CHECK(format_ipv4(s.gateway()) == "10.88.0.6");
  CHECK(format_ipv4(s.broadcast()) == "10.88.0.255");
  CHECK(format_ipv4(*lowest_free_address(s, {s.gateway()})) == "10.88.0.7");
}

TEST_CASE("the lowest free address skips the gateway and taken addresses", "[records][ipv4]") {
  using namespace a3s::store::detail;
  const auto s = parse_subnet("x", "10.0.0.0/29");  // hosts .2 to .6 after the gateway
  CHECK(format_ipv4(*lowest_free_address(s, {s.gateway()})) == "10.0.0.2");
  CHECK(format_ipv4(*lowest_free_address(s, {0x0a000003U, s.gateway(), 0x0a000002U})) ==
        "10.0.0.4");
  CHECK(format_ipv4(*lowest_free_address(s, {0x0a000003U})) == "10.0.0.2");
  CHECK_FALSE(lowest_free_address(
      s, {s.gateway(), 0x0a000002U, 0x0a000003U, 0x0a000004U, 0x0a000005U, 0x0a000006U}));
}

TEST_CASE("a network's subnet, gateway and endpoint addresses are checked", "[records][ipv4]") {
  const auto refuse = [](const std::function<void(json&)>& change) {
    json n = valid_network();
    change(n);
    return refusal([&] { store::network_from_json(n); });
  };
  CHECK(refuse([](json& n) { n["subnet"] = "10.0.0.0/31"; }).starts_with("network 'dev': subnet"));
  CHECK_THAT(refuse([](json& n) { n["gateway"] = "10.89.0.1"; }),
             Contains("field 'gateway' must be inside subnet 10.88.0.0/24"));
  CHECK_THAT(refuse([](json& n) { n["gateway"] = "10.88.0.255"; }),
             Contains("field 'gateway' must not be the broadcast address"));
  CHECK_THAT(refuse([](json& n) { n["gateway"] = "10.88.0.0"; }),
             Contains("field 'gateway' must not be the network address"));
  CHECK_THAT(refuse([](json& n) { n["gateway"] = "gw"; }),
             Contains("field 'gateway' must be an IPv4 address"));
  CHECK_THAT(refuse([](json& n) { n["endpoints"]["box-a"]["ip_address"] = "10.88.0.1"; }),
             Contains("field 'endpoints[box-a].ip_address' must not be the gateway address"));
  CHECK_THAT(refuse([](json& n) { n["endpoints"]["box-a"]["ip_address"] = "10.88.1.2"; }),
             Contains("field 'endpoints[box-a].ip_address' must be inside subnet"));
  CHECK_THAT(refuse([](json& n) { n["endpoints"]["box-a"]["ip_address"] = "10.88.0.02"; }),
             Contains("field 'endpoints[box-a].ip_address' must be an IPv4 address"));
  CHECK_THAT(refuse([](json& n) { n["endpoints"]["box-a"]["mac_address"] = ""; }),
             Contains("field 'endpoints[box-a].mac_address' must not be empty"));
  CHECK_THAT(refuse([](json& n) {
               n["endpoints"]["box-b"] = n["endpoints"]["box-a"];
               n["endpoints"]["box-b"]["box_id"] = "box-b";
             }),
             Contains("field 'endpoints[box-b].ip_address' is also the address of endpoint "
                      "'box-a'"));
  CHECK_THAT(refuse([](json& n) { n["endpoints"]["box-b"] = n["endpoints"]["box-a"]; }),
             Contains("field 'endpoints[box-b].box_id' must equal the endpoint's key"));
  CHECK_THAT(refuse([](json& n) {
               n["policy"] = {{"isolation", "open"}};
             }),
             Contains("field 'policy.isolation' must be one of none, strict, custom"));
  CHECK_THAT(refuse([](json& n) {
               n["policy"] = {{"egress", {{{"action", "drop"}}}}};
             }),
             Contains("field 'policy.egress[0].action' must be one of allow, deny"));
}

TEST_CASE("a volume lists each box using it once", "[records]") {
  json v = valid_volume();
  v["in_use_by"] = {"box-a", "box-b"};
  CHECK(store::volume_from_json(v).in_use_by == std::vector<std::string>{"box-a", "box-b"});
  v["in_use_by"] = {"box-a", "box-b", "box-a"};
  CHECK_THAT(refusal([&] { store::volume_from_json(v); }),
             Contains("volume 'x': field 'in_use_by' lists box 'box-a' twice"));
}

// ---------------------------------------------------------------------------
// Limits

TEST_CASE("records past a size limit are refused naming the field", "[records][limits]") {
  json v = valid_volume();
  for (int i = 0; i < 1000; ++i) v["labels"]["k" + std::to_string(i)] = "v";
  CHECK_NOTHROW(store::volume_from_json(v));
  v["labels"]["one-more"] = "v";
  CHECK_THAT(refusal([&] { store::volume_from_json(v); }),
             Contains("volume 'x': field 'labels' must have at most 1000 entries"));

  v = valid_volume();
  v["labels"]["big"] = std::string(4096, 'v');
  CHECK_NOTHROW(store::volume_from_json(v));
  v["labels"]["big"] = std::string(4097, 'v');
  CHECK_THAT(refusal([&] { store::volume_from_json(v); }),
             Contains("field 'labels[big]' must be at most 4096 bytes"));

  v = valid_volume();
  v["labels"][""] = "v";
  CHECK_THAT(refusal([&] { store::volume_from_json(v); }),
             Contains("field 'labels[]' key must not be empty"));

  json s = valid_snapshot();
  for (int i = 0; i < 10000; ++i) s["env"]["K" + std::to_string(i)] = "v";
  CHECK_NOTHROW(store::snapshot_from_json(s));
  s["env"]["K10000"] = "v";
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("snapshot 'snap': field 'env' must have at most 10000 entries"));

  s = valid_snapshot();
  s["cmd"] = json(std::vector<std::string>(10001, "x"));
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("field 'cmd' must have at most 10000 entries"));

  json n = valid_network();
  n["endpoints"]["box-a"]["aliases"] = json(std::vector<std::string>(10001, "a"));
  CHECK_THAT(refusal([&] { store::network_from_json(n); }),
             Contains("field 'endpoints[box-a].aliases' must have at most 10000 entries"));
}

TEST_CASE("a record holds at most 1 MiB of JSON", "[records][limits]") {
  json s = valid_snapshot();
  s["description"] = std::string(1 << 20, 'd');
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("snapshot 'snap': record must be at most 1 MiB of JSON"));
  s["description"] = std::string(1000, 'd');
  CHECK_NOTHROW(store::snapshot_from_json(s));

  // image_config sits one level inside the record, whose JSON nests at most
  // 127 levels (the parser's limit): 126 levels of its own, not 127.
  json deep = json::object();
  for (int i = 1; i < 126; ++i) deep = json{{"x", deep}};
  s["image_config"] = deep;
  CHECK_NOTHROW(store::snapshot_from_json(s));
  s["image_config"] = json{{"x", deep}};
  CHECK_THAT(refusal([&] { store::snapshot_from_json(s); }),
             Contains("field 'image_config' is nested more than 127 levels deep"));
}

namespace {

// A text nesting objects `levels` deep inside a snapshot's field `field`
// (the record itself is one more level).
std::string snapshot_nesting(const std::string& field, int levels) {
  std::string text = valid_snapshot().dump();
  text.pop_back();  // the record's closing brace
  text += ",\"" + field + "\":";
  for (int i = 0; i < levels; ++i) text += "{\"a\":";
  text += "1";
  text += std::string(static_cast<std::size_t>(levels), '}');
  return text + "}";
}

}  // namespace

TEST_CASE("JSON text nested more than 127 levels is refused while parsing, as serde refuses it",
          "[records][limits]") {
  // An unknown field may hold any JSON, so the parser's limit alone applies:
  // 126 levels in it and the record make 127.
  CHECK(store::snapshot_from_json_text(snapshot_nesting("x", 126)).id == "snap");
  CHECK_THAT(refusal([&] { store::snapshot_from_json_text(snapshot_nesting("x", 127)); }),
             Contains("snapshot: field 'x' is nested more than 127 levels deep"));
  // Far deeper text is refused the same way, before any value is built.
  CHECK_THAT(
      refusal([&] { store::snapshot_from_json_text(snapshot_nesting("image_config", 70000)); }),
      Contains("snapshot: field 'image_config' is nested more than 127 levels deep"));
  const std::string array = std::string(128, '[') + std::string(128, ']');
  CHECK_THAT(refusal([&] { store::network_from_json_text(array); }),
             Contains("network: field '[0][0]") && Contains("is nested more than 127 levels deep"));

  CHECK_FALSE(store::detail::nested_too_deep(std::string(127, '[') + std::string(127, ']')));
  CHECK(store::detail::nested_too_deep(array));
  // Text given as image_config through the struct is held to the limit too.
  store::SnapshotMetadata s = store::snapshot_from_json(valid_snapshot());
  s.image_config = "{\"a\":" + std::string(70000, '[') + std::string(70000, ']') + "}";
  CHECK_FALSE(store::detail::parse_object(*s.image_config));
  CHECK_THAT(refusal([&] { store::validate(s); }),
             Contains("field 'image_config' is nested more than 127 levels deep"));
}

TEST_CASE("an image reference written as a digest must be the image's digest", "[records][names]") {
  json i = valid_image();
  i["reference"] = i["digest"];
  CHECK_NOTHROW(store::image_from_json(i));  // a dangling entry
  i["reference"] = "sha256:" + std::string(64, 'b');
  CHECK_THAT(refusal([&] { store::image_from_json(i); }),
             Contains("field 'reference' is written as a digest but is not the image's digest"));
}
