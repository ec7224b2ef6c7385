// `a3s-store snapshot ...` (SPEC §7).
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>

#include "a3s/store/error.hpp"
#include "a3s/store/sizes.hpp"
#include "context.hpp"
#include "output.hpp"

namespace a3s::cli {
namespace {

using store::Error;
using store::ErrorCode;

// A whole SnapshotMetadata from a JSON file (the legacy metadata.json form);
// every failure names the file. Only a regular file is read (a fifo or a
// device could block or never end), and no more of it than a record may hold
// (SPEC §3: 1 MiB) and one byte to tell that it holds more.
store::SnapshotMetadata read_metadata(const std::filesystem::path& file) {
  constexpr std::size_t kMaxBytes = std::size_t{1} << 20;
  const std::string name = "'" + file.string() + "'";
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) {
    throw Error(ErrorCode::io, "cannot read metadata file " + name + ": " +
                                   (ec ? ec.message() : std::string("no such file")));
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw Error(ErrorCode::invalid_argument, "metadata file " + name + ": is not a regular file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::io, "cannot read metadata file " + name + ": " + std::strerror(errno));
  }
  std::string text(kMaxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw Error(ErrorCode::io, "cannot read metadata file " + name);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxBytes) {
    throw Error(ErrorCode::invalid_argument,
                "metadata file " + name + ": larger than 1 MiB (a record's limit)");
  }
  try {
    return store::snapshot_from_json_text(text);
  } catch (const Error& e) {
    throw Error(e.code(), "metadata file " + name + ": " + e.what());
  }
}

// Decimal digits only, within [min, max]. (CLI11 alone would read "-1" as
// 2^64 - 1 and accept out-of-range text for a 64-bit count.)
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [next, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc{} || next != end || value < min || value > max) {
          return "'" + text + "' is not a whole number from " + std::to_string(min) + " to " +
                 std::to_string(max);
        }
        return {};
      },
      "N");
}

void print_snapshots(const std::vector<store::SnapshotMetadata>& snapshots) {
  print_table<6>({"ID", "NAME", "BOX", "IMAGE", "SIZE", "CREATED"}, snapshots,
                 [](const store::SnapshotMetadata& s) {
                   return std::array<Cell, 6>{s.id,
                                              s.name,
                                              s.source_box_id,
                                              s.image,
                                              store::format_size(s.size_bytes),
                                              store::format_rfc3339(s.created_at)};
                 });
}

struct Args {
  std::string id;
  std::string rootfs;
  std::string metadata;
  std::string name;
  std::string box_id;
  std::string image;
  std::uint32_t vcpus = 2;  // as SnapshotMetadata::new in 2.4.0
  std::uint32_t memory_mb = 512;
  std::string description;
  std::uint64_t max_count = 0;
  std::uint64_t max_bytes = 0;
};

}  // namespace

void add_snapshot_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("snapshot", "Manage VM snapshots and their root filesystems");
  group->require_subcommand(1);
  auto args = std::make_shared<Args>();
  const auto add_id = [&](CLI::App* sub) {
    sub->add_option("ID", args->id, "Snapshot ID")->required();
  };

  auto* save = group->add_subcommand("save", "Copy a root filesystem and record a snapshot");
  ctx.path(save->add_option("--rootfs", args->rootfs, "The root filesystem to copy (absent: empty)")
               ->type_name("DIR")
               ->required());
  // The record comes either whole from --metadata or from the flags, which
  // then need --id, --name, --box and --image.
  auto* record =
      save->add_option_group("Record", "Either --metadata, or --id with --name, --box and --image");
  record->require_option(1, 0);
  auto* metadata = ctx.path(
      record->add_option("--metadata", args->metadata, "A whole SnapshotMetadata JSON file")
          ->type_name("FILE.json"));
  auto* id = record->add_option("--id", args->id, "Snapshot ID");
  std::vector<CLI::Option*> flags = {
      record->add_option("--name", args->name, "Snapshot name"),
      record->add_option("--box", args->box_id, "The source box's ID")->type_name("BOX_ID"),
      record->add_option("--image", args->image, "The box's image reference")->type_name("REF"),
  };
  for (auto* required : flags) id->needs(required);
  const auto positive = whole_number(1, std::numeric_limits<std::uint32_t>::max());
  flags.push_back(record->add_option("--vcpus", args->vcpus, "Virtual CPUs (default: 2)")
                      ->type_name("N")
                      ->check(positive));
  flags.push_back(record->add_option("--memory-mb", args->memory_mb, "Memory in MiB (default: 512)")
                      ->type_name("N")
                      ->check(positive));
  flags.push_back(
      record->add_option("--description", args->description, "A description")->type_name("TEXT"));
  for (auto* flag : flags) {
    flag->needs(id);
    metadata->excludes(flag);
  }
  metadata->excludes(id);
  ctx.on(save, [&ctx, args, metadata] {
    store::SnapshotMetadata snapshot;
    if (metadata->count() > 0) {
      snapshot = read_metadata(args->metadata);
    } else {
      snapshot.id = args->id;
      snapshot.name = args->name;
      snapshot.source_box_id = args->box_id;
      snapshot.image = args->image;
      snapshot.vcpus = args->vcpus;
      snapshot.memory_mb = args->memory_mb;
      snapshot.description = args->description;
      snapshot.created_at = store::now();
    }
    const auto saved = ctx.open_store()->snapshots().save(snapshot, args->rootfs);
    emit(ctx, store::to_json(saved),
         "saved snapshot " + saved.id + " (" + store::format_size(saved.size_bytes) + ")");
  });

  auto* ls = group->add_subcommand("ls", "List snapshots, newest first");
  ctx.on(ls, [&ctx] {
    const auto snapshots = ctx.open_store()->snapshots().list();
    emit_list(ctx, snapshots, print_snapshots);
  });

  auto* inspect = group->add_subcommand("inspect", "Show a snapshot");
  add_id(inspect);
  ctx.on(inspect, [&ctx, args] {
    const auto snapshot = ctx.open_store()->snapshots().get(args->id);
    if (!snapshot) throw store::not_found("snapshot", args->id);
    const auto json = store::to_json(*snapshot);
    emit(ctx, json, pretty(json));
  });

  auto* rm = group->add_subcommand("rm", "Remove a snapshot and its root filesystem");
  add_id(rm);
  ctx.on(rm, [&ctx, args] {
    auto store = ctx.open_store();
    const auto snapshot = store->snapshots().remove(args->id);
    if (!snapshot) throw store::not_found("snapshot", args->id);
    emit(ctx, store::to_json(*snapshot), "removed snapshot " + snapshot->id);
  });

  auto* prune = group->add_subcommand(
      "prune", "Remove the oldest snapshots until the limits hold (0: no limit)");
  prune->add_option("--max-count", args->max_count, "Keep at most this many snapshots")
      ->type_name("N")
      ->check(whole_number(0, std::numeric_limits<std::uint64_t>::max()));
  add_size_option(prune, "--max-bytes", args->max_bytes, "Keep at most this many bytes");
  ctx.on(prune, [&ctx, args] {
    const auto ids = ctx.open_store()->snapshots().prune(args->max_count, args->max_bytes);
    std::string human = ids.empty() ? "no snapshots pruned\n" : "";
    for (const auto& id : ids) human += "removed snapshot " + id + '\n';
    emit(ctx, ids, human);
  });
}

}  // namespace a3s::cli
