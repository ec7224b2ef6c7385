// `import [--from DIR] [--dry-run] [--skip-bad]` (SPEC §7): a home the 2.4.0
// runtime left, read into the database in one transaction; the report per
// catalog, each skipped entry with its reason, and a progress line on
// stderr while a long import runs on a terminal.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "a3s/store/sizes.hpp"
#include "context.hpp"
#include "output.hpp"

namespace a3s::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ImportArgs {
  std::string from;
  bool dry_run = false;
  bool skip_bad = false;
};

// Rewrites one line on a terminal's stderr, from one second in and at most
// ten times a second, so that a quick import prints nothing.
class ProgressLine {
 public:
  ProgressLine() : enabled_(::isatty(STDERR_FILENO) == 1), start_(Clock::now()) {}
  ~ProgressLine() {
    if (shown_) std::fputc('\n', stderr);
  }

  void operator()(const store::ImportProgress& p) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(100)) {
      return;
    }
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, "\rimporting %s: %llu/%llu, %s copied\033[K", p.catalog.c_str(),
                 static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.total),
                 store::format_size(p.bytes_copied).c_str());
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_;
  Clock::time_point last_{};
};

nlohmann::ordered_json report_json(const store::ImportReport& r) {
  nlohmann::ordered_json catalogs = nlohmann::ordered_json::object();
  for (const auto& c : r.catalogs) {
    catalogs[c.catalog] = {
        {"imported", c.imported}, {"present", c.present}, {"skipped", c.skipped}};
  }
  auto skipped = nlohmann::ordered_json::array();
  for (const auto& s : r.skipped) {
    skipped.push_back({{"catalog", s.catalog}, {"object", s.object}, {"reason", s.reason}});
  }
  return {{"from", r.from.string()},
          {"dry_run", r.dry_run},
          {"catalogs", catalogs},
          {"skipped", skipped},
          {"bytes_copied", r.bytes_copied}};
}

std::string report_text(const store::ImportReport& r) {
  std::string out = r.dry_run ? "dry run: nothing written; would import from " + r.from.string()
                              : "imported from " + r.from.string();
  out += '\n';
  for (const auto& c : r.catalogs) {
    out += c.catalog + ": " + std::to_string(c.imported) + " imported, " +
           std::to_string(c.present) + " already present, " + std::to_string(c.skipped) +
           " skipped\n";
  }
  for (const auto& s : r.skipped) out += "skipped " + s.object + ": " + s.reason + '\n';
  if (r.bytes_copied != 0) out += store::format_size(r.bytes_copied) + " copied into the home\n";
  return out;
}

}  // namespace

void add_import_command(CLI::App& app, Context& ctx) {
  auto* import = app.add_subcommand(
      "import", "Read a home the 2.4.0 runtime left (its JSON files) into the database");
  auto args = std::make_shared<ImportArgs>();
  ctx.path(import->add_option("--from", args->from,
                              "The legacy home to read (default: this home; another directory's "
                              "snapshots and image layouts are copied in)"));
  import->add_flag("--dry-run", args->dry_run, "Report what would be imported; write nothing");
  import->add_flag("--skip-bad", args->skip_bad,
                   "Import what can be imported and list the rest, instead of failing");
  ctx.on(import, [&ctx, args] {
    auto store = ctx.open_store();
    ProgressLine progress;
    store::ImportOptions options;
    options.from = args->from;
    options.dry_run = args->dry_run;
    options.skip_bad = args->skip_bad;
    options.progress = [&progress](const store::ImportProgress& p) { progress(p); };
    const auto report = store->import_legacy(options);
    emit(ctx, report_json(report), report_text(report));
  });
}

}  // namespace a3s::cli
