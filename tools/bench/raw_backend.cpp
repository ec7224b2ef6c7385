// `sqlite-raw`: the floor for this design. Hand-written sqlite3 C API calls on
// the same schema with the same PRAGMAs (foreign_keys=ON, recursive_triggers=ON,
// synchronous FULL/NORMAL, mmap_size 256 MiB, journal_mode=WAL, busy_timeout
// 5000); every statement is prepared once per connection and reused; reads
// decode rows straight into the same record structs the engine returns, with
// no validation and no intermediate JSON document. What is not SQL is the
// library's own: the JSON columns are written by its record codec (rows.hpp)
// and read by its stored-row decoders, and connect takes its IPAM (ipv4.hpp).
#include <algorithm>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "bench.hpp"
#include "ipv4.hpp"
#include "rows.hpp"
#include "sqlite_util.hpp"
#include "stored_row.hpp"

namespace bench {
namespace {

namespace st = a3s::store;
namespace detail = a3s::store::detail;

class RawBackend final : public Backend {
 public:
  RawBackend(const fs::path& home, Durability durability)
      : home_(home), durability_(durability), db_(open_db(home / "box.db", durability)) {}

  std::optional<NetworkConfig> network_get(const std::string& name) override {
    return read([&] {
      std::optional<NetworkConfig> out;
      net_get_.bind_ref(1, name);
      if (net_get_.step()) {
        out = decode_network(net_get_);
        ep_get_.bind_ref(1, name);
        while (ep_get_.step()) {
          NetworkEndpoint e = decode_endpoint(ep_get_, name);
          std::string key = e.box_id;
          out->endpoints.emplace(std::move(key), std::move(e));
        }
        ep_get_.reset();
      }
      net_get_.reset();
      return out;
    });
  }

  void network_create(const NetworkConfig& n) override {
    write([&] {
      insert_network(net_insert_, ep_insert_, n);
      return 0;
    });
  }

  NetworkEndpoint network_connect(const std::string& network, const std::string& box_id,
                                  const std::string& box_name) override {
    return write([&] {
      net_addr_.bind_ref(1, network);
      if (!net_addr_.step()) {
        net_addr_.reset();
        throw std::runtime_error("network not found");
      }
      const detail::Subnet subnet = detail::parse_subnet(network, net_addr_.text(0));
      const auto gateway = detail::parse_ipv4(net_addr_.text(1));
      net_addr_.reset();
      std::vector<std::uint32_t> used;
      ep_taken_.bind_ref(1, network);
      while (ep_taken_.step()) {
        if (ep_taken_.text(0) == box_id) {
          ep_taken_.reset();
          throw std::runtime_error("box already connected");
        }
        if (auto ip = detail::parse_ipv4(ep_taken_.text(1))) used.push_back(*ip);
      }
      ep_taken_.reset();
      if (gateway) used.push_back(*gateway);
      const auto ip = detail::lowest_free_address(subnet, std::move(used));
      if (!ip) throw std::runtime_error("network exhausted");
      NetworkEndpoint endpoint{
          box_id, box_name, detail::format_ipv4(*ip), detail::mac_for(*ip), {}};
      insert_endpoint(ep_insert_, network, endpoint);
      return endpoint;
    });
  }

  NetworkEndpoint network_disconnect(const std::string& network,
                                     const std::string& box_id) override {
    return write([&] {
      ep_one_.bind_ref(1, network).bind_ref(2, box_id);
      if (!ep_one_.step()) {
        ep_one_.reset();
        throw std::runtime_error("box not connected to the network");
      }
      NetworkEndpoint endpoint = decode_endpoint(ep_one_, network);
      ep_one_.reset();
      ep_delete_.bind_ref(1, network).bind_ref(2, box_id);
      ep_delete_.run();
      return endpoint;
    });
  }

  std::vector<NetworkConfig> network_list() override {
    return read([&] {
      std::vector<NetworkConfig> out;
      while (net_all_.step()) out.push_back(decode_network(net_all_));
      net_all_.reset();
      attach(out, ep_all_, 5, [](NetworkConfig& n, const Stmt& row) {
        NetworkEndpoint e = decode_endpoint(row, n.name);
        std::string key = e.box_id;
        n.endpoints.emplace(std::move(key), std::move(e));
      });
      return out;
    });
  }

