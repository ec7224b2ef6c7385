// The record validation (record_validation.cpp) that the codec needs beyond
// the public validate() overloads of records.hpp. Internal.
#pragma once

#include "a3s/store/records.hpp"

namespace a3s::store::detail {

// What endpoint_from_json checks: the rules for one endpoint alone (those a
// network adds, such as being inside its subnet, are validate(NetworkConfig)'s).
// Throws Error(invalid_argument) naming the endpoint and the field.
void validate(const NetworkEndpoint& e);

}  // namespace a3s::store::detail
