// Record validation (SPEC §4): the string rules (names, identifiers,
// digests, text), the limits, and the validate() of each record in
// records.hpp, plus the endpoint check the codec needs (record_validation.hpp).
#include "record_validation.hpp"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipv4.hpp"
#include "record_errors.hpp"
#include "record_json.hpp"
#include "utf8.hpp"

namespace a3s::store {
namespace {

using detail::invalid;
using detail::is_control;
using detail::label_of;
using detail::next_code_point;
using detail::quote;
using detail::Where;
using nlohmann::json;

// SPEC §4 limits.
constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxIdentifierBytes = 256;
constexpr std::size_t kMaxLabels = 1000;
constexpr std::size_t kMaxLabelValueBytes = 4096;
constexpr std::size_t kMaxEntries = 10000;
constexpr std::size_t kMaxRecordBytes = 1 << 20;

// ---------------------------------------------------------------------------
// The string rules of SPEC §4

// Each rule returns the problem with `s` ("must ...") or nullptr if it is fine.
using Rule = const char* (*)(std::string_view);

const char* text_problem(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = next_code_point(s, i);
    if (!c) return "must be valid UTF-8";
    if (*c == 0) return "must not contain NUL";
  }
  return nullptr;
}

const char* nonempty_text_problem(std::string_view s) {
  return s.empty() ? "must not be empty" : text_problem(s);
}

const char* identifier_problem(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > kMaxIdentifierBytes) return "must be at most 256 bytes";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = next_code_point(s, i);
    if (!c) return "must be valid UTF-8";
    if (is_control(*c)) return "must not contain control characters";
  }
  return nullptr;
}

const char* name_problem(std::string_view s) {
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !s.empty() && s.size() <= kMaxNameBytes && alnum(s[0]);
  for (char c : s) ok = ok && (alnum(c) || c == '_' || c == '.' || c == '-');
  return ok ? nullptr : "must match [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 128 characters";
}

