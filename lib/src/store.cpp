#include "a3s/store/store.hpp"

#include "database.hpp"
#include "fs_ops.hpp"
#include "migration_engine.hpp"
#include "owned_files.hpp"

namespace a3s::store {
namespace fs = std::filesystem;

Store::Store(Options options)
    : options_(std::move(options)),
      db_(std::make_unique<Database>(options_)),
      networks_(*db_),
      volumes_(*db_, options_.home),
      snapshots_(*db_, options_.home),
      images_(*db_, options_.home, *options_.image_cache_max_bytes) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(Options options) {
  std::unique_ptr<Store> store(new Store(resolve(std::move(options))));
  detail::open_schema(*store->db_, detail::embedded_migrations());
  const detail::Staging staging(store->options_.home);
  if (fs::exists(staging.dir())) {
    const fs::path home = store->options_.home;
    store->db_->write("home '" + home.string() + "'", [&](Connection& conn) {
      staging.sweep([&](const fs::path& dir) { return detail::owned_by_a_row(conn, home, dir); });
      return 0;
    });
  }
  return store;
}

}  // namespace a3s::store
