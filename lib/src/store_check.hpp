// `check` and `check --repair` (SPEC §4 "Files and rows stay consistent",
// §7): the database's own checks, the running totals against the rows they
// sum, and the catalogs' directories against their rows. Internal.
#pragma once

#include "a3s/store/check.hpp"

namespace a3s::store {
class Database;
}

namespace a3s::store::detail {

// Checks `db` and, when it is the home's own database (changes_home_files),
// the home's catalogs against its rows. The catalogs are compared under the
// write lock, so no change in progress is taken for a problem (on a
// read-only database, which cannot take it, in one read snapshot).
//
// With `repair`, fixes what SPEC §4 allows, each fix recorded in its
// finding: the totals are recomputed; a snapshot or image row whose
// directory is gone is deleted; a directory of a snapshot or image that no
// row owns, and what an interrupted change left behind, is deleted (files
// only after the rows are committed); a volume row whose directory under
// the home is gone gets an empty one. A volume directory without a row is
// reported and never deleted (it is user data); a damaged database or a
// broken foreign key is reported only.
//
// Throws Error (busy, io, corrupt) when the check itself cannot run, and
// io before anything is done when `repair` is asked of a read-only database.
CheckReport check_home(Database& db, bool repair);

}  // namespace a3s::store::detail
