// What `Store::check` finds and repairs, and what `Store::restore` reports
// (SPEC §4 "Files and rows stay consistent", §7 `check`, `restore`).
#pragma once

#include <string>
#include <vector>

namespace a3s::store {

// One problem found by a check.
struct CheckFinding {
  // What kind of problem, one of:
  //   "integrity"         PRAGMA integrity_check reported the database damaged
  //   "foreign_key"       a row refers to a parent row that is gone
  //   "totals"            a running total differs from the rows it sums
  //   "missing_directory" a volume, snapshot or image row whose directory is gone
  //   "orphan_directory"  a directory in a catalog that no row owns
  //   "staging_leftover"  what an interrupted change (ours or 2.4.0's) left
  //   "unexpected_entry"  something in a catalog that no store ever makes there
  std::string problem;
  // The object it concerns: "volume 'data'", "snapshot 's1'",
  // "image sha256:<hex>", "catalog_totals 'snapshots'", "database '<path>'".
  std::string object;
  // A sentence naming the object, the path or row, and what is wrong.
  std::string message;
  // What --repair did about it; empty when nothing was done (not asked, or
  // not repairable: a damaged database, a volume directory without a row,
  // which is user data and never deleted).
  std::string repair;
};

// Everything a check found, database problems first, then each catalog's.
struct CheckReport {
  std::vector<CheckFinding> findings;

  // Whether nothing was found.
  bool clean() const { return findings.empty(); }
  // Whether every finding was repaired (true when there was none).
  bool all_repaired() const {
    for (const auto& f : findings) {
      if (f.repair.empty()) return false;
    }
    return true;
  }
};

// What `Store::restore` did.
struct RestoreReport {
  // Where the database as it was before the restore was kept.
  std::string previous_database;
  // The home's files checked against the restored rows (nothing repaired).
  CheckReport check;
};

}  // namespace a3s::store
