// How the record codec, its validation and the stored-row reader name what is
// wrong: Error(invalid_argument) messages that say which record ("network
// 'dev'") and which field inside it ("endpoints[box-a].ip_address"). Internal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "a3s/store/error.hpp"
#include "utf8.hpp"

namespace a3s::store::detail {

// Throws Error(invalid_argument) with `message`.
[[noreturn]] inline void invalid(const std::string& message) {
  throw Error(ErrorCode::invalid_argument, message);
}

// Where a value sits, for error messages: the record ("network 'dev'") and the
// field path inside it ("endpoints[box-a].ip_address"). `record` must outlive
// the Where.
struct Where {
  std::string_view record;
  std::string path;

  Where operator/(std::string_view field) const {
    return {record, path.empty() ? std::string(field) : path + "." + std::string(field)};
  }
  Where at(std::size_t index) const { return {record, path + "[" + std::to_string(index) + "]"}; }
  Where at(std::string_view key) const { return {record, path + "[" + escaped(key) + "]"}; }

  // Throws "<record>: field '<path>' <problem>" (no field part at the top).
  [[noreturn]] void fail(std::string_view problem) const {
    std::string message(record);
    message += ": ";
    if (!path.empty()) message += "field '" + path + "' ";
    message += problem;
    invalid(message);
  }
  // Fails with `problem` unless it is nullptr (see the rules of
  // record_validation.cpp).
  void check(const char* problem) const {
    if (problem) fail(problem);
  }
};

// "network 'dev'", or just "network" when the JSON carries no usable name.
inline std::string label_of(std::string_view kind, const nlohmann::json& j, const char* key) {
  if (j.is_object()) {
    const auto it = j.find(key);
    if (it != j.end() && it->is_string())
      return std::string(kind) + " " + quote(it->get_ref<const std::string&>());
  }
  return std::string(kind);
}

// "network 'dev'".
inline std::string label_of(std::string_view kind, std::string_view name) {
  return std::string(kind) + " " + quote(name);
}

}  // namespace a3s::store::detail
