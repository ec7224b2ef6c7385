// Networks on etcd (SPEC §4 "Networks", §9): the network store's behaviour,
// validation and errors, each operation one etcd transaction
// (etcd_txn.hpp). Internal.
//
// Keys, under the namespace:
// - net/<n>: the record as JSON, without its endpoints;
// - netep/<n>/<box ID>: each endpoint as JSON;
// - netip/<n>/<address as 8 hex digits>: the claim of an address, its value
//   the box ID. Created only when absent, so that two endpoints never share
//   an address.
// Every write to a network's keys compares net/<n>'s mod revision, and a
// disconnect rewrites net/<n> as it is: so a deletion under netep/<n>/ or
// netip/<n>/, which the compare of a guarded prefix read does not catch,
// still fails every commit planned before it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/network_store.hpp"
#include "etcd_keyspace.hpp"

namespace a3s::store {

class EtcdNetworkStore final : public NetworkStore {
 public:
  // The networks of `space`'s namespace; `space` outlives the store.
  explicit EtcdNetworkStore(detail::EtcdKeyspace& space) : space_(space) {}

  // As NetworkStore (network_store.hpp). Cluster failures are Error(busy)
  // naming the network and the cluster.
  std::optional<NetworkConfig> get(std::string_view name) const override;
  NetworkConfig create(const NetworkConfig& config) override;
  NetworkConfig remove(std::string_view name, bool force = false) override;
  std::vector<NetworkConfig> list() const override;
  std::vector<NetworkSummary> summaries() const override;
  NetworkConfig update(const NetworkConfig& config) override;
  NetworkEndpoint connect(std::string_view network, std::string_view box_id,
                          std::string_view box_name,
                          const std::vector<std::string>& aliases = {}) override;
  NetworkEndpoint disconnect(std::string_view network, std::string_view box_id) override;

 private:
  detail::EtcdKeyspace& space_;
};

}  // namespace a3s::store
