#include "a3s/store/options.hpp"

#include <cstdlib>

#include "a3s/store/error.hpp"

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
  return options;
}

}  // namespace a3s::store
