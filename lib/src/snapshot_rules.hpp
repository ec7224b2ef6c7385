// What saving a snapshot does to files and how its errors read, the same
// whichever backend keeps the records (SPEC §4 "Snapshots"). Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "a3s/store/error.hpp"

namespace a3s::store::detail {

// "snapshot '<id>'": how messages name a snapshot.
std::string snapshot_name(std::string_view id);

// The already_exists error of a save whose ID is taken.
Error snapshot_taken(std::string_view id);

// Whether the rootfs source exists (an absent one gives an empty rootfs).
// Throws invalid_argument when it exists but is not a directory, io when it
// cannot be resolved.
bool rootfs_source_exists(const std::filesystem::path& source);

// Makes the staged snapshot directory `name` in `parent_fd` with rootfs/
// copied from `source` inside, or empty when there is no `source` (`path`
// names the staged directory in messages), and returns the bytes of regular
// files copied. Throws io.
std::uint64_t stage_rootfs(const std::optional<std::filesystem::path>& source, int parent_fd,
                           const std::string& name, const std::filesystem::path& path);

}  // namespace a3s::store::detail
