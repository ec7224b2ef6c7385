// `check` and `check --repair` (SPEC §4 "Files and rows stay consistent",
// §7): the database's own checks, the running totals against the rows they
// sum, and the catalogs' directories against their records, the last on
// either backend. Internal.
#pragma once

#include <filesystem>

#include "a3s/store/check.hpp"

namespace a3s::store {
class Database;
}

namespace a3s::store::detail {

class CatalogRecords;

// The part of a check every backend shares: the catalogs under `home`
// against `records`, compared under the write lock, so that no change in
// progress is taken for a problem (read-only records, which cannot take it,
// in one consistent read). Appends its findings to `report`. Does nothing
// (but log) when `records` do not describe `home`.
//
// With `repair`, first sweeps what crashed processes left (sweep_home), then
// fixes what SPEC §4 allows, each fix recorded in its finding: a snapshot or
// image record whose directory is gone is deleted; a directory of a
// snapshot or image that no record owns, and what an interrupted change
// left behind, is deleted (files only after the records are committed); a
// volume record whose directory under the home is gone gets an empty one. A
// volume directory without a record is reported and never deleted (it is
// user data).
//
// Throws Error (busy, io) when the comparison itself cannot run, io before
// anything is done when `repair` is asked of read-only records.
void check_catalog_files(CatalogRecords& records, const std::filesystem::path& home, bool repair,
                         CheckReport& report);

// `check` on SQLite: PRAGMA integrity_check and foreign_key_check, the
// running totals against the rows they sum, and, when `db` is the home's
// own database (SqliteCatalogRecords::describes_home), the catalogs as
// check_catalog_files compares them, in the same write transaction as the
// totals. With `repair`, also recomputes the totals; a damaged database or
// a broken foreign key is reported only.
//
// Throws Error (busy, io, corrupt) when the check itself cannot run, and
// io before anything is done when `repair` is asked of a read-only database.
CheckReport check_home(Database& db, bool repair);

}  // namespace a3s::store::detail
