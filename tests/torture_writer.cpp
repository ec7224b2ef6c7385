// A writer of the crash torture (torture_test.cpp): opens the store of a home,
// through the C++ library or through the C API alone (a3s_store.h), and does
// mixed operations on all four stores until it is killed, acknowledging each
// call in its acknowledgement file (fsync()ed) only after the call returned.
// The format of that file is in support/torture_plan.hpp.
//
//   torture_writer cpp|c HOME WRITER GENERATION SEED ACK_FILE SCRATCH_DIR
//
// It only ever changes what it owns: networks, volumes, snapshots and image
// references named with its prefix, and boxes of its own on the shared
// network; only evict (and get_by_digest, which marks an image used) reach
// other writers' images. It learns what it owns from the store when it
// starts, so it knows exactly which call must succeed: any error other than
// the ones named legitimate below ends it with exit code 1 and the message,
// which fails the test.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/store.hpp"
#include "a3s_store.h"
#include "minimal_records.hpp"
#include "torture_plan.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
namespace plan = a3s::test::torture;
using nlohmann::json;

namespace {

constexpr const char* kCreatedAt = "2026-01-01T00:00:00Z";

// A container (network or volume) and the box IDs it holds (endpoints or
// users).
using Members = std::map<std::string, std::vector<std::string>>;

// What the store holds, as a writer needs to know it.
struct Listing {
  Members networks;
  Members volumes;
  std::vector<std::string> snapshots;
  std::vector<std::string> images;  // references
};

// The calls a writer makes, through the library or the C API. Failures are
// st::Error with the spec's code either way.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Listing listing() = 0;
  virtual void network_create(const std::string& name, const std::string& subnet,
                              const std::string& gateway) = 0;
  virtual void network_remove(const std::string& name, bool force) = 0;
  virtual void connect(const std::string& network, const std::string& box) = 0;
  virtual void disconnect(const std::string& network, const std::string& box) = 0;
  virtual void volume_create(const std::string& name) = 0;
  virtual void attach(const std::string& volume, const std::string& box) = 0;
  virtual void detach(const std::string& volume, const std::string& box) = 0;
  virtual void volume_remove(const std::string& name, bool force) = 0;
  virtual void snapshot_save(const std::string& id, const fs::path& rootfs) = 0;
  // Whether the snapshot existed.
  virtual bool snapshot_delete(const std::string& id) = 0;
  virtual void image_put(const std::string& reference, const std::string& digest,
                         const fs::path& layout) = 0;
  // Whether the reference was there (it is marked used).
  virtual bool image_get(const std::string& reference) = 0;
  virtual void image_get_by_digest(const std::string& digest) = 0;
  virtual void image_remove(const std::string& reference) = 0;
  virtual std::vector<std::string> image_evict() = 0;
};

class LibraryBackend : public Backend {
 public:
  explicit LibraryBackend(const fs::path& home) {
    st::Options options;
    options.home = home;
    options.image_cache_max_bytes = plan::kImageCacheBytes;
    store_ = st::Store::open(options);
  }

  Listing listing() override {
    Listing l;
    for (const auto& n : store_->networks().list()) {
      auto& boxes = l.networks[n.name];
      for (const auto& [box, endpoint] : n.endpoints) boxes.push_back(box);
    }
    for (const auto& v : store_->volumes().list()) l.volumes[v.name] = v.in_use_by;
    for (const auto& s : store_->snapshots().list()) l.snapshots.push_back(s.id);
    for (const auto& i : store_->images().list()) l.images.push_back(i.reference);
    return l;
  }
  void network_create(const std::string& name, const std::string& subnet,
                      const std::string& gateway) override {
    st::NetworkConfig n;
    n.name = name;
    n.subnet = subnet;
    n.gateway = gateway;
    n.created_at = kCreatedAt;
    store_->networks().create(n);
  }
  void network_remove(const std::string& name, bool force) override {
    store_->networks().remove(name, force);
  }
  void connect(const std::string& network, const std::string& box) override {
    store_->networks().connect(network, box, "name-" + box);
  }
  void disconnect(const std::string& network, const std::string& box) override {
    store_->networks().disconnect(network, box);
  }
  void volume_create(const std::string& name) override {
    st::VolumeConfig v;
    v.name = name;
    v.created_at = kCreatedAt;
    store_->volumes().create(v);
  }
  void attach(const std::string& volume, const std::string& box) override {
    store_->volumes().attach(volume, box);
  }
  void detach(const std::string& volume, const std::string& box) override {
    store_->volumes().detach(volume, box);
  }
  void volume_remove(const std::string& name, bool force) override {
    store_->volumes().remove(name, force);
  }
  void snapshot_save(const std::string& id, const fs::path& rootfs) override {
    store_->snapshots().save(a3s::test::minimal_snapshot(id), rootfs);
  }
  bool snapshot_delete(const std::string& id) override {
    return store_->snapshots().remove(id).has_value();
  }
  void image_put(const std::string& reference, const std::string& digest,
                 const fs::path& layout) override {
    store_->images().put(reference, digest, layout);
  }
  bool image_get(const std::string& reference) override {
    return store_->images().get(reference).has_value();
  }
  void image_get_by_digest(const std::string& digest) override {
    if (!store_->images().get_by_digest(digest)) throw st::not_found("image", digest);
  }
  void image_remove(const std::string& reference) override { store_->images().remove(reference); }
  std::vector<std::string> image_evict() override { return store_->images().evict(); }

