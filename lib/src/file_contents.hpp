// Copying a regular file's contents with its holes kept. Internal.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <vector>

namespace a3s::store::detail {

// Copies file contents for one tree copy: a reflink (FICLONE) where the
// file system offers one, else copy_file_range, else a read/write loop;
// keeps its buffer and what it learnt about the first two between files.
// Not thread-safe.
class FileContentsCopier {
 public:
  // Shares the first `size` bytes of `in` with the empty `out` (a reflink,
  // holes included) or else copies the data extents of them to the same
  // offsets of `out`, leaving the holes between them unwritten (holes in the
  // copy too; setting the copy's size is the caller's part). Without
  // SEEK_DATA on the file system the whole range is copied. Stops early
  // where `in` ends (it shrank). Throws Error(io) naming `source` or `dest`
  // (used only in messages).
  void copy(int in, int out, off_t size, const std::filesystem::path& source,
            const std::filesystem::path& dest);

 private:
  // Copies bytes [offset, offset + length) of `in` to the same offsets of
  // `out`, stopping early where `in` ends. Tries copy_file_range while
  // `use_range` holds (clearing it when that cannot work), the read/write
  // loop otherwise.
  void copy_extent(int in, int out, off_t offset, off_t length, bool& use_range,
                   const std::filesystem::path& source, const std::filesystem::path& dest);

  // Makes `out` (empty) a reflink of all of `in` and returns true, or
  // returns false with `out` empty again when the file system cannot.
  // Throws Error(io) naming `dest` only when `out` cannot be emptied.
  bool clone(int in, int out, const std::filesystem::path& dest);

  // The read/write loop's buffer, allocated on its first use.
  std::vector<char> buffer_;
  // False once the kernel said it has no copy_file_range.
  bool copy_file_range_works_ = true;
  // False once the file systems said they have no reflinks.
  bool clone_works_ = true;
};

}  // namespace a3s::store::detail
