// `a3s`: the engine through its public C++ API, one Store per home as the
// runtime holds it; `a3s-etcd`: the same on an etcd cluster, one Store per
// thread (each its own client, as hosts sharing a cluster have).
#include <memory>
#include <stdexcept>

#include "a3s/store/store.hpp"
#include "bench.hpp"
#include "etcd_store.hpp"

namespace bench {
namespace {

namespace st = a3s::store;

class A3sBackend final : public Backend {
 public:
  // `store_per_thread`: for_another_thread() opens another Store with the
  // same options rather than sharing this one.
  A3sBackend(std::shared_ptr<st::Store> store, bool store_per_thread)
      : store_(std::move(store)), store_per_thread_(store_per_thread) {}

  std::optional<NetworkConfig> network_get(const std::string& name) override {
    return store_->networks().get(name);
  }
  void network_create(const NetworkConfig& config) override { store_->networks().create(config); }
  NetworkEndpoint network_connect(const std::string& network, const std::string& box_id,
                                  const std::string& box_name) override {
    return store_->networks().connect(network, box_id, box_name);
  }
  std::vector<NetworkConfig> network_list() override { return store_->networks().list(); }
  VolumeConfig volume_attach(const std::string& name, const std::string& box_id) override {
    return store_->volumes().attach(name, box_id);
  }
  VolumeConfig volume_get_or_create(const VolumeConfig& config) override {
    return store_->volumes().get_or_create(config);
  }
  VolumeConfig volume_detach(const std::string& name, const std::string& box_id) override {
    return store_->volumes().detach(name, box_id);
  }
  NetworkEndpoint network_disconnect(const std::string& network,
                                     const std::string& box_id) override {
    return store_->networks().disconnect(network, box_id);
  }
  std::vector<VolumeConfig> volume_list() override { return store_->volumes().list(); }
  std::uint64_t snapshot_count() override { return store_->snapshots().count(); }
  std::uint64_t snapshot_total_size() override { return store_->snapshots().total_size(); }
  std::optional<StoredImage> image_get(const std::string& reference) override {
    return store_->images().get(reference);
  }
  std::vector<std::string> image_evict(std::uint64_t max_size_bytes) override {
    return store_->images().evict(max_size_bytes);
  }
  std::unique_ptr<Backend> for_another_thread() override {
    if (!store_per_thread_) return std::make_unique<A3sBackend>(store_, false);
    return std::make_unique<A3sBackend>(st::Store::open(store_->options()), true);
  }

 private:
  std::shared_ptr<st::Store> store_;
  bool store_per_thread_;
};

}  // namespace

std::unique_ptr<Backend> open_a3s(const fs::path& home, Durability durability) {
  st::Options options;
  options.home = home;
  options.durability = durability;
  return std::make_unique<A3sBackend>(st::Store::open(options), false);
}

std::unique_ptr<Backend> open_a3s_etcd(const fs::path& home) {
  st::Options options;
  options.home = home;
  options.store = etcd_store_of(home);
  return std::make_unique<A3sBackend>(st::Store::open(options), true);
}

std::unique_ptr<Backend> open_backend(Impl impl, const fs::path& home, Durability durability) {
  switch (impl) {
    case Impl::a3s:
      return open_a3s(home, durability);
    case Impl::json_file_2_4_0:
      return open_json(home);
    case Impl::sqlite_raw:
      return open_raw(home, durability);
    case Impl::a3s_etcd:
      return open_a3s_etcd(home);
  }
  throw std::logic_error("unknown implementation");
}

}  // namespace bench
