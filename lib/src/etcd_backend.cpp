#include "etcd_backend.hpp"

#include <utility>

#include "a3s/store/error.hpp"
#include "directory_change.hpp"
#include "etcd_catalog_records.hpp"
#include "etcd_client.hpp"
#include "etcd_image_store.hpp"
#include "etcd_keyspace.hpp"
#include "etcd_layout.hpp"
#include "etcd_network_store.hpp"
#include "etcd_records_check.hpp"
#include "etcd_snapshot_store.hpp"
#include "etcd_volume_store.hpp"
#include "store_check.hpp"
#include "store_url.hpp"

namespace a3s::store::detail {

namespace {

std::unique_ptr<KvClient> client_for(const StoreUrl& url) {
  GatewayOptions gateway;
  gateway.endpoints = url.endpoints;
  return make_gateway_client(std::move(gateway));
}

// The stores on one namespace of one etcd cluster; the files under the home.
class EtcdBackend final : public Backend {
 public:
  EtcdBackend(const Options& options, const StoreUrl& url)
      : options_(options),
        space_(client_for(url), url.name_space),
        records_(space_),
        networks_(space_),
        volumes_(space_, records_, options_.home),
        snapshots_(space_, records_, options_.home),
        images_(space_, records_, options_.home, *options_.image_cache_max_bytes) {
    check_etcd_layout(space_.layout_version(), space_.identity());
    sweep_home(records_, options_.home);
  }

  NetworkStore& networks() override { return networks_; }
  VolumeStore& volumes() override { return volumes_; }
  SnapshotStore& snapshots() override { return snapshots_; }
  ImageStore& images() override { return images_; }

  CheckReport check(bool repair) override {
    CheckReport report;
    check_etcd_records(space_, report);
    check_catalog_files(records_, options_.home, repair, report);
    return report;
  }

  void backup(const std::filesystem::path&, bool) override {
    throw sqlite_only("backup", "etcdctl snapshot save");
  }
  RestoreReport restore(const std::filesystem::path&) override {
    throw sqlite_only("restore", "etcdctl snapshot restore");
  }

  ImportReport import_legacy(const ImportOptions&) override {
    throw Error(ErrorCode::invalid_argument,
                "`import` into " + describe() + " is not built yet: import into SQLite");
  }

  std::string describe() const override { return "the etcd cluster '" + options_.store + "'"; }

 private:
  // `command` on etcd: the cluster's own tool does it (`instead`).
  Error sqlite_only(const std::string& command, const std::string& instead) const {
    return Error(ErrorCode::invalid_argument, "`" + command + "` is SQLite's; this store is on " +
                                                  space_.identity() + " (use `" + instead + "`)");
  }

  Options options_;
  EtcdKeyspace space_;
  EtcdCatalogRecords records_;
  EtcdNetworkStore networks_;
  EtcdVolumeStore volumes_;
  EtcdSnapshotStore snapshots_;
  EtcdImageStore images_;
};

}  // namespace

std::unique_ptr<Backend> open_etcd_backend(const Options& options) {
  return std::make_unique<EtcdBackend>(options, parse_store_url(options.store));
}

}  // namespace a3s::store::detail
