// The record codec (record_json.cpp) on nlohmann::json values, for the
// library, the CLI, the benchmark and the tests; the public header offers it
// as text (records.hpp). Internal.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "a3s/store/records.hpp"
#include "record_errors.hpp"

namespace a3s::store {

// As to_json_text and *_from_json_text (records.hpp), on parsed JSON.
nlohmann::json to_json(const NetworkEndpoint& e);
nlohmann::json to_json(const NetworkConfig& n);
nlohmann::json to_json(const VolumeConfig& v);
nlohmann::json to_json(const SnapshotMetadata& s);
nlohmann::json to_json(const StoredImage& i);

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

// Parses the JSON text of image_config or health_check (SnapshotMetadata):
// nullopt unless it is one JSON object, and nothing but whitespace around it.
std::optional<nlohmann::json> parse_object(std::string_view text);

}  // namespace a3s::store::detail
