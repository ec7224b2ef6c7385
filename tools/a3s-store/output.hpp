// How commands print: one JSON value for --json, human text otherwise.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "context.hpp"
#include "record_json.hpp"

namespace a3s::cli {

// Prints `value` (pretty JSON) with --json, else `human`; a missing final
// newline is added. Every command's result goes through here. An
// ordered_json, so that records keep their fields' order (SPEC §3).
void emit(const Context& ctx, const nlohmann::ordered_json& value, std::string_view human);

// Indented JSON; invalid UTF-8 is replaced rather than thrown on.
std::string pretty(const nlohmann::ordered_json& value);

// The records of `items` as a JSON array (their SPEC §3 form).
template <class Range>
nlohmann::ordered_json to_json_array(const Range& items) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& item : items) array.push_back(store::to_json(item));
  return array;
}

// A list command's output: `items` as a JSON array with --json, else
// `table(items)`. Only the form asked for is built (a list may hold 100,000
// records).
template <class Range, class Table>
void emit_list(const Context& ctx, const Range& items, Table&& table) {
  if (ctx.json) {
    emit(ctx, to_json_array(items), {});
  } else {
    emit(ctx, nullptr, table(items));
  }
}

// Comma-joined, or "-" when empty (table cells).
std::string join_or_dash(const std::vector<std::string>& items);

// Left-aligned columns separated by three spaces, like `docker ls`.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add(std::vector<std::string> row);
  std::string str() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace a3s::cli
