#include "test_vfs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace a3s::test::vfs {
namespace {

// One change to a file since its last sync.
struct Change {
  enum class Type { write, truncate, reset } type;
  std::int64_t offset = 0;  // write: where; truncate: the new size
  std::string data;         // write: the bytes
};

// The model of one tracked file (see the header).
struct FileModel {
  bool durable_exists = false;
  std::string durable;
  std::vector<Change> changes;
  bool main_db = false;
};

void apply_change(std::string& content, const Change& change) {
  switch (change.type) {
    case Change::Type::reset:
      content.clear();
      break;
    case Change::Type::truncate:
      content.resize(static_cast<std::size_t>(change.offset));
      break;
    case Change::Type::write: {
      const auto end = static_cast<std::size_t>(change.offset) + change.data.size();
      if (content.size() < end) content.resize(end);
      std::copy(change.data.begin(), change.data.end(),
                content.begin() + static_cast<std::ptrdiff_t>(change.offset));
      break;
    }
  }
}

struct State {
  std::mutex mutex;
  sqlite3_vfs* real = nullptr;
  std::map<std::string, FileModel> files;
  std::uint64_t mutating = 0;
  std::uint64_t kind_calls[2] = {0, 0};
  // Power cut.
  std::uint64_t cut_at = 0;  // 0: none armed
  CutMode cut_mode = CutMode::unsynced_lost;
  std::uint32_t cut_seed = 0;
  std::function<void()> on_cut;
  // I/O errors.
  bool failing = false;
  Kind fail_kind = Kind::write;
  std::uint64_t fail_countdown = 0;  // calls of fail_kind left before failing
  int fail_code = SQLITE_OK;
  std::uint64_t failed = 0;
};

State& state() {
  static State s;
  return s;
}

// Sets `content` to what a power cut leaves of `model`; returns whether the
// file exists after it.
bool cut_content(const FileModel& model, CutMode mode, std::mt19937& rng, std::string& content) {
  content = model.durable;
  const bool recreated = std::any_of(model.changes.begin(), model.changes.end(),
                                     [](const auto& c) { return c.type == Change::Type::reset; });
  if (mode == CutMode::unsynced_lost || recreated) return model.durable_exists;
  std::size_t last_write = model.changes.size();
  for (std::size_t i = 0; i < model.changes.size(); ++i) {
    if (model.changes[i].type == Change::Type::write) last_write = i;
  }
  for (std::size_t i = 0; i < model.changes.size(); ++i) {
    Change change = model.changes[i];
    if (i == last_write) {
      // Torn: the first k of its 512-byte sectors reached the disk.
      const std::size_t sectors = (change.data.size() + 511) / 512;
      const std::size_t kept = std::uniform_int_distribution<std::size_t>(0, sectors)(rng);
      change.data.resize(std::min(change.data.size(), kept * 512));
      apply_change(content, change);
    } else if (rng() % 2 == 0) {
      apply_change(content, change);
    }
  }
  return model.durable_exists;
}

void write_whole(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) ::_exit(97);
  if (::ftruncate(fd, static_cast<off_t>(content.size())) != 0) ::_exit(97);
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n =
        ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
    if (n <= 0) ::_exit(97);
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Leaves on disk what the power cut leaves, then dies. Called with the
// mutex held; never returns.
[[noreturn]] void cut_power(State& s) {
  std::mt19937 rng(s.cut_seed);
  for (const auto& [path, model] : s.files) {
    std::string content;
    if (cut_content(model, s.cut_mode, rng, content)) {
      write_whole(path, content);
    } else {
      ::unlink(path.c_str());
    }
    if (model.main_db) ::unlink((path + "-shm").c_str());
  }
  if (s.on_cut) s.on_cut();
  ::kill(::getpid(), SIGKILL);
  ::_exit(98);  // not reached
}

// Counts a mutating call on a tracked file; cuts the power when it is the
// armed one.
void count_mutating(State& s) {
  ++s.mutating;
  if (s.cut_at != 0 && s.mutating == s.cut_at) cut_power(s);
}

// Whether this call of `kind` fails, and counts it.
bool should_fail(State& s, Kind kind) {
  ++s.kind_calls[static_cast<int>(kind)];
  if (!s.failing || s.fail_kind != kind) return false;
  if (s.fail_countdown > 1) {
    --s.fail_countdown;
    return false;
  }
  s.fail_countdown = 0;
  ++s.failed;
  return true;
}

struct ShimFile {
  sqlite3_file base;
  FileModel* model;  // nullptr: not tracked
  sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }
FileModel* model_of(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->model; }

int shim_close(sqlite3_file* f) {
  sqlite3_file* real = real_of(f);
  return real->pMethods ? real->pMethods->xClose(real) : SQLITE_OK;
}
int shim_read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  return real_of(f)->pMethods->xRead(real_of(f), buffer, amount, offset);
}
int shim_write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  if (FileModel* model = model_of(f)) {
    State& s = state();
    std::lock_guard lock(s.mutex);
    count_mutating(s);
    if (should_fail(s, Kind::write)) return s.fail_code;
    model->changes.push_back(
        {Change::Type::write, offset,
         std::string(static_cast<const char*>(buffer), static_cast<std::size_t>(amount))});
    // Held through the real call, as in shim_truncate.
    return real_of(f)->pMethods->xWrite(real_of(f), buffer, amount, offset);
  }
  return real_of(f)->pMethods->xWrite(real_of(f), buffer, amount, offset);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (FileModel* model = model_of(f)) {
    State& s = state();
    // Held through the real call: a power cut in another thread must not
    // be followed by a write that reaches the file.
    std::lock_guard lock(s.mutex);
    count_mutating(s);
    model->changes.push_back({Change::Type::truncate, size, {}});
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
  }
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int shim_sync(sqlite3_file* f, int flags) {
  FileModel* model = model_of(f);
  if (!model) return real_of(f)->pMethods->xSync(real_of(f), flags);
  State& s = state();
  std::lock_guard lock(s.mutex);
  count_mutating(s);
  if (should_fail(s, Kind::sync)) return s.fail_code;
  for (const Change& change : model->changes) apply_change(model->durable, change);
  model->changes.clear();
  model->durable_exists = true;
  return SQLITE_OK;  // the model is the disk: no real fsync
}
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int shim_lock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
int shim_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int shim_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int shim_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int shim_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int shim_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int shim_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int shim_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}
int shim_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), offset, amount, out);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, p);
}

