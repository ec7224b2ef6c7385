// A catalog directory of the home and its staging area: the on-disk half of
// SPEC §4 "Files and rows stay consistent". Internal.
//
// The catalogs are <home>/volumes, <home>/snapshots and <home>/images/sha256.
// A catalog directory may itself be a symlink an operator placed (onto
// another disk, say) and is followed. Nothing inside a catalog is: its
// entries (<catalog>/<name>) and its staging directory <catalog>/.staging
// are reached with *at() calls relative to the catalog's descriptor, with
// O_NOFOLLOW, so a symlink placed there is refused or moved, never followed.
// Staging lives inside its catalog, so every rename between the two stays on
// one file system.
//
// Staging entries are named "<pid>.<start>.<host>-<n>-<label>" after the
// process that made them (its ID and start time, so a reused PID is not
// mistaken for the owner, and its host, since hosts may share a home), so a
// sweep can tell a live owner's work from a crashed one's and leaves other
// hosts' entries to them;
// other names in staging are never touched. An intent ("…-intent") names
// the database it belongs to and the entries a change is about to put in
// place or delete, so that after a crash the entries no row owns can be
// removed (directory_change.hpp).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.hpp"

namespace a3s::store::detail {

enum class CatalogKind { volumes, snapshots, images };

// Every catalog, in the order a sweep visits them.
inline constexpr CatalogKind kAllCatalogs[] = {CatalogKind::volumes, CatalogKind::snapshots,
                                               CatalogKind::images};

// <home>/volumes, <home>/snapshots or <home>/images/sha256.
std::filesystem::path catalog_path(const std::filesystem::path& home, CatalogKind kind);

// Whether `name` can name an entry of a `kind` catalog: a volume name or
// snapshot ID (SPEC §4), or the 64 lowercase hex digits of a digest.
bool is_entry_name(CatalogKind kind, std::string_view name);

enum class EntryType { absent, directory, other };

// What an intent says: the database it belongs to and the entries it names.
struct Intent {
  std::string database;
  std::vector<std::string> entries;
};

// A staging entry named by the staging scheme.
struct StagingEntry {
  std::string name;
  bool owner_alive = false;  // its process still runs, or it is another host's
  bool intent = false;
};

// One open catalog directory. Thread-compatible: one operation uses it.
class CatalogDir {
 public:
  // Opens the `kind` catalog of `home`. With `create`, makes it (and the
  // directories between it and the home) when missing, each new directory
  // made durable in its parent; without, returns nullopt when it is
  // missing. Throws Error(io) naming the path.
  static std::optional<CatalogDir> open(const std::filesystem::path& home, CatalogKind kind,
                                        bool create);

  CatalogKind kind() const { return kind_; }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path entry_path(std::string_view name) const { return path_ / name; }
  std::filesystem::path staging_path(std::string_view staged) const;

  // The catalog's descriptor.
  int fd() const { return dir_.get(); }

  // The staging directory's descriptor, made on first use. Throws
  // Error(io) naming it when it is a symlink or anything but a directory.
  int staging_fd();

  // The names in the catalog other than its staging directory, in name
  // order. Throws Error(io) when it cannot be listed.
  std::vector<std::string> entries() const;

  // What <catalog>/<name> is, without following it.
  EntryType entry_type(std::string_view name) const;

  // Writes an intent durably (the file and its directory entry are synced
  // before this returns); returns its staging name. Throws Error(io).
  std::string write_intent(const Intent& intent);

  // Reads the intent <staging>/<staged>; nullopt when it is not one this
  // engine wrote (unreadable, malformed, oversized).
  std::optional<Intent> read_intent(const std::string& staged);

  // Renames <staging>/<staged> to <catalog>/<name>, which must be absent,
  // and makes the rename durable. Throws Error(io) naming both paths.
  void move_in(const std::string& staged, std::string_view name);

  // Renames <catalog>/<name> (whatever it is, never followed) into staging
  // and returns its staging name, or "" when there was nothing there.
  // Throws Error(io) naming the path and the reason (a mount point: busy).
  std::string move_out(std::string_view name);

  // Deletes <staging>/<staged> and everything below it, never following a
  // symlink nor descending onto another file system. Returns "" once it is
  // gone, else why not (naming the path). Never throws.
  std::string remove_staged(const std::string& staged) noexcept;

  // The staging entries named by the staging scheme (none when there is no
  // staging directory), in name order. Never creates anything. Throws
  // Error(io) when the staging directory is a symlink or cannot be listed.
  std::vector<StagingEntry> staging_entries();

 private:
  CatalogDir(CatalogKind kind, std::filesystem::path path, UniqueFd dir)
      : kind_(kind), path_(std::move(path)), dir_(std::move(dir)) {}

  // Opens the staging directory if it exists (or, with `create`, after
  // making it); leaves staging_ empty when it does not.
  void open_staging(bool create);

  CatalogKind kind_;
  std::filesystem::path path_;
  UniqueFd dir_;
  UniqueFd staging_;
};

// fsyncs the directory open as `fd`, so a rename or unlink inside it is
// durable. Throws Error(io) naming `path`.
void fsync_directory(int fd, const std::filesystem::path& path);

// A staging name "<pid>.<start>.<host>-<n>-<label>" for this process, unique
// in it.
std::string fresh_staging_name(std::string_view label);

}  // namespace a3s::store::detail
