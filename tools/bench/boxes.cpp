// The parallel box-start workload (see boxes.hpp).
//
// Threads: every box has its own Backend::for_another_thread() of one
// backend (the runtime's one process), made before the release; the threads
// wait on a latch and are released together; each times its own box from the
// release to its last operation. Processes: one child per box, forked before
// the release; the children block reading a pipe that the parent closes to
// release them all at once, time their box and write one fixed-size report
// (atomic: smaller than PIPE_BUF) to a shared pipe. Wall time is from the
// release to the last box done (the last report received).
#include "boxes.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "procs.hpp"

#ifndef A3S_STORE_CLI
#error "A3S_STORE_CLI must be defined (the a3s-store binary the processes run)"
#endif

namespace bench {
namespace {

namespace st = a3s::store;
using namespace std::chrono_literals;

// The 2.4.0 baseline: its rows report durability "none" (it never fsyncs),
// and its losses and errors are findings, not failures of the run.
constexpr Impl kBaseline = Impl::json_file_2_4_0;

constexpr std::size_t kCatalog = 1000;  // records in each catalog of the home
constexpr std::size_t kImages = 4;      // box i uses image i % kImages
constexpr auto kCommandTimeout = 60s;   // one CLI command of one box
constexpr auto kReadyTimeout = 120s;    // every child forked and waiting
constexpr auto kPhaseTimeout = 600s;    // every box of a phase done

struct Box {
  std::string id;
  std::string name;
  std::string image;
  VolumeConfig volume;  // its own; get_or_create makes it
};

std::string numbered(const char* prefix, std::size_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%04zu", prefix, i);
  return buf;
}

std::vector<Box> plan_boxes(std::size_t n, const fs::path& home) {
  const std::string now = st::format_rfc3339(st::now());
  std::vector<Box> boxes(n);
  for (std::size_t i = 0; i < n; ++i) {
    Box& b = boxes[i];
    b.id = numbered("boot-", i);
    b.name = numbered("svc-", i);
    b.image = image_reference(kCatalog - 1 - i % kImages);
    b.volume.name = numbered("boot-vol-", i);
    b.volume.mount_point = (home / "volumes" / b.volume.name).string();
    b.volume.labels = {{"box", b.id}};
    b.volume.created_at = now;
  }
  return boxes;
}

// Runs `op`, naming `what` in what it throws.
template <class F>
void step(const char* what, F&& op) {
  try {
    op();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(what) + ": " + e.what());
  }
}

// One box's start and stop as the runtime issues them.
void start_box(Backend& backend, const Box& box) {
  step("image.get", [&] {
    if (!backend.image_get(box.image)) throw std::runtime_error(box.image + " not found");
  });
  step("volume.get_or_create", [&] { backend.volume_get_or_create(box.volume); });
  step("volume.attach", [&] { backend.volume_attach(box.volume.name, box.id); });
  step("network.connect", [&] { backend.network_connect(kSharedNetwork, box.id, box.name); });
}

void stop_box(Backend& backend, const Box& box) {
  step("volume.detach", [&] { backend.volume_detach(box.volume.name, box.id); });
  step("network.disconnect", [&] { backend.network_disconnect(kSharedNetwork, box.id); });
}

using BoxOp = void (*)(Backend&, const Box&);

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return *ex.what() ? ex.what() : "failed";
  } catch (...) {
    return "unknown failure";
  }
}

std::uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

// What one phase (start or stop) of its boxes measured.
struct Phase {
  std::vector<std::uint64_t> latency_ns;  // per box
  std::vector<std::string> error;         // per box; empty when the box succeeded
  std::uint64_t wall_ns = 0;              // release to the last box done

  explicit Phase(std::size_t n) : latency_ns(n), error(n) {}
  std::size_t errors() const {
    return static_cast<std::size_t>(
        std::count_if(error.begin(), error.end(), [](const auto& e) { return !e.empty(); }));
  }
};

// ---- threads --------------------------------------------------------------

