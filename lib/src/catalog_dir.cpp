#include "catalog_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "dir_stream.hpp"
#include "fault_injection.hpp"
#include "io_error.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStaging = ".staging";
constexpr const char* kIntentHeader = "a3s-box-store intent 1";
// An intent names at most a prune's worth of entries; anything larger is
// not one of ours.
constexpr off_t kMaxIntentBytes = off_t{1} << 20;
// Deeper than any real tree; a deeper one is refused rather than recursed.
constexpr int kMaxDepth = 4096;

[[noreturn]] void throw_errno(std::string_view what, const fs::path& path) {
  throw_io(what, path, errno);
}

// Opens the directory `name` in `parent` (following it: catalog directories
// may be symlinks), making it first when `create`. Returns an empty fd when
// it is missing and not `create`.
UniqueFd open_or_make(int parent, const fs::path& parent_path, const std::string& name,
                      bool create) {
  const fs::path path = parent_path / name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd) return fd;
    if (errno != ENOENT) throw_errno("cannot open directory", path);
    if (!create) return {};
    if (::mkdirat(parent, name.c_str(), 0755) == 0) {
      fsync_directory(parent, parent_path);
    } else if (errno != EEXIST) {
      throw_errno("cannot create directory", path);
    }
  }
  throw Error(ErrorCode::io, "cannot open directory '" + path.string() + "': it keeps vanishing");
}

// The names in the directory open as `fd`, without "." and "..".
std::vector<std::string> list_names(int fd, const fs::path& path) {
  // A descriptor of its own: the listing closes it, and its position is not
  // the one `fd` shares with earlier listings.
  UniqueFd copy(::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!copy) throw_errno("cannot list", path);
  DirStream list;
  if (!list.adopt(copy)) throw_errno("cannot list", path);
  std::vector<std::string> names;
  int error = 0;
  while (const char* name = list.next(error)) names.emplace_back(name);
  if (error != 0) throw_io("cannot list", path, error);
  return names;
}

bool is_mount_root(int fd) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) != 0) return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

// Deletes `name` in `parent` and everything below it, never following a
// symlink and never entering a mount point or another file system (a bind
// mount inside a volume is someone's data, not ours). Carries on past a
// failure so as much as possible goes; returns the first failure, or "".
std::string remove_tree_at(int parent, const std::string& name, const fs::path& path, dev_t dev,
                           int depth) {
  struct stat st {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? "" : io_reason("cannot stat", path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT) {
      return io_reason("cannot delete", path, errno);
    }
    return "";
  }
  if (st.st_dev != dev) return "'" + path.string() + "' is on another file system; left in place";
  if (depth > kMaxDepth) return "'" + path.string() + "' is nested too deeply to delete";
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd && errno == EACCES && ::fchmodat(parent, name.c_str(), 0700, 0) == 0) {
    fd = UniqueFd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }
  if (!fd) return errno == ENOENT ? "" : io_reason("cannot open", path, errno);
  if (is_mount_root(fd.get())) return "'" + path.string() + "' is a mount point; left in place";
  // Copies keep their modes, and a read-only directory (0555 is common in a
  // rootfs) keeps a non-root owner from deleting what is inside.
  if ((st.st_mode & 0700) != 0700) ::fchmod(fd.get(), (st.st_mode | 0700) & 07777);
  std::vector<std::string> children;
  try {
    children = list_names(fd.get(), path);
  } catch (const Error& e) {
    return e.what();
  }
  std::string first_failure;
  for (const auto& child : children) {
    std::string failure = remove_tree_at(fd.get(), child, path / child, dev, depth + 1);
    if (first_failure.empty()) first_failure = std::move(failure);
  }
  if (!first_failure.empty()) return first_failure;
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return io_reason("cannot delete", path, errno);
  }
  return "";
}

// The start time of process `pid` (clock ticks after boot, field 22 of
// /proc/<pid>/stat), or 0 when it is gone or /proc is not there.
unsigned long long process_start(long pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char buffer[1024];
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer - 1);
  if (n <= 0) return 0;
  const std::string_view stat(buffer, static_cast<std::size_t>(n));
  // The command name (field 2) is in parentheses and may hold anything.
  std::size_t at = stat.rfind(')');
  if (at == std::string_view::npos) return 0;
  for (int field = 2; field < 22 && at != std::string_view::npos; ++field) {
    at = stat.find(' ', at + 1);
  }
  if (at == std::string_view::npos) return 0;
  unsigned long long start = 0;
  std::from_chars(stat.data() + at + 1, stat.data() + stat.size(), start);
  return start;
}

