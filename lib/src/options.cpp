#include "a3s/store/options.hpp"

#include <cstdlib>

#include "a3s/store/error.hpp"
#include "a3s/store/sizes.hpp"

namespace a3s::store {

Options resolve(Options options) {
  if (options.home.empty()) {
    if (const char* home = std::getenv("A3S_HOME"); home != nullptr && *home != '\0') {
      options.home = home;
    } else if (const char* user_home = std::getenv("HOME");
               user_home != nullptr && *user_home != '\0') {
      options.home = std::filesystem::path(user_home) / ".a3s";
    } else {
      throw Error(ErrorCode::invalid_argument,
                  "no home directory: set A3S_HOME or HOME, or pass a home explicitly");
    }
  }
  if (options.db_path.empty()) options.db_path = options.home / "box.db";
  if (!options.image_cache_max_bytes) {
    constexpr std::uint64_t kDefaultImageCache = std::uint64_t{10} << 30;
    const char* text = std::getenv("A3S_IMAGE_CACHE_SIZE");
    if (text == nullptr || *text == '\0') {
      options.image_cache_max_bytes = kDefaultImageCache;
    } else if (auto bytes = parse_size(text)) {
      options.image_cache_max_bytes = *bytes;
    } else {
      throw Error(ErrorCode::invalid_argument, "A3S_IMAGE_CACHE_SIZE '" + std::string(text) +
                                                   "' is not a size (e.g. 500m, 20g)");
    }
  }
  return options;
}

}  // namespace a3s::store
