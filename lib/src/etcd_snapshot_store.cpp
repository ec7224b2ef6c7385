#include "etcd_snapshot_store.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "directory_change.hpp"
#include "etcd_catalog_records.hpp"
#include "etcd_totals.hpp"
#include "etcd_txn.hpp"
#include "fault_injection.hpp"
#include "record_json.hpp"
#include "snapshot_rules.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

const std::string kSnapshots = "snap/";

// The record's JSON (SPEC §3), except that image_config and health_check
// hold their text as JSON strings: the store keeps that text byte for byte
// (records.hpp), which the record's JSON, carrying the objects, does not.
std::string encode(const SnapshotMetadata& s) {
  SnapshotMetadata plain = s;
  plain.image_config.reset();
  plain.health_check.reset();
  auto j = to_json(plain);
  if (s.image_config) j["image_config"] = *s.image_config;
  if (s.health_check) j["health_check"] = *s.health_check;
  return j.dump();
}

std::optional<std::string> take_text(nlohmann::json& j, const char* field) {
  if (!j.is_object() || !j.contains(field)) return std::nullopt;
  if (!j[field].is_string()) {
    throw Error(ErrorCode::corrupt, std::string("field '") + field + "' is not text");
  }
  std::string text = j[field].get<std::string>();
  j.erase(field);
  return text;
}

SnapshotMetadata decode(const KeyValue& kv) {
  try {
    auto j = nlohmann::json::parse(kv.value);
    auto image_config = take_text(j, "image_config");
    auto health_check = take_text(j, "health_check");
    SnapshotMetadata s = snapshot_from_json(j);
    s.image_config = std::move(image_config);
    s.health_check = std::move(health_check);
    validate(s);
    if (kv.key != etcd_keys::snapshot(s.id)) {
      throw Error(ErrorCode::corrupt, "it holds snapshot '" + s.id + "'");
    }
    return s;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::corrupt, "snapshot record '" + kv.key + "' cannot be read: " + e.what());
  }
}

// list(): newest first, ties by ID.
bool newer_first(const SnapshotMetadata& a, const SnapshotMetadata& b) {
  if (a.created_at != b.created_at) return a.created_at > b.created_at;
  return a.id < b.id;
}

// prune(): oldest first, ties by ID.
bool older_first(const SnapshotMetadata& a, const SnapshotMetadata& b) {
  if (a.created_at != b.created_at) return a.created_at < b.created_at;
  return a.id < b.id;
}

}  // namespace

std::optional<SnapshotMetadata> erase_snapshot(EtcdTxn& txn, std::string_view id) {
  const auto kv = txn.get(etcd_keys::snapshot(id));
  if (!kv) return std::nullopt;
  SnapshotMetadata snapshot = decode(*kv);
  txn.erase(kv->key);
  CatalogTotals totals = read_totals(txn, etcd_keys::kSnapshotTotals);
  totals.records -= 1;
  totals.bytes -= snapshot.size_bytes;
  write_totals(txn, etcd_keys::kSnapshotTotals, totals);
  return snapshot;
}

EtcdSnapshotStore::EtcdSnapshotStore(EtcdKeyspace& space, CatalogRecords& records, fs::path home)
    : SnapshotStore(std::move(home)), space_(space), records_(records) {
  // `check --repair` of a snapshot whose directory is gone.
  space_.set_owner_removal(CatalogKind::snapshots,
                           [](EtcdTxn& txn, std::string_view id) { erase_snapshot(txn, id); });
}

SnapshotMetadata EtcdSnapshotStore::save(const SnapshotMetadata& metadata,
                                         const fs::path& rootfs_source) {
  directory_of(metadata.id);  // validates the ID before it becomes a path
  validate(metadata);
  // Fail fast before a possibly long copy; checked again under the lock.
  if (get(metadata.id)) throw snapshot_taken(metadata.id);
  const auto source =
      rootfs_source_exists(rootfs_source) ? std::optional<fs::path>(rootfs_source) : std::nullopt;
  const std::string object = snapshot_name(metadata.id);
  DirectoryChange change(records_, home_, CatalogKind::snapshots, object);
  SnapshotMetadata saved = metadata;
  change.stage("snapshot", [&](int parent_fd, const std::string& name, const fs::path& path) {
    saved.size_bytes = stage_rootfs(source, parent_fd, name, path);
  });
  validate(saved);
  A3S_FAULT_POINT("snapshot.save.after_copy");
  transact_locked(space_, object, [&](EtcdTxn& txn) {
    if (txn.get(etcd_keys::snapshot(saved.id))) throw snapshot_taken(saved.id);  // CREATE == 0
    change.place(txn, saved.id);
    txn.put(etcd_keys::snapshot(saved.id), encode(saved));
    CatalogTotals totals = read_totals(txn, etcd_keys::kSnapshotTotals);
    totals.records += 1;
    totals.bytes += saved.size_bytes;
    write_totals(txn, etcd_keys::kSnapshotTotals, totals);
    A3S_FAULT_POINT("snapshot.save.before_commit");
  });
  A3S_FAULT_POINT("snapshot.save.after_commit");
  change.finish();
  return saved;
}

