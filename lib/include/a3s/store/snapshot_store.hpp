// VM snapshots: a SnapshotMetadata row plus a copied root filesystem at
// <home>/snapshots/<id>/rootfs (SPEC §4 "Snapshots"): the interface every
// backend implements.
//
// Thread safety and the busy/io/corrupt errors as NetworkStore. Files and
// rows: the tree is copied under a staging name and renamed into place
// before the row is committed; a delete commits the row's removal before the
// files go. A crash at any point leaves the old or the new state, plus
// staging leftovers that the next Store::open sweeps away. Nothing inside
// <home>/snapshots is followed when it is a symlink. SQLite only: a store
// opened on a database other than <home>/box.db (--db) changes no files:
// save, remove and prune throw invalid_argument there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "a3s/store/records.hpp"

namespace a3s::store {

class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // Copies the tree at `rootfs_source` (regular files with their contents,
  // permission bits and times, sparse files sparse, hard links as hard
  // links, directories including empty ones, symlinks as symlinks, never
  // followed; owners kept when the process may keep them, else setuid and
  // setgid bits cleared; device nodes, FIFOs and sockets recreated as root,
  // skipped otherwise; an absent source gives an empty rootfs) to
  // <home>/snapshots/<id>/rootfs, stores `metadata` with size_bytes set to
  // the bytes of regular files copied, and returns the stored record.
  // Throws invalid_argument (a bad field; the ID is checked before it
  // becomes a path; a source that exists but is not a directory),
  // already_exists (ID taken), io (also: a symlink or file at
  // <home>/snapshots/<id>, named in the message).
  virtual SnapshotMetadata save(const SnapshotMetadata& metadata,
                                const std::filesystem::path& rootfs_source) = 0;

  // Returns the snapshot, or nullopt. Throws invalid_argument for a bad ID.
  virtual std::optional<SnapshotMetadata> get(std::string_view id) const = 0;

  // Returns every snapshot, newest created_at first, ties by ID.
  virtual std::vector<SnapshotMetadata> list() const = 0;

  // Deletes the snapshot's row, then its files, in one transaction; returns
  // the removed record, or nullopt when there was none. Throws
  // invalid_argument for a bad ID; io, after the row is gone, naming files
  // that could not be deleted (they stay, and the next open retries).
  virtual std::optional<SnapshotMetadata> remove(std::string_view id) = 0;

  // The number of snapshots and the sum of their size_bytes: one read of
  // running totals every write keeps (on SQLite, the schema's triggers),
  // never a load of every record. Throw corrupt when those totals are
  // missing (the database was edited by hand).
  virtual std::uint64_t count() const = 0;
  virtual std::uint64_t total_size() const = 0;

  // Deletes snapshots oldest first (ties by ID) until at most `max_count`
  // remain and their total size is at most `max_bytes` (0 = no limit), in
  // one transaction, then their files. Returns the deleted IDs in deletion
  // order.
  virtual std::vector<std::string> prune(std::uint64_t max_count, std::uint64_t max_bytes) = 0;

  // <home>/snapshots/<id>: the directory holding the snapshot's rootfs.
  // Throws invalid_argument for a bad ID.
  std::filesystem::path directory_of(std::string_view id) const;

 protected:
  // Made by a backend, which Store::open alone creates, for the home whose
  // snapshots directory holds the rootfs trees.
  explicit SnapshotStore(std::filesystem::path home) : home_(std::move(home)) {}

  const std::filesystem::path home_;
};

}  // namespace a3s::store