  VolumeConfig volume_attach(const std::string& name, const std::string& box_id) override {
    return write([&] {
      VolumeConfig v = load_volume(name);
      if (std::find(v.in_use_by.begin(), v.in_use_by.end(), box_id) == v.in_use_by.end()) {
        user_insert_.bind_ref(1, name).bind_ref(2, box_id);
        user_insert_.run();
        v.in_use_by.push_back(box_id);
      }
      return v;
    });
  }

  // An existing volume is returned as it is; a new one gets the directory
  // <home>/volumes/<name> as its mount point, made before its row is
  // committed (a failed commit leaves the directory, as the engine's
  // recovery would clean up; the floor does not).
  VolumeConfig volume_get_or_create(const VolumeConfig& config) override {
    return write([&] {
      vol_get_.bind_ref(1, config.name);
      const bool exists = vol_get_.step();
      vol_get_.reset();
      if (exists) return load_volume(config.name);
      VolumeConfig v = config;
      v.mount_point = (home_ / "volumes" / v.name).string();
      fs::create_directories(v.mount_point);
      vol_insert_.bind_ref(1, v.name).bind_ref(2, v.driver).bind_ref(3, v.mount_point);
      bind_json(vol_insert_, 4, st::to_json(v), "labels");
      vol_insert_.bind_int(5, static_cast<std::int64_t>(v.size_limit)).bind_ref(6, v.created_at);
      vol_insert_.run();
      for (const auto& box : v.in_use_by) {
        user_insert_.bind_ref(1, v.name).bind_ref(2, box);
        user_insert_.run();
      }
      return v;
    });
  }

  VolumeConfig volume_detach(const std::string& name, const std::string& box_id) override {
    return write([&] {
      VolumeConfig v = load_volume(name);
      user_delete_.bind_ref(1, name).bind_ref(2, box_id);
      user_delete_.run();
      std::erase(v.in_use_by, box_id);
      return v;
    });
  }

  std::vector<VolumeConfig> volume_list() override {
    return read([&] {
      std::vector<VolumeConfig> out;
      while (vol_all_.step()) out.push_back(decode_volume(vol_all_));
      vol_all_.reset();
      attach(out, users_all_, 0,
             [](VolumeConfig& v, const Stmt& row) { v.in_use_by.push_back(row.str(1)); });
      return out;
    });
  }

  std::uint64_t snapshot_count() override { return scalar(snap_count_); }
  std::uint64_t snapshot_total_size() override { return scalar(snap_total_); }

  // get marks the image used: one UPDATE ... RETURNING in autocommit. It is
  // stepped to SQLITE_DONE: SQLite runs its WAL hook (the autocheckpoint)
  // only then, and skipping it would let the WAL grow without bound.
  std::optional<StoredImage> image_get(const std::string& reference) override {
    return retrying_busy([&] {
      const std::string now = st::format_rfc3339_sortable(st::now());
      std::optional<StoredImage> out;
      img_touch_.bind_ref(1, now).bind_ref(2, reference);
      if (img_touch_.step()) out = decode_image(img_touch_);
      while (img_touch_.step()) {
      }
      img_touch_.reset();
      return out;
    });
  }

