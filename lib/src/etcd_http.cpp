#include "etcd_http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <new>

namespace a3s::store::detail {
namespace {

// curl_global_init is not safe to run concurrently with other libcurl calls:
// it runs once, before the first handle exists.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Connecting to a live member on the same network takes well under this; a
// member that is down refuses at once, one that hangs is left sooner so the
// others get their turn.
constexpr std::chrono::milliseconds kConnectTimeout{500};

}  // namespace

HttpConnection::HttpConnection(std::string endpoint) : endpoint_(std::move(endpoint)) {
  init_curl_once();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::bad_alloc();
  curl_slist* headers = nullptr;
  for (const char* h :
       {"Content-Type: application/json", "Expect:", "Grpc-Metadata-hasleader: true"}) {
    curl_slist* next = curl_slist_append(headers, h);
    if (next == nullptr) {
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
      throw std::bad_alloc();
    }
    headers = next;
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  // No signals: libcurl would otherwise use SIGALRM for timeouts, which is
  // not safe in a multi-threaded process.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response_);
  curl_ = curl;
  headers_ = headers;
}

HttpConnection::~HttpConnection() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

HttpOutcome HttpConnection::post(std::string_view path, const std::string& body,
                                 std::chrono::milliseconds timeout) {
  return perform(path, &body, timeout);
}

HttpOutcome HttpConnection::get(std::string_view path, std::chrono::milliseconds timeout) {
  return perform(path, nullptr, timeout);
}

HttpOutcome HttpConnection::perform(std::string_view path, const std::string* body,
                                    std::chrono::milliseconds timeout) {
  CURL* curl = static_cast<CURL*>(curl_);
  std::string url = "http://" + endpoint_;
  url += path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  const long total_ms = std::max<long>(1, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min<long>(total_ms, static_cast<long>(kConnectTimeout.count())));
  response_.clear();
  const CURLcode rc = curl_easy_perform(curl);

  HttpOutcome outcome;
  if (rc == CURLE_OK) {
    outcome.kind = HttpOutcome::Kind::answered;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &outcome.status);
    outcome.body = std::move(response_);
    response_.clear();
    return outcome;
  }
  outcome.failure = curl_easy_strerror(rc);
  // Bytes of request libcurl wrote to the socket in this transfer: none
  // means the member cannot have seen the request.
  long request_bytes = 0;
  curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
  const bool never_sent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                          rc == CURLE_COULDNT_RESOLVE_PROXY || request_bytes == 0;
  outcome.kind = never_sent ? HttpOutcome::Kind::not_sent : HttpOutcome::Kind::unknown;
  return outcome;
}

}  // namespace a3s::store::detail
