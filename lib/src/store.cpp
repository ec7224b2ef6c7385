#include "a3s/store/store.hpp"

#include "backend.hpp"
#include "etcd_backend.hpp"
#include "sqlite_backend.hpp"
#include "store_url.hpp"

namespace a3s::store {

Store::Store(Options options, std::unique_ptr<detail::Backend> backend)
    : options_(std::move(options)), backend_(std::move(backend)) {}

Store::~Store() = default;

std::unique_ptr<Store> Store::open(Options options) {
  Options resolved = resolve(std::move(options));
  std::unique_ptr<detail::Backend> backend =
      detail::parse_store_url(resolved.store).etcd
          ? detail::open_etcd_backend(resolved)
          : std::make_unique<detail::SqliteBackend>(resolved);
  return std::unique_ptr<Store>(new Store(std::move(resolved), std::move(backend)));
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