  std::vector<std::string> image_evict(std::uint64_t max_size_bytes) override {
    std::vector<std::string> layouts;
    auto evicted = write([&] {
      layouts.clear();  // a busy retry starts over
      std::vector<std::string> refs;
      // Under the cap: one O(1) read of the running total. Over it: one LRU
      // row deleted per pass, the total re-read after each (the triggers
      // count a shared layout until its last reference goes).
      while (scalar(img_total_) > max_size_bytes) {
        if (!img_oldest_.step()) {
          img_oldest_.reset();
          break;
        }
        std::string reference = img_oldest_.str(0);
        const std::string digest = img_oldest_.str(1);
        std::string path = img_oldest_.str(2);
        img_oldest_.reset();
        img_delete_.bind_ref(1, reference);
        img_delete_.run();
        img_digest_used_.bind_ref(1, digest);
        const bool still_used = img_digest_used_.step();
        img_digest_used_.reset();
        if (!still_used) layouts.push_back(std::move(path));
        refs.push_back(std::move(reference));
      }
      return refs;
    });
    for (const auto& dir : layouts) {  // files after the rows
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
    return evicted;
  }

  std::unique_ptr<Backend> for_another_thread() override {
    return std::make_unique<RawBackend>(home_, durability_);
  }

 private:
  static std::unique_ptr<Db> open_db(const fs::path& path, Durability durability) {
    auto db = std::make_unique<Db>(path.string());
    sqlite3_busy_timeout(db->get(), 5000);
    db->exec("PRAGMA foreign_keys = ON");
    db->exec("PRAGMA recursive_triggers = ON");
    db->exec(durability == Durability::full ? "PRAGMA synchronous = FULL"
                                            : "PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA mmap_size = 268435456");
    if (db->query_text("PRAGMA journal_mode = WAL") != "wal") {
      throw std::runtime_error("WAL refused");
    }
    return db;
  }

  template <class F>
  std::invoke_result_t<F&> in_transaction(Stmt& begin, F&& body) {
    begin.run();
    try {
      auto result = body();
      commit_.run();
      return result;
    } catch (...) {
      try {
        rollback_.run();
      } catch (const SqliteError&) {
        // already rolled back
      }
      throw;
    }
  }
  template <class F>
  std::invoke_result_t<F&> read(F&& body) {
    return in_transaction(begin_, std::forward<F>(body));
  }
  template <class F>
  std::invoke_result_t<F&> write(F&& body) {
    return retrying_busy([&] { return in_transaction(begin_immediate_, body); });
  }
  // As the engine does (Options::busy_retries, Database::back_off): a write
  // that still finds the database busy after busy_timeout (many writers
  // queued, e.g. hundreds of boxes starting at once) runs again, up to 5
  // more times, after a random pause of up to 10 << attempt ms. `body` must
  // be safe to run again.
  template <class F>
  static std::invoke_result_t<F&> retrying_busy(F&& body) {
    constexpr int kBusyRetries = 5;
    for (int attempt = 0;; ++attempt) {
      try {
        return body();
      } catch (const SqliteError& e) {
        if ((e.code() & 0xff) != SQLITE_BUSY || attempt >= kBusyRetries) throw;
      }
      thread_local std::mt19937 rng{std::random_device{}()};
      const int ceiling_ms = 10 << attempt;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(1, ceiling_ms)(rng)));
    }
  }

  // Hands each row of `children` to add(record, row) with the record of
  // `records` it belongs to: both are ordered by that record's name, which
  // each child row holds in column `name_col`.
  template <class Record, class Add>
  static void attach(std::vector<Record>& records, Stmt& children, int name_col, Add add) {
    auto record = records.begin();
    while (children.step()) {
      const std::string_view name = children.text(name_col);
      while (record != records.end() && record->name < name) ++record;
      if (record == records.end()) break;
      add(*record, children);
    }
    children.reset();
  }

  static std::uint64_t scalar(Stmt& s) {
    const auto v = s.step() ? static_cast<std::uint64_t>(s.int64(0)) : 0;
    s.reset();
    return v;
  }

  // Rows to records as the engine's stores decode them (stored_row.hpp).
  static NetworkConfig decode_network(const Stmt& row) {
    NetworkConfig n;
    n.name = row.str(0);
    n.subnet = row.str(1);
    n.gateway = row.str(2);
    n.driver = row.str(3);
    detail::decode_stored(row.text(4), n.labels, {"network", n.name, "labels"});
    n.created_at = row.str(5);
    detail::decode_stored(row.text(6), n.policy, {"network", n.name, "policy"});
    return n;
  }

  static NetworkEndpoint decode_endpoint(const Stmt& row, std::string_view network) {
    NetworkEndpoint e{row.str(0), row.str(1), row.str(2), row.str(3), {}};
    detail::decode_stored(row.text(4), e.aliases, {"network", network, "aliases"});
    return e;
  }

  static VolumeConfig decode_volume(const Stmt& row) {
    VolumeConfig v;
    v.name = row.str(0);
    v.driver = row.str(1);
    v.mount_point = row.str(2);
    detail::decode_stored(row.text(3), v.labels, {"volume", v.name, "labels"});
    v.size_limit = static_cast<std::uint64_t>(row.int64(4));
    v.created_at = row.str(5);
    return v;
  }

  static StoredImage decode_image(const Stmt& row) {
    StoredImage i{row.str(0), row.str(1), static_cast<std::uint64_t>(row.int64(2)),
                  {},         {},         row.str(5)};
    detail::decode_stored_time(row.text(3), i.pulled_at, {"image", i.reference, "pulled_at"});
    detail::decode_stored_time(row.text(4), i.last_used, {"image", i.reference, "last_used"});
    return i;
  }