const sqlite3_io_methods kMethods = {
    3,
    shim_close,
    shim_read,
    shim_write,
    shim_truncate,
    shim_sync,
    shim_file_size,
    shim_lock,
    shim_unlock,
    shim_check_reserved,
    shim_file_control,
    shim_sector_size,
    shim_device_characteristics,
    shim_shm_map,
    shim_shm_lock,
    shim_shm_barrier,
    shim_shm_unmap,
    shim_fetch,
    shim_unfetch,
};

// The content of `path` now, and whether it exists.
bool read_whole(const std::string& path, std::string& content) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) content.append(buffer, n);
  ::close(fd);
  return true;
}

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  State& s = state();
  auto* shim = reinterpret_cast<ShimFile*>(f);
  shim->base.pMethods = nullptr;
  shim->model = nullptr;
  shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
  const bool tracked =
      name != nullptr &&
      (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL)) != 0;
  if (tracked) {
    std::lock_guard lock(s.mutex);
    const std::string path(name);
    auto [it, first] = s.files.try_emplace(path);
    FileModel& model = it->second;
    model.main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    if (first) {
      // What was there before the model began is taken as durable.
      model.durable_exists = read_whole(path, model.durable);
    } else if (::access(path.c_str(), F_OK) != 0) {
      // Made anew after an xDelete: empty until written.
      model.changes.push_back({Change::Type::reset, 0, {}});
    }
    shim->model = &model;  // std::map nodes do not move
  }
  const int rc = s.real->xOpen(s.real, name, shim->real, flags, out_flags);
  if (rc == SQLITE_OK) shim->base.pMethods = &kMethods;
  if (rc == SQLITE_OK && tracked) {
    std::lock_guard lock(s.mutex);
    FileModel& model = *shim->model;
    // A file this open created has no durable entry yet.
    if (!model.durable_exists && model.changes.empty()) {
      model.changes.push_back({Change::Type::reset, 0, {}});
    }
  }
  return rc;
}

