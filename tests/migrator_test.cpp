// Schema creation, versions and migrations (SPEC §6), on real files.
#include <catch2/catch.hpp>

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "a3s/store/migrator.hpp"
#include "a3s/store/store.hpp"
#include "database.hpp"
#include "migration_engine.hpp"
#include "record_json.hpp"
#include "test_support.hpp"
#include "totals_check.hpp"

using namespace a3s::store;
namespace fs = std::filesystem;
using a3s::test::TempDir;

namespace {

const detail::EmbeddedMigration& first_migration() { return detail::embedded_migrations().at(0); }

// The embedded migrations plus one more, as a newer build would have them.
detail::Migrations with_extra(std::string_view sql) {
  detail::Migrations list = detail::embedded_migrations();
  const int next = list.back().version + 1;
  static std::vector<std::string> names;  // string_views below point here
  names.push_back(std::to_string(next) + "_test_extra");
  list.push_back({next, names.back(), "0000test", sql});
  return list;
}

int version_of(const fs::path& db) {
  SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);
  return sql.execAndGet("PRAGMA user_version").getInt();
}

void exec(const fs::path& db, const std::string& statement) {
  SQLite::Database sql(db.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  sql.exec(statement);
}

std::string schema_of(const fs::path& db) {
  SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);
  return detail::dump_schema(sql);
}

std::vector<fs::path> backups_of(const fs::path& db) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(db.parent_path())) {
    if (entry.path().filename().string().rfind(db.filename().string() + ".bak-", 0) == 0) {
      found.push_back(entry.path());
    }
  }
  return found;
}

// A home at the current latest version holding one network.
fs::path make_v_latest(const TempDir& home) {
  auto store = Store::open(a3s::test::options_for(home.path()));
  store->networks().create(network_from_json({{"name", "dev"},
                                              {"subnet", "10.0.0.0/24"},
                                              {"gateway", "10.0.0.1"},
                                              {"created_at", "2026-01-01T00:00:00Z"}}));
  store->networks().connect("dev", "box-1", "web");
  return store->options().db_path;
}

void open_with(const fs::path& home, const detail::Migrations& list, bool auto_migrate = true) {
  Options options = resolve(a3s::test::options_for(home));
  options.auto_migrate = auto_migrate;
  Database db(options);
  detail::open_schema(db, list);
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("expected an a3s::store::Error");
  return ErrorCode::io;
}

}  // namespace

TEST_CASE("schema/schema.sql equals the schema the migrations produce", "[migrator]") {
  const auto& list = detail::embedded_migrations();
  const std::string replayed = detail::replay_schema(list, list.back().version);
  const fs::path file = a3s::test::source_root() / "schema" / "schema.sql";
  if (const char* update = std::getenv("A3S_UPDATE_SCHEMA"); update && std::string(update) == "1") {
    a3s::test::write_file(file, replayed);
  }
  INFO("regenerate with: A3S_UPDATE_SCHEMA=1 meson test -C build migrator");
  CHECK(a3s::test::read_file(file) == replayed);
  CHECK(std::string(detail::embedded_schema_snapshot()) == replayed);
}

TEST_CASE("a new database is created at the latest version", "[migrator]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  CHECK(version_of(db) == Migrator::latest_version());

  const MigrationStatus status = Migrator(a3s::test::options_for(home.path())).status();
  CHECK(status.exists);
  CHECK(status.current == Migrator::latest_version());
  CHECK(status.pending.empty());
  REQUIRE(status.applied.size() == detail::embedded_migrations().size());
  for (std::size_t i = 0; i < status.applied.size(); ++i) {
    const auto& m = detail::embedded_migrations()[i];
    CHECK(status.applied[i].version == m.version);
    CHECK(status.applied[i].name == m.name);
    CHECK(status.applied[i].checksum == m.checksum);
    CHECK(status.applied[i].checksum.size() == 64);
    CHECK(status.applied[i].applied_by.rfind("a3s-box-store ", 0) == 0);
    CHECK_NOTHROW(parse_rfc3339(status.applied[i].applied_at, "applied_at"));
  }
  CHECK(backups_of(db).empty());  // nothing to back up for a new database
  CHECK_NOTHROW(Migrator(a3s::test::options_for(home.path())).verify());
}

