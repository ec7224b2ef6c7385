// The non-virtual parts of the store interfaces, the same on every backend.
#include "a3s/store/image_store.hpp"
#include "a3s/store/snapshot_store.hpp"

namespace a3s::store {

std::filesystem::path SnapshotStore::directory_of(std::string_view id) const {
  validate_name("snapshot ID", id);
  return home_ / "snapshots" / std::string(id);
}

std::filesystem::path ImageStore::layout_of(std::string_view digest) const {
  validate_digest(digest);
  return home_ / "images" / "sha256" /
         std::string(digest.substr(std::string_view("sha256:").size()));
}

}  // namespace a3s::store
