// The SQLite backend's side of the home's file protocol (catalog_records.hpp):
// the records are the rows of the home's database, the write lock is
// SQLite's (BEGIN IMMEDIATE), and the pending removals are the rows of the
// pending_removals table (schema 0005). Internal.
#pragma once

#include "catalog_records.hpp"

namespace a3s::store {
class Connection;
class Database;
}  // namespace a3s::store

namespace a3s::store::detail {

// One transaction of Database::write or Database::read, on its connection.
class SqliteCatalogTxn final : public CatalogTxn {
 public:
  explicit SqliteCatalogTxn(Connection& conn) : conn_(conn) {}

  // A volumes row named `name`, a snapshots row with that ID, an images row
  // with digest sha256:<name>.
  bool owns(CatalogKind kind, std::string_view name) override;
  std::map<std::string, std::string> owned_names(CatalogKind kind) override;
  // The catalog_totals triggers keep the totals right.
  void remove_owners(CatalogKind kind, std::string_view name) override;
  std::vector<std::string> pending_removals(CatalogKind kind) override;
  void add_pending_removals(CatalogKind kind, const std::vector<std::string>& names) override;
  void clear_pending_removals(CatalogKind kind, const std::vector<std::string>& names) override;

 private:
  Connection& conn_;
};

// The rows of one home's database. Holds only a reference to `db`, so a
// store makes one where it needs it.
class SqliteCatalogRecords final : public CatalogRecords {
 public:
  explicit SqliteCatalogRecords(Database& db) : db_(db) {}

  // The database file's path.
  std::string identity() const override;
  // Only a store on the home's own database (<home>/box.db) describes it;
  // one opened with another database file (a copy, to inspect it) reads
  // rows only.
  bool describes_home(const std::filesystem::path& home) const override;
  bool read_only() const override;
  // invalid_argument unless describes_home(home), then io when the database
  // was opened read-only (Database::require_writable).
  void require_file_changes(std::string_view object,
                            const std::filesystem::path& home) const override;
  // Database::write: BEGIN IMMEDIATE, retried on busy.
  void write(std::string_view object, const std::function<void(CatalogTxn&)>& body) override;
  // Database::read: one deferred transaction.
  void read(std::string_view object, const std::function<void(CatalogTxn&)>& body) override;
  // A COMMIT whose fsync failed, on this thread (database.hpp).
  bool last_commit_outcome_unknown() const noexcept override;

 private:
  Database& db_;
};

}  // namespace a3s::store::detail
