#include "a3s/store/records.hpp"

#include <concepts>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <set>
#include <utility>

#include "a3s/store/error.hpp"
#include "ipv4.hpp"
#include "stored_row.hpp"

namespace a3s::store {
namespace {

namespace chr = std::chrono;
using nlohmann::json;

// SPEC §4 limits.
constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxIdentifierBytes = 256;
constexpr std::size_t kMaxLabels = 1000;
constexpr std::size_t kMaxLabelValueBytes = 4096;
constexpr std::size_t kMaxEntries = 10000;
constexpr std::size_t kMaxRecordBytes = 1 << 20;
// Bounds the recursion over verbatim JSON objects (image_config, health_check).
constexpr int kMaxJsonDepth = 64;

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::invalid_argument, message);
}

// ---------------------------------------------------------------------------
// UTF-8 and the string rules of SPEC §4

// Decodes the code point starting at s[i] and moves i past it. Returns
// nullopt (i unchanged) unless s[i..] starts with well-formed UTF-8 (no
// overlong forms, surrogates or values past U+10FFFF).
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t length = 0;
  char32_t cp = 0, min = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() - i < length) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return std::nullopt;
    cp = cp << 6 | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  i += length;
  return cp;
}

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

// `text` made safe for an error message: invalid UTF-8 and control characters
// as \xNN, cut after about 64 bytes.
std::string escaped(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < 64) {
    const std::size_t start = i;
    const auto c = next_code_point(text, i);
    if (c && !is_control(*c)) {
      out.append(text.substr(start, i - start));
      continue;
    }
    if (!c) i = start + 1;
    for (std::size_t k = start; k < i; ++k) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[k]));
      out += buf;
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

std::string quote(std::string_view text) { return "'" + escaped(text) + "'"; }

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
// Where a value sits, for error messages: the record ("network 'dev'") and the
// field path inside it ("endpoints[box-a].ip_address").

struct Where {
  std::string_view record;
  std::string path;

  Where operator/(std::string_view field) const {
    return {record, path.empty() ? std::string(field) : path + "." + std::string(field)};
  }
  Where at(std::size_t index) const { return {record, path + "[" + std::to_string(index) + "]"}; }
  Where at(std::string_view key) const { return {record, path + "[" + escaped(key) + "]"}; }

  [[noreturn]] void fail(std::string_view problem) const {
    std::string message(record);
    message += ": ";
    if (!path.empty()) message += "field '" + path + "' ";
    message += problem;
    invalid(message);
  }
  void check(const char* problem) const {
    if (problem) fail(problem);
  }
};

// "network 'dev'", or just "network" when the JSON carries no usable name.
std::string label_of(std::string_view kind, const json& j, const char* key) {
  if (j.is_object()) {
    const auto it = j.find(key);
    if (it != j.end() && it->is_string())
      return std::string(kind) + " " + quote(it->get_ref<const std::string&>());
  }
  return std::string(kind);
}

std::string label_of(std::string_view kind, std::string_view name) {
  return std::string(kind) + " " + quote(name);
}

// ---------------------------------------------------------------------------
// Timestamps

