#include "migration_engine.hpp"
#include "log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "a3s/store/records.hpp"
#include "fault_injection.hpp"
#include "unique_fd.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSchemaMigrationsDdl = R"(CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  applied_by TEXT NOT NULL
) STRICT)";

constexpr const char* kEngine = "a3s-box-store " A3S_STORE_VERSION;

bool has_table(SQLite::Database& db, const char* name) {
  SQLite::Statement q(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
  q.bind(1, name);
  q.executeStep();
  return q.getColumn(0).getInt() > 0;
}

int object_count(SQLite::Database& db) {
  return db.execAndGet("SELECT count(*) FROM sqlite_schema").getInt();
}

struct SchemaState {
  int current = 0;
  bool fresh = false;  // no objects at all: a database we are creating
};

// Decides what the database is (new, ours, foreign or too new) and checks
// the applied checksums, all in one read transaction: one snapshot, so a
// migration another process commits meanwhile is seen whole or not at all.
// (Read as separate statements, a database half way through its creation
// showed objects but no schema_migrations table, and looked foreign.)
// Writes nothing. Throws schema_too_new, corrupt (not ours),
// checksum_mismatch.
SchemaState inspect(Database& db, const Migrations& migrations) {
  const std::string what = db_name(db.options());
  return db.read(what, [&](Connection& conn) {
    SQLite::Database& sql = conn.db();
    SchemaState state;
    state.current = user_version(sql);
    check_not_too_new(state.current, migrations, what);
    const bool tracked = has_table(sql, "schema_migrations");
    state.fresh = state.current == 0 && object_count(sql) == 0;
    if (!state.fresh && !tracked) {
      throw Error(ErrorCode::corrupt,
                  what + " is not an a3s-box-store database (it has no schema_migrations table)");
    }
    if (tracked) check_applied(applied_migrations(sql), migrations, what);
    return state;
  });
}

// The checks shared by open_schema and migrate, then the switch to WAL.
// Nothing is written before the database has been found acceptable: the
// switch writes the file header, so it comes after the decision.
SchemaState prepare(Database& db, const Migrations& migrations) {
  const SchemaState state = inspect(db, migrations);
  db.enable_wal();
  return state;
}

// An exclusive flock on the directory holding the database, held by a
// process (or thread) while it brings the schema up to date, so upgrades
// take turns. Each migration's own BEGIN IMMEDIATE already makes sure it is
// applied once; the lock is what makes the backup decision right: without
// it, a process could read the schema between two migrations of another
// process's upgrade, take that half-upgraded database for an old one and
// write a second backup (or a first one of a database being created). The
// directory is locked, not a file beside the database, so nothing is added
// to the home; the lock goes with the process if it dies.
class UpgradeLock {
 public:
  // Waits for the lock as long as a write would wait for SQLite's (the busy
  // timeout, once per retry), then throws busy: a peer stuck in its upgrade
  // never blocks an open forever.
  UpgradeLock(const Options& options, const std::string& what) {
    const fs::path dir = options.db_path.parent_path();
    fd_ = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) fail(what, dir, "cannot open the directory", errno);
    const auto deadline =
        std::chrono::steady_clock::now() + options.busy_timeout * (options.busy_retries + 1);
    for (auto pause = std::chrono::milliseconds(1); ::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0;
         pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
      if (errno == EINTR) continue;
      if (errno != EWOULDBLOCK) fail(what, dir, "cannot lock the directory", errno);
      if (std::chrono::steady_clock::now() >= deadline) {
        throw Error(ErrorCode::busy, what +
                                         ": another process has been migrating it for longer "
                                         "than the busy timeout allows");
      }
      std::this_thread::sleep_for(pause);
    }
  }

 private:
  [[noreturn]] static void fail(const std::string& what, const fs::path& dir, const char* doing,
                                int error) {
    throw Error(ErrorCode::io, what + ": " + doing + " '" + dir.string() +
                                   "' to migrate: " + std::strerror(error));
  }
  UniqueFd fd_;  // closing it releases the lock
};

