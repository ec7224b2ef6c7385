// `a3s-store image ...` (SPEC §7).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "a3s/store/error.hpp"
#include "a3s/store/sizes.hpp"
#include "context.hpp"
#include "output.hpp"

namespace a3s::cli {
namespace {

constexpr std::string_view kDigestPrefix = "sha256:";

// The first 12 hex digits of a digest, as `docker images` shows an image ID.
std::string short_digest(const std::string& digest) {
  const auto hex = std::string_view(digest).starts_with(kDigestPrefix)
                       ? std::string_view(digest).substr(kDigestPrefix.size())
                       : std::string_view(digest);
  return std::string(hex.substr(0, 12));
}

void print_images(const std::vector<store::StoredImage>& images) {
  print_table<5>({"REFERENCE", "DIGEST", "SIZE", "PULLED", "LAST USED"}, images,
                 [](const store::StoredImage& i) {
                   return std::array<Cell, 5>{
                       i.reference, short_digest(i.digest), store::format_size(i.size_bytes),
                       store::format_rfc3339(i.pulled_at), store::format_rfc3339(i.last_used)};
                 });
}

struct Args {
  std::string reference;  // or a digest, for inspect and rm
  std::string digest;
  std::string dir;
  std::uint64_t max_size = 0;
};

}  // namespace

void add_image_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("image", "Manage the cache of unpacked OCI images");
  group->require_subcommand(1);
  auto args = std::make_shared<Args>();
  const auto add_ref_or_digest = [&](CLI::App* sub) {
    sub->add_option("REF_OR_DIGEST", args->reference, "Image reference, or sha256:<hex> digest")
        ->required();
  };

  auto* put = group->add_subcommand("put", "Copy an OCI image layout into the cache and record it");
  put->add_option("REFERENCE", args->reference, "Image reference, e.g. docker.io/library/alpine:3")
      ->required();
  put->add_option("DIGEST", args->digest, "Manifest digest: sha256:<64 lowercase hex>")->required();
  ctx.path(put->add_option("DIR", args->dir, "The unpacked OCI image layout")->required());
  ctx.on(put, [&ctx, args] {
    const auto image = ctx.open_store()->images().put(args->reference, args->digest, args->dir);
    emit(ctx, store::to_json(image),
         "stored image " + image.reference + " (" + short_digest(image.digest) + ", " +
             store::format_size(image.size_bytes) + ")");
  });

  auto* ls = group->add_subcommand("ls", "List images");
  ctx.on(ls, [&ctx] {
    const auto images = ctx.open_store()->images().list();
    emit_list(ctx, images, print_images);
  });

  auto* inspect = group->add_subcommand("inspect", "Show an image and mark it used");
  add_ref_or_digest(inspect);
  ctx.on(inspect, [&ctx, args] {
    auto store = ctx.open_store();
    const auto image = std::string_view(args->reference).starts_with(kDigestPrefix)
                           ? store->images().get_by_digest(args->reference)
                           : store->images().get(args->reference);
    if (!image) throw store::not_found("image", args->reference);
    const auto json = store::to_json(*image);
    emit(ctx, json, pretty(json));
  });

  auto* rm = group->add_subcommand(
      "rm", "Remove a reference, or every reference of a digest, and unused layouts");
  add_ref_or_digest(rm);
  ctx.on(rm, [&ctx, args] {
    const auto removed = ctx.open_store()->images().remove(args->reference);
    std::string human;
    for (const auto& image : removed) human += "removed image " + image.reference + '\n';
    emit(ctx, to_json_array(removed), human);
  });

  auto* evict = group->add_subcommand(
      "evict", "Remove least recently used images until the cache fits its cap");
  auto* max_size =
      add_size_option(evict, "--max-size", args->max_size,
                      "The cap (default: the store's, from A3S_IMAGE_CACHE_SIZE or 10 GiB)");
  ctx.on(evict, [&ctx, args, max_size] {
    auto store = ctx.open_store();
    const auto evicted =
        max_size->count() > 0 ? store->images().evict(args->max_size) : store->images().evict();
    std::string human = evicted.empty() ? "no images evicted\n" : "";
    for (const auto& reference : evicted) human += "evicted image " + reference + '\n';
    emit(ctx, evicted, human);
  });
}

}  // namespace a3s::cli
