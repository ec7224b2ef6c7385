// Giving a copy its source's owner, permission bits and times. Internal.
#pragma once

#include <sys/stat.h>

#include <filesystem>

namespace a3s::store::detail {

// Gives the file or directory open as `fd` the owner, permission bits and
// access and modification times of `source`. The owner is kept only when
// the process may set it; otherwise the copy stays the process's and loses
// the set-user-ID and set-group-ID bits, which would grant the copier's
// identity rather than the owner's. Throws Error(io) naming `display`.
void copy_attributes(int fd, const struct stat& source, const std::filesystem::path& display);

// The same for the entry `name` of the directory open as `dir_fd`, never
// following it: for a symlink (whose own permission bits mean nothing on
// Linux: owner and times only) and for a device node, fifo or socket (which
// is not opened, since opening one could block or act on a device).
void copy_attributes_at(int dir_fd, const char* name, const struct stat& source,
                        const std::filesystem::path& display);

}  // namespace a3s::store::detail