std::string backup_path(const fs::path& db_path, int from, int to) {
  const auto unix_time = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return db_path.string() + ".bak-v" + std::to_string(from) + "-to-v" + std::to_string(to) + "-" +
         std::to_string(unix_time);
}

// A consistent copy of the last committed state, taken while the caller
// holds the write lock (copy_database reads through a connection of its
// own), so no other process can migrate in between.
void write_backup(const Options& options, const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);  // a retried transaction may have left one
  copy_database(options, path);
  detail::log().info("backed up '{}' to '{}'", options.db_path.string(), path);
}

void check_foreign_keys(SQLite::Database& sql, const EmbeddedMigration& m) {
  SQLite::Statement check(sql, "PRAGMA foreign_key_check");
  if (check.executeStep()) {
    throw Error(ErrorCode::corrupt, "migration " + std::string(m.name) +
                                        " leaves a foreign key violation in table '" +
                                        check.getColumn(0).getString() + "'");
  }
}

void apply(Database& db, const EmbeddedMigration& m, int target, bool backup_first) {
  const std::string what = db_name(db.options());
  db.write(what + ": migration " + std::string(m.name), [&](Connection& conn) {
    SQLite::Database& sql = conn.db();
    const int current = user_version(sql);
    if (current >= m.version) return 0;  // another process applied it meanwhile
    if (current != m.version - 1) {
      throw Error(ErrorCode::corrupt, what + " is at version " + std::to_string(current) +
                                          ", cannot apply migration " + std::string(m.name));
    }
    if (backup_first)
      write_backup(db.options(), backup_path(db.options().db_path, current, target));
    sql.exec(kSchemaMigrationsDdl);
    sql.exec(std::string(m.sql));
    SQLite::Statement record(sql,
                             "INSERT INTO schema_migrations (version, name, checksum, applied_at, "
                             "applied_by) VALUES (?, ?, ?, ?, ?)");
    record.bind(1, m.version);
    record.bind(2, std::string(m.name));
    record.bind(3, std::string(m.checksum));
    record.bind(4, format_rfc3339(now()));
    record.bind(5, kEngine);
    record.exec();
    // PRAGMA takes no bound parameters; the version is an integer we own.
    sql.exec("PRAGMA user_version = " + std::to_string(m.version));
    check_foreign_keys(sql, m);
    detail::log().info("{}: applied migration {}", what, m.name);
    return 0;
  });
}

// Brings the database to `target` under the upgrade lock. The schema is
// read again under the lock, since another process may have created or
// upgraded the database since `prepare`; an existing database (version 1 or
// more when the lock was taken) is backed up before its first migration.
void upgrade(Database& db, const Migrations& migrations, int target) {
  const UpgradeLock lock(db.options(), db_name(db.options()));
  const SchemaState state = inspect(db, migrations);
  bool backup_first = !state.fresh && state.current > 0;
  for (const auto& m : migrations) {
    if (m.version <= state.current || m.version > target) continue;
    apply(db, m, target, backup_first);
    backup_first = false;
    A3S_FAULT_POINT("migration.applied");  // committed; the upgrade lock is still held
  }
}

}  // namespace

