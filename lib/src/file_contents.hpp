// Copying a regular file's contents with its holes kept. Internal.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <vector>

namespace a3s::store::detail {

// Copies file contents for one tree copy; keeps its buffer and what it
// learnt about copy_file_range between files. Not thread-safe.
class FileContentsCopier {
 public:
  // Copies the data extents of the first `size` bytes of `in` to the same
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

  // The read/write loop's buffer, allocated on its first use.
  std::vector<char> buffer_;
  // False once the kernel said it has no copy_file_range.
  bool copy_file_range_works_ = true;
};

}  // namespace a3s::store::detail
