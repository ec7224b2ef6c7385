// The rules of networks that do not depend on where records are kept
// (SPEC §4 "Networks"): what create() derives, what connect() validates and
// allocates, and the errors both stores word alike. Shared by the SQLite and
// the etcd network stores. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"

namespace a3s::store::detail {

// The most endpoints a network holds (SPEC §4: entries in any map).
inline constexpr std::size_t kMaxNetworkEndpoints = 10'000;

// "network '<name>'": how messages name a network.
std::string network_label(std::string_view name);

// `config` as create() stores it: an empty gateway derived as 2.4.0 does
// (the subnet's address as written + 1, host bits included), then the whole
// record validated. Throws Error(invalid_argument) naming the field.
NetworkConfig network_to_create(const NetworkConfig& config);

// The endpoint connect() is asked for, validated (network name, box ID, box
// name, aliases) and with its aliases as the runtime keeps them (no empty
// ones, none equal to the box name; repeats and order kept); its address
// and MAC are left empty for assign_address(). Throws
// Error(invalid_argument) naming the field.
NetworkEndpoint endpoint_to_connect(std::string_view network, std::string_view box_id,
                                    std::string_view box_name,
                                    const std::vector<std::string>& aliases);

// Gives `endpoint` the lowest free address of the network's subnet (from
// its address as written + 2 to broadcast - 1, skipping `gateway` and
// `taken`, the addresses of its endpoints) and the MAC derived from it.
// Throws Error(exhausted) when the network already has kMaxNetworkEndpoints
// endpoints (`endpoint_count`) or no address is left.
void assign_address(NetworkEndpoint& endpoint, std::string_view network, std::string_view subnet,
                    std::string_view gateway, std::size_t endpoint_count,
                    std::vector<std::uint32_t> taken);

// already_exists: the box is already connected to the network.
Error already_connected(std::string_view network, std::string_view box_id);
// not_found: the box is not connected to the network.
Error not_connected(std::string_view network, std::string_view box_id);
// in_use: the network still has endpoints (remove() without force).
Error network_in_use(const NetworkConfig& network);
// already_exists: the name is taken.
Error network_exists(std::string_view name);

}  // namespace a3s::store::detail
