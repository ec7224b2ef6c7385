// The running totals of the snapshot and image catalogs on etcd: one key per
// catalog, {"records":N,"bytes":B}, rewritten by every transaction that
// changes the catalog's records, so that count() and total_size() read one
// key whatever the number of records (the etcd side of
// schema/0003_catalog_totals.sql). An absent key is an empty catalog.
// Internal.
#pragma once

#include <string>
#include <string_view>

#include "catalog_totals.hpp"
#include "etcd_txn.hpp"

namespace a3s::store::detail {

namespace etcd_keys {
// Every snapshot: records = snapshots, bytes = the sum of their size_bytes.
inline constexpr std::string_view kSnapshotTotals = "meta/totals/snapshots";
// The image layouts: records = digests with at least one image, bytes = the
// sum over them of the largest size_bytes of their images.
inline constexpr std::string_view kImageTotals = "meta/totals/images";
}  // namespace etcd_keys

// The totals held in `value` of `key`. Throws Error(corrupt) naming the key
// when it is not such an object.
CatalogTotals decode_totals(std::string_view key, std::string_view value);

// The totals at `key` through `txn` (a guarded read: a transaction that
// rewrites them conflicts with every other one that does).
CatalogTotals read_totals(EtcdTxn& txn, std::string_view key);

// The totals at `key` now: one read, for count(), total_size() and the
// checks that spare an operation the catalog lock when it has nothing to do.
CatalogTotals read_totals(EtcdKeyspace& space, std::string_view key);

// Buffers `totals` as the new value of `key` in `txn`.
void write_totals(EtcdTxn& txn, std::string_view key, const CatalogTotals& totals);

}  // namespace a3s::store::detail