 private:
  std::unique_ptr<st::Store> store_;
};

// Only a3s_store.h: records go in and come out as JSON text.
class CApiBackend : public Backend {
 public:
  explicit CApiBackend(const fs::path& home) {
    const json options = {{"image_cache_bytes", plan::kImageCacheBytes}};
    check(a3s_open(home.c_str(), options.dump().c_str(), &store_), "a3s_open");
  }
  ~CApiBackend() override { a3s_close(store_); }
  CApiBackend(const CApiBackend&) = delete;
  CApiBackend& operator=(const CApiBackend&) = delete;

  Listing listing() override {
    Listing l;
    for (const auto& n : list(a3s_network_list, "a3s_network_list")) {
      auto& boxes = l.networks[n.at("name").get<std::string>()];
      for (const auto& [box, endpoint] : n.at("endpoints").items()) boxes.push_back(box);
    }
    for (const auto& v : list(a3s_volume_list, "a3s_volume_list")) {
      l.volumes[v.at("name").get<std::string>()] =
          v.at("in_use_by").get<std::vector<std::string>>();
    }
    for (const auto& s : list(a3s_snapshot_list, "a3s_snapshot_list")) {
      l.snapshots.push_back(s.at("id").get<std::string>());
    }
    for (const auto& i : list(a3s_image_list, "a3s_image_list")) {
      l.images.push_back(i.at("reference").get<std::string>());
    }
    return l;
  }
  void network_create(const std::string& name, const std::string& subnet,
                      const std::string& gateway) override {
    const json n = {
        {"name", name}, {"subnet", subnet}, {"gateway", gateway}, {"created_at", kCreatedAt}};
    check(a3s_network_create(store_, n.dump().c_str()), "a3s_network_create");
  }
  void network_remove(const std::string& name, bool force) override {
    char* out = nullptr;
    check(a3s_network_remove(store_, name.c_str(), force ? 1 : 0, &out), "a3s_network_remove");
    a3s_free(out);
  }
  void connect(const std::string& network, const std::string& box) override {
    char* out = nullptr;
    check(a3s_network_connect(store_, network.c_str(), box.c_str(), ("name-" + box).c_str(), "[]",
                              &out),
          "a3s_network_connect");
    a3s_free(out);
  }
  void disconnect(const std::string& network, const std::string& box) override {
    char* out = nullptr;
    check(a3s_network_disconnect(store_, network.c_str(), box.c_str(), &out),
          "a3s_network_disconnect");
    a3s_free(out);
  }
  void volume_create(const std::string& name) override {
    const json v = {{"name", name}, {"mount_point", ""}, {"created_at", kCreatedAt}};
    char* out = nullptr;
    check(a3s_volume_create(store_, v.dump().c_str(), &out), "a3s_volume_create");
    a3s_free(out);
  }
  void attach(const std::string& volume, const std::string& box) override {
    check(a3s_volume_attach(store_, volume.c_str(), box.c_str()), "a3s_volume_attach");
  }
  void detach(const std::string& volume, const std::string& box) override {
    check(a3s_volume_detach(store_, volume.c_str(), box.c_str()), "a3s_volume_detach");
  }
  void volume_remove(const std::string& name, bool force) override {
    char* out = nullptr;
    check(a3s_volume_remove(store_, name.c_str(), force ? 1 : 0, &out), "a3s_volume_remove");
    a3s_free(out);
  }
  void snapshot_save(const std::string& id, const fs::path& rootfs) override {
    const json s = {{"id", id},
                    {"name", "name-" + id},
                    {"source_box_id", "box-1"},
                    {"image", "docker.io/library/alpine:3.20"},
                    {"vcpus", 1},
                    {"memory_mb", 256},
                    {"volumes", json::array()},
                    {"env", json::object()},
                    {"cmd", {"/bin/sh"}}};
    char* out = nullptr;
    check(a3s_snapshot_save(store_, s.dump().c_str(), rootfs.c_str(), &out), "a3s_snapshot_save");
    a3s_free(out);
  }
  bool snapshot_delete(const std::string& id) override {
    int existed = 0;
    check(a3s_snapshot_delete(store_, id.c_str(), &existed), "a3s_snapshot_delete");
    return existed != 0;
  }
  void image_put(const std::string& reference, const std::string& digest,
                 const fs::path& layout) override {
    char* out = nullptr;
    check(a3s_image_put(store_, reference.c_str(), digest.c_str(), layout.c_str(), &out),
          "a3s_image_put");
    a3s_free(out);
  }
  bool image_get(const std::string& reference) override {
    char* out = nullptr;
    const a3s_status status = a3s_image_get(store_, reference.c_str(), &out);
    a3s_free(out);
    if (status == A3S_NOT_FOUND) return false;
    check(status, "a3s_image_get");
    return true;
  }
  void image_get_by_digest(const std::string& digest) override {
    char* out = nullptr;
    check(a3s_image_get_by_digest(store_, digest.c_str(), &out), "a3s_image_get_by_digest");
    a3s_free(out);
  }
  void image_remove(const std::string& reference) override {
    check(a3s_image_remove(store_, reference.c_str()), "a3s_image_remove");
  }
  std::vector<std::string> image_evict() override {
    char* out = nullptr;
    check(a3s_image_evict(store_, &out), "a3s_image_evict");
    const json evicted = json::parse(take(out));
    return evicted.get<std::vector<std::string>>();
  }

