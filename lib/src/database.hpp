// Connections, PRAGMAs, transactions and the busy retry. Internal: no public
// header includes it, so SQLite stays out of the public API.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include "a3s/store/error.hpp"
#include "a3s/store/options.hpp"
#include "error_mapping.hpp"
#include "write_group.hpp"

namespace a3s::store {

// How a connection opens the database file.
enum class Access {
  read_write,  // created if missing
  read_only,   // SQLITE_OPEN_READONLY: a WAL database needs its -shm
  // Read-only and immutable=1: no locks, no -shm; only for a file no
  // process is writing (see Database::Database).
  immutable,
};

// One SQLite connection with its prepared-statement cache. Used by one
// thread at a time (the pool hands it out).
class Connection {
 public:
  // Opens `path` with `access` and applies the per-connection PRAGMAs of
  // `options`. Does not change the journal mode.
  Connection(const std::filesystem::path& path, const Options& options,
             Access access = Access::read_write);

  // A statement prepared once per connection, reset and with its bindings
  // cleared; reset again when the returned lease goes away.
  class Lease {
   public:
    explicit Lease(SQLite::Statement& s) : s_(&s) {}
    ~Lease() { s_->tryReset(); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SQLite::Statement* operator->() const { return s_; }
    SQLite::Statement& operator*() const { return *s_; }

   private:
    SQLite::Statement* s_;
  };
  Lease prepare(const char* sql);

  // The integer in the first column of the first row of `sql` (a count(*),
  // say), 0 when there is no row.
  std::int64_t scalar(const char* sql);

  SQLite::Database& db() { return db_; }

  // Switches the database to WAL (persistent in the file) and checks that
  // SQLite agrees; throws Error(io) if it does not (e.g. a network mount).
  void enable_wal();

 private:
  SQLite::Database db_;
  std::unordered_map<std::string_view, std::unique_ptr<SQLite::Statement>> statements_;
};

// A transaction on one connection; rolls back in its destructor unless
// committed. BEGIN, COMMIT and ROLLBACK are cached prepared statements:
// SQLite::Transaction would parse them anew on every operation.
class Transaction {
 public:
  // Begins with BEGIN IMMEDIATE when `immediate` (takes the write lock now),
  // else a deferred BEGIN. Throws SQLite::Exception (e.g. busy).
  Transaction(Connection& conn, bool immediate);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Throws SQLite::Exception; the transaction is then still open and the
  // destructor rolls it back.
  void commit();

 private:
  Connection& conn_;
  bool committed_ = false;
};

// Whether the last transaction this thread began ended in a COMMIT whose
// fsync failed. Its outcome is then unknown: the commit record is already in
// the WAL (a failed fsync does not take the write back), and after a crash
// the next open's recovery brings the transaction back, though this process
// saw it fail and roll back.
bool last_commit_outcome_unknown() noexcept;

// The database of one home: a pool of connections, read and write
// transactions, and the schema brought up to date on open.
class Database {
 public:
  // Opens options.db_path (home and db_path must be resolved), creating the
  // file and its directory if missing. Leaves the schema alone: callers run
  // detail::open_schema or detail::migrate next. Throws corrupt, io.
  //
  // When this process may not write the file, or may not create files in
  // its directory (SQLite keeps the -wal and -shm there), the database is
  // opened read-only: reads work and every write throws io naming the file
  // (require_writable). SQLite reads a WAL database only through its -shm;
  // when none can be made in the directory and there is no -wal (no writer
  // is at work, nothing to recover) the file is read as immutable, without
  // locks or -shm. A missing file that cannot be created, or a path that
  // is not a regular file (a directory, a FIFO), is io naming it.
  explicit Database(const Options& options);
  // Closes the idle connections; no operation may be running.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const Options& options() const { return options_; }

  // Whether the database was opened read-only (see the constructor).
  bool read_only() const { return access_ != Access::read_write; }

