// The volume store on etcd (SPEC §4 "Volumes", §9). Internal.
//
// Each volume is the key vol/<name>, its record's JSON (users included, in
// in_use_by). Operations that move files (create, remove, prune) run through
// the shared file protocol (directory_change.hpp) on the namespace's
// catalog records, holding its catalog lock; attach, detach and update are
// one compare-and-swap transaction each on the volume's key (MOD == the
// revision read), retried on conflict. Since every creation and deletion of
// a vol/ key happens under the catalog lock, prune's guard over the vol/
// prefix ("nothing modified since the revision read") catches every change
// that could make its plan wrong: attach, detach and update rewrite the key
// they change.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/volume_store.hpp"

namespace a3s::store::detail {

class EtcdKeyspace;
class EtcdTxn;
class CatalogRecords;

class EtcdVolumeStore final : public VolumeStore {
 public:
  // Volumes live in <home>/volumes; `records` are `space`'s catalog
  // records. Both outlive the store.
  EtcdVolumeStore(EtcdKeyspace& space, CatalogRecords& records, std::filesystem::path home);

  std::optional<VolumeConfig> get(std::string_view name) const override;
  VolumeConfig create(const VolumeConfig& config) override;
  VolumeConfig get_or_create(const VolumeConfig& config) override;
  VolumeConfig remove(std::string_view name, bool force = false) override;
  std::vector<VolumeConfig> list() const override;
  VolumeConfig update(const VolumeConfig& config) override;
  VolumeConfig attach(std::string_view name, std::string_view box_id) override;
  VolumeConfig detach(std::string_view name, std::string_view box_id) override;
  std::vector<std::string> prune() override;

 private:
  VolumeConfig create(const VolumeConfig& config, bool existing_ok);

  EtcdKeyspace& space_;
  CatalogRecords& records_;
  std::filesystem::path home_;
  std::filesystem::path volumes_dir_;
};

// The volume stored in `value` (the JSON of vol/<name>). Throws
// Error(corrupt) naming the volume when it is not a valid record of that
// name.
VolumeConfig decode_stored_volume(std::string_view name, std::string_view value);

}  // namespace a3s::store::detail
