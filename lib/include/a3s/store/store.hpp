// The entry point: opens the home and its database and hands out the stores.
#pragma once

#include <memory>

#include "a3s/store/error.hpp"
#include "a3s/store/image_store.hpp"
#include "a3s/store/network_store.hpp"
#include "a3s/store/options.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/snapshot_store.hpp"
#include "a3s/store/volume_store.hpp"

namespace a3s::store {

class Database;

class Store {
 public:
  // Opens (creating if needed) the home directory and the database, brings
  // the schema to the latest version as Options::auto_migrate allows, and
  // sets the connection PRAGMAs (WAL, foreign keys, synchronous, busy
  // timeout), then sweeps what crashed processes left in the catalogs'
  // staging areas (only when the database is <home>/box.db; a leftover that
  // cannot be removed is logged and never fails the open). Safe to call from
  // many processes and threads at once on one home. Throws schema_too_new
  // (file untouched), schema_outdated (auto migration off),
  // checksum_mismatch, corrupt, busy, io.
  static std::unique_ptr<Store> open(Options options = {});

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The stores live as long as this Store and are safe to use from many
  // threads at once.
  NetworkStore& networks() { return networks_; }
  VolumeStore& volumes() { return volumes_; }
  SnapshotStore& snapshots() { return snapshots_; }
  ImageStore& images() { return images_; }

  // The options the store was opened with, home and db_path resolved.
  const Options& options() const { return options_; }

 private:
  explicit Store(Options options);

  Options options_;
  std::unique_ptr<Database> db_;
  NetworkStore networks_;
  VolumeStore volumes_;
  SnapshotStore snapshots_;
  ImageStore images_;
};

}  // namespace a3s::store
