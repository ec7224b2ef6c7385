// Byte sizes as operators type them and as the CLI shows them (sizes.hpp,
// SPEC §7).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "a3s/store/sizes.hpp"

namespace {

using a3s::store::format_size;
using a3s::store::parse_size;

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = KiB * 1024;
constexpr std::uint64_t GiB = MiB * 1024;
constexpr std::uint64_t TiB = GiB * 1024;
constexpr std::uint64_t PiB = TiB * 1024;
constexpr std::uint64_t EiB = PiB * 1024;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Optional compared with a value: a refusal shows as a mismatch, not a crash.
std::optional<std::uint64_t> bytes(std::uint64_t v) { return v; }

}  // namespace

TEST_CASE("plain numbers are bytes", "[sizes]") {
  CHECK(parse_size("0") == bytes(0));
  CHECK(parse_size("1048576") == bytes(1048576));
  CHECK(parse_size("007") == bytes(7));
  CHECK(parse_size("18446744073709551615") == bytes(kMax));
}

TEST_CASE("units are 1024-based and case-insensitive", "[sizes]") {
  CHECK(parse_size("512k") == bytes(512 * KiB));
  CHECK(parse_size("512K") == bytes(512 * KiB));
  CHECK(parse_size("500m") == bytes(500 * MiB));
  CHECK(parse_size("500M") == bytes(500 * MiB));
  CHECK(parse_size("10g") == bytes(10 * GiB));
  CHECK(parse_size("10G") == bytes(10 * GiB));
  CHECK(parse_size("2t") == bytes(2 * TiB));
  CHECK(parse_size("3p") == bytes(3 * PiB));
  CHECK(parse_size("15e") == bytes(15 * EiB));
}

TEST_CASE("a B or iB suffix is accepted after a unit, B alone after a number", "[sizes]") {
  CHECK(parse_size("10GB") == bytes(10 * GiB));
  CHECK(parse_size("10gb") == bytes(10 * GiB));
  CHECK(parse_size("10Gb") == bytes(10 * GiB));
  CHECK(parse_size("1KiB") == bytes(KiB));
  CHECK(parse_size("1kib") == bytes(KiB));
  CHECK(parse_size("4MIB") == bytes(4 * MiB));
  CHECK(parse_size("512B") == bytes(512));
  CHECK(parse_size("512b") == bytes(512));
}

TEST_CASE("malformed sizes are refused", "[sizes]") {
  CHECK_FALSE(parse_size(""));
  CHECK_FALSE(parse_size("-1"));
  CHECK_FALSE(parse_size("+1"));
  CHECK_FALSE(parse_size("1.5g"));
  CHECK_FALSE(parse_size("0.5"));
  CHECK_FALSE(parse_size("1,000"));
  CHECK_FALSE(parse_size("abc"));
  CHECK_FALSE(parse_size("k"));
  CHECK_FALSE(parse_size("GB"));
  CHECK_FALSE(parse_size("10x"));
  CHECK_FALSE(parse_size("10kk"));
  CHECK_FALSE(parse_size("10gbb"));
  CHECK_FALSE(parse_size("10iB"));  // iB only follows a unit
  CHECK_FALSE(parse_size(" 10"));
  CHECK_FALSE(parse_size("10 "));
  CHECK_FALSE(parse_size("10 g"));
}

TEST_CASE("sizes past UINT64_MAX are refused, not wrapped", "[sizes]") {
  CHECK_FALSE(parse_size("18446744073709551616"));        // UINT64_MAX + 1
  CHECK_FALSE(parse_size("99999999999999999999999999"));  // overflows in the digits
  CHECK_FALSE(parse_size("16e"));                         // 2^64
  CHECK_FALSE(parse_size("17179869184g"));                // 2^34 GiB = 2^64
  CHECK(parse_size("17179869183g") == bytes(17179869183 * GiB));
  CHECK_FALSE(parse_size("18014398509481984k"));  // 2^54 KiB = 2^64
}

TEST_CASE("format_size picks the largest unit that fits", "[sizes]") {
  CHECK(format_size(0) == "0B");
  CHECK(format_size(512) == "512B");
  CHECK(format_size(1023) == "1023B");
  CHECK(format_size(KiB) == "1KiB");
  CHECK(format_size(1536) == "1.5KiB");
  CHECK(format_size(500 * MiB) == "500MiB");
  CHECK(format_size(10 * GiB) == "10GiB");
  CHECK(format_size(10 * GiB + 512 * MiB) == "10.5GiB");
  CHECK(format_size(3 * TiB) == "3TiB");
  CHECK(format_size(8 * EiB) == "8EiB");
}

TEST_CASE("format_size never shows an approximate size as an exact one", "[sizes]") {
  CHECK(format_size(1) == "1B");
  CHECK(format_size(1025) == "~1KiB");         // 1.0009...
  CHECK(format_size(1100) == "~1.1KiB");       // 1.074...
  CHECK(format_size(2 * KiB - 1) == "~2KiB");  // rounds up into the next whole
  CHECK(format_size(10 * GiB + 1) == "~10GiB");
  CHECK(format_size(UINT64_MAX) == "~16EiB");           // not "16.0EiB": 1 byte short
  CHECK(format_size(15 * EiB + EiB / 2) == "15.5EiB");  // exact at one decimal
}

TEST_CASE("whole sizes round-trip through format_size and parse_size", "[sizes]") {
  for (const std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1023}, KiB,
                                512 * KiB, 500 * MiB, 10 * GiB, 7 * TiB, 5 * PiB, 15 * EiB}) {
    INFO(v << " formats as " << format_size(v));
    CHECK(parse_size(format_size(v)) == bytes(v));
  }
  for (const char* text : {"1048576", "512k", "500m", "10g", "10GB", "1KiB"}) {
    INFO(text);
    const auto v = parse_size(text);
    REQUIRE(v);
    CHECK(parse_size(format_size(*v)) == v);
  }
}
