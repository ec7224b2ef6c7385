// What every command group shares: the global options, the action chosen by
// parsing, and the option helpers (labels, sizes) several commands use.
//
// A command group is one `add_*_commands(app, ctx)` function in its own .cpp;
// main.cpp calls each, parses, then runs ctx.action. Commands never print
// errors themselves: they throw, and main turns the exception into
// `error: ...` and exit code 1.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "a3s/store/options.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"

namespace a3s::cli {

struct Context {
  std::string home;   // empty: the library's default ($A3S_HOME, ~/.a3s)
  std::string db;     // empty: <home>/box.db
  std::string store;  // empty: $A3S_STORE, else sqlite (SPEC §9)
  bool no_auto_migrate = false;
  bool json = false;
  std::string log_level = "warn";

  // The selected command; set by `on` while parsing, run after it succeeds.
  std::function<void()> action;
  // The exit code of an action that succeeded but has something to report
  // (check finding problems): 1. Failures throw instead.
  int exit_code = 0;

  // Makes `fn` the action when `sub` is the command given.
  void on(CLI::App* sub, std::function<void()> fn);

  // The global options as library Options, home, store and db_path resolved.
  store::Options options() const;
  std::unique_ptr<store::Store> open_store() const;

  // Marks `option` as a path that may not be given empty: an empty --home
  // would silently mean the default home, an empty directory the current
  // one or none at all. Returns `option`.
  CLI::Option* path(CLI::Option* option);
  // Throws Error(invalid_argument) naming the first path option the command
  // line gave empty. Run after parsing, before the action.
  void refuse_empty_paths() const;

 private:
  std::vector<const CLI::Option*> paths_;
};

// Repeatable `--label K=V`; a label without '=' is a usage error.
CLI::Option* add_label_option(CLI::App* sub, std::vector<std::string>& labels);
store::StringMap to_label_map(const std::vector<std::string>& labels);

// A size option (see sizes.hpp) stored as bytes; a bad size is a usage error.
CLI::Option* add_size_option(CLI::App* sub, const std::string& name, std::uint64_t& bytes,
                             const std::string& description);

void add_network_commands(CLI::App& app, Context& ctx);
void add_volume_commands(CLI::App& app, Context& ctx);
void add_snapshot_commands(CLI::App& app, Context& ctx);
void add_image_commands(CLI::App& app, Context& ctx);
void add_migrate_commands(CLI::App& app, Context& ctx);
void add_maintenance_commands(CLI::App& app, Context& ctx);
void add_import_command(CLI::App& app, Context& ctx);
void add_shell_command(CLI::App& app, Context& ctx);

}  // namespace a3s::cli
