#include "etcd_totals.hpp"

#include <nlohmann/json.hpp>

namespace a3s::store::detail {

CatalogTotals decode_totals(std::string_view key, std::string_view value) {
  const auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  const auto count = [&](const char* field) -> std::uint64_t {
    if (!j.is_object() || !j.contains(field) || !j[field].is_number_unsigned()) {
      throw Error(ErrorCode::corrupt, "totals '" + std::string(key) + "' hold '" +
                                          std::string(value) +
                                          "', not {\"records\":N,\"bytes\":B}");
    }
    return j[field].get<std::uint64_t>();
  };
  return {count("records"), count("bytes")};
}

CatalogTotals read_totals(EtcdTxn& txn, std::string_view key) {
  const auto kv = txn.get(key);
  return kv ? decode_totals(key, kv->value) : CatalogTotals{};
}

CatalogTotals read_totals(EtcdKeyspace& space, std::string_view key) {
  return transact(space, key, [&](EtcdTxn& txn) { return read_totals(txn, key); });
}

void write_totals(EtcdTxn& txn, std::string_view key, const CatalogTotals& totals) {
  txn.put(key, nlohmann::json{{"records", totals.records}, {"bytes", totals.bytes}}.dump());
}

}  // namespace a3s::store::detail