  // Throws Error(io) naming the database, why it is read-only and
  // `context` (what needed to write) when it was opened read-only.
  void require_writable(std::string_view context) const;

  // Runs `body(Connection&)` on a pooled connection outside any transaction
  // (for PRAGMAs that cannot run inside one) and returns its result.
  template <class Body>
  auto use(std::string_view context, Body&& body) {
    auto conn = acquire();
    try {
      return body(*conn);
    } catch (const SQLite::Exception& e) {
      throw failure(e, context);
    }
  }

  // Runs `body(Connection&)` in one deferred (read) transaction, so all it
  // reads comes from one snapshot, and returns its result. Busy is retried
  // as in write() (a read can meet a lock too: WAL recovery, another
  // process switching the journal mode); `body` must be safe to run again.
  // SQLite failures become Error with `context` in the message; errors thrown
  // by `body` end the transaction and propagate.
  template <class Body>
  auto read(std::string_view context, Body&& body) {
    return retrying_busy(context, [&](Connection& conn) {
      Transaction txn(conn, /*immediate=*/false);
      auto result = body(conn);
      txn.commit();
      return result;
    });
  }

  // Runs `body(Connection&)` in one BEGIN IMMEDIATE transaction of its own,
  // so a read-modify-write holds the write lock throughout. When SQLite
  // reports busy even after the busy timeout, the whole transaction is
  // retried after a jittered back-off, up to Options::busy_retries times;
  // `body` must be safe to run again. Errors thrown by `body` roll back and
  // propagate. For bodies that must not share their transaction (see
  // write_grouped): the ones that move files with a DirectoryChange, whose
  // undo and crash sweep reason about this transaction alone and whose
  // fsyncs would hold up every writer of a group, migrations and imports.
  template <class Body>
  auto write(std::string_view context, Body&& body) {
    require_writable(context);
    return retrying_busy(context, [&](Connection& conn) {
      Transaction txn(conn, /*immediate=*/true);
      auto result = body(conn);
      txn.commit();
      return result;
    });
  }

  // Runs `body(Connection&)` as write() does, atomically and on its own as
  // far as the caller can tell, but sharing one BEGIN IMMEDIATE transaction
  // and its COMMIT with the other threads of this process writing at the
  // same time (group commit, write_group.hpp): at Durability::full a group
  // pays one fsync, not one per operation. The promises to each writer:
  //   - its body runs in a SAVEPOINT of its own (a group of one needs none);
  //     a body that throws is rolled back alone, the others still commit,
  //     and the exception reaches its own thread (SQLite failures as Error
  //     with `context`);
  //   - it returns only after the COMMIT that holds its changes has
  //     returned, so at full they are durable before it is acknowledged;
  //   - a failed COMMIT fails every writer of the group with that error,
  //     none of them committed, and last_commit_outcome_unknown() in each
  //     writer's thread tells whether it was the fsync that failed;
  //   - busy is retried as in write() for the whole group, every body run
  //     again (so `body` must be safe to run again).
  // `body` runs on whichever queued thread leads the group, so it may touch
  // only what it captures and the connection, must not call write() or
  // write_grouped() (the group cannot finish before the body does), and
  // must not move files (use write() for that). Other processes are met as
  // in write(): through the write lock and the busy retry.
  template <class Body>
  auto write_grouped(std::string_view context, Body&& body) {
    require_writable(context);
    using Result = std::invoke_result_t<Body&, Connection&>;
    std::optional<Result> result;
    auto run = [&](Connection& conn) {
      result.reset();
      result.emplace(body(conn));
    };
    detail::GroupMember member(&run_erased<decltype(run)>, &run, context);
    join_group(member);
    return std::move(*result);
  }

  // Switches the database to WAL (Connection::enable_wal), waiting for other
  // processes' locks like write() does: the switch needs the database to
  // itself, and SQLite may report busy for it without waiting out the busy
  // timeout. Throws Error(busy) naming the database when the retries run
  // out, Error(io) when SQLite refuses WAL. On a read-only database it
  // writes nothing: whatever journal mode the file has is read as it is.
  void enable_wal();

