#include "network_rules.hpp"

#include "ipv4.hpp"

namespace a3s::store::detail {

std::string network_label(std::string_view name) { return "network '" + std::string(name) + "'"; }

NetworkConfig network_to_create(const NetworkConfig& config) {
  NetworkConfig network = config;
  if (network.gateway.empty()) {
    try {
      network.gateway = format_ipv4(parse_subnet({}, network.subnet).gateway());
    } catch (const Error&) {
      // A subnet that does not parse: validate() reports it.
    }
  }
  validate(network);
  return network;
}

NetworkEndpoint endpoint_to_connect(std::string_view network, std::string_view box_id,
                                    std::string_view box_name,
                                    const std::vector<std::string>& aliases) {
  validate_name("network name", network);
  validate_identifier(network_label(network) + ": box ID", box_id);
  validate_identifier(network_label(network) + ": box name", box_name);
  std::vector<std::string> kept;
  for (const auto& alias : aliases) {
    if (alias.empty() || alias == box_name) continue;
    validate_identifier(network_label(network) + ": alias", alias);
    kept.push_back(alias);
  }
  if (kept.size() > kMaxNetworkEndpoints) {
    throw Error(ErrorCode::invalid_argument,
                network_label(network) + ": field 'aliases' has more than 10000 entries");
  }
  return {std::string(box_id), std::string(box_name), {}, {}, std::move(kept)};
}

void assign_address(NetworkEndpoint& endpoint, std::string_view network, std::string_view subnet,
                    std::string_view gateway, std::size_t endpoint_count,
                    std::vector<std::uint32_t> taken) {
  if (endpoint_count >= kMaxNetworkEndpoints) {
    throw Error(ErrorCode::exhausted,
                network_label(network) + " already has 10000 endpoints, the most a record holds");
  }
  const Subnet parsed = parse_subnet(network_label(network), subnet);
  if (const auto address = parse_ipv4(gateway)) taken.push_back(*address);
  const auto address = lowest_free_address(parsed, std::move(taken));
  if (!address) {
    throw Error(ErrorCode::exhausted,
                network_label(network) + " has no free address left in " + parsed.text());
  }
  endpoint.ip_address = format_ipv4(*address);
  endpoint.mac_address = mac_for(*address);
}

Error already_connected(std::string_view network, std::string_view box_id) {
  return Error(
      ErrorCode::already_exists,
      "box '" + std::string(box_id) + "' is already connected to " + network_label(network));
}

Error not_connected(std::string_view network, std::string_view box_id) {
  return Error(ErrorCode::not_found,
               "box '" + std::string(box_id) + "' is not connected to " + network_label(network));
}

Error network_in_use(const NetworkConfig& network) {
  std::string boxes;
  for (const auto& [box_id, endpoint] : network.endpoints) {
    boxes += (boxes.empty() ? "" : ", ") + box_id;
  }
  return Error(ErrorCode::in_use,
               network_label(network.name) + " has " + std::to_string(network.endpoints.size()) +
                   " connected box(es) (" + boxes + "); disconnect them or force the removal");
}

Error network_exists(std::string_view name) {
  return Error(ErrorCode::already_exists, network_label(name) + " already exists");
}

}  // namespace a3s::store::detail
