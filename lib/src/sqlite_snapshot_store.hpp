// SnapshotStore on the SQLite database (snapshot_store.hpp has the
// contract). Internal: made by SqliteBackend.
#pragma once

#include "a3s/store/snapshot_store.hpp"

namespace a3s::store {

class Database;

class SqliteSnapshotStore final : public SnapshotStore {
 public:
  SqliteSnapshotStore(Database& db, std::filesystem::path home)
      : SnapshotStore(std::move(home)), db_(db) {}

  SnapshotMetadata save(const SnapshotMetadata& metadata,
                        const std::filesystem::path& rootfs_source) override;
  std::optional<SnapshotMetadata> get(std::string_view id) const override;
  std::vector<SnapshotMetadata> list() const override;
  std::optional<SnapshotMetadata> remove(std::string_view id) override;
  std::uint64_t count() const override;
  std::uint64_t total_size() const override;
  std::vector<std::string> prune(std::uint64_t max_count, std::uint64_t max_bytes) override;

 private:
  Database& db_;
};

}  // namespace a3s::store