int shim_delete(sqlite3_vfs*, const char* name, int dir_sync) {
  State& s = state();
  {
    std::lock_guard lock(s.mutex);
    auto it = s.files.find(name);
    if (it != s.files.end()) {
      count_mutating(s);
      FileModel& model = it->second;
      model.changes.push_back({Change::Type::reset, 0, {}});
      if (dir_sync) {
        model.durable_exists = false;
        model.durable.clear();
        model.changes.clear();
      }
    }
  }
  return s.real->xDelete(s.real, name, dir_sync);
}

int shim_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return state().real->xAccess(state().real, name, flags, out);
}
int shim_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return state().real->xFullPathname(state().real, name, n, out);
}
void* shim_dl_open(sqlite3_vfs*, const char* name) {
  return state().real->xDlOpen(state().real, name);
}
void shim_dl_error(sqlite3_vfs*, int n, char* out) { state().real->xDlError(state().real, n, out); }
void (*shim_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return state().real->xDlSym(state().real, handle, symbol);
}
void shim_dl_close(sqlite3_vfs*, void* handle) { state().real->xDlClose(state().real, handle); }
int shim_randomness(sqlite3_vfs*, int n, char* out) {
  return state().real->xRandomness(state().real, n, out);
}
int shim_sleep(sqlite3_vfs*, int micros) { return state().real->xSleep(state().real, micros); }
int shim_current_time(sqlite3_vfs*, double* out) {
  return state().real->xCurrentTime(state().real, out);
}
int shim_get_last_error(sqlite3_vfs*, int n, char* out) {
  return state().real->xGetLastError ? state().real->xGetLastError(state().real, n, out) : 0;
}
int shim_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return state().real->xCurrentTimeInt64(state().real, out);
}

}  // namespace

void install() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.mutating = 0;
  s.kind_calls[0] = s.kind_calls[1] = 0;
  if (s.real) return;
  sqlite3_initialize();
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (!real || real->iVersion < 2) throw std::runtime_error("no default SQLite VFS to wrap");
  static sqlite3_vfs shim{};
  shim.iVersion = 2;
  shim.szOsFile = static_cast<int>(sizeof(ShimFile)) + real->szOsFile;
  shim.mxPathname = real->mxPathname;
  shim.zName = "a3s-test-vfs";
  shim.xOpen = shim_open;
  shim.xDelete = shim_delete;
  shim.xAccess = shim_access;
  shim.xFullPathname = shim_full_pathname;
  shim.xDlOpen = shim_dl_open;
  shim.xDlError = shim_dl_error;
  shim.xDlSym = shim_dl_sym;
  shim.xDlClose = shim_dl_close;
  shim.xRandomness = shim_randomness;
  shim.xSleep = shim_sleep;
  shim.xCurrentTime = shim_current_time;
  shim.xGetLastError = shim_get_last_error;
  shim.xCurrentTimeInt64 = shim_current_time_int64;
  s.real = real;
  if (sqlite3_vfs_register(&shim, /*makeDflt=*/1) != SQLITE_OK) {
    s.real = nullptr;
    throw std::runtime_error("SQLite refused the test VFS");
  }
}

void cut_power_now(CutMode mode, std::uint32_t seed, std::function<void()> on_cut) {
  State& s = state();
  s.mutex.lock();  // held until the process dies
  s.cut_mode = mode;
  s.cut_seed = seed;
  s.on_cut = std::move(on_cut);
  cut_power(s);
}

std::uint64_t mutating_calls() {
  std::lock_guard lock(state().mutex);
  return state().mutating;
}

void power_cut_at(std::uint64_t call, CutMode mode, std::uint32_t seed,
                  std::function<void()> on_cut) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.cut_at = call;
  s.cut_mode = mode;
  s.cut_seed = seed;
  s.on_cut = std::move(on_cut);
}

void fail_from(Kind kind, std::uint64_t nth, int sqlite_code) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.failing = true;
  s.fail_kind = kind;
  s.fail_countdown = std::max<std::uint64_t>(nth, 1);
  s.fail_code = sqlite_code;
  s.failed = 0;
}

std::uint64_t clear_failure() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.failing = false;
  return s.failed;
}

std::uint64_t calls_of(Kind kind) {
  std::lock_guard lock(state().mutex);
  return state().kind_calls[static_cast<int>(kind)];
}

}  // namespace a3s::test::vfs