const char* digest_problem(std::string_view s) {
  constexpr std::string_view prefix = "sha256:";
  bool ok = s.size() == prefix.size() + 64 && s.starts_with(prefix);
  for (char c : s.substr(ok ? prefix.size() : s.size())) {
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  return ok ? nullptr : "must be 'sha256:' followed by 64 lowercase hex digits";
}

const char* label_value_problem(std::string_view s) {
  return s.size() > kMaxLabelValueBytes ? "must be at most 4096 bytes" : text_problem(s);
}

void throw_if(const char* problem, std::string_view what, std::string_view value) {
  if (problem) invalid("invalid " + std::string(what) + " " + quote(value) + ": " + problem);
}

// ---------------------------------------------------------------------------
// Record validation helpers

void check_count(const Where& w, std::size_t count, std::size_t max = kMaxEntries) {
  if (count > max) w.fail("must have at most " + std::to_string(max) + " entries");
}

void check_list(const Where& w, const std::vector<std::string>& items, Rule rule) {
  check_count(w, items.size());
  for (std::size_t i = 0; i < items.size(); ++i) w.at(i).check(rule(items[i]));
}

void check_map(const Where& w, const StringMap& map, Rule key_rule, Rule value_rule,
               std::size_t max = kMaxEntries) {
  check_count(w, map.size(), max);
  for (const auto& [key, value] : map) {
    if (const char* problem = key_rule(key)) w.at(key).fail("key " + std::string(problem));
    w.at(key).check(value_rule(value));
  }
}

void check_labels(const Where& w, const StringMap& labels) {
  check_map(w, labels, identifier_problem, label_value_problem, kMaxLabels);
}

void check_one_of(const Where& w, std::string_view value,
                  std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (auto a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  w.fail("must be one of " + list + ", not " + quote(value));
}

// Every string in a verbatim JSON value (keys included) is text. The value's
// nesting was bounded before it was parsed (validate(SnapshotMetadata)), which
// bounds this recursion too.
void check_json(const Where& w, const json& j) {
  if (j.is_string()) w.check(text_problem(j.get_ref<const std::string&>()));
  if (j.is_object()) {
    for (const auto& [key, item] : j.items()) {
      w.check(text_problem(key));
      check_json(w, item);
    }
  } else if (j.is_array()) {
    for (const auto& item : j) check_json(w, item);
  }
}

// Runs last: every string has been checked, so dump() cannot meet bad UTF-8.
void check_size(const Where& w, const nlohmann::ordered_json& j) {
  if (j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).size() >
      kMaxRecordBytes) {
    w.fail("record must be at most 1 MiB of JSON");
  }
}

std::uint32_t check_ipv4(const Where& w, std::string_view text) {
  const auto address = detail::parse_ipv4(text);
  if (!address) w.fail("must be an IPv4 address, not " + quote(text));
  return *address;
}

// `address` may be given to a host of `subnet`.
void check_host(const Where& w, std::uint32_t address, const detail::Subnet& subnet) {
  if (!subnet.contains(address)) {
    w.fail("must be inside subnet " + subnet.text());
  }
  if (address == subnet.network()) w.fail("must not be the network address");
  if (address == subnet.broadcast()) w.fail("must not be the broadcast address");
}

// Returns the endpoint's IPv4 address.
std::uint32_t check_endpoint(const Where& w, const NetworkEndpoint& e) {
  (w / "box_id").check(identifier_problem(e.box_id));
  (w / "box_name").check(identifier_problem(e.box_name));
  const std::uint32_t address = check_ipv4(w / "ip_address", e.ip_address);
  (w / "mac_address").check(nonempty_text_problem(e.mac_address));
  check_list(w / "aliases", e.aliases, identifier_problem);
  return address;
}

void check_rules(const Where& w, const std::vector<PolicyRule>& rules) {
  check_count(w, rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Where rw = w.at(i);
    const PolicyRule& r = rules[i];
    (rw / "from").check(text_problem(r.from));
    (rw / "to").check(text_problem(r.to));
    check_count(rw / "ports", r.ports.size());
    (rw / "protocol").check(text_problem(r.protocol));
    check_one_of(rw / "action", r.action, {"allow", "deny"});
  }
}

}  // namespace

namespace detail {

void validate(const NetworkEndpoint& e) {
  const std::string label = label_of("endpoint", e.box_id);
  const Where w{label, {}};
  check_endpoint(w, e);
  check_size(w, to_json(e));
}

}  // namespace detail

void validate_name(std::string_view what, std::string_view name) {
  throw_if(name_problem(name), what, name);
}

void validate_identifier(std::string_view what, std::string_view value) {
  throw_if(identifier_problem(value), what, value);
}

void validate_digest(std::string_view digest) {
  throw_if(digest_problem(digest), "digest", digest);
}

void validate_text(std::string_view what, std::string_view value) {
  throw_if(text_problem(value), what, value);
}

void validate(const NetworkConfig& n) {
  const std::string label = label_of("network", n.name);
  const Where w{label, {}};
  (w / "name").check(name_problem(n.name));
  const detail::Subnet subnet = detail::parse_subnet(label, n.subnet);
  const std::uint32_t gateway = check_ipv4(w / "gateway", n.gateway);
  check_host(w / "gateway", gateway, subnet);
  (w / "driver").check(text_problem(n.driver));
  (w / "created_at").check(text_problem(n.created_at));
  check_labels(w / "labels", n.labels);
  check_count(w / "endpoints", n.endpoints.size());
  std::map<std::uint32_t, std::string_view> owner_of;  // IP -> box_id
  for (const auto& [box_id, e] : n.endpoints) {
    const Where ew = (w / "endpoints").at(box_id);
    if (e.box_id != box_id) (ew / "box_id").fail("must equal the endpoint's key");
    const std::uint32_t address = check_endpoint(ew, e);
    check_host(ew / "ip_address", address, subnet);
    if (address == gateway) (ew / "ip_address").fail("must not be the gateway address");
    if (const auto [it, fresh] = owner_of.emplace(address, box_id); !fresh) {
      (ew / "ip_address").fail("is also the address of endpoint " + quote(it->second));
    }
  }
  check_one_of(w / "policy.isolation", n.policy.isolation, {"none", "strict", "custom"});
  check_rules(w / "policy.ingress", n.policy.ingress);
  check_rules(w / "policy.egress", n.policy.egress);
  check_size(w, to_json(n));
}

