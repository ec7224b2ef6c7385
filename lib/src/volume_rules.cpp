#include "volume_rules.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace a3s::store::detail {

namespace {
constexpr std::size_t kMaxUsers = 10'000;
}

std::string volume_object(std::string_view name) { return "volume '" + std::string(name) + "'"; }

Error volume_in_use(const VolumeConfig& volume) {
  std::string boxes;
  for (const auto& box : volume.in_use_by) boxes += (boxes.empty() ? "" : ", ") + box;
  return Error(ErrorCode::in_use, volume_object(volume.name) + " is in use by " + boxes +
                                      "; detach it or force the removal");
}

bool add_volume_user(VolumeConfig& volume, std::string_view box_id) {
  auto& users = volume.in_use_by;
  if (std::find(users.begin(), users.end(), box_id) != users.end()) return false;
  if (users.size() >= kMaxUsers) {
    throw Error(ErrorCode::invalid_argument,
                volume_object(volume.name) + ": field 'in_use_by' would exceed 10000 entries");
  }
  users.emplace_back(box_id);
  return true;
}

void make_volume_directory(int parent_fd, const std::string& name,
                           const std::filesystem::path& path) {
  if (::mkdirat(parent_fd, name.c_str(), 0755) != 0) {
    throw Error(ErrorCode::io,
                "cannot create directory '" + path.string() + "': " + std::strerror(errno));
  }
}

}  // namespace a3s::store::detail
