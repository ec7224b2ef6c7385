// How a Store is opened. Every field has a default that suits the runtime; the
// comment on each says why it exists.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace a3s::store {

enum class Durability {
  // PRAGMA synchronous=FULL: an acknowledged write survives a power cut.
  full,
  // PRAGMA synchronous=NORMAL: in WAL mode a power cut may lose the last
  // commits but never corrupts the file; for hosts that value latency more.
  normal,
};

struct Options {
  // The runtime home (SPEC §2). Holds box.db and the volume, snapshot and
  // image directories. Empty means $A3S_HOME, else ~/.a3s.
  std::filesystem::path home;

  // Where the records live (SPEC §9): "sqlite", a database file (see
  // db_path), for one host; or "etcd://HOST:PORT[,HOST:PORT...]/NAMESPACE",
  // an etcd cluster's members and the key prefix this store owns there, for
  // hosts that share boxes, snapshots and images (the files stay under the
  // home, which those hosts then share). Empty means $A3S_STORE, else
  // "sqlite".
  std::string store;

  // The database file. Empty means <home>/box.db. Operators point it elsewhere
  // to inspect a copy without touching the live home: a store on any other
  // file than <home>/box.db reads and writes rows but never changes, sweeps
  // or deletes files under the home (operations that would throw
  // invalid_argument). SQLite's alone: it must stay empty on etcd.
  std::filesystem::path db_path;

  // Migrate an older database on open (after writing a backup beside it).
  // When false an older database is refused with schema_outdated, so an
  // operator can take their own backup and run `a3s-store migrate up`.
  bool auto_migrate = true;

  // Trade durability for commit latency; see Durability.
  Durability durability = Durability::full;

  // How long one statement waits for another process's lock before SQLite
  // reports busy. Long enough to ride out any single transaction of ours.
  std::chrono::milliseconds busy_timeout{5000};

  // How many times a whole transaction is retried, with jittered back-off,
  // when SQLite still reports busy after busy_timeout (e.g. a WAL checkpoint
  // or recovery holding a lock). Bounded so a wedged peer surfaces as `busy`.
  int busy_retries = 5;

  // Upper bound on idle pooled connections. Each thread that runs an
  // operation at the same time gets its own connection, so readers never
  // queue behind one another; idle ones beyond this bound are closed.
  int max_idle_connections = 8;

  // The image cache's cap for ImageStore::evict(). Unset means
  // $A3S_IMAGE_CACHE_SIZE (a size such as "500m" or "20g"), else 10 GiB.
  std::optional<std::uint64_t> image_cache_max_bytes;
};

// Returns `options` with home, store, db_path (on SQLite) and
// image_cache_max_bytes filled in from the environment and defaults, the
// home absolute and canonical (symlinks resolved; the part that does not
// exist yet kept as written) and the database's directory likewise. Throws
// Error(invalid_argument) when no home can be determined, the store URL is
// malformed (the message names the part), db_path is set on etcd, or
// A3S_IMAGE_CACHE_SIZE is not a size.
Options resolve(Options options);

}  // namespace a3s::store