TEST_CASE("the database is in WAL mode with the engine's PRAGMAs", "[migrator][database]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);
  CHECK(sql.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(fs::exists(db.string() + "-wal"));
}

TEST_CASE("a newer database is refused and not written to", "[migrator]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  const int newer = Migrator::latest_version() + 1;
  exec(db, "PRAGMA user_version = " + std::to_string(newer));
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  const std::string before = a3s::test::read_file(db);

  try {
    Store::open(a3s::test::options_for(home.path()));
    FAIL("opened a database newer than this build");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::schema_too_new);
    CHECK_THAT(e.what(), Catch::Contains(std::to_string(newer)) &&
                             Catch::Contains(std::to_string(Migrator::latest_version())));
  }
  CHECK(a3s::test::read_file(db) == before);
  CHECK(code_of([&] { Migrator(a3s::test::options_for(home.path())).up(); }) ==
        ErrorCode::schema_too_new);
  CHECK(code_of([&] { Migrator(a3s::test::options_for(home.path())).verify(); }) ==
        ErrorCode::schema_too_new);
  CHECK(a3s::test::read_file(db) == before);
}

TEST_CASE("an edited migration is a checksum mismatch", "[migrator]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  exec(db, "UPDATE schema_migrations SET checksum = 'feedbeef' WHERE version = 1");
  try {
    Store::open(a3s::test::options_for(home.path()));
    FAIL("opened a database whose migration text changed");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::checksum_mismatch);
    CHECK_THAT(e.what(), Catch::Contains(std::string(first_migration().name)));
  }
  CHECK(code_of([&] { Migrator(a3s::test::options_for(home.path())).verify(); }) ==
        ErrorCode::checksum_mismatch);
}

TEST_CASE("verify names schema drift", "[migrator]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  exec(db, "CREATE INDEX sneaky_index ON networks (driver)");
  try {
    Migrator(a3s::test::options_for(home.path())).verify();
    FAIL("verify accepted a drifted schema");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::corrupt);
    CHECK_THAT(e.what(), Catch::Contains("sneaky_index"));
  }
}

TEST_CASE("an older database is migrated, with a backup beside it", "[migrator]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  const int from = Migrator::latest_version();
  const auto list =
      with_extra("ALTER TABLE networks ADD COLUMN test_extra TEXT NOT NULL DEFAULT 'x';");

  SECTION("auto-migrate off: schema_outdated, nothing changed") {
    const std::string before = schema_of(db);
    CHECK(code_of([&] { open_with(home.path(), list, /*auto_migrate=*/false); }) ==
          ErrorCode::schema_outdated);
    CHECK(version_of(db) == from);
    CHECK(schema_of(db) == before);
    CHECK(backups_of(db).empty());
  }

  SECTION("auto-migrate on: the new version, data kept, backup at the old version") {
    open_with(home.path(), list);
    CHECK(version_of(db) == from + 1);
    {
      SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);
      CHECK(sql.execAndGet("SELECT test_extra FROM networks WHERE name = 'dev'").getString() ==
            "x");
      CHECK(sql.execAndGet("SELECT count(*) FROM network_endpoints").getInt() == 1);
      CHECK(sql.execAndGet("SELECT count(*) FROM schema_migrations").getInt() == from + 1);
    }
    const auto backups = backups_of(db);
    REQUIRE(backups.size() == 1);
    const std::string expected_prefix =
        "box.db.bak-v" + std::to_string(from) + "-to-v" + std::to_string(from + 1) + "-";
    CHECK(backups[0].filename().string().rfind(expected_prefix, 0) == 0);
    CHECK(version_of(backups[0]) == from);
    SQLite::Database backup(backups[0].string(), SQLite::OPEN_READONLY);
    CHECK(backup.execAndGet("SELECT count(*) FROM networks").getInt() == 1);

    // Opening again changes nothing more.
    open_with(home.path(), list);
    CHECK(backups_of(db).size() == 1);
  }
}

TEST_CASE("a failing migration leaves the previous version intact", "[migrator]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  const int from = Migrator::latest_version();
  const std::string before = schema_of(db);

  SECTION("an SQL error half way") {
    const auto list = with_extra(
        "CREATE TABLE half_done (x INTEGER NOT NULL) STRICT;\n"
        "INSERT INTO no_such_table VALUES (1);");
    CHECK_THROWS_AS(open_with(home.path(), list), Error);
  }
  SECTION("a foreign key violation found by foreign_key_check") {
    const auto list = with_extra(
        "PRAGMA defer_foreign_keys = ON;\n"
        "INSERT INTO network_endpoints (network, box_id, box_name, ip_address, mac_address) "
        "VALUES ('ghost', 'b', 'b', '10.0.0.9', '02:42:0a:00:00:09');");
    try {
      open_with(home.path(), list);
      FAIL("a migration violating a foreign key was committed");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::corrupt);
      CHECK_THAT(e.what(), Catch::Contains("network_endpoints"));
    }
  }
  CHECK(version_of(db) == from);
  CHECK(schema_of(db) == before);
  auto store = Store::open(a3s::test::options_for(home.path()));
  CHECK(store->networks().get("dev")->endpoints.size() == 1);
}

