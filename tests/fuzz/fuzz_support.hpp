// What the fuzz targets share: the input split into a selector byte and the
// text after it, a per-process scratch directory, and the check that stops
// the run (libFuzzer reports the abort, with the input, as a crash).
#pragma once

#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace a3s::fuzz {

// The first byte of an input picks what the rest is given to.
struct Input {
  unsigned selector = 0;
  std::string_view text;
};

inline Input split(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {};
  return {data[0], std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

// A broken contract: says which, then aborts so that libFuzzer keeps the
// input that did it.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "contract broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// A directory of this process under $TMPDIR (scripts/fuzz.sh points it into
// the build directory), removed when the process exits normally; a crashed
// run leaves it for the script to remove.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "a3s-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) fail("cannot create a scratch directory");
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

}  // namespace a3s::fuzz
