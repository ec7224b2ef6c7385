// NetworkStore on the SQLite database (network_store.hpp has the contract).
// Internal: made by SqliteBackend.
#pragma once

#include "a3s/store/network_store.hpp"

namespace a3s::store {

class Database;

class SqliteNetworkStore final : public NetworkStore {
 public:
  explicit SqliteNetworkStore(Database& db) : db_(db) {}

  std::optional<NetworkConfig> get(std::string_view name) const override;
  NetworkConfig create(const NetworkConfig& config) override;
  NetworkConfig remove(std::string_view name, bool force) override;
  std::vector<NetworkConfig> list() const override;
  std::vector<NetworkSummary> summaries() const override;
  NetworkConfig update(const NetworkConfig& config) override;
  NetworkEndpoint connect(std::string_view network, std::string_view box_id,
                          std::string_view box_name,
                          const std::vector<std::string>& aliases) override;
  NetworkEndpoint disconnect(std::string_view network, std::string_view box_id) override;

 private:
  Database& db_;
};

}  // namespace a3s::store
