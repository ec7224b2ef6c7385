// Pulled OCI images: a row per reference, and the unpacked layout at
// <home>/images/sha256/<hex>, shared by every reference with that digest
// (SPEC §4 "Images"): the interface every backend implements.
//
// Thread safety and the busy/io/corrupt errors as NetworkStore; files and
// rows (and, on SQLite, a store on another database than <home>/box.db) as
// SnapshotStore. Concurrent puts of one digest are fine: the first layout
// renamed into place wins and the others' copies are discarded.
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

class ImageStore {
 public:
  virtual ~ImageStore() = default;
  ImageStore(const ImageStore&) = delete;
  ImageStore& operator=(const ImageStore&) = delete;

  // Records `reference` at `digest`, copying the layout at `source_dir` into
  // <home>/images/sha256/<hex> (as SnapshotStore::save copies) unless a row
  // of that digest already has its layout there; a directory there without
  // a row is replaced by the copy, never adopted, and a symlink there is
  // refused with io. pulled_at = last_used = now;
  // size_bytes = bytes of the layout's regular files. If `reference` pointed
  // at another digest that no other reference keeps, that image stays as a
  // dangling entry whose reference is its digest. Returns the stored record.
  // Throws invalid_argument (digest or reference malformed — checked before
  // any path is built —, or `source_dir` missing or not a directory), io.
  virtual StoredImage put(std::string_view reference, std::string_view digest,
                          const std::filesystem::path& source_dir) = 0;

  // Returns the image and marks it used (last_used = now), or nullopt.
  virtual std::optional<StoredImage> get(std::string_view reference) = 0;

  // Returns the most recently used reference of `digest`, marked used, or
  // nullopt. Throws invalid_argument for a malformed digest.
  virtual std::optional<StoredImage> get_by_digest(std::string_view digest) = 0;

  // Removes `reference_or_digest` (a digest removes every reference to it)
  // and then any layout no reference points at any more; returns the
  // removed records. Throws not_found; io, after the rows are gone, naming
  // a layout that could not be deleted.
  virtual std::vector<StoredImage> remove(std::string_view reference_or_digest) = 0;

  // Returns every image, by reference.
  virtual std::vector<StoredImage> list() const = 0;

  // Bytes of the cached layouts, each digest counted once: one read of a
  // running total every write keeps (on SQLite, the schema's triggers).
  // Throws corrupt when that total is missing (the database was edited by
  // hand).
  virtual std::uint64_t total_size() const = 0;

  // Removes least recently used images (ties by reference), in one
  // transaction, until total_size() <= `max_size_bytes` (default: the cap
  // the store was opened with), then their layouts. Returns the evicted
  // references in eviction order.
  std::vector<std::string> evict() { return evict(max_size_bytes_); }
  virtual std::vector<std::string> evict(std::uint64_t max_size_bytes) = 0;

  std::uint64_t max_size_bytes() const { return max_size_bytes_; }

  // <home>/images/sha256/<hex> for a valid digest. Throws invalid_argument
  // for a malformed one.
  std::filesystem::path layout_of(std::string_view digest) const;

 protected:
  // Made by a backend, which Store::open alone creates, for the home whose
  // images directory holds the layouts, with the cap evict() applies.
  ImageStore(std::filesystem::path home, std::uint64_t max_size_bytes)
      : home_(std::move(home)), max_size_bytes_(max_size_bytes) {}

  const std::filesystem::path home_;
  const std::uint64_t max_size_bytes_;
};

}  // namespace a3s::store
