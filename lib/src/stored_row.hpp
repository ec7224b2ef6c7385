// Reading records back from their rows. Internal.
//
// Every row was validated as a record when it was written, so reads check
// only the shape of each value and skip the record-level rules (names,
// limits, addresses, the 1 MiB total): re-validating dominated read cost. A
// value of the wrong shape — a row edited by hand — is Error(corrupt) naming
// the record and the column; it never becomes a half-filled record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include "a3s/store/records.hpp"

namespace a3s::store::detail {

// Names a stored value in errors: "network 'dev': column 'labels' ...".
// Built only when something is wrong, so the happy path allocates nothing.
struct StoredField {
  std::string_view kind;  // "network"
  std::string_view name;  // "dev"
  const char* column;     // "labels"
};

// Parse the JSON text of a column into the field's type (stored_row.cpp). A
// network policy goes through the record codec's own decoder (record_json.hpp)
// so both share one notion of its shape.
void decode_stored(std::string_view json_text, StringMap& out, const StoredField& field);
void decode_stored(std::string_view json_text, std::vector<std::string>& out,
                   const StoredField& field);
void decode_stored(std::string_view json_text, NetworkPolicy& out, const StoredField& field);
// Checks that the text is a JSON object (image_config, health_check, kept as
// text).
void check_stored_object(std::string_view json_text, const StoredField& field);
// The fixed-width RFC 3339 text of a `time` column.
void decode_stored_time(std::string_view text, Timestamp& out, const StoredField& field);

// One result row of a statement, read column by column into record fields.
// Valid until the statement steps again or is reset.
class StoredRow {
 public:
  StoredRow(const SQLite::Statement& row, std::string_view kind) : row_(row), kind_(kind) {}

  // Names the record in later errors; `name` must outlive this row.
  void named(std::string_view name) { name_ = name; }

  // The text of a column without copying it.
  std::string_view view(int index) const {
    const SQLite::Column column = row_.getColumn(index);
    const char* text = column.getText();  // before getBytes(), as SQLite requires
    return {text, static_cast<std::size_t>(column.getBytes())};
  }
  std::string text(int index) const { return std::string(view(index)); }
  bool is_null(int index) const { return row_.getColumn(index).isNull(); }

  // u64 values are stored as the int64 with the same bits (0001_initial.sql).
  std::uint64_t u64(int index) const {
    return static_cast<std::uint64_t>(row_.getColumn(index).getInt64());
  }

  // A JSON text column decoded into `T` (see decode_stored).
  template <class T>
  T json(int index, const char* column) const {
    T out{};
    decode_stored(view(index), out, {kind_, name_, column});
    return out;
  }
  // The same, NULL giving nullopt.
  template <class T>
  std::optional<T> optional_json(int index, const char* column) const {
    if (is_null(index)) return std::nullopt;
    return json<T>(index, column);
  }
  // The text of a JSON object column as stored (see check_stored_object),
  // NULL giving nullopt.
  std::optional<std::string> optional_object_text(int index, const char* column) const {
    if (is_null(index)) return std::nullopt;
    check_stored_object(view(index), {kind_, name_, column});
    return text(index);
  }
  std::optional<std::string> optional_text(int index) const {
    if (is_null(index)) return std::nullopt;
    return text(index);
  }

  Timestamp time(int index, const char* column) const {
    Timestamp out{};
    decode_stored_time(view(index), out, {kind_, name_, column});
    return out;
  }

 private:
  const SQLite::Statement& row_;
  std::string_view kind_;
  std::string_view name_;
};

}  // namespace a3s::store::detail
