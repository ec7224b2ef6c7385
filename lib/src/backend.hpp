// What a Store runs on (SPEC §9): the four stores plus the operations that
// depend on where the records live. Store (store.hpp) holds one and forwards
// to it; Store::open picks the implementation from Options::store
// (sqlite_backend.hpp, etcd_backend.hpp). Internal.
#pragma once

#include <filesystem>
#include <string>

#include "a3s/store/check.hpp"
#include "a3s/store/image_store.hpp"
#include "a3s/store/legacy_import.hpp"
#include "a3s/store/network_store.hpp"
#include "a3s/store/snapshot_store.hpp"
#include "a3s/store/volume_store.hpp"

namespace a3s::store::detail {

class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // The stores, living as long as the backend.
  virtual NetworkStore& networks() = 0;
  virtual VolumeStore& volumes() = 0;
  virtual SnapshotStore& snapshots() = 0;
  virtual ImageStore& images() = 0;

  // The contracts of Store::check, backup, restore and import_legacy
  // (store.hpp). A backend without backup and restore throws
  // invalid_argument saying so, with describe() in the message.
  virtual CheckReport check(bool repair) = 0;
  virtual void backup(const std::filesystem::path& file, bool overwrite) = 0;
  virtual RestoreReport restore(const std::filesystem::path& file) = 0;
  virtual ImportReport import_legacy(const ImportOptions& options) = 0;

  // Where the records live, for messages: "the SQLite database '<file>'",
  // "the etcd cluster '<url>'".
  virtual std::string describe() const = 0;

 protected:
  Backend() = default;
};

}  // namespace a3s::store::detail
