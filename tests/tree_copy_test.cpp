// copy_tree (lib/src/tree_copy.hpp): what a copy keeps
// (contents, modes, owners, times, hard links, holes, special files), what
// it refuses to do (follow a symlink, wait on a fifo, grant a set-ID bit to
// another owner), the bytes it reports, and its one sync: a failed syncfs
// fails the copy, and a snapshot save or image put with it. Parts that need
// root warn and are skipped without it; parts that need an unprivileged
// process run in a child that drops to uid and gid 65534.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "a3s/store/error.hpp"
#include "a3s/store/store.hpp"
#include "fault_injection.hpp"
#include "log.hpp"
#include "minimal_records.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"
#include "tree_copy.hpp"

using namespace a3s::store;
using a3s::test::kNobody;
using a3s::test::read_file;
using a3s::test::TempDir;
using a3s::test::unprivileged;
using a3s::test::write_file;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

// syncfs() as interposed below: the devices of the file systems it was
// called on, and whether it fails with EIO (as after a writeback error).
// Used by the test thread alone.
std::vector<dev_t> g_synced_devices;
bool g_syncfs_fails = false;

// Makes syncfs() fail with EIO until the scope ends.
class SyncfsFails {
 public:
  SyncfsFails() { g_syncfs_fails = true; }
  ~SyncfsFails() { g_syncfs_fails = false; }
  SyncfsFails(const SyncfsFails&) = delete;
  SyncfsFails& operator=(const SyncfsFails&) = delete;
};

}  // namespace

// The library's syncfs(): recorded, then the system call, or EIO.
extern "C" int syncfs(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0) g_synced_devices.push_back(st.st_dev);
  if (g_syncfs_fails) {
    errno = EIO;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_syncfs, fd));
}

namespace {

// An open directory for the *at() calls under test, closed at scope end.
class DirFd {
 public:
  explicit DirFd(const fs::path& dir)
      : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + dir.string());
  }
  ~DirFd() { ::close(fd_); }
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Copies `source` to a new directory `parent`/`name`.
detail::CopyStats copy(const fs::path& source, const fs::path& parent, const std::string& name) {
  DirFd dir(parent);
  return detail::copy_tree(source, dir.get(), name, parent / name);
}

// Bytes of the regular files below `dir`, each path counted, no symlink
// followed: what the copy's `bytes` must report.
std::uint64_t size_of(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && !entry.is_symlink()) total += entry.file_size();
  }
  return total;
}

// The code of the Error `body` throws, none if it throws none. Usable in a
// child process (no test macro).
std::optional<ErrorCode> error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

// The message of the Error(io) that `body` throws; fails the test if it
// throws none or another.
std::string io_error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::io);
    return e.what();
  }
  FAIL("no error thrown");
  return {};
}

// The lstat of `path`; throws if there is none.
struct stat lstat_of(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("cannot lstat " + path.string());
  return st;
}

// Whether `path` exists, itself (a symlink is not followed).
bool present(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// The permission bits (07777) of `path` itself.
mode_t perms(const fs::path& path) { return lstat_of(path).st_mode & 07777; }

// chmod, throwing if it fails.
void chmod_or_throw(const fs::path& path, mode_t mode) {
  if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("chmod " + path.string());
}

// Sets the times of `path` (a symlink itself, not its target).
void set_times(const fs::path& path, struct timespec atime, struct timespec mtime) {
  const struct timespec times[2] = {atime, mtime};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw std::runtime_error("utimensat " + path.string());
  }
}

// Whether two times are equal to the nanosecond.
bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// Removes the tree `name` in the directory open as `dir_fd` through
// descriptors only: the deep trees below are too long for a path.
void remove_at(int dir_fd, const char* name) {
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    ::unlinkat(dir_fd, name, 0);
    return;
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return;
  }
  for (const dirent* entry = ::readdir(dir); entry != nullptr; entry = ::readdir(dir)) {
    const std::string child = entry->d_name;
    if (child != "." && child != "..") remove_at(::dirfd(dir), child.c_str());
  }
  ::closedir(dir);
  ::unlinkat(dir_fd, name, AT_REMOVEDIR);
}

