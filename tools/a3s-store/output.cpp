#include "output.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace a3s::cli {

namespace {

constexpr std::size_t kChunkBytes = std::size_t{64} << 10;

}  // namespace

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

TableWriter::TableWriter(std::vector<std::size_t> widths) : widths_(std::move(widths)) {
  chunk_.reserve(kChunkBytes + 4096);
}

void TableWriter::line(const std::string_view* cells) {
  for (std::size_t c = 0; c < widths_.size(); ++c) {
    chunk_ += cells[c];
    if (c + 1 < widths_.size()) chunk_.append(widths_[c] - cells[c].size() + 3, ' ');
  }
  chunk_ += '\n';
  if (chunk_.size() >= kChunkBytes) {
    std::fwrite(chunk_.data(), 1, chunk_.size(), stdout);
    chunk_.clear();
  }
}

void TableWriter::finish() {
  std::fwrite(chunk_.data(), 1, chunk_.size(), stdout);
  chunk_.clear();
  std::fflush(stdout);
}

}  // namespace a3s::cli
