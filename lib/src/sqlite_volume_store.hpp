// VolumeStore on the SQLite database (volume_store.hpp has the contract).
// Internal: made by SqliteBackend.
#pragma once

#include <filesystem>

#include "a3s/store/volume_store.hpp"

namespace a3s::store {

class Database;

class SqliteVolumeStore final : public VolumeStore {
 public:
  // Volumes live in <home>/volumes.
  SqliteVolumeStore(Database& db, std::filesystem::path home)
      : db_(db), home_(std::move(home)), volumes_dir_(home_ / "volumes") {}

  std::optional<VolumeConfig> get(std::string_view name) const override;
  VolumeConfig create(const VolumeConfig& config) override;
  VolumeConfig get_or_create(const VolumeConfig& config) override;
  VolumeConfig remove(std::string_view name, bool force) override;
  std::vector<VolumeConfig> list() const override;
  VolumeConfig update(const VolumeConfig& config) override;
  VolumeConfig attach(std::string_view name, std::string_view box_id) override;
  VolumeConfig detach(std::string_view name, std::string_view box_id) override;
  std::vector<std::string> prune() override;

 private:
  VolumeConfig create(const VolumeConfig& config, bool existing_ok);

  Database& db_;
  std::filesystem::path home_;
  std::filesystem::path volumes_dir_;
};

}  // namespace a3s::store
