// The one place where foreign failures (SQLite, the filesystem) become
// a3s::store::Error. Internal.
#pragma once

#include <filesystem>
#include <string_view>

#include "a3s/store/error.hpp"

namespace SQLite {
class Exception;
}

namespace a3s::store::detail {

// Maps an SQLite extended result code to the spec's error codes: busy and
// locked → busy; corrupt, notadb → corrupt; unique/primary-key constraint →
// already_exists; foreign key → in_use; other constraints → invalid_argument;
// everything else (I/O, full disk, read-only, can't open) → io.
ErrorCode code_for_sqlite(int extended_code) noexcept;

// An Error for `e`, its message prefixed by `context` (which names the
// object or operation, e.g. "network 'dev'").
Error from_sqlite(const SQLite::Exception& e, std::string_view context);
Error from_filesystem(const std::filesystem::filesystem_error& e, std::string_view context);

}  // namespace a3s::store::detail