void validate(const VolumeConfig& v) {
  const std::string label = label_of("volume", v.name);
  const Where w{label, {}};
  (w / "name").check(name_problem(v.name));
  (w / "driver").check(text_problem(v.driver));
  (w / "mount_point").check(text_problem(v.mount_point));
  (w / "created_at").check(text_problem(v.created_at));
  check_labels(w / "labels", v.labels);
  check_list(w / "in_use_by", v.in_use_by, identifier_problem);
  std::set<std::string_view> seen;
  for (const auto& box_id : v.in_use_by) {
    if (!seen.insert(box_id).second)
      (w / "in_use_by").fail("lists box " + quote(box_id) + " twice");
  }
  check_size(w, to_json(v));
}

void validate(const SnapshotMetadata& s) {
  const std::string label = label_of("snapshot", s.id);
  const Where w{label, {}};
  (w / "id").check(name_problem(s.id));
  (w / "name").check(text_problem(s.name));
  (w / "source_box_id").check(identifier_problem(s.source_box_id));
  (w / "image").check(identifier_problem(s.image));
  check_list(w / "volumes", s.volumes, text_problem);
  check_map(w / "env", s.env, text_problem, text_problem);
  check_list(w / "cmd", s.cmd, text_problem);
  if (s.entrypoint) check_list(w / "entrypoint", *s.entrypoint, text_problem);
  if (s.workdir) (w / "workdir").check(text_problem(*s.workdir));
  check_list(w / "port_map", s.port_map, text_problem);
  check_labels(w / "labels", s.labels);
  if (s.network_mode) (w / "network_mode").check(text_problem(*s.network_mode));
  if (s.rootfs_cache_key) (w / "rootfs_cache_key").check(text_problem(*s.rootfs_cache_key));
  (w / "description").check(text_problem(s.description));
  for (const auto& [field, value] :
       {std::pair{"image_config", &s.image_config}, std::pair{"health_check", &s.health_check}}) {
    if (!*value) continue;
    const std::string& text = **value;
    (w / field).check(text_problem(text));
    // Whitespace in the text counts for nothing below, so it is bounded here.
    if (text.size() > kMaxRecordBytes) (w / field).fail("must be at most 1 MiB of JSON");
    // The record's JSON nests at most kMaxJsonDepth levels, the limit its
    // parser holds it to, and the field's value sits one level inside it.
    if (detail::nested_too_deep(text, detail::kMaxJsonDepth - 1)) {
      (w / field).fail("is nested more than " + std::to_string(detail::kMaxJsonDepth) +
                       " levels deep");
    }
    const auto j = detail::parse_object(text);
    if (!j) (w / field).fail("must be the JSON text of an object");
    check_json(w / field, *j);
  }
  check_size(w, to_json(s));
}

void validate(const StoredImage& i) {
  const std::string label = label_of("image", i.reference);
  const Where w{label, {}};
  (w / "reference").check(identifier_problem(i.reference));
  (w / "digest").check(digest_problem(i.digest));
  if (i.reference.starts_with("sha256:") && i.reference != i.digest) {
    (w / "reference").fail("is written as a digest but is not the image's digest");
  }
  (w / "path").check(text_problem(i.path));
  check_size(w, to_json(i));
}

}  // namespace a3s::store
