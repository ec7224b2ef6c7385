// Hostile files in and around a home: a box.db damaged, truncated, of
// another kind or in the way as a directory; a stray box.db-wal; a
// read-only database file or home; a home that is a symlink loop; symlinks
// planted where the stores keep their directories. In each case the error
// is clear and names the file, the database's bytes are never rewritten,
// nothing outside the home changes, and `check` (library and CLI) reports
// it. Prints "hostile files: N cases" with the number of cases that ran.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "a3s/store/store.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::CommandResult;
using a3s::test::kNobody;
using a3s::test::open_store;
using a3s::test::read_file;
using a3s::test::run_cli;
using a3s::test::TempDir;
using a3s::test::unprivileged;
using a3s::test::write_file;

namespace {

// Counts the cases that ran and prints the count when the program ends.
struct CaseCount {
  int cases = 0;
  ~CaseCount() { std::cout << "hostile files: " << cases << " cases\n"; }
};
CaseCount counted;

const std::string kHex(64, 'd');

// A home with one record of each kind (network n1, volume v1, snapshot s1,
// image app:1), beside a directory of someone else's files that no case
// may change.
struct Site {
  TempDir tmp;

  fs::path home() const { return tmp.path() / "home"; }
  fs::path db() const { return home() / "box.db"; }
  fs::path outside() const { return tmp.path() / "outside"; }
  std::string db_named() const { return "database '" + db().string() + "'"; }

  Site() {
    ++counted.cases;
    fs::create_directories(outside() / "dir");
    write_file(outside() / "file", "precious\n");
    write_file(outside() / "dir" / "data", "precious too\n");
    const fs::path tree = tmp.path() / "tree";
    fs::create_directories(tree / "etc");
    write_file(tree / "etc" / "hostname", "box\n");
    auto store = open_store(home());
    st::NetworkConfig n;
    n.name = "n1";
    n.subnet = "10.1.0.0/24";
    n.gateway = "10.1.0.1";
    n.created_at = "2024-01-01T00:00:00Z";
    store->networks().create(n);
    store->volumes().create(a3s::test::minimal_volume("v1"));
    store->snapshots().save(a3s::test::minimal_snapshot("s1"), tree);
    store->images().put("app:1", "sha256:" + kHex, tree);
  }

  CommandResult cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--home", home().string()});
    return run_cli(args);
  }
};

// Every entry under `root` (symlinks not followed): its type, mode and
// contents or target, by relative path.
std::map<std::string, std::string> state_of(const fs::path& root) {
  std::map<std::string, std::string> state;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const auto rel = fs::relative(entry.path(), root).string();
    const auto status = entry.symlink_status();
    const auto mode = std::to_string(static_cast<unsigned>(status.permissions()));
    if (fs::is_symlink(status)) {
      state[rel] = "link " + fs::read_symlink(entry.path()).string();
    } else if (fs::is_directory(status)) {
      state[rel] = "dir " + mode;
    } else {
      state[rel] = "file " + mode + " " + read_file(entry.path());
    }
  }
  return state;
}

// Overwrites `bytes.size()` bytes of `path` at `offset`, in place.
void overwrite(const fs::path& path, std::uint64_t offset, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)) ==
          static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

