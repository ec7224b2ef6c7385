// The timestamp forms only the library needs: parsing without throwing, for
// callers that report a bad one in their own words (the record codec, the
// stored-row reader), and the form `time` columns are stored in. Internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "a3s/store/records.hpp"

namespace a3s::store {

// Fixed-width form (always 9 fraction digits, a leap second as ":60") whose
// byte order equals time order over the whole range, years 0000..9999; this
// is how `time` fields are stored in the database.
std::string format_rfc3339_sortable(Timestamp t);

}  // namespace a3s::store

namespace a3s::store::detail {

// What a timestamp must be, for error messages: "an RFC 3339 timestamp in
// years 0000..9999 UTC".
extern const std::string_view kTimestampForm;

// Parses "YYYY-MM-DD(T|t| )hh:mm:ss[.fraction](Z|z|+hh:mm|-hh:mm|+hhmm|-hhmm)",
// the forms chrono (the runtime's time library) reads: fraction digits past
// the ninth are dropped; a leap second ":60" is kept (see Timestamp).
// nullopt when malformed or, in UTC, outside years 0000..9999.
std::optional<Timestamp> try_parse_rfc3339(std::string_view s);

}  // namespace a3s::store::detail