// Makes a chain of `depth` directories "d" below `root`, by descriptor.
void make_chain(const fs::path& root, int depth) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; i < depth && fd >= 0; ++i) {
    if (::mkdirat(fd, "d", 0755) != 0 && errno != EEXIST) break;
    const int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(fd);
    fd = next;
  }
  if (fd < 0) throw std::runtime_error("cannot make a chain of directories");
  ::close(fd);
}

}  // namespace

TEST_CASE("copy_tree copies regular files with their contents and modes, and empty directories") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "sub" / "ro");
  fs::create_directories(src / "sub" / "deeper" / "empty2");
  fs::create_directory(src / "empty");
  std::string big(300000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 251);
  write_file(src / "a", "hello");
  write_file(src / "sub" / "b", big);
  write_file(src / "sub" / "ro" / "c", "read only");
  chmod_or_throw(src / "a", 0640);
  chmod_or_throw(src / "sub" / "b", 0755);
  chmod_or_throw(src / "sub" / "ro" / "c", 0400);
  chmod_or_throw(src / "sub" / "ro", 0555);
  chmod_or_throw(src / "empty", 0750);
  chmod_or_throw(src, 0751);

  // A umask that would narrow every mode: the copy's modes are the source's.
  const mode_t old_umask = ::umask(077);
  const auto stats = copy(src, tmp.path(), "dest");
  ::umask(old_umask);
  const fs::path dest = tmp.path() / "dest";

  CHECK(read_file(dest / "a") == "hello");
  CHECK(read_file(dest / "sub" / "b") == big);
  CHECK(read_file(dest / "sub" / "ro" / "c") == "read only");
  CHECK(perms(dest / "a") == 0640);
  CHECK(perms(dest / "sub" / "b") == 0755);
  CHECK(perms(dest / "sub" / "ro" / "c") == 0400);
  CHECK(perms(dest / "sub" / "ro") == 0555);
  CHECK(perms(dest / "empty") == 0750);
  CHECK(perms(dest) == 0751);
  CHECK(fs::is_directory(dest / "empty"));
  CHECK(a3s::test::entries(dest / "empty").empty());
  CHECK(fs::is_directory(dest / "sub" / "deeper" / "empty2"));
  CHECK(a3s::test::entries(dest / "sub" / "deeper" / "empty2").empty());
  CHECK(stats.bytes == 5 + big.size() + 9);
  CHECK(stats.skipped == 0);
  chmod_or_throw(dest / "sub" / "ro", 0755);  // so that TempDir can clean up without root
  chmod_or_throw(src / "sub" / "ro", 0755);
}

