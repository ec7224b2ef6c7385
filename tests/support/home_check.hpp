// The invariants of SPEC §4 "Files and rows stay consistent", checked from
// outside the library: every snapshot/image row has its directory, and
// every snapshot/image directory has its row.
#pragma once

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace a3s::test {

// Returns the problems found (empty when consistent), each naming the row
// or directory. Also reports anything left in <home>/.staging when
// `expect_no_staging`.
inline std::vector<std::string> home_problems(const std::filesystem::path& home,
                                              bool expect_no_staging = true) {
  namespace fs = std::filesystem;
  std::vector<std::string> problems;
  SQLite::Database db((home / "box.db").string(), SQLite::OPEN_READONLY);

  std::set<std::string> snapshot_ids;
  SQLite::Statement snapshots(db, "SELECT id FROM snapshots ORDER BY id");
  while (snapshots.executeStep()) snapshot_ids.insert(snapshots.getColumn(0).getString());
  std::set<std::string> digests;
  SQLite::Statement images(db, "SELECT DISTINCT digest FROM images ORDER BY digest");
  while (images.executeStep()) digests.insert(images.getColumn(0).getString().substr(7));

  for (const auto& id : snapshot_ids) {
    if (!fs::is_directory(home / "snapshots" / id / "rootfs")) {
      problems.push_back("snapshot row '" + id + "' has no rootfs directory");
    }
  }
  if (fs::exists(home / "snapshots")) {
    for (const auto& entry : fs::directory_iterator(home / "snapshots")) {
      if (!snapshot_ids.count(entry.path().filename().string())) {
        problems.push_back("snapshot directory '" + entry.path().string() + "' has no row");
      }
    }
  }
  for (const auto& hex : digests) {
    if (!fs::is_directory(home / "images" / "sha256" / hex)) {
      problems.push_back("image digest '" + hex + "' has no layout directory");
    }
  }
  if (fs::exists(home / "images" / "sha256")) {
    for (const auto& entry : fs::directory_iterator(home / "images" / "sha256")) {
      if (!digests.count(entry.path().filename().string())) {
        problems.push_back("image layout '" + entry.path().string() + "' has no row");
      }
    }
  }
  if (expect_no_staging && fs::exists(home / ".staging")) {
    for (const auto& entry : fs::directory_iterator(home / ".staging")) {
      problems.push_back("staging leftover '" + entry.path().string() + "'");
    }
  }
  return problems;
}

}  // namespace a3s::test
