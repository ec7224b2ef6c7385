#include "sqlite_backend.hpp"

#include "backup.hpp"
#include "database.hpp"
#include "directory_change.hpp"
#include "migration_engine.hpp"
#include "sqlite_catalog_records.hpp"
#include "store_check.hpp"

namespace a3s::store::detail {

SqliteBackend::SqliteBackend(const Options& options)
    : options_(options),
      db_(std::make_unique<Database>(options_)),
      networks_(*db_),
      volumes_(*db_, options_.home),
      snapshots_(*db_, options_.home),
      images_(*db_, options_.home, *options_.image_cache_max_bytes) {
  open_schema(*db_, embedded_migrations());
  // Leaves a read-only store's home as it found it.
  SqliteCatalogRecords records(*db_);
  sweep_home(records, options_.home);
}

SqliteBackend::~SqliteBackend() = default;

CheckReport SqliteBackend::check(bool repair) { return check_home(*db_, repair); }

void SqliteBackend::backup(const std::filesystem::path& file, bool overwrite) {
  backup_database(*db_, file, overwrite);
}

RestoreReport SqliteBackend::restore(const std::filesystem::path& file) {
  return restore_database(*db_, file);
}

std::string SqliteBackend::describe() const {
  return "the SQLite database '" + options_.db_path.string() + "'";
}

}  // namespace a3s::store::detail
