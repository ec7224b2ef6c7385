// Which backend the tests' stores are on (A3S_TEST_STORE): SQLite, or one
// 3-member etcd cluster on loopback per test process with a namespace per
// home.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "etcd_cluster.hpp"
#include "test_support.hpp"

namespace a3s::test {
namespace fs = std::filesystem;

namespace {

bool etcd_selected() {
  const char* value = std::getenv("A3S_TEST_STORE");
  const std::string_view backend = value != nullptr ? value : "";
  if (backend.empty() || backend == "sqlite") return false;
  if (backend == "etcd") return true;
  std::fprintf(stderr, "A3S_TEST_STORE='%s': expected 'sqlite' or 'etcd'\n", value);
  std::exit(2);
}

// Read once, before any test runs. Without etcd installed the etcd variant
// of a test program is skipped (meson's exit code 77) before it starts.
const bool kOnEtcd = [] {
  const bool etcd = etcd_selected();
  if (etcd && !find_etcd()) {
    std::fprintf(stderr, "etcd is not installed (no etcd in PATH): the etcd variant is skipped\n");
    std::_Exit(77);
  }
  return etcd;
}();

// The cluster every store of this process is on. It is started by the
// process that first needs it (run_in_children starts it before forking,
// so children share it) and stopped by PID when that process exits; a
// forked child that exits normally leaves it running.
class ProcessCluster {
 public:
  ~ProcessCluster() {
    if (::getpid() != owner_) (void)cluster_.release();
  }
  EtcdCluster& get() {
    std::lock_guard lock(mutex_);
    if (!cluster_) {
      const auto start = std::chrono::steady_clock::now();
      // etcd's fsyncs are skipped: these tests do not test durability.
      cluster_ = std::make_unique<EtcdCluster>(/*unsafe_no_fsync=*/true);
      owner_ = ::getpid();
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      std::fprintf(stderr, "etcd cluster of %d members started in %lld ms\n", EtcdCluster::kMembers,
                   static_cast<long long>(ms));
    }
    return *cluster_;
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<EtcdCluster> cluster_;
  pid_t owner_ = -1;
};

ProcessCluster& process_cluster() {
  static ProcessCluster cluster;
  return cluster;
}

// FNV-1a, 64 bits: the same home gives the same namespace in every process
// of the test (the CLI, forked children).
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

bool stores_on_etcd() { return kOnEtcd; }

void start_test_store() {
  if (kOnEtcd) process_cluster().get();
}

std::optional<std::string> test_store_url(const fs::path& home) {
  if (!kOnEtcd) return std::nullopt;
  std::string url = "etcd://";
  const auto endpoints = process_cluster().get().endpoints();
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    url += (i == 0 ? "" : ",") + endpoints[i];
  }
  // Homes are unique per test (TempDir), so their namespaces are too.
  std::string normal = fs::absolute(home).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  char ns[20];
  std::snprintf(ns, sizeof ns, "t%016llx", static_cast<unsigned long long>(fnv1a(normal)));
  return url + "/" + ns;
}

}  // namespace a3s::test
