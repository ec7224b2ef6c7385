// Legacy homes written by hand, shaped as the 2.4.0 runtime writes them
// (SPEC §2 "Legacy files"), for the import tests: good entries made from a
// few fields, and any raw text a test needs to break one.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/records.hpp"
#include "test_support.hpp"

namespace a3s::test {

// A 2.4.0 home under `root`. Every entry is given as JSON text, so that a
// test can write what no serializer would (a field named twice, `null`);
// each call rewrites the file it adds to.
class LegacyHome {
 public:
  explicit LegacyHome(std::filesystem::path root) : root_(std::move(root)) {
    std::filesystem::create_directories(root_);
  }

  const std::filesystem::path& root() const { return root_; }

  // The entry `key` of networks.json's "networks" map.
  void network(const std::string& key, const std::string& object) {
    networks_.emplace_back(key, object);
    file("networks.json", map_file("networks", networks_));
  }

  // The entry `key` of volumes.json's "volumes" map.
  void volume(const std::string& key, const std::string& object) {
    volumes_.emplace_back(key, object);
    file("volumes.json", map_file("volumes", volumes_));
  }

  // The next element of images/index.json's "images" list.
  void image(const std::string& object) {
    images_.push_back(object);
    std::string text = "{\"images\": [";
    for (std::size_t i = 0; i < images_.size(); ++i) text += (i ? ",\n" : "\n") + images_[i];
    file("images/index.json", text + "\n]}\n");
  }

  // snapshots/<dir>/metadata.json, and a rootfs holding etc/hostname.
  void snapshot(const std::string& dir, const std::string& metadata) {
    file("snapshots/" + dir + "/metadata.json", metadata);
    file("snapshots/" + dir + "/rootfs/etc/hostname", dir + "\n");
  }

  // An OCI layout at images/sha256/<hex>.
  void layout(const std::string& hex) { write_layout(root_ / "images" / "sha256" / hex, hex); }

  // Any file under the home, its parent directories made.
  void file(const std::filesystem::path& relative, const std::string& text) {
    std::filesystem::create_directories((root_ / relative).parent_path());
    write_file(root_ / relative, text);
  }

  // An OCI layout (oci-layout, index.json, one blob) at `dir`.
  static void write_layout(const std::filesystem::path& dir, const std::string& tag) {
    std::filesystem::create_directories(dir / "blobs" / "sha256");
    write_file(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    write_file(dir / "index.json", R"({"schemaVersion":2,"manifests":[]})");
    write_file(dir / "blobs" / "sha256" / "blob", "layer of " + tag + "\n");
  }

 private:
  static std::string map_file(const std::string& key,
                              const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string text = "{\"" + key + "\": {";
    for (std::size_t i = 0; i < entries.size(); ++i) {
      text +=
          (i ? ",\n" : "\n") + nlohmann::json(entries[i].first).dump() + ": " + entries[i].second;
    }
    return text + "\n}}\n";
  }

  std::filesystem::path root_;
  std::vector<std::pair<std::string, std::string>> networks_;
  std::vector<std::pair<std::string, std::string>> volumes_;
  std::vector<std::string> images_;
};

// Good 2.4.0 entries with only their required fields, as JSON text.
inline std::string legacy_network(const std::string& name, const std::string& subnet,
                                  const std::string& gateway) {
  return nlohmann::json{{"name", name},
                        {"subnet", subnet},
                        {"gateway", gateway},
                        {"created_at", "2026-06-17T08:15:30.123456789+00:00"}}
      .dump();
}

inline std::string legacy_volume(const std::string& name, const std::string& mount_point) {
  return nlohmann::json{
      {"name", name}, {"mount_point", mount_point}, {"created_at", "2026-06-17T08:16:00+00:00"}}
      .dump();
}

inline std::string legacy_snapshot(const std::string& id) {
  return nlohmann::json{{"id", id},
                        {"name", "name-" + id},
                        {"source_box_id", "box-1"},
                        {"image", "alpine:latest"},
                        {"vcpus", 2},
                        {"memory_mb", 512},
                        {"volumes", nlohmann::json::array()},
                        {"env", nlohmann::json::object()},
                        {"cmd", nlohmann::json::array({"/bin/sh"})},
                        {"created_at", "2026-06-20T12:00:00Z"}}
      .dump();
}

// `digest` as written, so that a test can give one that is no digest.
inline std::string legacy_image(const std::string& reference, const std::string& digest) {
  return nlohmann::json{{"reference", reference},
                        {"digest", digest},
                        {"size_bytes", 64},
                        {"pulled_at", "2026-06-17T08:00:00Z"},
                        {"last_used", "2026-06-18T08:00:00.25Z"},
                        {"path", "/home/user/.a3s/images/sha256/whatever"}}
      .dump();
}

// A record's JSON in a form two equal records share, whichever wrote them:
// every field SPEC §3 defaults that `record` leaves out filled with its
// default, and its times (typed time) in their canonical form, the same
// for one instant ("...00.5+00:00" and "...00.500Z" are both "...00.500Z"). `catalog` is
// "networks", "volumes", "snapshots" or "images".
inline nlohmann::json comparable(const std::string& catalog, nlohmann::json record) {
  using nlohmann::json;
  auto fill = [](json& object, const json& defaults) {
    for (const auto& [key, value] : defaults.items()) {
      if (!object.contains(key)) object[key] = value;
    }
  };
  auto instant = [&](const char* key) {
    const auto text = record.at(key).get<std::string>();
    record[key] = store::format_rfc3339(store::parse_rfc3339(text, key));
  };
  if (catalog == "networks") {
    fill(record, {{"driver", "bridge"},
                  {"labels", json::object()},
                  {"endpoints", json::object()},
                  {"policy", json::object()}});
    fill(record["policy"],
         {{"isolation", "none"}, {"ingress", json::array()}, {"egress", json::array()}});
    for (auto& [id, e] : record["endpoints"].items()) fill(e, {{"aliases", json::array()}});
  } else if (catalog == "volumes") {
    fill(record, {{"driver", "local"},
                  {"labels", json::object()},
                  {"in_use_by", json::array()},
                  {"size_limit", 0}});
  } else if (catalog == "snapshots") {
    fill(record, {{"entrypoint", nullptr},
                  {"workdir", nullptr},
                  {"healthcheck_disabled", false},
                  {"port_map", json::array()},
                  {"labels", json::object()},
                  {"network_mode", nullptr},
                  {"rootfs_cache_key", nullptr},
                  {"size_bytes", 0},
                  {"created_at", "1970-01-01T00:00:00Z"},
                  {"description", ""}});
    instant("created_at");
  } else if (catalog == "images") {
    instant("pulled_at");
    instant("last_used");
  }
  return record;
}

}  // namespace a3s::test
