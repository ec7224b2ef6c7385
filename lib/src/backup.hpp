// Online backups of the database and restoring one (SPEC §7 `backup`,
// `restore`). Internal.
#pragma once

#include <filesystem>

#include "a3s/store/check.hpp"

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

// Puts the contents of the database file `file` into `db` through the
// online backup API, so connections already open (in any process) see the
// restored rows once it is done. First `file` is copied (read only, from one
// snapshot) into a private directory beside the database and brought to
// this engine's schema there: an older one is migrated, a newer one is
// refused with schema_too_new, anything else that is not a store database
// with invalid_argument or corrupt, `file` itself never written. Then the
// current database is kept as <db>.bak-restore-<unix time>, and the copy is
// written into it in one step under the write lock. Finally the home's
// files are checked against the restored rows (check_home, no repair).
RestoreReport restore_database(Database& db, const std::filesystem::path& file);

}  // namespace a3s::store::detail