TEST_CASE("two processes opening an outdated database: one migrates, the other proceeds",
          "[migrator][multiprocess]") {
  TempDir home;
  const fs::path db = make_v_latest(home);
  const int from = Migrator::latest_version();
  const auto list =
      with_extra("ALTER TABLE volumes ADD COLUMN test_extra TEXT NOT NULL DEFAULT 'y';");

  for (int round = 0; round < 3; ++round) {  // bounded repeats widen the race window
    if (round > 0) {
      exec(db, "ALTER TABLE volumes DROP COLUMN test_extra");
      exec(db, "DELETE FROM schema_migrations WHERE version = " + std::to_string(from + 1));
      exec(db, "PRAGMA user_version = " + std::to_string(from));
      for (const auto& b : backups_of(db)) fs::remove(b);
    }
    const auto codes = a3s::test::run_in_children(2, [&](int) {
      open_with(home.path(), list);
      return 0;
    });
    CHECK(codes == std::vector<int>{0, 0});
    CHECK(version_of(db) == from + 1);
    SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);
    CHECK(sql.execAndGet("SELECT count(*) FROM schema_migrations WHERE version = " +
                         std::to_string(from + 1))
              .getInt() == 1);
    CHECK(backups_of(db).size() == 1);
  }
}

TEST_CASE("Migrator: status, up --to, dry run", "[migrator]") {
  TempDir home;
  const Options options = a3s::test::options_for(home.path());
  const fs::path db = home.path() / "box.db";

  SECTION("status of a missing database creates nothing") {
    const MigrationStatus status = Migrator(options).status();
    CHECK_FALSE(status.exists);
    CHECK(status.current == 0);
    CHECK(status.latest == Migrator::latest_version());
    CHECK(status.pending.size() == detail::embedded_migrations().size());
    CHECK_FALSE(fs::exists(db));
  }
  SECTION("dry run of a missing database creates nothing") {
    const MigrationStatus status = Migrator(options).up(std::nullopt, /*dry_run=*/true);
    CHECK(status.current == Migrator::latest_version());
    CHECK(status.pending.empty());
    CHECK_FALSE(status.exists);
    CHECK_FALSE(fs::exists(db));
  }
  SECTION("up --to 1 on a missing file creates version 1") {
    const MigrationStatus status = Migrator(options).up(1);
    CHECK(status.exists);
    CHECK(status.current == 1);
    CHECK(version_of(db) == 1);
  }
  SECTION("unknown or backward targets are refused") {
    CHECK(code_of([&] { Migrator(options).up(Migrator::latest_version() + 1); }) ==
          ErrorCode::invalid_argument);
    CHECK(code_of([&] { Migrator(options).up(0); }) == ErrorCode::invalid_argument);
    CHECK_FALSE(fs::exists(db));
  }
  SECTION("verify of a missing database is not_found") {
    CHECK(code_of([&] { Migrator(options).verify(); }) == ErrorCode::not_found);
  }
}

TEST_CASE("a file that is not a database is corrupt", "[migrator][database]") {
  TempDir home;
  a3s::test::write_file(home.path() / "box.db", std::string(8192, 'x'));
  CHECK(code_of([&] { Store::open(a3s::test::options_for(home.path())); }) == ErrorCode::corrupt);
}

TEST_CASE("a foreign SQLite database is not adopted", "[migrator]") {
  TempDir home;
  exec(home.path() / "box.db", "CREATE TABLE unrelated (x INTEGER)");
  CHECK(code_of([&] { Store::open(a3s::test::options_for(home.path())); }) == ErrorCode::corrupt);
}

