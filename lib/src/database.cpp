#include "database.hpp"
#include "fault_injection.hpp"
#include "log.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace a3s::store {
namespace fs = std::filesystem;

namespace {

// The mapping is address space, not memory; pages come from the OS cache.
constexpr std::int64_t kMmapBytes = std::int64_t{256} << 20;

// A file: URI for `path`, every byte but unreserved ones and '/'
// percent-encoded (SQLite decodes them).
std::string file_uri(const fs::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (const unsigned char c : path.string()) {
    if (std::isalnum(c) != 0 || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xf];
    }
  }
  return uri;
}

std::string context_for(const fs::path& path) { return "database '" + path.string() + "'"; }

SQLite::Database open_database(const fs::path& path, const Options& options, Access access) {
  const int timeout = static_cast<int>(options.busy_timeout.count());
  try {
    switch (access) {
      case Access::read_only:
        return SQLite::Database(path.string(), SQLite::OPEN_READONLY, timeout);
      case Access::immutable:
        return SQLite::Database(file_uri(path) + "?immutable=1",
                                SQLite::OPEN_READONLY | SQLite::OPEN_URI, timeout);
      case Access::read_write:
        break;
    }
    return SQLite::Database(path.string(),
                            SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                            timeout);
  } catch (const SQLite::Exception& e) {
    throw detail::from_sqlite(e, context_for(path));
  }
}

// Why this process may not create files in the directory SQLite makes the
// database's -wal and -shm in (beside the file a symlink leads to), ""
// when it may or the directory is missing.
std::string unwritable_directory(const fs::path& path) {
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(path, ec);
  const fs::path dir = (ec ? path : target).parent_path();
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK, AT_EACCESS) != 0 && errno != ENOENT) {
    return "its directory '" + dir.string() + "' is not writable (" + std::strerror(errno) +
           "), and SQLite keeps the database's -wal and -shm files there";
  }
  return {};
}

// Why this process may not write the file, "" when it may or it is missing.
std::string unwritable_file(const fs::path& path) {
  if (::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) != 0 && errno != ENOENT) {
    return std::string("the file is not writable (") + std::strerror(errno) + ")";
  }
  return {};
}

}  // namespace

// Every PRAGMA the engine relies on is set here, on every connection.
Connection::Connection(const fs::path& path, const Options& options, Access access)
    : db_(open_database(path, options, access)) {
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
  if (sqlite3_db_readonly(db_.getHandle(), "main") == 1) return;  // read as it is
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

namespace {

// Set by a COMMIT whose fsync failed, until this thread's next transaction
// begins.
thread_local bool commit_outcome_unknown = false;

}  // namespace

bool last_commit_outcome_unknown() noexcept { return commit_outcome_unknown; }

Transaction::Transaction(Connection& conn, bool immediate) : conn_(conn) {
  commit_outcome_unknown = false;
  conn_.prepare(immediate ? "BEGIN IMMEDIATE" : "BEGIN")->exec();
}

Transaction::~Transaction() {
  // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
  if (committed_ || sqlite3_get_autocommit(conn_.db().getHandle())) return;
  try {
    conn_.prepare("ROLLBACK")->exec();
  } catch (const SQLite::Exception& e) {
    detail::log().error("database '{}': rollback failed: {}", conn_.db().getFilename(), e.what());
  }
}

void Transaction::commit() {
  try {
    conn_.prepare("COMMIT")->exec();
  } catch (const SQLite::Exception& e) {
    // A failed write leaves no commit record; a failed fsync comes after it.
    commit_outcome_unknown = e.getExtendedErrorCode() == SQLITE_IOERR_FSYNC ||
                             e.getExtendedErrorCode() == SQLITE_IOERR_DIR_FSYNC;
    throw;
  }
  committed_ = true;
}

namespace {

// How long a group's leader may wait for the last group's writers to queue
// again at synchronous=FULL (WriteQueue): about half of a commit's fsync on
// a virtio disk (~200 us), so waiting costs less than the commit of its own
// it saves. With 8 threads connecting boxes, a fifth to a half of the groups
// had one writer without it; with it, almost none (most had 7 or 8).
constexpr std::chrono::microseconds kGatherWait{100};

// SQLite keeps allocation statistics under one process-wide mutex unless told
// not to (Debian builds it with SQLITE_DEFAULT_MEMSTATUS=1), and the engine
// never reads them: with them on, two threads reading at once spent their
// time waiting for each other (1.6x one thread's throughput; 2.3x without).
// The setting only takes before SQLite initialises; in a process that used
// SQLite first, SQLite refuses it (SQLITE_MISUSE) and nothing changes.
void configure_sqlite_once() {
  static const int result = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)result;
}

}  // namespace

