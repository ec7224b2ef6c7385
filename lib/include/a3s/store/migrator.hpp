// Schema versions and migrations (SPEC §6). The migrations are the files
// schema/NNNN_description.sql, embedded in the library at build time.
//
// Store::open migrates on its own; Migrator is for operators (the
// `a3s-store migrate` commands) who want to look before they leap.
// Thread safety: an instance is not shared between threads; any number of
// instances, in any number of processes, may work on one database: exactly
// one applies each migration and the others see the result.
//
// On etcd (Options::store an etcd URL, SPEC §9) there is no schema: the
// Migrator reads and sets the namespace's key layout version
// (meta/layout_version, versions counted from 1; a store writes the latest
// when it first opens the namespace). status() says whether it is set
// (exists) and lists the layout versions as applied or pending, without
// checksums or times; up() sets it when absent, in one transaction; verify()
// checks it is a version this build reads. The methods' errors are the same
// codes, naming the cluster and namespace.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "a3s/store/options.hpp"

namespace a3s::store {

struct MigrationInfo {
  int version = 0;
  std::string name;      // e.g. "0001_initial"
  std::string checksum;  // sha256 hex of the file, line endings normalized
};

struct AppliedMigration : MigrationInfo {
  std::string applied_at;  // RFC 3339
  std::string applied_by;  // engine version that applied it
};

struct MigrationStatus {
  bool exists = false;                    // whether the database file exists
  int current = 0;                        // PRAGMA user_version (0: no schema yet)
  int latest = 0;                         // newest version this build knows
  std::vector<AppliedMigration> applied;  // from schema_migrations
  std::vector<MigrationInfo> pending;     // known, not applied
};

class Migrator {
 public:
  // Does not open or create anything until a method is called.
  explicit Migrator(Options options);

  // Returns the newest schema version this build knows.
  static int latest_version();

  // The embedded migrations, in version order.
  static std::vector<MigrationInfo> known_migrations();

  // Reads the state of the database without writing to it (a missing file
  // is reported as exists=false, current=0, everything pending).
  // Throws corrupt, io.
  MigrationStatus status() const;

  // Applies the pending migrations up to `to` (default: latest) and returns
  // the status after. A missing file is created at version `to`. An
  // existing database with pending migrations is first copied to
  // box.db.bak-v<from>-to-v<to>-<unix time> beside it. With `dry_run` the
  // migrations are applied to a temporary copy and the status of that copy
  // is returned; the database itself is not touched.
  // Throws invalid_argument (`to` unknown or below the current version),
  // schema_too_new, checksum_mismatch, corrupt, busy, io; a migration that
  // fails leaves the database at the version before it.
  MigrationStatus up(std::optional<int> to = std::nullopt, bool dry_run = false);

  // Checks that every applied migration's checksum matches the embedded file
  // and that the live schema equals the schema those migrations produce
  // (schema/schema.sql at the latest version). Throws checksum_mismatch,
  // corrupt (schema drift, naming the first differing object), not_found (no
  // database), schema_too_new.
  void verify() const;

 private:
  Options options_;
};

}  // namespace a3s::store
