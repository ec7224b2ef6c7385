// The invariants of SPEC §4 "Files and rows stay consistent", checked from
// outside the library: every volume, snapshot and image row has its
// directory, every snapshot and image directory has its row, and (when
// asked) every volume directory too, and nothing is left in staging.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "a3s/store/store.hpp"
#include "test_support.hpp"

namespace a3s::test {

// Returns the problems found (empty when consistent), each naming the row
// or directory. The rows are read from box.db on SQLite; on etcd from a
// store opened on the home after the staging directories were looked at
// (opening one sweeps them). Entries whose names start with a dot (a catalog's .staging)
// are not records. With `expect_no_staging`, anything left in a catalog's
// staging directory is a problem too; with `volumes_without_rows_ok`, a
// volume directory without a row is not (it is user data, SPEC §4).
inline std::vector<std::string> home_problems(const std::filesystem::path& home,
                                              bool expect_no_staging = true,
                                              bool volumes_without_rows_ok = false) {
  namespace fs = std::filesystem;
  std::vector<std::string> problems;
  const fs::path dirs[] = {home / "volumes", home / "snapshots", home / "images" / "sha256"};
  if (expect_no_staging) {
    for (const auto& dir : dirs) {
      const fs::path staging = dir / ".staging";
      if (!fs::is_directory(fs::symlink_status(staging))) continue;
      for (const auto& entry : fs::directory_iterator(staging)) {
        problems.push_back("staging leftover '" + entry.path().string() + "'");
      }
    }
  }

  // The keys of the volumes, snapshots and images (their digests' hex).
  std::set<std::string> rows[3];
  if (stores_on_etcd()) {
    const auto store = store::Store::open(options_for(home));
    for (const auto& v : store->volumes().list()) rows[0].insert(v.name);
    for (const auto& s : store->snapshots().list()) rows[1].insert(s.id);
    for (const auto& i : store->images().list()) rows[2].insert(i.digest.substr(7));
  } else {
    SQLite::Database db((home / "box.db").string(), SQLite::OPEN_READONLY);
    auto keys = [&](const char* sql, std::size_t skip) {
      std::set<std::string> out;
      SQLite::Statement q(db, sql);
      while (q.executeStep()) out.insert(q.getColumn(0).getString().substr(skip));
      return out;
    };
    rows[0] = keys("SELECT name FROM volumes ORDER BY name", 0);
    rows[1] = keys("SELECT id FROM snapshots ORDER BY id", 0);
    rows[2] = keys("SELECT DISTINCT digest FROM images ORDER BY digest", 7);
  }

  struct Catalog {
    const char* what;
    const fs::path& dir;
    const std::set<std::string>& rows;
    const char* inside;  // what a row's directory must hold
    bool orphans_ok;
  };
  const Catalog catalogs[] = {
      {"volume", dirs[0], rows[0], "", volumes_without_rows_ok},
      {"snapshot", dirs[1], rows[1], "rootfs", false},
      {"image", dirs[2], rows[2], "", false},
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
  }
  return problems;
}

}  // namespace a3s::test
