// The timestamp forms only the library needs: parsing without throwing, for
// callers that report a bad one in their own words (the record codec, the
// stored-row reader), and the form `time` columns are stored in. Internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "a3s/store/records.hpp"

namespace a3s::store {

// Fixed-width form (always 9 fraction digits) whose byte order equals time
// order; this is how `time` fields are stored in the database.
std::string format_rfc3339_sortable(Timestamp t);

}  // namespace a3s::store

namespace a3s::store::detail {

// Parses "YYYY-MM-DD(T|t| )hh:mm:ss[.fraction](Z|z|+hh:mm|-hh:mm|+hhmm|-hhmm)",
// the forms chrono (the runtime's time library) reads: fraction digits past
// the ninth are dropped; a leap second ":60" is the next minute's first
// second. nullopt when malformed or outside what a Timestamp holds (about
// 1678..2261).
std::optional<Timestamp> try_parse_rfc3339(std::string_view s);

}  // namespace a3s::store::detail
