#include "snapshot_rules.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "catalog_dir.hpp"
#include "tree_copy.hpp"
#include "unique_fd.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(std::string_view what, const fs::path& path) {
  throw Error(ErrorCode::io,
              std::string(what) + " '" + path.string() + "': " + std::strerror(errno));
}

}  // namespace

std::string snapshot_name(std::string_view id) { return "snapshot '" + std::string(id) + "'"; }

Error snapshot_taken(std::string_view id) {
  return Error(ErrorCode::already_exists, snapshot_name(id) + " already exists");
}

bool rootfs_source_exists(const fs::path& source) {
  std::error_code ec;
  const auto status = fs::symlink_status(source, ec);
  // Only a missing path means "no rootfs"; one we cannot resolve is an error.
  if (ec && status.type() != fs::file_type::not_found) {
    throw Error(ErrorCode::io, "rootfs source '" + source.string() + "': " + ec.message());
  }
  if (!fs::exists(status)) return false;
  if (!fs::is_directory(fs::status(source, ec))) {
    throw Error(ErrorCode::invalid_argument,
                "rootfs source '" + source.string() + "' is not a directory");
  }
  return true;
}

std::uint64_t stage_rootfs(const std::optional<fs::path>& source, int parent_fd,
                           const std::string& name, const fs::path& path) {
  if (::mkdirat(parent_fd, name.c_str(), 0755) != 0) throw_errno("cannot create", path);
  UniqueFd staged(
      ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!staged) throw_errno("cannot open", path);
  std::uint64_t bytes = 0;
  if (source) {
    bytes = copy_tree(*source, staged.get(), "rootfs", path / "rootfs").bytes;
  } else if (::mkdirat(staged.get(), "rootfs", 0755) != 0) {
    throw_errno("cannot create", path / "rootfs");
  }
  fsync_directory(staged.get(), path);
  return bytes;
}

}  // namespace a3s::store::detail
