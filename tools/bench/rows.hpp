// The network rows the fixtures and sqlite-raw both insert. The statements
// are the bench's own; every JSON column holds the text of the library's
// record codec (to_json), so what the bench writes cannot drift from what
// the engine's stores write.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "bench.hpp"
#include "sqlite_util.hpp"

namespace bench {

inline constexpr const char* kInsertNetwork =
    "INSERT INTO networks (name, subnet, gateway, driver, labels, created_at, policy) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
inline constexpr const char* kInsertEndpoint =
    "INSERT INTO network_endpoints (network, box_id, box_name, ip_address, mac_address, aliases) "
    "VALUES (?, ?, ?, ?, ?, ?)";

// Binds to parameter `col` a copy of the JSON text of `encoded[key]`, or NULL
// where the codec writes null or leaves the key out.
void bind_json(Stmt& s, int col, const nlohmann::json& encoded, const char* key);

// Runs `networks` (kInsertNetwork) for `n`, then `endpoints`
// (kInsertEndpoint) for each of its endpoints.
void insert_network(Stmt& networks, Stmt& endpoints, const NetworkConfig& n);

// Runs `endpoints` (kInsertEndpoint) for `e` connected to `network`.
void insert_endpoint(Stmt& endpoints, std::string_view network, const NetworkEndpoint& e);

}  // namespace bench
