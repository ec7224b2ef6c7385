// Applying schema/NNNN_*.sql to a database (SPEC §6). Internal; the list of
// migrations is a parameter so tests can run lists of their own (a failing
// migration, a newer version) against real files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "a3s/store/migrator.hpp"
#include "database.hpp"
#include "embedded_schema.hpp"

namespace a3s::store::detail {

using Migrations = std::vector<EmbeddedMigration>;

// What Store::open does: in one read transaction, refuses a newer schema
// (schema_too_new, file not written) or a database that is not ours
// (corrupt) and checks the applied checksums (checksum_mismatch); then
// switches to WAL and creates a new database at the latest version or
// migrates an older one (schema_outdated when Options::auto_migrate is off).
// Safe to run from any number of processes and threads on one database at
// once, whatever its state: each one opens it or waits (busy only when a
// lock outlasts the busy timeout and every retry), and none takes a
// database another is creating or upgrading for a foreign or an old one.
void open_schema(Database& db, const Migrations& migrations);

// Brings the database to `target` (after the same checks as open_schema),
// each migration in its own BEGIN IMMEDIATE transaction that re-reads the
// version, followed by PRAGMA foreign_key_check. Before the first migration
// of an existing database, writes box.db.bak-v<from>-to-v<target>-<unix time>
// beside it. Safe to run from several processes at once: they take turns
// (an exclusive flock on the database's directory, held while migrating), so
// each migration is applied by exactly one of them and one backup is written
// per upgrade. Throws invalid_argument when `target` is below the current
// version or unknown.
void migrate(Database& db, const Migrations& migrations, int target);

// Throws invalid_argument unless `target` is a version of `migrations`.
void check_target(const Migrations& migrations, int target);

// The newest version of `migrations`, 0 when there are none.
int latest_version(const Migrations& migrations);

// How every schema error names the database: "database '<db_path>'".
std::string db_name(const Options& options);

// Throws schema_too_new, naming both versions, when `current` is newer than
// every version of `migrations`. `what` names the database.
void check_not_too_new(int current, const Migrations& migrations, const std::string& what);

// Throws checksum_mismatch unless every applied migration that `migrations`
// knows was applied with that migration's name and checksum (an applied
// version this build does not know is left to check_not_too_new).
void check_applied(const std::vector<AppliedMigration>& applied, const Migrations& migrations,
                   const std::string& what);

// Writes a consistent copy of the database's last committed state to `path`
// (VACUUM INTO, which fails if `path` exists) through a read-only connection
// of its own, so a write transaction the caller holds does not block it.
void copy_database(const Options& options, const std::filesystem::path& path);

// The schema version (PRAGMA user_version) and the schema_migrations rows.
int user_version(SQLite::Database& db);
std::vector<AppliedMigration> applied_migrations(SQLite::Database& db);

// The live schema in the canonical text form of schema/schema.sql.
std::string dump_schema(SQLite::Database& db);

// The canonical schema text that `migrations` 1..version produce, computed
// by replaying them on an in-memory database.
std::string replay_schema(const Migrations& migrations, int version);

}  // namespace a3s::store::detail
