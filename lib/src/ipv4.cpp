#include "ipv4.hpp"

#include <algorithm>
#include <cstdio>

#include "a3s/store/error.hpp"

namespace a3s::store::detail {
namespace {

std::uint32_t mask(int prefix) { return prefix <= 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }

// Parses 1..`max_digits` decimal digits without a leading zero (except "0"
// itself) and at most `max`. Returns nullopt on anything else.
std::optional<std::uint32_t> parse_decimal(std::string_view s, std::size_t max_digits,
                                           std::uint32_t max) {
  if (s.empty() || s.size() > max_digits || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

// `text` for an error message: printable ASCII kept, other bytes as \xNN,
// cut after 64 bytes (a CIDR is short ASCII; anything else is garbage).
std::string printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 64; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (text.size() > 64) out += "...";
  return out;
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t address = 0;
  for (int octet = 0; octet < 4; ++octet) {
    const std::size_t dot = octet < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos) return std::nullopt;
    const auto value = parse_decimal(text.substr(0, dot), 3, 255);
    if (!value) return std::nullopt;
    address = address << 8 | *value;
    text.remove_prefix(octet < 3 ? dot + 1 : dot);
  }
  return address;
}

std::string format_ipv4(std::uint32_t address) {
  return std::to_string(address >> 24) + '.' + std::to_string(address >> 16 & 0xff) + '.' +
         std::to_string(address >> 8 & 0xff) + '.' + std::to_string(address & 0xff);
}

std::uint32_t Subnet::network() const { return address & mask(prefix); }

std::uint32_t Subnet::broadcast() const { return address | ~mask(prefix); }

bool Subnet::contains(std::uint32_t ip) const { return (ip & mask(prefix)) == network(); }

std::string Subnet::text() const { return format_ipv4(address) + '/' + std::to_string(prefix); }

Subnet parse_subnet(std::string_view what, std::string_view cidr) {
  std::string context(what);
  if (!context.empty()) context += ": ";
  context += "subnet '" + printable(cidr) + "' ";
  const std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) {
    throw Error(ErrorCode::invalid_argument, context + "is not a valid IPv4 CIDR");
  }
  const auto address = parse_ipv4(cidr.substr(0, slash));
  const auto prefix = parse_decimal(cidr.substr(slash + 1), 2, 99);
  if (!address || !prefix) {
    throw Error(ErrorCode::invalid_argument, context + "is not a valid IPv4 CIDR");
  }
  if (*prefix < 1 || *prefix > 30) {
    throw Error(ErrorCode::invalid_argument, context + "prefix must be 1..30");
  }
  return Subnet{*address, static_cast<int>(*prefix)};
}

std::optional<std::uint32_t> lowest_free_address(const Subnet& subnet,
                                                 std::vector<std::uint32_t> taken) {
  std::sort(taken.begin(), taken.end());
  std::uint32_t candidate = subnet.first_host();
  for (std::uint32_t ip : taken) {
    if (ip < candidate) continue;
    if (ip > candidate) break;
    ++candidate;
  }
  if (candidate >= subnet.broadcast()) return std::nullopt;
  return candidate;
}

std::string mac_for(std::uint32_t address) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "02:42:%02x:%02x:%02x:%02x", address >> 24, address >> 16 & 0xff,
                address >> 8 & 0xff, address & 0xff);
  return buf;
}

}  // namespace a3s::store::detail
