// Parsing RFC 3339 timestamps without throwing, for callers that report a bad
// one in their own words (the record codec, the stored-row reader). Internal.
#pragma once

#include <optional>
#include <string_view>

#include "a3s/store/records.hpp"

namespace a3s::store::detail {

// Parses "YYYY-MM-DD(T|t)hh:mm:ss[.fraction](Z|z|+hh:mm|-hh:mm)"; fraction
// digits past the ninth are dropped. nullopt when malformed or outside what a
// Timestamp holds (about 1678..2261).
std::optional<Timestamp> try_parse_rfc3339(std::string_view s);

}  // namespace a3s::store::detail
