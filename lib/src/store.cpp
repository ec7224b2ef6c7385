#include "a3s/store/store.hpp"

#include "backup.hpp"
#include "database.hpp"
#include "directory_change.hpp"
#include "migration_engine.hpp"
#include "store_check.hpp"

namespace a3s::store {
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
  // Sweeping moves and deletes files: a read-only store leaves the home as
  // it found it.
  if (!store->db_->read_only()) detail::sweep_home(*store->db_, store->options_.home);
  return store;
}

void Store::backup(const std::filesystem::path& file, bool overwrite) {
  detail::backup_database(*db_, file, overwrite);
}

RestoreReport Store::restore(const std::filesystem::path& file) {
  return detail::restore_database(*db_, file);
}

CheckReport Store::check(bool repair) { return detail::check_home(*db_, repair); }

}  // namespace a3s::store
