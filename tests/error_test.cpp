// The one mapping from SQLite result codes to the spec's error codes
// (error_mapping.hpp) and the shared not-found wording (error.hpp).
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>

#include "a3s/store/error.hpp"
#include "error_mapping.hpp"

namespace {

using a3s::store::Error;
using a3s::store::ErrorCode;
using a3s::store::to_string;
using a3s::store::detail::code_for_sqlite;

// Compared as the spec's spelling so a failure names both codes.
std::string mapped(int extended_code) {
  return std::string(to_string(code_for_sqlite(extended_code)));
}

}  // namespace

TEST_CASE("busy, locked and schema changes map to busy", "[error]") {
  CHECK(mapped(SQLITE_BUSY) == "busy");
  CHECK(mapped(SQLITE_BUSY_SNAPSHOT) == "busy");
  CHECK(mapped(SQLITE_BUSY_RECOVERY) == "busy");
  CHECK(mapped(SQLITE_LOCKED) == "busy");
  CHECK(mapped(SQLITE_LOCKED_SHAREDCACHE) == "busy");
  // The schema changed under a prepared statement: retryable, not damage.
  CHECK(mapped(SQLITE_SCHEMA) == "busy");
}

TEST_CASE("a damaged or foreign file maps to corrupt", "[error]") {
  CHECK(mapped(SQLITE_CORRUPT) == "corrupt");
  CHECK(mapped(SQLITE_CORRUPT_INDEX) == "corrupt");
  CHECK(mapped(SQLITE_CORRUPT_SEQUENCE) == "corrupt");
  CHECK(mapped(SQLITE_NOTADB) == "corrupt");
  CHECK(mapped(SQLITE_FORMAT) == "corrupt");
}

TEST_CASE("constraints map by kind", "[error]") {
  CHECK(mapped(SQLITE_CONSTRAINT_PRIMARYKEY) == "already_exists");
  CHECK(mapped(SQLITE_CONSTRAINT_UNIQUE) == "already_exists");
  CHECK(mapped(SQLITE_CONSTRAINT_FOREIGNKEY) == "in_use");
  CHECK(mapped(SQLITE_CONSTRAINT) == "invalid_argument");
  CHECK(mapped(SQLITE_CONSTRAINT_NOTNULL) == "invalid_argument");
  CHECK(mapped(SQLITE_CONSTRAINT_CHECK) == "invalid_argument");
  CHECK(mapped(SQLITE_CONSTRAINT_TRIGGER) == "invalid_argument");
  CHECK(mapped(SQLITE_CONSTRAINT_DATATYPE) == "invalid_argument");
}

TEST_CASE("values SQLite refuses map to invalid_argument", "[error]") {
  CHECK(mapped(SQLITE_TOOBIG) == "invalid_argument");
  CHECK(mapped(SQLITE_MISMATCH) == "invalid_argument");
  CHECK(mapped(SQLITE_RANGE) == "invalid_argument");
}

TEST_CASE("file and VFS failures map to io, SQLITE_NOTFOUND included", "[error]") {
  // NOTFOUND is an unknown file control or VFS operation, never a missing row.
  CHECK(mapped(SQLITE_NOTFOUND) == "io");
  CHECK(mapped(SQLITE_IOERR) == "io");
  CHECK(mapped(SQLITE_IOERR_WRITE) == "io");
  CHECK(mapped(SQLITE_IOERR_FSYNC) == "io");
  CHECK(mapped(SQLITE_FULL) == "io");
  CHECK(mapped(SQLITE_CANTOPEN) == "io");
  CHECK(mapped(SQLITE_READONLY) == "io");
  CHECK(mapped(SQLITE_READONLY_DBMOVED) == "io");
  CHECK(mapped(SQLITE_PERM) == "io");
  CHECK(mapped(SQLITE_ERROR) == "io");
}

TEST_CASE("from_sqlite maps what SQLite raised and prefixes the context", "[error]") {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("CREATE TABLE parent (name TEXT PRIMARY KEY)");
  db.exec("CREATE TABLE child (parent TEXT NOT NULL REFERENCES parent (name))");
  db.exec("INSERT INTO parent (name) VALUES ('dev')");
  db.exec("INSERT INTO child (parent) VALUES ('dev')");

  auto error_of = [&](const char* sql) -> Error {
    try {
      db.exec(sql);
    } catch (const SQLite::Exception& e) {
      return a3s::store::detail::from_sqlite(e, "network 'dev'");
    }
    FAIL("SQLite accepted: " << sql);
    return Error(ErrorCode::io, "unreachable");
  };

  SECTION("a duplicate key is already_exists") {
    const Error e = error_of("INSERT INTO parent (name) VALUES ('dev')");
    CHECK(e.code() == ErrorCode::already_exists);
    CHECK_THAT(e.what(), Catch::StartsWith("network 'dev': "));
  }
  SECTION("deleting a referenced parent is in_use") {
    CHECK(error_of("DELETE FROM parent WHERE name = 'dev'").code() == ErrorCode::in_use);
  }
  SECTION("a NOT NULL violation is invalid_argument") {
    CHECK(error_of("INSERT INTO child (parent) VALUES (NULL)").code() ==
          ErrorCode::invalid_argument);
  }
}

TEST_CASE("not_found words every missing object alike", "[error]") {
  const Error e = a3s::store::not_found("network", "dev");
  CHECK(e.code() == ErrorCode::not_found);
  CHECK(std::string(e.what()) == "network 'dev' not found");
  CHECK(std::string(a3s::store::not_found("image", "alpine:3.19").what()) ==
        "image 'alpine:3.19' not found");
  CHECK(std::string(a3s::store::not_found("snapshot", "").what()) == "snapshot '' not found");
}