 private:
  // Throws st::Error with the status's code and the last error message
  // (std::runtime_error for A3S_INTERNAL, which has no code in the spec).
  static void check(a3s_status status, const char* call) {
    if (status == A3S_OK) return;
    const std::string message = std::string(call) + ": " + a3s_last_error();
    static constexpr st::ErrorCode kCodes[] = {st::ErrorCode::not_found,
                                               st::ErrorCode::already_exists,
                                               st::ErrorCode::in_use,
                                               st::ErrorCode::invalid_argument,
                                               st::ErrorCode::exhausted,
                                               st::ErrorCode::schema_too_new,
                                               st::ErrorCode::schema_outdated,
                                               st::ErrorCode::checksum_mismatch,
                                               st::ErrorCode::corrupt,
                                               st::ErrorCode::busy,
                                               st::ErrorCode::io};
    if (status < A3S_NOT_FOUND || status > A3S_IO) throw std::runtime_error(message);
    throw st::Error(kCodes[status - A3S_NOT_FOUND], message);
  }
  static std::string take(char* text) {
    std::string copy = text != nullptr ? text : "";
    a3s_free(text);
    return copy;
  }
  json list(a3s_status (*call)(a3s_store*, char**), const char* name) {
    char* out = nullptr;
    check(call(store_, &out), name);
    return json::parse(take(out));
  }

  a3s_store* store_ = nullptr;
};

// The acknowledgement file: whole lines appended with one write() each.
class AckFile {
 public:
  explicit AckFile(const fs::path& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path.string() + ": " + strerror(errno));
  }
  ~AckFile() { ::close(fd_); }
  AckFile(const AckFile&) = delete;
  AckFile& operator=(const AckFile&) = delete;

  // Appends `line` and a newline; with `durable`, fsync()s it before
  // returning, so the acknowledgement outlives even the machine.
  void append(const std::string& line, bool durable) {
    const std::string text = line + '\n';
    if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      throw std::runtime_error(std::string("cannot append to the ack file: ") + strerror(errno));
    }
    if (durable && ::fsync(fd_) != 0) {
      throw std::runtime_error(std::string("cannot fsync the ack file: ") + strerror(errno));
    }
  }

 private:
  int fd_;
};

