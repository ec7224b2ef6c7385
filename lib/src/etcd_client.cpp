#include "etcd_client.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "etcd_http.hpp"

namespace a3s::store::detail {

using nlohmann::json;

Compare compare_key(std::string key, Compare::Target target, Compare::Result result,
                    std::int64_t number) {
  Compare c;
  c.key = std::move(key);
  c.target = target;
  c.result = result;
  c.number = number;
  return c;
}

std::string prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

RangeAll range_all(KvClient& client, const std::string& key, const std::string& range_end,
                   std::int64_t revision, std::int64_t page_size, bool keys_only) {
  RangeAll all;
  RangeRequest request;
  request.key = key;
  request.range_end = range_end;
  request.limit = std::max<std::int64_t>(1, page_size);
  request.revision = revision;
  request.keys_only = keys_only;
  // Each page starts past the last key of the one before, so the loop ends
  // once the range is exhausted.
  for (;;) {
    RangeResponse page = client.range(request);
    if (request.revision == 0) {
      // A read at the current revision reports it in its header; a pinned
      // read reports the store's current one, so only the first is taken.
      request.revision = page.revision;
    }
    const bool more = page.more && !page.kvs.empty();
    if (more) request.key = page.kvs.back().key + std::string(1, '\0');
    std::move(page.kvs.begin(), page.kvs.end(), std::back_inserter(all.kvs));
    if (!more) break;
  }
  all.revision = request.revision;
  return all;
}

namespace {

// Protobuf framing of one field: its tag and length prefix take at most 1 +
// 5 bytes; 8 leaves room.
constexpr std::size_t kFieldAllowance = 8;
constexpr std::size_t kIntFieldBound = 11;  // tag + a 10-byte varint
// The member wraps every request in an internal one with a header of its
// own (ID, user name, auth revision).
constexpr std::size_t kEnvelopeAllowance = 128;

std::size_t bytes_bound(const std::string& s) { return s.size() + kFieldAllowance; }

std::size_t op_bound(const RequestOp& op);

std::size_t txn_bound(const TxnRequest& txn) {
  std::size_t n = 0;
  for (const Compare& c : txn.compare) {
    n += kFieldAllowance + bytes_bound(c.key) + bytes_bound(c.range_end) + bytes_bound(c.value) +
         3 * kIntFieldBound;
  }
  for (const auto* branch : {&txn.success, &txn.failure}) {
    for (const RequestOp& op : *branch) n += op_bound(op);
  }
  return n;
}

std::size_t op_bound(const RequestOp& op) {
  std::size_t n = kFieldAllowance;
  if (const auto* r = std::get_if<RangeRequest>(&op.op)) {
    n += bytes_bound(r->key) + bytes_bound(r->range_end) + 4 * kIntFieldBound;
  } else if (const auto* p = std::get_if<PutRequest>(&op.op)) {
    n += bytes_bound(p->key) + bytes_bound(p->value) + 2 * kIntFieldBound;
  } else if (const auto* d = std::get_if<DeleteRangeRequest>(&op.op)) {
    n += bytes_bound(d->key) + bytes_bound(d->range_end) + kIntFieldBound;
  } else {
    n += kFieldAllowance + txn_bound(std::get<TxnRequest>(op.op));
  }
  return n;
}

}  // namespace

std::size_t request_size_bound(const PutRequest& request) {
  return kEnvelopeAllowance + op_bound(RequestOp{request});
}

std::size_t request_size_bound(const TxnRequest& request) {
  return kEnvelopeAllowance + txn_bound(request);
}

namespace {

// ---- The gateway's JSON (protobuf's JSON mapping) -------------------------
// bytes are base64; int64 are decimal strings; fields at their zero value
// (0, false, "", empty lists) are left out of answers.

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += rest == 2 ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Thrown while decoding an answer; becomes an io error naming the member.
struct MalformedAnswer {
  std::string what;
};

std::string unbase64(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* at = std::char_traits<char>::find(kBase64, 64, c);
    if (at == nullptr) throw MalformedAnswer{"invalid base64"};
    v = (v << 6) | static_cast<unsigned>(at - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xff);
    }
  }
  return out;
}

