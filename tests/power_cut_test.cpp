// Power cuts (SPEC §4 "Durability"): a forked child runs a sequence of store
// transactions through the test VFS (support/test_vfs.hpp), which cuts the
// power at a chosen call — every write since the last sync lost, or a random
// subset kept and the last page torn — and kills the child. The home is then
// reopened with the real VFS: the database passes integrity_check, the files
// match the rows, and the state is one the sequence went through: with
// synchronous=FULL every acknowledged transaction is there; with NORMAL it
// is the state after some prefix of the sequence (only the latest missing).
//
// Directory entries too: this binary interposes the directory calls the
// library makes (mkdirat, openat64 with O_CREAT, symlinkat, linkat,
// renameat, renameat2, unlinkat), fsync/fdatasync and syncfs, and keeps a
// journal of the entries changed since each directory's last fsync. A power
// cut undoes those, newest first, as a file system that loses what was not
// synced would: a mkdir or a created file vanishes with what is inside
// (from where a durable rename of a directory above it moved it), a rename
// goes back, an unlinked file or directory returns. A rename counts
// as made durable by an fsync of either directory (a journaling file system
// commits it as one transaction); a syncfs makes every entry of its file
// system durable. Files' contents are not modelled here (the library syncs
// every file it writes; the database's are the VFS's).
//
// A3S_POWER_CUT_SEED overrides the seed of the torn cuts (printed).
#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include <cstdarg>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

#include "a3s/store/store.hpp"
#include "home_check.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "test_vfs.hpp"
#include "totals_check.hpp"

using namespace a3s::store;
namespace fs = std::filesystem;
namespace vfs = a3s::test::vfs;

namespace {

// The directory journal (see the file comment). Used by one thread: the
// child that records it.
namespace dirs {

using DirId = std::pair<dev_t, ino_t>;

struct Entry {
  enum class Type { made, renamed, unlinked_file, unlinked_dir, unlinked_symlink };
  Type type = Type::made;
  std::string path;     // made, unlinked: the entry; renamed: its old path
  std::string to_path;  // renamed: its new path
  DirId dir{};          // the directory holding `path`
  DirId to_dir{};       // renamed: the directory holding `to_path`
  std::string content;  // unlinked_file: its bytes; unlinked_symlink: its target
  mode_t mode = 0;
  bool durable = false;
};

bool recording = false;
std::vector<Entry> journal;
std::uint64_t calls = 0;    // directory calls while recording
std::uint64_t cut_at = 0;   // 0: none armed
std::function<void()> cut;  // cuts the power; never returns

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

DirId id_of(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return {st.st_dev, st.st_ino};
}

std::string path_of(int dirfd, const char* name) {
  if (name[0] == '/') return name;
  char link[PATH_MAX] = {};
  const std::string proc = "/proc/self/fd/" + std::to_string(dirfd);
  const ssize_t n = dirfd == AT_FDCWD ? -1 : ::readlink(proc.c_str(), link, sizeof link - 1);
  const std::string dir =
      n > 0 ? std::string(link, static_cast<std::size_t>(n)) : fs::current_path().string();
  return dir + "/" + name;
}

DirId parent_id(int dirfd, const char* name) {
  if (name[0] != '/' && dirfd != AT_FDCWD) return id_of(dirfd);
  struct stat st {};
  ::stat(fs::path(path_of(dirfd, name)).parent_path().c_str(), &st);
  return {st.st_dev, st.st_ino};
}

// Counts a directory call; cuts the power before it when it is the armed one.
void before_call() {
  if (++calls == cut_at) cut();
}

// Where the entry made as journal[i] is now: moved along by every later
// rename that stays (a durable one) of a directory above it. nullopt when
// such a rename moved the entry itself: its new directory was synced with
// it, so it stays too.
std::optional<std::string> made_entry_now(std::size_t i) {
  std::string path = journal[i].path;
  for (std::size_t j = i + 1; j < journal.size(); ++j) {
    const Entry& rename = journal[j];
    if (rename.type != Entry::Type::renamed || !rename.durable) continue;
    if (path == rename.path) return std::nullopt;
    if (path.rfind(rename.path + "/", 0) == 0) {
      path = rename.to_path + path.substr(rename.path.size());
    }
  }
  return path;
}

// Undoes every entry change not made durable, newest first.
void undo_unsynced() {
  recording = false;
  for (auto it = journal.rbegin(); it != journal.rend(); ++it) {
    if (it->durable) continue;
    std::error_code ignored;
    switch (it->type) {
      case Entry::Type::made:
        if (const auto now = made_entry_now(journal.rend() - it - 1)) fs::remove_all(*now, ignored);
        break;
      case Entry::Type::renamed:
        ::rename(it->to_path.c_str(), it->path.c_str());
        break;
      case Entry::Type::unlinked_file:
        std::ofstream(it->path, std::ios::binary) << it->content;  // fails with its directory
        ::chmod(it->path.c_str(), it->mode);
        break;
      case Entry::Type::unlinked_dir:
        ::mkdir(it->path.c_str(), it->mode);
        break;
      case Entry::Type::unlinked_symlink:
        ::symlink(it->content.c_str(), it->path.c_str());
        break;
    }
  }
}

void record_made(int dirfd, const char* name) {
  Entry entry;
  entry.type = Entry::Type::made;
  entry.path = path_of(dirfd, name);
  entry.dir = parent_id(dirfd, name);
  journal.push_back(std::move(entry));
}

void synced(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) return;
  const DirId dir{st.st_dev, st.st_ino};
  for (auto& entry : journal) {
    if (entry.dir == dir || (entry.type == Entry::Type::renamed && entry.to_dir == dir)) {
      entry.durable = true;
    }
  }
}

// A syncfs of the file system holding `fd`: every entry on it is durable.
void synced_file_system(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return;
  for (auto& entry : journal) {
    if (entry.dir.first == st.st_dev) entry.durable = true;
  }
}

}  // namespace dirs

}  // namespace