TEST_CASE("copy_tree copies files of sizes around its chunks byte for byte, with their modes") {
  // 256 KiB: the read/write loop's buffer (lib/src/file_contents.cpp).
  // copy_file_range's 1 GiB chunk is crossed by the sparse 1 GiB test.
  constexpr std::size_t kChunk = std::size_t{1} << 18;
  const std::size_t sizes[] = {0, 1, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk + 7};
  const mode_t modes[] = {0600, 0640, 0755, 0444, 0700, 0604};

  TempDir tmp;
  // A source on the destination's file system (a reflink or
  // copy_file_range), and one on /dev/shm when that is another (tmpfs:
  // copy_file_range refuses the pair and the read/write loop copies).
  std::vector<fs::path> roots = {tmp.path() / "src"};
  std::string shm = "/dev/shm/a3s-tree-copy-XXXXXX";
  struct RemoveAtEnd {
    fs::path dir;
    ~RemoveAtEnd() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } shm_dir;
  struct stat tmp_st {};
  struct stat shm_st {};
  if (::stat(tmp.path().c_str(), &tmp_st) == 0 && ::stat("/dev/shm", &shm_st) == 0 &&
      tmp_st.st_dev != shm_st.st_dev && ::mkdtemp(shm.data()) != nullptr) {
    shm_dir.dir = shm;
    roots.push_back(shm_dir.dir / "src");
  } else {
    WARN("no /dev/shm on another file system: the read/write loop is not exercised");
  }

  for (const fs::path& src : roots) {
    INFO("source " << src);
    fs::create_directories(src / "nested");
    std::vector<std::pair<fs::path, std::string>> files;
    for (std::size_t i = 0; i < std::size(sizes); ++i) {
      std::string bytes(sizes[i], '\0');
      for (std::size_t j = 0; j < bytes.size(); ++j) {
        bytes[j] = static_cast<char>((j * 131 + i * 17 + j / 4093) & 0xff);
      }
      const fs::path rel = fs::path(i % 2 == 0 ? "" : "nested") / ("f" + std::to_string(i));
      write_file(src / rel, bytes);
      chmod_or_throw(src / rel, modes[i]);
      files.emplace_back(rel, std::move(bytes));
    }
    const std::string name = "dest" + std::to_string(&src - roots.data());
    const auto stats = copy(src, tmp.path(), name);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto& [rel, bytes] = files[i];
      INFO("file " << rel << " of " << bytes.size() << " bytes");
      CHECK(read_file(tmp.path() / name / rel) == bytes);
      CHECK(perms(tmp.path() / name / rel) == modes[i]);
      total += bytes.size();
    }
    CHECK(stats.bytes == total);
    CHECK(stats.skipped == 0);
  }
}

TEST_CASE("copy_tree keeps symlinks as symlinks and never follows one below the source") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  const fs::path outside = tmp.path() / "outside";
  fs::create_directories(src / "sub");
  fs::create_directories(outside / "dir");
  write_file(outside / "secret", "secret");
  write_file(outside / "dir" / "x", "x");
  fs::create_symlink(outside / "secret", src / "abs");
  fs::create_symlink(outside, src / "dirlink");
  fs::create_symlink("../../outside/secret", src / "sub" / "rel");
  fs::create_symlink("missing", src / "dangling");
  // The source itself may be reached through a symlink.
  fs::create_directory_symlink(src, tmp.path() / "src-link");

  const auto stats = copy(tmp.path() / "src-link", tmp.path(), "dest");
  const fs::path dest = tmp.path() / "dest";

  CHECK(!fs::is_symlink(dest));
  REQUIRE(fs::is_symlink(dest / "abs"));
  CHECK(fs::read_symlink(dest / "abs") == outside / "secret");
  REQUIRE(fs::is_symlink(dest / "dirlink"));
  CHECK(fs::read_symlink(dest / "dirlink") == outside);
  REQUIRE(fs::is_symlink(dest / "sub" / "rel"));
  CHECK(fs::read_symlink(dest / "sub" / "rel") == "../../outside/secret");
  REQUIRE(fs::is_symlink(dest / "dangling"));
  CHECK(fs::read_symlink(dest / "dangling") == "missing");
  // Nothing behind a link was copied.
  int regular = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dest)) {
    if (entry.is_regular_file() && !entry.is_symlink()) ++regular;
  }
  CHECK(regular == 0);
  CHECK(stats.bytes == 0);
  CHECK(stats.skipped == 0);
}

TEST_CASE("copy_tree keeps access and modification times of files, directories and symlinks") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "d");
  write_file(src / "d" / "inner", "inner");
  write_file(src / "f", "file");
  fs::create_symlink("f", src / "l");
  set_times(src / "f", {1000000000, 111111111}, {1111111111, 222222222});
  set_times(src / "d" / "inner", {1000000001, 0}, {1000000002, 0});
  set_times(src / "d", {1000000003, 0}, {1222222222, 333333333});
  set_times(src / "l", {1000000004, 0}, {1333333333, 444444444});
  set_times(src, {1000000005, 0}, {1444444444, 555555555});

  copy(src, tmp.path(), "dest");
  const fs::path dest = tmp.path() / "dest";

  CHECK(same_time(lstat_of(dest / "f").st_mtim, {1111111111, 222222222}));
  CHECK(same_time(lstat_of(dest / "f").st_atim, {1000000000, 111111111}));
  CHECK(same_time(lstat_of(dest / "d" / "inner").st_mtim, {1000000002, 0}));
  // Set once the directory's contents were complete.
  CHECK(same_time(lstat_of(dest / "d").st_mtim, {1222222222, 333333333}));
  CHECK(same_time(lstat_of(dest / "l").st_mtim, {1333333333, 444444444}));
  CHECK(same_time(lstat_of(dest).st_mtim, {1444444444, 555555555}));
}

