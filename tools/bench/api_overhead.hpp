// bench --api-overhead (api_overhead.cpp).
#pragma once

#include <cstddef>

#include "harness.hpp"

namespace bench {

// Builds a home of `networks` networks, measures network get and network
// connect through the C++ API and through the C API within `reads` and
// `writes`, prints ns/op for each and the difference, and returns the exit
// status (non-zero when the two APIs disagree on a record).
int run_api_overhead(std::size_t networks, const Limits& reads, const Limits& writes);

}  // namespace bench