Phase run_in_threads(Backend& base, const std::vector<Box>& boxes, BoxOp op) {
  const std::size_t n = boxes.size();
  Phase phase(n);
  std::vector<std::unique_ptr<Backend>> backends;
  for (std::size_t i = 0; i < n; ++i) backends.push_back(base.for_another_thread());
  std::vector<Clock::time_point> ends(n);
  std::latch ready(static_cast<std::ptrdiff_t>(n) + 1);
  std::latch go(1);
  std::atomic<bool> abandon{false};
  std::vector<std::thread> threads;
  threads.reserve(n);
  const auto join_all = [&] {
    for (auto& t : threads) t.join();
  };
  try {
    for (std::size_t i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        ready.count_down();
        go.wait();
        if (abandon) return;
        const auto t0 = Clock::now();
        try {
          op(*backends[i], boxes[i]);
        } catch (...) {
          phase.error[i] = what_of(std::current_exception());
        }
        ends[i] = Clock::now();
        phase.latency_ns[i] = ns_between(t0, ends[i]);
      });
    }
  } catch (...) {  // a thread could not be made: release the others to quit
    abandon = true;
    go.count_down();
    join_all();
    throw;
  }
  ready.arrive_and_wait();
  const auto start = Clock::now();
  go.count_down();
  join_all();
  phase.wall_ns = ns_between(start, *std::max_element(ends.begin(), ends.end()));
  return phase;
}

// ---- processes ------------------------------------------------------------

// What a child reports of its box: fits in one atomic pipe write.
struct Report {
  std::uint32_t index = 0;
  std::uint32_t failed = 0;
  std::uint64_t ns = 0;
  char error[240] = {};
};
static_assert(sizeof(Report) <= PIPE_BUF);

// The body of child `index`; never returns.
[[noreturn]] void box_child(std::size_t index, const std::function<std::string()>& body,
                            int ready_fd, int go_fd, int report_fd) {
  write_all(ready_fd, "r", 1);
  char c = 0;
  while (::read(go_fd, &c, 1) < 0 && errno == EINTR) {
  }
  const auto t0 = Clock::now();
  std::string error;
  try {
    error = body();
  } catch (...) {
    error = what_of(std::current_exception());
  }
  Report report;
  report.index = static_cast<std::uint32_t>(index);
  report.failed = error.empty() ? 0 : 1;
  report.ns = ns_between(t0, Clock::now());
  std::snprintf(report.error, sizeof report.error, "%s", error.c_str());
  write_all(report_fd, &report, sizeof report);
  ::_exit(0);
}

