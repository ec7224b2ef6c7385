// The running totals of schema/0003_catalog_totals.sql (image_layouts and
// catalog_totals, kept by triggers) checked against a fresh scan of the
// tables they summarize, from a connection of the test's own; on etcd, what
// the store reports against its records.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "a3s/store/store.hpp"
#include "test_support.hpp"

namespace a3s::test {

// On etcd, whose totals are the backend's own: the snapshots' count and
// total size and the images' total size a store on `home` reports, against
// a sum over the records it lists.
inline std::vector<std::string> store_totals_problems(const std::filesystem::path& home) {
  std::vector<std::string> problems;
  const auto store = store::Store::open(options_for(home));
  auto differ = [&](const std::string& what, std::uint64_t reported, std::uint64_t summed) {
    if (reported != summed) {
      problems.push_back(what + ": reported " + std::to_string(reported) + ", records sum to " +
                         std::to_string(summed));
    }
  };
  const auto snapshots = store->snapshots().list();
  std::uint64_t snapshot_bytes = 0;
  for (const auto& s : snapshots) snapshot_bytes += s.size_bytes;
  differ("snapshots count", store->snapshots().count(), snapshots.size());
  differ("snapshots total_size", store->snapshots().total_size(), snapshot_bytes);
  std::map<std::string, std::uint64_t> layouts;  // digest -> size, each digest once
  for (const auto& i : store->images().list()) layouts[i.digest] = i.size_bytes;
  std::uint64_t image_bytes = 0;
  for (const auto& [digest, bytes] : layouts) image_bytes += bytes;
  differ("images total_size", store->images().total_size(), image_bytes);
  return problems;
}

// Returns the mismatches found (empty when the totals are right), each
// naming the catalog or digest and both values. On etcd, `db_path` is
// <home>/box.db and the home's store is checked (store_totals_problems).
inline std::vector<std::string> totals_problems(const std::filesystem::path& db_path) {
  if (stores_on_etcd()) return store_totals_problems(db_path.parent_path());
  std::vector<std::string> problems;
  SQLite::Database db(db_path.string(), SQLite::OPEN_READONLY);

  // The rows of `sql`, columns joined by '/', rows separated by spaces.
  auto rows_of = [&](const char* sql) {
    SQLite::Statement q(db, sql);
    std::string rows;
    while (q.executeStep()) {
      for (int i = 0; i < q.getColumnCount(); ++i) {
        rows += (i == 0 ? "" : "/") + q.getColumn(i).getString();
      }
      rows += ' ';
    }
    return rows;
  };
  auto compare = [&](const std::string& what, const char* kept_sql, const char* scanned_sql) {
    const std::string kept = rows_of(kept_sql);
    const std::string scanned = rows_of(scanned_sql);
    if (kept != scanned) {
      problems.push_back(what + ": kept [" + kept + "] but the tables hold [" + scanned + "]");
    }
  };
  compare("catalog_totals",
          "SELECT catalog, record_count, size_bytes FROM catalog_totals ORDER BY catalog",
          "SELECT 'image_layouts', count(*), coalesce(sum(size), 0) FROM "
          "(SELECT max(size_bytes) AS size FROM images GROUP BY digest) "
          "UNION ALL "
          "SELECT 'snapshots', count(*), coalesce(sum(size_bytes), 0) FROM snapshots ORDER BY 1");
  compare("image_layouts", "SELECT digest, size_bytes FROM image_layouts ORDER BY digest",
          "SELECT digest, max(size_bytes) FROM images GROUP BY digest ORDER BY digest");
  return problems;
}

}  // namespace a3s::test
