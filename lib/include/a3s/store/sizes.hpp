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

// The largest binary unit that fits, e.g. "512B", "1.5KiB", "10GiB".
std::string format_size(std::uint64_t bytes);

}  // namespace a3s::store
