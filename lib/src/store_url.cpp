#include "store_url.hpp"

#include <algorithm>

#include "a3s/store/error.hpp"

namespace a3s::store::detail {

namespace {

constexpr std::string_view kEtcdScheme = "etcd://";
constexpr std::size_t kMaxNamespace = 128;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A host name or IPv4 address, or an IPv6 address in brackets.
bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    const std::string_view inside = host.substr(1, host.size() - 2);
    return std::all_of(inside.begin(), inside.end(),
                       [](char c) { return is_hex(c) || c == ':' || c == '.'; });
  }
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return is_alnum(c) || c == '.' || c == '-'; });
}

// 1..65535, decimal digits only.
bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const unsigned long value = std::stoul(std::string(port));
  return value >= 1 && value <= 65535;
}

bool valid_namespace(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNamespace && is_alnum(name.front()) &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

}  // namespace

StoreUrl parse_store_url(std::string_view url) {
  auto bad = [&](const std::string& what) {
    return Error(ErrorCode::invalid_argument, "store URL '" + std::string(url) + "': " + what);
  };
  if (url == "sqlite") return {};
  if (url.substr(0, kEtcdScheme.size()) != kEtcdScheme) {
    throw bad(
        "unknown backend (expected 'sqlite' or "
        "'etcd://HOST:PORT[,HOST:PORT...]/NAMESPACE')");
  }
  const std::string_view rest = url.substr(kEtcdScheme.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    throw bad("no namespace (expected etcd://HOST:PORT[,HOST:PORT...]/NAMESPACE)");
  }
  const std::string_view members = rest.substr(0, slash);
  const std::string_view name = rest.substr(slash + 1);

  StoreUrl parsed;
  parsed.etcd = true;
  if (members.empty()) throw bad("no endpoint (expected HOST:PORT before the namespace)");
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = members.find(',', start);
    const std::string_view endpoint =
        members.substr(start, comma == std::string_view::npos ? comma : comma - start);
    const std::string quoted = "endpoint '" + std::string(endpoint) + "'";
    if (endpoint.empty()) throw bad("an empty endpoint in the list (expected HOST:PORT)");
    const std::size_t colon = endpoint.rfind(':');
    // An IPv6 address's own colons sit inside its brackets.
    if (colon == std::string_view::npos || endpoint.find(']', colon) != std::string_view::npos) {
      throw bad(quoted + " has no port (expected HOST:PORT)");
    }
    if (!valid_host(endpoint.substr(0, colon))) {
      throw bad(quoted + ": host '" + std::string(endpoint.substr(0, colon)) +
                "' is not a host name or address");
    }
    if (!valid_port(endpoint.substr(colon + 1))) {
      throw bad(quoted + ": port '" + std::string(endpoint.substr(colon + 1)) +
                "' is not a number from 1 to 65535");
    }
    if (std::find(parsed.endpoints.begin(), parsed.endpoints.end(), endpoint) !=
        parsed.endpoints.end()) {
      throw bad(quoted + " is listed twice");
    }
    parsed.endpoints.emplace_back(endpoint);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!valid_namespace(name)) {
    throw bad("namespace '" + std::string(name) +
              "' must be 1 to 128 characters of letters, digits, '_', '.' and '-', "
              "starting with a letter or digit (no '/')");
  }
  parsed.name_space = std::string(name);
  return parsed;
}

}  // namespace a3s::store::detail
