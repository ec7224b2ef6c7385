// Directory trees on disk, kept consistent with the rows that own them.
// Internal.
//
// The protocol (SPEC §4 "Files and rows stay consistent"):
//  - create: copy into <home>/.staging/<name>-<pid>-<n> (outside any lock),
//    fsync; then, holding the write lock: record an intent, rename into place,
//    commit the row; then drop the intent.
//  - delete: holding the write lock: record an intent, delete the row, commit;
//    then, holding the write lock again: if no row owns the directory any
//    more, rename it into .staging; then delete it outside the lock.
//  - open: holding the write lock, an intent whose process is gone has its
//    target removed unless a row owns it, and staging entries of processes
//    that are gone are deleted.
// All renames into and out of place happen under the write lock, so a
// process never sees another's half-finished step.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace a3s::store::detail {

// Copies the tree at `source` to `dest` (which must not exist): regular files
// (contents and permission bits), directories (empty ones too) and symlinks
// as symlinks, never followed. Other file types (sockets, devices, fifos) are
// skipped. Every file and directory is fsynced. Returns the bytes of regular
// files copied. Throws Error(io) naming the path, Error(invalid_argument) if
// `source` is not a directory.
std::uint64_t copy_tree(const std::filesystem::path& source, const std::filesystem::path& dest);

// Bytes of the regular files under `root`, symlinks not followed.
std::uint64_t tree_size(const std::filesystem::path& root);

// fsyncs a directory, so a rename or unlink inside it is durable.
void fsync_directory(const std::filesystem::path& dir);

// The home's staging directory and the process-unique names in it.
class Staging {
 public:
  explicit Staging(std::filesystem::path home);

  const std::filesystem::path& dir() const { return dir_; }

  // A fresh, not yet existing path in the staging directory whose name
  // records this process (so a sweep can tell a live owner from a dead one).
  std::filesystem::path fresh_path(std::string_view label) const;

  // Notes (durably) that `targets` are about to change; the returned path is
  // removed by drop_intent once the change is committed and the files are in
  // place.
  std::filesystem::path record_intent(const std::vector<std::filesystem::path>& targets) const;
  std::filesystem::path record_intent(const std::filesystem::path& target) const {
    return record_intent(std::vector<std::filesystem::path>{target});
  }
  void drop_intent(const std::filesystem::path& intent) const;

  // Moves `target` into staging (atomic rename) and returns where it went,
  // or an empty path if `target` did not exist.
  std::filesystem::path retire(const std::filesystem::path& target) const;

  // Deletes a tree, logging rather than throwing: the row is already gone.
  static void remove_quietly(const std::filesystem::path& path);

  // For each intent left by a process that is gone, `owned(target)` says
  // whether a row owns the target; if not, the target is retired. Then
  // every staging entry of a process that is gone is deleted. Call holding
  // the write lock.
  void sweep(const std::function<bool(const std::filesystem::path&)>& owned) const;

 private:
  std::filesystem::path dir_;
};


}  // namespace a3s::store::detail
