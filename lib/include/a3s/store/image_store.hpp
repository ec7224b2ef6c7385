// Pulled OCI images: a row per reference, and the unpacked layout at
// <home>/images/sha256/<hex>, shared by every reference with that digest
// (SPEC §4 "Images").
//
// Thread safety and the busy/io/corrupt errors as NetworkStore; files and
// rows (and a store on another database than <home>/box.db) as
// SnapshotStore. Concurrent puts of one digest are fine: the first layout
// renamed into place wins and the others' copies are discarded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/records.hpp"

namespace a3s::store {

class Database;

class ImageStore {
 public:
  // Handed out by Store::open (store.hpp), which alone makes one.
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
  StoredImage put(std::string_view reference, std::string_view digest,
                  const std::filesystem::path& source_dir);

  // Returns the image and marks it used (last_used = now), or nullopt.
  std::optional<StoredImage> get(std::string_view reference);

  // Returns the most recently used reference of `digest`, marked used, or
  // nullopt. Throws invalid_argument for a malformed digest.
  std::optional<StoredImage> get_by_digest(std::string_view digest);

  // Removes `reference_or_digest` (a digest removes every reference to it)
  // and then any layout no reference points at any more; returns the
  // removed records. Throws not_found; io, after the rows are gone, naming
  // a layout that could not be deleted.
  std::vector<StoredImage> remove(std::string_view reference_or_digest);

  // Returns every image, by reference.
  std::vector<StoredImage> list() const;

  // Bytes of the cached layouts, each digest counted once: one read of the
  // running total the schema's triggers keep. Throws corrupt when that
  // total is missing (the database was edited by hand).
  std::uint64_t total_size() const;

  // Removes least recently used images (ties by reference), in one
  // transaction, until total_size() <= `max_size_bytes` (default: the cap
  // the store was opened with), then their layouts. Returns the evicted
  // references in eviction order.
  std::vector<std::string> evict();
  std::vector<std::string> evict(std::uint64_t max_size_bytes);

  std::uint64_t max_size_bytes() const { return max_size_bytes_; }

  // <home>/images/sha256/<hex> for a valid digest.
  std::filesystem::path layout_of(std::string_view digest) const;

 private:
  friend class Store;
  ImageStore(Database& db, std::filesystem::path home, std::uint64_t max_size_bytes);

  Database& db_;
  std::filesystem::path home_;
  std::uint64_t max_size_bytes_;
};

}  // namespace a3s::store
