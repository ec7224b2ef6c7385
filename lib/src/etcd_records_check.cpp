#include "etcd_records_check.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "etcd_keyspace.hpp"
#include "etcd_txn.hpp"
#include "ipv4.hpp"
#include "record_json.hpp"

namespace a3s::store::detail {

namespace {

// <first>/<second> of a key relative to `prefix` ("netep/dev/box-1" →
// {"dev", "box-1"}); nullopt without the '/'.
std::optional<std::pair<std::string, std::string>> split(const std::string& key,
                                                         std::string_view prefix) {
  const std::string rest = key.substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return std::nullopt;
  return std::make_pair(rest.substr(0, slash), rest.substr(slash + 1));
}

// An IPv4 address as the claim keys write it: 8 lowercase hex digits.
std::string claim_name(std::uint32_t address) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", address);
  return hex;
}

std::string network_object(const std::string& name) { return "network '" + name + "'"; }

}  // namespace

void check_etcd_records(EtcdKeyspace& space, CheckReport& report) {
  constexpr std::string_view kNetworks = "net/";
  constexpr std::string_view kEndpoints = "netep/";
  constexpr std::string_view kClaims = "netip/";
  // A read-only body: it commits nothing, so it runs once.
  const auto findings = transact(space, "the network keys", [&](EtcdTxn& txn) {
    std::vector<CheckFinding> found;
    auto add = [&](std::string problem, std::string object, std::string message) {
      found.push_back({std::move(problem), std::move(object), std::move(message), {}});
    };
    std::set<std::string> networks;
    for (const KeyValue& kv : txn.list(kNetworks)) networks.insert(kv.key.substr(kNetworks.size()));
    // (network, claim name) → box, from each side.
    std::map<std::pair<std::string, std::string>, std::string> endpoints;
    for (const KeyValue& kv : txn.list(kEndpoints)) {
      const auto parts = split(kv.key, kEndpoints);
      if (!parts) continue;
      const auto& [network, box] = *parts;
      const std::string where = "the endpoint of box '" + box + "' in " + network_object(network);
      if (networks.count(network) == 0) {
        add("foreign_key", network_object(network),
            where + " (" + kv.key + ") belongs to a network that has no record");
        continue;
      }
      std::optional<std::uint32_t> address;
      try {
        address = parse_ipv4(endpoint_from_json(nlohmann::json::parse(kv.value)).ip_address);
      } catch (const std::exception&) {
        // Reported below as not a valid endpoint.
      }
      if (!address) {
        add("integrity", network_object(network),
            where + " (" + kv.key + ") is not a valid endpoint record");
        continue;
      }
      endpoints[{network, claim_name(*address)}] = box;
    }
    std::map<std::pair<std::string, std::string>, std::string> claims;
    for (const KeyValue& kv : txn.list(kClaims)) {
      const auto parts = split(kv.key, kClaims);
      if (!parts) continue;
      if (networks.count(parts->first) == 0) {
        add("foreign_key", network_object(parts->first),
            "the IP claim " + kv.key + " belongs to a network that has no record");
        continue;
      }
      claims[*parts] = kv.value;
    }
    for (const auto& [claim, box] : endpoints) {
      const auto it = claims.find(claim);
      if (it == claims.end() || it->second != box) {
        add("integrity", network_object(claim.first),
            "the endpoint of box '" + box + "' in " + network_object(claim.first) +
                " holds an IP that netip/" + claim.first + "/" + claim.second +
                " does not claim for it");
      }
    }
    for (const auto& [claim, box] : claims) {
      const auto it = endpoints.find(claim);
      if (it == endpoints.end() || it->second != box) {
        add("integrity", network_object(claim.first),
            "netip/" + claim.first + "/" + claim.second + " claims an IP for box '" + box +
                "', which has no endpoint with that IP in " + network_object(claim.first));
      }
    }
    return found;
  });
  report.findings.insert(report.findings.end(), findings.begin(), findings.end());
}

}  // namespace a3s::store::detail
