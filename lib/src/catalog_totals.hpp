// The running totals of schema/0003_catalog_totals.sql, which triggers keep
// in step with the snapshots and images tables. Internal.
#pragma once

#include <cstdint>
#include <string_view>

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

}  // namespace a3s::store::detail
