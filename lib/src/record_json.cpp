// The JSON codec of the records (SPEC §3) on JSON values: to_json and the
// *_from_json of record_json.hpp (their text form is record_json_text.cpp).
// Decoding checks each value's shape; *_from_json then hand the record to its
// validate() (record_validation.cpp). Encoding writes each record's fields in
// the order SPEC §3 lists them.
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/records.hpp"
#include "record_errors.hpp"
#include "record_json.hpp"
#include "record_validation.hpp"
#include "rfc3339.hpp"

namespace a3s::store {
namespace {

using detail::kTimestampForm;
using detail::label_of;
using detail::quote;
using detail::try_parse_rfc3339;
using detail::Where;
using nlohmann::json;
using nlohmann::ordered_json;

// ---------------------------------------------------------------------------
// Decoding: one overload of decode() per value type, all reporting through
// Where. null is accepted only for std::optional (serde's Option).

void decode(const json& v, PolicyRule& r, const Where& w);
using detail::decode;  // NetworkPolicy, shared with stored_row.cpp (record_json.hpp)
void decode(const json& v, NetworkEndpoint& e, const Where& w);
// The containers nest (an optional list, a map of endpoints) and a template
// sees only the overloads declared before it, so they are all declared here.
template <class T>
void decode(const json& v, std::optional<T>& out, const Where& w);
template <class T>
void decode(const json& v, std::vector<T>& out, const Where& w);
template <class T>
void decode(const json& v, std::map<std::string, T>& out, const Where& w);

void decode(const json& v, std::string& out, const Where& w) {
  if (!v.is_string()) w.fail("must be a string");
  out = v.get<std::string>();
}

void decode(const json& v, bool& out, const Where& w) {
  if (!v.is_boolean()) w.fail("must be a boolean");
  out = v.get<bool>();
}

// Non-negative integers only: floats (even 2.0), negatives and values past
// U's range are refused.
template <std::unsigned_integral U>
requires(!std::same_as<U, bool>) void decode(const json& v, U& out, const Where& w) {
  std::optional<std::uint64_t> n;
  if (v.is_number_unsigned()) {
    n = v.get<std::uint64_t>();
  } else if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    n = static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  if (!n || *n > std::numeric_limits<U>::max()) {
    w.fail("must be an unsigned " + std::to_string(std::numeric_limits<U>::digits) +
           "-bit integer");
  }
  out = static_cast<U>(*n);
}

void decode(const json& v, Timestamp& out, const Where& w) {
  if (!v.is_string()) w.fail("must be an RFC 3339 timestamp string");
  const auto t = try_parse_rfc3339(v.get_ref<const std::string&>());
  if (!t)
    w.fail("must be " + std::string(kTimestampForm) + ", not " +
           quote(v.get_ref<const std::string&>()));
  out = *t;
}

// image_config, health_check: a JSON object (or null), kept as its compact
// text.
struct ObjectText {
  std::optional<std::string>& text;
};

void decode(const json& v, ObjectText& out, const Where& w) {
  if (v.is_null()) {
    out.text.reset();
    return;
  }
  if (!v.is_object()) w.fail("must be an object");
  try {
    out.text = v.dump();
  } catch (const json::type_error&) {  // a string of a value built in memory
    w.fail("must be valid UTF-8");
  }
}

template <class T>
void decode(const json& v, std::optional<T>& out, const Where& w) {
  if (v.is_null()) {
    out.reset();
  } else {
    decode(v, out.emplace(), w);
  }
}

template <class T>
void decode(const json& v, std::vector<T>& out, const Where& w) {
  if (!v.is_array()) w.fail("must be an array");
  out.assign(v.size(), T{});
  for (std::size_t i = 0; i < v.size(); ++i) decode(v[i], out[i], w.at(i));
}

template <class T>
void decode(const json& v, std::map<std::string, T>& out, const Where& w) {
  if (!v.is_object()) w.fail("must be an object");
  out.clear();
  for (const auto& [key, item] : v.items()) decode(item, out[key], w.at(key));
}

// The fields of one JSON object: a missing required field is an error, a
// missing optional one keeps the record's default, unknown ones are ignored.
class Fields {
 public:
  Fields(const json& j, const Where& w) : j_(j), w_(w) {
    if (!j.is_object()) w.fail("must be a JSON object");
  }

