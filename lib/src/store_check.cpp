#include "store_check.hpp"
#include "log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "a3s/store/error.hpp"
#include "a3s/store/options.hpp"
#include "catalog_dir.hpp"
#include "catalog_totals.hpp"
#include "database.hpp"
#include "directory_change.hpp"
#include "io_error.hpp"
#include "sqlite_catalog_records.hpp"
#include "unique_fd.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDigestPrefix = "sha256:";
// How 2.4.0 names a catalog entry it is still building.
constexpr std::string_view kLegacyStagingPrefix = ".staging-";

std::string in_quotes(std::string_view s) { return "'" + std::string(s) + "'"; }

const char* noun_of(CatalogKind kind) {
  switch (kind) {
    case CatalogKind::volumes:
      return "volume";
    case CatalogKind::snapshots:
      return "snapshot";
    case CatalogKind::images:
      return "image";
  }
  return "";
}

// The object a catalog entry stands for, as messages name it.
std::string object_of(CatalogKind kind, std::string_view name) {
  switch (kind) {
    case CatalogKind::images:
      return "image " + std::string(kDigestPrefix) + std::string(name);
    default:
      return std::string(noun_of(kind)) + " " + in_quotes(name);
  }
}

// The findings of one check, and what a repair has yet to do once the
// records are committed (files go only after the records, SPEC §4).
struct Check {
  explicit Check(CheckReport& report) : report(report) {}

  CheckReport& report;
  // Per catalog: entries no record owns, to delete; with the finding of each.
  std::map<CatalogKind, std::vector<std::pair<std::string, std::size_t>>> orphans;
  // Per catalog: what an interrupted change left in the catalog (2.4.0's
  // ".staging-*") or in our staging (a dead process's), to delete.
  std::map<CatalogKind, std::vector<std::pair<std::string, std::size_t>>> legacy_leftovers;
  std::map<CatalogKind, std::vector<std::pair<std::string, std::size_t>>> staged_leftovers;
  // Volume records whose directory under the home is gone, to make again.
  std::vector<std::pair<std::string, std::size_t>> volumes_to_make;

  std::size_t add(std::string problem, std::string object, std::string message) {
    report.findings.push_back({std::move(problem), std::move(object), std::move(message), {}});
    return report.findings.size() - 1;
  }
  void repaired(std::size_t finding, std::string what) {
    report.findings[finding].repair = std::move(what);
  }
  // Forgets what an earlier run of the comparison planned to repair.
  void clear_plan() {
    orphans.clear();
    legacy_leftovers.clear();
    staged_leftovers.clear();
    volumes_to_make.clear();
  }
};

std::string database_object(const Database& db) {
  return "database " + in_quotes(db.options().db_path.string());
}

// PRAGMA integrity_check and foreign_key_check, read in one snapshot.
void check_database(Database& db, Check& check) {
  const std::string object = database_object(db);
  db.read(object, [&](Connection& conn) {
    SQLite::Statement integrity(conn.db(), "PRAGMA integrity_check");
    while (integrity.executeStep()) {
      const std::string line = integrity.getColumn(0).getString();
      if (line != "ok") check.add("integrity", object, object + " is damaged: " + line);
    }
    SQLite::Statement keys(conn.db(), "PRAGMA foreign_key_check");
    while (keys.executeStep()) {
      const std::string table = keys.getColumn(0).getString();
      const std::string rowid =
          keys.getColumn(1).isNull() ? "?" : std::to_string(keys.getColumn(1).getInt64());
      const std::string parent = keys.getColumn(2).getString();
      check.add("foreign_key", object,
                table + " row " + rowid + " refers to a " + parent + " row that does not exist");
    }
    return 0;
  });
}

// The running totals against the rows they sum. Returns whether they differ.
bool check_totals(Connection& conn, Check& check) {
  const auto mismatches = totals_mismatches(conn);
  for (const auto& m : mismatches) check.add("totals", m.object, m.message);
  return !mismatches.empty();
}

