// The runtime's records (SPEC §3) and their JSON codec. The JSON is the
// contract: the same field names, defaults and required fields as the Rust
// runtime (a3s-box-core 2.4.0) writes; unknown fields are ignored.
//
// Decoding throws Error(invalid_argument) naming the record and field
// ("network 'dev': field 'subnet' is required"); encoding never throws for a
// record that passed validation. Only the standard library is included here.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace a3s::store {

// A UTC instant from 0000-01-01T00:00:00Z to 9999-12-31T23:59:60.999999999Z
// with nanosecond precision (fields typed `time` in SPEC §3): the times the
// runtime's time library (chrono) writes as RFC 3339, years 0000..9999.
//
// A leap second is kept as chrono keeps it: the :59 second of its minute with
// nanos() from 1'000'000'000 up, so the "23:59:60.500Z" chrono writes comes
// back as "23:59:60.500Z". It orders after every instant of that :59 second
// and before the next minute's :00, and differs from both.
class Timestamp {
 public:
  using SysTime = std::chrono::sys_time<std::chrono::nanoseconds>;  // std::chrono's UTC time

  constexpr Timestamp() noexcept = default;  // 1970-01-01T00:00:00Z

  // `seconds` since 1970-01-01T00:00:00Z (negative before it) and `nanos`
  // into that second. `nanos` of 1'000'000'000..1'999'999'999 make a leap
  // second, only on a minute's :59 second (as chrono takes them). Throws
  // Error(invalid_argument) for an instant outside the range above, `nanos`
  // of 2'000'000'000 or more, or a leap second on another second.
  Timestamp(std::int64_t seconds, std::uint32_t nanos);

  // The same instant. Never throws: every SysTime (1677..2262) is in range.
  explicit Timestamp(SysTime time) noexcept;

  // Whole seconds since 1970-01-01T00:00:00Z; a leap second's is the :59
  // second it follows.
  std::int64_t seconds() const noexcept { return seconds_; }
  // Nanoseconds into seconds(): below 1'000'000'000, or up to 1'999'999'999
  // in a leap second.
  std::uint32_t nanos() const noexcept { return nanos_; }

  // As a SysTime, which has no leap seconds: a leap second becomes the first
  // second of the next minute. Throws Error(invalid_argument) when the
  // instant is outside what SysTime holds
  // (1677-09-21T00:12:43.145224192Z..2262-04-11T23:47:16.854775807Z).
  SysTime to_sys_time() const;

  // Time order; equal only for the same instant.
  friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;

 private:
  std::int64_t seconds_ = 0;
  std::uint32_t nanos_ = 0;
};

// Parses any valid RFC 3339 date-time in years 0000..9999 UTC
// ("2024-01-01T00:00:00Z", "...T00:00:00.123456789+02:00", a leap second
// ":60" on any minute, as chrono reads it), and the relaxed forms the
// runtime's time library also reads: a space or `t` for `T`, `z` for `Z`, an
// offset "+hhmm". Fraction digits past the ninth are dropped. Throws
// Error(invalid_argument) mentioning `field` on anything else, and when the
// offset moves the instant out of the range ("0000-01-01T00:00:00+01:00").
Timestamp parse_rfc3339(std::string_view text, std::string_view field);

// Formats as UTC with a `Z` suffix, as the runtime writes its times: no
// fraction when it is zero, else 3, 6 or 9 digits ("...00:00:00.100Z"); a
// leap second as ":60". parse_rfc3339 of the result is `t` again.
std::string format_rfc3339(Timestamp t);

// Returns the current time.
Timestamp now();

using StringMap = std::map<std::string, std::string>;

struct NetworkEndpoint {
  std::string box_id;
  std::string box_name;
  std::string ip_address;
  std::string mac_address;
  std::vector<std::string> aliases;
  bool operator==(const NetworkEndpoint&) const = default;
};

struct PolicyRule {
  std::string from = "*";
  std::string to = "*";
  std::vector<std::uint16_t> ports;
  std::string protocol = "any";
  std::string action = "allow";  // "allow" | "deny"
  bool operator==(const PolicyRule&) const = default;
};

struct NetworkPolicy {
  std::string isolation = "none";  // "none" | "strict" | "custom"
  std::vector<PolicyRule> ingress;
  std::vector<PolicyRule> egress;
  bool operator==(const NetworkPolicy&) const = default;
};

