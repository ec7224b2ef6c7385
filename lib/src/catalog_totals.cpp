#include "catalog_totals.hpp"

#include <map>
#include <string>
#include <utility>

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

std::vector<TotalsMismatch> totals_mismatches(Connection& conn) {
  std::vector<TotalsMismatch> found;
  std::map<std::string, std::int64_t> kept_layouts;
  {
    auto q = conn.prepare("SELECT digest, size_bytes FROM image_layouts ORDER BY digest");
    while (q->executeStep()) kept_layouts[q->getColumn(0).getString()] = q->getColumn(1).getInt64();
  }
  std::map<std::string, std::int64_t> layouts;
  {
    auto q =
        conn.prepare("SELECT digest, max(size_bytes) FROM images GROUP BY digest ORDER BY digest");
    while (q->executeStep()) layouts[q->getColumn(0).getString()] = q->getColumn(1).getInt64();
  }
  if (kept_layouts != layouts) {
    found.push_back({"image_layouts", "image_layouts (" + std::to_string(kept_layouts.size()) +
                                          " layouts) does not match the images table (" +
                                          std::to_string(layouts.size()) + " layouts)"});
  }

  std::uint64_t snapshot_bytes = 0;
  std::uint64_t snapshot_count = 0;
  {
    auto q = conn.prepare("SELECT size_bytes FROM snapshots ORDER BY id");
    while (q->executeStep()) {
      snapshot_bytes += static_cast<std::uint64_t>(q->getColumn(0).getInt64());
      ++snapshot_count;
    }
  }
  std::uint64_t layout_bytes = 0;
  for (const auto& [digest, size] : layouts) layout_bytes += static_cast<std::uint64_t>(size);
  const std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> expected = {
      {"image_layouts", {layouts.size(), layout_bytes}},
      {"snapshots", {snapshot_count, snapshot_bytes}},
  };
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> kept;
  {
    auto q = conn.prepare(
        "SELECT catalog, record_count, size_bytes FROM catalog_totals ORDER BY catalog");
    while (q->executeStep()) {
      kept[q->getColumn(0).getString()] = {static_cast<std::uint64_t>(q->getColumn(1).getInt64()),
                                           static_cast<std::uint64_t>(q->getColumn(2).getInt64())};
    }
  }
  for (const auto& [catalog, want] : expected) {
    const auto it = kept.find(catalog);
    const std::string object = "catalog_totals '" + catalog + "'";
    if (it == kept.end()) {
      found.push_back({object, object + " is missing"});
    } else if (it->second != want) {
      found.push_back({object, object + " counts " + std::to_string(it->second.first) +
                                   " record(s) of " + std::to_string(it->second.second) +
                                   " bytes, the rows " + std::to_string(want.first) + " of " +
                                   std::to_string(want.second)});
    }
  }
  return found;
}

void recompute_totals(Connection& conn) {
  conn.db().exec("DELETE FROM image_layouts");
  conn.db().exec(
      "INSERT INTO image_layouts (digest, size_bytes) "
      "SELECT digest, max(size_bytes) FROM images GROUP BY digest");
  conn.db().exec("DELETE FROM catalog_totals");
  conn.db().exec(
      "INSERT INTO catalog_totals (catalog, record_count, size_bytes) "
      "SELECT 'snapshots', count(*), coalesce(sum(size_bytes), 0) FROM snapshots");
  conn.db().exec(
      "INSERT INTO catalog_totals (catalog, record_count, size_bytes) "
      "SELECT 'image_layouts', count(*), coalesce(sum(size_bytes), 0) FROM image_layouts");
}

}  // namespace a3s::store::detail