  VolumeConfig load_volume(const std::string& name) {
    vol_get_.bind_ref(1, name);
    if (!vol_get_.step()) {
      vol_get_.reset();
      throw std::runtime_error("volume not found");
    }
    VolumeConfig v = decode_volume(vol_get_);
    vol_get_.reset();
    users_get_.bind_ref(1, name);
    while (users_get_.step()) v.in_use_by.push_back(users_get_.str(0));
    users_get_.reset();
    return v;
  }

  fs::path home_;
  Durability durability_;
  std::unique_ptr<Db> db_;
  Stmt begin_{*db_, "BEGIN"};
  Stmt begin_immediate_{*db_, "BEGIN IMMEDIATE"};
  Stmt commit_{*db_, "COMMIT"};
  Stmt rollback_{*db_, "ROLLBACK"};
  Stmt net_get_{*db_,
                "SELECT name, subnet, gateway, driver, labels, created_at, policy FROM networks "
                "WHERE name = ?"};
  Stmt ep_get_{*db_,
               "SELECT box_id, box_name, ip_address, mac_address, aliases FROM network_endpoints "
               "WHERE network = ? ORDER BY box_id"};
  Stmt net_all_{*db_,
                "SELECT name, subnet, gateway, driver, labels, created_at, policy FROM networks "
                "ORDER BY name"};
  Stmt ep_all_{*db_,
               "SELECT box_id, box_name, ip_address, mac_address, aliases, network "
               "FROM network_endpoints ORDER BY network, box_id"};
  Stmt net_insert_{*db_, kInsertNetwork};
  Stmt net_addr_{*db_, "SELECT subnet, gateway FROM networks WHERE name = ?"};
  Stmt ep_taken_{*db_,
                 "SELECT box_id, ip_address FROM network_endpoints WHERE network = ? "
                 "ORDER BY box_id"};
  Stmt ep_insert_{*db_, kInsertEndpoint};
  Stmt ep_one_{*db_,
               "SELECT box_id, box_name, ip_address, mac_address, aliases FROM network_endpoints "
               "WHERE network = ? AND box_id = ?"};
  Stmt ep_delete_{*db_, "DELETE FROM network_endpoints WHERE network = ? AND box_id = ?"};
  Stmt vol_get_{*db_,
                "SELECT name, driver, mount_point, labels, size_limit, created_at FROM volumes "
                "WHERE name = ?"};
  Stmt users_get_{*db_, "SELECT box_id FROM volume_users WHERE volume = ? ORDER BY position"};
  Stmt vol_all_{*db_,
                "SELECT name, driver, mount_point, labels, size_limit, created_at FROM volumes "
                "ORDER BY name"};
  Stmt vol_insert_{*db_,
                   "INSERT INTO volumes (name, driver, mount_point, labels, size_limit, "
                   "created_at) VALUES (?, ?, ?, ?, ?, ?)"};
  Stmt user_delete_{*db_, "DELETE FROM volume_users WHERE volume = ? AND box_id = ?"};
  Stmt users_all_{*db_, "SELECT volume, box_id FROM volume_users ORDER BY volume, position"};
  Stmt user_insert_{*db_,
                    "INSERT INTO volume_users (volume, box_id, position) VALUES (?1, ?2, "
                    "(SELECT coalesce(max(position), 0) + 1 FROM volume_users WHERE volume = ?1))"};
  // The running totals of schema/0003_catalog_totals.sql, kept by triggers.
  Stmt snap_count_{*db_, "SELECT record_count FROM catalog_totals WHERE catalog = 'snapshots'"};
  Stmt snap_total_{*db_, "SELECT size_bytes FROM catalog_totals WHERE catalog = 'snapshots'"};
  Stmt img_touch_{*db_,
                  "UPDATE images SET last_used = ? WHERE reference = ? "
                  "RETURNING reference, digest, size_bytes, pulled_at, last_used, path"};
  Stmt img_total_{*db_, "SELECT size_bytes FROM catalog_totals WHERE catalog = 'image_layouts'"};
  Stmt img_oldest_{*db_,
                   "SELECT reference, digest, path FROM images "
                   "ORDER BY last_used, reference LIMIT 1"};
  Stmt img_delete_{*db_, "DELETE FROM images WHERE reference = ?"};
  Stmt img_digest_used_{*db_, "SELECT 1 FROM images WHERE digest = ? LIMIT 1"};
};

}  // namespace

std::unique_ptr<Backend> open_raw(const fs::path& home, Durability durability) {
  return std::make_unique<RawBackend>(home, durability);
}

}  // namespace bench
