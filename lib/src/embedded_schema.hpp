// The migration files and the schema snapshot, embedded at build time by
// schema/embed.py. Internal.
#pragma once

#include <string_view>
#include <vector>

namespace a3s::store::detail {

struct EmbeddedMigration {
  int version;
  std::string_view name;      // file name without ".sql"
  std::string_view checksum;  // sha256 hex of the LF-normalized text
  std::string_view sql;
};

// schema/NNNN_*.sql in version order (1..N, no gaps).
const std::vector<EmbeddedMigration>& embedded_migrations();

// schema/schema.sql: the schema after every migration.
std::string_view embedded_schema_snapshot();

}  // namespace a3s::store::detail