Database::Database(const Options& options)
    : options_(options),
      idle_count_(static_cast<std::size_t>(std::max(options.max_idle_connections, 0))),
      idle_(std::make_unique<std::atomic<Connection*>[]>(idle_count_)),
      writers_(
          [this](std::span<detail::GroupMember* const> group) { commit_group(group); },
          options.durability == Durability::full ? kGatherWait : std::chrono::microseconds{0}) {
  configure_sqlite_once();
  try {
    fs::create_directories(options_.db_path.parent_path());
  } catch (const fs::filesystem_error& e) {
    throw detail::from_filesystem(e, context_for(options_.db_path));
  }
  std::error_code ec;
  const auto type = fs::status(options_.db_path, ec).type();
  if (!ec && type != fs::file_type::not_found && type != fs::file_type::regular) {
    // SQLite would only say "unable to open database file" (a directory)
    // or "disk I/O error" (a FIFO).
    throw Error(ErrorCode::io, context_for(options_.db_path) + " is not a regular file (it is " +
                                   (type == fs::file_type::directory ? "a directory"
                                                                     : "a FIFO, socket or device") +
                                   "), so it cannot be the database");
  }
  const std::string directory = unwritable_directory(options_.db_path);
  read_only_reason_ = directory.empty() ? unwritable_file(options_.db_path) : directory;
  if (!read_only_reason_.empty()) {
    if (!fs::exists(options_.db_path, ec)) {
      throw Error(ErrorCode::io, context_for(options_.db_path) +
                                     " does not exist and cannot be created: " + read_only_reason_);
    }
    const bool wal_present = fs::exists(options_.db_path.string() + "-wal", ec);
    access_ = !directory.empty() && !wal_present ? Access::immutable : Access::read_only;
  }
  release(std::make_unique<Connection>(options_.db_path, options_, access_));
}

void Database::require_writable(std::string_view context) const {
  if (!read_only()) return;
  throw Error(ErrorCode::io, std::string(context) + ": cannot change " +
                                 context_for(options_.db_path) +
                                 ", which is read-only: " + read_only_reason_);
}

Database::~Database() {
  for (std::size_t i = 0; i < idle_count_; ++i) delete idle_[i].exchange(nullptr);
}

// Each thread starts looking at its own slot, so a thread gets back the
// connection it used last (its page cache and statements still in this
// core's caches) and threads do not meet on a lock: with a mutex-guarded
// list, two reading threads spent a tenth of their time waking each other.
std::size_t Database::home_slot() const {
  static std::atomic<std::size_t> next_thread{0};
  thread_local const std::size_t thread_index = next_thread.fetch_add(1);
  return thread_index % idle_count_;
}

Database::PooledConnection Database::acquire() {
  for (std::size_t k = 0; k < idle_count_; ++k) {
    auto& slot = idle_[(home_slot() + k) % idle_count_];
    if (slot.load(std::memory_order_relaxed) == nullptr) continue;
    if (Connection* conn = slot.exchange(nullptr, std::memory_order_acquire)) {
      return PooledConnection(*this, std::unique_ptr<Connection>(conn));
    }
  }
  return PooledConnection(*this, std::make_unique<Connection>(options_.db_path, options_, access_));
}

void Database::release(std::unique_ptr<Connection> conn) {
  for (std::size_t k = 0; k < idle_count_; ++k) {
    Connection* empty = nullptr;
    if (idle_[(home_slot() + k) % idle_count_].compare_exchange_strong(
            empty, conn.get(), std::memory_order_release, std::memory_order_relaxed)) {
      conn.release();  // owned by the slot now
      return;
    }
  }
  // Every slot is taken: this connection is closed.
}

void Database::enable_wal() {
  retrying_busy(context_for(options_.db_path), [](Connection& conn) {
    conn.enable_wal();
    return 0;
  });
}