TEST_CASE("a version 1 database with every catalog is migrated to the latest version intact",
          "[migrator][0002]") {
  TempDir home;
  const Options options = a3s::test::options_for(home.path());
  REQUIRE(Migrator(options).up(1).current == 1);
  const fs::path db = home.path() / "box.db";

  // Fill it as a version-1 build would have: rows in the version-1 columns.
  {
    SQLite::Database sql(db.string(), SQLite::OPEN_READWRITE);
    sql.exec(
        "INSERT INTO networks (name, subnet, gateway, driver, labels, created_at, policy) VALUES "
        "('frontend', '10.88.0.0/24', '10.88.0.1', 'bridge', '{\"team\":\"web\"}', "
        "'2026-06-17T08:15:30.123456789+00:00', "
        "'{\"isolation\":\"none\",\"ingress\":[],\"egress\":[]}');"
        "INSERT INTO network_endpoints (network, box_id, box_name, ip_address, mac_address, "
        "aliases) VALUES ('frontend', 'box-a', 'web', '10.88.0.2', '02:42:0a:58:00:02', "
        "'[\"app\"]');"
        "INSERT INTO volumes (name, driver, mount_point, labels, size_limit, created_at) VALUES "
        "('pgdata', 'local', '/data/pgdata', '{}', -1, '2026-06-17T08:16:00+00:00');"
        "INSERT INTO volume_users (volume, box_id, position) VALUES ('pgdata', 'box-a', 1);"
        "INSERT INTO snapshots (id, name, source_box_id, image, vcpus, memory_mb, volumes, env, "
        "cmd, entrypoint, workdir, port_map, labels, network_mode, rootfs_cache_key, "
        "size_bytes, created_at, description) VALUES ('snap-001', 'web', 'box-a', "
        "'nginx:1.27', 2, 1024, '[]', '{\"A\":\"1\"}', '[\"nginx\"]', NULL, NULL, '[]', '{}', "
        "NULL, NULL, 23, '2026-06-20T12:00:00.000000000Z', 'before');"
        "INSERT INTO images (reference, digest, size_bytes, pulled_at, last_used, path) VALUES "
        "('alpine:latest', "
        "'sha256:804658e22c3fcf82867343d685d090a2b3851e0581e7a032871c86f7c5c986f7', 560, "
        "'2026-06-16T08:00:00.500000000Z', '2026-06-16T08:00:00.500000000Z', '/x');");
  }
  fs::create_directories(home.path() / "snapshots" / "snap-001" / "rootfs");
  fs::create_directories(home.path() / "images" / "sha256" /
                         "804658e22c3fcf82867343d685d090a2b3851e0581e7a032871c86f7c5c986f7");

  auto store = Store::open(options);
  CHECK(version_of(db) == Migrator::latest_version());

  const auto network = store->networks().get("frontend");
  REQUIRE(network);
  CHECK(network->created_at == "2026-06-17T08:15:30.123456789+00:00");
  CHECK(network->labels.at("team") == "web");
  CHECK(network->endpoints.at("box-a").aliases == std::vector<std::string>{"app"});
  const auto volume = store->volumes().get("pgdata");
  REQUIRE(volume);
  CHECK(volume->size_limit == 18446744073709551615ull);
  CHECK(volume->in_use_by == std::vector<std::string>{"box-a"});
  const auto snap = store->snapshots().get("snap-001");
  REQUIRE(snap);
  CHECK(snap->env.at("A") == "1");
  CHECK(snap->size_bytes == 23);
  CHECK_FALSE(snap->image_config);
  CHECK_FALSE(snap->health_check);
  CHECK_FALSE(snap->healthcheck_disabled);
  const auto image = store->images().get("alpine:latest");
  REQUIRE(image);
  CHECK(image->size_bytes == 560);
  CHECK(image->pulled_at == parse_rfc3339("2026-06-16T08:00:00.5Z", "pulled_at"));

  CHECK(store->snapshots().count() == 1);
  CHECK(store->snapshots().total_size() == 23);
  CHECK(store->images().total_size() == 560);
  CHECK(a3s::test::totals_problems(db) == std::vector<std::string>{});

  const auto json = to_json(*snap);
  CHECK_FALSE(json.contains("image_config"));
  CHECK_FALSE(json.contains("health_check"));
  CHECK(json.at("healthcheck_disabled") == false);

  const auto backups = backups_of(db);
  REQUIRE(backups.size() == 1);
  CHECK(backups[0].filename().string().rfind(
            "box.db.bak-v1-to-v" + std::to_string(Migrator::latest_version()) + "-", 0) == 0);
  CHECK(version_of(backups[0]) == 1);
  SQLite::Database backup(backups[0].string(), SQLite::OPEN_READONLY);
  CHECK(backup.execAndGet("SELECT count(*) FROM snapshots").getInt() == 1);
  CHECK(backup.execAndGet("SELECT count(*) FROM images").getInt() == 1);
}

