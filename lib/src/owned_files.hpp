// The row side of the file protocol in fs_ops.hpp: which directories rows
// own, and retiring the ones they no longer do. Internal.
#pragma once

#include <filesystem>
#include <vector>

#include "database.hpp"
#include "fs_ops.hpp"

namespace a3s::store::detail {

// Whether a row owns `dir`: <home>/snapshots/<id> (a snapshots row),
// <home>/volumes/<name> (a volumes row) or <home>/images/sha256/<hex> (an
// images row with that digest). Any other
// path counts as owned, so nothing unknown is ever deleted.
bool owned_by_a_row(Connection& conn, const std::filesystem::path& home,
                    const std::filesystem::path& dir);

// The second half of a delete, after the rows' removal has committed:
// holding the write lock, moves each of `dirs` that no row owns any more
// (a concurrent save or put may have claimed it again) into staging; then
// deletes them outside the lock and drops `intent`. Never throws: on
// failure the intent stays, and the next open's sweep finishes the job.
void retire_unowned(Database& db, const Staging& staging, const std::filesystem::path& home,
                    const std::vector<std::filesystem::path>& dirs,
                    const std::filesystem::path& intent);

}  // namespace a3s::store::detail
