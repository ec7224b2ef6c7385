// The operator's commands (SPEC §4, §7): `check [--repair]` (the database's
// own checks, the running totals, and the catalogs' directories against
// their rows; exit 1 when anything is found, with --repair when anything is
// left unrepaired), `backup FILE [--force]` and `restore FILE` (which reports
// the home's files against the restored rows and exits 0 once restored).
#include "context.hpp"
#include "output.hpp"

namespace a3s::cli {
namespace {

nlohmann::json report_json(const store::CheckReport& report) {
  auto findings = nlohmann::json::array();
  for (const auto& f : report.findings) {
    nlohmann::json item = {{"problem", f.problem}, {"object", f.object}, {"message", f.message}};
    if (!f.repair.empty()) item["repair"] = f.repair;
    findings.push_back(std::move(item));
  }
  return {{"clean", report.clean()}, {"findings", findings}};
}

std::string report_text(const store::CheckReport& report, bool repair = false) {
  if (report.clean()) return "no problems found\n";
  std::string out;
  std::size_t repaired = 0;
  for (const auto& f : report.findings) {
    out += f.problem + ": " + f.message + '\n';
    if (!f.repair.empty()) {
      out += "  repaired: " + f.repair + '\n';
      ++repaired;
    }
  }
  out += std::to_string(report.findings.size()) + " problem(s) found";
  if (repair) out += ", " + std::to_string(repaired) + " repaired";
  return out + '\n';
}

}  // namespace

void add_maintenance_commands(CLI::App& app, Context& ctx) {
  auto* check = app.add_subcommand(
      "check", "Check the database and the files under the home against the rows");
  auto repair = std::make_shared<bool>(false);
  check->add_flag("--repair", *repair,
                  "Fix what can be fixed: totals, rows without files, files without rows "
                  "(never a volume's data)");
  ctx.on(check, [&ctx, repair] {
    const auto report = ctx.open_store()->check(*repair);
    emit(ctx, report_json(report), report_text(report, *repair));
    if (*repair ? !report.all_repaired() : !report.clean()) ctx.exit_code = 1;
  });

  auto* backup = app.add_subcommand(
      "backup", "Write a consistent copy of the database while others keep writing");
  auto backup_args = std::make_shared<std::pair<std::string, bool>>();
  ctx.path(backup->add_option("FILE", backup_args->first, "Where to write the copy")->required());
  backup->add_flag("--force", backup_args->second, "Overwrite FILE if it exists");
  ctx.on(backup, [&ctx, backup_args] {
    auto store = ctx.open_store();
    store->backup(backup_args->first, backup_args->second);
    emit(ctx, {{"backup", backup_args->first}, {"database", store->options().db_path.string()}},
         "backed up " + store->options().db_path.string() + " to " + backup_args->first);
  });

  auto* restore = app.add_subcommand(
      "restore", "Put a backup back in place of the database (the current one is kept)");
  auto restore_file = std::make_shared<std::string>();
  ctx.path(restore->add_option("FILE", *restore_file, "The backup to restore")->required());
  ctx.on(restore, [&ctx, restore_file] {
    auto store = ctx.open_store();
    const auto report = store->restore(*restore_file);
    nlohmann::json j = report_json(report.check);
    j["restored"] = *restore_file;
    j["previous_database"] = report.previous_database;
    emit(ctx, j,
         "restored " + *restore_file + " into " + store->options().db_path.string() +
             "\nthe previous database is kept as " + report.previous_database +
             "\nfiles against the restored rows: " + report_text(report.check) +
             (report.check.clean() ? "" : "run `a3s-store check --repair` to fix what it may\n"));
  });
}

}  // namespace a3s::cli
