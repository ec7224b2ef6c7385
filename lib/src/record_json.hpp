// The record codec (record_json.cpp) on nlohmann JSON values, for the
// library, the CLI, the benchmark and the tests; the public header offers it
// as text (records.hpp, record_json_text.cpp). Internal.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "a3s/store/records.hpp"
#include "record_errors.hpp"

namespace a3s::store {

// As to_json_text (records.hpp), as a JSON value: an ordered_json, so that
// each record's fields keep the order SPEC §3 lists (serde's), map keys sorted.
nlohmann::ordered_json to_json(const NetworkEndpoint& e);
nlohmann::ordered_json to_json(const NetworkConfig& n);
nlohmann::ordered_json to_json(const VolumeConfig& v);
nlohmann::ordered_json to_json(const SnapshotMetadata& s);
nlohmann::ordered_json to_json(const StoredImage& i);

// As *_from_json_text (records.hpp), on parsed JSON. A parsed value holds
// each key once, so the refusal of a field named twice is the text parser's
// (detail::parse_json_text).
NetworkEndpoint endpoint_from_json(const nlohmann::json& j);
NetworkConfig network_from_json(const nlohmann::json& j);
VolumeConfig volume_from_json(const nlohmann::json& j);
SnapshotMetadata snapshot_from_json(const nlohmann::json& j);
StoredImage image_from_json(const nlohmann::json& j);

}  // namespace a3s::store

namespace a3s::store::detail {

// Decodes a network policy's JSON as network_from_json does (missing fields
// keep their defaults, unknown ones are ignored); a value of the wrong shape
// fails through `w`. Checks shape only, none of validate()'s rules. Shared
// with the stored-row reader, so both hold one notion of its shape.
void decode(const nlohmann::json& v, NetworkPolicy& p, const Where& w);

// The deepest nesting of objects and arrays a JSON text may hold: serde_json
// 1.0 (the runtime's parser) counts down from 128 and refuses the level that
// reaches 0, so 127 levels are the most it reads. Checked while parsing, so a
// deeper text is refused before any value is built from it.
inline constexpr std::size_t kMaxJsonDepth = 127;

// Whether `text` nests objects and arrays more than `max_depth` levels deep
// before its first syntax error (if any). For parsers of untrusted text to
// call before building a value from it; a text that becomes part of a record
// (image_config) gets the levels the record leaves it.
bool nested_too_deep(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

// Parses the JSON text of image_config or health_check (SnapshotMetadata):
// nullopt unless it is one JSON object nested at most kMaxJsonDepth levels
// deep, and nothing but whitespace around it.
std::optional<nlohmann::json> parse_object(std::string_view text);

// Parses one JSON value as serde reads the records in it: an object that is a
// record (the top-level value, a value of a map, an element of a list, and
// any other declared field's object) must not name one of the records' fields
// twice; a repeated key in a map (labels, env, endpoints, and the legacy
// files' networks and volumes when they hold an object) keeps its last value,
// and anything goes inside image_config, health_check and fields no record
// declares (serde skips them). Throws Error(invalid_argument):
// "<what>: not valid JSON: ..." or "<what>: field 'policy.isolation' is named
// twice", or "<what>: field 'image_config' is nested more than 127 levels
// deep" (kMaxJsonDepth), checked before any value is built. For
// *_from_json_text, and for reading the legacy JSON files.
nlohmann::json parse_json_text(std::string_view text, std::string_view what);

// A legacy file (networks.json, volumes.json, images/index.json) parsed as
// parse_json_text does, except that a record in its wrapper naming a field
// twice does not fail the whole file: it is listed in `duplicates` by its
// key (networks, volumes) or its index from 0 (images), with the reason
// ("field 'subnet' is named twice"), and its value is the last one read.
struct LegacyFile {
  nlohmann::json value;
  std::map<std::string, std::string> duplicates;
};
LegacyFile parse_legacy_file(std::string_view text, std::string_view what);

}  // namespace a3s::store::detail
