// The key layout version of one etcd namespace (SPEC §6, §9): the key
// meta/layout_version, which `migrate` reads and sets on etcd as it does the
// schema version on SQLite. The layout has one version so far, 1, which an
// etcd store writes when it first opens a namespace. Internal.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "a3s/store/migrator.hpp"
#include "a3s/store/options.hpp"

namespace a3s::store::detail {

class KvClient;

// The newest layout version this engine knows.
inline constexpr int kLatestEtcdLayout = 1;

// Throws unless `version` (meta/layout_version's value) is one this engine
// reads: schema_too_new, naming `where` and both versions, for a newer one;
// corrupt for a value that is no version.
void check_etcd_layout(std::string_view version, std::string_view where);

class EtcdLayout {
 public:
  // The namespace of options.store (an etcd URL; options resolved). Connects
  // on first use.
  explicit EtcdLayout(const Options& options);
  ~EtcdLayout();

  // Reads the version without writing: absent → exists = false, current 0,
  // layout 1 pending. Throws busy (cluster unreachable), corrupt,
  // schema_too_new.
  MigrationStatus status() const;

  // Sets the version to `to` (default: the latest; only 1 exists) when the
  // namespace has none, in one transaction that writes it only if it is
  // still absent; with `dry_run` writes nothing and returns the status it
  // would leave. Throws invalid_argument for an unknown `to` or one below
  // the current version, schema_too_new, corrupt, busy.
  MigrationStatus up(std::optional<int> to, bool dry_run);

  // Checks that the namespace has a layout version this engine reads.
  // Throws not_found (none yet), schema_too_new, corrupt, busy.
  void verify() const;

 private:
  std::optional<int> read_version() const;

  std::string where_;  // "etcd cluster '...' namespace '...'"
  std::string key_;    // the full key of meta/layout_version
  std::unique_ptr<KvClient> client_;
};

}  // namespace a3s::store::detail
