// Helpers shared by the tests: temporary homes, fixture paths, running the
// CLI and child processes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

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
// tests run with the default, FULL, as users do).
store::Options options_for(const std::filesystem::path& home);

// ../shared/fixtures (from $A3S_FIXTURES).
std::filesystem::path fixtures_dir();

// The source tree root (from $A3S_SOURCE_ROOT).
std::filesystem::path source_root();

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the a3s-store CLI (from $A3S_STORE_CLI) with `args`, stdin closed,
// and returns its exit code and output.
CommandResult run_cli(const std::vector<std::string>& args);

// Runs `body` in `count` forked child processes at once (each gets its index)
// and waits for all of them. A child's exit code is what `body` returns (an
// exception is exit code 99). Returns the exit codes in index order.
std::vector<int> run_in_children(int count, const std::function<int(int)>& body);

}  // namespace a3s::test
