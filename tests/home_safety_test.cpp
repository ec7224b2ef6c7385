// Files under the home are safe from what a hostile local user or a busy
// host puts in the way (SPEC §4 "Files and rows stay consistent"): nothing
// inside a catalog is followed when it is a symlink, nothing is deleted
// outside the home, a copy of the database never touches the home's files,
// a directory that cannot be moved never blocks a later open, a failed
// create leaves nothing, and the home is one home however it is spelled.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include <SQLiteCpp/Database.h>

#include "a3s/store/store.hpp"
#include "cli_home.hpp"
#include "fault_injection.hpp"
#include "home_check.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::entries;
using a3s::test::TempDir;
using Names = std::vector<std::string>;

namespace {

st::VolumeConfig volume(const std::string& name) {
  st::VolumeConfig v;
  v.name = name;
  v.created_at = "2026-01-01T00:00:00Z";
  return v;
}

st::SnapshotMetadata snapshot(const std::string& id) {
  st::SnapshotMetadata s;
  s.id = id;
  s.name = id;
  s.source_box_id = "box-1";
  s.image = "alpine:3.20";
  s.vcpus = 2;
  s.memory_mb = 512;
  return s;
}

const std::string kDigest = "sha256:" + std::string(64, 'a');

// A directory of someone else's files, named as a dead process's staging
// entries would be, so a sweep that followed a symlink to it would delete
// them.
fs::path make_victim(const fs::path& at) {
  fs::create_directories(at / "1.0-1-retired");
  a3s::test::write_file(at / "1.0-1-retired" / "data", "precious");
  a3s::test::write_file(at / "1.0-2-snapshot", "precious");
  a3s::test::write_file(at / "1-2-retired", "precious");
  a3s::test::write_file(at / "notes.txt", "precious");
  return at;
}
const Names kVictimEntries = {"1-2-retired", "1.0-1-retired", "1.0-2-snapshot", "notes.txt"};

fs::path make_tree(const fs::path& at) {
  fs::create_directories(at / "etc");
  a3s::test::write_file(at / "etc" / "hostname", "box\n");
  return at;
}

bool running_as_root() { return ::geteuid() == 0; }

// A file system mounted for one test (a tmpfs, or a bind mount of `source`),
// detached when the test ends. Tests that need one are skipped with a
// message when mounting is not allowed (not root).
class ScopedMount {
 public:
  struct Tmpfs {
    std::string options;
  };
  struct Bind {
    fs::path source;
  };
  ScopedMount(const fs::path& target, const Tmpfs& tmpfs) : target_(target) {
    fs::create_directories(target);
    mounted_ = ::mount("tmpfs", target.c_str(), "tmpfs", 0, tmpfs.options.c_str()) == 0;
  }
  ScopedMount(const fs::path& target, const Bind& bind) : target_(target) {
    mounted_ = ::mount(bind.source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0;
  }
  ~ScopedMount() { unmount(); }
  ScopedMount(const ScopedMount&) = delete;
  ScopedMount& operator=(const ScopedMount&) = delete;

  bool mounted() const { return mounted_; }
  void unmount() {
    if (mounted_) ::umount2(target_.c_str(), MNT_DETACH);
    mounted_ = false;
  }

 private:
  fs::path target_;
  bool mounted_ = false;
};

#define SKIP_UNLESS_MOUNTED(mount)                                                       \
  if (!(mount).mounted()) {                                                              \
    WARN("skipped: mounting a file system needs root (" << std::strerror(errno) << ")"); \
    return;                                                                              \
  }

// Runs `action` on a store of `home` in a child process that is killed at
// fault point `point`; requires that it was.
void crash_at(const fs::path& home, const std::string& point,
              const std::function<void(st::Store&)>& action) {
  const auto codes = a3s::test::run_in_children(1, [&](int) {
    st::detail::set_fault_hook([point](std::string_view at) {
      if (at == point) ::kill(::getpid(), SIGKILL);
    });
    auto store = st::Store::open(a3s::test::options_for(home));
    action(*store);
    return 0;
  });
  REQUIRE(codes == std::vector<int>{128 + SIGKILL});
}

}  // namespace

TEST_CASE("a symlinked staging directory is never followed, and never blocks an open",
          "[safety][staging]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const fs::path victim = make_victim(tmp.path() / "victim");
  { st::Store::open(a3s::test::options_for(home)); }
  // The staging directory of each catalog, and the old one in the home.
  for (const fs::path& catalog :
       {home / "volumes", home / "snapshots", home / "images" / "sha256", home}) {
    fs::create_directories(catalog);
    fs::create_directory_symlink(victim, catalog / ".staging");
  }

  auto store = st::Store::open(a3s::test::options_for(home));  // sweeps
  CHECK(store->volumes().list().empty());
  CHECK(entries(victim) == kVictimEntries);

  REQUIRE_STORE_ERROR(store->volumes().create(volume("v1")), st::ErrorCode::io,
                      "volume 'v1': staging directory '" +
                          (home / "volumes" / ".staging").string() + "' is a symlink");
  REQUIRE_STORE_ERROR(store->snapshots().save(snapshot("s1"), make_tree(tmp.path() / "tree")),
                      st::ErrorCode::io, "snapshots/.staging' is a symlink");
  REQUIRE_STORE_ERROR(store->images().put("app:1", kDigest, tmp.path() / "tree"), st::ErrorCode::io,
                      "sha256/.staging' is a symlink");
  CHECK(store->volumes().list().empty());
  CHECK(store->snapshots().list().empty());
  CHECK(store->images().list().empty());
  CHECK(entries(victim) == kVictimEntries);
  CHECK(a3s::test::read_file(victim / "1.0-1-retired" / "data") == "precious");

  // The command line, as the defect was found: every command still runs.
  const auto r = a3s::test::run_cli({"--home", home.string(), "volume", "ls"});
  CHECK(r.exit_code == 0);
  CHECK(entries(victim) == kVictimEntries);
}

TEST_CASE("a sweep deletes this host's crashed staging entries and leaves other hosts' alone",
          "[safety][staging]") {
  // Hosts that share a home (their records on one etcd cluster) each sweep
  // only what they staged: another host's process IDs mean nothing here, so
  // its live copy must not be taken for a crashed one.
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  { st::Store::open(a3s::test::options_for(home)); }
  const fs::path staging = home / "snapshots" / ".staging";
  fs::create_directories(staging);
  // PID 999999999 is above any pid_max: no process of this host has it.
  const std::string other_host = "999999999.1.0123456789abcdef-1-snapshot";
  const std::string this_host_unnamed = "999999999.1-2-snapshot";  // as named before hosts were
  fs::create_directories(staging / other_host / "rootfs");
  fs::create_directories(staging / this_host_unnamed / "rootfs");

  { st::Store::open(a3s::test::options_for(home)); }  // sweeps
  CHECK(entries(staging) == Names{other_host});
}

TEST_CASE("a symlink in a catalog's place for an entry is refused and never followed",
          "[safety][entries]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const fs::path victim = make_victim(tmp.path() / "victim");
  auto store = st::Store::open(a3s::test::options_for(home));
  const fs::path tree = make_tree(tmp.path() / "tree");

  fs::create_directories(home / "volumes");
  fs::create_directory_symlink(victim, home / "volumes" / "v1");
  REQUIRE_STORE_ERROR(store->volumes().create(volume("v1")), st::ErrorCode::io,
                      (home / "volumes" / "v1").string() + "' is a symlink");
  REQUIRE_STORE_ERROR(store->volumes().get_or_create(volume("v1")), st::ErrorCode::io,
                      "is a symlink");
  CHECK_FALSE(store->volumes().get("v1"));

  fs::create_directories(home / "snapshots");
  fs::create_directory_symlink(victim, home / "snapshots" / "s1");
  REQUIRE_STORE_ERROR(store->snapshots().save(snapshot("s1"), tree), st::ErrorCode::io,
                      (home / "snapshots" / "s1").string() + "' is a symlink");
  CHECK_FALSE(store->snapshots().get("s1"));

  CHECK(entries(victim) == kVictimEntries);
  CHECK(fs::is_symlink(home / "volumes" / "v1"));
  CHECK(fs::is_symlink(home / "snapshots" / "s1"));
  CHECK(a3s::test::staging_leftovers(home).empty());
}

TEST_CASE("removing a record whose directory became a symlink deletes the link, not its target",
          "[safety][entries]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const fs::path victim = make_victim(tmp.path() / "victim");
  auto store = st::Store::open(a3s::test::options_for(home));
  store->volumes().create(volume("v1"));
  store->snapshots().save(snapshot("s1"), make_tree(tmp.path() / "tree"));
  fs::remove_all(home / "volumes" / "v1");
  fs::create_directory_symlink(victim, home / "volumes" / "v1");
  fs::remove_all(home / "snapshots" / "s1");
  fs::create_directory_symlink(victim, home / "snapshots" / "s1");

  store->volumes().remove("v1");
  CHECK(store->snapshots().remove("s1"));
  CHECK_FALSE(fs::exists(fs::symlink_status(home / "volumes" / "v1")));
  CHECK_FALSE(fs::exists(fs::symlink_status(home / "snapshots" / "s1")));
  CHECK(entries(victim) == kVictimEntries);
  CHECK(a3s::test::staging_leftovers(home).empty());
}

TEST_CASE("catalog directories on another file system work for every operation",
          "[safety][mounts]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  ScopedMount disk(tmp.path() / "disk", ScopedMount::Tmpfs{"size=64m"});
  SKIP_UNLESS_MOUNTED(disk);
  // An operator's setup: the catalogs live on another disk, reached through
  // symlinks in the home.
  fs::create_directories(home);
  for (const char* catalog : {"volumes", "snapshots", "images"}) {
    fs::create_directories(tmp.path() / "disk" / catalog);
    fs::create_directory_symlink(tmp.path() / "disk" / catalog, home / catalog);
  }
  const fs::path tree = make_tree(tmp.path() / "tree");
  {
    auto store = st::Store::open(a3s::test::options_for(home));
    const auto v1 = store->volumes().create(volume("v1"));
    CHECK(v1.mount_point == (home / "volumes" / "v1").string());
    CHECK(fs::is_directory(tmp.path() / "disk" / "volumes" / "v1"));
    store->volumes().create(volume("v2"));
    store->volumes().attach("v2", "box-1");
    store->volumes().remove("v1");
    CHECK(store->volumes().prune().empty());
    store->volumes().detach("v2", "box-1");
    CHECK(store->volumes().prune() == Names{"v2"});

    for (const char* id : {"s1", "s2", "s3"}) store->snapshots().save(snapshot(id), tree);
    CHECK(store->snapshots().remove("s1"));
    CHECK(store->snapshots().prune(1, 0).size() == 1);

    store->images().put("app:1", kDigest, tree);
    store->images().remove("app:1");
    store->images().put("app:2", kDigest, tree);
  }
  CHECK(a3s::test::home_problems(home).empty());
  for (const auto& problem : a3s::test::home_problems(home)) WARN(problem);
  CHECK(entries(tmp.path() / "disk" / "volumes") == Names{".staging"});
  CHECK(entries(tmp.path() / "disk" / "snapshots") == Names{".staging", "s3"});
  CHECK(a3s::test::staging_leftovers(home).empty());
  // Nothing went to the home's own file system instead.
  CHECK_FALSE(fs::exists(home / ".staging"));
}

TEST_CASE("a copy of the database opened with --db never sweeps or deletes the home's files",
          "[safety][db-copy]") {
  a3s::test::CliHome home;
  TempDir tmp;
  const fs::path tree = make_tree(tmp.path() / "tree");
  const fs::path copy = tmp.path() / "copy.db";
  // The copy is taken before s1 exists; then s1 is saved by a process that
  // dies after its commit, leaving its intent behind.
  REQUIRE(home.run({"volume", "create", "v0"}).exit_code == 0);
  {
    SQLite::Database live(home.db().string(), SQLite::OPEN_READONLY);
    live.exec("VACUUM INTO '" + copy.string() + "'");
  }
  crash_at(home.path(), "snapshot.save.after_commit",
           [&](st::Store& s) { s.snapshots().save(snapshot("s1"), tree); });
  const fs::path rootfs = home.path() / "snapshots" / "s1" / "rootfs";
  REQUIRE(fs::is_directory(rootfs));
  REQUIRE_FALSE(a3s::test::staging_leftovers(home.path()).empty());  // the intent

  const auto ls = home.run({"--db", copy.string(), "snapshot", "ls"});
  INFO(ls.err);
  CHECK(ls.exit_code == 0);
  CHECK(fs::is_directory(rootfs));
  CHECK_FALSE(a3s::test::staging_leftovers(home.path()).empty());  // not the copy's to sweep

  // Through a copy that has the row, a delete is refused and nothing changes.
  {
    SQLite::Database live(home.db().string(), SQLite::OPEN_READONLY);
    fs::remove(copy);
    live.exec("VACUUM INTO '" + copy.string() + "'");
  }
  home.fails_quietly({"--db", copy.string(), "snapshot", "rm", "s1"}, "not the home's own");
  home.fails_quietly({"--db", copy.string(), "volume", "rm", "v0"}, "not the home's own");
  home.fails_quietly({"--db", copy.string(), "volume", "create", "v9"}, "not the home's own");
  CHECK(fs::is_directory(rootfs));
  CHECK(fs::is_directory(home.path() / "volumes" / "v0"));
  CHECK_FALSE(fs::exists(home.path() / "volumes" / "v9"));
  CHECK(home.run_json({"--db", copy.string(), "snapshot", "ls"}).size() == 1);
  CHECK(home.run_json({"--db", copy.string(), "volume", "ls"}).size() == 1);
  // Rows alone may change through the copy.
  CHECK(home.run({"--db", copy.string(), "volume", "attach", "v0", "box-1"}).exit_code == 0);

  // The live home, opened on its own database, finishes the crashed save.
  CHECK(home.run_json({"snapshot", "ls"}).size() == 1);
  CHECK(fs::is_directory(rootfs));
  CHECK(a3s::test::staging_leftovers(home.path()).empty());
  CHECK(a3s::test::home_problems(home.path()).empty());
}

TEST_CASE("a directory that cannot be moved is reported by the command and never blocks an open",
          "[safety][mounts]") {
  a3s::test::CliHome home;
  TempDir tmp;
  REQUIRE(home.run({"volume", "create", "data"}).exit_code == 0);
  const fs::path dir = home.path() / "volumes" / "data";
  fs::create_directories(tmp.path() / "source");
  a3s::test::write_file(tmp.path() / "source" / "keep", "user data");
  ScopedMount bind(dir, ScopedMount::Bind{tmp.path() / "source"});
  SKIP_UNLESS_MOUNTED(bind);

  const auto rm = home.run({"volume", "rm", "data"});
  INFO(rm.err);
  CHECK(rm.exit_code == 1);
  CHECK(rm.err.find("volume 'data' was removed") != std::string::npos);
  CHECK(rm.err.find(dir.string()) != std::string::npos);
  CHECK(rm.err.find("busy") != std::string::npos);
  CHECK(a3s::test::read_file(tmp.path() / "source" / "keep") == "user data");

  // Every later command opens the home as usual, and leaves the mount alone.
  const auto ls = home.run({"volume", "ls"});
  INFO(ls.err);
  CHECK(ls.exit_code == 0);
  CHECK(home.run({"volume", "create", "other"}).exit_code == 0);
  CHECK(a3s::test::read_file(tmp.path() / "source" / "keep") == "user data");

  // Once it is unmounted, the next open finishes the removal.
  bind.unmount();
  CHECK(home.run({"volume", "ls"}).exit_code == 0);
  CHECK_FALSE(fs::exists(dir));
  CHECK(a3s::test::staging_leftovers(home.path()).empty());
  CHECK(a3s::test::read_file(tmp.path() / "source" / "keep") == "user data");
}

TEST_CASE("a volume create that fails leaves no directory behind", "[safety][volumes]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";

  SECTION("the commit fails") {
    auto store = st::Store::open(a3s::test::options_for(home));
    st::detail::set_fault_hook([](std::string_view at) {
      if (at == "volume.create.before_commit") {
        throw st::Error(st::ErrorCode::io, "disk I/O error (injected)");
      }
    });
    REQUIRE_STORE_ERROR(store->volumes().create(volume("v1")), st::ErrorCode::io, "injected");
    st::detail::set_fault_hook({});
    CHECK_FALSE(store->volumes().get("v1"));
    CHECK_FALSE(fs::exists(home / "volumes" / "v1"));
    CHECK(a3s::test::staging_leftovers(home).empty());
  }

  SECTION("the disk is full") {
    ScopedMount disk(home, ScopedMount::Tmpfs{"size=2m"});
    SKIP_UNLESS_MOUNTED(disk);
    auto store = st::Store::open(a3s::test::options_for(home));
    store->volumes().create(volume("v0"));
    {
      std::ofstream filler(home / "filler", std::ios::binary);
      const std::string block(64 * 1024, 'x');
      for (int i = 0; i < 64 && filler.write(block.data(), block.size()); ++i) {
        filler.flush();
      }
    }
    bool failed = false;
    for (int i = 1; i <= 50 && !failed; ++i) {
      try {
        store->volumes().create(volume("v" + std::to_string(i)));
      } catch (const st::Error& e) {
        failed = true;
        const std::string name = "v" + std::to_string(i);
        INFO(e.what());
        CHECK_FALSE(fs::exists(home / "volumes" / name));
        CHECK_FALSE(store->volumes().get(name));
      }
    }
    CHECK(failed);
    for (const auto& v : store->volumes().list()) CHECK(fs::is_directory(v.mount_point));
    fs::remove(home / "filler");
    store.reset();
    CHECK(a3s::test::home_problems(st::Store::open(a3s::test::options_for(home))->options().home)
              .empty());
  }
}

TEST_CASE("a home given through a symlink or as a relative path is the same home",
          "[safety][home]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const fs::path link = tmp.path() / "link";
  fs::create_directories(home);
  fs::create_directory_symlink(home, link);
  const fs::path real = fs::canonical(home);

  SECTION("mount points are stored from the canonical home") {
    {
      auto store = st::Store::open(a3s::test::options_for(link));
      CHECK(store->options().home == real);
      CHECK(store->volumes().create(volume("v1")).mount_point ==
            (real / "volumes" / "v1").string());
    }
    const fs::path cwd = fs::current_path();
    fs::current_path(tmp.path());
    try {
      auto store = st::Store::open(a3s::test::options_for("home"));
      CHECK(store->options().home == real);
      CHECK(store->volumes().create(volume("rv")).mount_point ==
            (real / "volumes" / "rv").string());
    } catch (...) {
      fs::current_path(cwd);
      throw;
    }
    fs::current_path(cwd);
  }

  SECTION("a delete cut short through one spelling is finished through another") {
    const fs::path tree = make_tree(tmp.path() / "tree");
    {
      auto store = st::Store::open(a3s::test::options_for(link));
      store->snapshots().save(snapshot("s1"), tree);
      store->volumes().create(volume("v1"));
    }
    crash_at(link, "snapshot.delete.after_commit",
             [](st::Store& s) { s.snapshots().remove("s1"); });
    CHECK(fs::exists(real / "snapshots" / "s1"));  // its row is gone, its intent stays
    crash_at(link, "files.retire.after_move", [](st::Store& s) { s.volumes().remove("v1"); });
    { st::Store::open(a3s::test::options_for(home)); }  // sweeps
    CHECK_FALSE(fs::exists(real / "snapshots" / "s1"));
    CHECK_FALSE(fs::exists(real / "volumes" / "v1"));
    CHECK(a3s::test::staging_leftovers(real).empty());
    CHECK(a3s::test::home_problems(real).empty());
  }
}

TEST_CASE("copies into the home carry no privilege and keep times and ownership",
          "[safety][copy]") {
  if (!running_as_root()) {
    WARN("skipped: giving a file to another owner needs root");
    return;
  }
  a3s::test::CliHome home;
  TempDir tmp;
  const fs::path tree = tmp.path() / "tree";
  fs::create_directories(tree / "bin");
  a3s::test::write_file(tree / "bin" / "myid", "#!/bin/sh\nid\n");
  REQUIRE(::chown((tree / "bin" / "myid").c_str(), 1000, 1000) == 0);
  REQUIRE(::chmod((tree / "bin" / "myid").c_str(), 04755) == 0);
  const auto then = fs::file_time_type::clock::now() - std::chrono::hours(24 * 400);
  fs::last_write_time(tree / "bin" / "myid", then);

  REQUIRE(home.run({"snapshot", "save", "--rootfs", tree.string(), "--id", "s1", "--name", "s1",
                    "--box", "b1", "--image", "alpine:3.20"})
              .exit_code == 0);
  REQUIRE(home.run({"image", "put", "app:1", kDigest, tree.string()}).exit_code == 0);
  for (const fs::path& copy :
       {home.path() / "snapshots" / "s1" / "rootfs" / "bin" / "myid",
        home.path() / "images" / "sha256" / std::string(64, 'a') / "bin" / "myid"}) {
    INFO(copy);
    struct stat st {};
    REQUIRE(::lstat(copy.c_str(), &st) == 0);
    // Kept by its owner: setuid to uid 1000, never a root-owned setuid file.
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1000);
    CHECK((st.st_mode & 07777) == 04755);
    CHECK(fs::last_write_time(copy) == fs::last_write_time(tree / "bin" / "myid"));
  }
}

