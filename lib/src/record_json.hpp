// The part of the record codec (record_json.cpp) that the stored-row reader
// shares, so both hold one notion of a network policy's JSON shape. Internal.
#pragma once

#include <nlohmann/json.hpp>

#include "a3s/store/records.hpp"
#include "record_errors.hpp"

namespace a3s::store::detail {

// Decodes a network policy's JSON as network_from_json does (missing fields
// keep their defaults, unknown ones are ignored); a value of the wrong shape
// fails through `w`. Checks shape only, none of validate()'s rules.
void decode(const nlohmann::json& v, NetworkPolicy& p, const Where& w);

}  // namespace a3s::store::detail
