// The store URL of Options::store, `--store` and A3S_STORE (SPEC §9), parsed
// in this one place for every caller.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace a3s::store::detail {

struct StoreUrl {
  // False for "sqlite"; true for "etcd://...".
  bool etcd = false;
  // On etcd, each member as "HOST:PORT", in the order given; none repeated.
  std::vector<std::string> endpoints;
  // On etcd, the namespace: the key prefix the store owns on the cluster.
  std::string name_space;
};

// Parses "sqlite" or "etcd://HOST:PORT[,HOST:PORT...]/NAMESPACE": at least
// one endpoint; HOST a name or IPv4 address (letters, digits, '.', '-') or a
// bracketed IPv6 address; PORT 1..65535; NAMESPACE 1..128 characters of
// [A-Za-z0-9_.-], starting with a letter or digit. Throws
// Error(invalid_argument) naming "store URL '<url>'" and the part that is
// wrong.
StoreUrl parse_store_url(std::string_view url);

}  // namespace a3s::store::detail
