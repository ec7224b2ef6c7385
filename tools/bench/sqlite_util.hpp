// A thin RAII layer over the sqlite3 C API for sqlite-raw and the fixtures.
// Nothing here allocates per call beyond what SQLite itself does.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bench {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Db {
 public:
  explicit Db(const std::string& path) {
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw SqliteError(rc, "open '" + path + "': " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }

  void exec(const char* sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errstr(rc);
      sqlite3_free(error);
      throw SqliteError(rc, message + " in: " + std::string(sql).substr(0, 80));
    }
  }

  // The first column of the first row of `sql`, as text.
  std::string query_text(const char* sql);

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement, prepared once and reused (reset after each use).
class Stmt {
 public:
  Stmt(Db& db, const char* sql) : db_(db.get()) {
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr);
    if (rc != SQLITE_OK) throw SqliteError(rc, std::string(sqlite3_errmsg(db_)) + " in: " + sql);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binds text that stays alive and unchanged until reset() (no copy).
  Stmt& bind_ref(int i, std::string_view v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
    return *this;
  }
  // Binds a copy of the text.
  Stmt& bind_copy(int i, std::string_view v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bind_int(int i, std::int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Stmt& bind_null(int i) {
    check(sqlite3_bind_null(s_, i));
    return *this;
  }

  // Steps once: true for a row, false when done.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const std::string message = sqlite3_errmsg(db_);
    sqlite3_reset(s_);
    throw SqliteError(rc, message);
  }
  // Steps to completion (for statements without rows), then resets.
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  std::string_view text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  std::string str(int col) const { return std::string(text(col)); }
  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw SqliteError(rc, sqlite3_errmsg(db_));
  }

  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

inline std::string Db::query_text(const char* sql) {
  Stmt s(*this, sql);
  std::string out = s.step() ? s.str(0) : std::string();
  s.reset();
  return out;
}

}  // namespace bench