// Runs bodies[i]() in a child process per box, all released together. Every
// child is reaped by PID; one that has not reported by the deadline is
// killed and its box counted as failed.
Phase run_in_processes(const std::vector<std::function<std::string()>>& bodies) {
  const std::size_t n = bodies.size();
  Phase phase(n);
  int ready[2];
  int go[2];
  int reports[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0 ||
      ::pipe2(reports, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  std::cout.flush();
  std::fflush(nullptr);
  std::vector<pid_t> children;
  std::string fork_error;
  for (std::size_t i = 0; i < n; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      fork_error = std::string("fork: ") + std::strerror(errno);
      break;
    }
    if (pid == 0) {
      ::close(ready[0]);
      ::close(go[1]);
      ::close(reports[0]);
      box_child(i, bodies[i], ready[1], go[0], reports[1]);
    }
    children.push_back(pid);
  }
  ::close(ready[1]);
  ::close(go[0]);
  ::close(reports[1]);

  // Bounded wait until every child waits on the release.
  std::size_t waiting = 0;
  const auto ready_deadline = Clock::now() + kReadyTimeout;
  while (fork_error.empty() && waiting < children.size() && Clock::now() < ready_deadline) {
    pollfd fd{ready[0], POLLIN, 0};
    if (::poll(&fd, 1, 1000) <= 0) continue;
    char buf[256];
    const ssize_t got = ::read(ready[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // every child died before getting ready
    waiting += static_cast<std::size_t>(got);
  }
  ::close(ready[0]);
  const bool released = fork_error.empty() && waiting == children.size();
  const auto start = Clock::now();
  ::close(go[1]);  // the release (or, on failure, lets the children run out)

  std::vector<bool> reported(n, false);
  auto last = start;
  if (released) {
    std::string pending;
    std::size_t received = 0;
    const auto deadline = start + kPhaseTimeout;
    while (received < n && Clock::now() < deadline) {
      pollfd fd{reports[0], POLLIN, 0};
      if (::poll(&fd, 1, 1000) <= 0) continue;
      char buf[sizeof(Report) * 16];
      const ssize_t got = ::read(reports[0], buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;  // every child gone
      last = Clock::now();
      pending.append(buf, static_cast<std::size_t>(got));
      while (pending.size() >= sizeof(Report)) {
        Report r;
        std::memcpy(&r, pending.data(), sizeof r);
        pending.erase(0, sizeof r);
        if (r.index >= n || reported[r.index]) continue;
        reported[r.index] = true;
        ++received;
        phase.latency_ns[r.index] = r.ns;
        if (r.failed) phase.error[r.index] = r.error[0] ? r.error : "failed";
      }
    }
  }
  ::close(reports[0]);
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (!released || !reported[i]) ::kill(children[i], SIGKILL);
  }
  for (pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!released) {
    throw std::runtime_error(!fork_error.empty()
                                 ? fork_error
                                 : std::to_string(waiting) + " of " + std::to_string(n) +
                                       " box processes got ready");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!reported[i]) phase.error[i] = "no report from the box's process (killed)";
  }
  phase.wall_ns = ns_between(start, last);
  return phase;
}

// One command a box's process runs, and the error text (stderr, else stdout)
// that still counts as success (the CLI has no get-or-create: create, and
// already_exists is the get).
struct Command {
  std::vector<std::string> argv;
  std::string ok_if_error_has;
};

std::string run_commands(const std::vector<Command>& commands) {
  for (const auto& c : commands) {
    const Spawned s = spawn(c.argv, /*capture_stdout=*/true, kCommandTimeout);
    if (s.exit_code == 0) continue;
    std::string text = s.err.empty() ? s.out : s.err;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (!c.ok_if_error_has.empty() && text.find(c.ok_if_error_has) != std::string::npos) continue;
    std::string what;  // the words after the home (argv: program, one word, home, ...)
    for (std::size_t k = 3; k < c.argv.size() && k < 7; ++k) what += c.argv[k].substr(0, 60) + " ";
    return what + "-> exit " + std::to_string(s.exit_code) + ": " + text.substr(0, 150);
  }
  return {};
}

// The commands of one box through the a3s-store CLI.
std::vector<Command> a3s_commands(const fs::path& home, const Box& box, bool start) {
  const std::vector<std::string> cli = {A3S_STORE_CLI, "--home", home.string()};
  const auto cmd = [&](std::vector<std::string> words, std::string ok = {}) {
    std::vector<std::string> argv = cli;
    argv.insert(argv.end(), words.begin(), words.end());
    return Command{std::move(argv), std::move(ok)};
  };
  if (!start) {
    return {cmd({"volume", "detach", box.volume.name, box.id}),
            cmd({"network", "disconnect", kSharedNetwork, box.id})};
  }
  return {cmd({"image", "inspect", box.image}),  // marks it used
          cmd({"volume", "create", box.volume.name, "--label", "box=" + box.id}, "already exists"),
          cmd({"volume", "attach", box.volume.name, box.id}),
          cmd({"network", "connect", kSharedNetwork, box.id, "--box-name", box.name})};
}

// The commands of one box through the baseline's `run` mode (one runtime
// process start each).
std::vector<Command> baseline_commands(const fs::path& binary, const fs::path& home, const Box& box,
                                       bool start) {
  const auto cmd = [&](std::vector<std::string> words) {
    std::vector<std::string> argv = {binary.string(), "run", home.string()};
    argv.insert(argv.end(), words.begin(), words.end());
    return Command{std::move(argv), {}};
  };
  if (!start) {
    return {cmd({"volume.detach", box.volume.name, box.id}),
            cmd({"network.disconnect", kSharedNetwork, box.id})};
  }
  return {cmd({"image.get", box.image}),
          cmd({"volume.get_or_create", st::to_json(box.volume).dump()}),
          cmd({"volume.attach", box.volume.name, box.id}),
          cmd({"network.connect", kSharedNetwork, box.id, box.name})};
}

// ---- one run --------------------------------------------------------------

struct Run {
  Impl impl;
  Durability durability;
  Mode mode;
  fs::path home;
};

Phase run_phase(const Run& run, Backend* threads_base, const std::vector<Box>& boxes, bool start) {
  if (boxes.empty()) return Phase(0);
  if (run.mode == Mode::threads) {
    return run_in_threads(*threads_base, boxes, start ? start_box : stop_box);
  }
  std::vector<std::function<std::string()>> bodies;
  for (const Box& box : boxes) {
    if (run.impl == Impl::a3s) {
      bodies.emplace_back(
          [cmds = a3s_commands(run.home, box, start)] { return run_commands(cmds); });
    } else if (run.impl == kBaseline) {
      bodies.emplace_back([cmds = baseline_commands(json_file_2_4_0_binary(), run.home, box,
                                                    start)] { return run_commands(cmds); });
    } else {  // sqlite-raw has no CLI: the child opens its own connection
      bodies.emplace_back([&run, &box, start] {
        auto backend = open_backend(run.impl, run.home, run.durability);
        (start ? start_box : stop_box)(*backend, box);
        return std::string();
      });
    }
  }
  return run_in_processes(bodies);
}

// What a fresh backend finds missing after a phase: for each box the phase
// acknowledged, its endpoint and its attachment (present after a start, gone
// after a stop); after a start, also every address held by two endpoints.
struct Check {
  std::size_t lost = 0;
  std::size_t shared_ips = 0;
};

Check check_home(const Run& run, const std::vector<Box>& boxes, const Phase& phase, bool start) {
  auto fresh = open_backend(run.impl, run.home, run.durability);
  const auto network = fresh->network_get(kSharedNetwork);
  if (!network) throw std::runtime_error(std::string("network ") + kSharedNetwork + " is gone");
  std::map<std::string, std::set<std::string>> users;
  for (const auto& v : fresh->volume_list()) {
    users[v.name].insert(v.in_use_by.begin(), v.in_use_by.end());
  }
  Check check;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    if (!phase.error[i].empty()) continue;
    const Box& box = boxes[i];
    const bool connected = network->endpoints.contains(box.id);
    const auto volume = users.find(box.volume.name);
    const bool attached = volume != users.end() && volume->second.contains(box.id);
    check.lost += (connected != start) + (attached != start);
  }
  if (start) {
    std::set<std::string> ips;
    for (const auto& [id, endpoint] : network->endpoints) ips.insert(endpoint.ip_address);
    check.shared_ips = network->endpoints.size() - ips.size();
    check.lost += check.shared_ips;
  }
  return check;
}

Row phase_row(const Row& base, const std::string& op, const Phase& phase, const Check& check) {
  Row row = base;
  row.op = op;
  std::vector<std::uint64_t> done;
  for (std::size_t i = 0; i < phase.error.size(); ++i) {
    if (phase.error[i].empty()) done.push_back(phase.latency_ns[i]);
  }
  row.result.ops = done.size();
  row.result.ns_per_op = static_cast<double>(phase.wall_ns) /
                         static_cast<double>(std::max<std::size_t>(row.records, 1));
  row.result.p99_ns = percentile_of(done, 0.99);
  row.extra["p50_ns"] = percentile_of(done, 0.5);
  row.extra["errors"] = phase.errors();
  row.extra["lost"] = check.lost;
  row.extra["shared_ips"] = check.shared_ips;
  row.extra["wall_ns"] = phase.wall_ns;
  return row;
}

std::string first_error(const Phase& phase) {
  for (const auto& e : phase.error) {
    if (!e.empty()) return e;
  }
  return {};
}

// What went wrong in a phase, or "" when nothing did.
std::string problems(const Row& row, const Phase& phase) {
  std::string text;
  if (const std::size_t errors = phase.errors(); errors > 0) {
    text = std::to_string(errors) + " of " + std::to_string(phase.error.size()) +
           " boxes failed (first: " + first_error(phase) + ")";
  }
  if (const auto lost = row.extra["lost"].get<std::size_t>(); lost > 0) {
    text += (text.empty() ? "" : "; ") + std::to_string(lost) + " acknowledged change(s) lost";
    if (const auto shared = row.extra["shared_ips"].get<std::size_t>(); shared > 0) {
      text += " (" + std::to_string(shared) + " address(es) given twice)";
    }
  }
  return text;
}

}  // namespace

