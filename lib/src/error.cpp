#include "a3s/store/error.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/Exception.h>

#include "error_mapping.hpp"

namespace a3s::store {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::already_exists:
      return "already_exists";
    case ErrorCode::in_use:
      return "in_use";
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::exhausted:
      return "exhausted";
    case ErrorCode::schema_too_new:
      return "schema_too_new";
    case ErrorCode::schema_outdated:
      return "schema_outdated";
    case ErrorCode::checksum_mismatch:
      return "checksum_mismatch";
    case ErrorCode::corrupt:
      return "corrupt";
    case ErrorCode::busy:
      return "busy";
    case ErrorCode::io:
      return "io";
  }
  return "unknown";
}

namespace detail {

ErrorCode code_for_sqlite(int extended_code) noexcept {
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::busy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
    case SQLITE_SCHEMA:
      return ErrorCode::corrupt;
    case SQLITE_CONSTRAINT:
      switch (extended_code) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
          return ErrorCode::already_exists;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return ErrorCode::in_use;
        default:
          return ErrorCode::invalid_argument;
      }
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return ErrorCode::invalid_argument;
    case SQLITE_NOTFOUND:
      return ErrorCode::not_found;
    default:
      return ErrorCode::io;  // IOERR, FULL, CANTOPEN, READONLY, PERM, ...
  }
}

Error from_sqlite(const SQLite::Exception& e, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += e.what();
  return Error(code_for_sqlite(e.getExtendedErrorCode()), message);
}

Error from_filesystem(const std::filesystem::filesystem_error& e, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += e.what();
  return Error(ErrorCode::io, message);
}

}  // namespace detail
}  // namespace a3s::store
