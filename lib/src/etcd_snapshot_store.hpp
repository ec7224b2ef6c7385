// Snapshots on an etcd cluster (SPEC §4 "Snapshots", §9): each record at
// snap/<id>, the running totals at meta/totals/snapshots (etcd_totals.hpp),
// the rootfs trees under the home as on SQLite, placed and deleted through
// the shared file protocol (directory_change.hpp) under the namespace's
// catalog lock. Internal.
#pragma once

#include <filesystem>

#include "a3s/store/snapshot_store.hpp"
#include "catalog_records.hpp"
#include "etcd_keyspace.hpp"
#include "etcd_txn.hpp"

namespace a3s::store::detail {

class EtcdSnapshotStore final : public SnapshotStore {
 public:
  // The store of `space`'s snapshots, whose files live under `home`;
  // `records` is the namespace's CatalogRecords (its writes hold the catalog
  // lock). Both must outlive the store. Registers erase_snapshot below as
  // `space`'s owner removal for snapshots: made before any operation runs.
  EtcdSnapshotStore(EtcdKeyspace& space, CatalogRecords& records, std::filesystem::path home);

  SnapshotMetadata save(const SnapshotMetadata& metadata,
                        const std::filesystem::path& rootfs_source) override;
  std::optional<SnapshotMetadata> get(std::string_view id) const override;
  std::vector<SnapshotMetadata> list() const override;
  std::optional<SnapshotMetadata> remove(std::string_view id) override;
  std::uint64_t count() const override;
  std::uint64_t total_size() const override;
  std::vector<std::string> prune(std::uint64_t max_count, std::uint64_t max_bytes) override;

 private:
  EtcdKeyspace& space_;
  CatalogRecords& records_;
};

// Deletes the snapshot `id`'s record in `txn`, keeping the totals right;
// returns it, or nullopt when there is none. The store registers it as the keyspace's
// owner removal for snapshots (EtcdTxn::remove_owners: `check --repair` of a
// snapshot whose directory is gone).
std::optional<SnapshotMetadata> erase_snapshot(EtcdTxn& txn, std::string_view id);

}  // namespace a3s::store::detail
