#include "a3s/store/store.hpp"

#include "backend.hpp"
#include "etcd_backend.hpp"
#include "sqlite_backend.hpp"
#include "store_url.hpp"

namespace a3s::store {

Store::Store(Options options) : options_(std::move(options)) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(Options options) {
  std::unique_ptr<Store> store(new Store(resolve(std::move(options))));
  const Options& resolved = store->options_;
  store->backend_ = detail::parse_store_url(resolved.store).etcd
                        ? detail::open_etcd_backend(resolved)
                        : std::make_unique<detail::SqliteBackend>(resolved);
  return store;
}

NetworkStore& Store::networks() { return backend_->networks(); }
VolumeStore& Store::volumes() { return backend_->volumes(); }
SnapshotStore& Store::snapshots() { return backend_->snapshots(); }
ImageStore& Store::images() { return backend_->images(); }

CheckReport Store::check(bool repair) { return backend_->check(repair); }

void Store::backup(const std::filesystem::path& file, bool overwrite) {
  backend_->backup(file, overwrite);
}

RestoreReport Store::restore(const std::filesystem::path& file) { return backend_->restore(file); }

ImportReport Store::import_legacy(const ImportOptions& options) {
  return backend_->import_legacy(options);
}

}  // namespace a3s::store
