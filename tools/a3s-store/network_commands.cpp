// `a3s-store network ...` (SPEC §7).
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <optional>

#include "a3s/store/error.hpp"
#include "context.hpp"
#include "output.hpp"

namespace a3s::cli {
namespace {

store::NetworkConfig get_existing(store::Store& store, const std::string& name) {
  auto network = store.networks().get(name);
  if (!network) throw store::not_found("network", name);
  return *network;
}

void print_networks(const std::vector<store::NetworkSummary>& networks) {
  print_table<6>({"NAME", "SUBNET", "GATEWAY", "DRIVER", "ENDPOINTS", "CREATED"}, networks,
                 [](const store::NetworkSummary& n) {
                   return std::array<Cell, 6>{
                       n.name,      n.subnet, n.gateway, n.driver, std::to_string(n.endpoint_count),
                       n.created_at};
                 });
}

struct Args {
  std::string name;
  std::string subnet;
  std::vector<std::string> labels;
  bool force = false;
  std::string box_id;
  std::string box_name;
  std::vector<std::string> aliases;
};

}  // namespace

void add_network_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("network", "Manage networks and their endpoints");
  group->require_subcommand(1);
  auto args = std::make_shared<Args>();
  const auto add_name = [&](CLI::App* sub) {
    sub->add_option("NAME", args->name, "Network name")->required();
  };

  auto* create = group->add_subcommand("create", "Create a network");
  add_name(create);
  create->add_option("--subnet", args->subnet, "IPv4 subnet, e.g. 10.88.0.0/24")
      ->type_name("CIDR")
      ->required();
  add_label_option(create, args->labels);
  ctx.on(create, [&ctx, args] {
    store::NetworkConfig config;
    config.name = args->name;
    config.subnet = args->subnet;
    config.labels = to_label_map(args->labels);
    config.created_at = store::format_rfc3339(store::now());
    const auto created = ctx.open_store()->networks().create(config);  // derives the gateway
    if (store::subnet_has_host_bits(created.subnet)) {
      spdlog::warn(
          "subnet {} has host bits set: the gateway ({}) and the addresses connect hands out "
          "count from the address as written, not from the network address",
          created.subnet, created.gateway);
    }
    emit(ctx, store::to_json(created),
         "created network " + created.name + " (" + created.subnet + ", gateway " +
             created.gateway + ")");
  });

  auto* ls = group->add_subcommand("ls", "List networks");
  ctx.on(ls, [&ctx] {
    // The table needs only the summaries, which cost a fraction of the records.
    const auto store = ctx.open_store();
    if (ctx.json) {
      emit(ctx, to_json_array(store->networks().list()), {});
    } else {
      print_networks(store->networks().summaries());
    }
  });

  auto* inspect = group->add_subcommand("inspect", "Show a network");
  add_name(inspect);
  ctx.on(inspect, [&ctx, args] {
    const auto json = store::to_json(get_existing(*ctx.open_store(), args->name));
    emit(ctx, json, pretty(json));
  });

  auto* rm = group->add_subcommand("rm", "Remove a network");
  add_name(rm);
  rm->add_flag("--force,-f", args->force, "Remove even while boxes are connected");
  ctx.on(rm, [&ctx, args] {
    const auto removed = ctx.open_store()->networks().remove(args->name, args->force);
    emit(ctx, store::to_json(removed), "removed network " + removed.name);
  });

  auto* connect = group->add_subcommand("connect", "Connect a box to a network");
  add_name(connect);
  connect->add_option("BOX_ID", args->box_id, "Box ID")->required();
  connect->add_option("--box-name", args->box_name, "The box's name")->required();
  connect->add_option("--alias", args->aliases, "A DNS alias (repeatable)");
  ctx.on(connect, [&ctx, args] {
    const auto endpoint = ctx.open_store()->networks().connect(args->name, args->box_id,
                                                               args->box_name, args->aliases);
    emit(ctx, store::to_json(endpoint),
         "connected " + endpoint.box_id + " to " + args->name + ": " + endpoint.ip_address + " (" +
             endpoint.mac_address + ")");
  });

  auto* disconnect = group->add_subcommand("disconnect", "Disconnect a box from a network");
  add_name(disconnect);
  disconnect->add_option("BOX_ID", args->box_id, "Box ID")->required();
  ctx.on(disconnect, [&ctx, args] {
    const auto endpoint = ctx.open_store()->networks().disconnect(args->name, args->box_id);
    emit(ctx, store::to_json(endpoint),
         "disconnected " + endpoint.box_id + " from " + args->name + " (" + endpoint.ip_address +
             ")");
  });
}

}  // namespace a3s::cli
