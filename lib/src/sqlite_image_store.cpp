#include "sqlite_image_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "catalog_rows.hpp"
#include "catalog_totals.hpp"
#include "column_list.hpp"
#include "database.hpp"
#include "directory_change.hpp"
#include "fault_injection.hpp"
#include "image_rules.hpp"
#include "rfc3339.hpp"
#include "sqlite_catalog_records.hpp"
#include "stored_row.hpp"
#include "tree_copy.hpp"

namespace a3s::store {
namespace fs = std::filesystem;

namespace {

using nlohmann::json;

using detail::image_name;
using detail::layout_name;

// u64 sizes are stored as the int64 with the same bits (see 0001_initial.sql).
std::int64_t to_column(std::uint64_t v) { return static_cast<std::int64_t>(v); }

// One definition of the images columns: the SQL below, decode() and the
// binds all follow it.
constexpr detail::ColumnList kImage{"reference", "digest",    "size_bytes",
                                    "pulled_at", "last_used", "path"};

const std::string kImageColumns = kImage.list();
const std::string kSelectByReference =
    "SELECT " + kImageColumns + " FROM images WHERE reference = ?";
const std::string kSelectByDigest =
    "SELECT " + kImageColumns + " FROM images WHERE digest = ? ORDER BY reference";
const std::string kSelectImages = "SELECT " + kImageColumns + " FROM images ORDER BY reference";
const std::string kUpsertImage =
    "INSERT INTO images (" + kImageColumns + ") VALUES (" + kImage.placeholders() +
    ") ON CONFLICT (reference) DO UPDATE SET " + kImage.set_from_excluded("reference") +
    " RETURNING " + kImageColumns;
// The row of an image whose reference moved to another digest, listed
// under its old digest as reference (see keep_displaced).
const std::string kInsertDisplaced =
    "INSERT INTO images (" + kImageColumns + ") SELECT " +
    kImage.join([](std::string_view name, int) {
      return name == "reference" ? std::string("old.digest") : "old." + std::string(name);
    }) +
    " FROM images AS old WHERE old.reference = ?1 AND old.digest <> ?2 AND NOT EXISTS "
    "(SELECT 1 FROM images AS other WHERE other.digest = old.digest "
    "AND other.reference <> ?1) "
    "ON CONFLICT (reference) DO NOTHING";
const std::string kTouchReference =
    "UPDATE images SET last_used = ?1 WHERE reference = ?2 RETURNING " + kImageColumns;
const std::string kTouchDigest =
    "UPDATE images SET last_used = ?1 WHERE reference = "
    "(SELECT reference FROM images WHERE digest = ?2 ORDER BY last_used DESC, reference "
    "LIMIT 1) RETURNING " +
    kImageColumns;

// Row → record (see stored_row.hpp for what is checked on the way).
StoredImage decode(const SQLite::Statement& statement) {
  constexpr auto& c = kImage;
  detail::StoredRow row(statement, "image");
  StoredImage i;
  i.reference = row.text(c.at("reference"));
  row.named(i.reference);
  i.digest = row.text(c.at("digest"));
  i.size_bytes = row.u64(c.at("size_bytes"));
  i.pulled_at = row.time(c.at("pulled_at"), "pulled_at");
  i.last_used = row.time(c.at("last_used"), "last_used");
  i.path = row.text(c.at("path"));
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

// When `reference` moves away from its digest and no other reference has
// that digest, the image stays listed under its digest as reference
// (SPEC §4 "Images"), with its size, path and times.
void keep_displaced(Connection& conn, std::string_view reference, std::string_view digest) {
  auto q = conn.prepare(kInsertDisplaced.c_str());
  q->bind(1, std::string(reference));
  q->bind(2, std::string(digest));
  q->exec();
}

// The size recorded for a layout already cached under `digest`.
std::uint64_t recorded_size(Connection& conn, std::string_view digest) {
  auto q =
      conn.prepare("SELECT size_bytes FROM images WHERE digest = ? ORDER BY reference LIMIT 1");
  q->bind(1, std::string(digest));
  return q->executeStep() ? static_cast<std::uint64_t>(q->getColumn(0).getInt64()) : 0;
}

// One attempt of put: copies the layout unless a row's layout is already in
// place, then (holding the write lock) places the copy and commits the row.
// Returns nullopt when the layout it meant to share was removed meanwhile
// and no copy was made, so the caller tries again with a copy.
std::optional<StoredImage> put_once(Database& db, const fs::path& home, std::string_view reference,
                                    std::string_view digest, const fs::path& source_dir) {
  const std::string hex = layout_name(digest);
  detail::SqliteCatalogRecords records(db);
  detail::DirectoryChange change(records, home, detail::CatalogKind::images, image_name(reference));
  // A layout is only ever shared once a row records it: one without a row
  // may be anything (a crashed copy, a file put there by hand).
  auto cached = [&](Connection& conn) {
    return detail::SqliteCatalogTxn(conn).owns(detail::CatalogKind::images, hex) &&
           change.catalog().entry_type(hex) == detail::EntryType::directory;
  };
  std::uint64_t copied = 0;
  if (!db.read(image_name(reference), cached)) {
    change.stage("image", [&](int parent_fd, const std::string& name, const fs::path& path) {
      copied = detail::copy_tree(source_dir, parent_fd, name, path).bytes;
    });
  }
  A3S_FAULT_POINT("image.put.before_write");
  auto image = db.write(image_name(reference), [&](Connection& conn) -> std::optional<StoredImage> {
    std::uint64_t size = copied;
    if (!change.placed() && cached(conn)) {
      size = recorded_size(conn, digest);
    } else if (change.staged() || change.placed()) {
      A3S_FAULT_POINT("image.put.before_rename");
      detail::SqliteCatalogTxn txn(conn);
      change.place(txn, hex);
      A3S_FAULT_POINT("image.put.after_rename");
    } else {
      return std::nullopt;
    }
    keep_displaced(conn, reference, digest);
    const Timestamp stored_at = now();
    StoredImage stored =
        detail::store_image(conn, {std::string(reference), std::string(digest), size, stored_at,
                                   stored_at, (home / "images" / "sha256" / hex).string()});
    A3S_FAULT_POINT("image.put.before_commit");
    return stored;
  });
  if (image) change.finish();
  return image;
}

// The layouts of `digests` (whose rows were just deleted) that no row
// points at any more, each once.
std::vector<std::string> unowned_layouts(detail::CatalogTxn& txn,
                                         const std::vector<std::string>& digests) {
  std::vector<std::string> layouts;
  for (const auto& digest : digests) {
    std::string hex = layout_name(digest);
    if (!txn.owns(detail::CatalogKind::images, hex) &&
        std::find(layouts.begin(), layouts.end(), hex) == layouts.end()) {
      layouts.push_back(std::move(hex));
    }
  }
  return layouts;
}

}  // namespace

namespace detail {

std::optional<StoredImage> load_image(Connection& conn, std::string_view reference) {
  auto q = conn.prepare(kSelectByReference.c_str());
  q->bind(1, std::string(reference));
  return decode_one(*q);
}

StoredImage store_image(Connection& conn, const StoredImage& i) {
  constexpr auto& c = kImage;
  auto q = conn.prepare(kUpsertImage.c_str());
  q->bind(c.param("reference"), i.reference);
  q->bind(c.param("digest"), i.digest);
  q->bind(c.param("size_bytes"), to_column(i.size_bytes));
  q->bind(c.param("pulled_at"), format_rfc3339_sortable(i.pulled_at));
  q->bind(c.param("last_used"), format_rfc3339_sortable(i.last_used));
  q->bind(c.param("path"), i.path);
  return *decode_one(*q);
}

}  // namespace detail

StoredImage SqliteImageStore::put(std::string_view reference, std::string_view digest,
                                  const fs::path& source_dir) {
  detail::validate_put(reference, digest, source_dir);
  // A layout can vanish between put's unlocked check and its transaction
  // (a concurrent remove retired it); each attempt then stages a fresh copy.
  for (int attempt = 0; attempt < detail::kImagePutAttempts; ++attempt) {
    if (auto image = put_once(db_, home_, reference, digest, source_dir)) {
      return *image;
    }
  }
  throw detail::layout_kept_vanishing(reference, digest);
}

std::optional<StoredImage> SqliteImageStore::get(std::string_view reference) {
  validate_identifier("image reference", reference);
  return db_.write_grouped(image_name(reference), [&](Connection& conn) {
    auto q = conn.prepare(kTouchReference.c_str());
    q->bind(1, format_rfc3339_sortable(now()));
    q->bind(2, std::string(reference));
    return decode_one(*q);
  });
}

std::optional<StoredImage> SqliteImageStore::get_by_digest(std::string_view digest) {
  validate_digest(digest);
  return db_.write_grouped(image_name(digest), [&](Connection& conn) {
    auto q = conn.prepare(kTouchDigest.c_str());
    q->bind(1, format_rfc3339_sortable(now()));
    q->bind(2, std::string(digest));
    return decode_one(*q);
  });
}

std::vector<StoredImage> SqliteImageStore::remove(std::string_view reference_or_digest) {
  const bool by_digest = detail::validate_reference_or_digest(reference_or_digest);
  const std::string target(reference_or_digest);
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::images, image_name(target));
  auto removed = db_.write(image_name(target), [&](Connection& conn) {
    std::vector<StoredImage> images;
    {
      auto q = conn.prepare(by_digest ? kSelectByDigest.c_str() : kSelectByReference.c_str());
      q->bind(1, target);
      images = decode_all(*q);
    }
    if (images.empty()) throw not_found("image", target);
    auto erase = conn.prepare(by_digest ? "DELETE FROM images WHERE digest = ?"
                                        : "DELETE FROM images WHERE reference = ?");
    erase->bind(1, target);
    erase->exec();
    std::vector<std::string> digests;
    for (const auto& image : images) digests.push_back(image.digest);
    detail::SqliteCatalogTxn txn(conn);
    change.remove_after_commit(txn, unowned_layouts(txn, digests));
    return images;
  });
  A3S_FAULT_POINT("image.remove.after_commit");
  change.finish();
  return removed;
}

std::vector<StoredImage> SqliteImageStore::list() const {
  return db_.read("images", [&](Connection& conn) {
    auto q = conn.prepare(kSelectImages.c_str());
    return decode_all(*q);
  });
}

std::uint64_t SqliteImageStore::total_size() const {
  return db_.read("images", [&](Connection& conn) { return cached_bytes(conn); });
}

std::vector<std::string> SqliteImageStore::evict(std::uint64_t max_size_bytes) {
  detail::SqliteCatalogRecords records(db_);
  detail::DirectoryChange change(records, home_, detail::CatalogKind::images, "image cache");
  auto evicted = db_.write("image cache", [&](Connection& conn) {
    std::vector<std::string> references;
    std::vector<std::string> digests;
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
      digests.push_back(std::move(digest));
      references.push_back(std::move(reference));
    }
    detail::SqliteCatalogTxn txn(conn);
    change.remove_after_commit(txn, unowned_layouts(txn, digests));
    A3S_FAULT_POINT("image.evict.before_commit");
    return references;
  });
  A3S_FAULT_POINT("image.evict.after_commit");
  change.finish();
  return evicted;
}

}  // namespace a3s::store
