// The record side of the home's file protocol (SPEC §4 "Files and rows stay
// consistent"): what DirectoryChange, the open's sweep and `check` ask of a
// backend, so that one protocol serves the SQLite and the etcd stores.
// Internal.
//
// A backend's write transaction holds its write lock over the catalogs from
// its first statement to its commit (SQLite: BEGIN IMMEDIATE; etcd: the
// namespace's catalog lock, held by a lease and checked by the commit's
// compares), so that no placement or removal of the same entry name runs
// meanwhile, in this process or any other, on this host or another sharing
// the home.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "catalog_dir.hpp"

namespace a3s::store::detail {

// One write transaction of a backend, as the file protocol sees it. Its
// changes commit together with the store's own record changes, or not at
// all. Used by one thread.
class CatalogTxn {
 public:
  virtual ~CatalogTxn() = default;

  // Whether a record owns <catalog>/<name>: a volume named `name`, a
  // snapshot with ID `name`, an image whose digest is sha256:<name>.
  virtual bool owns(CatalogKind kind, std::string_view name) = 0;

  // Every entry name the records of `kind` own (as owns() would answer),
  // each with the directory its record names when that may lie outside
  // the catalog (a volume's mount point; "" for snapshots and images).
  virtual std::map<std::string, std::string> owned_names(CatalogKind kind) = 0;

  // Deletes the records that own <catalog>/<name> (the snapshot with that
  // ID, every image with digest sha256:<name>), keeping whatever the
  // backend sums from them right: `check --repair` of an entry whose
  // directory is gone. Not for volumes, whose directories are made again.
  virtual void remove_owners(CatalogKind kind, std::string_view name) = 0;

  // The entry names of the `kind` catalog's pending removals (entries left
  // without a record by a committed removal, to be deleted if still
  // unowned), in name order.
  virtual std::vector<std::string> pending_removals(CatalogKind kind) = 0;

  // Records `names` as pending removals of the `kind` catalog (a name
  // already pending stays once).
  virtual void add_pending_removals(CatalogKind kind, const std::vector<std::string>& names) = 0;

  // Clears the pending removals `names` of the `kind` catalog.
  virtual void clear_pending_removals(CatalogKind kind, const std::vector<std::string>& names) = 0;
};

// The records of one home, as the file protocol sees them. Safe to use from
// many threads at once.
class CatalogRecords {
 public:
  virtual ~CatalogRecords() = default;

  // What intents and messages name the records by: the database file, or
  // the etcd cluster and namespace. An intent names the records it belongs
  // to, and a sweep acts only on its own records' intents.
  virtual std::string identity() const = 0;

  // Whether these are the records of `home`'s catalogs, so that the
  // protocol may compare and change the files there: not a SQLite store
  // opened on another database than <home>/box.db (a copy, to inspect it).
  virtual bool describes_home(const std::filesystem::path& home) const = 0;

  // Whether these records can only be read (write() throws Error(io)).
  virtual bool read_only() const = 0;

  // Throws, naming `object`, when this store may not change files under
  // `home`: Error(invalid_argument) when these records do not describe it
  // (describes_home), Error(io) when they are read-only. Called before
  // anything is made there.
  virtual void require_file_changes(std::string_view object,
                                    const std::filesystem::path& home) const = 0;

  // Runs `body` in one write transaction holding the write lock and commits
  // it. The backend may run `body` again after a conflict or a busy lock
  // (every caller's body is safe to re-run). Errors name `object`.
  virtual void write(std::string_view object, const std::function<void(CatalogTxn&)>& body) = 0;

  // Runs `body` in one consistent read (it must not call the methods that
  // change records: add_pending_removals, clear_pending_removals,
  // remove_owners).
  virtual void read(std::string_view object, const std::function<void(CatalogTxn&)>& body) = 0;

  // Whether this thread's last commit failed in a way that may still have
  // committed it (an fsync error at COMMIT; an etcd write whose answer never
  // came and could not be resolved): files it placed are then left to the
  // sweep of a later open rather than removed.
  virtual bool last_commit_outcome_unknown() const noexcept = 0;
};

}  // namespace a3s::store::detail
