// Assertions and small helpers shared by the store tests: REQUIRE_STORE_ERROR,
// printing records as JSON and timestamps as RFC 3339 in Catch2 messages,
// and opening a Store on a home.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "minimal_records.hpp"
#include "test_support.hpp"

namespace a3s::test {
// Prints a record as its JSON in Catch2 messages.
template <class Record>
struct RecordAsJson {
  static std::string convert(const Record& r) { return store::to_json_text(r); }
};
}  // namespace a3s::test

namespace Catch {
template <>
struct StringMaker<a3s::store::NetworkConfig> : a3s::test::RecordAsJson<a3s::store::NetworkConfig> {
};
template <>
struct StringMaker<a3s::store::NetworkEndpoint>
    : a3s::test::RecordAsJson<a3s::store::NetworkEndpoint> {};
template <>
struct StringMaker<a3s::store::VolumeConfig> : a3s::test::RecordAsJson<a3s::store::VolumeConfig> {};
template <>
struct StringMaker<a3s::store::SnapshotMetadata>
    : a3s::test::RecordAsJson<a3s::store::SnapshotMetadata> {};
template <>
struct StringMaker<a3s::store::StoredImage> : a3s::test::RecordAsJson<a3s::store::StoredImage> {};
// A Timestamp as the runtime writes it.
template <>
struct StringMaker<a3s::store::Timestamp> {
  static std::string convert(a3s::store::Timestamp t) { return a3s::store::format_rfc3339(t); }
};
}  // namespace Catch

// Runs `expr`, which must throw a3s::store::Error with `expected_code` and a
// message containing `fragment`.
#define REQUIRE_STORE_ERROR(expr, expected_code, fragment)                        \
  do {                                                                            \
    bool thrown_ = false;                                                         \
    try {                                                                         \
      (void)(expr);                                                               \
    } catch (const ::a3s::store::Error& e_) {                                     \
      thrown_ = true;                                                             \
      CHECK(std::string(::a3s::store::to_string(e_.code())) ==                    \
            std::string(::a3s::store::to_string(expected_code)));                 \
      CHECK_THAT(std::string(e_.what()), Catch::Contains(std::string(fragment))); \
    }                                                                             \
    REQUIRE(thrown_);                                                             \
  } while (false)

namespace a3s::test {

// A Store on `home`, opened with the default options.
inline std::unique_ptr<store::Store> open_store(const std::filesystem::path& home) {
  return store::Store::open(options_for(home));
}

inline std::unique_ptr<store::Store> open_store(const TempDir& home) {
  return open_store(home.path());
}

}  // namespace a3s::test