// `n` bytes from a generator seeded with `seed` (printed, so a failure can
// be replayed; A3S_HOSTILE_SEED overrides it).
std::string random_bytes(std::size_t n) {
  static const std::uint64_t seed = [] {
    const char* text = std::getenv("A3S_HOSTILE_SEED");
    const std::uint64_t value = text != nullptr ? std::stoull(text) : 20261203;
    std::cout << "hostile files: seed " << value << " (A3S_HOSTILE_SEED)\n";
    return value;
  }();
  static std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// The database's bytes, the home's other files and the outside directory,
// to compare before and after a case: a refused file is never rewritten,
// and nothing outside the home changes.
struct Snapshot {
  std::string db;
  std::map<std::string, std::string> outside;
  static Snapshot of(const Site& site) {
    Snapshot s;
    if (fs::is_regular_file(site.db())) s.db = read_file(site.db());
    s.outside = state_of(site.outside());
    return s;
  }
};

void require_unchanged(const Site& site, const Snapshot& before) {
  const Snapshot after = Snapshot::of(site);
  CHECK(after.db == before.db);
  CHECK(after.outside == before.outside);
}

// The library and the CLI (a read, and `check`) refuse the database with
// `code`, naming it, with `reason` in the message.
void require_refused(const Site& site, st::ErrorCode code, const std::string& reason) {
  REQUIRE_STORE_ERROR(open_store(site.home()), code, site.db_named());
  REQUIRE_STORE_ERROR(open_store(site.home()), code, reason);
  for (const auto& command : {std::vector<std::string>{"volume", "ls"}, {"check"}}) {
    const auto r = site.cli(command);
    INFO(command[0] << ": " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("error: " + site.db_named(), 0) == 0);
    CHECK_THAT(r.err, Catch::Contains(reason));
  }
}

// The check of the library and the CLI's report `problem` with `fragment`
// in its message.
void require_check_reports(const Site& site, const std::string& problem,
                           const std::string& fragment) {
  const auto report = open_store(site.home())->check();
  bool found = false;
  for (const auto& f : report.findings) {
    if (f.problem == problem && f.message.find(fragment) != std::string::npos) found = true;
  }
  {
    INFO("no " << problem << " finding with '" << fragment << "'");
    CHECK(found);
  }
  const auto r = site.cli({"check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains(problem + ": ") && Catch::Contains(fragment));
}

// Runs the CLI with `args` unprivileged(); its result comes back through a
// file the parent opened.
CommandResult run_cli_unprivileged(const std::vector<std::string>& args) {
  TempDir capture;
  const fs::path result_path = capture.path() / "result";
  const int fd = ::open(result_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const int code = unprivileged([&] {
    const auto r = run_cli(args);
    const std::string text =
        nlohmann::json{{"exit_code", r.exit_code}, {"out", r.out}, {"err", r.err}}.dump();
    return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : 91;
  });
  ::close(fd);
  REQUIRE(code == 0);
  const auto j = nlohmann::json::parse(read_file(result_path));
  return {j.at("exit_code").get<int>(), j.at("out").get<std::string>(),
          j.at("err").get<std::string>()};
}

// What a user without write access to the home sees: reads and `check`
// work, every change fails with io naming the database and saying it is
// read-only, and the database is not written.
void require_read_only_home(const Site& site) {
  const std::string home = site.home().string();
  const std::string backup = (site.tmp.path() / "backup.db").string();
  REQUIRE(run_cli({"--home", home, "backup", backup}).exit_code == 0);
  const Snapshot before = Snapshot::of(site);
  const auto ls = run_cli_unprivileged({"--home", home, "volume", "ls"});
  INFO(ls.err);
  CHECK(ls.exit_code == 0);
  CHECK_THAT(ls.out, Catch::Contains("v1"));
  const auto inspect = run_cli_unprivileged({"--home", home, "--json", "network", "inspect", "n1"});
  CHECK(inspect.exit_code == 0);
  CHECK_THAT(inspect.out, Catch::Contains("10.1.0.0/24"));
  const auto check = run_cli_unprivileged({"--home", home, "check"});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.out == "no problems found\n");

  const std::string refusal = "cannot change " + site.db_named() + ", which is read-only";
  // The library, as an embedding process without the right to write.
  const int library = unprivileged([&] {
    auto store = open_store(site.home());
    if (store->volumes().list().size() != 1) return 1;
    if (!store->check().clean()) return 2;
    try {
      store->networks().remove("n1", /*force=*/true);
      return 3;
    } catch (const st::Error& e) {
      const std::string message = e.what();
      if (e.code() != st::ErrorCode::io || message.find(refusal) == std::string::npos) return 4;
    }
    return 0;
  });
  CHECK(library == 0);  // 1: no list, 2: check not clean, 3: a change ran, 4: its error
  for (const auto& change : {std::vector<std::string>{"network", "rm", "n1"},
                             {"volume", "create", "v2"},
                             {"snapshot", "rm", "s1"},
                             {"check", "--repair"},
                             {"restore", backup}}) {
    const auto r = run_cli_unprivileged([&] {
      std::vector<std::string> args{"--home", home};
      args.insert(args.end(), change.begin(), change.end());
      return args;
    }());
    INFO(change[0] << " " << change.back() << ": " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.rfind("error: ", 0) == 0);
    CHECK_THAT(r.err, Catch::Contains(refusal));
    CHECK_THAT(r.err, !Catch::Contains("attempt to write a readonly database"));
  }
  require_unchanged(site, before);
  for (const auto& name : a3s::test::entries(site.home())) {
    CHECK(name.rfind("box.db.bak", 0) != 0);  // no restore's backup was written
  }
  CHECK(fs::is_directory(site.home() / "snapshots" / "s1" / "rootfs"));
  CHECK_FALSE(fs::exists(site.home() / "volumes" / "v2"));
}

}  // namespace

TEST_CASE("a box.db with bytes overwritten is refused or reported, never rewritten",
          "[hostile][database]") {
  SECTION("its header") {
    Site site;
    overwrite(site.db(), 0, "not SQLite here!");
    const Snapshot before = Snapshot::of(site);
    require_refused(site, st::ErrorCode::corrupt, "file is not a database");
    require_unchanged(site, before);
  }
  SECTION("a b-tree page in the middle") {
    Site site;
    const auto pages = fs::file_size(site.db()) / 4096;
    REQUIRE(pages > 4);
    overwrite(site.db(), pages / 2 * 4096, random_bytes(4096));
    const Snapshot before = Snapshot::of(site);
    // Whether a read meets the page depends on which table it holds: either
    // the open refuses the database, or it opens and check reports it.
    bool opened = true;
    try {
      open_store(site.home());
    } catch (const st::Error& e) {
      opened = false;
      CHECK(e.code() == st::ErrorCode::corrupt);
      CHECK_THAT(e.what(), Catch::Contains(site.db_named()));
    }
    if (opened) {
      require_check_reports(site, "integrity", site.db_named());
    } else {
      require_refused(site, st::ErrorCode::corrupt, "malformed");
    }
    require_unchanged(site, before);
  }
}

TEST_CASE("a truncated box.db is refused and left as it is", "[hostile][database]") {
  SECTION("to half its size") {
    Site site;
    fs::resize_file(site.db(), fs::file_size(site.db()) / 2);
    const Snapshot before = Snapshot::of(site);
    require_refused(site, st::ErrorCode::corrupt, "malformed");
    require_unchanged(site, before);
  }
  SECTION("to 100 bytes, the header alone") {
    Site site;
    fs::resize_file(site.db(), 100);
    const Snapshot before = Snapshot::of(site);
    require_refused(site, st::ErrorCode::corrupt, "malformed");
    require_unchanged(site, before);
  }
}

// SQLite takes an empty file for an empty database, and so does a store
// (the file a first open creates is empty until its schema commits): it is
// opened as a new one. The rows are gone; check reports the directories
// they owned, and the volume's data is never deleted, even by a repair.
TEST_CASE("a box.db truncated to 0 bytes is a new database, and check reports the files left",
          "[hostile][database]") {
  Site site;
  fs::resize_file(site.db(), 0);
  const auto outside = state_of(site.outside());
  const auto ls = site.cli({"volume", "ls", "--json"});
  CHECK(ls.exit_code == 0);
  require_check_reports(site, "orphan_directory", (site.home() / "volumes" / "v1").string());
  require_check_reports(site, "orphan_directory", (site.home() / "snapshots" / "s1").string());
  CHECK(site.cli({"check", "--repair"}).exit_code == 1);  // the volume's data is kept
  CHECK(fs::is_directory(site.home() / "volumes" / "v1"));
  CHECK(state_of(site.outside()) == outside);
}

TEST_CASE("a box.db that is not a database file is refused, naming it", "[hostile][database]") {
  SECTION("a text file") {
    Site site;
    fs::remove(site.db());
    write_file(site.db(), "these are my notes, not a database\n");
    const Snapshot before = Snapshot::of(site);
    require_refused(site, st::ErrorCode::corrupt, "file is not a database");
    require_unchanged(site, before);
  }
  SECTION("a directory") {
    Site site;
    fs::remove(site.db());
    fs::create_directory(site.db());
    write_file(site.db() / "inside", "kept\n");
    const Snapshot before = Snapshot::of(site);
    require_refused(site, st::ErrorCode::io, "is not a regular file (it is a directory)");
    require_unchanged(site, before);
    CHECK(read_file(site.db() / "inside") == "kept\n");
  }
  SECTION("a FIFO") {
    Site site;
    fs::remove(site.db());
    REQUIRE(::mkfifo(site.db().c_str(), 0644) == 0);
    const Snapshot before = Snapshot::of(site);
    require_refused(site, st::ErrorCode::io, "is not a regular file");
    require_unchanged(site, before);
  }
  SECTION("a symlink to a file outside the home") {
    // A symlinked box.db is followed (an operator may place the database
    // elsewhere): what it leads to must be a database, and is not written.
    Site site;
    fs::remove(site.db());
    fs::create_symlink(site.outside() / "file", site.db());
    const Snapshot before = Snapshot::of(site);
    require_refused(site, st::ErrorCode::corrupt, "file is not a database");
    require_unchanged(site, before);
    CHECK(read_file(site.outside() / "file") == "precious\n");
  }
}

TEST_CASE("a stray box.db-wal", "[hostile][wal]") {
  SECTION("of random bytes is ignored: the rows read as they were") {
    Site site;
    write_file(site.home() / "box.db-wal", random_bytes(3 * 4096 + 32));
    const Snapshot before = Snapshot::of(site);
    {
      auto store = open_store(site.home());
      CHECK(store->volumes().get("v1"));
      CHECK(store->check().clean());
    }
    const auto r = site.cli({"check"});
    CHECK(r.exit_code == 0);
    require_unchanged(site, before);
  }
  SECTION("of another home's database is applied by SQLite, and check reports the mismatch") {
    // SQLite cannot tell whose WAL it finds (its header carries no identity
    // of the database): the frames are applied, and the rows are the other
    // home's. They then differ from this home's files, and check says so.
    Site site;
    TempDir other;
    {
      auto store = open_store(other.path());
      store->volumes().create(a3s::test::minimal_volume("elsewhere"));
      // Keep the WAL when the last connection closes, to copy it.
      SQLite::Database keep((other.path() / "box.db").string(), SQLite::OPEN_READWRITE);
      int persist = 1;
      REQUIRE(sqlite3_file_control(keep.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist) ==
              SQLITE_OK);
      keep.exec("PRAGMA wal_autocheckpoint = 0");
      keep.exec("UPDATE volumes SET labels = '{\"from\":\"other\"}' WHERE name = 'elsewhere'");
      fs::copy_file(other.path() / "box.db-wal", site.home() / "box.db-wal");
    }
    const auto outside = state_of(site.outside());
    require_check_reports(site, "orphan_directory", (site.home() / "volumes" / "v1").string());
    require_check_reports(site, "orphan_directory", (site.home() / "snapshots" / "s1").string());
    CHECK(state_of(site.outside()) == outside);
  }
}

TEST_CASE("a read-only database is read, and every change refused naming it",
          "[hostile][read-only]") {
  SECTION("box.db read-only (0444), its directory writable") {
    Site site;
    fs::permissions(site.tmp.path(), fs::perms::owner_all | fs::perms::others_exec);
    if (::geteuid() == 0) {
      REQUIRE(::chown(site.home().c_str(), kNobody, kNobody) == 0);
      REQUIRE(::chown(site.db().c_str(), kNobody, kNobody) == 0);
    }
    fs::permissions(site.db(),
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    require_read_only_home(site);
  }
  SECTION("the home read-only (0555): no -wal or -shm can be made") {
    Site site;
    fs::permissions(site.tmp.path(), fs::perms::owner_all | fs::perms::others_exec);
    if (::geteuid() == 0) REQUIRE(::chown(site.db().c_str(), kNobody, kNobody) == 0);
    fs::permissions(site.home(), fs::perms::owner_read | fs::perms::owner_exec |
                                     fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
    require_read_only_home(site);
    CHECK_FALSE(fs::exists(site.home() / "box.db-wal"));
    CHECK_FALSE(fs::exists(site.home() / "box.db-shm"));
    fs::permissions(site.home(), fs::perms::owner_all);
  }
}

TEST_CASE("a home that is a symlink loop is refused, naming it", "[hostile][home]") {
  ++counted.cases;
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  fs::create_symlink(tmp.path() / "home2", home);
  fs::create_symlink(home, tmp.path() / "home2");
  REQUIRE_STORE_ERROR(open_store(home), st::ErrorCode::invalid_argument,
                      "cannot resolve the path '" + home.string() + "'");
  for (const auto& command : {std::vector<std::string>{"volume", "ls"}, {"check"}}) {
    auto args = command;
    args.insert(args.begin(), {"--home", home.string()});
    const auto r = run_cli(args);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("'" + home.string() + "'") &&
                          Catch::Contains("Too many levels of symbolic links"));
  }
  CHECK(a3s::test::entries(tmp.path()) == std::vector<std::string>{"home", "home2"});
}

TEST_CASE("symlinks planted under the home are reported by check and never followed",
          "[hostile][symlinks]") {
  SECTION("a volume's directory") {
    Site site;
    const fs::path dir = site.home() / "volumes" / "v1";
    fs::remove_all(dir);
    fs::create_directory_symlink(site.outside() / "dir", dir);
    const auto before = state_of(site.outside());
    require_check_reports(site, "missing_directory", "volume 'v1' has no directory");
    CHECK(site.cli({"volume", "rm", "v1"}).exit_code == 0);
    CHECK_FALSE(fs::exists(fs::symlink_status(dir)));
    CHECK(state_of(site.outside()) == before);
  }
  SECTION("a snapshot's rootfs") {
    Site site;
    const fs::path rootfs = site.home() / "snapshots" / "s1" / "rootfs";
    fs::remove_all(rootfs);
    fs::create_directory_symlink(site.outside() / "dir", rootfs);
    const auto before = state_of(site.outside());
    require_check_reports(site, "missing_directory", "snapshot 's1' has no directory");
    CHECK(site.cli({"snapshot", "rm", "s1"}).exit_code == 0);
    CHECK_FALSE(fs::exists(site.home() / "snapshots" / "s1"));
    CHECK(state_of(site.outside()) == before);
  }
  SECTION("an image's layout") {
    Site site;
    const fs::path layout = site.home() / "images" / "sha256" / kHex;
    fs::remove_all(layout);
    fs::create_directory_symlink(site.outside() / "dir", layout);
    const auto before = state_of(site.outside());
    require_check_reports(site, "missing_directory", "image sha256:" + kHex + " has no directory");
    CHECK(site.cli({"image", "rm", "app:1"}).exit_code == 0);
    CHECK_FALSE(fs::exists(fs::symlink_status(layout)));
    CHECK(state_of(site.outside()) == before);
  }
  SECTION("the catalogs' staging directories") {
    Site site;
    for (const fs::path& catalog :
         {site.home() / "volumes", site.home() / "snapshots", site.home() / "images" / "sha256"}) {
      fs::remove_all(catalog / ".staging");
      fs::create_directory_symlink(site.outside() / "dir", catalog / ".staging");
    }
    const auto before = state_of(site.outside());
    const auto r = site.cli({"volume", "create", "v2"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err,
               Catch::Contains((site.home() / "volumes" / ".staging").string() + "' is a symlink"));
    require_check_reports(site, "unexpected_entry",
                          (site.home() / "snapshots" / ".staging").string() + "' is a symlink");
    const auto repair = site.cli({"check", "--repair"});
    CHECK(repair.exit_code == 1);  // reported, left alone: never followed
    CHECK_THAT(repair.out, Catch::Contains("3 problem(s) found, 0 repaired"));
    CHECK(site.cli({"snapshot", "rm", "s1"}).exit_code == 1);
    CHECK(site.cli({"image", "rm", "app:1"}).exit_code == 1);
    CHECK(state_of(site.outside()) == before);
  }
}
