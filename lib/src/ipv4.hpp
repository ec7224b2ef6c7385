// IPv4 addresses and CIDR subnets, as the network store and the record
// validation need them. Internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace a3s::store::detail {

// Parses dotted-quad "a.b.c.d" (each 0..255, no leading '+', no empty
// octets, no leading zeros beyond "0"). Returns nullopt on anything else.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);

std::string format_ipv4(std::uint32_t address);

struct Subnet {
  std::uint32_t network = 0;  // host bits zero
  int prefix = 0;             // 1..30

  std::uint32_t broadcast() const;
  std::uint32_t gateway() const { return network + 1; }  // IPAM rule
  std::uint32_t first_host() const { return network + 2; }
  bool contains(std::uint32_t address) const;
};

// Parses "a.b.c.d/p" for a network the IPAM can serve: prefix 1..30 and no
// host bits set. Throws Error(invalid_argument) naming `what` and the
// problem (e.g. "network 'dev': subnet '10.0.0.0/31' prefix must be 1..30").
Subnet parse_subnet(std::string_view what, std::string_view cidr);

// "02:42:" + the four octets as lowercase hex.
std::string mac_for(std::uint32_t address);

}  // namespace a3s::store::detail