// The interposed calls: with the journal off, each is the C library's.
extern "C" {

int mkdirat(int dirfd, const char* name, mode_t mode) {
  static const auto next = dirs::real<int (*)(int, const char*, mode_t)>("mkdirat");
  if (!dirs::recording) return next(dirfd, name, mode);
  dirs::before_call();
  const int rc = next(dirfd, name, mode);
  if (rc == 0) dirs::record_made(dirfd, name);
  return rc;
}

int openat64(int dirfd, const char* name, int flags, ...) {
  static const auto next = dirs::real<int (*)(int, const char*, int, ...)>("openat64");
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list args;
    va_start(args, flags);
    mode = static_cast<mode_t>(va_arg(args, int));
    va_end(args);
  }
  if (!dirs::recording || (flags & O_CREAT) == 0) return next(dirfd, name, flags, mode);
  struct stat st {};
  const bool existed = ::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!existed) dirs::before_call();
  const int fd = next(dirfd, name, flags, mode);
  if (fd >= 0 && !existed) dirs::record_made(dirfd, name);
  return fd;
}

int symlinkat(const char* target, int dirfd, const char* name) {
  static const auto next = dirs::real<int (*)(const char*, int, const char*)>("symlinkat");
  if (!dirs::recording) return next(target, dirfd, name);
  dirs::before_call();
  const int rc = next(target, dirfd, name);
  if (rc == 0) dirs::record_made(dirfd, name);
  return rc;
}

int linkat(int from_dirfd, const char* from, int dirfd, const char* name, int flags) {
  static const auto next = dirs::real<int (*)(int, const char*, int, const char*, int)>("linkat");
  if (!dirs::recording) return next(from_dirfd, from, dirfd, name, flags);
  dirs::before_call();
  const int rc = next(from_dirfd, from, dirfd, name, flags);
  if (rc == 0) dirs::record_made(dirfd, name);
  return rc;
}