std::string decimal(std::int64_t n) { return std::to_string(n); }

// An int64 field: a decimal string, or a number; 0 when absent.
std::int64_t int_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (!it->is_string()) throw MalformedAnswer{std::string("field '") + name + "' is not an int64"};
  const auto& s = it->get_ref<const std::string&>();
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) {
    throw MalformedAnswer{std::string("field '") + name + "' is not an int64: " + s};
  }
  return n;
}

bool bool_field(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string bytes_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) throw MalformedAnswer{std::string("field '") + name + "' is not bytes"};
  return unbase64(it->get_ref<const std::string&>());
}

const json& object_field(const json& object, const char* name) {
  static const json empty = json::object();
  auto it = object.find(name);
  return it == object.end() || !it->is_object() ? empty : *it;
}

std::int64_t header_revision(const json& answer) {
  return int_field(object_field(answer, "header"), "revision");
}

template <class F>
void for_each_in(const json& object, const char* name, F&& f) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return;
  if (!it->is_array()) throw MalformedAnswer{std::string("field '") + name + "' is not a list"};
  for (const json& item : *it) f(item);
}

KeyValue decode_kv(const json& j) {
  KeyValue kv;
  kv.key = bytes_field(j, "key");
  kv.value = bytes_field(j, "value");
  kv.create_revision = int_field(j, "create_revision");
  kv.mod_revision = int_field(j, "mod_revision");
  kv.version = int_field(j, "version");
  kv.lease = int_field(j, "lease");
  return kv;
}

json encode(const RangeRequest& r) {
  json j = {{"key", base64(r.key)}};
  if (!r.range_end.empty()) j["range_end"] = base64(r.range_end);
  if (r.limit != 0) j["limit"] = decimal(r.limit);
  if (r.revision != 0) j["revision"] = decimal(r.revision);
  if (r.keys_only) j["keys_only"] = true;
  if (r.count_only) j["count_only"] = true;
  return j;
}

json encode(const PutRequest& r) {
  json j = {{"key", base64(r.key)}, {"value", base64(r.value)}};
  if (r.lease != 0) j["lease"] = decimal(r.lease);
  if (r.prev_kv) j["prev_kv"] = true;
  return j;
}

json encode(const DeleteRangeRequest& r) {
  json j = {{"key", base64(r.key)}};
  if (!r.range_end.empty()) j["range_end"] = base64(r.range_end);
  if (r.prev_kv) j["prev_kv"] = true;
  return j;
}

json encode(const Compare& c) {
  static constexpr const char* kResults[] = {"EQUAL", "NOT_EQUAL", "LESS", "GREATER"};
  json j = {{"key", base64(c.key)}, {"result", kResults[static_cast<int>(c.result)]}};
  if (!c.range_end.empty()) j["range_end"] = base64(c.range_end);
  switch (c.target) {
    case Compare::Target::version:
      j["target"] = "VERSION";
      j["version"] = decimal(c.number);
      break;
    case Compare::Target::create:
      j["target"] = "CREATE";
      j["create_revision"] = decimal(c.number);
      break;
    case Compare::Target::mod:
      j["target"] = "MOD";
      j["mod_revision"] = decimal(c.number);
      break;
    case Compare::Target::value:
      j["target"] = "VALUE";
      j["value"] = base64(c.value);
      break;
  }
  return j;
}

json encode(const TxnRequest& t);

json encode(const RequestOp& op) {
  return std::visit(
      [](const auto& r) -> json {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, RangeRequest>) return {{"request_range", encode(r)}};
        if constexpr (std::is_same_v<T, PutRequest>) return {{"request_put", encode(r)}};
        if constexpr (std::is_same_v<T, DeleteRangeRequest>) {
          return {{"request_delete_range", encode(r)}};
        }
        if constexpr (std::is_same_v<T, TxnRequest>) return {{"request_txn", encode(r)}};
      },
      op.op);
}

json encode(const TxnRequest& t) {
  json j = json::object();
  json& compare = j["compare"] = json::array();
  for (const Compare& c : t.compare) compare.push_back(encode(c));
  json& success = j["success"] = json::array();
  for (const RequestOp& op : t.success) success.push_back(encode(op));
  json& failure = j["failure"] = json::array();
  for (const RequestOp& op : t.failure) failure.push_back(encode(op));
  return j;
}

