// The entry point: opens the home and the backend its Options select (SPEC
// §9: SQLite, or an etcd cluster) and hands out the stores.
#pragma once

#include <filesystem>
#include <memory>

#include "a3s/store/check.hpp"
#include "a3s/store/error.hpp"
#include "a3s/store/image_store.hpp"
#include "a3s/store/legacy_import.hpp"
#include "a3s/store/network_store.hpp"
#include "a3s/store/options.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/snapshot_store.hpp"
#include "a3s/store/volume_store.hpp"

namespace a3s::store {

namespace detail {
class Backend;
}

class Store {
 public:
  // Opens (creating if needed) the home directory and the backend
  // Options::store selects. On SQLite: opens the database, brings the schema
  // to the latest version as Options::auto_migrate allows, and sets the
  // connection PRAGMAs (WAL, foreign keys, synchronous, busy timeout). On
  // etcd: connects to the cluster's members and checks the namespace's key
  // layout version likewise. Then sweeps what crashed processes left in the
  // catalogs' staging areas (on SQLite only when the database is
  // <home>/box.db; a leftover that cannot be removed is logged and never
  // fails the open). Safe to call from many processes and threads at once on
  // one home. Throws invalid_argument (a bad store URL, --db with etcd),
  // schema_too_new (file untouched), schema_outdated (auto migration off),
  // checksum_mismatch, corrupt, busy, io.
  static std::unique_ptr<Store> open(Options options = {});

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The stores live as long as this Store and are safe to use from many
  // threads at once. On SQLite, network and volume changes and image uses
  // made by several threads at once share commits, each still atomic,
  // failing alone and acknowledged only once durable (network_store.hpp);
  // operations that move files (volume create and remove, snapshots, image
  // put and removal) commit on their own.
  NetworkStore& networks();
  VolumeStore& volumes();
  SnapshotStore& snapshots();
  ImageStore& images();

  // Checks the records (on SQLite, integrity_check and foreign_key_check
  // first), the running totals against them, and, on the home's own database or
  // on etcd, every catalog's directories against its records, so that no change
  // in progress is taken for a problem (on SQLite under the write lock). With
  // `repair`, fixes what SPEC §4 allows and records each fix in its finding
  // (see check.hpp): rows first, files after the commit; a volume's data is
  // never deleted. Throws busy, io, corrupt when the check itself cannot run.
  CheckReport check(bool repair = false);

  // SQLite only (on etcd, invalid_argument naming the cluster: a cluster is
  // backed up with etcd's own tools). Writes a consistent copy of the database
  // to `file` through SQLite's online backup API while other threads and
  // processes keep writing; the copy passes integrity_check before it appears
  // at `file` (built under a temporary name beside it, then renamed). Files
  // under the home are not part of it. Throws already_exists when `file` exists
  // and not `overwrite`, invalid_argument for the database's own files, a
  // directory or a missing directory, corrupt, busy, io.
  void backup(const std::filesystem::path& file, bool overwrite = false);

  // SQLite only, as backup(). Puts the database file `file` (a backup) back in
  // place of the database through the online backup API, so every connection
  // already open, in any process, sees the restored rows. `file` is only read:
  // a copy of it is brought to this engine's schema first (an older one
  // migrated, a newer one refused with schema_too_new, a file that is not a
  // store database invalid_argument or corrupt). The current database is kept
  // as <db>.bak-restore-<unix time>. The home's files are then checked against
  // the restored rows, as check() does, and the differences reported, not
  // repaired. Throws busy, io as well.
  RestoreReport restore(const std::filesystem::path& file);

  // Imports a home the 2.4.0 runtime left (SPEC §2 "Legacy files", §7
  // `import`): networks.json, volumes.json, snapshots/<id>/metadata.json and
  // images/index.json of options.from, read as untrusted input (nothing in
  // it is followed: a symlinked file, snapshot directory or layout is a
  // reason to skip), written in one transaction. A record already stored
  // under the same name, ID or reference is left alone when identical (an
  // image's last_used aside: using an image changes it) and is a conflict
  // otherwise. When `from` is another directory, snapshot rootfs trees and
  // image layouts (found by digest, never by the recorded path) are copied
  // into the home first; image paths are the home's, volumes keep their
  // mount_point. What 2.4.0 leaves behind (.staging-* directories,
  // images/tmp/, *.json.tmp, *.lock, *.json.corrupt-<time>) is ignored.
  // Running it again imports nothing new. Throws, having written nothing:
  // invalid_argument when `from` is not a directory, or (without skip_bad)
  // when any entry cannot be imported, listing every one; already_exists
  // when the only such entries are conflicts; also busy, io, and
  // invalid_argument on a store opened with another database than the
  // home's (--db) when there are files to copy.
  ImportReport import_legacy(const ImportOptions& options = {});

  // The options the store was opened with, home, store and db_path resolved.
  const Options& options() const { return options_; }

 private:
  // No internal type in an exported signature: open() sets the backend.
  explicit Store(Options options);

  Options options_;
  std::unique_ptr<detail::Backend> backend_;
};

}  // namespace a3s::store
