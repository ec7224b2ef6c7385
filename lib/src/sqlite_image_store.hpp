// ImageStore on the SQLite database (image_store.hpp has the contract).
// Internal: made by SqliteBackend.
#pragma once

#include "a3s/store/image_store.hpp"

namespace a3s::store {

class Database;

class SqliteImageStore final : public ImageStore {
 public:
  SqliteImageStore(Database& db, std::filesystem::path home, std::uint64_t max_size_bytes)
      : ImageStore(std::move(home), max_size_bytes), db_(db) {}

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
  Database& db_;
};

}  // namespace a3s::store