int latest_version(const Migrations& migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

std::string db_name(const Options& options) {
  return "database '" + options.db_path.string() + "'";
}

void check_not_too_new(int current, const Migrations& migrations, const std::string& what) {
  const int latest = latest_version(migrations);
  if (current > latest) {
    throw Error(ErrorCode::schema_too_new,
                what + " has schema version " + std::to_string(current) + ", newer than version " +
                    std::to_string(latest) +
                    ", the latest this build knows; upgrade a3s-box-store to open it");
  }
}

void check_applied(const std::vector<AppliedMigration>& applied, const Migrations& migrations,
                   const std::string& what) {
  for (const auto& a : applied) {
    const auto known = std::find_if(migrations.begin(), migrations.end(),
                                    [&](const auto& m) { return m.version == a.version; });
    if (known == migrations.end()) continue;
    if (known->checksum != a.checksum || known->name != a.name) {
      throw Error(ErrorCode::checksum_mismatch,
                  what + ": migration " + a.name + " was applied with checksum " + a.checksum +
                      " but this build's " + std::string(known->name) + " has checksum " +
                      std::string(known->checksum) +
                      " (a migration file was edited after release)");
    }
  }
}

void copy_database(const Options& options, const fs::path& path) {
  Connection reader(options.db_path, options, Access::read_only);
  SQLite::Statement vacuum(reader.db(), "VACUUM INTO ?");
  vacuum.bind(1, path.string());
  vacuum.exec();
}

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

std::vector<AppliedMigration> applied_migrations(SQLite::Database& db) {
  std::vector<AppliedMigration> applied;
  if (!has_table(db, "schema_migrations")) return applied;
  SQLite::Statement q(db,
                      "SELECT version, name, checksum, applied_at, applied_by "
                      "FROM schema_migrations ORDER BY version");
  while (q.executeStep()) {
    AppliedMigration a;
    a.version = q.getColumn(0).getInt();
    a.name = q.getColumn(1).getString();
    a.checksum = q.getColumn(2).getString();
    a.applied_at = q.getColumn(3).getString();
    a.applied_by = q.getColumn(4).getString();
    applied.push_back(std::move(a));
  }
  return applied;
}

void open_schema(Database& db, const Migrations& migrations) {
  const SchemaState state = prepare(db, migrations);
  const int latest = latest_version(migrations);
  if (state.current >= latest) return;
  if (!state.fresh && !db.options().auto_migrate) {
    throw Error(ErrorCode::schema_outdated,
                db_name(db.options()) + " has schema version " + std::to_string(state.current) +
                    ", this build needs version " + std::to_string(latest) +
                    "; run 'a3s-store migrate up' (or open it with auto-migrate on)");
  }
  upgrade(db, migrations, latest);
}

void check_target(const Migrations& migrations, int target) {
  const int latest = latest_version(migrations);
  if (target < 1 || target > latest) {
    throw Error(ErrorCode::invalid_argument, "unknown schema version " + std::to_string(target) +
                                                 " (this build knows 1.." + std::to_string(latest) +
                                                 ")");
  }
}

void migrate(Database& db, const Migrations& migrations, int target) {
  check_target(migrations, target);
  const SchemaState state = prepare(db, migrations);
  if (state.current > target) {
    throw Error(ErrorCode::invalid_argument,
                db_name(db.options()) + " is already at schema version " +
                    std::to_string(state.current) +
                    "; migrations only go forward, not to version " + std::to_string(target));
  }
  upgrade(db, migrations, target);
}

std::string dump_schema(SQLite::Database& db) {
  std::ostringstream out;
  out << "-- The schema after every migration in schema/ (generated; a test replays\n"
         "-- the migrations and compares, and `a3s-store migrate verify` checks a live\n"
         "-- database against it). Do not edit by hand.\n\n"
      << "PRAGMA user_version = " << user_version(db) << ";\n";
  SQLite::Statement q(db,
                      "SELECT sql FROM sqlite_schema "
                      "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                      "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 "
                      "WHEN 'view' THEN 2 ELSE 3 END, tbl_name, name");
  while (q.executeStep()) out << "\n" << q.getColumn(0).getString() << ";\n";
  return out.str();
}

std::string replay_schema(const Migrations& migrations, int version) {
  SQLite::Database mem(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  for (const auto& m : migrations) {
    if (m.version > version) break;
    mem.exec(kSchemaMigrationsDdl);
    mem.exec(std::string(m.sql));
    mem.exec("PRAGMA user_version = " + std::to_string(m.version));
  }
  return dump_schema(mem);
}

}  // namespace a3s::store::detail
