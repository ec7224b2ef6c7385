// The one error type of the library. Every failure a caller can see is an
// a3s::store::Error carrying one of the SPEC §4 codes and a message that names
// the object concerned (e.g. "network 'dev' not found").
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace a3s::store {

enum class ErrorCode {
  not_found,
  already_exists,
  in_use,
  invalid_argument,
  exhausted,
  schema_too_new,
  schema_outdated,
  checksum_mismatch,
  corrupt,
  busy,
  io,
};

// Returns the spec's spelling of `code` ("not_found", ...).
std::string_view to_string(ErrorCode code) noexcept;

// Thrown by every public operation on failure. Thread-compatible value type.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// The not_found error for the object `name` of the given `kind`, with the
// library's one wording: "<kind> '<name>' not found" (e.g. "network 'dev' not
// found"). Every not-found message is built here, so the library and the CLI
// word them alike.
Error not_found(std::string_view kind, std::string_view name);

}  // namespace a3s::store
