// Many processes opening one home at the same moment, on a loaded host: each
// one opens it (waiting, never failing with busy or taking a half-created
// database for a foreign one), each migration is applied exactly once, and an
// upgrade leaves exactly one backup.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "database.hpp"
#include "fault_injection.hpp"
#include "migration_engine.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::TempDir;

namespace {

constexpr int kProcesses = 32;
constexpr int kRounds = 50;
constexpr int kCpuBurners = 2;

// A child's report: its exit status and, when it failed, what it caught.
struct ChildOutcome {
  int exit_code = -1;
  std::string error;
};

// Keeps at most PIPE_BUF bytes so a child's single write to its report pipe
// never blocks, even though the parent reads only after the child exited.
constexpr std::size_t kMaxReport = 4000;

void write_all(int fd, const std::string& text) {
  const std::string report = text.substr(0, kMaxReport);
  std::size_t done = 0;
  while (done < report.size()) {
    const ssize_t n = ::write(fd, report.data() + done, report.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

int status_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A forked child and the read end of its report pipe.
struct Child {
  pid_t pid = -1;
  int report = -1;
};

// Forks a child that runs `body`: returning exits 0; throwing writes the
// exception's message to the child's own report pipe and exits 1. The
// parent's copy of the pipe's write end is closed, so the read end sees
// end-of-file when the child exits.
Child start_child(const std::function<void()>& body) {
  int report[2];
  if (::pipe(report) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(report[0]);
    ::close(report[1]);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::close(report[0]);
    int code = 0;
    try {
      body();
    } catch (const std::exception& e) {
      write_all(report[1], e.what());
      code = 1;
    } catch (...) {
      write_all(report[1], "an exception that is not a std::exception");
      code = 1;
    }
    std::_Exit(code);  // no atexit handlers, no destructors of the parent's objects
  }
  ::close(report[1]);
  return Child{pid, report[0]};
}

ChildOutcome wait_for(const Child& child) {
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildOutcome outcome;
  outcome.exit_code = status_code(status);
  outcome.error = read_all(child.report);
  ::close(child.report);
  return outcome;
}

// Reads one byte from `fd`; false at end-of-file.
bool read_byte(int fd) {
  char byte;
  for (;;) {
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    return n == 1;
  }
}

// Forks `count` children and starts `body(index)` in all of them at once:
// each child blocks reading a gate pipe whose write end only the parent
// keeps, and the parent closes it after the last fork, so every read returns
// end-of-file together. Waits for all of them and returns their outcomes in
// index order.
std::vector<ChildOutcome> run_together(int count, const std::function<void(int)>& body) {
  int gate[2];
  if (::pipe(gate) != 0) throw std::runtime_error("pipe failed");
  std::vector<Child> children;
  std::string fork_error;
  for (int i = 0; i < count; ++i) {
    try {
      children.push_back(start_child([&, i] {
        ::close(gate[1]);
        read_byte(gate[0]);
        body(i);
      }));
    } catch (const std::exception& e) {
      fork_error = e.what();
      break;
    }
  }
  ::close(gate[1]);  // the start signal (also releases the forked ones if a fork failed)
  ::close(gate[0]);
  std::vector<ChildOutcome> outcomes;
  for (const Child& child : children) outcomes.push_back(wait_for(child));
  if (!fork_error.empty()) throw std::runtime_error("cannot start the children: " + fork_error);
  return outcomes;
}

// Processes that keep the cores busy for the whole test, so the openers are
// preempted at arbitrary points as on a loaded host. Each spins until `limit`
// has passed, so none outlives an aborted test run for long; the destructor
// kills them by PID and reaps them.
class CpuLoad {
 public:
  CpuLoad(int processes, std::chrono::seconds limit) {
    for (int i = 0; i < processes; ++i) {
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed");
      if (pid == 0) {
        const auto until = std::chrono::steady_clock::now() + limit;
        volatile std::uint64_t spins = 0;
        while (std::chrono::steady_clock::now() < until) {
          for (int k = 0; k < 1'000'000; ++k) spins = spins + 1;
        }
        std::_Exit(0);
      }
      pids_.push_back(pid);
    }
  }
  ~CpuLoad() {
    for (const pid_t pid : pids_) ::kill(pid, SIGKILL);
    for (const pid_t pid : pids_) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  CpuLoad(const CpuLoad&) = delete;
  CpuLoad& operator=(const CpuLoad&) = delete;

 private:
  std::vector<pid_t> pids_;
};

int latest_version() { return st::detail::embedded_migrations().back().version; }

std::string upgrade_backup_prefix() {
  return "box.db.bak-v1-to-v" + std::to_string(latest_version()) + "-";
}

// Creates a version 1 database in `home`, closed again before returning: no
// child forked afterwards inherits a connection.
void make_version_1(const fs::path& home) {
  st::Database db(st::resolve(a3s::test::options_for(home)));
  st::detail::migrate(db, st::detail::embedded_migrations(), 1);
}

// Opens the store in `home` and creates volume "v<index>" in it.
void open_and_create_volume(const fs::path& home, int index) {
  auto store = st::Store::open(a3s::test::options_for(home));
  st::VolumeConfig volume;
  volume.name = "v" + std::to_string(index);
  volume.created_at = "2026-01-01T00:00:00Z";
  store->volumes().create(volume);
}

// What is wrong with `home` after a round (nothing when empty): the
// schema_migrations rows, user_version, the number of volumes and the
// backups. `expected_backup_prefix` empty means no backup may exist.
std::vector<std::string> problems_after_round(const fs::path& home,
                                              const std::string& expected_backup_prefix,
                                              int expected_volumes = kProcesses) {
  std::vector<std::string> problems;
  const fs::path db = home / "box.db";
  SQLite::Database sql(db.string(), SQLite::OPEN_READONLY);

  std::vector<int> versions;
  SQLite::Statement rows(sql, "SELECT version FROM schema_migrations ORDER BY version");
  while (rows.executeStep()) versions.push_back(rows.getColumn(0).getInt());
  std::vector<int> expected_versions;
  for (const auto& m : st::detail::embedded_migrations()) expected_versions.push_back(m.version);
  if (versions != expected_versions) {
    std::ostringstream text;
    text << "schema_migrations holds versions";
    for (const int v : versions) text << " " << v;
    problems.push_back(text.str());
  }
  const int user_version = sql.execAndGet("PRAGMA user_version").getInt();
  if (user_version != latest_version()) {
    problems.push_back("user_version is " + std::to_string(user_version));
  }
  const int volumes = sql.execAndGet("SELECT count(*) FROM volumes").getInt();
  if (volumes != expected_volumes) problems.push_back(std::to_string(volumes) + " volumes");

  std::vector<std::string> backups;
  for (const auto& name : a3s::test::entries(home)) {
    if (name.rfind("box.db.bak-", 0) == 0) backups.push_back(name);
  }
  const bool want_one = !expected_backup_prefix.empty();
  const bool backups_ok =
      want_one ? backups.size() == 1 && backups[0].rfind(expected_backup_prefix, 0) == 0
               : backups.empty();
  if (!backups_ok) {
    std::string text = "backups:";
    for (const auto& b : backups) text += " " + b;
    if (backups.empty()) text += " none";
    problems.push_back(text);
  }
  return problems;
}

// Replaces every occurrence of `path` in `text` with "<home>", so the same
// failure in different rounds counts as one message.
std::string without_path(std::string text, const std::string& path) {
  for (std::size_t at = text.find(path); at != std::string::npos; at = text.find(path, at)) {
    text.replace(at, path.size(), "<home>");
  }
  return text;
}

// Failures over all rounds: how many rounds had any, how many children
// failed, and each distinct message with its count.
struct Tally {
  int rounds = 0;
  int failed_rounds = 0;
  int failed_children = 0;
  std::map<std::string, int> messages;

  void add(const fs::path& home, const std::vector<ChildOutcome>& outcomes,
           const std::vector<std::string>& problems) {
    ++rounds;
    bool failed = !problems.empty();
    for (const auto& outcome : outcomes) {
      if (outcome.exit_code == 0) continue;
      failed = true;
      ++failed_children;
      ++messages["child exit " + std::to_string(outcome.exit_code) + ": " +
                 without_path(outcome.error, home.string())];
    }
    for (const auto& p : problems) ++messages["after the round: " + p];
    if (failed) ++failed_rounds;
  }

  std::string summary(std::chrono::steady_clock::duration took) const {
    std::ostringstream text;
    text << failed_children << " of " << rounds * kProcesses << " children failed, "
         << failed_rounds << " of " << rounds << " rounds failed, in "
         << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() / 1000.0 << " s";
    for (const auto& [message, count] : messages) text << "\n  " << count << " x " << message;
    return text.str();
  }
};

}  // namespace

TEST_CASE("processes opening a new home at once all open it and create their volumes",
          "[open_race][multiprocess]") {
  CpuLoad load(kCpuBurners, std::chrono::seconds(900));
  Tally tally;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    TempDir home;
    const auto outcomes =
        run_together(kProcesses, [&](int index) { open_and_create_volume(home.path(), index); });
    tally.add(home.path(), outcomes, problems_after_round(home.path(), ""));
  }
  const std::string summary = tally.summary(std::chrono::steady_clock::now() - start);
  WARN("new home, " << kProcesses << " processes x " << kRounds << " rounds: " << summary);
  INFO(summary);
  CHECK(tally.failed_children == 0);
  CHECK(tally.failed_rounds == 0);
}

TEST_CASE("processes opening a version 1 home at once: one upgrade, one backup, all open it",
          "[open_race][multiprocess]") {
  CpuLoad load(kCpuBurners, std::chrono::seconds(900));
  Tally tally;
  const std::string backup_prefix = upgrade_backup_prefix();
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    TempDir home;
    make_version_1(home.path());
    const auto outcomes =
        run_together(kProcesses, [&](int index) { open_and_create_volume(home.path(), index); });
    tally.add(home.path(), outcomes, problems_after_round(home.path(), backup_prefix));
  }
  const std::string summary = tally.summary(std::chrono::steady_clock::now() - start);
  WARN("version 1 home, " << kProcesses << " processes x " << kRounds << " rounds: " << summary);
  INFO(summary);
  CHECK(tally.failed_children == 0);
  CHECK(tally.failed_rounds == 0);
}

// The case the upgrade lock exists for, made deterministic: a process that
// reads the schema between two migrations of another process's upgrade must
// wait for the upgrade, not take the half-upgraded database for an old one
// and back it up a second time.
TEST_CASE("a process opening between two migrations of another's upgrade waits for it",
          "[open_race][multiprocess]") {
  REQUIRE(latest_version() >= 3);  // two migrations after version 1: a pause between them
  TempDir home;
  make_version_1(home.path());
  int paused[2];
  int resume[2];
  REQUIRE(::pipe(paused) == 0);
  REQUIRE(::pipe(resume) == 0);

  // Applies migration 2, says so, and waits for the word to apply the rest.
  const Child upgrader = start_child([&] {
    ::close(paused[0]);
    ::close(resume[1]);
    bool paused_once = false;
    st::detail::set_fault_hook([&](std::string_view point) {
      if (point != "migration.applied" || paused_once) return;
      paused_once = true;
      write_all(paused[1], "p");
      read_byte(resume[0]);
    });
    open_and_create_volume(home.path(), 0);
  });
  ::close(paused[1]);
  ::close(resume[0]);
  const bool reached_pause = read_byte(paused[0]);
  ::close(paused[0]);

  bool opener_finished_during_pause = false;
  Child opener;
  if (reached_pause) {
    opener = start_child([&] {
      ::close(resume[1]);
      open_and_create_volume(home.path(), 1);
    });
    // Waiting is right here, so finishing within a generous bound is the
    // failure; the report pipe's end-of-file says the opener exited.
    pollfd exited{opener.report, POLLIN, 0};
    opener_finished_during_pause = ::poll(&exited, 1, 2000) > 0;
  }
  if (reached_pause) write_all(resume[1], "r");  // else no reader is left: no SIGPIPE
  ::close(resume[1]);
  const ChildOutcome upgraded = wait_for(upgrader);
  INFO("upgrader: exit " << upgraded.exit_code << " " << upgraded.error);
  REQUIRE(reached_pause);
  const ChildOutcome opened = wait_for(opener);
  INFO("opener: exit " << opened.exit_code << " " << opened.error);
  CHECK(upgraded.exit_code == 0);
  CHECK(opened.exit_code == 0);
  CHECK_FALSE(opener_finished_during_pause);
  CHECK(problems_after_round(home.path(), upgrade_backup_prefix(), 2) ==
        std::vector<std::string>{});
}
