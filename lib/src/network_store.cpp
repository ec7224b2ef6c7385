#include "a3s/store/network_store.hpp"

#include <algorithm>

#include "database.hpp"
#include "ipv4.hpp"
#include "record_json.hpp"
#include "stored_row.hpp"

namespace a3s::store {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxEndpoints = 10'000;

std::string network_name(std::string_view name) { return "network '" + std::string(name) + "'"; }

// Rows → records (see stored_row.hpp for what is checked on the way).
NetworkEndpoint decode_endpoint(const SQLite::Statement& statement, std::string_view network) {
  detail::StoredRow row(statement, "network");
  row.named(network);
  return {row.text(0), row.text(1), row.text(2), row.text(3),
          row.json<std::vector<std::string>>(4, "aliases")};
}

NetworkConfig decode_network(const SQLite::Statement& statement) {
  detail::StoredRow row(statement, "network");
  NetworkConfig n;
  n.name = row.text(0);
  row.named(n.name);
  n.subnet = row.text(1);
  n.gateway = row.text(2);
  n.driver = row.text(3);
  n.labels = row.json<StringMap>(4, "labels");
  n.created_at = row.text(5);
  n.policy = row.json<NetworkPolicy>(6, "policy");
  return n;
}

void add_endpoint(NetworkConfig& n, NetworkEndpoint e) {
  std::string key = e.box_id;
  n.endpoints.emplace_hint(n.endpoints.end(), std::move(key), std::move(e));
}

// The columns decode_network() reads, in its order.
#define A3S_SELECT_NETWORKS \
  "SELECT name, subnet, gateway, driver, labels, created_at, policy FROM networks"

constexpr const char* kSelectNetwork = A3S_SELECT_NETWORKS " WHERE name = ?";
constexpr const char* kSelectEndpoints =
    "SELECT box_id, box_name, ip_address, mac_address, aliases FROM network_endpoints "
    "WHERE network = ? ORDER BY box_id";

std::optional<NetworkConfig> load(Connection& conn, std::string_view name) {
  auto row = conn.prepare(kSelectNetwork);
  row->bind(1, std::string(name));
  if (!row->executeStep()) return std::nullopt;
  NetworkConfig network = decode_network(*row);
  auto endpoints = conn.prepare(kSelectEndpoints);
  endpoints->bind(1, std::string(name));
  while (endpoints->executeStep()) add_endpoint(network, decode_endpoint(*endpoints, name));
  return network;
}

void insert_endpoint(Connection& conn, std::string_view network, const NetworkEndpoint& e) {
  auto insert = conn.prepare(
      "INSERT INTO network_endpoints (network, box_id, box_name, ip_address, mac_address, "
      "aliases) VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, std::string(network));
  insert->bind(2, e.box_id);
  insert->bind(3, e.box_name);
  insert->bind(4, e.ip_address);
  insert->bind(5, e.mac_address);
  insert->bind(6, json(e.aliases).dump());
  insert->exec();
}

// Writes the networks row (insert or replace) and all its endpoints.
void store_network(Connection& conn, const NetworkConfig& n, bool replace) {
  const json j = to_json(n);
  auto upsert = conn.prepare(
      replace ? "UPDATE networks SET subnet = ?2, gateway = ?3, driver = ?4, labels = ?5, "
                "created_at = ?6, policy = ?7 WHERE name = ?1"
              : "INSERT INTO networks (name, subnet, gateway, driver, labels, created_at, policy) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  upsert->bind(1, n.name);
  upsert->bind(2, n.subnet);
  upsert->bind(3, n.gateway);
  upsert->bind(4, n.driver);
  upsert->bind(5, j.at("labels").dump());
  upsert->bind(6, n.created_at);
  upsert->bind(7, j.at("policy").dump());
  upsert->exec();
  if (replace) {
    auto clear = conn.prepare("DELETE FROM network_endpoints WHERE network = ?");
    clear->bind(1, n.name);
    clear->exec();
  }
  for (const auto& [box_id, endpoint] : n.endpoints) insert_endpoint(conn, n.name, endpoint);
}

bool exists(Connection& conn, std::string_view name) {
  auto q = conn.prepare("SELECT 1 FROM networks WHERE name = ?");
  q->bind(1, std::string(name));
  return q->executeStep();
}

// Aliases as the runtime keeps them: no empty ones, none equal to the box
// name, no repeats, order kept.
std::vector<std::string> clean_aliases(std::string_view network,
                                       const std::vector<std::string>& aliases,
                                       std::string_view box_name) {
  std::vector<std::string> kept;
  for (const auto& alias : aliases) {
    if (alias.empty() || alias == box_name) continue;
    if (std::find(kept.begin(), kept.end(), alias) != kept.end()) continue;
    validate_identifier(network_name(network) + ": alias", alias);
    kept.push_back(alias);
  }
  if (kept.size() > kMaxEndpoints) {
    throw Error(ErrorCode::invalid_argument,
                network_name(network) + ": field 'aliases' has more than 10000 entries");
  }
  return kept;
}

}  // namespace

std::optional<NetworkConfig> NetworkStore::get(std::string_view name) const {
  validate_name("network name", name);
  return db_.read(network_name(name), [&](Connection& conn) { return load(conn, name); });
}

NetworkConfig NetworkStore::create(const NetworkConfig& config) {
  validate(config);
  return db_.write(network_name(config.name), [&](Connection& conn) {
    if (exists(conn, config.name)) {
      throw Error(ErrorCode::already_exists, network_name(config.name) + " already exists");
    }
    store_network(conn, config, /*replace=*/false);
    return config;
  });
}

NetworkConfig NetworkStore::update(const NetworkConfig& config) {
  validate(config);
  return db_.write(network_name(config.name), [&](Connection& conn) {
    if (!exists(conn, config.name)) throw not_found("network", config.name);
    store_network(conn, config, /*replace=*/true);
    return config;
  });
}

NetworkConfig NetworkStore::remove(std::string_view name, bool force) {
  validate_name("network name", name);
  return db_.write(network_name(name), [&](Connection& conn) {
    auto network = load(conn, name);
    if (!network) throw not_found("network", name);
    if (!network->endpoints.empty() && !force) {
      std::string boxes;
      for (const auto& [box_id, endpoint] : network->endpoints) {
        boxes += (boxes.empty() ? "" : ", ") + box_id;
      }
      throw Error(ErrorCode::in_use,
                  network_name(name) + " has " + std::to_string(network->endpoints.size()) +
                      " connected box(es) (" + boxes + "); disconnect them or force the removal");
    }
    auto erase = conn.prepare("DELETE FROM networks WHERE name = ?");
    erase->bind(1, std::string(name));
    erase->exec();  // endpoints go with it (ON DELETE CASCADE)
    return *network;
  });
}

std::vector<NetworkConfig> NetworkStore::list() const {
  return db_.read("networks", [&](Connection& conn) {
    // Two ordered scans merged, rather than one endpoint query per network.
    std::vector<NetworkConfig> networks;
    networks.reserve(static_cast<std::size_t>(conn.scalar("SELECT count(*) FROM networks")));
    auto rows = conn.prepare(A3S_SELECT_NETWORKS " ORDER BY name");
    while (rows->executeStep()) networks.push_back(decode_network(*rows));
    auto endpoints = conn.prepare(
        "SELECT box_id, box_name, ip_address, mac_address, aliases, network "
        "FROM network_endpoints ORDER BY network, box_id");
    auto record = networks.begin();
    while (endpoints->executeStep()) {
      const std::string_view network = detail::StoredRow(*endpoints, "network").view(5);
      while (record != networks.end() && record->name < network) ++record;
      if (record == networks.end()) break;
      add_endpoint(*record, decode_endpoint(*endpoints, record->name));
    }
    return networks;
  });
}

std::vector<NetworkSummary> NetworkStore::summaries() const {
  return db_.read("networks", [&](Connection& conn) {
    std::vector<NetworkSummary> networks;
    networks.reserve(static_cast<std::size_t>(conn.scalar("SELECT count(*) FROM networks")));
    auto rows = conn.prepare(
        "SELECT n.name, n.subnet, n.gateway, n.driver, "
        "(SELECT count(*) FROM network_endpoints AS e WHERE e.network = n.name), n.created_at "
        "FROM networks AS n ORDER BY n.name");
    while (rows->executeStep()) {
      const detail::StoredRow row(*rows, "network");
      networks.push_back({row.text(0), row.text(1), row.text(2), row.text(3),
                          static_cast<std::size_t>(row.u64(4)), row.text(5)});
    }
    return networks;
  });
}

NetworkEndpoint NetworkStore::connect(std::string_view network, std::string_view box_id,
                                      std::string_view box_name,
                                      const std::vector<std::string>& aliases) {
  validate_name("network name", network);
  validate_identifier(network_name(network) + ": box ID", box_id);
  validate_identifier(network_name(network) + ": box name", box_name);
  NetworkEndpoint endpoint{std::string(box_id),
                           std::string(box_name),
                           {},
                           {},
                           clean_aliases(network, aliases, box_name)};

  return db_.write(network_name(network), [&](Connection& conn) {
    auto row = conn.prepare("SELECT subnet, gateway FROM networks WHERE name = ?");
    row->bind(1, std::string(network));
    if (!row->executeStep()) throw not_found("network", network);
    const auto subnet = detail::parse_subnet(network_name(network), row->getColumn(0).getString());
    const auto gateway = detail::parse_ipv4(row->getColumn(1).getString());

    auto taken = conn.prepare(
        "SELECT box_id, ip_address FROM network_endpoints WHERE network = ? ORDER BY box_id");
    taken->bind(1, std::string(network));
    std::vector<std::uint32_t> used;
    while (taken->executeStep()) {
      if (taken->getColumn(0).getString() == box_id) {
        throw Error(
            ErrorCode::already_exists,
            "box '" + std::string(box_id) + "' is already connected to " + network_name(network));
      }
      if (auto ip = detail::parse_ipv4(taken->getColumn(1).getString())) used.push_back(*ip);
    }
    if (used.size() >= kMaxEndpoints) {
      throw Error(ErrorCode::exhausted,
                  network_name(network) + " already has 10000 endpoints, the most a record holds");
    }
    if (gateway) used.push_back(*gateway);
    const auto address = detail::lowest_free_address(subnet, std::move(used));
    if (!address) {
      throw Error(ErrorCode::exhausted,
                  network_name(network) + " has no free address left in " + subnet.text());
    }
    endpoint.ip_address = detail::format_ipv4(*address);
    endpoint.mac_address = detail::mac_for(*address);
    insert_endpoint(conn, network, endpoint);
    return endpoint;
  });
}

NetworkEndpoint NetworkStore::disconnect(std::string_view network, std::string_view box_id) {
  validate_name("network name", network);
  validate_identifier(network_name(network) + ": box ID", box_id);
  return db_.write(network_name(network), [&](Connection& conn) {
    if (!exists(conn, network)) throw not_found("network", network);
    auto row = conn.prepare(
        "SELECT box_id, box_name, ip_address, mac_address, aliases FROM network_endpoints "
        "WHERE network = ? AND box_id = ?");
    row->bind(1, std::string(network));
    row->bind(2, std::string(box_id));
    if (!row->executeStep()) {
      throw Error(ErrorCode::not_found,
                  "box '" + std::string(box_id) + "' is not connected to " + network_name(network));
    }
    NetworkEndpoint endpoint = decode_endpoint(*row, network);
    auto erase = conn.prepare("DELETE FROM network_endpoints WHERE network = ? AND box_id = ?");
    erase->bind(1, std::string(network));
    erase->bind(2, std::string(box_id));
    erase->exec();
    return endpoint;
  });
}

}  // namespace a3s::store
