#include "sqlite_snapshot_store.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "catalog_rows.hpp"
#include "catalog_totals.hpp"
#include "column_list.hpp"
#include "database.hpp"
#include "directory_change.hpp"
#include "fault_injection.hpp"
#include "rfc3339.hpp"
#include "snapshot_rules.hpp"
#include "sqlite_catalog_records.hpp"
#include "stored_row.hpp"

namespace a3s::store {
namespace fs = std::filesystem;

namespace {

using detail::rootfs_source_exists;
using detail::snapshot_name;
using detail::stage_rootfs;
using nlohmann::json;

// One definition of the snapshots columns: the SQL below, decode() and
// insert_snapshot() all follow it.
constexpr detail::ColumnList kSnapshot{"id",           "name",         "source_box_id",
                                       "image",        "vcpus",        "memory_mb",
                                       "volumes",      "env",          "cmd",
                                       "entrypoint",   "workdir",      "port_map",
                                       "labels",       "network_mode", "rootfs_cache_key",
                                       "size_bytes",   "created_at",   "description",
                                       "image_config", "health_check", "healthcheck_disabled"};

const std::string kSnapshotColumns = kSnapshot.list();
const std::string kSelectSnapshot = "SELECT " + kSnapshotColumns + " FROM snapshots WHERE id = ?";
const std::string kSelectSnapshots =
    "SELECT " + kSnapshotColumns + " FROM snapshots ORDER BY created_at DESC, id";
const std::string kInsertSnapshot =
    "INSERT INTO snapshots (" + kSnapshotColumns + ") VALUES (" + kSnapshot.placeholders() + ")";
const std::string kDeleteSnapshot =
    "DELETE FROM snapshots WHERE id = ? RETURNING " + kSnapshotColumns;

// Row → record (see stored_row.hpp for what is checked on the way).
SnapshotMetadata decode(const SQLite::Statement& statement) {
  using Strings = std::vector<std::string>;
  constexpr auto& c = kSnapshot;
  detail::StoredRow row(statement, "snapshot");
  SnapshotMetadata s;
  s.id = row.text(c.at("id"));
  row.named(s.id);
  s.name = row.text(c.at("name"));
  s.source_box_id = row.text(c.at("source_box_id"));
  s.image = row.text(c.at("image"));
  // vcpus and memory_mb are CHECKed to fit in the schema.
  s.vcpus = static_cast<std::uint32_t>(row.u64(c.at("vcpus")));
  s.memory_mb = static_cast<std::uint32_t>(row.u64(c.at("memory_mb")));
  s.volumes = row.json<Strings>(c.at("volumes"), "volumes");
  s.env = row.json<StringMap>(c.at("env"), "env");
  s.cmd = row.json<Strings>(c.at("cmd"), "cmd");
  s.entrypoint = row.optional_json<Strings>(c.at("entrypoint"), "entrypoint");
  s.workdir = row.optional_text(c.at("workdir"));
  s.port_map = row.json<Strings>(c.at("port_map"), "port_map");
  s.labels = row.json<StringMap>(c.at("labels"), "labels");
  s.network_mode = row.optional_text(c.at("network_mode"));
  s.rootfs_cache_key = row.optional_text(c.at("rootfs_cache_key"));
  s.size_bytes = row.u64(c.at("size_bytes"));
  s.created_at = row.time(c.at("created_at"), "created_at");
  s.description = row.text(c.at("description"));
  s.image_config = row.optional_object_text(c.at("image_config"), "image_config");
  s.health_check = row.optional_object_text(c.at("health_check"), "health_check");
  s.healthcheck_disabled = row.u64(c.at("healthcheck_disabled")) != 0;
  return s;
}

void bind_optional(SQLite::Statement& s, int index, const std::optional<std::string>& v) {
  if (v) {
    s.bind(index, *v);
  } else {
    s.bind(index);
  }
}

bool exists(Connection& conn, std::string_view id) {
  auto q = conn.prepare("SELECT 1 FROM snapshots WHERE id = ?");
  q->bind(1, std::string(id));
  return q->executeStep();
}

}  // namespace

namespace detail {

std::optional<SnapshotMetadata> load_snapshot(Connection& conn, std::string_view id) {
  auto q = conn.prepare(kSelectSnapshot.c_str());
  q->bind(1, std::string(id));
  if (!q->executeStep()) return std::nullopt;
  return decode(*q);
}

void insert_snapshot(Connection& conn, const SnapshotMetadata& s) {
  constexpr auto& c = kSnapshot;
  auto q = conn.prepare(kInsertSnapshot.c_str());
  q->bind(c.param("id"), s.id);
  q->bind(c.param("name"), s.name);
  q->bind(c.param("source_box_id"), s.source_box_id);
  q->bind(c.param("image"), s.image);
  q->bind(c.param("vcpus"), static_cast<std::int64_t>(s.vcpus));
  q->bind(c.param("memory_mb"), static_cast<std::int64_t>(s.memory_mb));
  q->bind(c.param("volumes"), json(s.volumes).dump());
  q->bind(c.param("env"), json(s.env).dump());
  q->bind(c.param("cmd"), json(s.cmd).dump());
  bind_optional(*q, c.param("entrypoint"),
                s.entrypoint ? std::optional(json(*s.entrypoint).dump()) : std::nullopt);
  bind_optional(*q, c.param("workdir"), s.workdir);
  q->bind(c.param("port_map"), json(s.port_map).dump());
  q->bind(c.param("labels"), json(s.labels).dump());
  bind_optional(*q, c.param("network_mode"), s.network_mode);
  bind_optional(*q, c.param("rootfs_cache_key"), s.rootfs_cache_key);
  q->bind(c.param("size_bytes"), static_cast<std::int64_t>(s.size_bytes));
  q->bind(c.param("created_at"), format_rfc3339_sortable(s.created_at));
  q->bind(c.param("description"), s.description);
  bind_optional(*q, c.param("image_config"), s.image_config);
  bind_optional(*q, c.param("health_check"), s.health_check);
  q->bind(c.param("healthcheck_disabled"), s.healthcheck_disabled ? 1 : 0);
  q->exec();
}

}  // namespace detail

SnapshotMetadata SqliteSnapshotStore::save(const SnapshotMetadata& metadata,
                                           const fs::path& rootfs_source) {
  directory_of(metadata.id);  // validates the ID before it becomes a path
  validate(metadata);
  // Fail fast before a possibly long copy; checked again under the lock.
  if (db_.read(snapshot_name(metadata.id),
               [&](Connection& conn) { return exists(conn, metadata.id); })) {
    throw detail::snapshot_taken(metadata.id);
  }
  const auto source =
      rootfs_source_exists(rootfs_source) ? std::optional<fs::path>(rootfs_source) : std::nullopt;
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::snapshots,
                                 snapshot_name(metadata.id));
  SnapshotMetadata saved = metadata;
  change.stage("snapshot", [&](int parent_fd, const std::string& name, const fs::path& path) {
    saved.size_bytes = stage_rootfs(source, parent_fd, name, path);
  });
  validate(saved);
  A3S_FAULT_POINT("snapshot.save.after_copy");
  db_.write(snapshot_name(saved.id), [&](Connection& conn) {
    if (exists(conn, saved.id)) throw detail::snapshot_taken(saved.id);
    detail::SqliteCatalogTxn txn(conn);
    change.place(txn, saved.id);
    detail::insert_snapshot(conn, saved);
    A3S_FAULT_POINT("snapshot.save.before_commit");
    return 0;
  });
  A3S_FAULT_POINT("snapshot.save.after_commit");
  change.finish();
  return saved;
}

