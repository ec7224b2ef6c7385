// `a3s-store migrate status | up | verify` (SPEC §6, §7): the Migrator, for
// operators who want to see and drive schema changes themselves.
#include <optional>

#include "a3s/store/migrator.hpp"
#include "context.hpp"
#include "output.hpp"

namespace a3s::cli {
namespace {

nlohmann::json status_json(const store::MigrationStatus& s) {
  auto applied = nlohmann::json::array();
  for (const auto& m : s.applied) {
    applied.push_back({{"version", m.version},
                       {"name", m.name},
                       {"checksum", m.checksum},
                       {"applied_at", m.applied_at},
                       {"applied_by", m.applied_by}});
  }
  auto pending = nlohmann::json::array();
  for (const auto& m : s.pending) {
    pending.push_back({{"version", m.version}, {"name", m.name}, {"checksum", m.checksum}});
  }
  return {{"exists", s.exists},
          {"current", s.current},
          {"latest", s.latest},
          {"applied", applied},
          {"pending", pending}};
}

std::string status_text(const store::Options& options, const store::MigrationStatus& s) {
  std::string out = "database: " + options.db_path.string() +
                    (s.exists ? "" : " (does not exist yet)") + '\n' +
                    "current:  " + std::to_string(s.current) + '\n' +
                    "latest:   " + std::to_string(s.latest) + '\n';
  out += s.applied.empty() ? "applied:  none\n" : "applied:\n";
  for (const auto& m : s.applied) {
    out += "  " + m.name + "  sha256:" + m.checksum + "  at " + m.applied_at + " by " +
           m.applied_by + '\n';
  }
  out += s.pending.empty() ? "pending:  none\n" : "pending:\n";
  for (const auto& m : s.pending) out += "  " + m.name + "  sha256:" + m.checksum + '\n';
  return out;
}

struct Args {
  int to = 0;
  bool dry_run = false;
};

}  // namespace

void add_migrate_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("migrate", "Inspect and apply schema migrations");
  group->require_subcommand(1);
  auto args = std::make_shared<Args>();

  auto* status = group->add_subcommand("status", "Show applied and pending migrations");
  ctx.on(status, [&ctx] {
    const auto options = ctx.options();
    const auto s = store::Migrator(options).status();
    emit(ctx, status_json(s), status_text(options, s));
  });

  auto* up = group->add_subcommand("up", "Apply pending migrations (after a backup)");
  auto* to = up->add_option("--to", args->to, "Stop at this version (default: latest)");
  up->add_flag("--dry-run", args->dry_run, "Apply to a temporary copy; leave the database alone");
  ctx.on(up, [&ctx, args, to] {
    const auto options = ctx.options();
    store::Migrator migrator(options);
    const int from = migrator.status().current;
    const auto target = to->count() > 0 ? std::optional<int>(args->to) : std::nullopt;
    const auto after = migrator.up(target, args->dry_run);

    auto json = status_json(after);
    json["from"] = from;
    json["dry_run"] = args->dry_run;
    std::string human = args->dry_run ? "dry run (nothing written): " : "";
    if (after.current == from) {
      human += options.db_path.string() + " is already at version " + std::to_string(from);
    } else {
      human += (args->dry_run ? "would migrate " : "migrated ") + options.db_path.string() +
               " from version " + std::to_string(from) + " to " + std::to_string(after.current);
      for (const auto& m : after.applied) {
        if (m.version > from) human += "\n  applied " + m.name;
      }
    }
    emit(ctx, json, human);
  });

  auto* verify = group->add_subcommand(
      "verify", "Check applied checksums and that the live schema matches the migrations");
  ctx.on(verify, [&ctx] {
    const auto options = ctx.options();
    store::Migrator migrator(options);
    migrator.verify();
    const auto s = migrator.status();
    emit(ctx, {{"verified", true}, {"current", s.current}, {"applied", s.applied.size()}},
         "verified " + options.db_path.string() + ": version " + std::to_string(s.current) + ", " +
             std::to_string(s.applied.size()) + " applied migrations match, schema as expected");
  });
}

}  // namespace a3s::cli