// Parses "YYYY-MM-DD(T|t)hh:mm:ss[.fraction](Z|z|+hh:mm|-hh:mm)"; fraction
// digits past the ninth are dropped. nullopt when malformed or outside what a
// Timestamp holds (about 1678..2261).
std::optional<Timestamp> try_parse_rfc3339(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&](std::size_t count, int& out) {
    if (s.size() - i < count) return false;
    out = 0;
    for (std::size_t end = i + count; i < end; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  const auto accept = [&](std::string_view chars) {
    return i < s.size() && chars.find(s[i]) != std::string_view::npos ? s[i++] : '\0';
  };

  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!(digits(4, year) && accept("-") && digits(2, month) && accept("-") && digits(2, day) &&
        accept("Tt") && digits(2, hour) && accept(":") && digits(2, minute) && accept(":") &&
        digits(2, second))) {
    return std::nullopt;
  }
  std::int64_t nanos = 0;
  if (accept(".")) {
    int count = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++count) {
      if (count < 9) nanos = nanos * 10 + (s[i] - '0');
    }
    if (count == 0) return std::nullopt;
    for (; count < 9; ++count) nanos *= 10;
  }
  int offset_minutes = 0;
  if (!accept("Zz")) {
    const char sign = accept("+-");
    int hours = 0, minutes = 0;
    if (!sign || !digits(2, hours) || !accept(":") || !digits(2, minutes) || hours > 23 ||
        minutes > 59) {
      return std::nullopt;
    }
    offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const chr::year_month_day date{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                                 chr::day{static_cast<unsigned>(day)}};
  if (i != s.size() || !date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;

  const std::int64_t seconds =
      std::int64_t{chr::sys_days{date}.time_since_epoch().count()} * 86400 + hour * 3600 +
      minute * 60 + second - offset_minutes * 60;
  constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1'000'000'000;
  if (seconds <= -limit || seconds >= limit) return std::nullopt;
  return Timestamp{chr::nanoseconds{seconds * 1'000'000'000 + nanos}};
}

std::string format_utc(Timestamp t, bool fixed_width) {
  const auto midnight = chr::floor<chr::days>(t);
  const chr::year_month_day date{midnight};
  const chr::hh_mm_ss<chr::nanoseconds> time{t - midnight};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09lld",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<long long>(time.subseconds().count()));
  std::string out(buf);
  if (!fixed_width) {
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
  }
  return out + "Z";
}

// ---------------------------------------------------------------------------
// Decoding: one overload of decode() per value type, all reporting through
// Where. null is accepted only for std::optional (serde's Option).

void decode(const json& v, PolicyRule& r, const Where& w);
void decode(const json& v, NetworkPolicy& p, const Where& w);
void decode(const json& v, NetworkEndpoint& e, const Where& w);

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
  if (!t) w.fail("must be an RFC 3339 timestamp, not " + quote(v.get_ref<const std::string&>()));
  out = *t;
}

// A JSON object kept verbatim.
void decode(const json& v, json& out, const Where& w) {
  if (!v.is_object()) w.fail("must be an object");
  out = v;
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

void decode(const json& v, NetworkPolicy& p, const Where& w) {
  Fields(v, w)
      .optional("isolation", p.isolation)
      .optional("ingress", p.ingress)
      .optional("egress", p.egress);
}

void decode(const json& v, NetworkEndpoint& e, const Where& w) {
  Fields(v, w)
      .required("box_id", e.box_id)
      .required("box_name", e.box_name)
      .required("ip_address", e.ip_address)
      .required("mac_address", e.mac_address)
      .optional("aliases", e.aliases);
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
      .optional("port_map", s.port_map)
      .optional("labels", s.labels)
      .optional("network_mode", s.network_mode)
      .optional("rootfs_cache_key", s.rootfs_cache_key)
      .optional("size_bytes", s.size_bytes)
      .optional("created_at", s.created_at)
      .optional("description", s.description)
      .optional("image_config", s.image_config)
      .optional("health_check", s.health_check)
      .optional("healthcheck_disabled", s.healthcheck_disabled);
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
json nullable(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json encode(const std::vector<PolicyRule>& rules) {
  json out = json::array();
  for (const auto& r : rules) {
    out.push_back({{"from", r.from},
                   {"to", r.to},
                   {"ports", r.ports},
                   {"protocol", r.protocol},
                   {"action", r.action}});
  }
  return out;
}

json encode(const NetworkPolicy& p) {
  return {{"isolation", p.isolation}, {"ingress", encode(p.ingress)}, {"egress", encode(p.egress)}};
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

// Every string in a verbatim JSON value (keys included) is text; nesting is
// bounded so that walking and serializing it cannot exhaust the stack.
void check_json(const Where& w, const json& j, int depth = 0) {
  if (depth > kMaxJsonDepth) w.fail("must not nest deeper than 64 levels");
  if (j.is_string()) w.check(text_problem(j.get_ref<const std::string&>()));
  if (j.is_object()) {
    for (const auto& [key, item] : j.items()) {
      w.check(text_problem(key));
      check_json(w, item, depth + 1);
    }
  } else if (j.is_array()) {
    for (const auto& item : j) check_json(w, item, depth + 1);
  }
}

// Runs last: every string has been checked, so dump() cannot meet bad UTF-8.
void check_size(const Where& w, const json& j) {
  if (j.dump(-1, ' ', false, json::error_handler_t::replace).size() > kMaxRecordBytes) {
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
    w.fail("must be inside subnet " + detail::format_ipv4(subnet.network) + "/" +
           std::to_string(subnet.prefix));
  }
  if (address == subnet.network) w.fail("must not be the network address");
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

void validate(const NetworkEndpoint& e) {
  const std::string label = label_of("endpoint", e.box_id);
  const Where w{label, {}};
  check_endpoint(w, e);
  check_size(w, to_json(e));
}

template <class R>
R decoded(const json& j, std::string_view kind, const char* name_field) {
  const std::string label = label_of(kind, j, name_field);
  R record;
  decode(j, record, Where{label, {}});
  validate(record);
  return record;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API

Timestamp parse_rfc3339(std::string_view text, std::string_view field) {
  const auto t = try_parse_rfc3339(text);
  if (!t) {
    invalid("field '" + std::string(field) + "' must be an RFC 3339 timestamp, not " + quote(text));
  }
  return *t;
}

std::string format_rfc3339(Timestamp t) { return format_utc(t, false); }

std::string format_rfc3339_sortable(Timestamp t) { return format_utc(t, true); }

Timestamp now() { return chr::time_point_cast<chr::nanoseconds>(chr::system_clock::now()); }

json to_json(const NetworkEndpoint& e) {
  return {{"box_id", e.box_id},
          {"box_name", e.box_name},
          {"ip_address", e.ip_address},
          {"mac_address", e.mac_address},
          {"aliases", e.aliases}};
}

json to_json(const NetworkConfig& n) {
  json endpoints = json::object();
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

json to_json(const VolumeConfig& v) {
  return {{"name", v.name},
          {"driver", v.driver},
          {"mount_point", v.mount_point},
          {"labels", v.labels},
          {"in_use_by", v.in_use_by},
          {"size_limit", v.size_limit},
          {"created_at", v.created_at}};
}

json to_json(const SnapshotMetadata& s) {
  json j = {{"id", s.id},
            {"name", s.name},
            {"source_box_id", s.source_box_id},
            {"image", s.image},
            {"vcpus", s.vcpus},
            {"memory_mb", s.memory_mb},
            {"volumes", s.volumes},
            {"env", s.env},
            {"cmd", s.cmd},
            {"entrypoint", nullable(s.entrypoint)},
            {"workdir", nullable(s.workdir)},
            {"port_map", s.port_map},
            {"labels", s.labels},
            {"network_mode", nullable(s.network_mode)},
            {"rootfs_cache_key", nullable(s.rootfs_cache_key)},
            {"size_bytes", s.size_bytes},
            {"created_at", format_rfc3339(s.created_at)},
            {"description", s.description},
            {"healthcheck_disabled", s.healthcheck_disabled}};
  if (s.image_config) j["image_config"] = *s.image_config;
  if (s.health_check) j["health_check"] = *s.health_check;
  return j;
}

json to_json(const StoredImage& i) {
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
    if (!(*value)->is_object()) (w / field).fail("must be an object");
    check_json(w / field, **value);
  }
  check_size(w, to_json(s));
}

void validate(const StoredImage& i) {
  const std::string label = label_of("image", i.reference);
  const Where w{label, {}};
  (w / "reference").check(identifier_problem(i.reference));
  (w / "digest").check(digest_problem(i.digest));
  (w / "path").check(text_problem(i.path));
  check_size(w, to_json(i));
}

// ---------------------------------------------------------------------------
// Stored values (stored_row.hpp)

namespace detail {
namespace {

[[noreturn]] void stored_corrupt(const StoredField& field, std::string_view problem) {
  throw Error(ErrorCode::corrupt, label_of(field.kind, field.name) + ": column '" + field.column +
                                      "' " + std::string(problem) +
                                      " (the row was changed outside the store)");
}

json parse_stored(std::string_view json_text, const StoredField& field) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) stored_corrupt(field, "does not hold valid JSON");
  return j;
}

// JSON string values moved out of the parsed document rather than copied.
std::string take_string(json& v, const StoredField& field) {
  if (!v.is_string()) stored_corrupt(field, "holds a non-string value");
  return std::move(v.get_ref<std::string&>());
}

}  // namespace

void decode_stored(std::string_view json_text, StringMap& out, const StoredField& field) {
  out.clear();
  if (json_text == "{}") return;
  json j = parse_stored(json_text, field);
  if (!j.is_object()) stored_corrupt(field, "does not hold a JSON object");
  for (auto& [key, value] : j.items()) out.emplace_hint(out.end(), key, take_string(value, field));
}

void decode_stored(std::string_view json_text, std::vector<std::string>& out,
                   const StoredField& field) {
  out.clear();
  if (json_text == "[]") return;
  json j = parse_stored(json_text, field);
  if (!j.is_array()) stored_corrupt(field, "does not hold a JSON array");
  out.reserve(j.size());
  for (auto& value : j) out.push_back(take_string(value, field));
}

void decode_stored(std::string_view json_text, NetworkPolicy& out, const StoredField& field) {
  // The default policy as the stores write it (keys sorted) and as the
  // column's DEFAULT spells it.
  if (json_text == R"({"egress":[],"ingress":[],"isolation":"none"})" ||
      json_text == R"({"isolation":"none","ingress":[],"egress":[]})") {
    out = NetworkPolicy{};
    return;
  }
  const json j = parse_stored(json_text, field);
  const std::string label = label_of(field.kind, field.name);
  try {
    decode(j, out, Where{label, field.column});
  } catch (const Error& e) {
    throw Error(ErrorCode::corrupt,
                std::string(e.what()) + " (the row was changed outside the store)");
  }
}

void decode_stored(std::string_view json_text, json& out, const StoredField& field) {
  out = parse_stored(json_text, field);
  if (!out.is_object()) stored_corrupt(field, "does not hold a JSON object");
}

void decode_stored_time(std::string_view text, Timestamp& out, const StoredField& field) {
  const auto t = try_parse_rfc3339(text);
  if (!t) stored_corrupt(field, "holds " + quote(text) + ", not an RFC 3339 timestamp");
  out = *t;
}

}  // namespace detail
}  // namespace a3s::store