std::optional<SnapshotMetadata> SqliteSnapshotStore::get(std::string_view id) const {
  validate_name("snapshot ID", id);
  return db_.read(snapshot_name(id),
                  [&](Connection& conn) { return detail::load_snapshot(conn, id); });
}

std::vector<SnapshotMetadata> SqliteSnapshotStore::list() const {
  return db_.read("snapshots", [&](Connection& conn) {
    auto q = conn.prepare(kSelectSnapshots.c_str());
    std::vector<SnapshotMetadata> snapshots;
    while (q->executeStep()) snapshots.push_back(decode(*q));
    return snapshots;
  });
}

std::optional<SnapshotMetadata> SqliteSnapshotStore::remove(std::string_view id) {
  directory_of(id);  // validates the ID
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::snapshots, snapshot_name(id));
  auto removed =
      db_.write(snapshot_name(id), [&](Connection& conn) -> std::optional<SnapshotMetadata> {
        detail::SqliteCatalogTxn txn(conn);
        auto q = conn.prepare(kDeleteSnapshot.c_str());
        q->bind(1, std::string(id));
        if (!q->executeStep()) {
          change.remove_after_commit(txn, {});  // after a retry: the other run's names go
          return std::nullopt;
        }
        SnapshotMetadata snapshot = decode(*q);
        q->executeStep();  // to SQLITE_DONE: the delete is complete
        change.remove_after_commit(txn, {std::string(id)});
        A3S_FAULT_POINT("snapshot.delete.before_commit");
        return snapshot;
      });
  if (removed) A3S_FAULT_POINT("snapshot.delete.after_commit");
  change.finish();
  return removed;
}

std::uint64_t SqliteSnapshotStore::count() const {
  return db_.read("snapshots", [&](Connection& conn) {
    return detail::catalog_totals(conn, "snapshots").records;
  });
}

std::uint64_t SqliteSnapshotStore::total_size() const {
  return db_.read("snapshots", [&](Connection& conn) {
    return detail::catalog_totals(conn, "snapshots").bytes;
  });
}

std::vector<std::string> SqliteSnapshotStore::prune(std::uint64_t max_count,
                                                    std::uint64_t max_bytes) {
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::snapshots, "snapshots");
  auto pruned = db_.write("snapshots", [&](Connection& conn) {
    // Named fields, not a structured binding: the lambda below captures
    // them, which clang before 16 cannot do with bindings.
    detail::CatalogTotals totals = detail::catalog_totals(conn, "snapshots");
    std::uint64_t& count = totals.records;
    std::uint64_t& bytes = totals.bytes;
    auto over = [&] {
      return (max_count != 0 && count > max_count) || (max_bytes != 0 && bytes > max_bytes);
    };
    std::vector<std::string> ids;
    auto oldest = conn.prepare("SELECT id, size_bytes FROM snapshots ORDER BY created_at, id");
    while (over() && oldest->executeStep()) {
      ids.push_back(oldest->getColumn(0).getString());
      --count;
      bytes -= static_cast<std::uint64_t>(oldest->getColumn(1).getInt64());
    }
    detail::SqliteCatalogTxn txn(conn);
    change.remove_after_commit(txn, ids);
    auto erase = conn.prepare("DELETE FROM snapshots WHERE id = ?");
    for (const auto& id : ids) {
      erase->reset();
      erase->bind(1, id);
      erase->exec();
    }
    if (!ids.empty()) A3S_FAULT_POINT("snapshot.prune.before_commit");
    return ids;
  });
  if (!pruned.empty()) A3S_FAULT_POINT("snapshot.prune.after_commit");
  change.finish();
  return pruned;
}

}  // namespace a3s::store