std::vector<Row> run_boxes(Impl impl, Durability durability, std::size_t boxes, Mode mode,
                           std::vector<std::string>& notes) {
  const bool baseline = impl == kBaseline;
  Row base;
  base.impl = std::string(impl_name(impl));
  base.records = boxes;
  base.durability = baseline ? "none" : std::string(durability_name(durability));
  base.threads = static_cast<int>(boxes);
  base.mode = std::string(mode_name(mode));

  TempDir tmp("boxes-" + base.impl + "-" + std::to_string(boxes));
  const Run run{impl, durability, mode, tmp.path() / "home"};
  CatalogSpec spec;
  spec.networks = spec.volumes = spec.snapshots = spec.images = kCatalog;
  spec.shared_network = true;  // the default network every box joins

  std::vector<Row> rows;
  try {
    populate_home(impl, run.home, spec);
    const std::vector<Box> plan = plan_boxes(boxes, run.home);
    // Threads share one backend, the runtime's process, for both phases.
    std::unique_ptr<Backend> threads_base;
    if (mode == Mode::threads) threads_base = open_backend(impl, run.home, durability);

    Phase start = run_phase(run, threads_base.get(), plan, /*start=*/true);
    const Check start_check = check_home(run, plan, start, /*start=*/true);
    rows.push_back(phase_row(base, "boxes.start", start, start_check));

    std::vector<Box> started;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      if (start.error[i].empty()) started.push_back(plan[i]);
    }
    Phase stop = run_phase(run, threads_base.get(), started, /*start=*/false);
    threads_base.reset();
    const Check stop_check = check_home(run, started, stop, /*start=*/false);
    rows.push_back(phase_row(base, "boxes.stop", stop, stop_check));

    for (std::size_t k = 0; k < rows.size(); ++k) {
      const std::string text = problems(rows[k], k == 0 ? start : stop);
      if (text.empty()) continue;
      if (baseline) {
        notes.push_back("finding: " + base.impl + " " + rows[k].op + ", " + std::to_string(boxes) +
                        " " + base.mode + ": " + text);
      } else {
        rows[k].note = "error: " + text;
      }
    }
  } catch (const std::exception& e) {
    Row row = base;
    row.op = rows.empty() ? "boxes.start" : "boxes.stop";
    row.note = std::string("error: ") + e.what();
    if (baseline) {
      notes.push_back("finding: " + base.impl + " " + row.op + ", " + std::to_string(boxes) + " " +
                      base.mode + " did not complete: " + e.what());
    } else {
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::vector<Row> run_box_workloads(const std::vector<std::size_t>& box_counts,
                                   const std::function<bool(Impl)>& wanted,
                                   const std::vector<Durability>& durabilities,
                                   std::vector<std::string>& notes) {
  std::vector<Row> rows;
  if (box_counts.empty()) return rows;
  const auto began = Clock::now();
  bool a3s_normal_skipped = false;
  bool raw_processes = false;
  bool baseline_skipped = false;
  for (std::size_t n : box_counts) {
    std::fprintf(stderr, "bench: %zu boxes starting at once\n", n);
    for (Impl impl : {kBaseline, Impl::sqlite_raw, Impl::a3s}) {
      if (!wanted(impl)) continue;
      const std::vector<Durability> durs =
          impl == kBaseline ? std::vector<Durability>{Durability::full} : durabilities;
      for (Durability d : durs) {
        for (Mode mode : {Mode::threads, Mode::processes}) {
          if (mode == Mode::processes && impl == Impl::a3s && d != Durability::full) {
            a3s_normal_skipped = true;
            continue;
          }
          if (mode == Mode::processes && impl == kBaseline) {
            const fs::path binary = json_file_2_4_0_binary();
            if (binary.empty() || !fs::exists(binary)) {
              baseline_skipped = true;
              continue;
            }
          }
          raw_processes = raw_processes || (mode == Mode::processes && impl == Impl::sqlite_raw);
          for (auto& row : run_boxes(impl, d, n, mode, notes)) rows.push_back(std::move(row));
        }
      }
    }
  }
  notes.push_back(
      "boxes: each box: image get (marks it used), volume get_or_create + attach of its own "
      "volume, connect to one shared /16 network; stop: volume detach, network disconnect. "
      "Home: " +
      std::to_string(kCatalog) + " records in each catalog, " + std::to_string(kImages) +
      " images shared by the boxes. a3s processes: one child per box running a3s-store "
      "commands in sequence (image inspect, volume create with already_exists taken as the "
      "get, volume attach, network connect; volume detach, network disconnect), each a cold "
      "open");
  if (a3s_normal_skipped) {
    notes.push_back(
        "boxes: no a3s NORMAL row in processes mode: the a3s-store CLI opens the "
        "store at FULL (it has no durability option)");
  }
  if (raw_processes) {
    notes.push_back(
        "boxes: sqlite-raw has no CLI: in processes mode each box is a forked child "
        "that opens its own connection after the release and runs the operations");
  }
  if (baseline_skipped) {
    notes.push_back("boxes: json-file-2.4.0 processes rows skipped: its binary was not built");
  }
  char took[96];
  std::snprintf(took, sizeof took, "boxes: the workload took %.1f s",
                std::chrono::duration<double>(Clock::now() - began).count());
  notes.push_back(took);
  return rows;
}

void print_boxes_table(const std::vector<Row>& input) {
  std::vector<const Row*> rows;
  for (const auto& r : input) {
    if (r.op == "boxes.start" || r.op == "boxes.stop") rows.push_back(&r);
  }
  if (rows.empty()) return;
  std::stable_sort(rows.begin(), rows.end(), [](const Row* a, const Row* b) {
    return std::tie(a->records, a->mode, a->impl, a->durability, a->op) <
           std::tie(b->records, b->mode, b->impl, b->durability, b->op);
  });
  const auto ms = [](double ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", ns / 1e6);
    return std::string(buf);
  };
  std::cout << "\nBoxes starting and stopping at once (ms; per-box p50/p99)\n";
  std::printf("%-11s %5s %-9s %-15s %-6s %10s %9s %9s %6s %5s\n", "op", "boxes", "mode", "impl",
              "dur", "wall", "p50", "p99", "errors", "lost");
  for (const Row* r : rows) {
    if (!r->note.empty()) {
      std::printf("%-11s %5zu %-9s %-15s %-6s %s\n", r->op.c_str(), r->records, r->mode.c_str(),
                  r->impl.c_str(), r->durability.c_str(), r->note.c_str());
      continue;
    }
    const bool any = r->result.ops > 0;  // else no box succeeded: no per-box figure
    std::printf("%-11s %5zu %-9s %-15s %-6s %10s %9s %9s %6zu %5zu\n", r->op.c_str(), r->records,
                r->mode.c_str(), r->impl.c_str(), r->durability.c_str(),
                ms(r->extra.value("wall_ns", 0.0)).c_str(),
                any ? ms(r->extra.value("p50_ns", 0.0)).c_str() : "-",
                any ? ms(r->result.p99_ns).c_str() : "-", r->extra.value("errors", std::size_t{0}),
                r->extra.value("lost", std::size_t{0}));
  }
  std::fflush(stdout);
}

}  // namespace bench
