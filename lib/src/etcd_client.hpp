// A small etcd v3 key-value client: the requests the etcd stores need
// (range, put, delete-range, txn with compares and nested txns, leases),
// behind the KvClient interface so that the transport can change (gRPC)
// without touching its users. make_gateway_client() speaks to etcd's v3 JSON
// gateway (etcd 3.4+, `POST /v3/...`). Internal.
//
// Keys and values are byte strings (any bytes, NUL included). Revisions,
// versions and lease IDs are etcd's int64s; 0 means "none"/"current" as in
// etcd's protocol.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "a3s/store/error.hpp"

namespace a3s::store::detail {

struct KeyValue {
  std::string key;
  std::string value;  // empty for keys_only ranges
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  std::int64_t lease = 0;
};

// [key, range_end): range_end empty means the single key `key`; "\0" means
// every key >= key; prefix_end(p) gives every key starting with p.
struct RangeRequest {
  RangeRequest() = default;
  RangeRequest(std::string key_, std::string range_end_ = {})
      : key(std::move(key_)), range_end(std::move(range_end_)) {}
  std::string key;
  std::string range_end;
  std::int64_t limit = 0;     // 0: no limit
  std::int64_t revision = 0;  // 0: the current revision; else read as of it
  bool keys_only = false;
  bool count_only = false;
};
struct RangeResponse {
  std::int64_t revision = 0;  // the store's revision the read saw
  std::vector<KeyValue> kvs;  // in key order
  bool more = false;          // a limit cut the answer short
  std::int64_t count = 0;     // keys in the range (not only those returned)
};

struct PutRequest {
  PutRequest() = default;
  PutRequest(std::string key_, std::string value_, std::int64_t lease_ = 0, bool prev_kv_ = false)
      : key(std::move(key_)), value(std::move(value_)), lease(lease_), prev_kv(prev_kv_) {}
  std::string key;
  std::string value;
  std::int64_t lease = 0;  // 0: none
  bool prev_kv = false;
};
struct PutResponse {
  std::int64_t revision = 0;
  std::optional<KeyValue> prev_kv;  // when asked for and the key existed
};

struct DeleteRangeRequest {
  DeleteRangeRequest() = default;
  DeleteRangeRequest(std::string key_, std::string range_end_ = {}, bool prev_kv_ = false)
      : key(std::move(key_)), range_end(std::move(range_end_)), prev_kv(prev_kv_) {}
  std::string key;
  std::string range_end;
  bool prev_kv = false;
};
struct DeleteRangeResponse {
  std::int64_t revision = 0;
  std::int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;  // when asked for
};

// One compare of a txn: `target` of `key` (of every key in [key, range_end)
// when range_end is set) `result` the operand. A key that does not exist has
// version, create and mod revision 0 (so CREATE == 0 means "absent"); a VALUE
// compare on it fails.
struct Compare {
  enum class Target { version, create, mod, value };
  enum class Result { equal, not_equal, less, greater };
  std::string key;
  Target target = Target::version;
  Result result = Result::equal;
  std::int64_t number = 0;  // version, create or mod revision
  std::string value;        // for Target::value
  std::string range_end;
};

struct RequestOp;
// If every compare holds, runs `success`, else `failure`, atomically at one
// revision. etcd bounds each of compare, success and failure by
// --max-txn-ops (default 128); a nested txn is one op of its branch and its
// own lists are bounded alike, so nesting carries more ops. etcd refuses a
// txn that writes one key twice.
struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<RequestOp> success;
  std::vector<RequestOp> failure;
};
struct RequestOp {
  std::variant<RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest> op;
};

struct ResponseOp;
struct TxnResponse {
  std::int64_t revision = 0;  // 0 inside a nested txn (etcd reports it at the top)
  bool succeeded = false;
  std::vector<ResponseOp> responses;  // one per op of the branch that ran
};
struct ResponseOp {
  std::variant<RangeResponse, PutResponse, DeleteRangeResponse, TxnResponse> op;
};

struct LeaseGrant {
  std::int64_t id = 0;
  std::int64_t ttl_seconds = 0;
};

