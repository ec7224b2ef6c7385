#include "fs_ops.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "a3s/store/error.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(std::string_view what, const fs::path& path) {
  throw Error(ErrorCode::io,
              std::string(what) + " '" + path.string() + "': " + std::strerror(errno));
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void fsync_path(const fs::path& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) throw_errno("cannot open", path);
  if (::fsync(fd.get()) != 0) throw_errno("cannot fsync", path);
}

std::uint64_t copy_file(const fs::path& from, const fs::path& to, mode_t mode) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (in.get() < 0) throw_errno("cannot read", from);
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777));
  if (out.get() < 0) throw_errno("cannot create", to);
  std::uint64_t total = 0;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", from);
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out.get(), buffer + done, static_cast<std::size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot write", to);
      }
      done += w;
    }
    total += static_cast<std::uint64_t>(n);
  }
  // The umask must not narrow what the source had.
  if (::fchmod(out.get(), mode & 07777) != 0) throw_errno("cannot chmod", to);
  if (::fsync(out.get()) != 0) throw_errno("cannot fsync", to);
  return total;
}

// Copies one directory level; recursion depth is the tree's depth.
std::uint64_t copy_dir(const fs::path& from, const fs::path& to, mode_t mode) {
  if (::mkdir(to.c_str(), 0700) != 0) throw_errno("cannot create directory", to);
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& child = it->path();
    const fs::path target = to / child.filename();
    struct stat st {};
    if (::lstat(child.c_str(), &st) != 0) throw_errno("cannot stat", child);
    if (S_ISLNK(st.st_mode)) {
      fs::create_symlink(fs::read_symlink(child), target);
    } else if (S_ISDIR(st.st_mode)) {
      total += copy_dir(child, target, st.st_mode);
    } else if (S_ISREG(st.st_mode)) {
      total += copy_file(child, target, st.st_mode);
    } else {
      spdlog::warn("skipping '{}': not a regular file, directory or symlink", child.string());
    }
  }
  if (ec) throw Error(ErrorCode::io, "cannot list '" + from.string() + "': " + ec.message());
  if (::chmod(to.c_str(), mode & 07777) != 0) throw_errno("cannot chmod", to);
  fsync_path(to, O_RDONLY | O_DIRECTORY);
  return total;
}

bool process_alive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

// Staging names are "<pid>-<n>-<label>" (entries) or "<pid>-<n>.intent".
long owner_of(const fs::path& entry) {
  const std::string name = entry.filename().string();
  return std::strtol(name.c_str(), nullptr, 10);
}

}  // namespace

std::uint64_t copy_tree(const fs::path& source, const fs::path& dest) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(ErrorCode::invalid_argument, "'" + source.string() + "' is not a directory");
  }
  try {
    return copy_dir(source, dest, st.st_mode);
  } catch (const fs::filesystem_error& e) {
    throw Error(ErrorCode::io, "copying '" + source.string() + "': " + e.what());
  }
}

std::uint64_t tree_size(const fs::path& root) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

void fsync_directory(const fs::path& dir) { fsync_path(dir, O_RDONLY | O_DIRECTORY); }

Staging::Staging(fs::path home) : dir_(std::move(home) / ".staging") {}

fs::path Staging::fresh_path(std::string_view label) const {
  static std::atomic<unsigned long> counter{0};
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error(ErrorCode::io, "cannot create '" + dir_.string() + "': " + ec.message());
  return dir_ /
         (std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" + std::string(label));
}

fs::path Staging::record_intent(const std::vector<fs::path>& targets) const {
  const fs::path intent = fresh_path("change.intent");
  {
    std::ofstream out(intent, std::ios::trunc);
    for (const auto& target : targets) out << target.string() << '\n';
    if (!out.flush()) throw Error(ErrorCode::io, "cannot write '" + intent.string() + "'");
  }
  fsync_path(intent, O_RDONLY);
  fsync_directory(dir_);
  return intent;
}

void Staging::drop_intent(const fs::path& intent) const {
  std::error_code ec;
  fs::remove(intent, ec);
}

fs::path Staging::retire(const fs::path& target) const {
  const fs::path to = fresh_path("retired");
  if (::rename(target.c_str(), to.c_str()) != 0) {
    if (errno == ENOENT) return {};
    throw_errno("cannot move away", target);
  }
  fsync_directory(target.parent_path());
  return to;
}

void Staging::remove_quietly(const fs::path& path) {
  if (path.empty()) return;
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) {
    // Copies keep their modes, so a read-only directory (0555 is common in a
    // rootfs) blocks a non-root owner: make directories writable, retry.
    std::error_code walk;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, walk);
    for (fs::recursive_directory_iterator it(path, walk), end; !walk && it != end;
         it.increment(walk)) {
      if (it->is_directory(walk) && !it->is_symlink(walk)) {
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, walk);
      }
    }
    ec.clear();
    fs::remove_all(path, ec);
  }
  if (ec) spdlog::warn("could not delete '{}': {}", path.string(), ec.message());
}

void Staging::sweep(const std::function<bool(const fs::path&)>& owned) const {
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (!process_alive(owner_of(it->path()))) entries.push_back(it->path());
  }
  // Intents first: their targets may need retiring into staging, then all
  // dead entries (retired trees included) go.
  for (const auto& entry : entries) {
    if (entry.extension() != ".intent") continue;
    std::ifstream in(entry);
    for (std::string line; std::getline(in, line);) {
      const fs::path path = line;
      if (!path.empty() && !owned(path)) {
        spdlog::info("sweeping '{}', left without a row by a crashed process", path.string());
        remove_quietly(retire(path));
      }
    }
  }
  for (const auto& entry : entries) remove_quietly(entry);
}

}  // namespace a3s::store::detail