int renameat2(int from_dirfd, const char* from, int to_dirfd, const char* to, unsigned flags) {
  static const auto next =
      dirs::real<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  if (!dirs::recording) return next(from_dirfd, from, to_dirfd, to, flags);
  dirs::before_call();
  dirs::Entry entry;
  entry.type = dirs::Entry::Type::renamed;
  entry.path = dirs::path_of(from_dirfd, from);
  entry.to_path = dirs::path_of(to_dirfd, to);
  entry.dir = dirs::parent_id(from_dirfd, from);
  entry.to_dir = dirs::parent_id(to_dirfd, to);
  const int rc = next(from_dirfd, from, to_dirfd, to, flags);
  if (rc == 0) dirs::journal.push_back(std::move(entry));
  return rc;
}

int renameat(int from_dirfd, const char* from, int to_dirfd, const char* to) {
  return renameat2(from_dirfd, from, to_dirfd, to, 0);
}

int unlinkat(int dirfd, const char* name, int flags) {
  static const auto next = dirs::real<int (*)(int, const char*, int)>("unlinkat");
  if (!dirs::recording) return next(dirfd, name, flags);
  dirs::before_call();
  dirs::Entry entry;
  entry.type = dirs::Entry::Type::unlinked_file;
  entry.path = dirs::path_of(dirfd, name);
  entry.dir = dirs::parent_id(dirfd, name);
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    entry.mode = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      entry.type = dirs::Entry::Type::unlinked_dir;
    } else if (S_ISLNK(st.st_mode)) {
      entry.type = dirs::Entry::Type::unlinked_symlink;
      entry.content = fs::read_symlink(entry.path).string();
    } else {
      entry.content = a3s::test::read_file(entry.path);
    }
  }
  const int rc = next(dirfd, name, flags);
  if (rc == 0) dirs::journal.push_back(std::move(entry));
  return rc;
}

int fsync(int fd) {
  static const auto next = dirs::real<int (*)(int)>("fsync");
  if (!dirs::recording) return next(fd);
  dirs::before_call();
  const int rc = next(fd);
  if (rc == 0) dirs::synced(fd);
  return rc;
}

int fdatasync(int fd) {
  static const auto next = dirs::real<int (*)(int)>("fdatasync");
  if (!dirs::recording) return next(fd);
  dirs::before_call();
  const int rc = next(fd);
  if (rc == 0) dirs::synced(fd);
  return rc;
}

int syncfs(int fd) {
  static const auto next = dirs::real<int (*)(int)>("syncfs");
  if (!dirs::recording) return next(fd);
  dirs::before_call();
  const int rc = next(fd);
  if (rc == 0) dirs::synced_file_system(fd);
  return rc;
}

}  // extern "C"