// The failure of a request, as an Error with the spec's codes (see
// make_gateway_client for the mapping), plus what a caller needs to decide
// what to do next.
class EtcdError : public Error {
 public:
  enum class Kind {
    // etcd refused the request: nothing was applied.
    refused,
    // A read asked for a revision that was compacted away: re-read at the
    // current revision and plan again.
    compacted,
    // No member could take the request within the client's time budget;
    // nothing was applied.
    unavailable,
    // A write was sent but no answer came back (timeout, connection lost,
    // the member's own timeout): it may or may not have been applied. The
    // caller re-reads what it wrote before deciding to retry; retrying
    // blindly could report its own write as a conflict.
    outcome_unknown,
  };
  EtcdError(ErrorCode code, Kind kind, const std::string& message)
      : Error(code, message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// The interface the etcd stores use. Every call either returns the member's
// answer or throws EtcdError (Error::code() one of the spec's codes).
class KvClient {
 public:
  virtual ~KvClient() = default;
  virtual RangeResponse range(const RangeRequest& request) = 0;
  virtual PutResponse put(const PutRequest& request) = 0;
  virtual DeleteRangeResponse delete_range(const DeleteRangeRequest& request) = 0;
  virtual TxnResponse txn(const TxnRequest& request) = 0;
  virtual LeaseGrant lease_grant(std::int64_t ttl_seconds) = 0;
  // Revokes the lease and deletes every key attached to it (not_found when
  // no such lease exists).
  virtual void lease_revoke(std::int64_t id) = 0;
  // The cluster as errors name it: "etcd cluster 'HOST:PORT,HOST:PORT'".
  virtual std::string describe() const = 0;
};

// The range_end that selects every key starting with `prefix` (the prefix
// with its last byte below 0xff incremented; "\0" — every key — when there
// is none).
std::string prefix_end(const std::string& prefix);

// A compare of a number: `target` of `key` `result` `number`.
Compare compare_key(std::string key, Compare::Target target, Compare::Result result,
                    std::int64_t number);

// Every key in [key, range_end) as of one revision: the first page is read at
// `revision` (0: the current one) and every further page at the revision the
// first one saw, so writes made while paging are not seen. `page_size` keys
// per request.
struct RangeAll {
  std::int64_t revision = 0;
  std::vector<KeyValue> kvs;
};
RangeAll range_all(KvClient& client, const std::string& key, const std::string& range_end,
                   std::int64_t revision = 0, std::int64_t page_size = 500, bool keys_only = false);

// etcd's default --max-request-bytes: the largest request a member accepts,
// measured as its protobuf encoding.
inline constexpr std::size_t kMaxRequestBytes = 1536 * 1024;

// An upper bound on the protobuf size of the request as the member measures
// it (its keys, values and operands plus a generous allowance per field).
// The gateway client refuses a request whose bound exceeds kMaxRequestBytes
// before sending it.
std::size_t request_size_bound(const PutRequest& request);
std::size_t request_size_bound(const TxnRequest& request);

struct GatewayOptions {
  // "HOST:PORT" of each member; requests go to the member that answered
  // last, then to the next ones in this order.
  std::vector<std::string> endpoints;
  // One attempt on one member.
  std::chrono::milliseconds request_timeout{1500};
  // All attempts of one request; then the request fails with busy.
  std::chrono::milliseconds give_up_after{5000};
};

// A client of the v3 JSON gateway. Knows every member and keeps one
// connection to each alive. A request that meets a member that is down,
// without a leader (HTTP 503) or overloaded goes to the next member, until
// one answers or `give_up_after` has passed (EtcdError busy / unavailable,
// naming the cluster). A write whose attempt timed out after it was sent is
// not retried: it fails at once with Kind::outcome_unknown (code busy).
//
// Errors: a refused request (bad argument, too many txn ops, duplicate key
// in a txn, too large) → invalid_argument; a lease or key that does not
// exist → not_found; a compacted revision → busy (Kind::compacted); no
// member able to answer → busy; the database out of space → io; anything
// else etcd reports → io, with etcd's own message.
//
// Thread-safe: requests from several threads are serialised (one at a time
// on the client); threads wanting parallel requests use a client each.
// Throws invalid_argument when an endpoint is not HOST:PORT.
std::unique_ptr<KvClient> make_gateway_client(GatewayOptions options);

}  // namespace a3s::store::detail
