#include "file_attributes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "io_error.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

// Gives the new entry whose current status is `now` the owner of `source`,
// calling `chown(uid, gid)` unless it already has it. Returns whether the
// entry has the source's owner; false when the process may not give it (not
// root, or a group it is not in).
template <class Chown>
bool take_owner(const struct stat& now, const struct stat& source, Chown chown,
                const fs::path& display) {
  if (now.st_uid == source.st_uid && now.st_gid == source.st_gid) return true;
  if (chown(source.st_uid, source.st_gid) == 0) return true;
  // EINVAL: an id this user namespace cannot represent; the same situation.
  if (errno == EPERM || errno == EINVAL) return false;
  throw_io("cannot change the owner of", display, errno);
}

// The permission bits of the copy of `source`: all of them, except the
// set-ID bits when the copy could not get the source's owner.
mode_t copy_mode(const struct stat& source, bool owner_kept) {
  mode_t mode = source.st_mode & 07777;
  if (!owner_kept) mode &= ~static_cast<mode_t>(S_ISUID | S_ISGID);
  return mode;
}

std::array<struct timespec, 2> times_of(const struct stat& st) { return {st.st_atim, st.st_mtim}; }

}  // namespace

// The mode comes after the owner because a chown clears the set-ID bits; the
// times come last because nothing after them changes the modification time.
void copy_attributes(int fd, const struct stat& source, const fs::path& display) {
  struct stat now {};
  if (::fstat(fd, &now) != 0) throw_io("cannot stat", display, errno);
  const bool kept = take_owner(
      now, source, [fd](uid_t uid, gid_t gid) { return ::fchown(fd, uid, gid); }, display);
  if (::fchmod(fd, copy_mode(source, kept)) != 0) {
    throw_io("cannot set the mode of", display, errno);
  }
  const auto times = times_of(source);
  if (::futimens(fd, times.data()) != 0) throw_io("cannot set the times of", display, errno);
}

void copy_attributes_at(int dir_fd, const char* name, const struct stat& source,
                        const fs::path& display) {
  struct stat now {};
  if (::fstatat(dir_fd, name, &now, AT_SYMLINK_NOFOLLOW) != 0) {
    throw_io("cannot stat", display, errno);
  }
  const bool kept = take_owner(
      now, source,
      [dir_fd, name](uid_t uid, gid_t gid) {
        return ::fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
      },
      display);
  // fchmodat would follow a symlink; the entry is otherwise the node just
  // made in a directory only this process writes to.
  if (!S_ISLNK(source.st_mode) && ::fchmodat(dir_fd, name, copy_mode(source, kept), 0) != 0) {
    throw_io("cannot set the mode of", display, errno);
  }
  const auto times = times_of(source);
  if (::utimensat(dir_fd, name, times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
    throw_io("cannot set the times of", display, errno);
  }
}

}  // namespace a3s::store::detail
