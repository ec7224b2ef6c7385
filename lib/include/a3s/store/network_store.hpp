// Networks and their endpoints (SPEC §4 "Networks"): the interface every
// backend implements (SPEC §9); Store::open (store.hpp) hands out the one its
// Options select.
//
// Thread safety: every method may be called from any thread at the same time;
// each read-modify-write is one SQLite transaction, or one etcd
// compare-and-swap transaction retried on conflict, so concurrent callers in
// this or other processes (or, on etcd, other hosts) never lose each other's
// changes. SQLite only: read-modify-writes hold the write lock for their
// whole length (BEGIN IMMEDIATE), and writes from threads of one process at
// the same time share one transaction and its commit (group commit: one
// fsync for the group at Durability::full); a call that fails there is
// rolled back alone and throws its own error while the others commit, and
// when that shared commit fails, every call in it throws, none of them done.
// On either backend a call is atomic and returns only once its change is
// committed, so at Durability::full (SQLite) or on a quorum (etcd) an
// acknowledged change is durable.
//
// Every method may also throw Error(busy) when another process holds SQLite's
// write lock for longer than the busy timeout and retries, or when no etcd
// member with a leader answers in time; Error(io) on a filesystem failure and
// Error(corrupt) on a damaged database or record.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/records.hpp"

namespace a3s::store {

// A network as listings show it: its own fields, with the endpoints counted
// rather than carried, and no labels or policy.
struct NetworkSummary {
  std::string name;
  std::string subnet;
  std::string gateway;
  std::string driver;
  std::size_t endpoint_count = 0;
  std::string created_at;
  bool operator==(const NetworkSummary&) const = default;
};

// Whether `subnet` is a valid CIDR whose address has host bits set
// ("10.88.0.5/24"). Such a subnet is kept as written, and its gateway and
// the addresses connect() hands out count from that address, not from the
// network address (SPEC §4). False for a CIDR create() would refuse.
bool subnet_has_host_bits(std::string_view subnet);

class NetworkStore {
 public:
  virtual ~NetworkStore() = default;
  NetworkStore(const NetworkStore&) = delete;
  NetworkStore& operator=(const NetworkStore&) = delete;

  // Returns the network named `name`, or nullopt.
  // Throws invalid_argument for an invalid name.
  virtual std::optional<NetworkConfig> get(std::string_view name) const = 0;

  // Stores `config` (with any endpoints it carries) and returns it as stored.
  // An empty gateway is derived as 2.4.0 does: the subnet's address as
  // written + 1, host bits included ("10.88.0.5/24" gets 10.88.0.6).
  // Throws invalid_argument for a bad field (name, subnet, gateway, labels,
  // endpoints outside the subnet or sharing an IP), already_exists if the
  // name is taken.
  virtual NetworkConfig create(const NetworkConfig& config) = 0;

  // Removes the network and returns it as it was. Throws not_found, and
  // in_use while endpoints are connected unless `force`.
  virtual NetworkConfig remove(std::string_view name, bool force = false) = 0;

  // Returns every network, sorted by name.
  virtual std::vector<NetworkConfig> list() const = 0;

  // Returns a summary of every network, sorted by name: what a listing
  // shows, at a fraction of list()'s cost (no endpoint records built; on
  // SQLite no JSON decoded either).
  virtual std::vector<NetworkSummary> summaries() const = 0;

  // Replaces the record named config.name wholesale (endpoints included).
  // Throws not_found, invalid_argument as create.
  virtual NetworkConfig update(const NetworkConfig& config) = 0;

  // Connects `box_id` to the network: allocates the lowest free address
  // from the subnet's address as written + 2 to broadcast - 1 (host bits
  // kept, as 2.4.0 counts; skipping the gateway), derives the MAC
  // (02:42 + the four octets), drops empty aliases and any equal to
  // box_name, and returns the new endpoint. Throws not_found (network),
  // already_exists (box already connected), exhausted (no address left),
  // invalid_argument (box ID, box name or an alias).
  virtual NetworkEndpoint connect(std::string_view network, std::string_view box_id,
                                  std::string_view box_name,
                                  const std::vector<std::string>& aliases = {}) = 0;

  // Disconnects `box_id` and returns the endpoint it had. Throws not_found
  // for an unknown network or a box that is not connected.
  virtual NetworkEndpoint disconnect(std::string_view network, std::string_view box_id) = 0;

 protected:
  // Made by a backend, which Store::open alone creates.
  NetworkStore() = default;
};

}  // namespace a3s::store
