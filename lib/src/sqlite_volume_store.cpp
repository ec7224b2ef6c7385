#include "sqlite_volume_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "catalog_rows.hpp"
#include "column_list.hpp"
#include "database.hpp"
#include "directory_change.hpp"
#include "fault_injection.hpp"
#include "sqlite_catalog_records.hpp"
#include "stored_row.hpp"
#include "volume_rules.hpp"

namespace a3s::store {
namespace fs = std::filesystem;

using detail::load_volume;
using detail::store_volume;

namespace {

using nlohmann::json;

using detail::volume_object;

// u64 sizes are stored as the int64 with the same bits (see 0001_initial.sql).
std::int64_t to_column(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// One definition of the volumes columns: the SQL below, decode_volume() and
// the binds all follow it.
constexpr detail::ColumnList kVolume{"name",   "driver",     "mount_point",
                                     "labels", "size_limit", "created_at"};

const std::string kVolumeColumns = kVolume.list();
const std::string kSelectVolume = "SELECT " + kVolumeColumns + " FROM volumes WHERE name = ?";
const std::string kSelectVolumes = "SELECT " + kVolumeColumns + " FROM volumes ORDER BY name";
const std::string kUpsertVolume = "INSERT INTO volumes (" + kVolumeColumns + ") VALUES (" +
                                  kVolume.placeholders() + ") ON CONFLICT (name) DO UPDATE SET " +
                                  kVolume.set_from_excluded("name");

// Row → record (see stored_row.hpp for what is checked on the way).
VolumeConfig decode_volume(const SQLite::Statement& statement) {
  constexpr auto& c = kVolume;
  detail::StoredRow row(statement, "volume");
  VolumeConfig v;
  v.name = row.text(c.at("name"));
  row.named(v.name);
  v.driver = row.text(c.at("driver"));
  v.mount_point = row.text(c.at("mount_point"));
  v.labels = row.json<StringMap>(c.at("labels"), "labels");
  v.size_limit = row.u64(c.at("size_limit"));
  v.created_at = row.text(c.at("created_at"));
  return v;
}

VolumeConfig load_existing(Connection& conn, std::string_view name) {
  auto volume = load_volume(conn, name);
  if (!volume) throw not_found("volume", name);
  return *volume;
}

void add_user(Connection& conn, std::string_view volume, std::string_view box_id) {
  auto insert = conn.prepare(
      "INSERT INTO volume_users (volume, box_id, position) "
      "VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM volume_users "
      "WHERE volume = ?1))");
  insert->bind(1, std::string(volume));
  insert->bind(2, std::string(box_id));
  insert->exec();
}

void erase(Connection& conn, std::string_view name) {
  auto erase = conn.prepare("DELETE FROM volumes WHERE name = ?");
  erase->bind(1, std::string(name));
  erase->exec();  // users go with it (ON DELETE CASCADE)
}

}  // namespace

namespace detail {

std::optional<VolumeConfig> load_volume(Connection& conn, std::string_view name) {
  auto row = conn.prepare(kSelectVolume.c_str());
  row->bind(1, std::string(name));
  if (!row->executeStep()) return std::nullopt;
  VolumeConfig volume = decode_volume(*row);
  auto users = conn.prepare("SELECT box_id FROM volume_users WHERE volume = ? ORDER BY position");
  users->bind(1, std::string(name));
  while (users->executeStep()) volume.in_use_by.push_back(users->getColumn(0).getString());
  return volume;
}

void store_volume(Connection& conn, const VolumeConfig& v, bool replace) {
  constexpr auto& c = kVolume;
  auto upsert = conn.prepare(kUpsertVolume.c_str());
  upsert->bind(c.param("name"), v.name);
  upsert->bind(c.param("driver"), v.driver);
  upsert->bind(c.param("mount_point"), v.mount_point);
  upsert->bind(c.param("labels"), json(v.labels).dump());
  upsert->bind(c.param("size_limit"), to_column(v.size_limit));
  upsert->bind(c.param("created_at"), v.created_at);
  upsert->exec();
  if (replace) {
    auto clear = conn.prepare("DELETE FROM volume_users WHERE volume = ?");
    clear->bind(1, v.name);
    clear->exec();
  }
  for (const auto& box_id : v.in_use_by) add_user(conn, v.name, box_id);
}

}  // namespace detail

std::optional<VolumeConfig> SqliteVolumeStore::get(std::string_view name) const {
  validate_name("volume name", name);
  return db_.read(volume_object(name), [&](Connection& conn) { return load_volume(conn, name); });
}

VolumeConfig SqliteVolumeStore::create(const VolumeConfig& config) {
  return create(config, /*existing_ok=*/false);
}

VolumeConfig SqliteVolumeStore::get_or_create(const VolumeConfig& config) {
  if (auto existing = get(config.name)) return *existing;
  return create(config, /*existing_ok=*/true);
}

VolumeConfig SqliteVolumeStore::create(const VolumeConfig& config, bool existing_ok) {
  validate_name("volume name", config.name);  // before the name becomes a path
  VolumeConfig volume = config;
  volume.mount_point = (volumes_dir_ / config.name).string();
  validate(volume);
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::volumes,
                                 volume_object(volume.name));
  change.stage("volume", detail::make_volume_directory);
  VolumeConfig stored = db_.write(volume_object(config.name), [&](Connection& conn) {
    if (auto existing = load_volume(conn, volume.name)) {
      if (existing_ok) return *existing;
      throw Error(ErrorCode::already_exists, volume_object(volume.name) + " already exists");
    }
    // A directory already there without a row is user data (a volume removed
    // while its directory was busy, or made by hand): the volume takes it
    // over as it is rather than moving it away.
    if (change.placed() ||
        change.catalog().entry_type(volume.name) != detail::EntryType::directory) {
      detail::SqliteCatalogTxn txn(conn);
      change.place(txn, volume.name);
    }
    store_volume(conn, volume, /*replace=*/false);
    A3S_FAULT_POINT("volume.create.before_commit");
    return volume;
  });
  change.finish();
  return stored;
}

VolumeConfig SqliteVolumeStore::remove(std::string_view name, bool force) {
  validate_name("volume name", name);
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::volumes, volume_object(name));
  VolumeConfig removed = db_.write(volume_object(name), [&](Connection& conn) {
    VolumeConfig volume = load_existing(conn, name);
    if (!volume.in_use_by.empty() && !force) throw detail::volume_in_use(volume);
    detail::SqliteCatalogTxn txn(conn);
    change.remove_after_commit(txn, {std::string(name)});
    erase(conn, name);
    return volume;
  });
  change.finish();
  return removed;
}

