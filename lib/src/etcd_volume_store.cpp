#include "etcd_volume_store.hpp"

#include <algorithm>
#include <utility>

#include "catalog_records.hpp"
#include "directory_change.hpp"
#include "etcd_catalog_records.hpp"
#include "etcd_keyspace.hpp"
#include "etcd_txn.hpp"
#include "record_json.hpp"
#include "volume_rules.hpp"

namespace a3s::store::detail {

namespace {

constexpr std::string_view kVolumesPrefix = "vol/";

std::string encode(const VolumeConfig& volume) { return to_json(volume).dump(); }

// The volume named `name`, read through `txn` (guarded by it); not_found
// when there is none.
VolumeConfig load_existing(EtcdTxn& txn, std::string_view name) {
  const auto kv = txn.get(etcd_keys::volume(name));
  if (!kv) throw not_found("volume", name);
  return decode_stored_volume(name, kv->value);
}

}  // namespace

VolumeConfig decode_stored_volume(std::string_view name, std::string_view value) {
  const std::string object = volume_object(name);
  VolumeConfig volume;
  try {
    volume = volume_from_json(parse_json_text(value, object));
  } catch (const Error& e) {
    throw Error(ErrorCode::corrupt, object + ": its record in etcd is not valid: " + e.what());
  }
  if (volume.name != name) {
    throw Error(ErrorCode::corrupt,
                object + ": its record in etcd names the volume '" + volume.name + "'");
  }
  return volume;
}

EtcdVolumeStore::EtcdVolumeStore(EtcdKeyspace& space, CatalogRecords& records,
                                 std::filesystem::path home)
    : space_(space), records_(records), home_(std::move(home)), volumes_dir_(home_ / "volumes") {}

std::optional<VolumeConfig> EtcdVolumeStore::get(std::string_view name) const {
  validate_name("volume name", name);
  return transact(space_, volume_object(name), [&](EtcdTxn& txn) -> std::optional<VolumeConfig> {
    const auto kv = txn.get(etcd_keys::volume(name));
    if (!kv) return std::nullopt;
    return decode_stored_volume(name, kv->value);
  });
}

VolumeConfig EtcdVolumeStore::create(const VolumeConfig& config) {
  return create(config, /*existing_ok=*/false);
}

VolumeConfig EtcdVolumeStore::get_or_create(const VolumeConfig& config) {
  if (auto existing = get(config.name)) return *existing;
  return create(config, /*existing_ok=*/true);
}

VolumeConfig EtcdVolumeStore::create(const VolumeConfig& config, bool existing_ok) {
  validate_name("volume name", config.name);  // before the name becomes a path
  VolumeConfig volume = config;
  volume.mount_point = (volumes_dir_ / config.name).string();
  validate(volume);
  const std::string object = volume_object(volume.name);
  DirectoryChange change(records_, home_, CatalogKind::volumes, object);
  change.stage("volume", make_volume_directory);
  VolumeConfig stored = transact_locked(space_, object, [&](EtcdTxn& txn) {
    if (const auto existing = txn.get(etcd_keys::volume(volume.name))) {
      if (existing_ok) return decode_stored_volume(volume.name, existing->value);
      throw Error(ErrorCode::already_exists, object + " already exists");
    }
    // A directory already there without a record is user data: the volume
    // takes it over as it is (as on SQLite).
    if (change.placed() || change.catalog().entry_type(volume.name) != EntryType::directory) {
      change.place(txn, volume.name);
    }
    txn.put(etcd_keys::volume(volume.name), encode(volume));
    return volume;
  });
  change.finish();
  return stored;
}

VolumeConfig EtcdVolumeStore::remove(std::string_view name, bool force) {
  validate_name("volume name", name);
  const std::string object = volume_object(name);
  DirectoryChange change(records_, home_, CatalogKind::volumes, object);
  VolumeConfig removed = transact_locked(space_, object, [&](EtcdTxn& txn) {
    VolumeConfig volume = load_existing(txn, name);
    if (!volume.in_use_by.empty() && !force) throw volume_in_use(volume);
    change.remove_after_commit(txn, {std::string(name)});
    txn.erase(etcd_keys::volume(name));
    return volume;
  });
  change.finish();
  return removed;
}

std::vector<VolumeConfig> EtcdVolumeStore::list() const {
  return transact(space_, "volumes", [&](EtcdTxn& txn) {
    std::vector<VolumeConfig> volumes;
    for (const KeyValue& kv : txn.list(kVolumesPrefix)) {
      volumes.push_back(
          decode_stored_volume(std::string_view(kv.key).substr(kVolumesPrefix.size()), kv.value));
    }
    return volumes;  // in key order, which is name order
  });
}

VolumeConfig EtcdVolumeStore::update(const VolumeConfig& config) {
  validate_name("volume name", config.name);
  return transact(space_, volume_object(config.name), [&](EtcdTxn& txn) {
    VolumeConfig volume = config;
    volume.mount_point = load_existing(txn, config.name).mount_point;
    validate(volume);
    txn.put(etcd_keys::volume(volume.name), encode(volume));
    return volume;
  });
}

VolumeConfig EtcdVolumeStore::attach(std::string_view name, std::string_view box_id) {
  validate_name("volume name", name);
  validate_identifier(volume_object(name) + ": box ID", box_id);
  return transact(space_, volume_object(name), [&](EtcdTxn& txn) {
    VolumeConfig volume = load_existing(txn, name);
    if (add_volume_user(volume, box_id)) txn.put(etcd_keys::volume(name), encode(volume));
    return volume;
  });
}

VolumeConfig EtcdVolumeStore::detach(std::string_view name, std::string_view box_id) {
  validate_name("volume name", name);
  validate_identifier(volume_object(name) + ": box ID", box_id);
  return transact(space_, volume_object(name), [&](EtcdTxn& txn) {
    VolumeConfig volume = load_existing(txn, name);
    if (std::erase(volume.in_use_by, std::string(box_id)) > 0) {
      txn.put(etcd_keys::volume(name), encode(volume));
    }
    return volume;
  });
}

std::vector<std::string> EtcdVolumeStore::prune() {
  DirectoryChange change(records_, home_, CatalogKind::volumes, "volumes");
  // The plan is the vol/ keys at the txn's revision; the commit is guarded
  // by nothing under vol/ having changed since (an attach re-plans it).
  auto pruned = transact_locked(space_, "volumes", [&](EtcdTxn& txn) {
    std::vector<std::string> names;
    for (const KeyValue& kv : txn.list(kVolumesPrefix)) {
      const std::string name = kv.key.substr(kVolumesPrefix.size());
      if (decode_stored_volume(name, kv.value).in_use_by.empty()) names.push_back(name);
    }
    change.remove_after_commit(txn, names);
    for (const auto& name : names) txn.erase(etcd_keys::volume(name));
    return names;
  });
  change.finish();
  return pruned;
}

}  // namespace a3s::store::detail