namespace {

// The system calls `args` makes when run by the CLI under strace (-y names
// each descriptor's path), or nullopt when strace cannot run here.
std::optional<std::vector<std::string>> traced_cli(const std::vector<std::string>& args,
                                                   const fs::path& out) {
  std::string command = "strace -f -y -qq -e trace=mkdirat,renameat2,fsync -o '" + out.string() +
                        "' '" + std::getenv("A3S_STORE_CLI") + "'";
  for (const auto& arg : args) command += " '" + arg + "'";
  command += " >/dev/null 2>&1 </dev/null";
  if (std::system(command.c_str()) != 0 || !fs::exists(out)) return std::nullopt;
  std::vector<std::string> lines;
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Whether a line containing every one of `first` comes before a line
// containing every one of `then`.
bool happens_before(const std::vector<std::string>& lines, const Names& first, const Names& then) {
  auto matches = [](const std::string& line, const Names& parts) {
    for (const auto& part : parts) {
      if (line.find(part) == std::string::npos) return false;
    }
    return true;
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!matches(lines[i], first)) continue;
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      if (matches(lines[j], then)) return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("a new entry and a new catalog are durable before their row commits",
          "[safety][durability]") {
  a3s::test::CliHome home;
  TempDir tmp;
  const std::string h = home.path().string();
  REQUIRE(home.run({"migrate", "status"}).exit_code == 0);  // the database exists

  const auto volume_create =
      traced_cli({"--home", h, "volume", "create", "v1"}, tmp.path() / "volume.trace");
  if (!volume_create) {
    WARN("skipped: strace is not available or not permitted here");
    return;
  }
  // mkdir of volumes/ made durable in the home, the rename into volumes/
  // made durable in volumes/.
  CHECK(happens_before(*volume_create, {"mkdirat(", h + ">", "\"volumes\""},
                       {"fsync(", "<" + h + ">)"}));
  CHECK(happens_before(*volume_create, {"renameat2(", "\"v1\"", "RENAME_NOREPLACE"},
                       {"fsync(", "<" + h + "/volumes>)"}));

  make_tree(tmp.path() / "tree");
  const auto save =
      traced_cli({"--home", h, "snapshot", "save", "--rootfs", (tmp.path() / "tree").string(),
                  "--id", "s1", "--name", "s1", "--box", "b1", "--image", "alpine:3.20"},
                 tmp.path() / "save.trace");
  REQUIRE(save);
  CHECK(happens_before(*save, {"mkdirat(", h + ">", "\"snapshots\""}, {"fsync(", "<" + h + ">)"}));
  CHECK(happens_before(*save, {"renameat2(", "\"s1\""}, {"fsync(", "<" + h + "/snapshots>)"}));
  CHECK(home.run_json({"snapshot", "ls"}).size() == 1);
}

TEST_CASE("an intent that cannot be written is reported with the system's reason",
          "[safety][volumes]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const fs::path report = tmp.path() / "report";
  st::Store::open(a3s::test::options_for(home)).reset();
  // In a child: with a file size limit of 0 every write() fails with EFBIG
  // (SIGXFSZ ignored), and the intent is the first file a create writes.
  const auto codes = a3s::test::run_in_children(1, [&](int) {
    auto store = st::Store::open(a3s::test::options_for(home));
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    ::getrlimit(RLIMIT_FSIZE, &limit);
    const rlimit saved = limit;
    limit.rlim_cur = 0;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 2;
    std::string message;
    try {
      store->volumes().create(volume("v1"));
    } catch (const st::Error& e) {
      message = std::string(st::to_string(e.code())) + ": " + e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    a3s::test::write_file(report, message);
    return 0;
  });
  REQUIRE(codes == std::vector<int>{0});
  const std::string message = a3s::test::read_file(report);
  INFO(message);
  CHECK(message.starts_with("io: volume 'v1': cannot write '"));
  CHECK(message.find("-intent': " + std::string(std::strerror(EFBIG))) != std::string::npos);
  auto store = st::Store::open(a3s::test::options_for(home));
  CHECK_FALSE(store->volumes().get("v1"));
  CHECK_FALSE(fs::exists(home / "volumes" / "v1"));
  CHECK(a3s::test::staging_leftovers(home).empty());
}