RangeResponse decode_range(const json& j) {
  RangeResponse r;
  r.revision = header_revision(j);
  for_each_in(j, "kvs", [&](const json& kv) { r.kvs.push_back(decode_kv(kv)); });
  r.more = bool_field(j, "more");
  r.count = int_field(j, "count");
  return r;
}

PutResponse decode_put(const json& j) {
  PutResponse r;
  r.revision = header_revision(j);
  if (auto it = j.find("prev_kv"); it != j.end() && it->is_object()) r.prev_kv = decode_kv(*it);
  return r;
}

DeleteRangeResponse decode_delete(const json& j) {
  DeleteRangeResponse r;
  r.revision = header_revision(j);
  r.deleted = int_field(j, "deleted");
  for_each_in(j, "prev_kvs", [&](const json& kv) { r.prev_kvs.push_back(decode_kv(kv)); });
  return r;
}

TxnResponse decode_txn(const json& j) {
  TxnResponse r;
  r.revision = header_revision(j);
  r.succeeded = bool_field(j, "succeeded");
  for_each_in(j, "responses", [&](const json& op) {
    if (auto it = op.find("response_range"); it != op.end()) {
      r.responses.push_back({decode_range(*it)});
    } else if (auto it = op.find("response_put"); it != op.end()) {
      r.responses.push_back({decode_put(*it)});
    } else if (auto it = op.find("response_delete_range"); it != op.end()) {
      r.responses.push_back({decode_delete(*it)});
    } else if (auto it = op.find("response_txn"); it != op.end()) {
      r.responses.push_back({decode_txn(*it)});
    } else {
      throw MalformedAnswer{"a txn response of unknown kind: " + op.dump()};
    }
  });
  return r;
}

bool writes(const TxnRequest& t) {
  for (const auto* branch : {&t.success, &t.failure}) {
    for (const RequestOp& op : *branch) {
      if (std::holds_alternative<PutRequest>(op.op) ||
          std::holds_alternative<DeleteRangeRequest>(op.op)) {
        return true;
      }
      if (const auto* nested = std::get_if<TxnRequest>(&op.op); nested && writes(*nested)) {
        return true;
      }
    }
  }
  return false;
}

// A key as error messages show it: printable ASCII as is, other bytes as
// \xNN, cut at 200 bytes.
std::string printable(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (key.size() > 200) out += "...";
  return out;
}

// ---- gRPC status codes the gateway reports (`"code"` in an error answer) ---
constexpr int kInvalidArgument = 3;
constexpr int kNotFound = 5;
constexpr int kResourceExhausted = 8;
constexpr int kOutOfRange = 11;
constexpr int kUnavailable = 14;

// How the client treats one error answer.
enum class Disposition {
  // Another member may take it: nothing was applied here.
  try_elsewhere,
  // The member gave up waiting on the cluster (its own timeout, a leader
  // lost mid-request): a write may have been applied.
  unknown_if_write,
  // etcd's final answer.
  final,
};

Disposition disposition(int grpc_code, const std::string& message) {
  // A member that knows no leader refuses before doing anything (the request
  // carries hasleader); one proposal dropped by raft, or one request over
  // the member's rate, was not applied either.
  if (message.find("no leader") != std::string::npos ||
      message.find("proposal dropped") != std::string::npos ||
      message.find("too many requests") != std::string::npos ||
      message.find("not capable") != std::string::npos) {
    return Disposition::try_elsewhere;
  }
  return grpc_code == kUnavailable ? Disposition::unknown_if_write : Disposition::final;
}

// The one mapping of etcd's final error answers to the spec's codes.
EtcdError final_error(int grpc_code, const std::string& message, const std::string& context) {
  const std::string text = context + ": " + message;
  switch (grpc_code) {
    case kInvalidArgument:
      return EtcdError(ErrorCode::invalid_argument, EtcdError::Kind::refused, text);
    case kNotFound:
      return EtcdError(ErrorCode::not_found, EtcdError::Kind::refused, text);
    case kOutOfRange:
      if (message.find("compacted") != std::string::npos) {
        return EtcdError(ErrorCode::busy, EtcdError::Kind::compacted, text);
      }
      return EtcdError(ErrorCode::invalid_argument, EtcdError::Kind::refused, text);
    case kResourceExhausted:  // the database is out of space (NOSPACE alarm)
    default:
      return EtcdError(ErrorCode::io, EtcdError::Kind::refused, text);
  }
}