 private:
  // Returns a connection to the pool when it goes out of scope.
  class PooledConnection {
   public:
    PooledConnection(Database& db, std::unique_ptr<Connection> c) : db_(db), c_(std::move(c)) {}
    ~PooledConnection() { db_.release(std::move(c_)); }
    PooledConnection(const PooledConnection&) = delete;
    PooledConnection& operator=(const PooledConnection&) = delete;
    Connection& operator*() const { return *c_; }

   private:
    Database& db_;
    std::unique_ptr<Connection> c_;
  };

  PooledConnection acquire();
  void release(std::unique_ptr<Connection> conn);

  // Runs `attempt_once(Connection&)` on one pooled connection; while it
  // fails with busy, locked or schema (see retryable()), waits back_off()
  // and runs it again, at most Options::busy_retries more times. Then, or on
  // any other SQLite failure, throws the failure as Error with `context` in
  // the message.
  template <class Attempt>
  auto retrying_busy(std::string_view context, Attempt&& attempt_once) {
    auto conn = acquire();
    for (int attempt = 0;; ++attempt) {
      try {
        return attempt_once(*conn);
      } catch (const SQLite::Exception& e) {
        if (!retryable(e, attempt)) throw failure(e, context);
      }
      back_off(attempt);
    }
  }

  template <class Run>
  static void run_erased(void* run, Connection& conn) {
    (*static_cast<Run*>(run))(conn);
  }

  // Queues `member` with the grouped writers (write_group.hpp) and returns
  // when its group is done; throws the member's error, SQLite's as Error
  // with member.context. Sets this thread's last_commit_outcome_unknown()
  // as the group's COMMIT left it.
  void join_group(detail::GroupMember& member);

  // Commits `group` (the WriteQueue's leader calls it): BEGIN IMMEDIATE,
  // the bodies, COMMIT, retried on busy as retrying_busy() does; settles
  // each member's error and outcome_unknown.
  void commit_group(std::span<detail::GroupMember* const> group);

  // One attempt at committing `members`. Returns members.size() when the
  // group is settled (committed, or a group of one whose body failed), else
  // the index of the member whose failure ended the whole transaction
  // (SQLite rolls back on its own after some errors, a full disk say): the
  // others must then run again without it. Throws SQLite::Exception when the
  // group as a whole fails, including a body's busy, locked or schema error.
  std::size_t run_group_once(Connection& conn, std::span<detail::GroupMember* const> members);

  // `e` as Error, its message prefixed by `context`. An io failure (a full
  // disk, an I/O error) also names the database file: the object alone does
  // not tell the user which file system to look at.
  Error failure(const SQLite::Exception& e, std::string_view context) const;

  // Whether `e` is busy, locked or schema: a failure that running the
  // transaction again may not meet.
  static bool transient(const SQLite::Exception& e);
  // transient(e) and retries are left after `attempt`.
  bool retryable(const SQLite::Exception& e, int attempt) const;
  void back_off(int attempt) const;

  std::size_t home_slot() const;

  Options options_;
  // Why the database is read-only ("" when it is not): the file or its
  // directory, and the system's reason.
  std::string read_only_reason_;
  Access access_ = Access::read_write;
  // Idle connections, one per slot (nullptr when empty): at most
  // Options::max_idle_connections stay open between operations.
  std::size_t idle_count_;
  std::unique_ptr<std::atomic<Connection*>[]> idle_;
  // The connection every group commits on (commit_group), kept apart from
  // the pool so that its page cache stays warm from one group to the next
  // rather than going stale in whichever pooled connection a leader gets.
  std::unique_ptr<Connection> group_connection_;
  detail::WriteQueue writers_;
};

}  // namespace a3s::store
