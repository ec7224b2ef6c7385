#include "a3s/store/migrator.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "database.hpp"
#include "etcd_layout.hpp"
#include "migration_engine.hpp"
#include "store_url.hpp"

namespace a3s::store {
namespace fs = std::filesystem;

namespace {

const detail::Migrations& embedded() { return detail::embedded_migrations(); }

using detail::db_name;

// On etcd the Migrator reads and sets the namespace's key layout version
// instead of a schema (etcd_layout.hpp).
bool on_etcd(const Options& options) { return detail::parse_store_url(options.store).etcd; }

MigrationInfo info_of(const detail::EmbeddedMigration& m) {
  return {m.version, std::string(m.name), std::string(m.checksum)};
}

MigrationStatus read_status(const Options& options) {
  MigrationStatus status;
  status.latest = Migrator::latest_version();
  status.exists = fs::exists(options.db_path);
  if (status.exists) {
    try {
      Connection conn(options.db_path, options, Access::read_only);
      status.current = detail::user_version(conn.db());
      status.applied = detail::applied_migrations(conn.db());
    } catch (const SQLite::Exception& e) {
      throw detail::from_sqlite(e, db_name(options));
    }
  }
  for (const auto& m : embedded()) {
    if (m.version > status.current) status.pending.push_back(info_of(m));
  }
  return status;
}

// A private directory for a dry run's copy, removed with it.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("a3s-store-dry-run-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

Migrator::Migrator(Options options) : options_(resolve(std::move(options))) {}

int Migrator::latest_version() { return detail::latest_version(embedded()); }

std::vector<MigrationInfo> Migrator::known_migrations() {
  std::vector<MigrationInfo> known;
  for (const auto& m : embedded()) known.push_back(info_of(m));
  return known;
}

MigrationStatus Migrator::status() const {
  if (on_etcd(options_)) return detail::EtcdLayout(options_).status();
  return read_status(options_);
}

MigrationStatus Migrator::up(std::optional<int> to, bool dry_run) {
  if (on_etcd(options_)) return detail::EtcdLayout(options_).up(to, dry_run);
  const int target = to.value_or(latest_version());
  detail::check_target(embedded(), target);  // before anything is created
  if (!dry_run) {
    Database db(options_);
    detail::migrate(db, embedded(), target);
    return read_status(options_);
  }
  try {
    ScratchDir scratch;
    Options copy = options_;
    copy.db_path = scratch.path() / "box.db";
    if (fs::exists(options_.db_path)) detail::copy_database(options_, copy.db_path);
    {
      Database db(copy);
      detail::migrate(db, embedded(), target);
    }
    MigrationStatus after = read_status(copy);
    after.exists = fs::exists(options_.db_path);
    return after;
  } catch (const SQLite::Exception& e) {
    throw detail::from_sqlite(e, db_name(options_));
  } catch (const fs::filesystem_error& e) {
    throw detail::from_filesystem(e, db_name(options_));
  }
}

void Migrator::verify() const {
  if (on_etcd(options_)) return detail::EtcdLayout(options_).verify();
  if (!fs::exists(options_.db_path)) {
    throw Error(ErrorCode::not_found, db_name(options_) + " does not exist");
  }
  try {
    Connection conn(options_.db_path, options_, Access::read_only);
    const int current = detail::user_version(conn.db());
    const int latest = latest_version();
    detail::check_not_too_new(current, embedded(), db_name(options_));
    const auto applied = detail::applied_migrations(conn.db());
    detail::check_applied(applied, embedded(), db_name(options_));
    for (const auto& m : embedded()) {
      if (m.version > current) break;
      const bool recorded = std::any_of(applied.begin(), applied.end(),
                                        [&](const auto& a) { return a.version == m.version; });
      if (!recorded) {
        throw Error(ErrorCode::corrupt, db_name(options_) + " is at version " +
                                            std::to_string(current) + " but has no record of " +
                                            std::string(m.name));
      }
    }
    const std::string live = detail::dump_schema(conn.db());
    const std::string expected = current == latest ? std::string(detail::embedded_schema_snapshot())
                                                   : detail::replay_schema(embedded(), current);
    if (live != expected) {
      // Name the first line that differs ("" where one side has ended).
      std::istringstream a(live), b(expected);
      std::string la, lb;
      while (true) {
        const bool more_a = static_cast<bool>(std::getline(a, la));
        const bool more_b = static_cast<bool>(std::getline(b, lb));
        if (!more_a) la.clear();
        if (!more_b) lb.clear();
        if (la != lb || (!more_a && !more_b)) break;
      }
      throw Error(ErrorCode::corrupt,
                  db_name(options_) + ": live schema differs from schema version " +
                      std::to_string(current) + " at '" + la + "' (expected '" + lb + "')");
    }
  } catch (const SQLite::Exception& e) {
    throw detail::from_sqlite(e, db_name(options_));
  }
}

}  // namespace a3s::store
