#include "file_contents.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

#include "io_error.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

// The read/write loop's buffer size.
constexpr std::size_t kBufferSize = std::size_t{1} << 18;

// The most one copy_file_range call is asked to copy.
constexpr off_t kRangeChunk = off_t{1} << 30;

// Writes all of `data` at `offset` of `fd`.
void write_all(int fd, const char* data, std::size_t size, off_t offset, const fs::path& display) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot write", display, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
}

}  // namespace

bool FileContentsCopier::clone(int in, int out, const fs::path& dest) {
  if (!clone_works_) return false;
  if (::ioctl(out, FICLONE, in) == 0) return true;
  const int err = errno;
  // The file system has no reflinks (ENOTTY, EOPNOTSUPP), or not between
  // these two (EXDEV): the files of one tree copy are on the same two, so
  // no later file tries. EINVAL, and any error, leaves only this file to
  // the copy, which reports a real error itself (a limit or a full disk).
  if (err == ENOTTY || err == EOPNOTSUPP || err == EXDEV || err == ENOSYS) clone_works_ = false;
  // A failed clone may have left part of the file: the copy starts empty.
  if (::ftruncate(out, 0) != 0) throw_io("cannot set the size of", dest, errno);
  return false;
}

void FileContentsCopier::copy(int in, int out, off_t size, const fs::path& source,
                              const fs::path& dest) {
  if (size > 0 && clone(in, out, dest)) return;
  bool use_range = copy_file_range_works_;
  off_t pos = 0;
  while (pos < size) {
    const off_t data = ::lseek(in, pos, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) return;  // nothing but a hole from pos on
      if (errno == EINVAL) return copy_extent(in, out, pos, size - pos, use_range, source, dest);
      throw_io("cannot read", source, errno);
    }
    if (data >= size) return;
    const off_t hole = ::lseek(in, data, SEEK_HOLE);
    if (hole < 0) throw_io("cannot read", source, errno);
    const off_t end = std::min(hole, size);
    copy_extent(in, out, data, end - data, use_range, source, dest);
    pos = end;
  }
}

void FileContentsCopier::copy_extent(int in, int out, off_t offset, off_t length, bool& use_range,
                                     const fs::path& source, const fs::path& dest) {
  while (length > 0) {
    if (use_range) {
      off64_t from = offset;
      off64_t to = offset;
      const ssize_t n = ::copy_file_range(
          in, &from, out, &to, static_cast<std::size_t>(std::min(length, kRangeChunk)), 0);
      if (n > 0) {
        offset += n;
        length -= n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == ENOSYS) copy_file_range_works_ = false;
      // Not possible between these files (EXDEV, EINVAL, EOPNOTSUPP...), or
      // no progress (the end of the file, or a file system that cannot
      // tell): the loop below copies the rest, and tells a real error or
      // the end of the file apart.
      use_range = false;
      continue;
    }
    if (buffer_.empty()) buffer_.resize(kBufferSize);
    const auto want = static_cast<std::size_t>(std::min(length, static_cast<off_t>(kBufferSize)));
    const ssize_t n = ::pread(in, buffer_.data(), want, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot read", source, errno);
    }
    if (n == 0) return;
    write_all(out, buffer_.data(), static_cast<std::size_t>(n), offset, dest);
    offset += n;
    length -= n;
  }
}

}  // namespace a3s::store::detail
