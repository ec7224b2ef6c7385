// The stores on one SQLite database, <home>/box.db or Options::db_path (SPEC
// §9 "sqlite", the default). Internal.
#pragma once

#include <memory>

#include "a3s/store/options.hpp"
#include "backend.hpp"
#include "sqlite_image_store.hpp"
#include "sqlite_network_store.hpp"
#include "sqlite_snapshot_store.hpp"
#include "sqlite_volume_store.hpp"

namespace a3s::store::detail {

class SqliteBackend final : public Backend {
 public:
  // Opens the database, brings its schema up to date and sweeps the home's
  // staging areas, as Store::open says. `options` resolved.
  explicit SqliteBackend(const Options& options);
  ~SqliteBackend() override;

  NetworkStore& networks() override { return networks_; }
  VolumeStore& volumes() override { return volumes_; }
  SnapshotStore& snapshots() override { return snapshots_; }
  ImageStore& images() override { return images_; }

  CheckReport check(bool repair) override;
  void backup(const std::filesystem::path& file, bool overwrite) override;
  RestoreReport restore(const std::filesystem::path& file) override;
  // In legacy_import.cpp.
  ImportReport import_legacy(const ImportOptions& options) override;
  std::string describe() const override;

 private:
  Options options_;
  std::unique_ptr<Database> db_;
  SqliteNetworkStore networks_;
  SqliteVolumeStore volumes_;
  SqliteSnapshotStore snapshots_;
  SqliteImageStore images_;
};

}  // namespace a3s::store::detail
