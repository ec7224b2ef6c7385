#include "etcd_txn.hpp"

#include "etcd_volume_store.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace a3s::store::detail {

namespace {

using Clock = std::chrono::steady_clock;
using Target = Compare::Target;
using Result = Compare::Result;

// etcd's default --max-txn-ops: the most ops in each of a txn's compare,
// success and failure lists.
constexpr std::size_t kMaxTxnOps = 128;
constexpr int kMaxAttempts = 64;
constexpr auto kGiveUpAfter = std::chrono::seconds(5);

thread_local bool last_outcome_unknown = false;

std::string catalog_name(CatalogKind kind) {
  std::string prefix = etcd_keys::pending_removals_prefix(kind);
  return prefix.substr(prefix.find('/') + 1);
}

// Ops built in place (brace-initialising the variant trips GCC 12's
// maybe-uninitialized warning).
RequestOp range_op(std::string key, std::string range_end = {}) {
  RequestOp op;
  op.op.emplace<RangeRequest>(std::move(key), std::move(range_end));
  return op;
}
RequestOp put_op(std::string key, std::string value) {
  RequestOp op;
  op.op.emplace<PutRequest>(std::move(key), std::move(value));
  return op;
}
RequestOp delete_op(std::string key, std::string range_end = {}) {
  RequestOp op;
  op.op.emplace<DeleteRangeRequest>(std::move(key), std::move(range_end));
  return op;
}

// etcd bounds a nested txn's lists by what its parent leaves: --max-txn-ops
// minus the longest list of the parent (etcd's checkTxnRequest), so nesting
// multiplies rather than adds. A branch of up to kFlatOps ops is sent as it
// is; a longer one as at most kMaxWidth nested txns (nested again as
// needed), so that a commit's lists stay within what etcd accepts whatever
// the other branch holds. Answers keep the ops' order once flattened
// (flatten_responses).
constexpr std::size_t kFlatOps = 64;
constexpr std::size_t kMaxWidth = 32;

std::size_t ceil_sqrt(std::size_t n) {
  std::size_t r = 1;
  while (r * r < n) ++r;
  return r;
}

// How many ops a branch of `n` ops has at its top.
std::size_t branch_width(std::size_t n) {
  return n <= kFlatOps ? n : std::min(ceil_sqrt(n), kMaxWidth);
}

// `ops` as `width` nested txns with no compares (whose success branch always
// runs), each list within `budget` ops; `ops` themselves when they are no
// more than `width`.
std::vector<RequestOp> group_ops(std::vector<RequestOp> ops, std::size_t width,
                                 std::size_t budget) {
  if (ops.size() <= width) return ops;
  std::vector<RequestOp> groups;
  const std::size_t per = (ops.size() + width - 1) / width;
  for (std::size_t i = 0; i < ops.size(); i += per) {
    const auto first = ops.begin() + static_cast<std::ptrdiff_t>(i);
    const auto last = ops.begin() + static_cast<std::ptrdiff_t>(std::min(ops.size(), i + per));
    std::vector<RequestOp> part(std::make_move_iterator(first), std::make_move_iterator(last));
    RequestOp group;
    auto& txn = group.op.emplace<TxnRequest>();
    if (part.size() <= budget) {
      txn.success = std::move(part);
    } else {
      if (budget < 2) throw std::logic_error("an etcd transaction has too many ops to nest");
      const std::size_t inner = std::min(ceil_sqrt(part.size()), budget / 2);
      txn.success = group_ops(std::move(part), inner, budget - inner);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

void flatten_responses(const std::vector<ResponseOp>& responses,
                       std::vector<const ResponseOp*>& out) {
  for (const ResponseOp& r : responses) {
    if (const auto* nested = std::get_if<TxnResponse>(&r.op)) {
      flatten_responses(nested->responses, out);
    } else {
      out.push_back(&r);
    }
  }
}

// The compares a commit sends: past kMaxTxnOps (which nesting cannot extend:
// a nested txn's compares choose its branch, they do not fail the whole),
// the single-key compares of the largest groups of keys sharing a first
// path element ("vol/", "snap/") become one compare over that group:
// nothing under it created or modified since `revision`. Stricter (a
// change to any key of the group fails the commit), and blind to a
// deletion of a key that was present: the stores that read that many keys
// in one operation hold the catalog lock, under which records are deleted
// only by the lock's holder.
std::vector<Compare> fit_compares(std::vector<Compare> compares, const std::string& prefix,
                                  std::int64_t revision) {
  if (compares.size() <= kMaxTxnOps) return compares;
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < compares.size(); ++i) {
    const Compare& c = compares[i];
    if (!c.range_end.empty() || c.key.compare(0, prefix.size(), prefix) != 0) continue;
    const std::size_t slash = c.key.find('/', prefix.size());
    if (slash == std::string::npos) continue;
    groups[c.key.substr(0, slash + 1)].push_back(i);
  }
  std::vector<std::pair<std::string, std::vector<std::size_t>>> by_size(groups.begin(),
                                                                        groups.end());
  std::sort(by_size.begin(), by_size.end(),
            [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  std::vector<bool> dropped(compares.size(), false);
  std::vector<Compare> added;
  std::size_t count = compares.size();
  for (const auto& [group, members] : by_size) {
    if (count <= kMaxTxnOps) break;
    for (std::size_t i : members) dropped[i] = true;
    Compare c = compare_key(group, Target::mod, Result::less, revision + 1);
    c.range_end = prefix_end(group);
    added.push_back(std::move(c));
    count = count - members.size() + 1;
  }
  if (count > kMaxTxnOps) {
    throw std::logic_error("an etcd transaction reads more than " + std::to_string(kMaxTxnOps) +
                           " unrelated keys");
  }
  std::vector<Compare> fitted;
  for (std::size_t i = 0; i < compares.size(); ++i) {
    if (!dropped[i]) fitted.push_back(std::move(compares[i]));
  }
  fitted.insert(fitted.end(), added.begin(), added.end());
  return fitted;
}

// The cluster's error, naming the object too.
Error named(std::string_view object, const Error& e) {
  return Error(e.code(), std::string(object) + ": " + e.what());
}

void pause_before_retry(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling_ms = std::min(1 << std::min(attempt, 6), 50);
  std::uniform_int_distribution<int> ms(0, ceiling_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(random)));
}

// The attempt (by body index) whose sequence number the marker holds, if
// any of `unknown` (sequence, body index; npos for a fence).
std::optional<std::size_t> applied_attempt(
    const std::optional<KeyValue>& marker,
    const std::vector<std::pair<std::uint64_t, std::size_t>>& unknown) {
  if (!marker) return std::nullopt;
  for (const auto& [sequence, index] : unknown) {
    if (marker->value == std::to_string(sequence)) return index;
  }
  return std::nullopt;
}

Compare marker_compare(const WriterSlot& slot) {
  return slot.mod_revision == 0
             ? compare_key(slot.key, Target::create, Result::equal, 0)
             : compare_key(slot.key, Target::mod, Result::equal, slot.mod_revision);
}

}  // namespace

const std::vector<KeyValue>& EtcdTxn::read(const std::string& key, const std::string& range_end) {
  const auto id = std::make_pair(key, range_end);
  auto it = view_.ranges.find(id);
  if (it == view_.ranges.end()) {
    std::vector<KeyValue> kvs;
    if (range_end.empty()) {
      RangeRequest request{key};
      request.revision = view_.revision;
      RangeResponse response = space_.client().range(request);
      // A pinned read reports the current revision, not the pinned one.
      if (view_.revision == 0) view_.revision = response.revision;
      kvs = std::move(response.kvs);
    } else {
      RangeAll all = range_all(space_.client(), key, range_end, view_.revision);
      view_.revision = all.revision;
      kvs = std::move(all.kvs);
    }
    it = view_.ranges.emplace(id, std::move(kvs)).first;
  }
  const bool recorded = std::any_of(reads_.begin(), reads_.end(), [&](const Read& r) {
    return r.key == key && r.range_end == range_end;
  });
  if (!recorded) reads_.push_back({key, range_end});
  return it->second;
}

std::optional<KeyValue> EtcdTxn::get(std::string_view key) {
  const auto& kvs = read(space_.key(key), {});
  if (kvs.empty()) return std::nullopt;
  KeyValue kv = kvs.front();
  kv.key = space_.relative(kv.key);
  return kv;
}

std::vector<KeyValue> EtcdTxn::list(std::string_view prefix) {
  const std::string full = space_.key(prefix);
  std::vector<KeyValue> kvs = read(full, prefix_end(full));
  for (KeyValue& kv : kvs) kv.key = space_.relative(kv.key);
  return kvs;
}

void EtcdTxn::expect_absent(std::string_view key) { absent_.push_back(space_.key(key)); }

void EtcdTxn::put(std::string_view key, std::string value) {
  writes_[space_.key(key)] = std::move(value);
}

void EtcdTxn::erase(std::string_view key) { writes_[space_.key(key)] = std::nullopt; }

void EtcdTxn::erase_prefix(std::string_view prefix) {
  prefix_erases_.push_back(space_.key(prefix));
}

bool EtcdTxn::owns(CatalogKind kind, std::string_view name) {
  switch (kind) {
    case CatalogKind::volumes:
      return get(etcd_keys::volume(name)).has_value();
    case CatalogKind::snapshots:
      return get(etcd_keys::snapshot(name)).has_value();
    case CatalogKind::images:
      return !list(etcd_keys::image_digest_prefix("sha256:" + std::string(name))).empty();
  }
  return false;
}

std::map<std::string, std::string> EtcdTxn::owned_names(CatalogKind kind) {
  std::map<std::string, std::string> names;
  switch (kind) {
    case CatalogKind::volumes: {
      const std::string prefix = etcd_keys::volume("");
      for (const KeyValue& kv : list(prefix)) {
        const std::string name = kv.key.substr(prefix.size());
        names[name] = decode_stored_volume(name, kv.value).mount_point;
      }
      break;
    }
    case CatalogKind::snapshots: {
      const std::string prefix = etcd_keys::snapshot("");
      for (const KeyValue& kv : list(prefix)) names[kv.key.substr(prefix.size())] = {};
      break;
    }
    case CatalogKind::images: {
      // imgdig/sha256:<hex>/<reference>
      const std::string prefix = etcd_keys::image_digest_prefix("sha256:");
      for (const KeyValue& kv : list(prefix.substr(0, prefix.size() - 1))) {
        const std::string rest = kv.key.substr(prefix.size() - 1);
        names[rest.substr(0, rest.find('/'))] = {};
      }
      break;
    }
  }
  return names;
}

void EtcdTxn::remove_owners(CatalogKind kind, std::string_view name) {
  const OwnerRemoval& removal = space_.owner_removal(kind);
  if (kind == CatalogKind::volumes || !removal) {
    throw std::logic_error("no removal of the records owning " + std::string(name));
  }
  removal(*this, name);
}

std::vector<std::string> EtcdTxn::pending_removals(CatalogKind kind) {
  const std::string prefix = etcd_keys::pending_removals_prefix(kind);
  std::vector<std::string> names;
  for (const KeyValue& kv : list(prefix)) names.push_back(kv.key.substr(prefix.size()));
  return names;
}

void EtcdTxn::add_pending_removals(CatalogKind kind, const std::vector<std::string>& names) {
  const std::string prefix = etcd_keys::pending_removals_prefix(kind);
  for (const std::string& name : names) put(prefix + name, catalog_name(kind));
}

void EtcdTxn::clear_pending_removals(CatalogKind kind, const std::vector<std::string>& names) {
  const std::string prefix = etcd_keys::pending_removals_prefix(kind);
  for (const std::string& name : names) erase(prefix + name);
}

std::vector<Compare> EtcdTxn::compares(const std::vector<Compare>& guards,
                                       const WriterSlot& slot) const {
  std::vector<Compare> out;
  for (const Read& r : reads_) {
    const std::vector<KeyValue>& kvs = view_.ranges.at({r.key, r.range_end});
    if (!r.range_end.empty()) {
      Compare c = compare_key(r.key, Target::mod, Result::less, view_.revision + 1);
      c.range_end = r.range_end;
      out.push_back(std::move(c));
    } else if (kvs.empty()) {
      out.push_back(compare_key(r.key, Target::create, Result::equal, 0));
    } else {
      out.push_back(compare_key(r.key, Target::mod, Result::equal, kvs.front().mod_revision));
    }
  }
  for (const std::string& key : absent_) {
    out.push_back(compare_key(key, Target::create, Result::equal, 0));
  }
  out = fit_compares(std::move(out), space_.prefix(), view_.revision);
  // The guards and the marker are never merged into a group.
  if (out.size() + guards.size() + 1 > kMaxTxnOps) {
    throw std::logic_error("an etcd transaction has more than " + std::to_string(kMaxTxnOps) +
                           " compares");
  }
  out.insert(out.end(), guards.begin(), guards.end());
  out.push_back(marker_compare(slot));
  return out;
}

std::vector<RequestOp> EtcdTxn::read_ops(const WriterSlot& slot) const {
  std::vector<RequestOp> ops;
  for (const Read& r : reads_) ops.push_back(range_op(r.key, r.range_end));
  ops.push_back(range_op(slot.key));
  return ops;
}

TxnRequest EtcdTxn::commit_request(const WriterSlot& slot, std::uint64_t sequence,
                                   const std::vector<Compare>& guards) const {
  TxnRequest request;
  request.compare = compares(guards, slot);
  std::vector<RequestOp> writes;
  for (const std::string& prefix : prefix_erases_) {
    writes.push_back(delete_op(prefix, prefix_end(prefix)));
  }
  for (const auto& [key, value] : writes_) {
    for (const std::string& prefix : prefix_erases_) {
      if (key.compare(0, prefix.size(), prefix) == 0) {
        throw std::logic_error("an etcd transaction writes " + key + " under the prefix " + prefix +
                               " it deletes");
      }
    }
    if (value) {
      writes.push_back(put_op(key, *value));
    } else {
      writes.push_back(delete_op(key));
    }
  }
  writes.push_back(put_op(slot.key, std::to_string(sequence)));
  std::vector<RequestOp> reads = read_ops(slot);
  const std::size_t success_width = branch_width(writes.size());
  const std::size_t failure_width = branch_width(reads.size());
  const std::size_t widest = std::max({request.compare.size(), success_width, failure_width});
  request.success = group_ops(std::move(writes), success_width, kMaxTxnOps - widest);
  request.failure = group_ops(std::move(reads), failure_width, kMaxTxnOps - widest);
  return request;
}

std::pair<TxnView, std::optional<KeyValue>> EtcdTxn::view_after_failure(
    const WriterSlot& slot, const TxnResponse& failed) const {
  std::vector<const ResponseOp*> answers;
  flatten_responses(failed.responses, answers);
  const std::vector<RequestOp> asked = read_ops(slot);
  if (answers.size() != asked.size()) {
    throw Error(ErrorCode::io, space_.identity() + ": a failed txn answered " +
                                   std::to_string(answers.size()) + " reads of " +
                                   std::to_string(asked.size()));
  }
  TxnView view;
  view.revision = failed.revision;
  std::optional<KeyValue> marker;
  for (std::size_t i = 0; i < asked.size(); ++i) {
    const auto& request = std::get<RangeRequest>(asked[i].op);
    const auto* response = std::get_if<RangeResponse>(&answers[i]->op);
    if (!response) throw Error(ErrorCode::io, space_.identity() + ": a read answered as a write");
    if (i + 1 == asked.size()) {
      if (!response->kvs.empty()) marker = response->kvs.front();
    } else {
      view.ranges[{request.key, request.range_end}] = response->kvs;
    }
  }
  return {std::move(view), std::move(marker)};
}

bool last_etcd_commit_outcome_unknown() noexcept { return last_outcome_unknown; }

std::size_t run_transaction(EtcdKeyspace& space, std::string_view object,
                            const std::function<void(EtcdTxn&)>& attempt,
                            const std::vector<Compare>& guards) {
  KvClient& client = space.client();
  WriterSlotLease slot(space);
  // The commits sent whose outcome is unknown: (sequence, body index, or
  // kFence for a fence's commit).
  constexpr std::size_t kFence = static_cast<std::size_t>(-1);
  std::vector<std::pair<std::uint64_t, std::size_t>> unknown;
  std::size_t bodies = 0;
  TxnView view;
  const auto started = Clock::now();

  // What the marker says, once read: nullopt while no attempt of unknown
  // outcome is known to have applied; else that attempt's body index
  // (kFence for a fence, after which no earlier attempt can apply).
  auto check_marker = [&](const std::optional<KeyValue>& marker) -> std::optional<std::size_t> {
    slot->mod_revision = marker ? marker->mod_revision : 0;
    auto hit = applied_attempt(marker, unknown);
    if (hit && *hit == kFence) {
      unknown.clear();
      return std::nullopt;
    }
    return hit;
  };
  // Reads the marker at the current revision, to which the next attempt's
  // reads are pinned, so that what it reads agrees with the marker.
  auto read_marker = [&]() -> std::optional<std::size_t> {
    RangeResponse response = client.range({slot->key});
    view = {};
    view.revision = response.revision;
    std::optional<KeyValue> marker;
    if (!response.kvs.empty()) marker = response.kvs.front();
    return check_marker(marker);
  };
  // Makes sure that no attempt of unknown outcome applies later, by moving
  // the marker on under its compare; returns the attempt found applied
  // instead, if one was.
  auto fence = [&]() -> std::optional<std::size_t> {
    for (int tries = 0; tries < kMaxAttempts && !unknown.empty(); ++tries) {
      if (slot->mod_revision < 0) {
        if (auto hit = read_marker()) return hit;
        if (unknown.empty()) break;
      }
      const std::uint64_t sequence = space.next_sequence();
      TxnRequest request;
      request.compare = {marker_compare(*slot)};
      request.success.push_back(put_op(slot->key, std::to_string(sequence)));
      try {
        const TxnResponse response = client.txn(request);
        if (response.succeeded) {
          slot->mod_revision = response.revision;
          unknown.clear();
          break;
        }
      } catch (const EtcdError& e) {
        if (e.kind() != EtcdError::Kind::outcome_unknown) throw;
        unknown.emplace_back(sequence, kFence);
      }
      slot->mod_revision = -1;
    }
    if (!unknown.empty()) {
      throw Error(ErrorCode::busy, std::string(object) + ": " + space.identity() +
                                       ": the outcome of a commit could not be resolved");
    }
    return std::nullopt;
  };

  // Whether every guard still holds, after a failed commit.
  auto guards_hold = [&]() {
    for (const Compare& guard : guards) {
      const RangeResponse found = client.range({guard.key});
      const std::int64_t created = found.kvs.empty() ? 0 : found.kvs.front().create_revision;
      if (created != guard.number) return false;
    }
    return true;
  };

  last_outcome_unknown = false;
  try {
    for (int attempts = 0;; ++attempts) {
      if (attempts > 0) {
        if (attempts >= kMaxAttempts || Clock::now() - started > kGiveUpAfter) {
          throw Error(ErrorCode::busy,
                      std::string(object) + ": " + space.identity() + ": still conflicting after " +
                          std::to_string(attempts) + " attempts" +
                          (unknown.empty() ? "" : "; the outcome of one is unknown"));
        }
        // Retried at once on the failure branch's fresh reads: a commit fails
        // only when another committed, so there is no livelock to break,
        // and a pause would let those reads go stale. A pause only before
        // reading again (after a lost answer or a compacted revision).
        if (view.revision == 0) pause_before_retry(attempts);
      }
      try {
        if (slot->mod_revision < 0 && view.ranges.empty()) {
          if (auto hit = read_marker()) return *hit;
        }
        EtcdTxn txn(space, std::move(view));
        view = {};
        try {
          attempt(txn);
        } catch (const Error&) {
          if (auto hit = fence()) return *hit;
          throw;
        }
        const std::size_t index = bodies++;
        if (!txn.has_writes()) {
          if (auto hit = fence()) return *hit;
          return index;
        }
        const std::uint64_t sequence = space.next_sequence();
        const TxnRequest request = txn.commit_request(*slot, sequence, guards);
        TxnResponse response;
        try {
          response = client.txn(request);
        } catch (const EtcdError& e) {
          if (e.kind() != EtcdError::Kind::outcome_unknown) throw;
          // Resolved by the marker at the start of the next attempt.
          unknown.emplace_back(sequence, index);
          slot->mod_revision = -1;
          continue;
        }
        if (response.succeeded) {
          slot->mod_revision = response.revision;
          return index;
        }
        if (!guards_hold()) {
          throw Error(ErrorCode::busy, std::string(object) + ": " + space.identity() +
                                           ": the lock the operation held was lost before its "
                                           "commit, which was not applied");
        }
        auto [fresh, marker] = txn.view_after_failure(*slot, response);
        view = std::move(fresh);
        if (auto hit = check_marker(marker)) return *hit;
      } catch (const EtcdError& e) {
        if (e.kind() != EtcdError::Kind::compacted) throw named(object, e);
        view = {};  // a revision read was compacted: plan again at the current one
      }
    }
  } catch (...) {
    last_outcome_unknown = !unknown.empty();
    throw;
  }
}

}  // namespace a3s::store::detail