class GatewayClient final : public KvClient {
 public:
  explicit GatewayClient(GatewayOptions options) : options_(std::move(options)) {
    if (options_.endpoints.empty()) {
      throw Error(ErrorCode::invalid_argument, "etcd cluster: no endpoint given");
    }
    std::string names;
    for (const std::string& e : options_.endpoints) {
      const auto colon = e.rfind(':');
      const std::string_view port =
          colon == std::string::npos ? std::string_view() : std::string_view(e).substr(colon + 1);
      unsigned value = 0;
      auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
      if (colon == 0 || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
          value == 0 || value > 65535 || e.find_first_of("/@ ") != std::string::npos) {
        throw Error(ErrorCode::invalid_argument,
                    "etcd endpoint '" + printable(e) + "' is not HOST:PORT");
      }
      if (!names.empty()) names += ',';
      names += e;
      connections_.push_back(std::make_unique<HttpConnection>(e));
    }
    description_ = "etcd cluster '" + names + "'";
  }

  std::string describe() const override { return description_; }

  RangeResponse range(const RangeRequest& r) override {
    return decode(call("/v3/kv/range", encode(r), false, "range of key '" + printable(r.key) + "'"),
                  decode_range);
  }

  PutResponse put(const PutRequest& r) override {
    const std::string what = "put of key '" + printable(r.key) + "'";
    refuse_if_too_large(request_size_bound(r), what);
    return decode(call("/v3/kv/put", encode(r), true, what), decode_put);
  }

  DeleteRangeResponse delete_range(const DeleteRangeRequest& r) override {
    return decode(
        call("/v3/kv/deleterange", encode(r), true, "delete of key '" + printable(r.key) + "'"),
        decode_delete);
  }

  TxnResponse txn(const TxnRequest& t) override {
    const std::string what = "txn of " + std::to_string(t.compare.size()) + " compares, " +
                             std::to_string(t.success.size()) + " success and " +
                             std::to_string(t.failure.size()) + " failure ops";
    refuse_if_too_large(request_size_bound(t), what);
    return decode(call("/v3/kv/txn", encode(t), writes(t), what), decode_txn);
  }

  LeaseGrant lease_grant(std::int64_t ttl_seconds) override {
    // Granted twice, the extra lease holds nothing and expires with its TTL:
    // the grant is retried like a read.
    const std::string what = "lease grant";
    json answer = call("/v3/lease/grant", {{"TTL", decimal(ttl_seconds)}}, false, what);
    return decode(answer, [&](const json& j) {
      if (auto it = j.find("error"); it != j.end() && it->is_string() && !it->empty()) {
        throw EtcdError(ErrorCode::io, EtcdError::Kind::refused,
                        description_ + ": " + what + ": " + it->get<std::string>());
      }
      return LeaseGrant{int_field(j, "ID"), int_field(j, "TTL")};
    });
  }

  void lease_revoke(std::int64_t id) override {
    call("/v3/lease/revoke", {{"ID", decimal(id)}}, true, "revoke of lease " + decimal(id));
  }

 private:
  void refuse_if_too_large(std::size_t bound, const std::string& what) const {
    if (bound > kMaxRequestBytes) {
      throw EtcdError(ErrorCode::invalid_argument, EtcdError::Kind::refused,
                      description_ + ": " + what + " takes up to " + std::to_string(bound) +
                          " bytes; etcd accepts requests of at most " +
                          std::to_string(kMaxRequestBytes) +
                          " bytes (--max-request-bytes): not sent");
    }
  }

  template <class Decoder>
  auto decode(const json& answer, Decoder&& decoder) -> decltype(decoder(answer)) {
    try {
      return decoder(answer);
    } catch (const MalformedAnswer& e) {
      throw EtcdError(ErrorCode::io, EtcdError::Kind::refused,
                      description_ + " answered malformed JSON: " + e.what);
    } catch (const json::exception& e) {
      throw EtcdError(ErrorCode::io, EtcdError::Kind::refused,
                      description_ + " answered malformed JSON: " + e.what());
    }
  }

