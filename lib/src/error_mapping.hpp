// Where foreign failures (SQLite, the filesystem) become a3s::store::Error.
// Internal. The one other source of codes is an etcd cluster's answers, which
// carry more than a code (whether a write may have been applied); they are
// mapped in one place of their own, final_error() in etcd_client.cpp, and
// reach the stores as EtcdError (etcd_client.hpp).
#pragma once

#include <filesystem>
#include <string_view>

#include "a3s/store/error.hpp"

namespace SQLite {
class Exception;
}

namespace a3s::store::detail {

// Maps an SQLite extended result code to the spec's error codes:
//   busy, locked, schema (the schema changed under a prepared statement;
//     Database retries all three) → busy;
//   corrupt, notadb, format → corrupt;
//   primary-key or unique constraint → already_exists;
//   foreign-key constraint → in_use. SQLite raises it both when a row is
//     still referenced and when a child row names a missing parent; only the
//     first is in_use. Callers inserting child rows (network_endpoints,
//     volume_users) must check the parent inside the same transaction and
//     throw not_found themselves, so the second never reaches this mapping;
//   other constraints, toobig, mismatch, range → invalid_argument;
//   everything else → io: I/O errors, full disk, read-only, can't open, and
//     notfound (an unknown file control or VFS operation, never a missing
//     record: those are reported by the stores, not by SQLite).
ErrorCode code_for_sqlite(int extended_code) noexcept;

// An Error for `e`, its message prefixed by `context` (which names the
// object or operation, e.g. "network 'dev'").
Error from_sqlite(const SQLite::Exception& e, std::string_view context);
Error from_filesystem(const std::filesystem::filesystem_error& e, std::string_view context);

}  // namespace a3s::store::detail
