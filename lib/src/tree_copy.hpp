// Copying directory trees into the home. Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace a3s::store::detail {

struct CopyStats {
  std::uint64_t bytes = 0;
  std::uint64_t skipped = 0;
};

// Copies the tree at `source` into a new directory `dest_name` in the
// directory open as `dest_parent_fd` (`dest_display` names it in messages).
CopyStats copy_tree(const std::filesystem::path& source, int dest_parent_fd,
                    const std::string& dest_name, const std::filesystem::path& dest_display);

}  // namespace a3s::store::detail
