// The volume rules every backend's volume store follows (SPEC §4
// "Volumes"), apart from how it stores records. Internal.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"

namespace a3s::store::detail {

// How messages name a volume: "volume 'data'".
std::string volume_object(std::string_view name);

// The error of removing `volume` without force while boxes use it: in_use,
// naming the volume and its users.
Error volume_in_use(const VolumeConfig& volume);

// Adds `box_id` to volume.in_use_by unless it is already a user; returns
// whether it added it. Throws Error(invalid_argument) naming the volume and
// the field when the users would exceed SPEC §4's 10,000 entries.
bool add_volume_user(VolumeConfig& volume, std::string_view box_id);

// A DirectoryChange staging maker (directory_change.hpp): a new volume's
// directory, empty. Throws Error(io) naming `path`.
void make_volume_directory(int parent_fd, const std::string& name,
                           const std::filesystem::path& path);

}  // namespace a3s::store::detail