  void next_member() { current_ = (current_ + 1) % connections_.size(); }

  // Sends `body` to `path` on the members in turn until one answers; returns
  // the answer of a success (HTTP 200), throws EtcdError otherwise. `write`:
  // whether a request lost after sending may have changed the store.
  json call(std::string_view path, const json& body, bool write, const std::string& what) {
    using Clock = std::chrono::steady_clock;
    const std::string text = body.dump();
    std::lock_guard lock(mutex_);
    const auto deadline = Clock::now() + options_.give_up_after;
    // Each member's last failure, for the message if all of them fail.
    std::vector<std::string> failures(connections_.size(), "not tried");
    std::size_t tried_this_round = 0;
    std::chrono::milliseconds pause{25};
    for (;;) {
      const auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (remaining.count() <= 0) {
        std::string why;
        for (std::size_t i = 0; i < connections_.size(); ++i) {
          why += (i == 0 ? "" : "; ") + connections_[i]->endpoint() + ": " + failures[i];
        }
        throw EtcdError(ErrorCode::busy, EtcdError::Kind::unavailable,
                        description_ + " unavailable: " + what + " not accepted by any member in " +
                            std::to_string(options_.give_up_after.count()) + " ms (" + why + ")");
      }
      HttpConnection& member = *connections_[current_];
      HttpOutcome outcome = member.post(path, text, std::min(options_.request_timeout, remaining));
      if (outcome.kind == HttpOutcome::Kind::answered) {
        json answer = json::parse(outcome.body, nullptr, false);
        if (outcome.status == 200 && answer.is_object()) return answer;
        if (!answer.is_object() || !answer.contains("code")) {
          throw EtcdError(
              ErrorCode::io, EtcdError::Kind::refused,
              description_ + ": " + what + ": member " + member.endpoint() + " answered HTTP " +
                  std::to_string(outcome.status) + " to " + std::string(path) +
                  " (an etcd 3.4+ v3 gateway was expected): " + outcome.body.substr(0, 200));
        }
        const json& code_field = answer["code"];
        const int code = code_field.is_number_integer() ? code_field.get<int>() : -1;
        std::string message = "(no message)";
        for (const char* field : {"error", "message"}) {
          if (auto it = answer.find(field); it != answer.end() && it->is_string()) {
            message = it->get<std::string>();
          }
        }
        switch (disposition(code, message)) {
          case Disposition::final:
            throw final_error(code, message, description_ + ": " + what);
          case Disposition::unknown_if_write:
            if (write) throw outcome_unknown(what, member.endpoint(), message);
            break;
          case Disposition::try_elsewhere:
            break;
        }
        failures[current_] = message;
      } else {
        if (outcome.kind == HttpOutcome::Kind::unknown && write) {
          throw outcome_unknown(what, member.endpoint(), outcome.failure);
        }
        failures[current_] = outcome.failure;
      }
      next_member();
      // After a round in which no member answered, a short pause (growing to
      // 200 ms) so that an election can finish instead of being polled.
      if (++tried_this_round == connections_.size()) {
        tried_this_round = 0;
        std::this_thread::sleep_for(std::min(pause, remaining));
        pause = std::min(pause * 2, std::chrono::milliseconds(200));
      }
    }
  }

  EtcdError outcome_unknown(const std::string& what, const std::string& endpoint,
                            const std::string& failure) const {
    return EtcdError(ErrorCode::busy, EtcdError::Kind::outcome_unknown,
                     description_ + ": " + what + " sent to " + endpoint + " got no answer (" +
                         failure + "): it may or may not have been applied");
  }

  GatewayOptions options_;
  std::string description_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<HttpConnection>> connections_;
  std::size_t current_ = 0;  // the member that answered last
};

}  // namespace

std::unique_ptr<KvClient> make_gateway_client(GatewayOptions options) {
  return std::make_unique<GatewayClient>(std::move(options));
}

}  // namespace a3s::store::detail
