#include "etcd_store.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "a3s/store/store.hpp"
#include "etcd_cluster.hpp"

namespace bench {
namespace {

namespace st = a3s::store;

// Clients populating at once: etcd puts the writes that arrive together
// into one raft entry and one fsync, so more clients fill a namespace faster.
constexpr int kPopulateClients = 8;

// The one image layout every populated image is put from (its digest aside).
constexpr const char* kOciLayout = R"({"imageLayoutVersion":"1.0.0"})";
constexpr const char* kIndexJson = R"({"schemaVersion":2,"manifests":[]})";

std::mutex g_mutex;
a3s::test::EtcdCluster* g_cluster = nullptr;  // guarded by g_mutex
std::map<fs::path, std::string> g_stores;     // home -> store URL, guarded by g_mutex
int g_namespaces = 0;                         // guarded by g_mutex

std::string new_store_for(const fs::path& home) {
  std::lock_guard lock(g_mutex);
  if (g_cluster == nullptr) throw std::logic_error("a3s-etcd: no etcd cluster is running");
  std::string members;
  for (const std::string& endpoint : g_cluster->endpoints()) {
    members += (members.empty() ? "" : ",") + endpoint;
  }
  const std::string url = "etcd://" + members + "/bench-" + std::to_string(++g_namespaces);
  g_stores[home] = url;
  return url;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// Runs `work(store, i)` for every i in [0, count) on kPopulateClients
// threads, each with its own Store (its own etcd client) opened with
// `options`; rethrows the first failure after every thread stopped.
void on_clients(const st::Options& options, std::size_t count,
                const std::function<void(st::Store&, std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> clients;
  for (int c = 0; c < kPopulateClients; ++c) {
    clients.emplace_back([&] {
      try {
        auto store = st::Store::open(options);
        for (std::size_t i = next++; i < count && !failed; i = next++) work(*store, i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    });
  }
  for (auto& c : clients) c.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

bool etcd_installed() { return a3s::test::find_etcd().has_value(); }

EtcdBenchCluster::EtcdBenchCluster(const fs::path& dir) {
  cluster_ = std::make_unique<a3s::test::EtcdCluster>(/*unsafe_no_fsync=*/false, dir);
  std::lock_guard lock(g_mutex);
  if (g_cluster != nullptr) throw std::logic_error("a3s-etcd: a cluster is already running");
  g_cluster = cluster_.get();
}

EtcdBenchCluster::~EtcdBenchCluster() {
  std::lock_guard lock(g_mutex);
  g_cluster = nullptr;
  g_stores.clear();
}

void populate_etcd(const fs::path& home, const CatalogSpec& spec) {
  fs::create_directories(home);
  st::Options options;
  options.home = home;
  options.store = new_store_for(home);

  const fs::path layout = home.parent_path() / (home.filename().string() + "-image-layout");
  fs::create_directories(layout / "blobs" / "sha256");
  write_text(layout / "oci-layout", kOciLayout);
  write_text(layout / "index.json", kIndexJson);

  on_clients(options, spec.networks + (spec.shared_network ? 1 : 0),
             [&](st::Store& store, std::size_t i) {
               store.networks().create(i < spec.networks ? make_network(i) : make_shared_network());
             });
  on_clients(options, spec.volumes, [&](st::Store& store, std::size_t i) {
    const VolumeConfig volume = make_volume(i, home);
    const VolumeConfig made = store.volumes().create(volume);
    for (const auto& box : volume.in_use_by) {
      if (std::find(made.in_use_by.begin(), made.in_use_by.end(), box) == made.in_use_by.end()) {
        store.volumes().attach(volume.name, box);
      }
    }
  });
  // In index order as far as the clients allow: evict takes the least
  // recently used first.
  on_clients(options, spec.images, [&](st::Store& store, std::size_t i) {
    store.images().put(image_reference(i), image_digest(i), layout);
  });
  fs::remove_all(layout);
}

std::string etcd_store_of(const fs::path& home) {
  std::lock_guard lock(g_mutex);
  const auto it = g_stores.find(home);
  if (it == g_stores.end()) {
    throw std::logic_error("a3s-etcd: " + home.string() + " was not populated on etcd");
  }
  return it->second;
}

std::uint64_t etcd_image_size() {
  return std::string_view(kOciLayout).size() + std::string_view(kIndexJson).size();
}

}  // namespace bench