namespace {

constexpr const char* kDigestA =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kDigestB =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// A sequence of store transactions, each acknowledged when its call returns.
struct Sequence {
  Durability durability;
  int steps;
  // Makes the home the sequence starts from (real VFS, no journal).
  std::function<void(Store&, const fs::path& home)> set_up;
  std::function<void(Store&, const fs::path& home, int step)> run_step;
  // What the sequence changes, as one string.
  std::function<std::string(Store&)> state_of;
};

Options options(const fs::path& home, Durability durability) {
  Options o = a3s::test::options_for(home);
  o.durability = durability;
  return o;
}

// Transactions through the database alone: a network created, boxes
// connected and disconnected, volume attachments, and large label rewrites
// (~100 pages each, so that the WAL reaches its checkpoint and the main
// file is written too).
Sequence database_sequence(Durability durability) {
  Sequence s{durability, 44, nullptr, nullptr, nullptr};
  s.set_up = [](Store& store, const fs::path&) {
    store.volumes().create(a3s::test::minimal_volume("v"));
  };
  s.run_step = [](Store& store, const fs::path&, int i) {
    const std::string box = "box-" + std::to_string(i);
    if (i == 0) {
      NetworkConfig n;
      n.name = "pc";
      n.subnet = "10.77.0.0/16";
      n.gateway = "10.77.0.1";
      n.created_at = "2026-01-01T00:00:00Z";
      store.networks().create(n);
    } else if (i % 4 == 1) {
      store.networks().connect("pc", box, "name-" + std::to_string(i));
    } else if (i % 4 == 2) {
      store.volumes().attach("v", box);
    } else if (i % 4 == 3) {
      NetworkConfig n = *store.networks().get("pc");
      n.labels.clear();
      n.labels["generation"] = std::to_string(i);
      for (int k = 0; k < 100; ++k) {
        n.labels["l" + std::to_string(k)] =
            std::string(4000, static_cast<char>('a' + (i + k) % 26));
      }
      store.networks().update(n);
    } else {
      store.networks().disconnect("pc", "box-" + std::to_string(i - 3));
    }
  };
  s.state_of = [](Store& store) {
    std::string state;
    if (auto n = store.networks().get("pc")) {
      state += "pc";
      for (const auto& [box, e] : n->endpoints) state += " " + box + "=" + e.ip_address;
      const auto generation = n->labels.find("generation");
      state += " gen=" + (generation == n->labels.end() ? std::string("-") : generation->second);
    }
    state += " |";
    const auto volume = store.volumes().get("v");
    for (const auto& user : volume->in_use_by) state += " " + user;
    return state;
  };
  return s;
}

SnapshotMetadata snapshot(const std::string& id, int second) {
  SnapshotMetadata s = a3s::test::minimal_snapshot(id);
  s.created_at = parse_rfc3339("2026-01-01T00:00:0" + std::to_string(second) + "Z", "created_at");
  return s;
}

// Transactions that put directories in place and delete them (SPEC §4
// "Files and rows stay consistent"), with synchronous=FULL.
Sequence file_sequence() {
  Sequence s{Durability::full, 13, nullptr, nullptr, nullptr};
  s.set_up = [](Store&, const fs::path& home) {
    const fs::path tree = home.parent_path() / "tree";
    if (fs::exists(tree)) return;
    fs::create_directories(tree / "etc" / "app");
    a3s::test::write_file(tree / "etc" / "app" / "config", std::string(1000, 'c'));
    a3s::test::write_file(tree / "index.html", std::string(2000, 'h'));
    fs::create_symlink("index.html", tree / "link");
  };
  s.run_step = [](Store& store, const fs::path& home, int i) {
    const fs::path tree = home.parent_path() / "tree";
    switch (i) {
      case 0:
        store.volumes().create(a3s::test::minimal_volume("v1"));
        break;
      case 1:
        store.snapshots().save(snapshot("s1", 1), tree);
        break;
      case 2:
        store.images().put("app:1", kDigestA, tree);
        break;
      case 3:
        store.snapshots().save(snapshot("s2", 2), tree);
        break;
      case 4:
        store.volumes().create(a3s::test::minimal_volume("v2"));
        break;
      case 5:
        store.snapshots().remove("s1");
        break;
      case 6:
        store.images().put("app:2", kDigestB, tree);
        break;
      case 7:
        store.images().remove("app:1");
        break;
      case 8:
        store.volumes().remove("v1", /*force=*/false);
        break;
      case 9:
        store.snapshots().save(snapshot("s3", 3), tree);
        break;
      case 10:
        store.snapshots().prune(1, 0);
        break;
      case 11:
        store.volumes().prune();
        break;
      default:
        store.images().evict(0);
        break;
    }
  };
  s.state_of = [](Store& store) {
    std::string state = "volumes:";
    for (const auto& v : store.volumes().list()) state += " " + v.name;
    state += " snapshots:";
    for (const auto& snap : store.snapshots().list()) {
      state += " " + snap.id + "=" + std::to_string(snap.size_bytes);
      // A visible snapshot has all its files.
      const fs::path rootfs = store.snapshots().directory_of(snap.id) / "rootfs";
      if (a3s::test::regular_file_bytes(rootfs) != snap.size_bytes) state += "(incomplete)";
    }
    state += " images:";
    for (const auto& image : store.images().list()) {
      state += " " + image.reference + "=" + image.digest.substr(7, 4);
      if (a3s::test::regular_file_bytes(image.path) != image.size_bytes) state += "(incomplete)";
    }
    return state;
  };
  return s;
}

// The state after each prefix of `seq`: [0] before it, [i] after i
// transactions; run on a home of its own with the real VFS.
std::vector<std::string> states_of(const Sequence& seq) {
  a3s::test::TempDir work;
  const fs::path home = work.path() / "home";
  auto store = Store::open(options(home, seq.durability));
  seq.set_up(*store, home);
  std::vector<std::string> states{seq.state_of(*store)};
  for (int i = 0; i < seq.steps; ++i) {
    seq.run_step(*store, home, i);
    states.push_back(seq.state_of(*store));
  }
  return states;
}

// Where to cut: at a mutating call of the VFS or at a directory call.
enum class CutSource { database, directory };

struct Cut {
  CutSource source;
  std::uint64_t at;  // 1-based; 0: no cut
  vfs::CutMode mode;
  std::uint32_t seed;
};

// What a child reports: the calls it made (uncut) or what it had
// acknowledged when the power went.
struct ChildReport {
  long database_calls = -1;
  long directory_calls = -1;
  int acknowledged = -1;
};

// Runs `seq` in a child through the test VFS and the directory journal,
// cut as `cut` says.
ChildReport run_child(const Sequence& seq, const fs::path& home, const Cut& cut) {
  const fs::path report = home.parent_path() / "report";
  fs::remove(report);
  const auto codes = a3s::test::run_in_children(1, [&](int) {
    static int acknowledged = 0;
    static std::string report_path;
    report_path = report.string();
    const auto on_cut = [] {
      dirs::undo_unsynced();
      std::ofstream(report_path) << "-1 -1 " << acknowledged;
    };
    vfs::install();
    if (cut.source == CutSource::database && cut.at > 0) {
      vfs::power_cut_at(cut.at, cut.mode, cut.seed, on_cut);
    } else if (cut.at > 0) {
      dirs::cut_at = cut.at;
      dirs::cut = [mode = cut.mode, seed = cut.seed, on_cut] {
        vfs::cut_power_now(mode, seed, on_cut);
      };
    }
    dirs::recording = true;
    auto store = Store::open(options(home, seq.durability));
    for (int i = 0; i < seq.steps; ++i) {
      seq.run_step(*store, home, i);
      acknowledged = i + 1;
    }
    dirs::recording = false;
    std::ofstream(report) << vfs::mutating_calls() << " " << dirs::calls << " " << acknowledged;
    return 0;
  });
  INFO("cut at call " << cut.at);
  REQUIRE(codes == std::vector<int>{cut.at == 0 ? 0 : 128 + SIGKILL});
  ChildReport r;
  std::ifstream(report) >> r.database_calls >> r.directory_calls >> r.acknowledged;
  return r;
}

std::uint32_t seed_from_env() { return a3s::test::seed_from_env("A3S_POWER_CUT_SEED", 20261203); }

struct Figures {
  int cuts = 0;
  long verified_full = 0;
  long verified_normal = 0;
  int torn_cuts = 0;
};

// Cuts the power at `cuts` points spread over the calls of `source` that
// `seq` makes (every call when there are fewer) and checks the home after
// each: integrity_check, files matching rows, a state the sequence went
// through with every acknowledged transaction (FULL) or a prefix (NORMAL).
void cut_many(const Sequence& seq, const std::vector<std::string>& states, CutSource source,
              vfs::CutMode mode, int cuts, std::uint32_t seed, Figures& figures) {
  a3s::test::TempDir work;
  // Each run starts from a copy of one home the sequence's set_up made.
  const fs::path start = work.path() / "start";
  const fs::path home = work.path() / "home";
  {
    auto store = Store::open(options(start, seq.durability));
    seq.set_up(*store, start);
  }
  auto prepare = [&] {
    fs::remove_all(home);
    fs::copy(start, home, fs::copy_options::recursive);
  };
  prepare();
  const ChildReport whole = run_child(seq, home, {source, 0, mode, 0});
  const long calls = source == CutSource::database ? whole.database_calls : whole.directory_calls;
  REQUIRE(calls > 0);
  cuts = static_cast<int>(std::min<long>(cuts, calls));
  for (int c = 0; c < cuts; ++c) {
    // Spread over [1, calls]; the seed moves the points between runs.
    const auto at =
        static_cast<std::uint64_t>(std::min<long>(calls, 1 + (c * calls) / cuts + (seed + c) % 3));
    prepare();
    const ChildReport report = run_child(seq, home, {source, at, mode, seed + c});
    const int acknowledged = report.acknowledged;
    INFO((seq.durability == Durability::full ? "FULL" : "NORMAL")
         << ", " << (mode == vfs::CutMode::torn ? "torn" : "unsynced lost") << ", cut at "
         << (source == CutSource::database ? "database" : "directory") << " call " << at << " of "
         << calls << ", seed " << seed + c << ", " << acknowledged << " acknowledged");
    REQUIRE(acknowledged >= 0);
    {
      SQLite::Database db((home / "box.db").string(), SQLite::OPEN_READWRITE);
      CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    }
    auto store = Store::open(options(home, seq.durability));  // sweeps
    const std::string state = seq.state_of(*store);
    INFO("state after the cut: " << state);
    const auto found = std::find(states.begin(), states.end(), state);
    REQUIRE(found != states.end());
    const auto present = static_cast<int>(found - states.begin());
    if (seq.durability == Durability::full) {
      // Every acknowledged transaction, and maybe the one in flight.
      CHECK((present == acknowledged || present == acknowledged + 1));
      figures.verified_full += acknowledged;
    } else {
      CHECK(present <= acknowledged + 1);
      figures.verified_normal += present;
    }
    const auto problems = a3s::test::home_problems(home);
    CHECK(problems == std::vector<std::string>{});
    CHECK(a3s::test::totals_problems(home / "box.db") == std::vector<std::string>{});
    ++figures.cuts;
    if (mode == vfs::CutMode::torn) ++figures.torn_cuts;
  }
}

}  // namespace

