// The benchmark's shared pieces: the three implementations behind one
// interface, the catalog fixtures they all start from, and small helpers.
//
// Implementations (SPEC §1: the engine replaces the runtime's JSON files):
//   a3s             — this engine through its public C++ API;
//   json-file-2.4.0 — the 2.4.0 runtime's stores, rebuilt in Rust with their
//                     I/O reproduced (json-file-2.4.0/, driven over a socket
//                     by json_backend.cpp): one JSON file per catalog, reads
//                     unlocked, mutations flock + read/parse whole file +
//                     write temp + rename, never an fsync (durability "none");
//   sqlite-raw      — hand-written sqlite3 C API calls, statements prepared
//                     once, on the same schema and PRAGMAs: the floor for
//                     this design;
//   a3s-etcd        — this engine through its public C++ API on a 3-member
//                     etcd cluster on loopback (etcd_store.hpp), durability
//                     "raft".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/options.hpp"
#include "a3s/store/records.hpp"
#include "record_json.hpp"
#include "rfc3339.hpp"

namespace bench {

namespace fs = std::filesystem;
using a3s::store::Durability;
using a3s::store::NetworkConfig;
using a3s::store::NetworkEndpoint;
using a3s::store::SnapshotMetadata;
using a3s::store::StoredImage;
using a3s::store::VolumeConfig;

enum class Impl { a3s, json_file_2_4_0, sqlite_raw, a3s_etcd };
std::string_view impl_name(Impl impl);
std::string_view durability_name(Durability d);
// The durability a row of `impl` reports: "none" for json-file-2.4.0 (2.4.0
// never fsyncs), "raft" for a3s-etcd (a majority of the members fsynced the
// write; Durability is SQLite's), else durability_name(d).
std::string durability_of(Impl impl, Durability d);

// The json-file-2.4.0 program the build made, or an empty path when it was
// built without cargo; json_file_2_4_0_available() says whether it exists.
fs::path json_file_2_4_0_binary();
bool json_file_2_4_0_available();

// How concurrent callers run: threads of this process, or processes of
// their own.
enum class Mode { threads, processes };
inline std::string_view mode_name(Mode mode) {
  return mode == Mode::threads ? "threads" : "processes";
}

// One implementation of the operations measured. Each call is one complete,
// atomic operation as the runtime would issue it.
class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::optional<NetworkConfig> network_get(const std::string& name) = 0;
  virtual void network_create(const NetworkConfig& config) = 0;
  virtual NetworkEndpoint network_connect(const std::string& network, const std::string& box_id,
                                          const std::string& box_name) = 0;
  virtual std::vector<NetworkConfig> network_list() = 0;
  virtual VolumeConfig volume_attach(const std::string& name, const std::string& box_id) = 0;
  virtual VolumeConfig volume_get_or_create(const VolumeConfig& config) = 0;
  virtual VolumeConfig volume_detach(const std::string& name, const std::string& box_id) = 0;
  virtual NetworkEndpoint network_disconnect(const std::string& network,
                                             const std::string& box_id) = 0;
  virtual std::vector<VolumeConfig> volume_list() = 0;
  virtual std::uint64_t snapshot_count() = 0;
  virtual std::uint64_t snapshot_total_size() = 0;
  virtual std::optional<StoredImage> image_get(const std::string& reference) = 0;
  virtual std::vector<std::string> image_evict(std::uint64_t max_size_bytes) = 0;

  // A backend for another thread over the same home: a3s shares its Store
  // (it is thread-safe, as the runtime uses it), a3s-etcd opens another
  // Store (another client, as another host would), sqlite-raw opens another
  // connection, json-file-2.4.0 opens another connection to the same server
  // process (threads of one runtime process share its stores).
  virtual std::unique_ptr<Backend> for_another_thread() = 0;

  // The nanoseconds the last call took as timed inside the implementation,
  // when it runs elsewhere (json-file-2.4.0's server): the harness then
  // takes this figure rather than its own clock, so the round trip to the
  // other process is not charged to the operation. nullopt: time it here.
  virtual std::optional<std::uint64_t> last_op_ns() const { return std::nullopt; }
};

// Opens `impl` on a populated home (see populate_home).
std::unique_ptr<Backend> open_a3s(const fs::path& home, Durability durability);
// The store populate_home(Impl::a3s_etcd, home, ...) filled.
std::unique_ptr<Backend> open_a3s_etcd(const fs::path& home);
std::unique_ptr<Backend> open_json(const fs::path& home);
// For a backend open_json returned (or one of its for_another_thread()s):
// the server's process ID; and a note on the round trip of a request that
// does nothing (what last_op_ns() keeps out of the figures), the median of
// a few hundred timed here.
int json_server_pid(const Backend& backend);
std::string json_round_trip_note(Backend& backend);
std::unique_ptr<Backend> open_raw(const fs::path& home, Durability durability);
std::unique_ptr<Backend> open_backend(Impl impl, const fs::path& home, Durability durability);

// ---- fixtures -------------------------------------------------------------

// How many records each catalog starts with, and extras for particular
// measurements.
struct CatalogSpec {
  std::size_t networks = 0;
  std::size_t volumes = 0;
  std::size_t snapshots = 0;
  std::size_t images = 0;
  // Images [0, image_layouts) get a small layout directory, so evicting them
  // deletes real files (the least recently used ones are evicted first).
  std::size_t image_layouts = 0;
  // Adds the network `kSharedNetwork` (a /16, no endpoints) for the
  // multi-process connect test.
  bool shared_network = false;
  // json-file-2.4.0 only: also what else a 2.4.0 home holds, for measuring
  // import: a small rootfs tree under each snapshot and each volume's
  // directory. (The JSON files are always written as 2.4.0 writes them.)
  bool runtime_home = false;
};

inline constexpr const char* kSharedNetwork = "shared-net";
inline constexpr std::uint64_t kImageSize = 1 << 20;

std::string network_name(std::size_t i);
std::string volume_name(std::size_t i);
std::string snapshot_id(std::size_t i);
std::string image_reference(std::size_t i);
std::string image_digest(std::size_t i);

// Deterministic records; every implementation stores the same ones.
NetworkConfig make_network(std::size_t i);
NetworkConfig make_new_network(std::size_t k);  // networks created during the run
NetworkConfig make_shared_network();
VolumeConfig make_volume(std::size_t i, const fs::path& home);
SnapshotMetadata make_snapshot(std::size_t i);
StoredImage make_image(std::size_t i, const fs::path& home);

// Builds `home` for `impl` holding `spec`: for a3s, Store::open creates
// box.db (schema by the engine's migrations) and the rows are then bulk
// inserted with the sqlite3 API in one transaction; for sqlite-raw, the
// schema/*.sql text is applied by hand and the rows inserted the same way;
// for json-file-2.4.0, the runtime's files are written as 2.4.0 writes them
// (serde_json::to_string_pretty), with a directory for every image's layout
// (2.4.0 drops index entries whose layout is missing when it loads); for
// a3s-etcd, see populate_etcd.
void populate_home(Impl impl, const fs::path& home, const CatalogSpec& spec);

// Applies every schema/NNNN_*.sql (read from the source tree) in version
// order to `db` and sets user_version to the last version.
void apply_schema_sql(const fs::path& db_path);

// ---- helpers --------------------------------------------------------------

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// splitmix64: a tiny deterministic generator for picking targets.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

}  // namespace bench
