// The one form of the library's errors for failed system calls on files.
// Internal.
#pragma once

#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "a3s/store/error.hpp"

namespace a3s::store::detail {

// "<what> '<path>': <the system's reason for err>", e.g. "cannot open
// '/home/x/volumes/data': Permission denied".
inline std::string io_reason(std::string_view what, const std::filesystem::path& path, int err) {
  return std::string(what) + " '" + path.string() + "': " + std::strerror(err);
}

// Throws Error(io) with io_reason(what, path, err).
[[noreturn]] inline void throw_io(std::string_view what, const std::filesystem::path& path,
                                  int err) {
  throw Error(ErrorCode::io, io_reason(what, path, err));
}

}  // namespace a3s::store::detail