Error Database::failure(const SQLite::Exception& e, std::string_view context) const {
  Error error = detail::from_sqlite(e, context);
  const std::string database = context_for(options_.db_path);
  if (error.code() != ErrorCode::io || context.find(database) != std::string_view::npos) {
    return error;
  }
  return detail::from_sqlite(e, std::string(context) + ": " + database);
}

bool Database::transient(const SQLite::Exception& e) {
  const int primary = e.getErrorCode() & 0xff;
  // SQLITE_SCHEMA: another connection changed the schema under a prepared
  // statement; running the attempt again prepares against the new one.
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_SCHEMA;
}

bool Database::retryable(const SQLite::Exception& e, int attempt) const {
  return transient(e) && attempt < options_.busy_retries;
}

void Database::join_group(detail::GroupMember& member) {
  writers_.join(member);
  commit_outcome_unknown = member.outcome_unknown;  // the group's COMMIT is this thread's
  if (!member.error) return;
  try {
    std::rethrow_exception(member.error);
  } catch (const SQLite::Exception& e) {
    throw failure(e, member.context);
  }
}

void Database::commit_group(std::span<detail::GroupMember* const> group) {
  std::array<detail::GroupMember*, detail::WriteQueue::kMaxGroup> members;
  std::size_t count = static_cast<std::size_t>(
      std::copy(group.begin(), group.end(), members.begin()) - members.begin());
  // Groups run one at a time, so one connection serves them all.
  if (!group_connection_) {
    group_connection_ = std::make_unique<Connection>(options_.db_path, options_, access_);
  }
  Connection& conn = *group_connection_;
  for (int attempt = 0; count > 0;) {
    try {
      const std::size_t ended_by = run_group_once(conn, {members.data(), count});
      if (ended_by == count) return;
      // That member keeps its error; the others run again at once, since
      // what ended the transaction was that member's, not a busy database.
      std::copy(members.begin() + static_cast<std::ptrdiff_t>(ended_by) + 1,
                members.begin() + static_cast<std::ptrdiff_t>(count),
                members.begin() + static_cast<std::ptrdiff_t>(ended_by));
      --count;
      continue;
    } catch (const SQLite::Exception& e) {
      if (!retryable(e, attempt)) {
        const bool unknown = commit_outcome_unknown;  // set by a COMMIT whose fsync failed
        for (std::size_t i = 0; i < count; ++i) {
          if (members[i]->error) continue;  // its own failure, rolled back before
          members[i]->error = std::current_exception();
          members[i]->outcome_unknown = unknown;
        }
        return;
      }
    }
    back_off(attempt++);
  }
}

std::size_t Database::run_group_once(Connection& conn,
                                     std::span<detail::GroupMember* const> members) {
  for (detail::GroupMember* m : members) {
    m->error = nullptr;
    m->outcome_unknown = false;
  }
  // A group of one runs as write() does: without a savepoint, its failure
  // rolls back the transaction.
  const bool shared = members.size() > 1;
  Transaction txn(conn, /*immediate=*/true);
  for (std::size_t i = 0; i < members.size(); ++i) {
    detail::GroupMember& m = *members[i];
    if (shared) conn.prepare("SAVEPOINT member")->exec();
    try {
      m.run(m.body, conn);
    } catch (const SQLite::Exception& e) {
      if (transient(e)) throw;  // the group is retried
      m.error = std::current_exception();
    } catch (...) {
      m.error = std::current_exception();
    }
    if (!shared) {
      if (m.error) return members.size();  // txn rolls back
      break;
    }
    if (m.error) {
      if (sqlite3_get_autocommit(conn.db().getHandle()) != 0) return i;
      conn.prepare("ROLLBACK TO member")->exec();
    }
    conn.prepare("RELEASE member")->exec();
  }
  A3S_FAULT_POINT("write.group.before_commit");
  txn.commit();
  A3S_FAULT_POINT("write.group.after_commit");
  return members.size();
}

void Database::back_off(int attempt) const {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int ceiling_ms = 10 << std::min(attempt, 6);
  const auto delay =
      std::chrono::milliseconds(std::uniform_int_distribution<int>(1, ceiling_ms)(rng));
  detail::log().warn("database '{}' busy, retrying in {} ms (attempt {})",
                     options_.db_path.string(), delay.count(), attempt + 1);
  std::this_thread::sleep_for(delay);
}

}  // namespace a3s::store
