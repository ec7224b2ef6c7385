// A temporary home for running the a3s-store CLI as a separate process, with
// the checks the CLI tests make of a command's exit code and output.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace a3s::test {

// A temporary home; every command runs with `--home <it>` first.
struct CliHome {
  TempDir dir;

  std::filesystem::path path() const { return dir.path(); }
  std::filesystem::path db() const { return dir.path() / "box.db"; }

  CommandResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--home", path().string()});
    return run_cli(args);
  }

  // Runs with --json, requires success and returns the parsed output.
  nlohmann::json run_json(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    const auto r = run(args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out);
  }

  // Runs, requires exit code 1 and an `error: ...` line containing `needle`.
  void fails(std::vector<std::string> args, const std::string& needle) const {
    check_failure(run(args), needle, false);
  }

  // As fails(), and also requires that nothing was written to stdout.
  void fails_quietly(std::vector<std::string> args, const std::string& needle) const {
    check_failure(run(args), needle, true);
  }

  // Runs, requires exit code 2 (usage error) and stderr containing `needle`.
  void usage_error(std::vector<std::string> args, const std::string& needle = "") const {
    const auto r = run(args);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(needle) != std::string::npos);
  }

 private:
  static void check_failure(const CommandResult& r, const std::string& needle, bool stdout_empty) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 1);
    if (stdout_empty) CHECK(r.out.empty());
    CHECK(r.err.rfind("error: ", 0) == 0);
    CHECK(r.err.find(needle) != std::string::npos);
    CHECK(r.err.find("terminate called") == std::string::npos);
  }
};

}  // namespace a3s::test
