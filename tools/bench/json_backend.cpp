// `json-file`: the runtime's current strategy, rebuilt faithfully.
//
// One JSON file per catalog (networks.json, volumes.json, images/index.json)
// and one metadata.json per snapshot. A mutation takes an exclusive flock on
// the catalog's lock file, reads and parses the whole file into records (the
// library's *_from_json codecs, as serde decodes the whole map), changes it,
// writes a temp file, fsyncs it and renames it over the catalog. A read takes
// a shared flock and parses the whole file. Snapshot count/total_size scan
// every snapshots/<id>/metadata.json. connect takes the library's IPAM
// (ipv4.hpp), which is 2.4.0's. There is no fdatasync/"normal" mode: the
// runtime always fsyncs, so rows are reported with durability "fsync".
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "bench.hpp"
#include "ipv4.hpp"

namespace bench {
namespace {

using nlohmann::json;
// What is written: records keep their fields in the runtime's order, as serde writes them.
using nlohmann::ordered_json;
namespace st = a3s::store;
namespace detail = a3s::store::detail;

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw std::runtime_error(what + " '" + path.string() + "': " + std::strerror(errno));
}

class Fd {
 public:
  Fd(const fs::path& path, int flags, mode_t mode = 0644)
      : fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {
    if (fd_ < 0) fail("open", path);
  }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// flock on <catalog>.lock, held for the whole operation.
class FileLock {
 public:
  FileLock(const fs::path& lock_path, bool exclusive) : fd_(lock_path, O_RDWR | O_CREAT) {
    while (::flock(fd_.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
      if (errno != EINTR) fail("flock", lock_path);
    }
  }

 private:
  Fd fd_;  // closing it releases the lock
};

std::string read_file(const fs::path& path) {
  Fd fd(path, O_RDONLY);
  struct stat st_buf {};
  if (::fstat(fd.get(), &st_buf) != 0) fail("stat", path);
  std::string data(static_cast<std::size_t>(st_buf.st_size), '\0');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read", path);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return data;
}

// Write temp, fsync, rename over: the runtime's atomic save.
void write_atomic(const fs::path& path, const std::string& data) {
  const fs::path tmp = path.string() + ".tmp";
  {
    Fd fd(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("write", tmp);
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail("fsync", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename", tmp);
}

// A catalog file {"<key>": {"<name>": record, ...}} (networks.json,
// volumes.json), read and written whole, each record through the library's
// codec.
template <class R>
std::map<std::string, R> load_catalog(const fs::path& path, const char* key,
                                      R (*from_json)(const json&)) {
  const json j = json::parse(read_file(path));
  std::map<std::string, R> out;
  for (const auto& [name, record] : j.at(key).items()) out.emplace(name, from_json(record));
  return out;
}

template <class R>
void save_catalog(const fs::path& path, const char* key, const std::map<std::string, R>& records) {
  ordered_json all = ordered_json::object();
  for (const auto& [name, record] : records) all[name] = st::to_json(record);
  write_atomic(path, ordered_json{{key, std::move(all)}}.dump());
}

// The records of a catalog in name order.
template <class R>
std::vector<R> values_of(std::map<std::string, R> records) {
  std::vector<R> out;
  out.reserve(records.size());
  for (auto& [name, record] : records) out.push_back(std::move(record));
  return out;
}

[[noreturn]] void not_supported() {
  throw std::runtime_error("not supported by the json-file rebuild");
}

class JsonBackend final : public Backend {
 public:
  explicit JsonBackend(fs::path home) : home_(std::move(home)) {}

  std::optional<NetworkConfig> network_get(const std::string& name) override {
    FileLock lock(lock_of(networks_path()), false);
    auto networks = load_networks();
    auto found = networks.find(name);
    if (found == networks.end()) return std::nullopt;
    return std::move(found->second);
  }

  void network_create(const NetworkConfig& config) override {
    st::validate(config);
    FileLock lock(lock_of(networks_path()), true);
    auto networks = load_networks();
    if (networks.contains(config.name)) throw std::runtime_error("network already exists");
    networks.emplace(config.name, config);
    save_networks(networks);
  }

  NetworkEndpoint network_connect(const std::string& network, const std::string& box_id,
                                  const std::string& box_name) override {
    FileLock lock(lock_of(networks_path()), true);
    auto networks = load_networks();
    auto found = networks.find(network);
    if (found == networks.end()) throw std::runtime_error("network not found");
    NetworkConfig& n = found->second;
    if (n.endpoints.contains(box_id)) throw std::runtime_error("box already connected");
    std::vector<std::uint32_t> used;
    used.reserve(n.endpoints.size() + 1);
    for (const auto& [id, e] : n.endpoints) {
      if (auto ip = detail::parse_ipv4(e.ip_address)) used.push_back(*ip);
    }
    if (auto gateway = detail::parse_ipv4(n.gateway)) used.push_back(*gateway);
    const auto ip =
        detail::lowest_free_address(detail::parse_subnet(network, n.subnet), std::move(used));
    if (!ip) throw std::runtime_error("network exhausted");
    NetworkEndpoint endpoint{box_id, box_name, detail::format_ipv4(*ip), detail::mac_for(*ip), {}};
    n.endpoints.emplace(box_id, endpoint);
    save_networks(networks);
    return endpoint;
  }

  std::vector<NetworkConfig> network_list() override {
    FileLock lock(lock_of(networks_path()), false);
    return values_of(load_networks());
  }

  VolumeConfig volume_attach(const std::string& name, const std::string& box_id) override {
    FileLock lock(lock_of(volumes_path()), true);
    auto volumes = load_volumes();
    auto found = volumes.find(name);
    if (found == volumes.end()) throw std::runtime_error("volume not found");
    auto& users = found->second.in_use_by;
    if (std::find(users.begin(), users.end(), box_id) == users.end()) {
      users.push_back(box_id);
      save_volumes(volumes);
    }
    return found->second;
  }

  // The box-start workload's operations are the 2.4.0 baseline's; this
  // rebuild does not have them.
  VolumeConfig volume_get_or_create(const VolumeConfig&) override { not_supported(); }
  VolumeConfig volume_detach(const std::string&, const std::string&) override { not_supported(); }
  NetworkEndpoint network_disconnect(const std::string&, const std::string&) override {
    not_supported();
  }

  std::vector<VolumeConfig> volume_list() override {
    FileLock lock(lock_of(volumes_path()), false);
    return values_of(load_volumes());
  }

  std::uint64_t snapshot_count() override { return scan_snapshots().size(); }

  std::uint64_t snapshot_total_size() override {
    std::uint64_t total = 0;
    for (const auto& s : scan_snapshots()) total += s.size_bytes;
    return total;
  }

  // get marks the image used: a read-modify-write of the whole index.
  std::optional<StoredImage> image_get(const std::string& reference) override {
    FileLock lock(lock_of(images_path()), true);
    auto images = load_images();
    auto found = std::find_if(images.begin(), images.end(),
                              [&](const StoredImage& i) { return i.reference == reference; });
    if (found == images.end()) return std::nullopt;
    found->last_used = st::now();
    save_images(images);
    return *found;
  }

  std::vector<std::string> image_evict(std::uint64_t max_size_bytes) override {
    std::vector<std::string> evicted;
    std::vector<std::string> layouts;
    {
      FileLock lock(lock_of(images_path()), true);
      auto images = load_images();
      std::map<std::string, std::pair<std::uint64_t, int>> digests;  // size, references
      for (const auto& i : images) {
        auto& d = digests[i.digest];
        d.first = i.size_bytes;
        ++d.second;
      }
      std::uint64_t total = 0;
      for (const auto& [digest, d] : digests) total += d.first;
      std::vector<std::size_t> order(images.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(images[a].last_used, images[a].reference) <
               std::tie(images[b].last_used, images[b].reference);
      });
      std::vector<bool> gone(images.size(), false);
      for (std::size_t k = 0; k < order.size() && total > max_size_bytes; ++k) {
        const StoredImage& i = images[order[k]];
        gone[order[k]] = true;
        evicted.push_back(i.reference);
        auto& d = digests[i.digest];
        if (--d.second == 0) {
          total -= d.first;
          layouts.push_back(i.path);
        }
      }
      if (!evicted.empty()) {
        std::vector<StoredImage> kept;
        kept.reserve(images.size() - evicted.size());
        for (std::size_t k = 0; k < images.size(); ++k) {
          if (!gone[k]) kept.push_back(std::move(images[k]));
        }
        save_images(kept);
      }
    }
    for (const auto& dir : layouts) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
    return evicted;
  }

  std::unique_ptr<Backend> for_another_thread() override {
    return std::make_unique<JsonBackend>(home_);
  }

 private:
  fs::path networks_path() const { return home_ / "networks.json"; }
  fs::path volumes_path() const { return home_ / "volumes.json"; }
  fs::path images_path() const { return home_ / "images" / "index.json"; }
  static fs::path lock_of(const fs::path& file) { return file.string() + ".lock"; }

  std::map<std::string, NetworkConfig> load_networks() const {
    return load_catalog(networks_path(), "networks", st::network_from_json);
  }
  void save_networks(const std::map<std::string, NetworkConfig>& networks) const {
    save_catalog(networks_path(), "networks", networks);
  }
  std::map<std::string, VolumeConfig> load_volumes() const {
    return load_catalog(volumes_path(), "volumes", st::volume_from_json);
  }
  void save_volumes(const std::map<std::string, VolumeConfig>& volumes) const {
    save_catalog(volumes_path(), "volumes", volumes);
  }

  std::vector<StoredImage> load_images() const {
    const json j = json::parse(read_file(images_path()));
    std::vector<StoredImage> out;
    out.reserve(j.at("images").size());
    for (const auto& i : j.at("images")) out.push_back(st::image_from_json(i));
    return out;
  }
  void save_images(const std::vector<StoredImage>& images) const {
    ordered_json all = ordered_json::array();
    for (const auto& i : images) all.push_back(st::to_json(i));
    write_atomic(images_path(), ordered_json{{"images", std::move(all)}}.dump());
  }

  std::vector<SnapshotMetadata> scan_snapshots() const {
    std::vector<SnapshotMetadata> out;
    for (const auto& entry : fs::directory_iterator(home_ / "snapshots")) {
      const fs::path meta = entry.path() / "metadata.json";
      std::error_code ec;
      if (!fs::is_regular_file(meta, ec)) continue;
      out.push_back(st::snapshot_from_json(json::parse(read_file(meta))));
    }
    return out;
  }

  fs::path home_;
};

}  // namespace

fs::path json_file_2_4_0_binary() { return {}; }

std::unique_ptr<Backend> open_json(const fs::path& home) {
  return std::make_unique<JsonBackend>(home);
}

}  // namespace bench
