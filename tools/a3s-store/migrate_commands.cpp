// `a3s-store migrate status | up | verify` (SPEC §6, §7, §9): the Migrator,
// for operators who want to see and drive schema changes themselves (on
// etcd, the namespace's key layout version).
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

// Whether the store is on etcd, whose namespace has a key layout version
// rather than a schema.
bool on_etcd(const store::Options& options) { return options.store.starts_with("etcd://"); }

// What the migrations apply to, for messages: the database file, or the
// etcd store URL.
std::string target_of(const store::Options& options) {
  return on_etcd(options) ? options.store : options.db_path.string();
}

std::string status_text(const store::Options& options, const store::MigrationStatus& s) {
  const bool etcd = on_etcd(options);
  std::string out = std::string(etcd ? "store:    " : "database: ") + target_of(options) +
                    (s.exists ? ""
                     : etcd   ? " (no layout version yet)"
                              : " (does not exist yet)") +
                    '\n' + "current:  " + std::to_string(s.current) + '\n' +
                    "latest:   " + std::to_string(s.latest) + '\n';
  out += s.applied.empty() ? "applied:  none\n" : "applied:\n";
  for (const auto& m : s.applied) {
    out += "  " + m.name;
    if (!m.checksum.empty()) out += "  sha256:" + m.checksum;
    if (!m.applied_at.empty()) out += "  at " + m.applied_at + " by " + m.applied_by;
    out += '\n';
  }
  out += s.pending.empty() ? "pending:  none\n" : "pending:\n";
  for (const auto& m : s.pending) {
    out += "  " + m.name + (m.checksum.empty() ? "" : "  sha256:" + m.checksum) + '\n';
  }
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
      human += target_of(options) + " is already at version " + std::to_string(from);
    } else {
      human += (args->dry_run ? "would migrate " : "migrated ") + target_of(options) +
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
    const std::string verified = "verified " + target_of(options) + ": ";
    emit(ctx, {{"verified", true}, {"current", s.current}, {"applied", s.applied.size()}},
         on_etcd(options)
             ? verified + "key layout version " + std::to_string(s.current) + ", as expected"
             : verified + "version " + std::to_string(s.current) + ", " +
                   std::to_string(s.applied.size()) +
                   " applied migrations match, schema as expected");
  });
}

}  // namespace a3s::cli
