#include "etcd_layout.hpp"

#include <charconv>

#include "a3s/store/error.hpp"
#include "etcd_client.hpp"
#include "etcd_keyspace.hpp"
#include "store_url.hpp"

namespace a3s::store::detail {

namespace {

MigrationInfo layout_info(int version) {
  return {version, "etcd_layout_" + std::to_string(version), {}};
}

// The version `value` names, or nullopt when it names none.
std::optional<int> parse_version(std::string_view value) {
  int version = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (error != std::errc() || end != value.data() + value.size() || version < 1) {
    return std::nullopt;
  }
  return version;
}

// The status of a namespace at layout `current` (nullopt: none yet).
MigrationStatus status_at(std::optional<int> current) {
  MigrationStatus status;
  status.latest = kLatestEtcdLayout;
  status.exists = current.has_value();
  status.current = current.value_or(0);
  for (int version = 1; version <= kLatestEtcdLayout; ++version) {
    if (version <= status.current) {
      status.applied.push_back({layout_info(version), {}, {}});
    } else {
      status.pending.push_back(layout_info(version));
    }
  }
  return status;
}

}  // namespace

void check_etcd_layout(std::string_view version, std::string_view where) {
  const auto parsed = parse_version(version);
  if (!parsed) {
    throw Error(ErrorCode::corrupt, std::string(where) + ": " +
                                        std::string(etcd_keys::kLayoutVersion) + " is '" +
                                        std::string(version) + "', not a layout version");
  }
  if (*parsed > kLatestEtcdLayout) {
    throw Error(ErrorCode::schema_too_new, std::string(where) + " has key layout version " +
                                               std::to_string(*parsed) + ", newer than version " +
                                               std::to_string(kLatestEtcdLayout) +
                                               ", the newest this engine knows");
  }
}

EtcdLayout::EtcdLayout(const Options& options) {
  const StoreUrl url = parse_store_url(options.store);
  GatewayOptions gateway;
  gateway.endpoints = url.endpoints;
  client_ = make_gateway_client(std::move(gateway));
  where_ = client_->describe() + " namespace '" + url.name_space + "'";
  key_ = url.name_space + "/" + std::string(etcd_keys::kLayoutVersion);
}

EtcdLayout::~EtcdLayout() = default;

std::optional<int> EtcdLayout::read_version() const {
  const RangeResponse found = client_->range({key_});
  if (found.kvs.empty()) return std::nullopt;
  const std::string& value = found.kvs.front().value;
  check_etcd_layout(value, where_);
  return parse_version(value);
}

MigrationStatus EtcdLayout::status() const { return status_at(read_version()); }

MigrationStatus EtcdLayout::up(std::optional<int> to, bool dry_run) {
  const int target = to.value_or(kLatestEtcdLayout);
  if (target < 1 || target > kLatestEtcdLayout) {
    throw Error(ErrorCode::invalid_argument, where_ + ": key layout version " +
                                                 std::to_string(target) +
                                                 " is unknown (this engine knows 1 to " +
                                                 std::to_string(kLatestEtcdLayout) + ")");
  }
  MigrationStatus before = status();
  if (before.current > target) {
    throw Error(ErrorCode::invalid_argument, where_ + " is at key layout version " +
                                                 std::to_string(before.current) +
                                                 ", above the requested " + std::to_string(target));
  }
  if (before.current == target) return before;
  if (!dry_run) {
    // Absent → the target, in one txn that writes only if still absent (a
    // store opening the namespace meanwhile writes the same version).
    Compare absent;
    absent.key = key_;
    absent.target = Compare::Target::create;
    absent.number = 0;
    TxnRequest request;
    request.compare = {absent};
    request.success = {{PutRequest{key_, std::to_string(target)}}};
    try {
      client_->txn(request);
    } catch (const EtcdError& e) {
      // Unknown outcome: the status read below tells what is there.
      if (e.kind() != EtcdError::Kind::outcome_unknown) throw;
    }
    return status();
  }
  MigrationStatus after = status_at(target);
  after.exists = before.exists;
  return after;
}

void EtcdLayout::verify() const {
  if (!read_version()) {
    throw Error(ErrorCode::not_found, where_ + " has no key layout version (" +
                                          std::string(etcd_keys::kLayoutVersion) +
                                          "): no store has opened it yet");
  }
}

}  // namespace a3s::store::detail
