#include "a3s/store/options.hpp"

#include <cstdlib>

#include "a3s/store/error.hpp"
#include "a3s/store/sizes.hpp"
#include "store_url.hpp"

namespace a3s::store {

namespace {

std::filesystem::path canonical_path(const std::filesystem::path& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  if (ec) {
    throw Error(ErrorCode::invalid_argument,
                "cannot resolve the path '" + path.string() + "': " + ec.message());
  }
  return canonical;
}

}  // namespace

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
  if (options.store.empty()) {
    const char* store = std::getenv("A3S_STORE");
    options.store = store != nullptr && *store != '\0' ? store : "sqlite";
  }
  // One spelling of the home, however it was reached (a relative path, a
  // symlink): mount points are stored from it, and a store's files belong
  // to <home>/box.db alone. The database file's own name is kept (it may be
  // a symlink an operator placed), its directory made canonical.
  options.home = canonical_path(options.home);
  if (detail::parse_store_url(options.store).etcd) {
    if (!options.db_path.empty()) {
      throw Error(ErrorCode::invalid_argument,
                  "--db (\"db\") is SQLite's: the store '" + options.store +
                      "' keeps its records on an etcd cluster, not in '" +
                      options.db_path.string() + "'");
    }
  } else if (options.db_path.empty()) {
    options.db_path = options.home / "box.db";
  } else {
    const std::filesystem::path db = std::filesystem::absolute(options.db_path);
    options.db_path = canonical_path(db.parent_path()) / db.filename();
  }
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