std::vector<VolumeConfig> SqliteVolumeStore::list() const {
  return db_.read("volumes", [&](Connection& conn) {
    std::vector<VolumeConfig> volumes;
    volumes.reserve(static_cast<std::size_t>(conn.scalar("SELECT count(*) FROM volumes")));
    auto rows = conn.prepare(kSelectVolumes.c_str());
    while (rows->executeStep()) volumes.push_back(decode_volume(*rows));
    auto users = conn.prepare("SELECT volume, box_id FROM volume_users ORDER BY volume, position");
    auto record = volumes.begin();
    while (users->executeStep()) {
      const std::string_view volume = detail::StoredRow(*users, "volume").view(0);
      while (record != volumes.end() && record->name < volume) ++record;
      if (record == volumes.end()) break;
      record->in_use_by.push_back(users->getColumn(1).getString());
    }
    return volumes;
  });
}

VolumeConfig SqliteVolumeStore::update(const VolumeConfig& config) {
  validate_name("volume name", config.name);
  return db_.write_grouped(volume_object(config.name), [&](Connection& conn) {
    VolumeConfig volume = config;
    volume.mount_point = load_existing(conn, config.name).mount_point;
    validate(volume);
    store_volume(conn, volume, /*replace=*/true);
    return volume;
  });
}

VolumeConfig SqliteVolumeStore::attach(std::string_view name, std::string_view box_id) {
  validate_name("volume name", name);
  validate_identifier(volume_object(name) + ": box ID", box_id);
  return db_.write_grouped(volume_object(name), [&](Connection& conn) {
    VolumeConfig volume = load_existing(conn, name);
    if (detail::add_volume_user(volume, box_id)) add_user(conn, name, box_id);
    return volume;
  });
}

VolumeConfig SqliteVolumeStore::detach(std::string_view name, std::string_view box_id) {
  validate_name("volume name", name);
  validate_identifier(volume_object(name) + ": box ID", box_id);
  return db_.write_grouped(volume_object(name), [&](Connection& conn) {
    VolumeConfig volume = load_existing(conn, name);
    auto erase_user = conn.prepare("DELETE FROM volume_users WHERE volume = ? AND box_id = ?");
    erase_user->bind(1, std::string(name));
    erase_user->bind(2, std::string(box_id));
    erase_user->exec();
    std::erase(volume.in_use_by, std::string(box_id));
    return volume;
  });
}

std::vector<std::string> SqliteVolumeStore::prune() {
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::volumes, "volumes");
  auto pruned = db_.write("volumes", [&](Connection& conn) {
    std::vector<std::string> names;
    auto unused = conn.prepare(
        "SELECT name FROM volumes WHERE NOT EXISTS "
        "(SELECT 1 FROM volume_users WHERE volume_users.volume = volumes.name) ORDER BY name");
    while (unused->executeStep()) names.push_back(unused->getColumn(0).getString());
    detail::SqliteCatalogTxn txn(conn);
    change.remove_after_commit(txn, names);
    for (const auto& name : names) erase(conn, name);
    return names;
  });
  change.finish();
  return pruned;
}

}  // namespace a3s::store