std::optional<SnapshotMetadata> EtcdSnapshotStore::get(std::string_view id) const {
  validate_name("snapshot ID", id);
  return transact(space_, snapshot_name(id), [&](EtcdTxn& txn) -> std::optional<SnapshotMetadata> {
    const auto kv = txn.get(etcd_keys::snapshot(id));
    if (!kv) return std::nullopt;
    return decode(*kv);
  });
}

std::vector<SnapshotMetadata> EtcdSnapshotStore::list() const {
  auto snapshots = transact(space_, "snapshots", [&](EtcdTxn& txn) {
    std::vector<SnapshotMetadata> all;
    for (const auto& kv : txn.list(kSnapshots)) all.push_back(decode(kv));
    return all;
  });
  std::sort(snapshots.begin(), snapshots.end(), newer_first);
  return snapshots;
}

std::optional<SnapshotMetadata> EtcdSnapshotStore::remove(std::string_view id) {
  directory_of(id);  // validates the ID
  const std::string object = snapshot_name(id);
  DirectoryChange change(records_, home_, CatalogKind::snapshots, object);
  auto removed = transact_locked(space_, object, [&](EtcdTxn& txn) {
    auto snapshot = erase_snapshot(txn, id);
    // Empty after a re-run that found it gone: the earlier run's names go.
    change.remove_after_commit(
        txn, snapshot ? std::vector{std::string(id)} : std::vector<std::string>{});
    if (snapshot) A3S_FAULT_POINT("snapshot.delete.before_commit");
    return snapshot;
  });
  if (removed) A3S_FAULT_POINT("snapshot.delete.after_commit");
  change.finish();
  return removed;
}

std::uint64_t EtcdSnapshotStore::count() const {
  return read_totals(space_, etcd_keys::kSnapshotTotals).records;
}

std::uint64_t EtcdSnapshotStore::total_size() const {
  return read_totals(space_, etcd_keys::kSnapshotTotals).bytes;
}

std::vector<std::string> EtcdSnapshotStore::prune(std::uint64_t max_count,
                                                  std::uint64_t max_bytes) {
  const auto over = [&](const CatalogTotals& totals) {
    return (max_count != 0 && totals.records > max_count) ||
           (max_bytes != 0 && totals.bytes > max_bytes);
  };
  // Within the limits (the usual case) this is one read, without the lock.
  if (!over(read_totals(space_, etcd_keys::kSnapshotTotals))) return {};
  DirectoryChange change(records_, home_, CatalogKind::snapshots, "snapshots");
  auto pruned = transact_locked(space_, "snapshots", [&](EtcdTxn& txn) {
    std::vector<std::string> pruned;
    // Every write of snapshots rewrites the totals, so the guard on them
    // also catches a snapshot deleted since the read (which the prefix's
    // guard does not).
    CatalogTotals totals = read_totals(txn, etcd_keys::kSnapshotTotals);
    if (over(totals)) {
      std::vector<SnapshotMetadata> oldest;
      for (const auto& kv : txn.list(kSnapshots)) oldest.push_back(decode(kv));
      std::sort(oldest.begin(), oldest.end(), older_first);
      for (auto it = oldest.begin(); over(totals) && it != oldest.end(); ++it) {
        txn.erase(etcd_keys::snapshot(it->id));
        pruned.push_back(it->id);
        totals.records -= 1;
        totals.bytes -= it->size_bytes;
      }
      write_totals(txn, etcd_keys::kSnapshotTotals, totals);
    }
    change.remove_after_commit(txn, pruned);
    if (!pruned.empty()) A3S_FAULT_POINT("snapshot.prune.before_commit");
    return pruned;
  });
  if (!pruned.empty()) A3S_FAULT_POINT("snapshot.prune.after_commit");
  change.finish();
  return pruned;
}

}  // namespace a3s::store::detail
