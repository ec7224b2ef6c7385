// Listing an open directory while its descriptor serves *at() calls on the
// entries. Internal.
#pragma once

#include <dirent.h>

#include <cerrno>
#include <utility>

#include "unique_fd.hpp"

namespace a3s::store::detail {

// Lists an open directory (closed on destruction). Move-only.
class DirStream {
 public:
  DirStream() = default;
  ~DirStream() { reset(); }
  DirStream(DirStream&& other) noexcept : dir_(std::exchange(other.dir_, nullptr)) {}
  DirStream& operator=(DirStream&& other) noexcept {
    if (this != &other) {
      reset();
      dir_ = std::exchange(other.dir_, nullptr);
    }
    return *this;
  }
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;

  // Starts listing the directory open as `fd` and takes the descriptor over.
  // Returns false with errno set (and `fd` still the caller's) on failure.
  bool adopt(UniqueFd& fd) {
    DIR* dir = ::fdopendir(fd.get());
    if (dir == nullptr) return false;
    fd.release();
    reset();
    dir_ = dir;
    return true;
  }

  // The directory's descriptor, for *at() calls.
  int fd() const { return ::dirfd(dir_); }

  // The name of the next entry other than "." and "..", valid until the next
  // call; null at the end (`err` 0) or on failure (`err` the errno).
  const char* next(int& err) {
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(dir_);
      if (entry == nullptr) {
        err = errno;
        return nullptr;
      }
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      return name;
    }
  }

 private:
  void reset() noexcept {
    if (dir_ != nullptr) ::closedir(dir_);
    dir_ = nullptr;
  }

  DIR* dir_ = nullptr;
};

}  // namespace a3s::store::detail
