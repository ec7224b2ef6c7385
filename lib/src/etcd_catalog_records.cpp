#include "etcd_catalog_records.hpp"

#include <random>
#include <thread>

namespace a3s::store::detail {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

CatalogLock::CatalogLock(EtcdKeyspace& space, std::string_view object) : space_(space) {
  KvClient& client = space.client();
  const std::string key = space.key(etcd_keys::kCatalogLock);
  // The value names the holder (for the busy message) and this acquisition
  // (to resolve an acquisition whose answer was lost).
  const std::string token = space.writer_id() + "#" + std::to_string(space.next_sequence());
  try {
    lease_ = client.lease_grant(kCatalogLockTtlSeconds).id;
  } catch (const Error& e) {
    throw Error(e.code(), std::string(object) + ": " + e.what());
  }
  TxnRequest acquire;
  acquire.compare = {compare_key(key, Compare::Target::create, Compare::Result::equal, 0)};
  acquire.success = {{PutRequest{key, token, lease_}}};
  acquire.failure = {{RangeRequest{key}}};
  thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(2, 20);
  const auto deadline = Clock::now() + kCatalogLockWait;
  std::string holder = "(unknown)";
  try {
    for (;;) {
      std::optional<KeyValue> current;
      try {
        const TxnResponse response = client.txn(acquire);
        if (response.succeeded) {
          create_revision_ = response.revision;
          return;
        }
        const auto& found = std::get<RangeResponse>(response.responses.at(0).op);
        if (!found.kvs.empty()) current = found.kvs.front();
      } catch (const EtcdError& e) {
        if (e.kind() != EtcdError::Kind::outcome_unknown) throw;
        const RangeResponse found = client.range({key});
        if (!found.kvs.empty()) current = found.kvs.front();
      }
      if (current && current->value == token) {  // ours, acknowledged or not
        create_revision_ = current->create_revision;
        return;
      }
      if (current) holder = current->value.substr(0, current->value.find('#'));
      if (Clock::now() >= deadline) {
        throw Error(ErrorCode::busy, std::string(object) + ": the catalogs of " + space.identity() +
                                         " are locked by " + holder + " (" +
                                         std::string(etcd_keys::kCatalogLock) + ") for more than " +
                                         std::to_string(kCatalogLockWait.count()) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    }
  } catch (const Error& e) {
    try {
      client.lease_revoke(lease_);
    } catch (...) {
      // The lease expires on its own.
    }
    if (e.code() == ErrorCode::busy && dynamic_cast<const EtcdError*>(&e) == nullptr) throw;
    throw Error(e.code(), std::string(object) + ": " + e.what());
  }
}

CatalogLock::~CatalogLock() {
  try {
    space_.client().lease_revoke(lease_);
  } catch (...) {
    // The lease expires on its own within kCatalogLockTtlSeconds.
  }
}

Compare CatalogLock::held() const {
  return compare_key(space_.key(etcd_keys::kCatalogLock), Compare::Target::create,
                     Compare::Result::equal, create_revision_);
}

void EtcdCatalogRecords::write(std::string_view object,
                               const std::function<void(CatalogTxn&)>& body) {
  transact_locked(space_, object, [&](EtcdTxn& txn) { body(txn); });
}

void EtcdCatalogRecords::read(std::string_view object,
                              const std::function<void(CatalogTxn&)>& body) {
  // Reads only: no commit (an attempt that writes nothing sends none).
  transact(space_, object, [&](EtcdTxn& txn) { body(txn); });
}

}  // namespace a3s::store::detail
