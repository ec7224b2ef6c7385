// The running totals of schema/0003_catalog_totals.sql (image_layouts and
// catalog_totals, kept by triggers) checked against a fresh scan of the
// tables they summarize, from a connection of the test's own.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <string>
#include <vector>

namespace a3s::test {

// Returns the mismatches found (empty when the totals are right), each
// naming the catalog or digest and both values.
inline std::vector<std::string> totals_problems(const std::filesystem::path& db_path) {
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
