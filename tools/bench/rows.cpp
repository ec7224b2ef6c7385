#include "rows.hpp"

namespace bench {

namespace st = a3s::store;

void bind_json(Stmt& s, int col, const nlohmann::json& encoded, const char* key) {
  const auto it = encoded.find(key);
  if (it == encoded.end() || it->is_null()) {
    s.bind_null(col);
  } else {
    s.bind_copy(col, it->dump());
  }
}

void insert_network(Stmt& networks, Stmt& endpoints, const NetworkConfig& n) {
  const nlohmann::json encoded = st::to_json(n);
  networks.bind_ref(1, n.name).bind_ref(2, n.subnet).bind_ref(3, n.gateway).bind_ref(4, n.driver);
  bind_json(networks, 5, encoded, "labels");
  networks.bind_ref(6, n.created_at);
  bind_json(networks, 7, encoded, "policy");
  networks.run();
  for (const auto& [box_id, e] : n.endpoints) insert_endpoint(endpoints, n.name, e);
}

void insert_endpoint(Stmt& endpoints, std::string_view network, const NetworkEndpoint& e) {
  endpoints.bind_ref(1, network)
      .bind_ref(2, e.box_id)
      .bind_ref(3, e.box_name)
      .bind_ref(4, e.ip_address)
      .bind_ref(5, e.mac_address);
  bind_json(endpoints, 6, st::to_json(e), "aliases");
  endpoints.run();
}

}  // namespace bench
