// a3s-etcd: the engine through its public C++ API on a 3-member etcd cluster
// on loopback (tools/etcd_cluster), etcd's fsyncs on — durability is what
// is compared. A write is acknowledged once a majority of the members have it
// in their fsynced logs (durability "raft"). Loopback hides the network:
// between hosts every write adds the client-to-leader and leader-to-follower
// round trips.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench.hpp"

namespace a3s::test {
class EtcdCluster;
}

namespace bench {

// Whether an etcd binary is in PATH.
bool etcd_installed();

// The cluster of the a3s-etcd measurements: started with its members' data
// directories and logs under `dir`, stopped by PID when the object goes out
// of scope. While it exists populate_home and open_backend serve
// Impl::a3s_etcd from it; at most one exists at a time.
class EtcdBenchCluster {
 public:
  explicit EtcdBenchCluster(const fs::path& dir);
  ~EtcdBenchCluster();
  EtcdBenchCluster(const EtcdBenchCluster&) = delete;
  EtcdBenchCluster& operator=(const EtcdBenchCluster&) = delete;

 private:
  std::unique_ptr<a3s::test::EtcdCluster> cluster_;
};

// Gives `home` a fresh namespace of the running cluster (bench-<k>) and
// fills it with `spec` through the public API, several clients at once:
// networks (endpoints included) and volumes (attached to their box) as the
// fixtures make them; images put from one small layout, so each is
// etcd_image_size() bytes; no snapshots (a save copies a tree per record,
// and the snapshot reads are not measured on etcd). Throws when no cluster
// runs.
void populate_etcd(const fs::path& home, const CatalogSpec& spec);

// The store URL (etcd://members/namespace) populate_etcd gave `home`.
// Throws when it gave none.
std::string etcd_store_of(const fs::path& home);

// size_bytes of every image populate_etcd puts.
std::uint64_t etcd_image_size();

}  // namespace bench