TEST_CASE("a power cut keeps every acknowledged transaction (FULL) or a prefix (NORMAL)",
          "[power_cut]") {
  const std::uint32_t seed = seed_from_env();
  std::cout << "power cut seed " << seed << " (A3S_POWER_CUT_SEED)\n";
  Figures figures;
  const auto full = database_sequence(Durability::full);
  const auto full_states = states_of(full);
  cut_many(full, full_states, CutSource::database, vfs::CutMode::unsynced_lost, 36, seed, figures);
  cut_many(full, full_states, CutSource::database, vfs::CutMode::torn, 24, seed, figures);
  const auto normal = database_sequence(Durability::normal);
  const auto normal_states = states_of(normal);
  REQUIRE(normal_states == full_states);
  cut_many(normal, normal_states, CutSource::database, vfs::CutMode::unsynced_lost, 24, seed,
           figures);
  cut_many(normal, normal_states, CutSource::database, vfs::CutMode::torn, 24, seed, figures);
  std::cout << "power cut: " << figures.cuts << " cuts, " << figures.verified_full
            << " transactions verified (FULL), " << figures.verified_normal
            << " (NORMAL), mode torn: " << figures.torn_cuts << " cuts\n";
}

TEST_CASE("a power cut loses no directory entry a committed row needs", "[power_cut]") {
  const std::uint32_t seed = seed_from_env();
  Figures figures;
  const auto files = file_sequence();
  const auto states = states_of(files);
  cut_many(files, states, CutSource::directory, vfs::CutMode::unsynced_lost, 80, seed, figures);
  const int at_directory_calls = figures.cuts;
  cut_many(files, states, CutSource::database, vfs::CutMode::unsynced_lost, 16, seed, figures);
  std::cout << "power cut (directories): " << figures.cuts << " cuts (" << at_directory_calls
            << " at directory calls), " << figures.verified_full
            << " transactions verified (FULL)\n";
}
