// What `check` verifies of an etcd namespace's records beyond the catalogs'
// files (which check_catalog_files compares on both backends): that the
// keys kept beside the records agree with them, as SQLite's constraints
// and foreign keys make its rows agree. Internal.
#pragma once

#include "a3s/store/check.hpp"

namespace a3s::store::detail {

class EtcdKeyspace;

// Reads the network keys at one revision and reports, without repairing
// (as a damaged SQLite database is reported):
//   "foreign_key": an endpoint (netep/<n>/<box>) or an IP claim
//                  (netip/<n>/<ip>) of a network whose record (net/<n>) is
//                  gone;
//   "integrity":   an endpoint whose IP is not claimed for its box, or a
//                  claim no endpoint holds.
// Throws Error(busy) when the cluster cannot be read.
void check_etcd_records(EtcdKeyspace& space, CheckReport& report);

}  // namespace a3s::store::detail
