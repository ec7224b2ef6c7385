// How commands print: one JSON value for --json, human text otherwise.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
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

// Comma-joined, or "-" when empty (table cells).
std::string join_or_dash(const std::vector<std::string>& items);

// A table cell: text borrowed from a record that outlives the table, or text
// of its own (a count, a size, a joined list).
class Cell {
 public:
  Cell(const std::string& borrowed) : borrowed_(borrowed) {}
  Cell(const char* borrowed) : borrowed_(borrowed) {}
  Cell(std::string&& owned) : owned_(std::move(owned)), owns_(true) {}
  std::string_view text() const { return owns_ ? std::string_view(owned_) : borrowed_; }

 private:
  std::string_view borrowed_;
  std::string owned_;
  bool owns_ = false;
};

// Writes the lines of a table to stdout, gathered into chunks so that a long
// table takes a few large writes and no copy of its whole text.
class TableWriter {
 public:
  explicit TableWriter(std::vector<std::size_t> widths);
  void line(const std::string_view* cells);  // widths.size() cells
  // Writes what is left and flushes stdout.
  void finish();

 private:
  std::vector<std::size_t> widths_;
  std::string chunk_;
};

// Prints `items` as left-aligned columns separated by three spaces, like
// `docker ls`: the headers, then the N cells `row(item)` gives (an
// std::array<Cell, N>) for each item. The cells are measured in one pass and
// printed in a second (`row` runs twice per item) rather than copied: for
// 10,000 networks, a string per cell cost more time in allocating, copying
// and first touching memory than the query that read the rows.
template <std::size_t N, class Range, class Row>
void print_table(const std::array<std::string_view, N>& headers, const Range& items, Row&& row) {
  std::vector<std::size_t> widths(N);
  for (std::size_t c = 0; c < N; ++c) widths[c] = headers[c].size();
  for (const auto& item : items) {
    const auto cells = row(item);
    for (std::size_t c = 0; c < N; ++c) widths[c] = std::max(widths[c], cells[c].text().size());
  }
  TableWriter out(std::move(widths));
  out.line(headers.data());
  for (const auto& item : items) {
    const auto cells = row(item);
    std::array<std::string_view, N> texts;
    for (std::size_t c = 0; c < N; ++c) texts[c] = cells[c].text();
    out.line(texts.data());
  }
  out.finish();
}

// A list command's output: `items` as a JSON array with --json, else
// `print_table(items)`. Only the form asked for is built (a list may hold
// 100,000 records).
template <class Range, class PrintTable>
void emit_list(const Context& ctx, const Range& items, PrintTable&& print_table) {
  if (ctx.json) {
    emit(ctx, to_json_array(items), {});
  } else {
    print_table(items);
  }
}

}  // namespace a3s::cli
