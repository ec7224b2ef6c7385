// The running totals of schema/0003_catalog_totals.sql, which triggers keep
// in step with the snapshots and images tables. Internal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "database.hpp"

namespace a3s::store::detail {

struct CatalogTotals {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // each u64 size as stored (see 0001_initial.sql)
};

// The totals of `catalog`: "snapshots" (every snapshots row) or
// "image_layouts" (each cached layout once, as ImageStore::total_size
// counts). One primary-key lookup, whatever the catalog's size. Throws
// corrupt when the row is missing (the database was edited by hand).
CatalogTotals catalog_totals(Connection& conn, std::string_view catalog);

// A running total that differs from the rows it sums.
struct TotalsMismatch {
  std::string object;   // "image_layouts", "catalog_totals 'snapshots'"
  std::string message;  // naming both values
};

// Compares image_layouts and catalog_totals with a scan of the images and
// snapshots tables (sizes summed as u64, as stored). Empty when they agree.
std::vector<TotalsMismatch> totals_mismatches(Connection& conn);

// Rebuilds image_layouts and catalog_totals from the tables (check --repair).
void recompute_totals(Connection& conn);

}  // namespace a3s::store::detail
