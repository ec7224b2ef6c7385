// `a3s-store shell [--write]` (SPEC §7): the sqlite3 shell on the database,
// read-only unless --write, with the settings the library's own connections
// use for what a hand edit can touch: the busy timeout (wait for a writer
// rather than fail), foreign keys, and recursive_triggers (so a REPLACE runs
// the delete triggers that keep the running totals right).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "a3s/store/error.hpp"
#include "context.hpp"
#include "store_url.hpp"

namespace a3s::cli {

void add_shell_command(CLI::App& app, Context& ctx) {
  auto* shell = app.add_subcommand(
      "shell", "Start the sqlite3 shell on the database (read-only unless --write)");
  auto write = std::make_shared<bool>(false);
  shell->add_flag("--write", *write, "Allow changes (each statement is its own transaction)");
  ctx.on(shell, [&ctx, write] {
    if (const store::Options options = ctx.options();
        store::detail::parse_store_url(options.store).etcd) {
      throw store::Error(store::ErrorCode::invalid_argument,
                         "shell is SQLite's: the store '" + options.store +
                             "' is an etcd cluster (use etcdctl on it)");
    }
    // Opening the store first brings the schema up to date (the views
    // included) and sweeps what crashed processes left.
    const std::string db = ctx.open_store()->options().db_path.string();
    std::vector<std::string> args{"sqlite3"};
    if (!*write) args.push_back("-readonly");
    for (const char* setting :
         {".timeout 5000", "PRAGMA foreign_keys = ON", "PRAGMA recursive_triggers = ON"}) {
      args.push_back("-cmd");
      args.push_back(setting);
    }
    args.push_back(db);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(nullptr);
    ::execvp(argv[0], argv.data());
    const int err = errno;
    if (err == ENOENT) {
      throw store::Error(store::ErrorCode::io,
                         "the sqlite3 shell is not installed (on Debian: apt-get install sqlite3)");
    }
    throw store::Error(store::ErrorCode::io,
                       std::string("cannot start the sqlite3 shell: ") + std::strerror(err));
  });
}

}  // namespace a3s::cli
