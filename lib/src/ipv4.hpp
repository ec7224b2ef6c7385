// IPv4 addresses and CIDR subnets, as the network store and the record
// validation need them. Internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace a3s::store::detail {

// Parses dotted-quad "a.b.c.d" (each 0..255, no leading '+', no empty
// octets, no leading zeros beyond "0"). Returns nullopt on anything else.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);

std::string format_ipv4(std::uint32_t address);

// A subnet as the 2.4.0 IPAM reads it: host bits in the address are kept,
// and every address the IPAM hands out counts from the address as written
// ("10.88.0.5/24": gateway 10.88.0.6, first endpoint 10.88.0.7).
struct Subnet {
  std::uint32_t address = 0;  // as written, host bits included
  int prefix = 0;             // 1..30

  std::uint32_t network() const;    // host bits cleared
  std::uint32_t broadcast() const;  // every host bit set
  std::uint32_t gateway() const { return address + 1; }
  std::uint32_t first_host() const { return address + 2; }
  bool has_host_bits() const { return address != network(); }
  bool contains(std::uint32_t ip) const;
  std::string text() const;  // "a.b.c.d/p", as written
};

// Parses "a.b.c.d/p" with a prefix of 1..30. Throws Error(invalid_argument)
// naming `what` and the problem (e.g. "network 'dev': subnet '10.0.0.0/31'
// prefix must be 1..30").
Subnet parse_subnet(std::string_view what, std::string_view cidr);

// The IPAM rule (SPEC §4): the lowest address from first_host() to
// broadcast() - 1 that is not in `taken` (the gateway and the endpoints'
// addresses, any order). nullopt when the subnet is full.
std::optional<std::uint32_t> lowest_free_address(const Subnet& subnet,
                                                 std::vector<std::uint32_t> taken);

// "02:42:" + the four octets as lowercase hex.
std::string mac_for(std::uint32_t address);

}  // namespace a3s::store::detail
