#include "output.hpp"

#include <algorithm>
#include <iostream>

namespace a3s::cli {

std::string pretty(const nlohmann::ordered_json& value) {
  return value.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void emit(const Context& ctx, const nlohmann::ordered_json& value, std::string_view human) {
  const std::string json_text = ctx.json ? pretty(value) : std::string();
  const std::string_view text = ctx.json ? std::string_view(json_text) : human;
  std::cout << text;
  if (text.empty() || text.back() != '\n') std::cout << '\n';
  std::cout.flush();
}

std::string join_or_dash(const std::vector<std::string>& items) {
  if (items.empty()) return "-";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

Table::Table(std::vector<std::string> headers) { rows_.push_back(std::move(headers)); }

void Table::add(std::vector<std::string> row) {
  row.resize(rows_.front().size());
  rows_.push_back(std::move(row));
}

std::string Table::str() const {
  std::vector<std::size_t> widths(rows_.front().size(), 0);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::size_t line_width = 1;
  for (std::size_t width : widths) line_width += width + 3;
  std::string out;
  out.reserve(line_width * rows_.size());
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out.append(widths[c] - row[c].size() + 3, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace a3s::cli
