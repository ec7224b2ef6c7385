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

Error not_found(std::string_view kind, std::string_view name) {
  std::string message(kind);
  message += " '";
  message += name;
  message += "' not found";
  return Error(ErrorCode::not_found, message);
}

namespace detail {

ErrorCode code_for_sqlite(int extended_code) noexcept {
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    // The schema changed under a prepared statement (another connection
    // migrated): nothing is wrong with the file, the operation can run again.
    case SQLITE_SCHEMA:
      return ErrorCode::busy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return ErrorCode::corrupt;
    case SQLITE_CONSTRAINT:
      switch (extended_code) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
          return ErrorCode::already_exists;
        // Raised both for a parent still referenced and for a child whose
        // parent is missing; the stores look the parent up first and report
        // not_found themselves, so what reaches here is the referenced case.
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return ErrorCode::in_use;
        default:
          return ErrorCode::invalid_argument;
      }
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return ErrorCode::invalid_argument;
    // An unknown file control or VFS operation, never a missing record
    // (the stores report those themselves).
    case SQLITE_NOTFOUND:
    default:  // IOERR, FULL, CANTOPEN, READONLY, PERM, ...
      return ErrorCode::io;
  }
}

Error from_sqlite(const SQLite::Exception& e, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += e.what();
  // SQLiteCpp leaves the extended code at -1 when it raises an exception
  // itself rather than from a database handle; the primary code then decides.
  const int extended = e.getExtendedErrorCode();
  return Error(code_for_sqlite(extended >= 0 ? extended : e.getErrorCode()), message);
}

Error from_filesystem(const std::filesystem::filesystem_error& e, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += e.what();
  return Error(ErrorCode::io, message);
}

}  // namespace detail
}  // namespace a3s::store
