#include "backup.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "a3s/store/error.hpp"
#include "catalog_dir.hpp"
#include "database.hpp"
#include "io_error.hpp"
#include "log.hpp"
#include "migration_engine.hpp"
#include "store_check.hpp"
#include "unique_fd.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

// How often a backup step that met a lock is tried again, and the pause
// between tries. WAL readers block no writer, so a lock here is another
// process switching the journal mode or recovering the WAL: brief.
constexpr int kBusyRetries = 200;
constexpr auto kBusyPause = std::chrono::milliseconds(25);

std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

// `file` made absolute, its directory resolved (the file itself may not
// exist yet). Refuses the database's own files.
fs::path target_of(const Database& db, const fs::path& file) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(file);
  const fs::path dir = fs::canonical(absolute.parent_path(), ec);
  if (ec || !fs::is_directory(dir)) {
    throw Error(ErrorCode::invalid_argument, "backup file " + quote(file) + ": directory " +
                                                 quote(absolute.parent_path()) + " does not exist");
  }
  const fs::path target = dir / absolute.filename();
  const fs::path& db_path = db.options().db_path;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    if (target == fs::path(db_path.string() + suffix)) {
      throw Error(ErrorCode::invalid_argument,
                  "backup file " + quote(file) + " is the database's own file");
    }
  }
  if (fs::is_directory(target, ec)) {
    throw Error(ErrorCode::invalid_argument, "backup file " + quote(file) + " is a directory");
  }
  return target;
}

void fsync_path(const fs::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd) throw_io("cannot open", path, errno);
  if (::fsync(fd.get()) != 0) throw_io("cannot fsync", path, errno);
}

// Copies every page of `source` into `dest` in one step, so the copy comes
// from one read snapshot of the source (and, when `dest` is a live
// database, lands in one write).
void copy_pages(SQLite::Database& dest, SQLite::Database& source, const fs::path& target) {
  SQLite::Backup backup(dest, "main", source, "main");
  for (int attempt = 0;; ++attempt) {
    const int rc = backup.executeStep(-1);
    if (rc == SQLITE_DONE) return;
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempt < kBusyRetries) {
      std::this_thread::sleep_for(kBusyPause);
      continue;
    }
    throw Error(ErrorCode::busy, "copy to " + quote(target) + ": the database stayed locked");
  }
}

// A private directory beside the database, removed with everything in it
// when this goes out of scope.
class ScratchDir {
 public:
  explicit ScratchDir(const fs::path& beside)
      : path_(beside.parent_path() / ("." + fresh_staging_name("restore"))) {
    if (::mkdir(path_.c_str(), 0700) != 0) throw_io("cannot create directory", path_, errno);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `body`, turning SQLite's failures into Error naming `what`.
template <class Body>
void naming(const std::string& what, Body&& body) {
  try {
    body();
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode();
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      throw Error(ErrorCode::invalid_argument, what + " is not a store database: " + e.what());
    }
    throw Error(code == SQLITE_BUSY ? ErrorCode::busy : ErrorCode::io, what + ": " + e.what());
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.starts_with(what)) throw;
    throw Error(e.code(), what + ": " + message);
  }
}

}  // namespace

void backup_database(Database& db, const fs::path& file, bool overwrite) {
  const fs::path target = target_of(db, file);
  std::error_code ec;
  if (!overwrite && fs::exists(fs::symlink_status(target, ec))) {
    throw Error(ErrorCode::already_exists,
                "backup file " + quote(target) + " already exists (--force overwrites it)");
  }
  const fs::path temp =
      target.parent_path() / ("." + fresh_staging_name(target.filename().string()));
  // Whatever happens before the rename, the temporary copy goes.
  struct RemoveOnExit {
    const fs::path& path;
    bool armed = true;
    ~RemoveOnExit() {
      if (!armed) return;
      std::error_code ignored;
      for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
        fs::remove(fs::path(path.string() + suffix), ignored);
      }
    }
  } cleanup{temp};

  db.use("backup to " + quote(target), [&](Connection& conn) {
    SQLite::Database dest(temp.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    copy_pages(dest, conn.db(), target);
    SQLite::Statement check(dest, "PRAGMA integrity_check");
    while (check.executeStep()) {
      const std::string line = check.getColumn(0).getString();
      if (line != "ok") {
        throw Error(ErrorCode::corrupt,
                    "backup to " + quote(target) + " failed its integrity check: " + line);
      }
    }
    return 0;
  });

  fsync_path(temp, O_RDONLY);
  const unsigned flags = overwrite ? 0 : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), flags) != 0) {
    if (errno == EEXIST) {
      throw Error(ErrorCode::already_exists,
                  "backup file " + quote(target) + " already exists (--force overwrites it)");
    }
    throw_io("cannot rename the backup to", target, errno);
  }
  cleanup.armed = false;
  fsync_path(target.parent_path(), O_RDONLY | O_DIRECTORY);
  detail::log().info("backed up {} to {}", db.options().db_path.string(), target.string());
}

RestoreReport restore_database(Database& db, const fs::path& file) {
  const std::string what = "restore from " + quote(file);
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw Error(ErrorCode::invalid_argument, what + ": no such database file");
  }
  const fs::path& db_path = db.options().db_path;
  if (fs::equivalent(file, db_path, ec)) {
    throw Error(ErrorCode::invalid_argument, what + ": that is the database itself");
  }
  db.require_writable(what);  // before the copy and the backup are written

  // A copy of `file` at this engine's schema, in a directory of our own.
  ScratchDir scratch(db_path);
  const fs::path copy = scratch.path() / "box.db";
  naming(what, [&] {
    SQLite::Database source(file.string(), SQLite::OPEN_READONLY);
    SQLite::Database dest(copy.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    copy_pages(dest, source, copy);
  });
  naming(what, [&] {
    Options options = db.options();
    options.home = scratch.path();
    options.db_path = copy;
    options.auto_migrate = true;
    Database staged(options);
    open_schema(staged, embedded_migrations());
  });

  RestoreReport report;
  report.previous_database = db_path.string() + ".bak-restore-" +
                             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  backup_database(db, report.previous_database, /*overwrite=*/false);

  db.use(what, [&](Connection& conn) {
    SQLite::Database source(copy.string(), SQLite::OPEN_READONLY);
    copy_pages(conn.db(), source, db_path);
    return 0;
  });
  detail::log().info("restored {} into {} (the previous database is {})", file.string(),
                     db_path.string(), report.previous_database);
  report.check = check_home(db, /*repair=*/false);
  return report;
}

}  // namespace a3s::store::detail
