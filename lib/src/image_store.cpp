#include "a3s/store/image_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "catalog_totals.hpp"
#include "database.hpp"
#include "fault_injection.hpp"
#include "fs_ops.hpp"
#include "owned_files.hpp"
#include "stored_row.hpp"

namespace a3s::store {
namespace fs = std::filesystem;

namespace {

using nlohmann::json;

// A layout can vanish between put's unlocked check and its transaction (a
// concurrent remove retired it); each attempt then stages a fresh copy.
constexpr int kPutAttempts = 3;

std::string image_name(std::string_view reference) {
  return "image '" + std::string(reference) + "'";
}

// u64 sizes are stored as the int64 with the same bits (see 0001_initial.sql).
std::int64_t to_column(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// Row (reference, digest, size_bytes, pulled_at, last_used, path) → record
// (see stored_row.hpp for what is checked on the way).
StoredImage decode(const SQLite::Statement& statement) {
  detail::StoredRow row(statement, "image");
  StoredImage i;
  i.reference = row.text(0);
  row.named(i.reference);
  i.digest = row.text(1);
  i.size_bytes = row.u64(2);
  i.pulled_at = row.time(3, "pulled_at");
  i.last_used = row.time(4, "last_used");
  i.path = row.text(5);
  return i;
}

// Runs a statement returning image rows (a SELECT or a ... RETURNING) and
// decodes them all.
std::vector<StoredImage> decode_all(SQLite::Statement& rows) {
  std::vector<StoredImage> images;
  while (rows.executeStep()) images.push_back(decode(rows));
  return images;
}

std::optional<StoredImage> decode_one(SQLite::Statement& rows) {
  if (!rows.executeStep()) return std::nullopt;
  return decode(rows);
}

// Bytes of the cached layouts, each digest counted once (its largest
// size_bytes): the running total of image_layouts, O(1).
std::uint64_t cached_bytes(Connection& conn) {
  return detail::catalog_totals(conn, "image_layouts").bytes;
}

// Renames the complete copy at `staged` to `layout`. Call holding the write
// lock, with `layout` absent.
void place(const fs::path& staged, const fs::path& layout, const fs::path& home) {
  const fs::path parent = layout.parent_path();
  std::error_code ec;
  const bool created = fs::create_directories(parent, ec);
  if (ec) throw Error(ErrorCode::io, "cannot create '" + parent.string() + "': " + ec.message());
  if (created) {
    // The new images/sha256 entries must be durable before a row names them.
    detail::fsync_directory(parent.parent_path());
    detail::fsync_directory(home);
  }
  if (::rename(staged.c_str(), layout.c_str()) != 0) {
    throw Error(ErrorCode::io, "cannot move '" + staged.string() + "' to '" + layout.string() +
                                   "': " + std::strerror(errno));
  }
  detail::fsync_directory(parent);
}

// When `reference` moves away from its digest and no other reference has
// that digest, the image stays listed under its digest as reference
// (SPEC §4 "Images"), with its size, path and times.
void keep_displaced(Connection& conn, std::string_view reference, std::string_view digest) {
  auto q = conn.prepare(
      "INSERT INTO images (reference, digest, size_bytes, pulled_at, last_used, path) "
      "SELECT old.digest, old.digest, old.size_bytes, old.pulled_at, old.last_used, old.path "
      "FROM images AS old WHERE old.reference = ?1 AND old.digest <> ?2 AND NOT EXISTS "
      "(SELECT 1 FROM images AS other WHERE other.digest = old.digest "
      "AND other.reference <> ?1) "
      "ON CONFLICT (reference) DO NOTHING");
  q->bind(1, std::string(reference));
  q->bind(2, std::string(digest));
  q->exec();
}

StoredImage upsert(Connection& conn, std::string_view reference, std::string_view digest,
                   std::uint64_t size_bytes, const fs::path& layout) {
  auto q = conn.prepare(
      "INSERT INTO images (reference, digest, size_bytes, pulled_at, last_used, path) "
      "VALUES (?1, ?2, ?3, ?4, ?4, ?5) "
      "ON CONFLICT (reference) DO UPDATE SET digest = excluded.digest, "
      "size_bytes = excluded.size_bytes, pulled_at = excluded.pulled_at, "
      "last_used = excluded.last_used, path = excluded.path "
      "RETURNING reference, digest, size_bytes, pulled_at, last_used, path");
  q->bind(1, std::string(reference));
  q->bind(2, std::string(digest));
  q->bind(3, to_column(size_bytes));
  q->bind(4, format_rfc3339_sortable(now()));
  q->bind(5, layout.string());
  return *decode_one(*q);
}

// One attempt of put: stages a copy unless the layout is already there, then
// places it and commits the row. Returns nullopt when the layout vanished
// after the unlocked check and no copy was staged, so the caller retries.
std::optional<StoredImage> put_once(Database& db, const detail::Staging& staging,
                                    const fs::path& home, std::string_view reference,
                                    std::string_view digest, const fs::path& layout,
                                    const fs::path& source_dir) {
  fs::path staged;
  fs::path intent;
  bool renamed = false;
  try {
    std::error_code ec;
    if (!fs::exists(layout, ec)) {
      staged = staging.fresh_path("image");
      detail::copy_tree(source_dir, staged);
    }
    auto image =
        db.write(image_name(reference), [&](Connection& conn) -> std::optional<StoredImage> {
          // Checked on every run of the body: between busy retries the lock
          // is released, and a remove may retire even a layout we placed.
          std::error_code exists_ec;
          if (!fs::is_directory(layout, exists_ec)) {
            if (staged.empty() || renamed) return std::nullopt;
            if (intent.empty()) intent = staging.record_intent(layout);
            A3S_FAULT_POINT("image.put.before_rename");
            place(staged, layout, home);
            renamed = true;
            A3S_FAULT_POINT("image.put.after_rename");
          }
          keep_displaced(conn, reference, digest);
          StoredImage stored = upsert(conn, reference, digest, detail::tree_size(layout), layout);
          A3S_FAULT_POINT("image.put.before_commit");
          return stored;
        });
    if (!intent.empty()) staging.drop_intent(intent);
    if (!renamed) detail::Staging::remove_quietly(staged);
    return image;
  } catch (...) {
    if (renamed) {
      // Our layout is in place without our row: retire it unless another
      // put's row has claimed it meanwhile.
      detail::retire_unowned(db, staging, home, {layout}, intent);
    } else {
      detail::Staging::remove_quietly(staged);
      if (!intent.empty()) staging.drop_intent(intent);
    }
    throw;
  }
}

}  // namespace

ImageStore::ImageStore(Database& db, fs::path home, std::uint64_t max_size_bytes)
    : db_(db), home_(std::move(home)), max_size_bytes_(max_size_bytes) {}

fs::path ImageStore::layout_of(std::string_view digest) const {
  validate_digest(digest);
  return home_ / "images" / "sha256" /
         std::string(digest.substr(std::string_view("sha256:").size()));
}

StoredImage ImageStore::put(std::string_view reference, std::string_view digest,
                            const fs::path& source_dir) {
  validate_identifier("image reference", reference);
  const fs::path layout = layout_of(digest);  // validates the digest before any path is built
  std::error_code ec;
  if (!fs::is_directory(source_dir, ec)) {
    throw Error(ErrorCode::invalid_argument, image_name(reference) + ": source '" +
                                                 source_dir.string() + "' is not a directory");
  }
  const detail::Staging staging(home_);
  for (int attempt = 0; attempt < kPutAttempts; ++attempt) {
    if (auto image = put_once(db_, staging, home_, reference, digest, layout, source_dir)) {
      return *image;
    }
  }
  throw Error(ErrorCode::busy, image_name(reference) + ": the layout of " + std::string(digest) +
                                   " was removed by another process " +
                                   std::to_string(kPutAttempts) + " times while storing it");
}

std::optional<StoredImage> ImageStore::get(std::string_view reference) {
  validate_identifier("image reference", reference);
  return db_.write(image_name(reference), [&](Connection& conn) {
    auto q = conn.prepare(
        "UPDATE images SET last_used = ?1 WHERE reference = ?2 "
        "RETURNING reference, digest, size_bytes, pulled_at, last_used, path");
    q->bind(1, format_rfc3339_sortable(now()));
    q->bind(2, std::string(reference));
    return decode_one(*q);
  });
}

std::optional<StoredImage> ImageStore::get_by_digest(std::string_view digest) {
  validate_digest(digest);
  return db_.write(image_name(digest), [&](Connection& conn) {
    auto q = conn.prepare(
        "UPDATE images SET last_used = ?1 WHERE reference = "
        "(SELECT reference FROM images WHERE digest = ?2 ORDER BY last_used DESC, reference "
        "LIMIT 1) "
        "RETURNING reference, digest, size_bytes, pulled_at, last_used, path");
    q->bind(1, format_rfc3339_sortable(now()));
    q->bind(2, std::string(digest));
    return decode_one(*q);
  });
}

std::vector<StoredImage> ImageStore::remove(std::string_view reference_or_digest) {
  const bool by_digest = reference_or_digest.starts_with("sha256:");
  if (by_digest) {
    validate_digest(reference_or_digest);
  } else {
    validate_identifier("image reference", reference_or_digest);
  }
  const std::string target(reference_or_digest);
  const detail::Staging staging(home_);
  fs::path intent;
  std::vector<fs::path> layouts;
  auto removed = db_.write(image_name(target), [&](Connection& conn) {
    std::vector<StoredImage> images;
    {
      auto q = conn.prepare(
          by_digest ? "SELECT reference, digest, size_bytes, pulled_at, last_used, path "
                      "FROM images WHERE digest = ? ORDER BY reference"
                    : "SELECT reference, digest, size_bytes, pulled_at, last_used, path "
                      "FROM images WHERE reference = ?");
      q->bind(1, target);
      images = decode_all(*q);
    }
    if (images.empty()) {
      throw Error(ErrorCode::not_found, image_name(target) + " not found");
    }
    auto erase = conn.prepare(by_digest ? "DELETE FROM images WHERE digest = ?"
                                        : "DELETE FROM images WHERE reference = ?");
    erase->bind(1, target);
    erase->exec();
    layouts.clear();
    for (const auto& image : images) {
      const fs::path layout = layout_of(image.digest);
      if (!detail::owned_by_a_row(conn, home_, layout) &&
          std::find(layouts.begin(), layouts.end(), layout) == layouts.end()) {
        layouts.push_back(layout);
      }
    }
    if (!intent.empty()) staging.drop_intent(intent);  // from a run that rolled back
    intent = layouts.empty() ? fs::path() : staging.record_intent(layouts);
    return images;
  });
  A3S_FAULT_POINT("image.remove.after_commit");
  if (!layouts.empty()) detail::retire_unowned(db_, staging, home_, layouts, intent);
  return removed;
}

std::vector<StoredImage> ImageStore::list() const {
  return db_.read("images", [&](Connection& conn) {
    auto q = conn.prepare(
        "SELECT reference, digest, size_bytes, pulled_at, last_used, path FROM images "
        "ORDER BY reference");
    return decode_all(*q);
  });
}

std::uint64_t ImageStore::total_size() const {
  return db_.read("images", [&](Connection& conn) { return cached_bytes(conn); });
}

std::vector<std::string> ImageStore::evict() { return evict(max_size_bytes_); }

std::vector<std::string> ImageStore::evict(std::uint64_t max_size_bytes) {
  const detail::Staging staging(home_);
  fs::path intent;
  std::vector<fs::path> layouts;
  auto evicted = db_.write("image cache", [&](Connection& conn) {
    std::vector<std::string> references;
    layouts.clear();
    // Under the cap this is one read of the total. Over it, each pass
    // deletes exactly one row (or throws), so the loop ends after at most as
    // many passes as there are rows, re-reading the O(1) total each time.
    while (cached_bytes(conn) > max_size_bytes) {
      std::string reference;
      std::string digest;
      {
        auto lru = conn.prepare(
            "SELECT reference, digest FROM images ORDER BY last_used, reference LIMIT 1");
        if (!lru->executeStep()) {
          // No rows, yet a total over the cap: the totals no longer match.
          throw Error(ErrorCode::corrupt, "image cache: catalog_totals counts " +
                                              std::to_string(cached_bytes(conn)) +
                                              " bytes of images but the images table is empty");
        }
        reference = lru->getColumn(0).getString();
        digest = lru->getColumn(1).getString();
      }
      auto erase = conn.prepare("DELETE FROM images WHERE reference = ?");
      erase->bind(1, reference);
      if (erase->exec() != 1) {
        throw Error(ErrorCode::corrupt, image_name(reference) + " vanished while evicting it");
      }
      const fs::path layout = layout_of(digest);
      if (!detail::owned_by_a_row(conn, home_, layout)) layouts.push_back(layout);
      references.push_back(std::move(reference));
    }
    if (!intent.empty()) staging.drop_intent(intent);  // from a run that rolled back
    intent = layouts.empty() ? fs::path() : staging.record_intent(layouts);
    A3S_FAULT_POINT("image.evict.before_commit");
    return references;
  });
  A3S_FAULT_POINT("image.evict.after_commit");
  if (!layouts.empty()) detail::retire_unowned(db_, staging, home_, layouts, intent);
  return evicted;
}

}  // namespace a3s::store