TEST_CASE("copy_tree keeps hard links between files of the tree") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "sub");
  write_file(src / "a", "linked");
  fs::create_hard_link(src / "a", src / "sub" / "b");
  write_file(src / "c", "plain");
  // A file whose other link is outside the tree: one file in the copy.
  write_file(tmp.path() / "outside", "lonely");
  fs::create_hard_link(tmp.path() / "outside", src / "lonely");

  const auto stats = copy(src, tmp.path(), "dest");
  const fs::path dest = tmp.path() / "dest";

  const struct stat a = lstat_of(dest / "a");
  const struct stat b = lstat_of(dest / "sub" / "b");
  CHECK(a.st_ino == b.st_ino);
  CHECK(a.st_nlink == 2);
  CHECK(a.st_ino != lstat_of(src / "a").st_ino);
  CHECK(read_file(dest / "sub" / "b") == "linked");
  CHECK(lstat_of(dest / "lonely").st_nlink == 1);
  CHECK(lstat_of(dest / "c").st_nlink == 1);
  // Counted once per path, as a walk of the directories counts.
  CHECK(stats.bytes == 6 + 6 + 5 + 6);
  CHECK(stats.bytes == size_of(dest));
}

TEST_CASE("copy_tree keeps holes: a 1 GiB sparse file stays sparse") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directory(src);
  const off_t data_at = static_cast<off_t>(512 << 20) + 8192;
  const std::string block(4096, 'x');
  {
    const int fd = ::open((src / "sparse").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(kGiB)) == 0);
    REQUIRE(::pwrite(fd, block.data(), block.size(), data_at) == 4096);
    ::close(fd);
  }
  // Data at the very end: no trailing hole.
  {
    const int fd = ::open((src / "tail").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, 64 << 20) == 0);
    REQUIRE(::pwrite(fd, block.data(), block.size(), (64 << 20) - 4096) == 4096);
    ::close(fd);
  }

  const auto started = std::chrono::steady_clock::now();
  const auto stats = copy(src, tmp.path(), "dest");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const fs::path dest = tmp.path() / "dest";

  CHECK(elapsed < std::chrono::seconds(5));
  const struct stat sparse = lstat_of(dest / "sparse");
  CHECK(static_cast<std::uint64_t>(sparse.st_size) == kGiB);
  CHECK(static_cast<std::uint64_t>(sparse.st_blocks) * 512 < (1u << 20));
  const struct stat tail = lstat_of(dest / "tail");
  CHECK(tail.st_size == 64 << 20);
  CHECK(static_cast<std::uint64_t>(tail.st_blocks) * 512 < (1u << 20));
  CHECK(stats.bytes == kGiB + (64 << 20));

  const int fd = ::open((dest / "sparse").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::string got(4096, '?');
  CHECK(::pread(fd, got.data(), got.size(), data_at) == 4096);
  CHECK(got == block);
  CHECK(::pread(fd, got.data(), got.size(), 0) == 4096);
  CHECK(got == std::string(4096, '\0'));
  CHECK(::pread(fd, got.data(), got.size(), static_cast<off_t>(kGiB) - 4096) == 4096);
  CHECK(got == std::string(4096, '\0'));
  ::close(fd);
  const int tail_fd = ::open((dest / "tail").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(tail_fd >= 0);
  CHECK(::pread(tail_fd, got.data(), got.size(), (64 << 20) - 4096) == 4096);
  CHECK(got == block);
  ::close(tail_fd);
}

TEST_CASE("copy_tree keeps set-ID bits only together with the owner") {
  if (::geteuid() != 0) {
    WARN("not root: cannot give files another owner, set-ID part skipped");
    return;
  }
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "sgid_dir");
  write_file(src / "suid", "#!/bin/sh\n");
  write_file(src / "sgid", "#!/bin/sh\n");
  write_file(src / "plain", "plain");
  write_file(src / "sgid_dir" / "inner", "inner");
  fs::create_symlink("suid", src / "link");
  for (const char* name : {"suid", "sgid", "plain", "sgid_dir"}) {
    REQUIRE(::chown((src / name).c_str(), 1000, 1000) == 0);
  }
  REQUIRE(::lchown((src / "link").c_str(), 1000, 1000) == 0);
  chmod_or_throw(src / "suid", 04755);
  chmod_or_throw(src / "sgid", 02755);
  chmod_or_throw(src / "plain", 0644);
  chmod_or_throw(src / "sgid_dir", 02775);

  SECTION("as root the copy keeps the owner and the bits") {
    copy(src, tmp.path(), "dest");
    const fs::path dest = tmp.path() / "dest";
    const struct stat suid = lstat_of(dest / "suid");
    CHECK(suid.st_uid == 1000);
    CHECK(suid.st_gid == 1000);
    CHECK((suid.st_mode & 07777) == 04755);
    CHECK(perms(dest / "sgid") == 02755);
    CHECK(lstat_of(dest / "sgid_dir").st_uid == 1000);
    CHECK(perms(dest / "sgid_dir") == 02775);
    CHECK(lstat_of(dest / "link").st_uid == 1000);
  }

  SECTION("without privileges the copy is the copier's and loses the bits") {
    chmod_or_throw(tmp.path(), 0777);  // the child creates its copy here
    const int code = unprivileged([&] {
      copy(src, tmp.path(), "dest");
      const fs::path dest = tmp.path() / "dest";
      const struct stat suid = lstat_of(dest / "suid");
      if (suid.st_uid != kNobody || suid.st_gid != kNobody) return 1;
      if ((suid.st_mode & 07777) != 0755) return 2;
      if (perms(dest / "sgid") != 0755) return 3;
      if (perms(dest / "plain") != 0644 || lstat_of(dest / "plain").st_uid != kNobody) return 4;
      if (perms(dest / "sgid_dir") != 0775) return 5;
      if (read_file(dest / "suid") != "#!/bin/sh\n") return 6;
      return 0;
    });
    INFO(
        "child exit code (1: owner, 2/3/5: set-ID bit kept, 4: plain file, 6: content, "
        "90: could not drop privileges, 99: exception)");
    CHECK(code == 0);
  }
}

