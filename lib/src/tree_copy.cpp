#include "tree_copy.hpp"
#include "log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "a3s/store/error.hpp"
#include "dir_stream.hpp"
#include "fault_injection.hpp"
#include "file_attributes.hpp"
#include "file_contents.hpp"
#include "io_error.hpp"
#include "unique_fd.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

// Directories nested deeper than this below the root are refused. The walk
// keeps one level per directory on the heap, not the stack, but such a tree
// is pathological (it cannot even be named by a path) and each level holds
// open descriptors.
constexpr std::size_t kMaxDepth = 4096;

// Throws Error(invalid_argument) for a directory below kMaxDepth levels.
[[noreturn]] void throw_too_deep(const fs::path& path) {
  throw Error(ErrorCode::invalid_argument, "'" + path.string() + "' is nested more than " +
                                               std::to_string(kMaxDepth) + " directories deep");
}

// Requires `name` to be one path component that names an entry (not "",
// "." or ".."), so an *at() call with it stays inside its directory.
void check_component(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw Error(ErrorCode::invalid_argument, "'" + name + "' is not a single path component");
  }
}

// `rel` (a path below a root, "" for the root itself) extended by `name`.
std::string join(const std::string& rel, const char* name) {
  return rel.empty() ? std::string(name) : rel + '/' + name;
}

// `base` / `rel`, for messages.
fs::path below(const fs::path& base, const std::string& rel) {
  return rel.empty() ? base : base / rel;
}

// Whether `a` and `b` describe the same file (device and inode).
bool same_inode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// One copy_tree call. The walk is a loop over a stack of open directories
// (one Level per directory being copied), so its depth costs heap, not
// stack.
class TreeCopier {
 public:
  TreeCopier(const fs::path& source, const fs::path& dest_display)
      : source_(source), dest_display_(dest_display), as_root_(::geteuid() == 0) {}

  // Copies source_ into a new directory `dest_name` of `dest_parent_fd`.
  CopyStats run(int dest_parent_fd, const std::string& dest_name);

 private:
  // A source directory being listed and its copy being filled.
  struct Level {
    DirStream source;
    UniqueFd dest;
    // The source directory as opened: owner, mode and times for the copy.
    struct stat st;
    // The directory's path below the roots ("" for the roots).
    std::string rel;
  };

  // The source's and the copy's path of the entry `rel`, for messages.
  fs::path source_path(const std::string& rel) const { return below(source_, rel); }
  fs::path dest_path(const std::string& rel) const { return below(dest_display_, rel); }

  // Throw Error(io) for errno and the source or destination entry `rel`;
  // errno is read before anything else can change it.
  [[noreturn]] void fail_source(std::string_view what, const std::string& rel) const {
    const int err = errno;
    throw_io(what, source_path(rel), err);
  }
  [[noreturn]] void fail_dest(std::string_view what, const std::string& rel) const {
    const int err = errno;
    throw_io(what, dest_path(rel), err);
  }

  // Copies the entry `name` of `level` (levels_.back()), by its type; a
  // directory is pushed as a new level, which invalidates `level`.
  void copy_entry(Level& level, const char* name);
  // Opens the directory `name` (`listed` by the listing), checks it is still
  // that directory, creates its copy (0700 until finished) and pushes both
  // as a new level. Refuses a level deeper than kMaxDepth.
  void enter_directory(Level& level, const char* name, const struct stat& listed, std::string rel);
  // Gives the filled copy of `level` its owner, mode and times; for the
  // copy's root, the last one finished, then syncs the copy (sync_copy).
  void finish_directory(const Level& level);
  // Makes everything written below and in the copy's root, open as
  // `root_fd`, durable: one syncfs of its file system, which also reports
  // writeback errors of the files written before (see copy_tree).
  void sync_copy(int root_fd) const;
  // Copies the regular file `name`, or links it to the first copy of its
  // inode; skips it if what opens is not the file `listed`.
  void copy_file(Level& level, const char* name, const struct stat& listed, const std::string& rel);
  // Links `name` in the directory open as `dir_fd` to the copy at `first`
  // (below the copy's root). Returns false when that is not possible for a
  // reason copying the file again avoids: the first copy lies in a finished
  // directory the process may no longer search (EACCES, EPERM), or the inode
  // has as many links as its file system allows (EMLINK).
  bool link_to_first_copy(const std::string& first, int dir_fd, const char* name,
                          const std::string& rel);
  // Recreates the symlink `name` with the same target text, owner and times.
  void copy_symlink(Level& level, const char* name, const struct stat& listed,
                    const std::string& rel);
  // Recreates the device node, fifo or socket `name` with its owner, mode
  // and times when running as root; otherwise counts it as skipped.
  void copy_special(Level& level, const char* name, const struct stat& listed,
                    const std::string& rel);
  // Counts the entry `rel` as skipped because it changed or vanished between
  // the listing and its copy, with a warning naming it.
  void skip_changed(const std::string& rel);