template <class T>
const T& pick(const std::set<T>& items, std::mt19937_64& rng) {
  auto it = items.begin();
  std::advance(it, std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng));
  return *it;
}
template <class K, class V>
const K& pick(const std::map<K, V>& items, std::mt19937_64& rng) {
  auto it = items.begin();
  std::advance(it, std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng));
  return it->first;
}

class Writer {
 public:
  Writer(Backend& backend, int id, int generation, std::uint64_t seed, const fs::path& ack_file,
         const fs::path& scratch)
      : backend_(backend),
        id_(id),
        prefix_(plan::name_prefix(id) + std::to_string(generation) + "-"),
        rng_(seed),
        acks_(ack_file),
        scratch_(scratch) {
    learn_what_it_owns();
    fs::create_directories(scratch_);
    for (int k = 0; k < plan::kDigestCount; ++k) {
      fs::remove_all(layout(k));
      plan::make_layout(layout(k), k);
    }
    fs::remove_all(rootfs());
    fs::create_directories(rootfs() / "etc");
    a3s::test::write_file(rootfs() / "etc" / "hostname", std::string(100 + generation % 7, 'h'));
    fs::create_symlink("/etc/hostname", rootfs() / "link");
  }

  [[noreturn]] void run() {
    for (;;) step();
  }

 private:
  static constexpr std::size_t kMaxNetworks = 2;
  static constexpr std::size_t kMaxBoxesPerNetwork = 5;  // a /28 has 13 addresses to give
  static constexpr std::size_t kMaxSharedBoxes = 30;     // 3 writers: 90 of the /24's 253
  static constexpr std::size_t kMaxVolumes = 3;
  static constexpr std::size_t kMaxUsers = 3;
  static constexpr std::size_t kMaxSnapshots = 3;
  static constexpr std::size_t kMaxImages = 3;

