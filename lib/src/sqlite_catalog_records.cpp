#include "sqlite_catalog_records.hpp"

#include "a3s/store/error.hpp"
#include "a3s/store/options.hpp"
#include "database.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDigestPrefix = "sha256:";

// The catalog column of pending_removals.
const char* catalog_key(CatalogKind kind) {
  switch (kind) {
    case CatalogKind::volumes:
      return "volumes";
    case CatalogKind::snapshots:
      return "snapshots";
    case CatalogKind::images:
      break;
  }
  return "images";
}

}  // namespace

bool SqliteCatalogTxn::owns(CatalogKind kind, std::string_view name) {
  const char* sql = nullptr;
  std::string key(name);
  switch (kind) {
    case CatalogKind::volumes:
      sql = "SELECT 1 FROM volumes WHERE name = ?";
      break;
    case CatalogKind::snapshots:
      sql = "SELECT 1 FROM snapshots WHERE id = ?";
      break;
    case CatalogKind::images:
      sql = "SELECT 1 FROM images WHERE digest = ? LIMIT 1";
      key = std::string(kDigestPrefix) + key;
      break;
  }
  auto q = conn_.prepare(sql);
  q->bind(1, key);
  return q->executeStep();
}

std::map<std::string, std::string> SqliteCatalogTxn::owned_names(CatalogKind kind) {
  std::map<std::string, std::string> names;
  switch (kind) {
    case CatalogKind::volumes: {
      auto q = conn_.prepare("SELECT name, mount_point FROM volumes ORDER BY name");
      while (q->executeStep()) names[q->getColumn(0).getString()] = q->getColumn(1).getString();
      break;
    }
    case CatalogKind::snapshots: {
      auto q = conn_.prepare("SELECT id FROM snapshots ORDER BY id");
      while (q->executeStep()) names[q->getColumn(0).getString()] = {};
      break;
    }
    case CatalogKind::images: {
      auto q = conn_.prepare("SELECT DISTINCT digest FROM images ORDER BY digest");
      while (q->executeStep()) {
        const std::string digest = q->getColumn(0).getString();
        if (digest.starts_with(kDigestPrefix)) names[digest.substr(kDigestPrefix.size())] = {};
      }
      break;
    }
  }
  return names;
}

void SqliteCatalogTxn::remove_owners(CatalogKind kind, std::string_view name) {
  switch (kind) {
    case CatalogKind::volumes:
      throw Error(
          ErrorCode::invalid_argument,
          "volume '" + std::string(name) + "': a volume row is never removed for its files");
    case CatalogKind::snapshots: {
      auto erase = conn_.prepare("DELETE FROM snapshots WHERE id = ?");
      erase->bind(1, std::string(name));
      erase->exec();
      break;
    }
    case CatalogKind::images: {
      auto erase = conn_.prepare("DELETE FROM images WHERE digest = ?");
      erase->bind(1, std::string(kDigestPrefix) + std::string(name));
      erase->exec();
      break;
    }
  }
}

std::vector<std::string> SqliteCatalogTxn::pending_removals(CatalogKind kind) {
  auto q = conn_.prepare("SELECT name FROM pending_removals WHERE catalog = ? ORDER BY name");
  q->bind(1, catalog_key(kind));
  std::vector<std::string> names;
  while (q->executeStep()) names.push_back(q->getColumn(0).getString());
  return names;
}

void SqliteCatalogTxn::add_pending_removals(CatalogKind kind,
                                            const std::vector<std::string>& names) {
  auto insert = conn_.prepare(
      "INSERT INTO pending_removals (catalog, name) VALUES (?, ?) "
      "ON CONFLICT (catalog, name) DO NOTHING");
  for (const auto& name : names) {
    insert->reset();
    insert->bind(1, catalog_key(kind));
    insert->bind(2, name);
    insert->exec();
  }
}

void SqliteCatalogTxn::clear_pending_removals(CatalogKind kind,
                                              const std::vector<std::string>& names) {
  auto clear = conn_.prepare("DELETE FROM pending_removals WHERE catalog = ? AND name = ?");
  for (const auto& name : names) {
    clear->reset();
    clear->bind(1, catalog_key(kind));
    clear->bind(2, name);
    clear->exec();
  }
}

std::string SqliteCatalogRecords::identity() const { return db_.options().db_path.string(); }

bool SqliteCatalogRecords::describes_home(const fs::path& home) const {
  return db_.options().db_path == home / "box.db";
}

bool SqliteCatalogRecords::read_only() const { return db_.read_only(); }

void SqliteCatalogRecords::require_file_changes(std::string_view object,
                                                const fs::path& home) const {
  if (!describes_home(home)) {
    throw Error(ErrorCode::invalid_argument,
                std::string(object) + ": the database '" + identity() +
                    "' is not the home's own ('" + (home / "box.db").string() +
                    "'), so it may not change files under '" + home.string() +
                    "'; open the home's database to change them");
  }
  db_.require_writable(object);  // before anything is made under the home
}

void SqliteCatalogRecords::write(std::string_view object,
                                 const std::function<void(CatalogTxn&)>& body) {
  db_.write(object, [&](Connection& conn) {
    SqliteCatalogTxn txn(conn);
    body(txn);
    return 0;
  });
}

void SqliteCatalogRecords::read(std::string_view object,
                                const std::function<void(CatalogTxn&)>& body) {
  db_.read(object, [&](Connection& conn) {
    SqliteCatalogTxn txn(conn);
    body(txn);
    return 0;
  });
}

bool SqliteCatalogRecords::last_commit_outcome_unknown() const noexcept {
  return store::last_commit_outcome_unknown();
}

}  // namespace a3s::store::detail
