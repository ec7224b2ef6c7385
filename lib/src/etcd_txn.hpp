// One public operation of an etcd store as one optimistic etcd transaction
// (SPEC §9: every operation atomic, compare-and-swap on what it read,
// retried on conflict). Internal.
//
// An operation's body reads through an EtcdTxn, all at one revision R, and
// each read records the compare that guards it:
// - a key present at R: MOD == the mod revision seen (catches a change and a
//   deletion);
// - a key absent at R: CREATE == 0;
// - a prefix: MOD < R + 1 over the prefix's range ("nothing under it created
//   or modified since R"). A DELETION under a prefix is not caught by that
//   compare (etcd compares only the keys that exist). A store whose answer
//   depends on a key under a prefix still being there also reads, through
//   the txn, a key that every deletion under the prefix rewrites (the
//   network store: net/<n>, rewritten by every disconnect).
// Writes are buffered. transact() then sends ONE etcd txn: the compares, the
// writes in the success branch (nested txns past etcd's 128 ops per list)
// and, in the failure branch, the same reads again, so that a conflict
// re-runs the body on fresh reads without another round trip. Each key is
// written at most once per txn.
//
// A commit whose answer never came (EtcdError outcome_unknown) is resolved
// through the operation's writer marker (etcd_keyspace.hpp): every commit
// sets it in its success branch and compares its mod revision, so that the
// marker tells whether an earlier attempt applied, and an attempt that has
// not applied yet can no longer apply once a later one has committed. An
// operation thus returns the result of the attempt that applied — never a
// false already_exists for its own write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "catalog_records.hpp"
#include "etcd_client.hpp"
#include "etcd_keyspace.hpp"

namespace a3s::store::detail {

// What an attempt starts from: the revision its reads are pinned to (0: the
// first read picks the current one) and ranges already read at it (full
// keys [key, range_end) → key-values), e.g. by the failure branch of the
// previous attempt.
struct TxnView {
  std::int64_t revision = 0;
  std::map<std::pair<std::string, std::string>, std::vector<KeyValue>> ranges;
};

// One attempt of one operation. Keys are relative to the namespace, and so
// are the keys of the KeyValues it returns. Used by one thread.
class EtcdTxn final : public CatalogTxn {
 public:
  EtcdTxn(EtcdKeyspace& space, TxnView view) : space_(space), view_(std::move(view)) {}

  // The key as of the txn's revision, or nullopt; guarded (see above).
  std::optional<KeyValue> get(std::string_view key);
  // Every key under `prefix` as of the txn's revision, in key order;
  // guarded (see above).
  std::vector<KeyValue> list(std::string_view prefix);
  // Adds CREATE == 0 on `key` to the commit's compares: for a key known to
  // be absent from a guarded list() that holds it, where a concurrent
  // creation of that very key is what the commit must not overwrite.
  void expect_absent(std::string_view key);
  // The revision the reads are pinned to (0 before the first read).
  std::int64_t revision() const { return view_.revision; }

  // Buffered writes. A key is written once: a later write of the same key
  // replaces the earlier one. erase_prefix deletes every key under `prefix`
  // at commit time; no other write may fall under it (std::logic_error).
  void put(std::string_view key, std::string value);
  void erase(std::string_view key);
  void erase_prefix(std::string_view prefix);
  bool has_writes() const { return !writes_.empty() || !prefix_erases_.empty(); }

  // CatalogTxn. owns(): vol/<name>, snap/<name>, or any imgdig/sha256:<name>/
  // key; pending removals are keys pending/<catalog>/<name>.
  bool owns(CatalogKind kind, std::string_view name) override;
  // vol/ (with each volume's mount_point), snap/, imgdig/: guarded prefix
  // reads.
  std::map<std::string, std::string> owned_names(CatalogKind kind) override;
  // The removal the snapshot or image store set (EtcdKeyspace::
  // set_owner_removal); std::logic_error without one, or for volumes.
  void remove_owners(CatalogKind kind, std::string_view name) override;
  std::vector<std::string> pending_removals(CatalogKind kind) override;
  void add_pending_removals(CatalogKind kind, const std::vector<std::string>& names) override;
  void clear_pending_removals(CatalogKind kind, const std::vector<std::string>& names) override;

  // The commit: the reads' compares, `guards`, and the marker's compare;
  // the writes and the marker's new `sequence` in the success branch; the
  // reads and the marker again in the failure branch.
  TxnRequest commit_request(const WriterSlot& slot, std::uint64_t sequence,
                            const std::vector<Compare>& guards) const;
  // The view a failed commit_request() answer gives the next attempt, and
  // the marker as it was then (nullopt when absent).
  std::pair<TxnView, std::optional<KeyValue>> view_after_failure(const WriterSlot& slot,
                                                                 const TxnResponse& failed) const;

 private:
  struct Read {
    std::string key;  // full
    std::string range_end;
  };
  const std::vector<KeyValue>& read(const std::string& key, const std::string& range_end);
  std::vector<Compare> compares(const std::vector<Compare>& guards, const WriterSlot& slot) const;
  std::vector<RequestOp> read_ops(const WriterSlot& slot) const;

  EtcdKeyspace& space_;
  TxnView view_;
  std::vector<Read> reads_;                                   // in first-read order, once each
  std::map<std::string, std::optional<std::string>> writes_;  // full key → value (nullopt: delete)
  std::vector<std::string> prefix_erases_;                    // full prefixes
  std::vector<std::string> absent_;                           // full keys, expect_absent()
};

// Runs `attempt` on EtcdTxns until one commits (see above): a conflict
// re-runs it at once on the fresh reads of the failure branch, up to 64
// attempts within 5 s (a random pause only before an attempt that must read
// again); then Error(busy) naming `object`. `guards` (CREATE == n
// compares: e.g. that a lock is still held) are compared in every commit; a
// commit that fails because one no longer holds ends the operation with
// Error(busy). An Error thrown by
// `attempt` ends the operation with it (after making sure no earlier
// attempt of unknown outcome can still apply). An attempt that writes
// nothing commits nothing. Errors of the cluster are Error(busy) naming
// `object` and the cluster. Returns the index (counting the attempts whose
// body returned, from 0) of the attempt that committed.
std::size_t run_transaction(EtcdKeyspace& space, std::string_view object,
                            const std::function<void(EtcdTxn&)>& attempt,
                            const std::vector<Compare>& guards = {});

// Whether this thread's last run_transaction() ended with a commit of
// unknown outcome it could not resolve (it may still have applied).
bool last_etcd_commit_outcome_unknown() noexcept;

// run_transaction() for a body returning its result: the result of the
// attempt that committed.
template <class Body>
auto transact(EtcdKeyspace& space, std::string_view object, Body&& body,
              const std::vector<Compare>& guards = {}) {
  using Result = std::invoke_result_t<Body&, EtcdTxn&>;
  if constexpr (std::is_void_v<Result>) {
    run_transaction(
        space, object, [&](EtcdTxn& txn) { body(txn); }, guards);
  } else {
    std::vector<std::optional<Result>> results;
    const std::size_t applied = run_transaction(
        space, object, [&](EtcdTxn& txn) { results.emplace_back(body(txn)); }, guards);
    return std::move(*results.at(applied));
  }
}

}  // namespace a3s::store::detail
