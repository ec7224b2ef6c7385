// Online backups of the database (SPEC §7 `backup`). Internal.
#pragma once

#include <filesystem>

namespace a3s::store {
class Database;
}

namespace a3s::store::detail {

// Writes a consistent copy of `db` to `file` through SQLite's online backup
// API, from one read snapshot, while other connections and processes keep
// writing. The copy is built beside `file` under a temporary name, must pass
// PRAGMA integrity_check, is fsynced, and only then renamed to `file`, so
// `file` is either absent (or its old contents) or a complete backup.
// Throws invalid_argument when `file` is the database itself (or its -wal or
// -shm), a directory, or in a directory that does not exist;
// already_exists when it exists and not `overwrite`; corrupt when the copy
// fails its check; busy, io otherwise.
void backup_database(Database& db, const std::filesystem::path& file, bool overwrite);

}  // namespace a3s::store::detail
