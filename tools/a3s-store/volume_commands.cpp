// `a3s-store volume ...` (SPEC §7).
#include <array>
#include <memory>

#include "a3s/store/error.hpp"
#include "a3s/store/sizes.hpp"
#include "context.hpp"
#include "output.hpp"

namespace a3s::cli {
namespace {

void print_volumes(const std::vector<store::VolumeConfig>& volumes) {
  print_table<6>({"NAME", "DRIVER", "MOUNT POINT", "IN USE BY", "SIZE LIMIT", "CREATED"}, volumes,
                 [](const store::VolumeConfig& v) {
                   return std::array<Cell, 6>{
                       v.name,
                       v.driver,
                       v.mount_point,
                       join_or_dash(v.in_use_by),
                       v.size_limit == 0 ? "unlimited" : store::format_size(v.size_limit),
                       v.created_at};
                 });
}

struct Args {
  std::string name;
  std::vector<std::string> labels;
  std::uint64_t size_limit = 0;
  bool force = false;
  std::string box_id;
};

}  // namespace

void add_volume_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("volume", "Manage volumes and the boxes using them");
  group->require_subcommand(1);
  auto args = std::make_shared<Args>();
  const auto add_name = [&](CLI::App* sub) {
    sub->add_option("NAME", args->name, "Volume name")->required();
  };

  auto* create = group->add_subcommand("create", "Create a volume and its data directory");
  add_name(create);
  add_label_option(create, args->labels);
  add_size_option(create, "--size-limit", args->size_limit, "Size limit (0: unlimited)");
  ctx.on(create, [&ctx, args] {
    store::VolumeConfig config;
    config.name = args->name;
    config.labels = to_label_map(args->labels);
    config.size_limit = args->size_limit;
    config.created_at = store::format_rfc3339(store::now());
    const auto created = ctx.open_store()->volumes().create(config);
    emit(ctx, store::to_json(created),
         "created volume " + created.name + " at " + created.mount_point);
  });

  auto* ls = group->add_subcommand("ls", "List volumes");
  ctx.on(ls, [&ctx] {
    const auto volumes = ctx.open_store()->volumes().list();
    emit_list(ctx, volumes, print_volumes);
  });

  auto* inspect = group->add_subcommand("inspect", "Show a volume");
  add_name(inspect);
  ctx.on(inspect, [&ctx, args] {
    const auto volume = ctx.open_store()->volumes().get(args->name);
    if (!volume) throw store::not_found("volume", args->name);
    const auto json = store::to_json(*volume);
    emit(ctx, json, pretty(json));
  });

  auto* rm = group->add_subcommand("rm", "Remove a volume and its data directory");
  add_name(rm);
  rm->add_flag("--force,-f", args->force, "Remove even while boxes use it");
  ctx.on(rm, [&ctx, args] {
    const auto removed = ctx.open_store()->volumes().remove(args->name, args->force);
    emit(ctx, store::to_json(removed), "removed volume " + removed.name);
  });

  auto* attach = group->add_subcommand("attach", "Mark a box as using a volume");
  add_name(attach);
  attach->add_option("BOX_ID", args->box_id, "Box ID")->required();
  ctx.on(attach, [&ctx, args] {
    const auto volume = ctx.open_store()->volumes().attach(args->name, args->box_id);
    emit(ctx, store::to_json(volume), "attached volume " + volume.name + " to " + args->box_id);
  });

  auto* detach = group->add_subcommand("detach", "Mark a box as no longer using a volume");
  add_name(detach);
  detach->add_option("BOX_ID", args->box_id, "Box ID")->required();
  ctx.on(detach, [&ctx, args] {
    const auto volume = ctx.open_store()->volumes().detach(args->name, args->box_id);
    emit(ctx, store::to_json(volume), "detached volume " + volume.name + " from " + args->box_id);
  });

  auto* prune = group->add_subcommand("prune", "Remove every volume no box uses");
  ctx.on(prune, [&ctx] {
    const auto names = ctx.open_store()->volumes().prune();
    std::string human = names.empty() ? "no unused volumes\n" : "";
    for (const auto& name : names) human += "removed volume " + name + '\n';
    emit(ctx, names, human);
  });
}

}  // namespace a3s::cli