TEST_CASE("copy_tree recreates device nodes, fifos and sockets as root, skips them otherwise") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directory(src);
  write_file(src / "regular", "regular");
  REQUIRE(::mkfifo((src / "fifo").c_str(), 0640) == 0);
  chmod_or_throw(src / "fifo", 0640);
  REQUIRE(::mknod((src / "sock").c_str(), S_IFSOCK | 0600, 0) == 0);
  int specials = 2;
  const bool device = ::mknod((src / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  if (device) {
    chmod_or_throw(src / "null", 0666);
    ++specials;
  } else {
    WARN("cannot create a device node here: device part skipped");
  }

  SECTION("as root they are recreated with their owner, mode and times") {
    if (::geteuid() != 0) {
      WARN("not root: recreating special files skipped");
      return;
    }
    REQUIRE(::chown((src / "fifo").c_str(), 1000, 1000) == 0);
    set_times(src / "fifo", {1000000000, 0}, {1111111111, 5});
    const auto stats = copy(src, tmp.path(), "dest");
    const fs::path dest = tmp.path() / "dest";
    const struct stat fifo = lstat_of(dest / "fifo");
    CHECK(S_ISFIFO(fifo.st_mode));
    CHECK((fifo.st_mode & 07777) == 0640);
    CHECK(fifo.st_uid == 1000);
    CHECK(same_time(fifo.st_mtim, {1111111111, 5}));
    CHECK(S_ISSOCK(lstat_of(dest / "sock").st_mode));
    if (device) {
      const struct stat null = lstat_of(dest / "null");
      CHECK(S_ISCHR(null.st_mode));
      CHECK(null.st_rdev == makedev(1, 3));
      CHECK((null.st_mode & 07777) == 0666);
    }
    CHECK(stats.skipped == 0);
    CHECK(read_file(dest / "regular") == "regular");
  }

  SECTION("without privileges they are skipped, counted and reported once") {
    chmod_or_throw(tmp.path(), 0777);
    const int code = unprivileged([&] {
      auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
      // The library's own logger (log.hpp), in this child only.
      detail::log().sinks().assign({sink});
      const auto stats = copy(src, tmp.path(), "dest");
      const fs::path dest = tmp.path() / "dest";
      if (stats.skipped != static_cast<std::uint64_t>(specials)) return 1;
      if (present(dest / "fifo") || present(dest / "sock") || present(dest / "null")) return 2;
      if (read_file(dest / "regular") != "regular") return 3;
      const auto messages = sink->last_formatted();
      if (messages.size() != 1) return 4;
      if (messages[0].find(std::to_string(specials)) == std::string::npos ||
          messages[0].find(src.string()) == std::string::npos) {
        return 5;
      }
      return 0;
    });
    INFO(
        "child exit code (1: skipped count, 2: a special file was made, 3: regular file, "
        "4: not exactly one warning, 5: warning without count or source, 90/99: child failed)");
    CHECK(code == 0);
  }
}

TEST_CASE("a file swapped after the listing is skipped, never waited on or followed") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  const fs::path secret = tmp.path() / "secret";
  fs::create_directories(src / "d");
  write_file(secret, "secret");
  // The only regular file, so the first fault point is the one before it.
  write_file(src / "f", "data");
  fs::create_symlink("f", src / "l");

  const bool to_fifo = GENERATE(true, false);
  INFO((to_fifo ? "swapped for a fifo" : "swapped for a symlink"));
  const int code = a3s::test::run_in_children(1, [&](int) {
    // Opening the fifo without O_NONBLOCK would wait for a writer forever.
    ::alarm(20);
    bool swapped = false;
    detail::set_fault_hook([&](std::string_view point) {
      if (point != "copy.file.before_open" || swapped) return;
      swapped = true;
      ::unlink((src / "f").c_str());
      if (to_fifo) {
        ::mkfifo((src / "f").c_str(), 0644);
      } else {
        ::symlink(secret.c_str(), (src / "f").c_str());
      }
    });
    const auto stats = copy(src, tmp.path(), "dest");
    detail::set_fault_hook({});
    const fs::path dest = tmp.path() / "dest";
    if (!swapped) return 1;
    if (present(dest / "f")) return 2;
    if (stats.skipped != 1) return 3;
    if (stats.bytes != 0) return 4;
    if (!fs::is_directory(dest / "d") || !fs::is_symlink(dest / "l")) return 5;
    return 0;
  })[0];
  INFO(
      "child exit code (1: no fault point, 2: copied, 3: not counted, 4: bytes, 5: rest of "
      "the tree, 142: hung and killed by SIGALRM, 99: exception)");
  CHECK(code == 0);
}

