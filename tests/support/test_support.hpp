// Helpers shared by the tests: temporary homes, fixture paths, running the
// CLI and child processes, directory listings and environment variables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/options.hpp"

namespace a3s::test {

// A fresh directory under the system temp dir, removed with everything in it
// when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Options for a store whose home is `home` (durability NORMAL is not used:
// tests run with the default, FULL, as users do), on the backend under test.
store::Options options_for(const std::filesystem::path& home);

// The backend under test is chosen by A3S_TEST_STORE: "sqlite" (or unset)
// or "etcd". On etcd every store a test opens (options_for, open_store, the
// CLI through run_cli, forked children) is on one 3-member loopback cluster
// per test process, started on first use, stopped by PID at exit, with a
// namespace of its own per home; the files stay under the home. Without
// etcd installed an etcd run exits 77 (skipped) before any test.
bool stores_on_etcd();

// The store URL (Options::store, A3S_STORE) of the store on `home`: none on
// SQLite, else etcd://<the cluster's members>/<the home's namespace>.
std::optional<std::string> test_store_url(const std::filesystem::path& home);

// Starts the etcd cluster now if the stores are on etcd (run_in_children
// calls it, so that the children share the parent's cluster).
void start_test_store();

// ../shared/fixtures (from $A3S_FIXTURES).
std::filesystem::path fixtures_dir();

// The source tree root (from $A3S_SOURCE_ROOT).
std::filesystem::path source_root();

// The parsed JSON file <fixtures>/legacy-home-small/<relative>.
nlohmann::json fixture(const std::string& relative);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

// Names of the entries of `dir`, sorted (none if it does not exist).
std::vector<std::string> entries(const std::filesystem::path& dir);

// The entries of a catalog directory (<home>/volumes, snapshots,
// images/sha256) that are records' directories: entries() without the
// catalog's .staging.
std::vector<std::string> catalog_entries(const std::filesystem::path& catalog);

// What is left in the staging directories of the home's catalogs
// (<home>/volumes/.staging, snapshots/.staging, images/sha256/.staging),
// as paths, sorted.
std::vector<std::string> staging_leftovers(const std::filesystem::path& home);

// Whether `dir` does not exist or has no entries.
bool empty_or_missing(const std::filesystem::path& dir);

// Bytes of the regular files under `root` (what the stores record as
// size_bytes), symlinks not followed.
std::uint64_t regular_file_bytes(const std::filesystem::path& root);

// Sets an environment variable for the scope (unsets it when `value` is
// null), restoring the old value or absence afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ScopedEnv(const char* name, const std::string& value) : ScopedEnv(name, value.c_str()) {}
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program` (a path, or a name looked up in PATH) with `args`, stdin
// read from `input` (nothing when empty), waits for it and returns its exit
// code (128 + signal when killed) and output.
CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& input = {});

// Runs the a3s-store CLI (from $A3S_STORE_CLI) with `args`, stdin empty,
// and returns its exit code and output. On etcd, unless `args` has
// --store, the CLI gets A3S_STORE for its home (--home, else $A3S_HOME).
CommandResult run_cli(const std::vector<std::string>& args);

// Runs `sql` in the sqlite3 command-line shell on the database `db`, as an
// operator would (no option of the library's connections set; -bail stops
// at the first error). Throws when the shell exits non-zero, with its
// message. Returns what it printed.
std::string run_sqlite3(const std::filesystem::path& db, const std::string& sql);

// Runs `body` in `count` forked child processes at once (each gets its index)
// and waits for all of them. A child's exit code is what `body` returns (an
// exception is exit code 99). Returns the exit codes in index order.
std::vector<int> run_in_children(int count, const std::function<int(int)>& body);

// The seed a randomised test uses: the environment variable `variable` when
// it is set and not empty (so a failure can be replayed), else `fallback`.
std::uint32_t seed_from_env(const char* variable, std::uint32_t fallback);

// The user and group an unprivileged child runs as ("nobody").
inline constexpr unsigned kNobody = 65534;

// Runs `body` in a child process without privileges and returns its exit
// code: as root the child first drops to uid and gid kNobody with no
// supplementary groups (exit 90 if it cannot), otherwise it runs as is.
// An exception is exit code 99.
int unprivileged(const std::function<int()>& body);

}  // namespace a3s::test
