#include "owned_files.hpp"

#include <spdlog/spdlog.h>

#include "fault_injection.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

bool owned_by_a_row(Connection& conn, const fs::path& home, const fs::path& dir) {
  const std::string key = dir.filename().string();
  if (dir.parent_path() == home / "snapshots") {
    auto q = conn.prepare("SELECT 1 FROM snapshots WHERE id = ?");
    q->bind(1, key);
    return q->executeStep();
  }
  if (dir.parent_path() == home / "volumes") {
    auto q = conn.prepare("SELECT 1 FROM volumes WHERE name = ?");
    q->bind(1, key);
    return q->executeStep();
  }
  if (dir.parent_path() == home / "images" / "sha256") {
    auto q = conn.prepare("SELECT 1 FROM images WHERE digest = ?");
    q->bind(1, "sha256:" + key);
    return q->executeStep();
  }
  return true;
}

void retire_unowned(Database& db, const Staging& staging, const fs::path& home,
                    const std::vector<fs::path>& dirs, const fs::path& intent) {
  try {
    const auto retired = db.write("home '" + home.string() + "'", [&](Connection& conn) {
      std::vector<fs::path> moved;
      for (const auto& dir : dirs) {
        if (!owned_by_a_row(conn, home, dir)) moved.push_back(staging.retire(dir));
      }
      return moved;
    });
    A3S_FAULT_POINT("files.retire.after_move");
    for (const auto& path : retired) Staging::remove_quietly(path);
    staging.drop_intent(intent);
  } catch (const std::exception& e) {
    spdlog::warn("files of removed rows left for the next sweep: {}", e.what());
  }
}

}  // namespace a3s::store::detail
