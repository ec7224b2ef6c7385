#include "catalog_totals.hpp"

#include <string>

namespace a3s::store::detail {

CatalogTotals catalog_totals(Connection& conn, std::string_view catalog) {
  auto q = conn.prepare("SELECT record_count, size_bytes FROM catalog_totals WHERE catalog = ?");
  q->bind(1, std::string(catalog));
  if (!q->executeStep()) {
    throw Error(ErrorCode::corrupt, "database '" + conn.db().getFilename() +
                                        "': catalog_totals has no row for '" +
                                        std::string(catalog) + "'");
  }
  return {static_cast<std::uint64_t>(q->getColumn(0).getInt64()),
          static_cast<std::uint64_t>(q->getColumn(1).getInt64())};
}

}  // namespace a3s::store::detail
