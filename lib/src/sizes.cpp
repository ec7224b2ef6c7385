#include "a3s/store/sizes.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace a3s::store {
namespace {

constexpr std::string_view kUnits = "kmgtpe";  // powers of 1024, 1..6

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t value = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (__builtin_mul_overflow(value, 10u, &value) ||
        __builtin_add_overflow(value, static_cast<std::uint64_t>(text[i] - '0'), &value)) {
      return std::nullopt;
    }
  }
  if (i == 0) return std::nullopt;

  int power = 0;
  if (i < text.size()) {
    if (const auto unit = kUnits.find(lower(text[i])); unit != std::string_view::npos) {
      power = static_cast<int>(unit) + 1;
      ++i;
    }
  }
  // Suffix: nothing, "b", or (after a unit) "ib".
  std::string suffix;
  for (; i < text.size(); ++i) suffix += lower(text[i]);
  if (!(suffix.empty() || suffix == "b" || (power > 0 && suffix == "ib"))) return std::nullopt;

  for (int p = 0; p < power; ++p) {
    if (__builtin_mul_overflow(value, 1024u, &value)) return std::nullopt;
  }
  return value;
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::array<const char*, 7> names{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::size_t unit = 0;
  while (unit + 1 < names.size() && (bytes >> (10 * (unit + 1))) > 0) ++unit;
  if (unit == 0 || bytes % (std::uint64_t{1} << (10 * unit)) == 0) {
    return std::to_string(bytes >> (10 * unit)) + names[unit];
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%s",
                static_cast<double>(bytes) / static_cast<double>(std::uint64_t{1} << (10 * unit)),
                names[unit]);
  return text;
}

}  // namespace a3s::store