struct NetworkConfig {
  std::string name;
  std::string subnet;   // CIDR, e.g. "10.88.0.0/24"
  std::string gateway;  // IPv4
  std::string driver = "bridge";
  StringMap labels;
  std::map<std::string, NetworkEndpoint> endpoints;  // by box_id
  std::string created_at;                            // string time: kept verbatim
  NetworkPolicy policy;
  bool operator==(const NetworkConfig&) const = default;
};

struct VolumeConfig {
  std::string name;
  std::string driver = "local";
  std::string mount_point;
  StringMap labels;
  std::vector<std::string> in_use_by;  // box IDs, no duplicates, order kept
  std::uint64_t size_limit = 0;        // bytes, 0 = unlimited
  std::string created_at;              // string time: kept verbatim
  bool operator==(const VolumeConfig&) const = default;
};

struct SnapshotMetadata {
  std::string id;
  std::string name;
  std::string source_box_id;
  std::string image;
  std::uint32_t vcpus = 0;
  std::uint32_t memory_mb = 0;
  std::vector<std::string> volumes;  // "host:guest"
  StringMap env;
  std::vector<std::string> cmd;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::string> workdir;
  std::vector<std::string> port_map;
  StringMap labels;
  std::optional<std::string> network_mode;
  std::optional<std::string> rootfs_cache_key;
  std::uint64_t size_bytes = 0;
  Timestamp created_at{};  // default 1970-01-01T00:00:00Z
  std::string description;
  // Schema version 2 fields, omitted from the JSON when absent: the JSON text
  // of one object (`{"Env":["PATH=/bin"]}`), which validate() checks. The
  // store keeps the text byte for byte; decoding a record's JSON fills them
  // with the object's compact form.
  std::optional<std::string> image_config;
  std::optional<std::string> health_check;
  bool healthcheck_disabled = false;
  bool operator==(const SnapshotMetadata&) const = default;
};

struct StoredImage {
  std::string reference;
  std::string digest;  // "sha256:" + 64 lowercase hex
  std::uint64_t size_bytes = 0;
  Timestamp pulled_at{};
  Timestamp last_used{};
  std::string path;  // the layout directory
  bool operator==(const StoredImage&) const = default;
};

// JSON conversion: each record as one line of JSON text, and back.
// to_json_text writes the fields in the order the runtime's structs declare
// them (as serde writes them; SPEC §3), map keys sorted.
// `*_from_json_text` refuse text that is not one JSON value, an object that
// names one field twice (a repeated key inside labels, env or endpoints keeps
// its last value, as serde's maps do), and validate everything SPEC §3/§4 says
// about the record (types, ranges, required fields, names, limits); either way
// they throw Error(invalid_argument) naming the record and the field.
std::string to_json_text(const NetworkEndpoint& e);
std::string to_json_text(const NetworkConfig& n);
std::string to_json_text(const VolumeConfig& v);
std::string to_json_text(const SnapshotMetadata& s);
std::string to_json_text(const StoredImage& i);

NetworkEndpoint endpoint_from_json_text(std::string_view text);
NetworkConfig network_from_json_text(std::string_view text);
VolumeConfig volume_from_json_text(std::string_view text);
SnapshotMetadata snapshot_from_json_text(std::string_view text);
StoredImage image_from_json_text(std::string_view text);

// Input validation shared by the codec and the stores. Each throws
// Error(invalid_argument) with a message naming `what` (e.g. "network name")
// and the problem; none touches the filesystem.

// Names of networks and volumes and snapshot IDs: [A-Za-z0-9][A-Za-z0-9_.-]*,
// at most 128 bytes.
void validate_name(std::string_view what, std::string_view name);
// Box IDs, box names, aliases, image references, label keys: 1..256 bytes of
// UTF-8, no control characters.
void validate_identifier(std::string_view what, std::string_view value);
// "sha256:" + 64 lowercase hex.
void validate_digest(std::string_view digest);
// Valid UTF-8 without NUL.
void validate_text(std::string_view what, std::string_view value);

// Whole-record validation (every field, every per-record limit of SPEC §4).
void validate(const NetworkConfig& n);
void validate(const VolumeConfig& v);
void validate(const SnapshotMetadata& s);
void validate(const StoredImage& i);

}  // namespace a3s::store
