// The columns of one table, named once in order. Internal.
//
// Each store defines one ColumnList per table it reads whole rows of, and
// derives from it the column list of its SELECT, INSERT and RETURNING
// clauses, the ?N placeholders, and the indices it decodes and binds at: a
// column added or moved is one edit to the list, and a name the list lacks
// does not compile.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace a3s::store::detail {

template <std::size_t N>
class ColumnList {
 public:
  // The names must be distinct (checked at compile time).
  template <class... Names>
  consteval explicit ColumnList(const Names&... names) : names_{std::string_view(names)...} {
    for (std::size_t i = 0; i < N; ++i) {
      for (std::size_t j = i + 1; j < N; ++j) {
        if (names_[i] == names_[j]) throw "a column is named twice";
      }
    }
  }

  // The position of `column` in a row read with list(): the index to decode
  // it at. A name not in the list is a compile error.
  consteval int at(std::string_view column) const {
    for (std::size_t i = 0; i < N; ++i) {
      if (names_[i] == column) return static_cast<int>(i);
    }
    throw "not a column of this table";
  }
  // The number of `column`'s parameter in placeholders(): the index to bind
  // its value at.
  consteval int param(std::string_view column) const { return at(column) + 1; }

  // The columns joined with ", ", each written as `each(name, param)`; an
  // empty string leaves that column out.
  template <class Each>
  std::string join(Each each) const {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
      const std::string part = each(names_[i], static_cast<int>(i) + 1);
      if (part.empty()) continue;
      if (!out.empty()) out += ", ";
      out += part;
    }
    return out;
  }

  // "name, subnet, gateway" (for SELECT, INSERT and RETURNING).
  std::string list() const {
    return join([](std::string_view name, int) { return std::string(name); });
  }
  // "?1, ?2, ?3": one numbered parameter per column, in order.
  std::string placeholders() const {
    return join([](std::string_view, int param) { return "?" + std::to_string(param); });
  }
  // "subnet = excluded.subnet, gateway = excluded.gateway": every column but
  // `key`, for INSERT ... ON CONFLICT (key) DO UPDATE SET.
  std::string set_from_excluded(std::string_view key) const {
    return join([key](std::string_view name, int) {
      return name == key ? std::string() : std::string(name) + " = excluded." + std::string(name);
    });
  }

 private:
  std::array<std::string_view, N> names_;
};

template <class... Names>
ColumnList(const Names&...) -> ColumnList<sizeof...(Names)>;

}  // namespace a3s::store::detail
