// One namespace of one etcd cluster, as the etcd stores use it: the client,
// the key prefix "<NAMESPACE>/" every key of the stores lives under, the
// layout version, and this store's writer markers. Internal.
//
// Keys below are written relative to the namespace ("net/dev"); key() makes
// the full key ("<NAMESPACE>/net/dev").
//
// Writer markers: every commit of an EtcdTxn (etcd_txn.hpp) sets a marker key
// meta/writers/<id>/<slot> to a fresh sequence number in its success branch,
// so that a commit whose answer never came can be resolved by reading the
// marker back. <id> is unique per open store (host, PID, start time, random
// bits); a slot is held by one operation at a time, so that the marker it
// reads back can only have been set by that operation. The markers are
// deleted when the keyspace is destroyed (a crashed process leaves its few
// bytes behind).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "catalog_dir.hpp"
#include "etcd_client.hpp"

namespace a3s::store::detail {

// The keys shared by every etcd store, relative to the namespace.
namespace etcd_keys {
inline constexpr std::string_view kLayoutVersion = "meta/layout_version";
// The layout this engine writes.
inline constexpr std::string_view kCurrentLayout = "1";
inline constexpr std::string_view kWriters = "meta/writers/";
inline constexpr std::string_view kCatalogLock = "lock/catalogs";

std::string volume(std::string_view name);  // vol/<name>
std::string snapshot(std::string_view id);  // snap/<id>
// imgdig/<digest>/: one key per reference of the image with that digest
// ("sha256:<hex>").
std::string image_digest_prefix(std::string_view digest);
// pending/<catalog>/: the catalog's pending removals, one key per entry name.
std::string pending_removals_prefix(CatalogKind kind);
}  // namespace etcd_keys

class EtcdKeyspace;
class EtcdTxn;

// Deletes, in `txn`, the records that own the catalog entry `name`, keeping
// whatever the store sums from them right (CatalogTxn::remove_owners).
using OwnerRemoval = std::function<void(EtcdTxn& txn, std::string_view name)>;

// A writer marker held by one operation (see above). `mod_revision` is the
// marker's mod revision as this store last knew it: 0 while it has never
// been written, -1 when unknown (after a commit whose outcome was unknown).
struct WriterSlot {
  std::string key;  // full key
  std::int64_t mod_revision = 0;
};

// Holds a writer slot for the length of one operation.
class WriterSlotLease {
 public:
  explicit WriterSlotLease(EtcdKeyspace& space);
  ~WriterSlotLease();
  WriterSlotLease(const WriterSlotLease&) = delete;
  WriterSlotLease& operator=(const WriterSlotLease&) = delete;
  WriterSlot& operator*() const { return *slot_; }
  WriterSlot* operator->() const { return slot_; }

 private:
  EtcdKeyspace& space_;
  WriterSlot* slot_;
};

class EtcdKeyspace {
 public:
  // Takes `client` (the cluster) and the namespace (its name as the store
  // URL gives it, no '/'). Writes meta/layout_version = kCurrentLayout when
  // absent (one txn, CREATE == 0) and remembers the version found. Throws
  // Error(busy) naming the cluster when it cannot be reached.
  EtcdKeyspace(std::unique_ptr<KvClient> client, std::string name_space);
  // Deletes this store's writer markers; never throws.
  ~EtcdKeyspace();
  EtcdKeyspace(const EtcdKeyspace&) = delete;
  EtcdKeyspace& operator=(const EtcdKeyspace&) = delete;

  // Thread-safe (requests are serialised by the client).
  KvClient& client() const { return *client_; }

  // "<NAMESPACE>/".
  const std::string& prefix() const { return prefix_; }
  std::string key(std::string_view relative) const { return prefix_ + std::string(relative); }
  // The relative key of a full key of this namespace.
  std::string relative(std::string_view key) const {
    return std::string(key.substr(prefix_.size()));
  }

  // "etcd cluster '<endpoints>' namespace '<NAMESPACE>'": what errors and
  // intents name these records by.
  std::string identity() const;

  // meta/layout_version as found (or written) at open.
  const std::string& layout_version() const { return layout_version_; }

  // This store's writer ID (unique per open store).
  const std::string& writer_id() const { return writer_id_; }

  // A sequence number never handed out before by this keyspace.
  std::uint64_t next_sequence();

  // The removal of the records owning an entry of the snapshot or image
  // catalog: set by the store of those records when it is made, before any
  // operation runs. Empty when no such store was made.
  void set_owner_removal(CatalogKind kind, OwnerRemoval removal);
  const OwnerRemoval& owner_removal(CatalogKind kind) const;

 private:
  friend class WriterSlotLease;
  WriterSlot* acquire_slot();
  void release_slot(WriterSlot* slot);

  std::unique_ptr<KvClient> client_;
  std::string name_space_;
  std::string prefix_;
  std::string writer_id_;
  std::string layout_version_;

  OwnerRemoval owner_removals_[3];

  std::mutex mutex_;
  std::uint64_t sequence_ = 0;
  std::vector<std::unique_ptr<WriterSlot>> slots_;
  std::vector<WriterSlot*> free_slots_;
};

}  // namespace a3s::store::detail
