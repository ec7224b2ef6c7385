// The stores on an etcd cluster (SPEC §9). Internal.
#pragma once

#include <memory>

#include "a3s/store/options.hpp"
#include "backend.hpp"

namespace a3s::store::detail {

// Connects to the cluster of options.store (an "etcd://" URL; options
// resolved) and returns the backend on its namespace, with the staging areas
// under options.home swept as Store::open says. Throws as Store::open.
std::unique_ptr<Backend> open_etcd_backend(const Options& options);

}  // namespace a3s::store::detail
