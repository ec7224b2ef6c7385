#include "etcd_network_store.hpp"

#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "etcd_txn.hpp"
#include "ipv4.hpp"
#include "network_rules.hpp"
#include "record_json.hpp"

namespace a3s::store {

namespace {

using detail::EtcdTxn;
using detail::KeyValue;
using detail::network_label;

std::string network_key(std::string_view name) { return "net/" + std::string(name); }
std::string endpoints_prefix(std::string_view name) { return "netep/" + std::string(name) + "/"; }
std::string claims_prefix(std::string_view name) { return "netip/" + std::string(name) + "/"; }
std::string endpoint_key(std::string_view name, std::string_view box_id) {
  return endpoints_prefix(name) + std::string(box_id);
}
std::string claim_key(std::string_view name, std::uint32_t address) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", address);
  return claims_prefix(name) + hex;
}
std::string claim_key(std::string_view name, const NetworkEndpoint& endpoint) {
  return claim_key(name, detail::parse_ipv4(endpoint.ip_address).value_or(0));
}

// The address a claim key names, from its 8 hex digits.
std::optional<std::uint32_t> claimed_address(std::string_view key) {
  const std::string_view hex = key.substr(key.rfind('/') + 1);
  if (hex.size() != 8) return std::nullopt;
  std::uint32_t address = 0;
  for (char c : hex) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    address = (address << 4) | static_cast<std::uint32_t>(digit);
  }
  return address;
}

// A stored value that does not decode is corrupt, named by its key.
template <class Decode>
auto decode_stored(const detail::EtcdKeyspace& space, const KeyValue& kv, Decode&& decode) {
  try {
    return decode(nlohmann::json::parse(kv.value));
  } catch (const std::exception& e) {
    throw Error(ErrorCode::corrupt, space.identity() + ": key '" + kv.key +
                                        "' does not hold a valid record: " + e.what());
  }
}

NetworkConfig decode_network(const detail::EtcdKeyspace& space, const KeyValue& kv) {
  return decode_stored(space, kv, [](const nlohmann::json& j) { return network_from_json(j); });
}
NetworkEndpoint decode_endpoint(const detail::EtcdKeyspace& space, const KeyValue& kv) {
  return decode_stored(space, kv, [](const nlohmann::json& j) { return endpoint_from_json(j); });
}

// The record's JSON without its endpoints, which have keys of their own.
std::string record_value(const NetworkConfig& network) {
  NetworkConfig record = network;
  record.endpoints.clear();
  return to_json(record).dump();
}

// Writes the endpoints of `network` and their claims.
void put_endpoints(EtcdTxn& txn, const NetworkConfig& network) {
  for (const auto& [box_id, endpoint] : network.endpoints) {
    txn.put(endpoint_key(network.name, box_id), to_json(endpoint).dump());
    txn.put(claim_key(network.name, endpoint), box_id);
  }
}

// The network `name` with its endpoints, as of the txn's revision.
std::optional<NetworkConfig> load(const detail::EtcdKeyspace& space, EtcdTxn& txn,
                                  std::string_view name) {
  const auto record = txn.get(network_key(name));
  if (!record) return std::nullopt;
  NetworkConfig network = decode_network(space, *record);
  for (const KeyValue& kv : txn.list(endpoints_prefix(name))) {
    NetworkEndpoint endpoint = decode_endpoint(space, kv);
    std::string box_id = endpoint.box_id;
    network.endpoints.emplace_hint(network.endpoints.end(), std::move(box_id), std::move(endpoint));
  }
  return network;
}

// The name an endpoint key belongs to: netep/<name>/<box ID>.
std::string_view endpoint_network(std::string_view key) {
  key.remove_prefix(std::string_view("netep/").size());
  return key.substr(0, key.find('/'));
}

}  // namespace

std::optional<NetworkConfig> EtcdNetworkStore::get(std::string_view name) const {
  validate_name("network name", name);
  return detail::transact(space_, network_label(name),
                          [&](EtcdTxn& txn) { return load(space_, txn, name); });
}

NetworkConfig EtcdNetworkStore::create(const NetworkConfig& config) {
  const NetworkConfig network = detail::network_to_create(config);
  return detail::transact(space_, network_label(network.name), [&](EtcdTxn& txn) {
    // Absent (CREATE == 0): and then no key under it exists either, as the
    // network's keys go in the txn that removes it.
    if (txn.get(network_key(network.name))) throw detail::network_exists(network.name);
    txn.put(network_key(network.name), record_value(network));
    put_endpoints(txn, network);
    return network;
  });
}

NetworkConfig EtcdNetworkStore::update(const NetworkConfig& config) {
  validate(config);
  return detail::transact(space_, network_label(config.name), [&](EtcdTxn& txn) {
    if (!txn.get(network_key(config.name))) throw not_found("network", config.name);
    // The keys no longer wanted go; the others are written over (a key is
    // written once per txn: the later write replaces the earlier).
    for (const KeyValue& kv : txn.list(endpoints_prefix(config.name))) txn.erase(kv.key);
    for (const KeyValue& kv : txn.list(claims_prefix(config.name))) txn.erase(kv.key);
    txn.put(network_key(config.name), record_value(config));
    put_endpoints(txn, config);
    return config;
  });
}

