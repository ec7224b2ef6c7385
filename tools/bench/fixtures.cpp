// Catalog fixtures: deterministic records and fast population of a home for
// each implementation, plus the small helpers declared in bench.hpp.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "a3s/store/store.hpp"
#include "bench.hpp"
#include "etcd_store.hpp"
#include "ipv4.hpp"
#include "rows.hpp"
#include "sqlite_util.hpp"

#ifndef A3S_SOURCE_ROOT
#error "A3S_SOURCE_ROOT must be defined (the source tree, for schema/*.sql)"
#endif

namespace bench {
namespace {

using nlohmann::json;
// The 2.4.0 files: records keep their fields in the runtime's order, as serde writes them.
using nlohmann::ordered_json;
namespace st = a3s::store;

std::string padded(const char* prefix, std::size_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%06zu", prefix, i);
  return buf;
}

std::uint64_t mix(std::uint64_t x) { return Rng(x).next(); }

std::string hex64(std::size_t i) {
  std::string out;
  char buf[17];
  for (std::uint64_t word = 0; word < 4; ++word) {
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(mix(i * 4 + word + 1)));
    out += buf;
  }
  return out;
}

// 2024-01-01T00:00:00Z plus `seconds`.
st::Timestamp time_after_base(std::int64_t seconds) {
  using namespace std::chrono;
  return st::Timestamp{sys_days{year{2024} / January / 1} + std::chrono::seconds{seconds}};
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// The rows the engine's stores write, JSON columns by the library's codec.
void insert_rows(Db& db, const fs::path& home, const CatalogSpec& spec) {
  db.exec("PRAGMA synchronous = OFF");
  db.exec("BEGIN IMMEDIATE");
  {
    Stmt net(db, kInsertNetwork);
    Stmt ep(db, kInsertEndpoint);
    for (std::size_t i = 0; i < spec.networks; ++i) insert_network(net, ep, make_network(i));
    if (spec.shared_network) insert_network(net, ep, make_shared_network());

    Stmt vol(db,
             "INSERT INTO volumes (name, driver, mount_point, labels, size_limit, created_at) "
             "VALUES (?, ?, ?, ?, ?, ?)");
    Stmt user(db, "INSERT INTO volume_users (volume, box_id, position) VALUES (?, ?, ?)");
    for (std::size_t i = 0; i < spec.volumes; ++i) {
      const VolumeConfig v = make_volume(i, home);
      vol.bind_copy(1, v.name).bind_copy(2, v.driver).bind_copy(3, v.mount_point);
      bind_json(vol, 4, st::to_json(v), "labels");
      vol.bind_int(5, static_cast<std::int64_t>(v.size_limit)).bind_copy(6, v.created_at);
      vol.run();
      std::int64_t position = 0;
      for (const auto& box : v.in_use_by) {
        user.bind_copy(1, v.name).bind_copy(2, box).bind_int(3, ++position);
        user.run();
      }
    }

    Stmt snap(db,
              "INSERT INTO snapshots (id, name, source_box_id, image, vcpus, memory_mb, volumes, "
              "env, cmd, entrypoint, workdir, port_map, labels, network_mode, rootfs_cache_key, "
              "size_bytes, created_at, description, image_config, health_check, "
              "healthcheck_disabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
              "?, ?, ?, ?)");
    const auto opt = [](Stmt& s, int col, const std::optional<std::string>& v) {
      if (v) {
        s.bind_copy(col, *v);
      } else {
        s.bind_null(col);
      }
    };
    for (std::size_t i = 0; i < spec.snapshots; ++i) {
      const SnapshotMetadata s = make_snapshot(i);
      const json j = st::to_json(s);
      snap.bind_copy(1, s.id)
          .bind_copy(2, s.name)
          .bind_copy(3, s.source_box_id)
          .bind_copy(4, s.image)
          .bind_int(5, s.vcpus)
          .bind_int(6, s.memory_mb);
      bind_json(snap, 7, j, "volumes");
      bind_json(snap, 8, j, "env");
      bind_json(snap, 9, j, "cmd");
      bind_json(snap, 10, j, "entrypoint");
      opt(snap, 11, s.workdir);
      bind_json(snap, 12, j, "port_map");
      bind_json(snap, 13, j, "labels");
      opt(snap, 14, s.network_mode);
      opt(snap, 15, s.rootfs_cache_key);
      snap.bind_int(16, static_cast<std::int64_t>(s.size_bytes))
          .bind_copy(17, st::format_rfc3339_sortable(s.created_at))
          .bind_copy(18, s.description);
      opt(snap, 19, s.image_config);
      opt(snap, 20, s.health_check);
      snap.bind_int(21, s.healthcheck_disabled ? 1 : 0);
      snap.run();
    }

    Stmt img(db,
             "INSERT INTO images (reference, digest, size_bytes, pulled_at, last_used, path) "
             "VALUES (?, ?, ?, ?, ?, ?)");
    for (std::size_t i = 0; i < spec.images; ++i) {
      const StoredImage m = make_image(i, home);
      img.bind_copy(1, m.reference)
          .bind_copy(2, m.digest)
          .bind_int(3, static_cast<std::int64_t>(m.size_bytes))
          .bind_copy(4, st::format_rfc3339_sortable(m.pulled_at))
          .bind_copy(5, st::format_rfc3339_sortable(m.last_used))
          .bind_copy(6, m.path);
      img.run();
    }
  }
  db.exec("COMMIT");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

void make_layouts(const fs::path& home, const CatalogSpec& spec) {
  for (std::size_t i = 0; i < spec.image_layouts && i < spec.images; ++i) {
    const fs::path dir = make_image(i, home).path;
    fs::create_directories(dir / "blobs" / "sha256");
    write_text(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    write_text(dir / "index.json", R"({"schemaVersion":2,"manifests":[]})");
  }
}

// A home as 2.4.0 leaves it. serde_json::to_string_pretty indents by two
// spaces and writes a record's fields in declaration order, as dump(2) of
// the ordered codec does.
void write_json_home(const fs::path& home, const CatalogSpec& spec) {
  constexpr int kPretty = 2;
  ordered_json networks = ordered_json::object();
  for (std::size_t i = 0; i < spec.networks; ++i) {
    const NetworkConfig n = make_network(i);
    networks[n.name] = st::to_json(n);
  }
  if (spec.shared_network) networks[kSharedNetwork] = st::to_json(make_shared_network());
  write_text(home / "networks.json", ordered_json{{"networks", std::move(networks)}}.dump(kPretty));

  ordered_json volumes = ordered_json::object();
  for (std::size_t i = 0; i < spec.volumes; ++i) {
    const VolumeConfig v = make_volume(i, home);
    volumes[v.name] = st::to_json(v);
    // 2.4.0 makes a volume's directory when it creates the volume.
    if (spec.runtime_home) fs::create_directories(v.mount_point);
  }
  write_text(home / "volumes.json", ordered_json{{"volumes", std::move(volumes)}}.dump(kPretty));

  fs::create_directories(home / "snapshots");
  for (std::size_t i = 0; i < spec.snapshots; ++i) {
    const SnapshotMetadata s = make_snapshot(i);
    const fs::path dir = home / "snapshots" / s.id;
    fs::create_directory(dir);
    // The fields 3.0.11 added are not 2.4.0's: its files never hold them.
    ordered_json metadata = st::to_json(s);
    for (const char* later : {"image_config", "health_check", "healthcheck_disabled"}) {
      metadata.erase(later);
    }
    write_text(dir / "metadata.json", metadata.dump(kPretty));
    if (spec.runtime_home) {
      fs::create_directories(dir / "rootfs" / "etc");
      write_text(dir / "rootfs" / "etc" / "hostname", s.source_box_id + "\n");
      write_text(dir / "rootfs" / "etc" / "os-release", "ID=alpine\nVERSION_ID=3.19\n");
    }
  }

  fs::create_directories(home / "images");
  ordered_json images = ordered_json::array();
  for (std::size_t i = 0; i < spec.images; ++i) {
    const StoredImage image = make_image(i, home);
    // 2.4.0 loads only the entries whose layout directory exists; the ones
    // without files (see make_layouts) get an empty one.
    if (i >= spec.image_layouts) fs::create_directories(image.path);
    images.push_back(st::to_json(image));
  }
  write_text(home / "images" / "index.json",
             ordered_json{{"images", std::move(images)}}.dump(kPretty));
}

}  // namespace

std::string_view impl_name(Impl impl) {
  switch (impl) {
    case Impl::a3s:
      return "a3s";
    case Impl::json_file_2_4_0:
      return "json-file-2.4.0";
    case Impl::sqlite_raw:
      return "sqlite-raw";
    case Impl::a3s_etcd:
      return "a3s-etcd";
  }
  return "?";
}

std::string_view durability_name(Durability d) { return d == Durability::full ? "full" : "normal"; }

std::string durability_of(Impl impl, Durability d) {
  if (impl == Impl::json_file_2_4_0) return "none";
  if (impl == Impl::a3s_etcd) return "raft";
  return std::string(durability_name(d));
}

std::string network_name(std::size_t i) { return padded("net-", i); }
std::string volume_name(std::size_t i) { return padded("vol-", i); }
std::string snapshot_id(std::size_t i) { return padded("snap-", i); }
std::string image_reference(std::size_t i) {
  return padded("registry.example.com/bench/img-", i) + ":latest";
}
std::string image_digest(std::size_t i) { return "sha256:" + hex64(i); }

NetworkConfig make_network(std::size_t i) {
  const std::size_t b = (i >> 8) & 0xff;
  const std::size_t c = i & 0xff;
  const std::string prefix = "10." + std::to_string(b) + "." + std::to_string(c) + ".";
  NetworkConfig n;
  n.name = network_name(i);
  n.subnet = prefix + "0/24";
  n.gateway = prefix + "1";
  n.labels = {{"bench", "yes"}, {"index", std::to_string(i)}};
  n.created_at = "2024-01-01T00:00:00Z";
  for (int k = 0; k < 2; ++k) {
    NetworkEndpoint e;
    e.box_id = padded("box-", i) + (k == 0 ? "-a" : "-b");
    e.box_name = k == 0 ? "web" : "db";
    const std::uint32_t ip = *st::detail::parse_ipv4(prefix + std::to_string(2 + k));
    e.ip_address = st::detail::format_ipv4(ip);
    e.mac_address = st::detail::mac_for(ip);
    if (k == 0) e.aliases = {"frontend"};
    n.endpoints.emplace(e.box_id, e);
  }
  return n;
}

NetworkConfig make_new_network(std::size_t k) {
  const std::string prefix =
      "172." + std::to_string(16 + ((k >> 8) & 15)) + "." + std::to_string(k & 0xff) + ".";
  NetworkConfig n;
  n.name = padded("new-", k);
  n.subnet = prefix + "0/24";
  n.gateway = prefix + "1";
  n.labels = {{"bench", "new"}};
  n.created_at = "2024-06-01T00:00:00Z";
  return n;
}

NetworkConfig make_shared_network() {
  NetworkConfig n;
  n.name = kSharedNetwork;
  n.subnet = "10.250.0.0/16";
  n.gateway = "10.250.0.1";
  n.created_at = "2024-01-01T00:00:00Z";
  return n;
}

VolumeConfig make_volume(std::size_t i, const fs::path& home) {
  VolumeConfig v;
  v.name = volume_name(i);
  v.mount_point = (home / "volumes" / v.name).string();
  v.labels = {{"index", std::to_string(i)}};
  v.in_use_by = {padded("box-", i)};
  v.created_at = "2024-01-01T00:00:00Z";
  return v;
}

SnapshotMetadata make_snapshot(std::size_t i) {
  SnapshotMetadata s;
  s.id = snapshot_id(i);
  s.name = padded("snapshot-", i);
  s.source_box_id = padded("box-", i);
  s.image = "docker.io/library/alpine:3.19";
  s.vcpus = 2;
  s.memory_mb = 512;
  s.volumes = {"/var/lib/data:/data"};
  s.env = {{"HOME", "/root"}, {"PATH", "/usr/local/bin:/usr/bin:/bin"}};
  s.cmd = {"/bin/sh", "-c", "sleep infinity"};
  s.workdir = "/";
  s.labels = {{"bench", "yes"}};
  s.size_bytes = 1'000'000 + i;
  s.created_at = time_after_base(i);
  s.description = "benchmark snapshot";
  return s;
}

StoredImage make_image(std::size_t i, const fs::path& home) {
  StoredImage m;
  m.reference = image_reference(i);
  m.digest = image_digest(i);
  m.size_bytes = kImageSize;
  // Index order is least-recently-used order.
  m.pulled_at = time_after_base(i);
  m.last_used = m.pulled_at;
  m.path = (home / "images" / "sha256" / m.digest.substr(7)).string();
  return m;
}

void apply_schema_sql(const fs::path& db_path) {
  // schema/NNNN_description.sql, in version order, as the engine embeds them.
  const std::regex migration_name(R"((\d{4})_[a-z0-9_]+\.sql)");
  std::vector<std::pair<int, fs::path>> migrations;
  for (const auto& entry : fs::directory_iterator(fs::path(A3S_SOURCE_ROOT) / "schema")) {
    const std::string name = entry.path().filename().string();
    std::smatch match;
    if (std::regex_match(name, match, migration_name)) {
      migrations.emplace_back(std::stoi(match[1].str()), entry.path());
    }
  }
  std::sort(migrations.begin(), migrations.end());
  if (migrations.empty()) {
    throw std::runtime_error("no schema/NNNN_*.sql under " + std::string(A3S_SOURCE_ROOT));
  }
  Db db(db_path.string());
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("BEGIN IMMEDIATE");
  for (const auto& [version, path] : migrations) db.exec(read_text(path).c_str());
  // PRAGMA takes no bound parameters; the version is an integer we parsed.
  db.exec(("PRAGMA user_version = " + std::to_string(migrations.back().first)).c_str());
  db.exec("COMMIT");
}

void populate_home(Impl impl, const fs::path& home, const CatalogSpec& spec) {
  fs::create_directories(home);
  switch (impl) {
    case Impl::a3s: {
      st::Options options;
      options.home = home;
      st::Store::open(options).reset();  // box.db with the engine's own schema
      Db db((home / "box.db").string());
      insert_rows(db, home, spec);
      break;
    }
    case Impl::sqlite_raw: {
      apply_schema_sql(home / "box.db");
      Db db((home / "box.db").string());
      insert_rows(db, home, spec);
      break;
    }
    case Impl::json_file_2_4_0:
      write_json_home(home, spec);
      break;
    case Impl::a3s_etcd:
      populate_etcd(home, spec);  // its images' layouts are put with them
      return;
  }
  make_layouts(home, spec);
}

// ---- helpers --------------------------------------------------------------

TempDir::TempDir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      (fs::path(tmp && *tmp ? tmp : "/tmp") / ("a3s-bench-" + tag + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace bench
