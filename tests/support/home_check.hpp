// The invariants of SPEC §4 "Files and rows stay consistent", checked from
// outside the library: every volume, snapshot and image row has its
// directory, every snapshot and image directory has its row, and (when
// asked) every volume directory too, and nothing is left in staging.
#pragma once

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace a3s::test {

// Returns the problems found (empty when consistent), each naming the row
// or directory. Entries whose names start with a dot (a catalog's .staging)
// are not records. With `expect_no_staging`, anything left in a catalog's
// staging directory is a problem too; with `volumes_without_rows_ok`, a
// volume directory without a row is not (it is user data, SPEC §4).
inline std::vector<std::string> home_problems(const std::filesystem::path& home,
                                              bool expect_no_staging = true,
                                              bool volumes_without_rows_ok = false) {
  namespace fs = std::filesystem;
  std::vector<std::string> problems;
  SQLite::Database db((home / "box.db").string(), SQLite::OPEN_READONLY);

  auto keys = [&](const char* sql, std::size_t skip) {
    std::set<std::string> out;
    SQLite::Statement q(db, sql);
    while (q.executeStep()) out.insert(q.getColumn(0).getString().substr(skip));
    return out;
  };
  struct Catalog {
    const char* what;
    fs::path dir;
    std::set<std::string> rows;
    const char* inside;  // what a row's directory must hold
    bool orphans_ok;
  };
  const Catalog catalogs[] = {
      {"volume", home / "volumes", keys("SELECT name FROM volumes ORDER BY name", 0), "",
       volumes_without_rows_ok},
      {"snapshot", home / "snapshots", keys("SELECT id FROM snapshots ORDER BY id", 0), "rootfs",
       false},
      {"image", home / "images" / "sha256",
       keys("SELECT DISTINCT digest FROM images ORDER BY digest", 7), "", false},
  };
  for (const auto& c : catalogs) {
    for (const auto& key : c.rows) {
      const fs::path dir = c.dir / key;
      if (fs::is_symlink(dir) || !fs::is_directory(dir / c.inside)) {
        problems.push_back(std::string(c.what) + " row '" + key + "' has no directory '" +
                           (dir / c.inside).string() + "'");
      }
    }
    if (!fs::is_directory(c.dir)) continue;
    for (const auto& entry : fs::directory_iterator(c.dir)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with(".")) continue;
      if (!c.orphans_ok && !c.rows.count(name)) {
        problems.push_back(std::string(c.what) + " directory '" + entry.path().string() +
                           "' has no row");
      }
    }
    const fs::path staging = c.dir / ".staging";
    if (expect_no_staging && fs::is_directory(fs::symlink_status(staging))) {
      for (const auto& entry : fs::directory_iterator(staging)) {
        problems.push_back("staging leftover '" + entry.path().string() + "'");
      }
    }
  }
  return problems;
}

}  // namespace a3s::test