TEST_CASE("a version 2 database holding snapshots and images gets their totals in version 3",
          "[migrator][0003]") {
  TempDir home;
  const Options options = a3s::test::options_for(home.path());
  REQUIRE(Migrator(options).up(2).current == 2);
  const fs::path db = home.path() / "box.db";
  const std::string digest_a = "sha256:" + std::string(64, 'a');
  const std::string digest_b = "sha256:" + std::string(64, 'b');
  const std::string digest_c = "sha256:" + std::string(64, 'c');
  const std::uint64_t five_gib = std::uint64_t{5} << 30;

  // As a version-2 build would have left it: two references share digest A
  // (recorded at different sizes: A counts at the larger), B is a dangling
  // entry under its digest, and one snapshot is larger than 32 bits.
  {
    SQLite::Database sql(db.string(), SQLite::OPEN_READWRITE);
    SQLite::Statement snapshot(
        sql,
        "INSERT INTO snapshots (id, name, source_box_id, image, vcpus, memory_mb, volumes, env, "
        "cmd, size_bytes, created_at, health_check, healthcheck_disabled) VALUES "
        "(?, 'web', 'box-a', 'nginx:1.27', 1, 256, '[]', '{}', '[]', ?, "
        "'2026-06-20T12:00:00.000000000Z', '{\"test\":[\"NONE\"]}', 1)");
    for (const auto& [id, size] : std::vector<std::pair<std::string, std::uint64_t>>{
             {"snap-001", 23}, {"snap-002", 0}, {"snap-003", five_gib}}) {
      snapshot.reset();
      snapshot.bind(1, id);
      snapshot.bind(2, static_cast<std::int64_t>(size));
      snapshot.exec();
    }
    SQLite::Statement image(sql,
                            "INSERT INTO images (reference, digest, size_bytes, pulled_at, "
                            "last_used, path) VALUES (?, ?, ?, '2026-06-16T08:00:00.000000000Z', "
                            "'2026-06-16T08:00:00.000000000Z', '/x')");
    for (const auto& [reference, digest, size] :
         std::vector<std::tuple<std::string, std::string, std::int64_t>>{
             {"alpine:latest", digest_a, 560},
             {"alpine:3.20", digest_a, 600},
             {digest_b, digest_b, 1000},
             {"busybox:1", digest_c, 70}}) {
      image.reset();
      image.bind(1, reference);
      image.bind(2, digest);
      image.bind(3, size);
      image.exec();
    }
  }

  REQUIRE(Migrator(options).up(3).current == 3);
  const auto backups = backups_of(db);
  REQUIRE(backups.size() == 1);
  CHECK(backups[0].filename().string().rfind("box.db.bak-v2-to-v3-", 0) == 0);
  CHECK(version_of(backups[0]) == 2);
  {
    SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);
    SQLite::Statement totals(
        sql, "SELECT catalog, record_count, size_bytes FROM catalog_totals ORDER BY catalog");
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> rows;
    while (totals.executeStep()) {
      rows.emplace_back(totals.getColumn(0).getString(), totals.getColumn(1).getInt64(),
                        totals.getColumn(2).getInt64());
    }
    CHECK(rows == std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>{
                      {"image_layouts", 3, 1670},
                      {"snapshots", 3, static_cast<std::int64_t>(five_gib) + 23}});
  }
  CHECK(a3s::test::totals_problems(db) == std::vector<std::string>{});

  auto store = Store::open(options);
  CHECK(store->snapshots().count() == 3);
  CHECK(store->snapshots().total_size() == five_gib + 23);
  CHECK(store->images().total_size() == 1670);

  // The triggers carry on from the backfilled totals.
  CHECK(store->images().remove("alpine:3.20").size() == 1);
  CHECK(store->images().total_size() == 1630);
  CHECK(store->images().remove(digest_b).size() == 1);
  CHECK(store->images().total_size() == 630);
  CHECK(store->snapshots().remove("snap-003"));
  CHECK(store->snapshots().count() == 2);
  CHECK(store->snapshots().total_size() == 23);
  CHECK(a3s::test::totals_problems(db) == std::vector<std::string>{});
}
