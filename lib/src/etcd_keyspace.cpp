#include "etcd_keyspace.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <random>

namespace a3s::store::detail {

namespace etcd_keys {

std::string volume(std::string_view name) { return "vol/" + std::string(name); }
std::string snapshot(std::string_view id) { return "snap/" + std::string(id); }
std::string image_digest_prefix(std::string_view digest) {
  return "imgdig/" + std::string(digest) + "/";
}
std::string pending_removals_prefix(CatalogKind kind) {
  switch (kind) {
    case CatalogKind::volumes:
      return "pending/volumes/";
    case CatalogKind::snapshots:
      return "pending/snapshots/";
    case CatalogKind::images:
      return "pending/images/";
  }
  return "pending/unknown/";
}

}  // namespace etcd_keys

namespace {

// Host, process (its ID and start time, with a counter unique in the
// process: the staging scheme's name) and 64 random bits.
std::string fresh_writer_id() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, 8, "host");
  std::random_device random;
  const unsigned long long bits =
      (static_cast<unsigned long long>(random()) << 32) ^ static_cast<unsigned long long>(random());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", bits);
  return std::string(host) + "." + fresh_staging_name("store") + "." + hex;
}

}  // namespace

WriterSlotLease::WriterSlotLease(EtcdKeyspace& space)
    : space_(space), slot_(space.acquire_slot()) {}
WriterSlotLease::~WriterSlotLease() { space_.release_slot(slot_); }

EtcdKeyspace::EtcdKeyspace(std::unique_ptr<KvClient> client, std::string name_space)
    : client_(std::move(client)),
      name_space_(std::move(name_space)),
      prefix_(name_space_ + "/"),
      writer_id_(fresh_writer_id()) {
  const std::string version_key = key(etcd_keys::kLayoutVersion);
  Compare absent;
  absent.key = version_key;
  absent.target = Compare::Target::create;
  absent.result = Compare::Result::equal;
  absent.number = 0;
  TxnRequest request;
  request.compare = {absent};
  request.success = {{PutRequest{version_key, std::string(etcd_keys::kCurrentLayout)}}};
  request.failure = {{RangeRequest{version_key}}};
  // A lost answer is harmless here: the read below tells what is there.
  try {
    const TxnResponse response = client_->txn(request);
    if (response.succeeded) {
      layout_version_ = etcd_keys::kCurrentLayout;
      return;
    }
    const auto& found = std::get<RangeResponse>(response.responses.at(0).op);
    if (!found.kvs.empty()) {
      layout_version_ = found.kvs.front().value;
      return;
    }
  } catch (const EtcdError& e) {
    if (e.kind() != EtcdError::Kind::outcome_unknown) throw;
  }
  const RangeResponse found = client_->range({version_key});
  if (found.kvs.empty()) {
    throw Error(ErrorCode::busy, identity() + ": " + std::string(etcd_keys::kLayoutVersion) +
                                     " could not be written");
  }
  layout_version_ = found.kvs.front().value;
}

EtcdKeyspace::~EtcdKeyspace() {
  // Nothing to delete (and no request to wait for) unless a marker was set.
  const bool written = std::any_of(slots_.begin(), slots_.end(),
                                   [](const auto& slot) { return slot->mod_revision != 0; });
  if (!written) return;
  try {
    const std::string writers = key(etcd_keys::kWriters) + writer_id_ + "/";
    client_->delete_range({writers, prefix_end(writers)});
  } catch (...) {
    // Best effort: a marker left behind is a few bytes, harmless.
  }
}

std::string EtcdKeyspace::identity() const {
  return client_->describe() + " namespace '" + name_space_ + "'";
}

std::uint64_t EtcdKeyspace::next_sequence() {
  std::lock_guard lock(mutex_);
  return ++sequence_;
}

void EtcdKeyspace::set_owner_removal(CatalogKind kind, OwnerRemoval removal) {
  owner_removals_[static_cast<int>(kind)] = std::move(removal);
}

const OwnerRemoval& EtcdKeyspace::owner_removal(CatalogKind kind) const {
  return owner_removals_[static_cast<int>(kind)];
}

WriterSlot* EtcdKeyspace::acquire_slot() {
  std::lock_guard lock(mutex_);
  if (free_slots_.empty()) {
    auto slot = std::make_unique<WriterSlot>();
    slot->key = key(etcd_keys::kWriters) + writer_id_ + "/" + std::to_string(slots_.size());
    slots_.push_back(std::move(slot));
    return slots_.back().get();
  }
  WriterSlot* slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

void EtcdKeyspace::release_slot(WriterSlot* slot) {
  std::lock_guard lock(mutex_);
  free_slots_.push_back(slot);
}

}  // namespace a3s::store::detail