TEST_CASE("copy_tree refuses a source that is not a directory and an unusable destination") {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  fs::create_directory(out);
  write_file(tmp.path() / "file", "x");
  fs::create_directory(tmp.path() / "src");

  CHECK(error_of([&] { copy(tmp.path() / "file", out, "dest"); }) == ErrorCode::invalid_argument);
  CHECK(error_of([&] { copy(tmp.path() / "missing", out, "dest"); }) ==
        ErrorCode::invalid_argument);
  CHECK(a3s::test::entries(out).empty());
  CHECK(error_of([&] { copy(tmp.path() / "src", out, "a/b"); }) == ErrorCode::invalid_argument);
  CHECK(error_of([&] { copy(tmp.path() / "src", out, ".."); }) == ErrorCode::invalid_argument);

  fs::create_directory(out / "taken");
  try {
    copy(tmp.path() / "src", out, "taken");
    FAIL("copied onto an existing directory");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::io);
    CHECK(std::string(e.what()).find((out / "taken").string()) != std::string::npos);
  }
}

TEST_CASE("copy_tree refuses a tree nested more than 4096 directories deep") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  const int code = a3s::test::run_in_children(1, [&](int) {
    // Each level of a walk holds descriptors: more than the usual 1024.
    struct rlimit limit {};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_max < 16384) limit.rlim_max = 16384;
    limit.rlim_cur = 16384;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return 77;
    // Thousands of directories are quicker to make and drop in memory: as
    // root, on a tmpfs in a mount namespace of the child's own, which ends
    // with it and takes the trees along. Otherwise on disk, removed below.
    const bool in_memory = ::unshare(CLONE_NEWNS) == 0 &&
                           ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
                           ::mount("tmpfs", tmp.path().c_str(), "tmpfs", 0, "size=64m") == 0;
    fs::create_directory(src);

    make_chain(src, 4096);
    int result = 0;
    // 4096 levels: allowed.
    if (error_of([&] { copy(src, tmp.path(), "at_limit"); }).has_value()) result = 1;
    make_chain(src, 4097);
    if (result == 0 &&
        error_of([&] { copy(src, tmp.path(), "dest"); }) != ErrorCode::invalid_argument) {
      result = 3;
    }
    if (!in_memory) {
      DirFd dir(tmp.path());
      remove_at(dir.get(), "src");
      remove_at(dir.get(), "at_limit");
      remove_at(dir.get(), "dest");
    }
    return result;
  })[0];
  if (code == 77) {
    WARN("cannot raise the open file limit: depth part skipped");
    return;
  }
  INFO(
      "child exit code (1: copy at 4096 levels refused, 3: copy below 4096 not refused, "
      "99: exception)");
  CHECK(code == 0);
}

