#include "a3s/store/sizes.hpp"

#include <array>
#include <cctype>

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
  const unsigned shift = 10 * static_cast<unsigned>(unit);
  std::uint64_t whole = bytes >> shift;
  // Below 2^60, so ten times it still fits.
  const std::uint64_t rest = bytes - (whole << shift);
  if (rest == 0) return std::to_string(whole) + names[unit];
  std::uint64_t tenths = (rest * 10) >> shift;
  const bool exact = ((rest * 10) & ((std::uint64_t{1} << shift) - 1)) == 0;
  if (exact) return std::to_string(whole) + "." + std::to_string(tenths) + names[unit];
  // Rounded to the nearest tenth; "~" says so.
  tenths = (rest * 10 + (std::uint64_t{1} << (shift - 1))) >> shift;
  if (tenths == 10) {
    ++whole;
    tenths = 0;
  }
  return "~" + std::to_string(whole) + (tenths == 0 ? "" : "." + std::to_string(tenths)) +
         names[unit];
}

}  // namespace a3s::store