// Whether the entry `name` of the catalog is a directory (not a symlink)
// holding what a row of `kind` needs: a snapshot's rootfs directory.
bool entry_complete(const CatalogDir& catalog, CatalogKind kind, const std::string& name) {
  UniqueFd entry(
      ::openat(catalog.fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!entry) return false;
  if (kind != CatalogKind::snapshots) return true;
  struct stat st {};
  return ::fstatat(entry.get(), "rootfs", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// Compares one catalog with its records, inside the write transaction;
// with `repair`, deletes the snapshot and image records whose files are gone.
void check_catalog(CatalogTxn& txn, const fs::path& home, CatalogKind kind, bool repair,
                   Check& check) {
  const auto catalog = CatalogDir::open(home, kind, /*create=*/false);
  const auto owned = txn.owned_names(kind);
  for (const auto& [name, mount_point] : owned) {
    const std::string object = object_of(kind, name);
    const fs::path dir = catalog_path(home, kind) / name;
    if (kind == CatalogKind::volumes && fs::path(mount_point) != dir) {
      // Imported from another home: its data stayed where it was.
      std::error_code ec;
      if (!fs::is_directory(mount_point, ec)) {
        check.add("missing_directory", object,
                  object + " has no directory at its mount point '" + mount_point +
                      "' (outside the home: not made again)");
      }
      continue;
    }
    if (catalog && entry_complete(*catalog, kind, name)) continue;
    const std::string what =
        kind == CatalogKind::snapshots ? (dir / "rootfs").string() : dir.string();
    const std::size_t finding =
        check.add("missing_directory", object, object + " has no directory '" + what + "'");
    if (!repair) continue;
    if (kind == CatalogKind::volumes) {
      if (!catalog || catalog->entry_type(name) == EntryType::absent) {
        check.volumes_to_make.emplace_back(name, finding);
      }
      continue;
    }
    txn.remove_owners(kind, name);
    check.repaired(finding, "deleted the row");
    // What is left of its directory, if anything, goes with the orphans.
    if (catalog && catalog->entry_type(name) == EntryType::directory) {
      check.orphans[kind].emplace_back(name, finding);
    }
  }
  if (!catalog) return;

  const auto pending = txn.pending_removals(kind);
  for (const auto& name : catalog->entries()) {
    const fs::path path = catalog->entry_path(name);
    if (name.starts_with(kLegacyStagingPrefix)) {
      const std::size_t finding =
          check.add("staging_leftover", "'" + path.string() + "'",
                    "'" + path.string() + "' is what an interrupted 2.4.0 change left behind");
      if (repair) check.legacy_leftovers[kind].emplace_back(name, finding);
      continue;
    }
    if (owned.count(name) != 0) continue;
    const EntryType type = catalog->entry_type(name);
    if (!is_entry_name(kind, name) || type != EntryType::directory) {
      check.add("unexpected_entry", "'" + path.string() + "'",
                "'" + path.string() + "' is not a " + noun_of(kind) +
                    " directory this engine makes (left alone)");
      continue;
    }
    const std::string object = object_of(kind, name);
    if (std::binary_search(pending.begin(), pending.end(), name)) {
      // Repaired by the sweep a repair runs first; here only when it failed.
      check.add("staging_leftover", object,
                "'" + path.string() +
                    "' has no row: its removal was committed, but its process stopped "
                    "before deleting it (the next open deletes it)");
      continue;
    }
    if (kind == CatalogKind::volumes) {
      check.add("orphan_directory", object,
                "'" + path.string() + "' has no volume row (user data: never deleted)");
      continue;
    }
    const std::size_t finding =
        check.add("orphan_directory", object, "'" + path.string() + "' has no row");
    if (repair) check.orphans[kind].emplace_back(name, finding);
  }
}

// Our staging entries whose process is gone: the open's sweep could not
// remove them.
// A staging directory that is a symlink (or not a directory) is reported,
// never followed; one this process may not read is skipped with a warning
// on read-only records (whose user need not own the home), else throws.
void check_staging(const fs::path& home, CatalogKind kind, bool repair, bool read_only,
                   Check& check) {
  auto catalog = CatalogDir::open(home, kind, /*create=*/false);
  if (!catalog) return;
  std::vector<StagingEntry> entries;
  try {
    entries = catalog->staging_entries();
  } catch (const Error& e) {
    if (catalog->entry_type(".staging") == EntryType::other) {
      const std::string path = (catalog->path() / ".staging").string();
      check.add("unexpected_entry", "'" + path + "'", e.what());
      return;
    }
    if (!read_only) throw;
    detail::log().warn("check: {} (its entries are not checked)", e.what());
    return;
  }
  for (const auto& entry : entries) {
    if (entry.owner_alive) continue;
    const std::string path = catalog->staging_path(entry.name).string();
    const std::size_t finding = check.add("staging_leftover", "'" + path + "'",
                                          "'" + path + "' was left by a process that is gone");
    if (repair && !entry.intent) check.staged_leftovers[kind].emplace_back(entry.name, finding);
  }
}

// After the records are committed: deletes what the check found to delete and
// makes the volume directories that are missing.
void repair_catalog_files(const fs::path& home,
                          std::map<CatalogKind, std::unique_ptr<DirectoryChange>>& changes,
                          Check& check) {
  for (auto& [kind, change] : changes) {
    const auto& orphans = check.orphans[kind];
    try {
      change->finish();
      for (const auto& [name, finding] : orphans) {
        if (check.report.findings[finding].repair.empty()) {
          check.repaired(finding, "deleted the directory");
        } else {
          check.repaired(finding, check.report.findings[finding].repair + " and the directory");
        }
      }
    } catch (const Error& e) {
      detail::log().warn("check --repair: {}", e.what());
    }
  }
  for (auto& [kind, leftovers] : check.legacy_leftovers) {
    auto catalog = CatalogDir::open(home, kind, /*create=*/false);
    if (!catalog) continue;
    for (const auto& [name, finding] : leftovers) {
      try {
        const std::string staged = catalog->move_out(name);
        const std::string why = staged.empty() ? "" : catalog->remove_staged(staged);
        if (why.empty()) {
          check.repaired(finding, "deleted it");
        } else {
          detail::log().warn("check --repair: {}", why);
        }
      } catch (const Error& e) {
        detail::log().warn("check --repair: {}", e.what());
      }
    }
  }
  for (auto& [kind, leftovers] : check.staged_leftovers) {
    auto catalog = CatalogDir::open(home, kind, /*create=*/false);
    if (!catalog) continue;
    for (const auto& [name, finding] : leftovers) {
      const std::string why = catalog->remove_staged(name);
      if (why.empty()) {
        check.repaired(finding, "deleted it");
      } else {
        detail::log().warn("check --repair: {}", why);
      }
    }
  }
  if (!check.volumes_to_make.empty()) {
    auto catalog = CatalogDir::open(home, CatalogKind::volumes, /*create=*/true);
    for (const auto& [name, finding] : check.volumes_to_make) {
      if (::mkdirat(catalog->fd(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        detail::log().warn("check --repair: {}",
                           io_reason("cannot create directory", catalog->entry_path(name), errno));
        continue;
      }
      check.repaired(finding, "made an empty directory");
    }
    fsync_directory(catalog->fd(), catalog->path());
  }
}

// The catalogs against the records, in three steps around the records'
// transaction; the same for every backend.
class CatalogFilesCheck {
 public:
  // Before the transaction. With `repair`, sweeps the leftovers of crashed
  // processes first, as an open does, and begins one DirectoryChange per
  // catalog whose orphans may be deleted: it deletes them after the commit,
  // each only if no record owns it by then. `records` must describe `home`.
  CatalogFilesCheck(CatalogRecords& records, const fs::path& home, bool repair, Check& check)
      : records_(records), home_(home), repair_(repair), check_(check) {
    if (!repair) return;
    sweep_home(records, home);
    for (const CatalogKind kind : {CatalogKind::snapshots, CatalogKind::images}) {
      changes_[kind] = std::make_unique<DirectoryChange>(records, home, kind, "check --repair");
    }
  }

  // Inside the transaction: under the write lock, so that no change in
  // progress is taken for a problem (read-only records cannot take it, and
  // are compared in one consistent read instead). Adds its findings; safe to
  // run again (the caller drops the findings of the earlier run).
  void compare(CatalogTxn& txn) {
    check_.clear_plan();
    for (const CatalogKind kind : kAllCatalogs) {
      check_catalog(txn, home_, kind, repair_, check_);
      check_staging(home_, kind, repair_, records_.read_only(), check_);
    }
    if (!repair_) return;
    for (auto& [kind, change] : changes_) {
      std::vector<std::string> names;
      for (const auto& [name, finding] : check_.orphans[kind]) names.push_back(name);
      if (!names.empty()) change->remove_after_commit(txn, std::move(names));
    }
  }

  // After the commit: with `repair`, deletes what the comparison found to
  // delete and makes the volume directories that are missing.
  void repair_files() {
    if (repair_) repair_catalog_files(home_, changes_, check_);
  }

 private:
  CatalogRecords& records_;
  const fs::path& home_;
  const bool repair_;
  Check& check_;
  std::map<CatalogKind, std::unique_ptr<DirectoryChange>> changes_;
};

// The totals and the catalogs against the rows, and with `repair` the fixes.
void check_rows_and_files(Database& db, bool repair, Check& check) {
  const fs::path& home = db.options().home;
  SqliteCatalogRecords records(db);
  std::optional<CatalogFilesCheck> files;
  if (records.describes_home(home)) {
    files.emplace(records, home, repair, check);
  } else {
    detail::log().info("check: the database is not {}: its rows are not compared with files",
                       (home / "box.db").string());
  }

  const std::size_t database_findings = check.report.findings.size();
  // The write lock keeps a change in progress from being taken for a
  // problem; a read-only database cannot take it, and is compared in one
  // read snapshot instead.
  const auto compare = [&](Connection& conn) {
    // The body may run again (busy): start from what the database check found.
    check.report.findings.resize(database_findings);
    check.clear_plan();

    const std::size_t before_totals = check.report.findings.size();
    const bool totals_wrong = check_totals(conn, check);
    SqliteCatalogTxn txn(conn);
    if (files) files->compare(txn);
    if (repair && totals_wrong) {
      recompute_totals(conn);
      for (std::size_t i = before_totals; i < check.report.findings.size(); ++i) {
        if (check.report.findings[i].problem == "totals") check.repaired(i, "recomputed");
      }
    }
    return 0;
  };
  if (db.read_only()) {
    db.read(database_object(db), compare);
  } else {
    db.write(database_object(db), compare);
  }
  if (files) files->repair_files();
}

}  // namespace

void check_catalog_files(CatalogRecords& records, const fs::path& home, bool repair,
                         CheckReport& report) {
  if (!records.describes_home(home)) {
    detail::log().info("check: '{}' are not the records of '{}': not compared with its files",
                       records.identity(), home.string());
    return;
  }
  Check check{report};
  CatalogFilesCheck files(records, home, repair, check);
  const std::size_t before = report.findings.size();
  const auto compare = [&](CatalogTxn& txn) {
    report.findings.resize(before);  // the body may run again
    files.compare(txn);
  };
  const std::string object = "records " + in_quotes(records.identity());
  if (records.read_only()) {
    records.read(object, compare);
  } else {
    records.write(object, compare);
  }
  files.repair_files();
}

CheckReport check_home(Database& db, bool repair) {
  if (repair) db.require_writable("check --repair");
  CheckReport report;
  Check check{report};
  std::optional<std::size_t> database_findings;  // set once the comparison starts
  try {
    check_database(db, check);
    database_findings = check.report.findings.size();
    check_rows_and_files(db, repair, check);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::corrupt) throw;
    // A page too damaged to read stops the check where it met it: that is
    // a finding about the database, not a failure of the check. What the
    // rolled-back comparison found is dropped: it read part of the rows.
    if (database_findings) check.report.findings.resize(*database_findings);
    check.add("integrity", database_object(db),
              std::string(e.what()) + " (the check stopped there)");
  }
  return report;
}

}  // namespace a3s::store::detail