// This host, as staging names carry it: the FNV-1a hash of its host name as
// 16 lowercase hex digits. Hosts sharing a home (its records on an etcd
// cluster) tell their staging entries apart by it: a process ID means
// nothing on another host.
const std::string& this_host() {
  static const std::string host = [] {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) name[0] = '\0';
    std::uint64_t hash = 14695981039346656037ull;
    for (const char* c = name; *c != '\0'; ++c) {
      hash = (hash ^ static_cast<unsigned char>(*c)) * 1099511628211ull;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return std::string(hex);
  }();
  return host;
}

// Whether the process that named a staging entry "<pid>.<start>[.<host>]-..."
// on this host runs.
bool owner_alive(long pid, unsigned long long start) {
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  // Without /proc both starts read 0 and the PID alone decides.
  return process_start(pid) == start;
}

// "<pid>.<start>[.<host>]-<n>-<label>" → the owner and whether it is an
// intent; nullopt for other names. An entry another host made counts as its
// owner's while that host may still run it: only the host that made an
// entry sweeps it. A name without a host (made before hosts were named)
// is this host's.
std::optional<StagingEntry> parse_staging_name(const std::string& name) {
  const char* const end = name.data() + name.size();
  long pid = 0;
  auto [after_pid, pid_error] = std::from_chars(name.data(), end, pid);
  if (pid_error != std::errc() || pid <= 0 || after_pid == end || *after_pid != '.') {
    return std::nullopt;
  }
  unsigned long long start = 0;
  auto [after_start, start_error] = std::from_chars(after_pid + 1, end, start);
  if (start_error != std::errc() || after_start == end) return std::nullopt;
  bool other_host = false;
  if (*after_start == '.') {
    const char* const host = after_start + 1;
    after_start = std::find(host, end, '-');
    if (after_start == end || after_start == host) return std::nullopt;
    other_host = std::string_view(host, after_start) != this_host();
  }
  if (*after_start != '-') return std::nullopt;
  unsigned long n = 0;
  auto [after_n, n_error] = std::from_chars(after_start + 1, end, n);
  if (n_error != std::errc() || after_n == end || *after_n != '-' || after_n + 1 == end) {
    return std::nullopt;
  }
  return StagingEntry{name, other_host || owner_alive(pid, start),
                      std::string_view(after_n + 1, end) == "intent"};
}

}  // namespace

fs::path catalog_path(const fs::path& home, CatalogKind kind) {
  switch (kind) {
    case CatalogKind::volumes:
      return home / "volumes";
    case CatalogKind::snapshots:
      return home / "snapshots";
    case CatalogKind::images:
      break;
  }
  return home / "images" / "sha256";
}