  const fs::path& source_;
  const fs::path& dest_display_;
  const bool as_root_;
  std::vector<Level> levels_;
  // The copy's root (owned by levels_[0]), to which hard links are relative.
  int dest_root_fd_ = -1;
  // The copy's root as created: never copied into itself when it lies
  // inside the source.
  struct stat dest_root_ {};
  // (st_dev, st_ino) of each source file with more than one link that was
  // copied, and the path of its copy below the copy's root.
  std::map<std::pair<dev_t, ino_t>, std::string> first_copies_;
  FileContentsCopier contents_;
  CopyStats stats_;
  // The special files among stats_.skipped.
  std::uint64_t special_skipped_ = 0;
};

CopyStats TreeCopier::run(int dest_parent_fd, const std::string& dest_name) {
  check_component(dest_name);
  // The one open that follows a symlink: `source` is the caller's argument.
  UniqueFd source(::open(source_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!source) {
    if (errno == ENOENT || errno == ENOTDIR) {
      throw Error(ErrorCode::invalid_argument, "'" + source_.string() + "' is not a directory");
    }
    throw_io("cannot open", source_, errno);
  }
  struct stat st {};
  if (::fstat(source.get(), &st) != 0) throw_io("cannot stat", source_, errno);

  if (::mkdirat(dest_parent_fd, dest_name.c_str(), 0700) != 0) {
    throw_io("cannot create directory", dest_display_, errno);
  }
  UniqueFd dest(
      ::openat(dest_parent_fd, dest_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dest) throw_io("cannot open", dest_display_, errno);
  if (::fstat(dest.get(), &dest_root_) != 0) throw_io("cannot stat", dest_display_, errno);
  dest_root_fd_ = dest.get();

  DirStream list;
  if (!list.adopt(source)) throw_io("cannot list", source_, errno);
  levels_.push_back(Level{std::move(list), std::move(dest), st, {}});

  while (!levels_.empty()) {
    Level& level = levels_.back();
    int err = 0;
    const char* name = level.source.next(err);
    if (name != nullptr) {
      copy_entry(level, name);
      continue;
    }
    if (err != 0) throw_io("cannot list", source_path(level.rel), err);
    finish_directory(level);
    levels_.pop_back();
  }

  if (special_skipped_ > 0) {
    detail::log().warn(
        "copying '{}': skipped {} device node(s), fifo(s) or socket(s): only root can recreate "
        "them",
        source_.string(), special_skipped_);
  }
  return stats_;
}

void TreeCopier::copy_entry(Level& level, const char* name) {
  std::string rel = join(level.rel, name);
  struct stat listed {};
  if (::fstatat(level.source.fd(), name, &listed, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return skip_changed(rel);
    fail_source("cannot stat", rel);
  }
  switch (listed.st_mode & S_IFMT) {
    case S_IFDIR:
      return enter_directory(level, name, listed, std::move(rel));
    case S_IFREG:
      return copy_file(level, name, listed, rel);
    case S_IFLNK:
      return copy_symlink(level, name, listed, rel);
    default:
      return copy_special(level, name, listed, rel);
  }
}

void TreeCopier::enter_directory(Level& level, const char* name, const struct stat& listed,
                                 std::string rel) {
  if (levels_.size() > kMaxDepth) throw_too_deep(source_path(rel));
  UniqueFd source(
      ::openat(level.source.fd(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!source) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return skip_changed(rel);
    fail_source("cannot open", rel);
  }
  struct stat st {};
  if (::fstat(source.get(), &st) != 0) fail_source("cannot stat", rel);
  if (!same_inode(st, listed)) return skip_changed(rel);
  if (same_inode(st, dest_root_)) return;  // the copy itself, made inside the source

  // 0700 while it is filled: only this process works in it. Its own owner,
  // mode and times come when it is complete (finish_directory).
  if (::mkdirat(level.dest.get(), name, 0700) != 0) {
    fail_dest("cannot create directory", rel);
  }
  UniqueFd dest(::openat(level.dest.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dest) fail_dest("cannot open", rel);
  DirStream list;
  if (!list.adopt(source)) fail_source("cannot list", rel);
  levels_.push_back(Level{std::move(list), std::move(dest), st, std::move(rel)});
}

void TreeCopier::finish_directory(const Level& level) {
  copy_attributes(level.dest.get(), level.st, dest_path(level.rel));
  // The root is finished last, when everything below it is written.
  if (level.rel.empty()) sync_copy(level.dest.get());
}

void TreeCopier::sync_copy(int root_fd) const {
  // `root_fd` was opened before anything was written below it, so the
  // file system's writeback errors since then are reported here (Linux
  // 5.8 and later), including those of pages written back before this call.
  if (::syncfs(root_fd) != 0) {
    throw_io("cannot sync the file system holding", dest_display_, errno);
  }
}

void TreeCopier::copy_file(Level& level, const char* name, const struct stat& listed,
                           const std::string& rel) {
  if (listed.st_nlink > 1) {
    const auto first = first_copies_.find({listed.st_dev, listed.st_ino});
    if (first != first_copies_.end() &&
        link_to_first_copy(first->second, level.dest.get(), name, rel)) {
      stats_.bytes += static_cast<std::uint64_t>(listed.st_size);
      return;
    }
  }

  A3S_FAULT_POINT("copy.file.before_open");
  // O_NONBLOCK: should a fifo have taken the file's place since the listing,
  // the open must not wait for a writer. What was opened is checked below
  // before anything is read from it.
  UniqueFd in(::openat(level.source.fd(), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!in) {
    // Gone, a symlink now (ELOOP), a socket or a device without a driver.
    if (errno == ENOENT || errno == ELOOP || errno == ENXIO || errno == ENODEV) {
      return skip_changed(rel);
    }
    fail_source("cannot open", rel);
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) fail_source("cannot stat", rel);
  if (!S_ISREG(st.st_mode) || !same_inode(st, listed)) return skip_changed(rel);

  const fs::path display = dest_path(rel);
  UniqueFd out(
      ::openat(level.dest.get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) throw_io("cannot create", display, errno);
  contents_.copy(in.get(), out.get(), st.st_size, source_path(rel), display);
  // Sets the size when the file ends in a hole, which was not written.
  if (::ftruncate(out.get(), st.st_size) != 0) throw_io("cannot set the size of", display, errno);
  copy_attributes(out.get(), st, display);
  // Starts writing the file back now, while the next ones are copied, so
  // that the syncfs at the end finds less to write. Only a hint: whatever it
  // does not write, syncfs does, and errors are reported by syncfs.
  (void)::sync_file_range(out.get(), 0, 0, SYNC_FILE_RANGE_WRITE);

  stats_.bytes += static_cast<std::uint64_t>(st.st_size);
  if (st.st_nlink > 1) first_copies_.emplace(std::pair{st.st_dev, st.st_ino}, rel);
}

bool TreeCopier::link_to_first_copy(const std::string& first, int dir_fd, const char* name,
                                    const std::string& rel) {
  if (::linkat(dest_root_fd_, first.c_str(), dir_fd, name, 0) == 0) return true;
  if (errno == EACCES || errno == EMLINK || errno == EPERM) return false;
  fail_dest("cannot create hard link", rel);
}

void TreeCopier::copy_symlink(Level& level, const char* name, const struct stat& listed,
                              const std::string& rel) {
  // st_size is the target's length, except on file systems that report 0.
  std::string target(std::max<std::size_t>(static_cast<std::size_t>(listed.st_size) + 1, 256),
                     '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(level.source.fd(), name, target.data(), target.size());
    if (n < 0) {
      // Gone, or no longer a symlink (EINVAL).
      if (errno == ENOENT || errno == EINVAL) return skip_changed(rel);
      fail_source("cannot read symlink", rel);
    }
    if (static_cast<std::size_t>(n) < target.size()) {
      target.resize(static_cast<std::size_t>(n));
      break;
    }
    target.resize(target.size() * 2);  // possibly cut short: read again
  }

  const int dir = level.dest.get();
  const fs::path display = dest_path(rel);
  if (::symlinkat(target.c_str(), dir, name) != 0)
    throw_io("cannot create symlink", display, errno);
  copy_attributes_at(dir, name, listed, display);
}

void TreeCopier::copy_special(Level& level, const char* name, const struct stat& listed,
                              const std::string& rel) {
  // Only root may create device nodes; fifos and sockets are treated alike
  // so that a copy made without privileges holds regular content only.
  if (!as_root_) {
    ++special_skipped_;
    ++stats_.skipped;
    return;
  }
  const int dir = level.dest.get();
  const fs::path display = dest_path(rel);
  if (::mknodat(dir, name, (listed.st_mode & S_IFMT) | 0600, listed.st_rdev) != 0) {
    // Root without CAP_MKNOD (a container), or a device the cgroup denies.
    if (errno == EPERM) {
      ++special_skipped_;
      ++stats_.skipped;
      return;
    }
    throw_io("cannot create", display, errno);
  }
  copy_attributes_at(dir, name, listed, display);
}

void TreeCopier::skip_changed(const std::string& rel) {
  detail::log().warn("not copying '{}': it changed while the tree was being copied",
                     source_path(rel).string());
  ++stats_.skipped;
}

}  // namespace

CopyStats copy_tree(const fs::path& source, int dest_parent_fd, const std::string& dest_name,
                    const fs::path& dest_display) {
  return TreeCopier(source, dest_display).run(dest_parent_fd, dest_name);
}

}  // namespace a3s::store::detail