  template <class T>
  const Fields& required(const char* key, T& out) const {
    const auto it = j_.find(key);
    if (it == j_.end()) (w_ / key).fail("is required");
    decode(*it, out, w_ / key);
    return *this;
  }

  template <class T>
  const Fields& optional(const char* key, T& out) const {
    const auto it = j_.find(key);
    if (it != j_.end()) decode(*it, out, w_ / key);
    return *this;
  }

 private:
  const json& j_;
  const Where& w_;
};

void decode(const json& v, PolicyRule& r, const Where& w) {
  Fields(v, w)
      .optional("from", r.from)
      .optional("to", r.to)
      .optional("ports", r.ports)
      .optional("protocol", r.protocol)
      .optional("action", r.action);
}

void decode(const json& v, NetworkEndpoint& e, const Where& w) {
  Fields(v, w)
      .required("box_id", e.box_id)
      .required("box_name", e.box_name)
      .optional("aliases", e.aliases)
      .required("ip_address", e.ip_address)
      .required("mac_address", e.mac_address);
}

void decode(const json& v, NetworkConfig& n, const Where& w) {
  Fields(v, w)
      .required("name", n.name)
      .required("subnet", n.subnet)
      .required("gateway", n.gateway)
      .optional("driver", n.driver)
      .optional("labels", n.labels)
      .optional("endpoints", n.endpoints)
      .required("created_at", n.created_at)
      .optional("policy", n.policy);
}

void decode(const json& v, VolumeConfig& vol, const Where& w) {
  Fields(v, w)
      .required("name", vol.name)
      .optional("driver", vol.driver)
      .required("mount_point", vol.mount_point)
      .optional("labels", vol.labels)
      .optional("in_use_by", vol.in_use_by)
      .optional("size_limit", vol.size_limit)
      .required("created_at", vol.created_at);
}

void decode(const json& v, SnapshotMetadata& s, const Where& w) {
  ObjectText image_config{s.image_config};
  ObjectText health_check{s.health_check};
  Fields(v, w)
      .required("id", s.id)
      .required("name", s.name)
      .required("source_box_id", s.source_box_id)
      .required("image", s.image)
      .required("vcpus", s.vcpus)
      .required("memory_mb", s.memory_mb)
      .required("volumes", s.volumes)
      .required("env", s.env)
      .required("cmd", s.cmd)
      .optional("entrypoint", s.entrypoint)
      .optional("workdir", s.workdir)
      .optional("image_config", image_config)
      .optional("health_check", health_check)
      .optional("healthcheck_disabled", s.healthcheck_disabled)
      .optional("port_map", s.port_map)
      .optional("labels", s.labels)
      .optional("network_mode", s.network_mode)
      .optional("rootfs_cache_key", s.rootfs_cache_key)
      .optional("size_bytes", s.size_bytes)
      .optional("created_at", s.created_at)
      .optional("description", s.description);
}

void decode(const json& v, StoredImage& i, const Where& w) {
  Fields(v, w)
      .required("reference", i.reference)
      .required("digest", i.digest)
      .required("size_bytes", i.size_bytes)
      .required("pulled_at", i.pulled_at)
      .required("last_used", i.last_used)
      .required("path", i.path);
}

// ---------------------------------------------------------------------------
// Encoding helpers

template <class T>
ordered_json nullable(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json encode(const std::vector<PolicyRule>& rules) {
  ordered_json out = ordered_json::array();
  for (const auto& r : rules) {
    out.push_back({{"from", r.from},
                   {"to", r.to},
                   {"ports", r.ports},
                   {"protocol", r.protocol},
                   {"action", r.action}});
  }
  return out;
}

ordered_json encode(const NetworkPolicy& p) {
  return {{"isolation", p.isolation}, {"ingress", encode(p.ingress)}, {"egress", encode(p.egress)}};
}

// The value of image_config or health_check, for encoding: its keys sorted,
// as serde writes a JSON object value.
ordered_json object_of(const std::string& text, const SnapshotMetadata& s, const char* field) {
  auto j = detail::parse_object(text);
  if (!j) Where{label_of("snapshot", s.id), field}.fail("must be the JSON text of an object");
  return ordered_json(*j);
}

// endpoint_from_json's checks (record_validation.hpp); ADL finds the public
// validate() of the other records.
using detail::validate;

template <class R>
R decoded(const json& j, std::string_view kind, const char* name_field) {
  const std::string label = label_of(kind, j, name_field);
  R record;
  decode(j, record, Where{label, {}});
  validate(record);
  return record;
}

}  // namespace

void detail::decode(const json& v, NetworkPolicy& p, const Where& w) {
  Fields(v, w)
      .optional("isolation", p.isolation)
      .optional("ingress", p.ingress)
      .optional("egress", p.egress);
}

ordered_json to_json(const NetworkEndpoint& e) {
  return {{"box_id", e.box_id},
          {"box_name", e.box_name},
          {"aliases", e.aliases},
          {"ip_address", e.ip_address},
          {"mac_address", e.mac_address}};
}

ordered_json to_json(const NetworkConfig& n) {
  ordered_json endpoints = ordered_json::object();
  for (const auto& [box_id, e] : n.endpoints) endpoints[box_id] = to_json(e);
  return {{"name", n.name},
          {"subnet", n.subnet},
          {"gateway", n.gateway},
          {"driver", n.driver},
          {"labels", n.labels},
          {"endpoints", endpoints},
          {"created_at", n.created_at},
          {"policy", encode(n.policy)}};
}

ordered_json to_json(const VolumeConfig& v) {
  return {{"name", v.name},
          {"driver", v.driver},
          {"mount_point", v.mount_point},
          {"labels", v.labels},
          {"in_use_by", v.in_use_by},
          {"size_limit", v.size_limit},
          {"created_at", v.created_at}};
}

ordered_json to_json(const SnapshotMetadata& s) {
  ordered_json j = {{"id", s.id},
                    {"name", s.name},
                    {"source_box_id", s.source_box_id},
                    {"image", s.image},
                    {"vcpus", s.vcpus},
                    {"memory_mb", s.memory_mb},
                    {"volumes", s.volumes},
                    {"env", s.env},
                    {"cmd", s.cmd},
                    {"entrypoint", nullable(s.entrypoint)},
                    {"workdir", nullable(s.workdir)}};
  // Schema version 2's fields sit here, as the later runtime declares them;
  // the objects are omitted when absent. New keys go last in an ordered_json.
  if (s.image_config) j["image_config"] = object_of(*s.image_config, s, "image_config");
  if (s.health_check) j["health_check"] = object_of(*s.health_check, s, "health_check");
  j["healthcheck_disabled"] = s.healthcheck_disabled;
  j["port_map"] = s.port_map;
  j["labels"] = s.labels;
  j["network_mode"] = nullable(s.network_mode);
  j["rootfs_cache_key"] = nullable(s.rootfs_cache_key);
  j["size_bytes"] = s.size_bytes;
  j["created_at"] = format_rfc3339(s.created_at);
  j["description"] = s.description;
  return j;
}

ordered_json to_json(const StoredImage& i) {
  return {{"reference", i.reference},
          {"digest", i.digest},
          {"size_bytes", i.size_bytes},
          {"pulled_at", format_rfc3339(i.pulled_at)},
          {"last_used", format_rfc3339(i.last_used)},
          {"path", i.path}};
}

NetworkEndpoint endpoint_from_json(const json& j) {
  return decoded<NetworkEndpoint>(j, "endpoint", "box_id");
}
NetworkConfig network_from_json(const json& j) {
  return decoded<NetworkConfig>(j, "network", "name");
}
VolumeConfig volume_from_json(const json& j) { return decoded<VolumeConfig>(j, "volume", "name"); }
SnapshotMetadata snapshot_from_json(const json& j) {
  return decoded<SnapshotMetadata>(j, "snapshot", "id");
}
StoredImage image_from_json(const json& j) { return decoded<StoredImage>(j, "image", "reference"); }

}  // namespace a3s::store