  fs::path layout(int k) const { return scratch_ / ("layout-" + std::to_string(k)); }
  fs::path rootfs() const { return scratch_ / "rootfs"; }
  std::string fresh(const char* kind) { return prefix_ + kind + std::to_string(seq_); }
  bool coin() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }

  void learn_what_it_owns() {
    const Listing l = backend_.listing();
    const std::string own = plan::name_prefix(id_);
    auto owned = [&](const std::string& name) { return name.starts_with(own); };
    for (const auto& [network, boxes] : l.networks) {
      if (owned(network)) networks_[network].insert(boxes.begin(), boxes.end());
      if (network != plan::kSharedNetwork) continue;
      for (const auto& box : boxes) {
        if (owned(box)) networks_[network].insert(box);
      }
    }
    for (const auto& [volume, users] : l.volumes) {
      if (owned(volume)) volumes_[volume].insert(users.begin(), users.end());
    }
    for (const auto& s : l.snapshots) {
      if (owned(s)) snapshots_.insert(s);
    }
    for (const auto& i : l.images) {
      if (i.starts_with(plan::reference_prefix(id_))) images_.insert(i);
    }
  }

  // Logs "begin <seq> <words>", runs `call`, then acknowledges "ack <seq>
  // <words> ok [<what call returned>]" durably. When `call` throws Error
  // with the code `allowed`, acknowledges that code instead and returns
  // false. Any other failure propagates, naming the operation.
  bool perform(const std::string& words, const std::function<std::string()>& call,
               std::optional<st::ErrorCode> allowed = std::nullopt) {
    const std::string op = std::to_string(seq_) + " " + words;
    acks_.append("begin " + op, false);
    std::string outcome;
    try {
      const std::string extra = call();
      outcome = extra.empty() ? "ok" : "ok " + extra;
    } catch (const st::Error& e) {
      if (e.code() != allowed) {
        throw std::runtime_error(op + ": " + std::string(st::to_string(e.code())) + ": " +
                                 e.what());
      }
      outcome = st::to_string(e.code());
    } catch (const std::exception& e) {
      throw std::runtime_error(op + ": " + e.what());
    }
    acks_.append("ack " + op + " " + outcome, true);
    return outcome.starts_with("ok");
  }

  // One operation, chosen at random among those that apply.
  void step() {
    ++seq_;
    using Op = bool (Writer::*)();
    static constexpr Op kOps[] = {
        &Writer::network_create, &Writer::network_remove,  &Writer::connect,
        &Writer::connect,        &Writer::disconnect,      &Writer::volume_create,
        &Writer::attach,         &Writer::detach,          &Writer::volume_remove,
        &Writer::snapshot_save,  &Writer::snapshot_delete, &Writer::image_put,
        &Writer::image_put,      &Writer::image_get,       &Writer::image_get_by_digest,
        &Writer::image_remove,   &Writer::image_evict,
    };
    constexpr std::size_t kCount = sizeof(kOps) / sizeof(kOps[0]);
    // Each creation has its removal, so some operation always applies; the
    // bound only keeps a mistake from spinning.
    for (int attempt = 0; attempt < 1000; ++attempt) {
      if ((this->*kOps[std::uniform_int_distribution<std::size_t>(0, kCount - 1)(rng_)])()) {
        return;
      }
    }
    throw std::runtime_error("no operation applies");
  }

  bool network_create() {
    if (own_networks() >= kMaxNetworks) return false;
    const std::string name = fresh("n");
    const std::string base = "10." + std::to_string(100 + id_) + "." + std::to_string(seq_ % 256);
    perform("network_create " + name, [&] {
      backend_.network_create(name, base + ".0/28", base + ".1");
      return std::string();
    });
    networks_[name];
    return true;
  }
  bool network_remove() {
    if (own_networks() == 0) return false;
    std::string name = pick(networks_, rng_);
    if (name == plan::kSharedNetwork) return false;
    const bool force = coin();
    const bool refused = !force && !networks_[name].empty();
    perform(
        "network_remove " + name + (force ? " force" : " keep"),
        [&] {
          backend_.network_remove(name, force);
          return std::string();
        },
        refused ? std::optional(st::ErrorCode::in_use) : std::nullopt);
    if (!refused) networks_.erase(name);
    return true;
  }
  bool connect() {
    // The shared network half of the time, else one of the writer's own.
    std::string network = plan::kSharedNetwork;
    if (coin() && own_networks() > 0) {
      network = pick(networks_, rng_);
    }
    const auto& boxes = networks_[network];
    if (boxes.size() >= (network == plan::kSharedNetwork ? kMaxSharedBoxes : kMaxBoxesPerNetwork)) {
      return false;
    }
    const std::string box = fresh("b");
    perform("connect " + network + " " + box, [&] {
      backend_.connect(network, box);
      return std::string();
    });
    networks_[network].insert(box);
    return true;
  }
  bool disconnect() {
    const std::string network = pick(networks_, rng_);
    if (networks_[network].empty()) return false;
    const std::string box = pick(networks_[network], rng_);
    perform("disconnect " + network + " " + box, [&] {
      backend_.disconnect(network, box);
      return std::string();
    });
    networks_[network].erase(box);
    return true;
  }
  bool volume_create() {
    if (volumes_.size() >= kMaxVolumes) return false;
    const std::string name = fresh("v");
    perform("volume_create " + name, [&] {
      backend_.volume_create(name);
      return std::string();
    });
    volumes_[name];
    return true;
  }
  bool attach() {
    if (volumes_.empty()) return false;
    const std::string volume = pick(volumes_, rng_);
    auto& users = volumes_[volume];
    if (users.size() >= kMaxUsers) return false;
    // Now and then a box already attached: attach is idempotent.
    const std::string box = !users.empty() && coin() ? pick(users, rng_) : fresh("b");
    perform("attach " + volume + " " + box, [&] {
      backend_.attach(volume, box);
      return std::string();
    });
    users.insert(box);
    return true;
  }
  bool detach() {
    if (volumes_.empty()) return false;
    const std::string volume = pick(volumes_, rng_);
    auto& users = volumes_[volume];
    if (users.empty()) return false;
    const std::string box = pick(users, rng_);
    perform("detach " + volume + " " + box, [&] {
      backend_.detach(volume, box);
      return std::string();
    });
    users.erase(box);
    return true;
  }
  bool volume_remove() {
    if (volumes_.empty()) return false;
    const std::string volume = pick(volumes_, rng_);
    const bool force = coin();
    const bool refused = !force && !volumes_[volume].empty();
    perform(
        "volume_remove " + volume + (force ? " force" : " keep"),
        [&] {
          backend_.volume_remove(volume, force);
          return std::string();
        },
        refused ? std::optional(st::ErrorCode::in_use) : std::nullopt);
    if (!refused) volumes_.erase(volume);
    return true;
  }
  bool snapshot_save() {
    if (snapshots_.size() >= kMaxSnapshots) return false;
    const std::string id = fresh("s");
    perform("snapshot_save " + id, [&] {
      backend_.snapshot_save(id, rootfs());
      return std::string();
    });
    snapshots_.insert(id);
    return true;
  }
  bool snapshot_delete() {
    if (snapshots_.empty()) return false;
    const std::string id = pick(snapshots_, rng_);
    perform("snapshot_delete " + id, [&] {
      if (!backend_.snapshot_delete(id)) {
        throw std::runtime_error("snapshot '" + id + "', which this writer saved, was not there");
      }
      return std::string();
    });
    snapshots_.erase(id);
    return true;
  }
  bool image_put() {
    if (images_.size() >= kMaxImages) return false;
    const std::string reference = "localhost/" + fresh("i");
    const int k = std::uniform_int_distribution<int>(0, plan::kDigestCount - 1)(rng_);
    perform("image_put " + reference + " " + plan::digest(k), [&] {
      backend_.image_put(reference, plan::digest(k), layout(k));
      return std::string();
    });
    images_.insert(reference);
    return true;
  }
  // A reference of this writer's may have been evicted by another writer:
  // then get() finds nothing and remove() is not_found.
  bool image_get() {
    if (images_.empty()) return false;
    const std::string reference = pick(images_, rng_);
    perform("image_get " + reference, [&] {
      if (backend_.image_get(reference)) return std::string();
      images_.erase(reference);
      return std::string("absent");
    });
    return true;
  }
  bool image_get_by_digest() {
    const std::string digest =
        plan::digest(std::uniform_int_distribution<int>(0, plan::kDigestCount - 1)(rng_));
    perform(
        "image_get_by_digest " + digest,
        [&] {
          backend_.image_get_by_digest(digest);
          return std::string();
        },
        st::ErrorCode::not_found);
    return true;
  }
  bool image_remove() {
    if (images_.empty()) return false;
    const std::string reference = pick(images_, rng_);
    perform(
        "image_remove " + reference,
        [&] {
          backend_.image_remove(reference);
          return std::string();
        },
        st::ErrorCode::not_found);
    images_.erase(reference);
    return true;
  }
  bool image_evict() {
    perform("image_evict", [&] {
      std::string evicted;
      for (const auto& reference : backend_.image_evict()) {
        images_.erase(reference);
        evicted += (evicted.empty() ? "" : " ") + reference;
      }
      return evicted;
    });
    return true;
  }

  std::size_t own_networks() const {
    return networks_.size() - networks_.count(plan::kSharedNetwork);
  }

  Backend& backend_;
  int id_;
  std::string prefix_;  // of every name this start makes
  std::mt19937_64 rng_;
  AckFile acks_;
  fs::path scratch_;
  std::uint64_t seq_ = 0;
  // What this writer owns: its networks and the shared one, each with its
  // boxes connected; its volumes with their users; its snapshots; its image
  // references.
  std::map<std::string, std::set<std::string>> networks_{{plan::kSharedNetwork, {}}};
  std::map<std::string, std::set<std::string>> volumes_;
  std::set<std::string> snapshots_;
  std::set<std::string> images_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: torture_writer cpp|c HOME WRITER GENERATION SEED ACK_FILE SCRATCH_DIR\n";
    return 2;
  }
  const std::string mode = argv[1];
  const int id = std::stoi(argv[3]);
  try {
    std::unique_ptr<Backend> backend;
    if (mode == "c") {
      backend = std::make_unique<CApiBackend>(argv[2]);
    } else {
      backend = std::make_unique<LibraryBackend>(argv[2]);
    }
    Writer writer(*backend, id, std::stoi(argv[4]), std::stoull(argv[5]), argv[6], argv[7]);
    writer.run();
  } catch (const std::exception& e) {
    std::cerr << "writer " << id << " (" << mode << "): " << e.what() << std::endl;
    return 1;
  }
}
