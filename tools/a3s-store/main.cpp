// a3s-store: the command-line face of the store (SPEC §7).
//
// Exit codes: 0 success, 1 the operation failed (`error: ...` on stderr),
// 2 a usage error. No exception leaves main.
#include <cstdio>
#include <exception>
#include <iostream>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "a3s/store/error.hpp"
#include "context.hpp"

namespace {

int run(int argc, char** argv) {
  a3s::cli::Context ctx;
  CLI::App app{"Inspect and manage the A3S Box metadata store", "a3s-store"};
  // Global options are accepted after the subcommand too (inherited by
  // every subcommand created below).
  app.fallthrough();
  app.require_subcommand(1);
  ctx.path(app.add_option("--home", ctx.home, "Runtime home (default: $A3S_HOME or ~/.a3s)")
               ->type_name("DIR"));
  ctx.path(
      app.add_option("--db", ctx.db, "Database file (default: <home>/box.db)")->type_name("FILE"));
  app.add_option("--store", ctx.store,
                 "Where the records live: sqlite, or etcd://HOST:PORT[,HOST:PORT...]/NAMESPACE "
                 "(default: $A3S_STORE or sqlite)")
      ->type_name("URL")
      ->check(CLI::Validator(
          [](std::string& url) -> std::string {
            // Empty would silently mean the default store.
            return url.empty() ? "the store URL must not be empty" : "";
          },
          "URL"));
  app.add_flag("--no-auto-migrate", ctx.no_auto_migrate,
               "Refuse an outdated database instead of migrating it");
  app.add_flag("--json", ctx.json, "Print records and lists as JSON");
  app.add_option("--log-level", ctx.log_level, "Log verbosity on stderr (default: warn)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  a3s::cli::add_network_commands(app, ctx);
  a3s::cli::add_volume_commands(app, ctx);
  a3s::cli::add_snapshot_commands(app, ctx);
  a3s::cli::add_image_commands(app, ctx);
  a3s::cli::add_migrate_commands(app, ctx);
  a3s::cli::add_import_command(app, ctx);
  a3s::cli::add_maintenance_commands(app, ctx);
  a3s::cli::add_shell_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 has its own exit codes; ours are 0 for --help, 2 for the rest.
    // An unknown command word surfaces as "a subcommand is required" (it
    // falls through to the top as an extra), so name it instead.
    if (const auto extras = app.remaining();
        dynamic_cast<const CLI::RequiredError*>(&e) && !extras.empty()) {
      std::cerr << "unknown command '" << extras.front()
                << "'\nRun with --help for more information.\n";
      return 2;
    }
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto logger = spdlog::stderr_logger_mt("a3s-store");
  logger->set_pattern("%n: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(ctx.log_level));

  try {
    ctx.refuse_empty_paths();
    ctx.action();
    return ctx.exit_code;
  } catch (const a3s::store::Error& e) {
    spdlog::debug("failed with {}", a3s::store::to_string(e.code()));
    std::cerr << "error: " << e.what() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  } catch (...) {
    std::fputs("error: unexpected failure\n", stderr);
  }
  return 1;
}
