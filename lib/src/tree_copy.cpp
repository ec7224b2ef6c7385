#include "tree_copy.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

CopyStats copy_tree(const fs::path& source, int, const std::string&, const fs::path& dest) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(ErrorCode::invalid_argument, "'" + source.string() + "' is not a directory");
  }
  try {
    return {copy_dir(source, dest, st.st_mode), 0};
  } catch (const fs::filesystem_error& e) {
    throw Error(ErrorCode::io, "copying '" + source.string() + "': " + e.what());
  }
}

}  // namespace a3s::store::detail
