// Each catalog's rows read and written as records, inside a transaction the
// caller holds: the stores' own row code (defined in <kind>_store.cpp), which
// import shares so that an imported record is stored exactly as the store
// stores it. Internal. None of these validates: callers pass validated
// records. SQLite failures propagate as SQLite::Exception.
#pragma once

#include <optional>
#include <string_view>

#include "a3s/store/records.hpp"

namespace a3s::store {
class Connection;
}  // namespace a3s::store

namespace a3s::store::detail {

// The network named `name` with its endpoints, or nullopt.
std::optional<NetworkConfig> load_network(Connection& conn, std::string_view name);
// Writes the networks row and its endpoints: inserted, or with `replace`
// replacing the row named n.name and all its endpoints.
void store_network(Connection& conn, const NetworkConfig& n, bool replace);

// The volume named `name` with its users in order, or nullopt.
std::optional<VolumeConfig> load_volume(Connection& conn, std::string_view name);
// Writes the volumes row and its users, as store_network does.
void store_volume(Connection& conn, const VolumeConfig& v, bool replace);

// The snapshot `id`, or nullopt.
std::optional<SnapshotMetadata> load_snapshot(Connection& conn, std::string_view id);
// Inserts the snapshots row (the running totals follow by trigger).
void insert_snapshot(Connection& conn, const SnapshotMetadata& s);

// The image stored under `reference`, or nullopt.
std::optional<StoredImage> load_image(Connection& conn, std::string_view reference);
// Inserts the images row, or replaces the one with the same reference, and
// returns it as stored (the layout totals follow by trigger).
StoredImage store_image(Connection& conn, const StoredImage& i);

}  // namespace a3s::store::detail
