// Volumes, their data directories and the boxes using them (SPEC §4
// "Volumes"): the interface every backend implements. Thread safety and the
// busy/io/corrupt errors as NetworkStore.
//
// Files and rows: create puts <home>/volumes/<name> in place before
// committing the row (a directory already there is taken over as it is; a
// symlink there is refused); remove and prune delete the directory only
// after the row is gone, and only if no new volume of that name has claimed
// it meanwhile, so a crash or a race never leaves a row without its
// directory. Only entries of <home>/volumes are ever deleted, never through
// a symlink. SQLite only: a store opened on a database other than
// <home>/box.db (--db) changes no files: create, remove and prune throw
// invalid_argument there.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/records.hpp"

namespace a3s::store {

class VolumeStore {
 public:
  virtual ~VolumeStore() = default;
  VolumeStore(const VolumeStore&) = delete;
  VolumeStore& operator=(const VolumeStore&) = delete;

  // Returns the volume named `name`, or nullopt. Throws invalid_argument.
  virtual std::optional<VolumeConfig> get(std::string_view name) const = 0;

  // Creates the volume with mount_point = <home>/volumes/<name> (whatever
  // config.mount_point says) and that directory, and returns the record.
  // Throws invalid_argument, already_exists.
  virtual VolumeConfig create(const VolumeConfig& config) = 0;

  // Returns the existing volume named config.name, else creates it.
  virtual VolumeConfig get_or_create(const VolumeConfig& config) = 0;

  // Removes the volume and then its data directory; returns the record.
  // Throws not_found, in_use when boxes use it and not `force`; io, after
  // the row is gone, naming a directory that could not be deleted (a mount
  // point, say), which stays in place.
  virtual VolumeConfig remove(std::string_view name, bool force = false) = 0;

  // Returns every volume, sorted by name.
  virtual std::vector<VolumeConfig> list() const = 0;

  // Replaces the record named config.name wholesale (users included; the
  // mount point is kept). Throws not_found, invalid_argument.
  virtual VolumeConfig update(const VolumeConfig& config) = 0;

  // Marks `box_id` as a user of the volume (a no-op if it already is) and
  // returns the record. Throws not_found, invalid_argument.
  virtual VolumeConfig attach(std::string_view name, std::string_view box_id) = 0;

  // Removes `box_id` from the users (a no-op if it is not one) and returns
  // the record. Throws not_found, invalid_argument.
  virtual VolumeConfig detach(std::string_view name, std::string_view box_id) = 0;

  // Removes every volume no box uses, in one transaction, then their
  // directories; returns their names, sorted. Throws io as remove().
  virtual std::vector<std::string> prune() = 0;

 protected:
  // Made by a backend, which Store::open alone creates.
  VolumeStore() = default;
};

}  // namespace a3s::store
