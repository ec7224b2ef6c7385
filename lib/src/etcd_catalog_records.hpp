// The records of the home's file protocol (catalog_records.hpp) on etcd, and
// the namespace's catalog lock that its write transactions hold. Internal.
//
// The lock is the key lock/catalogs, created with CREATE == 0 and attached
// to a lease of kCatalogLockTtlSeconds, so that a holder that dies frees it when the
// lease expires. Waiting for it is bounded: Error(busy) after 5 s. Every
// commit made under it compares the key's create revision, so that a commit
// whose lock was lost meanwhile (its lease expired, another took it) fails
// instead of applying. Released by revoking the lease.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog_records.hpp"
#include "etcd_keyspace.hpp"
#include "etcd_txn.hpp"

namespace a3s::store::detail {

inline constexpr std::chrono::milliseconds kCatalogLockWait{5000};
// The lease is granted before the wait, so a holder keeps the lock for at
// least 10 s after taking it.
inline constexpr std::int64_t kCatalogLockTtlSeconds = 15;

// The catalog lock, held from construction to destruction.
class CatalogLock {
 public:
  // Waits up to kCatalogLockWait for the lock; then throws Error(busy)
  // naming `object`, the namespace and the holder.
  CatalogLock(EtcdKeyspace& space, std::string_view object);
  // Revokes the lease (deleting the key); never throws.
  ~CatalogLock();
  CatalogLock(const CatalogLock&) = delete;
  CatalogLock& operator=(const CatalogLock&) = delete;

  // The compare a commit made under the lock carries: the lock key's create
  // revision is still ours.
  Compare held() const;

 private:
  EtcdKeyspace& space_;
  std::int64_t lease_ = 0;
  std::int64_t create_revision_ = 0;
};

// transact() holding the catalog lock: for the operations that move files
// in the home's catalogs.
template <class Body>
auto transact_locked(EtcdKeyspace& space, std::string_view object, Body&& body) {
  CatalogLock lock(space, object);
  return transact(space, object, std::forward<Body>(body), {lock.held()});
}

class EtcdCatalogRecords final : public CatalogRecords {
 public:
  explicit EtcdCatalogRecords(EtcdKeyspace& space) : space_(space) {}

  // "etcd cluster '<endpoints>' namespace '<NAMESPACE>'".
  std::string identity() const override { return space_.identity(); }
  // Any home: its catalogs are shared by every host that shares the
  // cluster's namespace, so they may always be compared and changed.
  bool describes_home(const std::filesystem::path&) const override { return true; }
  bool read_only() const override { return false; }
  void require_file_changes(std::string_view, const std::filesystem::path&) const override {}
  void write(std::string_view object, const std::function<void(CatalogTxn&)>& body) override;
  void read(std::string_view object, const std::function<void(CatalogTxn&)>& body) override;
  bool last_commit_outcome_unknown() const noexcept override {
    return last_etcd_commit_outcome_unknown();
  }

 private:
  EtcdKeyspace& space_;
};

}  // namespace a3s::store::detail