bool is_entry_name(CatalogKind kind, std::string_view name) {
  try {
    if (kind == CatalogKind::images) {
      validate_digest("sha256:" + std::string(name));
    } else {
      validate_name("entry", name);
    }
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string fresh_staging_name(std::string_view label) {
  static std::atomic<unsigned long> counter{0};
  // Read each time: a forked child is another process with its own name.
  const long pid = ::getpid();
  return std::to_string(pid) + "." + std::to_string(process_start(pid)) + "." + this_host() + "-" +
         std::to_string(++counter) + "-" + std::string(label);
}

void fsync_directory(int fd, const fs::path& path) {
  if (::fsync(fd) != 0) throw_errno("cannot fsync", path);
}

std::optional<CatalogDir> CatalogDir::open(const fs::path& home, CatalogKind kind, bool create) {
  UniqueFd dir(::open(home.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir && errno == ENOENT && create) {
    std::error_code ec;
    fs::create_directories(home, ec);
    if (ec) throw Error(ErrorCode::io, "cannot create '" + home.string() + "': " + ec.message());
    dir = UniqueFd(::open(home.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  if (!dir) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("cannot open home", home);
  }
  fs::path path = home;
  const fs::path relative = catalog_path(fs::path(), kind);
  for (const auto& part : relative) {
    dir = open_or_make(dir.get(), path, part.string(), create);
    path /= part;
    if (!dir) return std::nullopt;
  }
  return CatalogDir(kind, std::move(path), std::move(dir));
}

fs::path CatalogDir::staging_path(std::string_view staged) const {
  return path_ / kStaging / staged;
}

void CatalogDir::open_staging(bool create) {
  if (staging_) return;
  const fs::path path = path_ / kStaging;
  for (int attempt = 0; attempt < 2; ++attempt) {
    staging_ =
        UniqueFd(::openat(dir_.get(), kStaging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (staging_) return;
    if (errno == ELOOP || errno == ENOTDIR) {
      throw Error(ErrorCode::io, "staging directory '" + path.string() +
                                     "' is a symlink or not a directory; it is never followed: "
                                     "remove it so a real directory can take its place");
    }
    if (errno != ENOENT) throw_errno("cannot open staging directory", path);
    if (!create) return;
    // Private: a copy in progress (setuid files included) is nobody else's.
    if (::mkdirat(dir_.get(), kStaging, 0700) == 0) {
      fsync_directory(dir_.get(), path_);
    } else if (errno != EEXIST) {
      throw_errno("cannot create staging directory", path);
    }
  }
}

int CatalogDir::staging_fd() {
  open_staging(/*create=*/true);
  return staging_.get();
}

EntryType CatalogDir::entry_type(std::string_view name) const {
  struct stat st {};
  const std::string entry(name);
  if (::fstatat(dir_.get(), entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return EntryType::absent;
    throw_errno("cannot stat", entry_path(name));
  }
  return S_ISDIR(st.st_mode) ? EntryType::directory : EntryType::other;
}

std::string CatalogDir::write_intent(const Intent& intent) {
  std::string text = std::string(kIntentHeader) + "\ndatabase " + intent.database + "\n";
  for (const auto& entry : intent.entries) text += "entry " + entry + "\n";
  // Written whole under a name that is not an intent's, then renamed: a
  // crash part-way leaves a plain leftover, which the next sweep deletes,
  // never a torn intent, which no sweep may act on.
  const std::string part = fresh_staging_name("part-intent");
  const fs::path part_path = staging_path(part);
  UniqueFd fd(::openat(staging_fd(), part.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) throw_errno("cannot create", part_path);
  A3S_FAULT_POINT("files.intent.unfinished");
  auto fail = [&](const char* what, const fs::path& path, int error) {
    ::unlinkat(staging_.get(), part.c_str(), 0);
    throw_io(what, path, error);
  };
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", part_path, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail("cannot fsync", part_path, errno);
  const std::string staged = fresh_staging_name("intent");
  if (::renameat2(staging_fd(), part.c_str(), staging_fd(), staged.c_str(), RENAME_NOREPLACE) !=
      0) {
    fail("cannot rename to an intent", part_path, errno);
  }
  fsync_directory(staging_.get(), path_ / kStaging);
  return staged;
}

std::optional<Intent> CatalogDir::read_intent(const std::string& staged) {
  UniqueFd fd(::openat(staging_fd(), staged.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxIntentBytes) {
    return std::nullopt;
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    done += static_cast<std::size_t>(n);
  }
  Intent intent;
  std::size_t line_number = 0;
  for (std::size_t start = 0; start < text.size(); ++line_number) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) return std::nullopt;  // a torn write
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line_number == 0) {
      if (line != kIntentHeader) return std::nullopt;
    } else if (line_number == 1) {
      if (!line.starts_with("database ")) return std::nullopt;
      intent.database = line.substr(std::string_view("database ").size());
    } else if (line.starts_with("entry ")) {
      intent.entries.emplace_back(line.substr(std::string_view("entry ").size()));
    } else {
      return std::nullopt;
    }
  }
  if (line_number < 2) return std::nullopt;
  return intent;
}

void CatalogDir::move_in(const std::string& staged, std::string_view name) {
  const std::string entry(name);
  if (::renameat2(staging_fd(), staged.c_str(), dir_.get(), entry.c_str(), RENAME_NOREPLACE) != 0) {
    throw Error(ErrorCode::io, "cannot move '" + staging_path(staged).string() + "' to '" +
                                   entry_path(name).string() + "': " + std::strerror(errno));
  }
  fsync_directory(dir_.get(), path_);
}

std::string CatalogDir::move_out(std::string_view name) {
  const std::string entry(name);
  const std::string staged = fresh_staging_name("retired");
  if (::renameat(dir_.get(), entry.c_str(), staging_fd(), staged.c_str()) != 0) {
    if (errno == ENOENT) return "";
    throw_errno("cannot move away", entry_path(name));
  }
  return staged;
}

std::string CatalogDir::remove_staged(const std::string& staged) noexcept {
  try {
    struct stat st {};
    if (::fstat(staging_fd(), &st) != 0) return io_reason("cannot stat", path_ / kStaging, errno);
    return remove_tree_at(staging_.get(), staged, staging_path(staged), st.st_dev, 0);
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<std::string> CatalogDir::entries() const {
  std::vector<std::string> names = list_names(dir_.get(), path_);
  std::erase(names, std::string(kStaging));
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<StagingEntry> CatalogDir::staging_entries() {
  open_staging(/*create=*/false);
  if (!staging_) return {};
  std::vector<StagingEntry> entries;
  for (const auto& name : list_names(staging_.get(), path_ / kStaging)) {
    if (auto entry = parse_staging_name(name)) entries.push_back(std::move(*entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return entries;
}

}  // namespace a3s::store::detail
