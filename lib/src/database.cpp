#include "database.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace a3s::store {
namespace fs = std::filesystem;

namespace {

// The mapping is address space, not memory; pages come from the OS cache.
constexpr std::int64_t kMmapBytes = std::int64_t{256} << 20;

int open_flags(bool read_only) {
  return read_only ? SQLite::OPEN_READONLY
                   : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX;
}

std::string context_for(const fs::path& path) { return "database '" + path.string() + "'"; }

SQLite::Database open_database(const fs::path& path, const Options& options, bool read_only) {
  try {
    return SQLite::Database(path.string(), open_flags(read_only),
                            static_cast<int>(options.busy_timeout.count()));
  } catch (const SQLite::Exception& e) {
    throw detail::from_sqlite(e, context_for(path));
  }
}

}  // namespace

// Every PRAGMA the engine relies on is set here, on every connection.
Connection::Connection(const fs::path& path, const Options& options, bool read_only)
    : db_(open_database(path, options, read_only)) {
  try {
    db_.exec("PRAGMA foreign_keys = ON");
    // A row deleted by INSERT OR REPLACE fires the delete triggers that keep
    // catalog_totals (0003) only with this on.
    db_.exec("PRAGMA recursive_triggers = ON");
    db_.exec(options.durability == Durability::full ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL");
    // Pages are read through a shared mapping rather than a pread into each
    // connection's private cache: a lookup in a catalog far larger than the
    // cache then costs memory reads, not system calls.
    db_.exec("PRAGMA mmap_size = " + std::to_string(kMmapBytes));
  } catch (const SQLite::Exception& e) {
    throw detail::from_sqlite(e, context_for(path));
  }
}

void Connection::enable_wal() {
  const std::string mode = db_.execAndGet("PRAGMA journal_mode = WAL").getString();
  if (mode != "wal") {
    throw Error(ErrorCode::io, "database '" + db_.getFilename() +
                                   "': SQLite refused WAL mode (journal_mode is '" + mode + "')");
  }
}

Connection::Lease Connection::prepare(const char* sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    auto statement = std::make_unique<SQLite::Statement>(db_, sql);
    std::string_view key = statement->getQuery();  // owned by the statement
    found = statements_.emplace(key, std::move(statement)).first;
  }
  SQLite::Statement& statement = *found->second;
  statement.reset();
  statement.clearBindings();
  return Lease(statement);
}

std::int64_t Connection::scalar(const char* sql) {
  auto q = prepare(sql);
  return q->executeStep() ? q->getColumn(0).getInt64() : 0;
}

Transaction::Transaction(Connection& conn, bool immediate) : conn_(conn) {
  conn_.prepare(immediate ? "BEGIN IMMEDIATE" : "BEGIN")->exec();
}

Transaction::~Transaction() {
  // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
  if (committed_ || sqlite3_get_autocommit(conn_.db().getHandle())) return;
  try {
    conn_.prepare("ROLLBACK")->exec();
  } catch (const SQLite::Exception& e) {
    spdlog::error("database '{}': rollback failed: {}", conn_.db().getFilename(), e.what());
  }
}

void Transaction::commit() {
  conn_.prepare("COMMIT")->exec();
  committed_ = true;
}

Database::Database(const Options& options) : options_(options) {
  try {
    fs::create_directories(options_.db_path.parent_path());
  } catch (const fs::filesystem_error& e) {
    throw detail::from_filesystem(e, context_for(options_.db_path));
  }
  release(std::make_unique<Connection>(options_.db_path, options_));
}

Database::PooledConnection Database::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      // Prefer the connection this thread used last: its page cache and
      // statements are still in this core's caches. Handing connections
      // round between threads cost small reads a third of their speed.
      const auto self = std::this_thread::get_id();
      auto it = std::find_if(idle_.rbegin(), idle_.rend(),
                             [&](const IdleConnection& c) { return c.last_user == self; });
      auto chosen = it == idle_.rend() ? std::prev(idle_.end()) : std::prev(it.base());
      auto conn = std::move(chosen->conn);
      idle_.erase(chosen);
      return PooledConnection(*this, std::move(conn));
    }
  }
  // Opened outside the lock: a slow open must not stall other threads.
  return PooledConnection(*this, std::make_unique<Connection>(options_.db_path, options_));
}

void Database::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mutex_);
  if (static_cast<int>(idle_.size()) < options_.max_idle_connections) {
    idle_.push_back({std::this_thread::get_id(), std::move(conn)});
  }
}

bool Database::retryable(const SQLite::Exception& e, int attempt) const {
  const int primary = e.getErrorCode() & 0xff;
  return (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && attempt < options_.busy_retries;
}

void Database::back_off(int attempt) const {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int ceiling_ms = 10 << std::min(attempt, 6);
  const auto delay =
      std::chrono::milliseconds(std::uniform_int_distribution<int>(1, ceiling_ms)(rng));
  spdlog::warn("database '{}' busy, retrying in {} ms (attempt {})", options_.db_path.string(),
               delay.count(), attempt + 1);
  std::this_thread::sleep_for(delay);
}

}  // namespace a3s::store
