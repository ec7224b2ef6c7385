#include "sqlite_network_store.hpp"

#include "catalog_rows.hpp"
#include "column_list.hpp"
#include "database.hpp"
#include "ipv4.hpp"
#include "network_rules.hpp"
#include "record_json.hpp"
#include "stored_row.hpp"

namespace a3s::store {
using detail::load_network;
using detail::store_network;

namespace {

using nlohmann::json;

std::string network_name(std::string_view name) { return detail::network_label(name); }

// One definition per table: the SQL below, decode_*() and the binds all
// follow these lists.
constexpr detail::ColumnList kNetwork{"name",   "subnet",     "gateway", "driver",
                                      "labels", "created_at", "policy"};
constexpr detail::ColumnList kEndpoint{"network",    "box_id",      "box_name",
                                       "ip_address", "mac_address", "aliases"};

const std::string kNetworkColumns = kNetwork.list();
const std::string kSelectNetwork = "SELECT " + kNetworkColumns + " FROM networks WHERE name = ?";
const std::string kSelectNetworks = "SELECT " + kNetworkColumns + " FROM networks ORDER BY name";
const std::string kUpsertNetwork = "INSERT INTO networks (" + kNetworkColumns + ") VALUES (" +
                                   kNetwork.placeholders() + ") ON CONFLICT (name) DO UPDATE SET " +
                                   kNetwork.set_from_excluded("name");

const std::string kEndpointColumns = kEndpoint.list();
const std::string kSelectEndpoints =
    "SELECT " + kEndpointColumns + " FROM network_endpoints WHERE network = ? ORDER BY box_id";
const std::string kSelectAllEndpoints =
    "SELECT " + kEndpointColumns + " FROM network_endpoints ORDER BY network, box_id";
const std::string kSelectEndpoint =
    "SELECT " + kEndpointColumns + " FROM network_endpoints WHERE network = ? AND box_id = ?";
const std::string kInsertEndpoint = "INSERT INTO network_endpoints (" + kEndpointColumns +
                                    ") VALUES (" + kEndpoint.placeholders() + ")";

// Rows → records (see stored_row.hpp for what is checked on the way).
NetworkEndpoint decode_endpoint(const SQLite::Statement& statement, std::string_view network) {
  constexpr auto& c = kEndpoint;
  detail::StoredRow row(statement, "network");
  row.named(network);
  return {row.text(c.at("box_id")), row.text(c.at("box_name")), row.text(c.at("ip_address")),
          row.text(c.at("mac_address")),
          row.json<std::vector<std::string>>(c.at("aliases"), "aliases")};
}

NetworkConfig decode_network(const SQLite::Statement& statement) {
  constexpr auto& c = kNetwork;
  detail::StoredRow row(statement, "network");
  NetworkConfig n;
  n.name = row.text(c.at("name"));
  row.named(n.name);
  n.subnet = row.text(c.at("subnet"));
  n.gateway = row.text(c.at("gateway"));
  n.driver = row.text(c.at("driver"));
  n.labels = row.json<StringMap>(c.at("labels"), "labels");
  n.created_at = row.text(c.at("created_at"));
  n.policy = row.json<NetworkPolicy>(c.at("policy"), "policy");
  return n;
}

void add_endpoint(NetworkConfig& n, NetworkEndpoint e) {
  std::string key = e.box_id;
  n.endpoints.emplace_hint(n.endpoints.end(), std::move(key), std::move(e));
}

void insert_endpoint(Connection& conn, std::string_view network, const NetworkEndpoint& e) {
  constexpr auto& c = kEndpoint;
  auto insert = conn.prepare(kInsertEndpoint.c_str());
  insert->bind(c.param("network"), std::string(network));
  insert->bind(c.param("box_id"), e.box_id);
  insert->bind(c.param("box_name"), e.box_name);
  insert->bind(c.param("ip_address"), e.ip_address);
  insert->bind(c.param("mac_address"), e.mac_address);
  insert->bind(c.param("aliases"), json(e.aliases).dump());
  insert->exec();
}

bool exists(Connection& conn, std::string_view name) {
  auto q = conn.prepare("SELECT 1 FROM networks WHERE name = ?");
  q->bind(1, std::string(name));
  return q->executeStep();
}

}  // namespace

namespace detail {

std::optional<NetworkConfig> load_network(Connection& conn, std::string_view name) {
  auto row = conn.prepare(kSelectNetwork.c_str());
  row->bind(1, std::string(name));
  if (!row->executeStep()) return std::nullopt;
  NetworkConfig network = decode_network(*row);
  auto endpoints = conn.prepare(kSelectEndpoints.c_str());
  endpoints->bind(1, std::string(name));
  while (endpoints->executeStep()) add_endpoint(network, decode_endpoint(*endpoints, name));
  return network;
}

void store_network(Connection& conn, const NetworkConfig& n, bool replace) {
  constexpr auto& c = kNetwork;
  const json j = to_json(n);
  auto upsert = conn.prepare(kUpsertNetwork.c_str());
  upsert->bind(c.param("name"), n.name);
  upsert->bind(c.param("subnet"), n.subnet);
  upsert->bind(c.param("gateway"), n.gateway);
  upsert->bind(c.param("driver"), n.driver);
  upsert->bind(c.param("labels"), j.at("labels").dump());
  upsert->bind(c.param("created_at"), n.created_at);
  upsert->bind(c.param("policy"), j.at("policy").dump());
  upsert->exec();
  if (replace) {
    auto clear = conn.prepare("DELETE FROM network_endpoints WHERE network = ?");
    clear->bind(1, n.name);
    clear->exec();
  }
  for (const auto& [box_id, endpoint] : n.endpoints) insert_endpoint(conn, n.name, endpoint);
}

}  // namespace detail

bool subnet_has_host_bits(std::string_view subnet) {
  try {
    return detail::parse_subnet({}, subnet).has_host_bits();
  } catch (const Error&) {
    return false;
  }
}

std::optional<NetworkConfig> SqliteNetworkStore::get(std::string_view name) const {
  validate_name("network name", name);
  return db_.read(network_name(name), [&](Connection& conn) { return load_network(conn, name); });
}

NetworkConfig SqliteNetworkStore::create(const NetworkConfig& config) {
  const NetworkConfig network = detail::network_to_create(config);
  return db_.write_grouped(network_name(network.name), [&](Connection& conn) {
    if (exists(conn, network.name)) throw detail::network_exists(network.name);
    store_network(conn, network, /*replace=*/false);
    return network;
  });
}

NetworkConfig SqliteNetworkStore::update(const NetworkConfig& config) {
  validate(config);
  return db_.write_grouped(network_name(config.name), [&](Connection& conn) {
    if (!exists(conn, config.name)) throw not_found("network", config.name);
    store_network(conn, config, /*replace=*/true);
    return config;
  });
}

NetworkConfig SqliteNetworkStore::remove(std::string_view name, bool force) {
  validate_name("network name", name);
  return db_.write_grouped(network_name(name), [&](Connection& conn) {
    auto network = load_network(conn, name);
    if (!network) throw not_found("network", name);
    if (!network->endpoints.empty() && !force) throw detail::network_in_use(*network);
    auto erase = conn.prepare("DELETE FROM networks WHERE name = ?");
    erase->bind(1, std::string(name));
    erase->exec();  // endpoints go with it (ON DELETE CASCADE)
    return *network;
  });
}

std::vector<NetworkConfig> SqliteNetworkStore::list() const {
  return db_.read("networks", [&](Connection& conn) {
    // Two ordered scans merged, rather than one endpoint query per network.
    std::vector<NetworkConfig> networks;
    networks.reserve(static_cast<std::size_t>(conn.scalar("SELECT count(*) FROM networks")));
    auto rows = conn.prepare(kSelectNetworks.c_str());
    while (rows->executeStep()) networks.push_back(decode_network(*rows));
    auto endpoints = conn.prepare(kSelectAllEndpoints.c_str());
    auto record = networks.begin();
    while (endpoints->executeStep()) {
      const std::string_view network =
          detail::StoredRow(*endpoints, "network").view(kEndpoint.at("network"));
      while (record != networks.end() && record->name < network) ++record;
      if (record == networks.end()) break;
      add_endpoint(*record, decode_endpoint(*endpoints, record->name));
    }
    return networks;
  });
}

std::vector<NetworkSummary> SqliteNetworkStore::summaries() const {
  return db_.read("networks", [&](Connection& conn) {
    // Two ordered scans merged, as list() does, rather than a correlated
    // count(*) per network: for 10,000 networks that query's 10,000 index
    // seeks made its steps cost 63 M instructions, two thirds of a cold
    // `network ls`; the two scans (the endpoints' through a covering index)
    // cost 26 M.
    std::vector<NetworkSummary> networks;
    // The count (a walk of the smallest index, in the same read transaction)
    // sizes the vector once: growing it instead cost more than the count
    // for 10,000 networks (2.5% more instructions and 600 more page faults,
    // from the copies the growth leaves behind).
    networks.reserve(static_cast<std::size_t>(conn.scalar("SELECT count(*) FROM networks")));
    auto rows = conn.prepare(
        "SELECT name, subnet, gateway, driver, created_at FROM networks ORDER BY name");
    while (rows->executeStep()) {
      const detail::StoredRow row(*rows, "network");
      networks.push_back({row.text(0), row.text(1), row.text(2), row.text(3), 0, row.text(4)});
    }
    auto endpoints = conn.prepare("SELECT network FROM network_endpoints ORDER BY network");
    auto summary = networks.begin();
    while (endpoints->executeStep()) {
      // Both orders are SQLite's BINARY collation, which std::string's
      // comparison (bytes as unsigned char, then length) also is.
      const std::string_view network = detail::StoredRow(*endpoints, "network").view(0);
      while (summary != networks.end() && summary->name < network) ++summary;
      if (summary == networks.end()) break;
      if (summary->name == network) ++summary->endpoint_count;
    }
    return networks;
  });
}

NetworkEndpoint SqliteNetworkStore::connect(std::string_view network, std::string_view box_id,
                                            std::string_view box_name,
                                            const std::vector<std::string>& aliases) {
  NetworkEndpoint endpoint = detail::endpoint_to_connect(network, box_id, box_name, aliases);

  return db_.write_grouped(network_name(network), [&](Connection& conn) {
    auto row = conn.prepare("SELECT subnet, gateway FROM networks WHERE name = ?");
    row->bind(1, std::string(network));
    if (!row->executeStep()) throw not_found("network", network);
    const std::string subnet = row->getColumn(0).getString();
    const std::string gateway = row->getColumn(1).getString();

    auto taken = conn.prepare(
        "SELECT box_id, ip_address FROM network_endpoints WHERE network = ? ORDER BY box_id");
    taken->bind(1, std::string(network));
    std::vector<std::uint32_t> used;
    while (taken->executeStep()) {
      if (taken->getColumn(0).getString() == box_id) {
        throw detail::already_connected(network, box_id);
      }
      if (auto ip = detail::parse_ipv4(taken->getColumn(1).getString())) used.push_back(*ip);
    }
    const std::size_t endpoint_count = used.size();
    detail::assign_address(endpoint, network, subnet, gateway, endpoint_count, std::move(used));
    insert_endpoint(conn, network, endpoint);
    return endpoint;
  });
}

NetworkEndpoint SqliteNetworkStore::disconnect(std::string_view network, std::string_view box_id) {
  validate_name("network name", network);
  validate_identifier(network_name(network) + ": box ID", box_id);
  return db_.write_grouped(network_name(network), [&](Connection& conn) {
    if (!exists(conn, network)) throw not_found("network", network);
    auto row = conn.prepare(kSelectEndpoint.c_str());
    row->bind(1, std::string(network));
    row->bind(2, std::string(box_id));
    if (!row->executeStep()) throw detail::not_connected(network, box_id);
    NetworkEndpoint endpoint = decode_endpoint(*row, network);
    auto erase = conn.prepare("DELETE FROM network_endpoints WHERE network = ? AND box_id = ?");
    erase->bind(1, std::string(network));
    erase->bind(2, std::string(box_id));
    erase->exec();
    return endpoint;
  });
}

}  // namespace a3s::store
