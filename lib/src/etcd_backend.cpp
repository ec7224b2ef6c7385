#include "etcd_backend.hpp"

#include "a3s/store/error.hpp"

namespace a3s::store::detail {

std::unique_ptr<Backend> open_etcd_backend(const Options& options) {
  throw Error(ErrorCode::invalid_argument,
              "store URL '" + options.store + "': the etcd backend is not built yet");
}

}  // namespace a3s::store::detail