TEST_CASE("copy_tree counts regular files per path and never follows symlinks") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "sub" / "empty");
  write_file(src / "a", std::string(10, 'a'));
  write_file(src / "sub" / "b", std::string(20, 'b'));
  fs::create_hard_link(src / "a", src / "sub" / "a2");
  write_file(tmp.path() / "big", std::string(1000, 'x'));
  fs::create_symlink(tmp.path() / "big", src / "big");
  fs::create_directory_symlink(tmp.path(), src / "up");
  REQUIRE(::mkfifo((src / "fifo").c_str(), 0644) == 0);

  CHECK(copy(src, tmp.path(), "dest").bytes == 40);
  CHECK(size_of(tmp.path() / "dest") == 40);
}

TEST_CASE("copy_tree crosses mount points") {
  if (::geteuid() != 0) {
    WARN("not root: mount part skipped");
    return;
  }
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "mnt");
  write_file(src / "a", std::string(10, 'a'));
  const int code = a3s::test::run_in_children(1, [&](int) {
    // A private mount namespace: the mount ends with the child.
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", (src / "mnt").c_str(), "tmpfs", 0, "size=1m") != 0) {
      return 77;
    }
    write_file(src / "mnt" / "file", std::string(100, 'm'));
    const auto stats = copy(src, tmp.path(), "dest");
    if (stats.bytes != 110) return 2;
    if (read_file(tmp.path() / "dest" / "mnt" / "file") != std::string(100, 'm')) return 3;
    return 0;
  })[0];
  if (code == 77) {
    WARN("cannot mount a tmpfs here: mount part skipped");
    return;
  }
  INFO("child exit code (2/3: copy_tree did not cross the mount, 99: exception)");
  CHECK(code == 0);
}

