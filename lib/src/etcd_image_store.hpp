// Images on an etcd cluster (SPEC §4 "Images", §9). Keys, below the
// namespace:
//   img/<reference>                   the record, without last_used
//   imgused/<reference>               its last_used, so that marking an image
//                                     used rewrites a timestamp, not the record
//   imgdig/<digest>/<reference>       the index by digest; the value is the
//                                     image's size_bytes
//   meta/totals/images                the layouts' totals (etcd_totals.hpp)
// The layouts live under the home as on SQLite, shared per digest, placed and
// deleted through the shared file protocol (directory_change.hpp) under the
// namespace's catalog lock. get and get_by_digest write (last_used), so a
// cluster serving many gets needs compaction like one serving many writes.
// Internal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "a3s/store/image_store.hpp"
#include "catalog_records.hpp"
#include "catalog_totals.hpp"
#include "etcd_keyspace.hpp"
#include "etcd_txn.hpp"

namespace a3s::store::detail {

class EtcdImageStore final : public ImageStore {
 public:
  // The store of `space`'s images, whose layouts live under `home`, with the
  // cap evict() applies; `records` is the namespace's CatalogRecords (its
  // writes hold the catalog lock). Both must outlive the store. Registers
  // erase_images_of_layout below as `space`'s owner removal for images: made
  // before any operation runs.
  EtcdImageStore(EtcdKeyspace& space, CatalogRecords& records, std::filesystem::path home,
                 std::uint64_t max_size_bytes);

  StoredImage put(std::string_view reference, std::string_view digest,
                  const std::filesystem::path& source_dir) override;
  std::optional<StoredImage> get(std::string_view reference) override;
  std::optional<StoredImage> get_by_digest(std::string_view digest) override;
  std::vector<StoredImage> remove(std::string_view reference_or_digest) override;
  std::vector<StoredImage> list() const override;
  std::uint64_t total_size() const override;
  using ImageStore::evict;
  std::vector<std::string> evict(std::uint64_t max_size_bytes) override;

 private:
  std::optional<StoredImage> put_once(std::string_view reference, std::string_view digest,
                                      const std::filesystem::path& source_dir);

  EtcdKeyspace& space_;
  CatalogRecords& records_;
};

// Deletes in `txn` every image whose digest is sha256:<hex>, with its index
// keys, keeping the totals right; returns them. The store registers it
// as the keyspace's owner removal for images (EtcdTxn::remove_owners:
// `check --repair` of a layout whose directory is gone).
std::vector<StoredImage> erase_images_of_layout(EtcdTxn& txn, std::string_view hex);

}  // namespace a3s::store::detail
