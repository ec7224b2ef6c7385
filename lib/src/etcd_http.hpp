// One kept-alive HTTP/1.1 connection to one etcd member's JSON gateway
// (libcurl). Internal: the etcd client (etcd_client.hpp) holds one per
// endpoint, and the tests' cluster fixture probes members with it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace a3s::store::detail {

// What became of one HTTP request.
struct HttpOutcome {
  enum class Kind {
    // The member answered: `status` and `body` are its.
    answered,
    // Nothing reached the member (connection refused, connect timeout,
    // unresolvable host): safe to send elsewhere.
    not_sent,
    // The request (or part of it) was sent but no complete answer came back
    // (timeout, connection reset): the member may have acted on it.
    unknown,
  };
  Kind kind = Kind::not_sent;
  long status = 0;
  std::string body;
  // libcurl's description of the failure (not_sent, unknown).
  std::string failure;
};

// Not thread-safe: one request at a time (its owner serialises them). The
// connection is opened on the first request and reused by the next ones;
// libcurl reconnects when the member closed it. Every request carries
// `Grpc-Metadata-hasleader: true` (a member without a leader answers 503 at
// once instead of waiting for one) and an empty `Expect:` (no 100-continue
// round trip on large bodies).
class HttpConnection {
 public:
  // `endpoint` is "HOST:PORT".
  explicit HttpConnection(std::string endpoint);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  const std::string& endpoint() const { return endpoint_; }

  // POSTs the JSON `body` to `path` ("/v3/kv/range"), giving up after
  // `timeout` in all (connecting included).
  HttpOutcome post(std::string_view path, const std::string& body,
                   std::chrono::milliseconds timeout);
  // GETs `path` ("/health").
  HttpOutcome get(std::string_view path, std::chrono::milliseconds timeout);

 private:
  HttpOutcome perform(std::string_view path, const std::string* body,
                      std::chrono::milliseconds timeout);

  std::string endpoint_;
  void* curl_;     // CURL*
  void* headers_;  // curl_slist*
  std::string response_;
};

}  // namespace a3s::store::detail