TEST_CASE("a file deleted after the listing is skipped with a warning naming it, not an error") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "d");
  // The only regular file, so the first fault point is the one before it.
  write_file(src / "gone", "data");
  fs::create_symlink("gone", src / "l");
  const int code = a3s::test::run_in_children(1, [&](int) {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
    detail::log().sinks().assign({sink});  // the library's own logger, in this child only
    bool deleted = false;
    detail::set_fault_hook([&](std::string_view point) {
      if (point != "copy.file.before_open" || deleted) return;
      deleted = true;
      ::unlink((src / "gone").c_str());
    });
    const auto stats = copy(src, tmp.path(), "dest");
    detail::set_fault_hook({});
    const fs::path dest = tmp.path() / "dest";
    if (!deleted) return 1;
    if (present(dest / "gone") || stats.skipped != 1 || stats.bytes != 0) return 2;
    if (!fs::is_directory(dest / "d") || !fs::is_symlink(dest / "l")) return 3;
    const auto messages = sink->last_formatted();
    if (messages.size() != 1 || messages[0].find("gone") == std::string::npos) return 4;
    return 0;
  })[0];
  INFO(
      "child exit code (1: no fault point, 2: copied or not counted, 3: rest of the tree, "
      "4: not exactly one warning naming it, 99: exception)");
  CHECK(code == 0);
}

TEST_CASE("copy_tree syncs the file system that holds the copy, and fails if that fails") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src";
  fs::create_directories(src / "sub");
  write_file(src / "sub" / "a", std::string(70000, 'a'));
  write_file(src / "b", "b");
  const fs::path out = tmp.path() / "out";
  fs::create_directory(out);

  g_synced_devices.clear();
  copy(src, out, "dest");
  CHECK(read_file(out / "dest" / "sub" / "a") == std::string(70000, 'a'));
  // The only sync the copy makes: of the file system that holds it.
  CHECK(g_synced_devices == std::vector<dev_t>{lstat_of(out).st_dev});

  SyncfsFails fails;
  try {
    copy(src, out, "dest2");
    FAIL("copied while syncfs failed");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::io);
    CHECK_THAT(std::string(e.what()), Catch::Contains("'" + (out / "dest2").string() + "'") &&
                                          Catch::Contains(std::strerror(EIO)));
  }
}

TEST_CASE("a failed syncfs fails a snapshot save and an image put, and nothing is placed") {
  TempDir home;
  TempDir src;
  fs::create_directories(src.path() / "etc");
  write_file(src.path() / "etc" / "config", "x=1");
  auto store = a3s::test::open_store(home);
  const std::string digest =
      "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  {
    SyncfsFails fails;
    // Each message names the record and the staged copy that could not be
    // made durable.
    const std::string save_error = io_error_of(
        [&] { store->snapshots().save(a3s::test::minimal_snapshot("s1"), src.path()); });
    CHECK_THAT(save_error, Catch::Contains("snapshot 's1'") &&
                               Catch::Contains("cannot sync the file system holding '" +
                                               (home.path() / "snapshots" / ".staging").string()) &&
                               Catch::Contains(std::strerror(EIO)));
    const std::string put_error =
        io_error_of([&] { store->images().put("app:1", digest, src.path()); });
    CHECK_THAT(put_error,
               Catch::Contains("app:1") &&
                   Catch::Contains("cannot sync the file system holding '" +
                                   (home.path() / "images" / "sha256" / ".staging").string()) &&
                   Catch::Contains(std::strerror(EIO)));
  }
  CHECK(store->snapshots().list().empty());
  CHECK(store->images().list().empty());
  CHECK(a3s::test::catalog_entries(home.path() / "snapshots").empty());
  CHECK(a3s::test::catalog_entries(home.path() / "images" / "sha256").empty());
  CHECK(a3s::test::staging_leftovers(home.path()).empty());

  // The same calls succeed once the file system syncs again.
  CHECK(store->snapshots().save(a3s::test::minimal_snapshot("s1"), src.path()).size_bytes == 3);
  CHECK(store->images().put("app:1", digest, src.path()).size_bytes == 3);
  CHECK(read_file(store->snapshots().directory_of("s1") / "rootfs" / "etc" / "config") == "x=1");
}