NetworkConfig EtcdNetworkStore::remove(std::string_view name, bool force) {
  validate_name("network name", name);
  return detail::transact(space_, network_label(name), [&](EtcdTxn& txn) {
    auto network = load(space_, txn, name);
    if (!network) throw not_found("network", name);
    if (!network->endpoints.empty() && !force) throw detail::network_in_use(*network);
    txn.erase(network_key(name));
    txn.erase_prefix(endpoints_prefix(name));
    txn.erase_prefix(claims_prefix(name));
    return *network;
  });
}

std::vector<NetworkConfig> EtcdNetworkStore::list() const {
  return detail::transact(space_, "networks", [&](EtcdTxn& txn) {
    std::vector<NetworkConfig> networks;
    for (const KeyValue& kv : txn.list("net/")) networks.push_back(decode_network(space_, kv));
    // Both ranges are in key order, so by name: merged in one pass.
    auto record = networks.begin();
    for (const KeyValue& kv : txn.list("netep/")) {
      const std::string_view network = endpoint_network(kv.key);
      while (record != networks.end() && record->name < network) ++record;
      if (record == networks.end()) break;
      if (record->name != network) continue;
      NetworkEndpoint endpoint = decode_endpoint(space_, kv);
      std::string box_id = endpoint.box_id;
      record->endpoints.emplace_hint(record->endpoints.end(), std::move(box_id),
                                     std::move(endpoint));
    }
    return networks;
  });
}

std::vector<NetworkSummary> EtcdNetworkStore::summaries() const {
  return detail::transact(space_, "networks", [&](EtcdTxn& txn) {
    std::vector<NetworkSummary> summaries;
    for (const KeyValue& kv : txn.list("net/")) {
      NetworkConfig n = decode_network(space_, kv);
      summaries.push_back({n.name, n.subnet, n.gateway, n.driver, 0, n.created_at});
    }
    auto summary = summaries.begin();
    for (const KeyValue& kv : txn.list("netip/")) {
      // One claim per endpoint: netip/<name>/<address>.
      std::string_view key = kv.key;
      key.remove_prefix(std::string_view("netip/").size());
      const std::string_view network = key.substr(0, key.find('/'));
      while (summary != summaries.end() && summary->name < network) ++summary;
      if (summary == summaries.end()) break;
      if (summary->name == network) ++summary->endpoint_count;
    }
    return summaries;
  });
}

NetworkEndpoint EtcdNetworkStore::connect(std::string_view network, std::string_view box_id,
                                          std::string_view box_name,
                                          const std::vector<std::string>& aliases) {
  const NetworkEndpoint asked = detail::endpoint_to_connect(network, box_id, box_name, aliases);
  return detail::transact(space_, network_label(network), [&](EtcdTxn& txn) {
    const auto record = txn.get(network_key(network));
    if (!record) throw not_found("network", network);
    const NetworkConfig config = decode_network(space_, *record);
    if (txn.get(endpoint_key(network, box_id))) throw detail::already_connected(network, box_id);
    // The claims, guarded: a claim made meanwhile fails the commit, and the
    // next attempt plans on the claims its failure branch read.
    const std::vector<KeyValue> claims = txn.list(claims_prefix(network));
    std::vector<std::uint32_t> taken;
    taken.reserve(claims.size() + 1);
    for (const KeyValue& kv : claims) {
      if (auto address = claimed_address(kv.key)) taken.push_back(*address);
    }
    NetworkEndpoint endpoint = asked;
    detail::assign_address(endpoint, network, config.subnet, config.gateway, claims.size(),
                           std::move(taken));
    const std::string claim = claim_key(network, endpoint);
    txn.expect_absent(claim);
    txn.put(endpoint_key(network, box_id), to_json(endpoint).dump());
    txn.put(claim, std::string(box_id));
    return endpoint;
  });
}

NetworkEndpoint EtcdNetworkStore::disconnect(std::string_view network, std::string_view box_id) {
  validate_name("network name", network);
  validate_identifier(network_label(network) + ": box ID", box_id);
  return detail::transact(space_, network_label(network), [&](EtcdTxn& txn) {
    const auto record = txn.get(network_key(network));
    if (!record) throw not_found("network", network);
    const auto stored = txn.get(endpoint_key(network, box_id));
    if (!stored) throw detail::not_connected(network, box_id);
    NetworkEndpoint endpoint = decode_endpoint(space_, *stored);
    txn.erase(endpoint_key(network, box_id));
    txn.erase(claim_key(network, endpoint));
    // Rewritten as it is, so that every commit planned on the keys deleted
    // here fails (see etcd_network_store.hpp).
    txn.put(network_key(network), record->value);
    return endpoint;
  });
}

}  // namespace a3s::store
