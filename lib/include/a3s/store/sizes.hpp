// Byte sizes as operators type them (SPEC §7): "1048576", "512k", "500m",
// "10g", "10GB", "1KiB". Units are 1024-based and case-insensitive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace a3s::store {

// Returns the number of bytes, or nullopt for anything malformed or above
// UINT64_MAX.
std::optional<std::uint64_t> parse_size(std::string_view text);

// `bytes` in the largest binary unit that fits, never looking more exact
// than it is: below 1KiB, or a whole number of the unit, exactly ("0B",
// "1023B", "10GiB"); a value exact at one decimal likewise ("1.5KiB");
// anything else is marked approximate: "~" and the value rounded to the
// nearest tenth, without a trailing ".0" ("~2.1KiB", "~16EiB" for 2^64-1).
std::string format_size(std::uint64_t bytes);

}  // namespace a3s::store
