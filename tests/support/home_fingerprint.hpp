// What a home holds, as one comparable text: for tests that check a refused
// operation wrote nothing.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace a3s::test {

// Every row of every table of `db` (each column as SQLite quotes it, the rows
// in a fixed order) and every path under `home` with its type and, for a
// regular file, its size. The database's own files (box.db, -wal, -shm) are
// not listed: their bytes change when SQLite merely reads, and the rows stand
// for them.
inline std::string home_fingerprint(const std::filesystem::path& home,
                                    const std::filesystem::path& db) {
  namespace fs = std::filesystem;
  std::string out;
  SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
  std::vector<std::string> tables;
  SQLite::Statement list(database,
                         "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  while (list.executeStep()) tables.push_back(list.getColumn(0).getString());
  for (const auto& table : tables) {
    // Identifiers cannot be bound; these come from the schema itself.
    const std::string quoted = "\"" + table + "\"";
    std::string columns;
    SQLite::Statement info(database, "SELECT name FROM pragma_table_info(?) ORDER BY cid");
    info.bind(1, table);
    while (info.executeStep()) {
      columns += (columns.empty() ? "quote(\"" : " || ',' || quote(\"") +
                 info.getColumn(0).getString() + "\")";
    }
    out += "table " + table + "\n";
    SQLite::Statement rows(database, "SELECT " + columns + " FROM " + quoted + " ORDER BY 1");
    while (rows.executeStep()) out += "  " + rows.getColumn(0).getString() + "\n";
  }
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(home); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path relative = it->path().lexically_relative(home);
    if (relative.string().starts_with(db.filename().string())) continue;
    const auto status = it->symlink_status();
    std::string line = relative.string();
    if (fs::is_regular_file(status)) {
      line += " file " + std::to_string(it->file_size());
    } else if (fs::is_directory(status)) {
      line += " dir";
    } else {
      line += " other";
    }
    paths.push_back(line);
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& line : paths) out += line + "\n";
  return out;
}

}  // namespace a3s::test
