// Crash torture (SPEC §4: every operation atomic, "a crash at any point
// leaves the old or the new state visible", acknowledged writes durable):
// three writer processes (torture_writer.cpp; the third through the C API
// alone) do mixed operations on all four stores of one home and acknowledge
// each call in a file of their own once it returned. Each round the test
// SIGKILLs every writer, each at a random moment of its own (the others keep
// writing while one dies) or, in a third of the rounds, all at one moment;
// then it reopens the store (which sweeps staging leftovers) and verifies,
// every round:
//   - PRAGMA integrity_check (in the sqlite3 shell) is ok, and the library's
//     check() finds nothing; no row lacks its files, no file lacks its row,
//     nothing is left in staging; the running totals equal the tables;
//   - every acknowledged write is there and every acknowledged removal is
//     not: the last acknowledged state of each network, endpoint, volume,
//     volume user, snapshot and image reference, where the one call a writer
//     had in flight when it died may have happened or not;
//   - no two endpoints of a network share an IP (MAC derived from it), no
//     volume lists a user twice, every image's layout and every snapshot's
//     rootfs holds the bytes its record counts.
// Then writers start again, with new seeds and new names.
//
// A3S_TORTURE_SEED (default 12345) seeds everything; A3S_TORTURE_KILLS
// (default 300) sets how many kills to make and A3S_TORTURE_SECONDS (default
// 120) caps the wall time, after which the test stops early and says so.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "a3s/store/store.hpp"
#include "home_check.hpp"
#include "test_support.hpp"
#include "torture_plan.hpp"
#include "totals_check.hpp"

extern char** environ;

namespace fs = std::filesystem;
namespace st = a3s::store;
namespace plan = a3s::test::torture;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kWriters = 3;
// How long a writer may take to die once SIGKILLed (it may be inside an
// fsync): far longer than that ever takes, short enough to fail clearly.
constexpr auto kDeathTimeout = std::chrono::seconds(10);

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::stoull(value) : fallback;
}

// Facts the store holds, each a key with a value: "network N", "endpoint N
// BOX", "volume V", "user V BOX", "snapshot S" (value "1") and "image REF"
// (value its digest).
using Facts = std::map<std::string, std::string>;

void erase_prefixed(Facts& facts, const std::string& prefix) {
  auto it = facts.lower_bound(prefix);
  while (it != facts.end() && it->first.starts_with(prefix)) it = facts.erase(it);
}

// What the acknowledgements say the store holds. Each key is changed only by
// the writer owning it, except an image reference, which another writer's
// evict may remove: references are never put twice, so a removal, seen in
// any writer's file, is final.
class Model {
 public:
  // Applies one operation, as the words of its ack line (op, arguments,
  // outcome, evicted references) to `facts`.
  void apply(const std::vector<std::string>& w, Facts& facts) {
    const std::string& op = w.at(0);
    const std::string& outcome = w.back();
    if (op == "network_create") {
      facts["network " + w.at(1)] = "1";
    } else if (op == "network_remove" && outcome == "ok") {
      facts.erase("network " + w.at(1));
      erase_prefixed(facts, "endpoint " + w.at(1) + " ");
    } else if (op == "connect") {
      facts["endpoint " + w.at(1) + " " + w.at(2)] = "1";
    } else if (op == "disconnect") {
      facts.erase("endpoint " + w.at(1) + " " + w.at(2));
    } else if (op == "volume_create") {
      facts["volume " + w.at(1)] = "1";
    } else if (op == "attach") {
      facts["user " + w.at(1) + " " + w.at(2)] = "1";
    } else if (op == "detach") {
      facts.erase("user " + w.at(1) + " " + w.at(2));
    } else if (op == "volume_remove" && outcome == "ok") {
      facts.erase("volume " + w.at(1));
      erase_prefixed(facts, "user " + w.at(1) + " ");
    } else if (op == "snapshot_save") {
      facts["snapshot " + w.at(1)] = "1";
    } else if (op == "snapshot_delete") {
      facts.erase("snapshot " + w.at(1));
    } else if (op == "image_put") {
      if (!gone_.count(w.at(1))) facts["image " + w.at(1)] = w.at(2);
    } else if (op == "image_remove") {
      remove_image(w.at(1), facts);
    } else if (op == "image_evict") {
      // "image_evict ok REF...": the outcome comes before the references.
      for (std::size_t i = 2; i < w.size(); ++i) remove_image(w[i], facts);
    }
  }

  // Reads the lines a writer appended since the last call: acknowledged
  // operations are applied; a call begun and never acknowledged (the writer
  // died in it) is returned, as its words, to be settled by in_flight().
  std::optional<std::vector<std::string>> read(const std::string& text, std::uint64_t& acked) {
    std::istringstream lines(text);
    std::string line;
    std::optional<std::vector<std::string>> pending;
    while (std::getline(lines, line)) {
      std::istringstream in(line);
      std::vector<std::string> words;
      for (std::string word; in >> word;) words.push_back(word);
      if (words.size() < 3) throw std::runtime_error("malformed ack line '" + line + "'");
      const std::string kind = words[0];
      words.erase(words.begin(), words.begin() + 2);  // "begin"/"ack" and the sequence number
      if (kind == "begin") {
        pending = words;
        continue;
      }
      pending.reset();
      ++acked;
      apply(words, facts_);
    }
    return pending;
  }

  // A call in flight when its writer died may have taken effect or not:
  // each fact it would change may hold either value.
  void in_flight(std::vector<std::string> words) {
    if (words.at(0) == "image_evict") {
      evict_in_flight_ = true;  // which references it took is unknown
      return;
    }
    words.push_back("ok");
    Facts after = facts_;
    apply(words, after);
    for (const auto& [key, value] : after) {
      if (facts_.count(key) == 0 || facts_.at(key) != value) either_[key] = {value, value_of(key)};
    }
    for (const auto& [key, value] : facts_) {
      if (after.count(key) == 0) either_[key] = {"", value};
    }
  }

  // The differences between the acknowledged facts and what the store
  // holds, as sentences; then takes the store's facts as the new state (the
  // calls in flight are settled).
  std::vector<std::string> settle(const Facts& observed) {
    std::set<std::string> keys;
    for (const auto& [key, value] : facts_) keys.insert(key);
    for (const auto& [key, value] : observed) keys.insert(key);
    std::vector<std::string> problems;
    for (const auto& key : keys) {
      const std::string expected = value_of(key);
      const auto found = observed.find(key);
      const std::string actual = found == observed.end() ? "" : found->second;
      if (expected == actual) continue;
      const auto alternatives = either_.find(key);
      if (alternatives != either_.end() && alternatives->second.count(actual)) continue;
      if (evict_in_flight_ && key.starts_with("image ") && actual.empty()) continue;
      problems.push_back(key + ": acknowledged " + (expected.empty() ? "absent" : expected) +
                         ", but the store holds " + (actual.empty() ? "nothing" : actual));
    }
    facts_ = observed;
    either_.clear();
    evict_in_flight_ = false;
    return problems;
  }

  Facts& facts() { return facts_; }

 private:
  std::string value_of(const std::string& key) const {
    const auto it = facts_.find(key);
    return it == facts_.end() ? "" : it->second;
  }
  void remove_image(const std::string& reference, Facts& facts) {
    gone_.insert(reference);
    facts.erase("image " + reference);
  }

  Facts facts_;
  std::set<std::string> gone_;                           // references removed or evicted
  std::map<std::string, std::set<std::string>> either_;  // key -> values allowed ("" = absent)
  bool evict_in_flight_ = false;
};

// The store's facts, and the problems with its records that need no
// acknowledgement to see: shared IPs, MACs that do not follow them, users
// listed twice, files holding other bytes than their records count.
std::vector<std::string> observe(st::Store& store, Facts& facts) {
  std::vector<std::string> problems;
  for (const auto& n : store.networks().list()) {
    facts["network " + n.name] = "1";
    std::set<std::string> ips;
    for (const auto& [box, e] : n.endpoints) {
      facts["endpoint " + n.name + " " + box] = "1";
      if (!ips.insert(e.ip_address).second || e.ip_address == n.gateway) {
        problems.push_back("network '" + n.name + "': " + box + " got taken IP " + e.ip_address);
      }
      unsigned a = 0, b = 0, c = 0, d = 0;
      char mac[18] = {};
      if (std::sscanf(e.ip_address.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
        std::snprintf(mac, sizeof mac, "02:42:%02x:%02x:%02x:%02x", a, b, c, d);
      }
      if (e.mac_address != mac) {
        problems.push_back("network '" + n.name + "': " + box + " has MAC " + e.mac_address +
                           " for IP " + e.ip_address);
      }
    }
  }
  for (const auto& v : store.volumes().list()) {
    facts["volume " + v.name] = "1";
    for (const auto& box : v.in_use_by) {
      if (facts.count("user " + v.name + " " + box)) {
        problems.push_back("volume '" + v.name + "' lists user " + box + " twice");
      }
      facts["user " + v.name + " " + box] = "1";
    }
  }
  for (const auto& s : store.snapshots().list()) {
    facts["snapshot " + s.id] = "1";
    const fs::path rootfs = store.snapshots().directory_of(s.id) / "rootfs";
    if (!fs::is_directory(rootfs) || a3s::test::regular_file_bytes(rootfs) != s.size_bytes) {
      problems.push_back("snapshot '" + s.id + "': rootfs missing or not its " +
                         std::to_string(s.size_bytes) + " bytes");
    }
  }
  for (const auto& i : store.images().list()) {
    facts["image " + i.reference] = i.digest;
    int k = 0;
    while (k < plan::kDigestCount && plan::digest(k) != i.digest) ++k;
    const fs::path layout = store.images().layout_of(i.digest);
    if (k == plan::kDigestCount || i.path != layout.string() || !fs::is_directory(layout) ||
        i.size_bytes != plan::layout_bytes(k) ||
        a3s::test::regular_file_bytes(layout) != i.size_bytes) {
      problems.push_back("image '" + i.reference + "': layout " + i.path + " missing or not its " +
                         std::to_string(i.size_bytes) + " bytes");
    }
  }
  return problems;
}

st::Options store_options(const fs::path& home) {
  st::Options options = a3s::test::options_for(home);
  options.image_cache_max_bytes = plan::kImageCacheBytes;
  return options;
}

// The writer processes alive; any left when the test ends (a failed
// assertion) are killed and reaped.
class Writers {
 public:
  Writers() = default;
  Writers(const Writers&) = delete;
  Writers& operator=(const Writers&) = delete;
  ~Writers() {
    for (const pid_t pid : pids_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  // Starts the writer `program` with `args`, its output appended to `log`.
  pid_t start(const std::vector<std::string>& args, const fs::path& log) {
    std::vector<std::string> storage = args;
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
    pids_.push_back(pid);
    return pid;
  }

  // Waits at most kDeathTimeout for `pid` to end; returns its exit code, or
  // 128 + the signal that killed it, or -1 when it did not end in time
  // (it stays in the list, to be killed at the end).
  int wait(pid_t pid) {
    const auto deadline = Clock::now() + kDeathTimeout;
    for (;;) {
      int status = 0;
      const pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done == pid) {
        std::erase(pids_, pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (done < 0 || Clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  std::vector<pid_t> pids_;
};

}  // namespace

TEST_CASE("writers SIGKILLed at random moments never lose an acknowledged write", "[torture]") {
  const std::uint64_t seed = env_number("A3S_TORTURE_SEED", 12345);
  const std::uint64_t kill_target = env_number("A3S_TORTURE_KILLS", 300);
  const auto time_cap = std::chrono::seconds(env_number("A3S_TORTURE_SECONDS", 120));
  const char* writer_program = std::getenv("A3S_TORTURE_WRITER");
  REQUIRE(writer_program != nullptr);
  std::cout << "torture: seed " << seed << " (A3S_TORTURE_SEED), " << kill_target
            << " kills (A3S_TORTURE_KILLS)" << std::endl;

  a3s::test::TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const fs::path work = tmp.path() / "work";
  fs::create_directories(work);
  Model model;
  {
    auto store = st::Store::open(store_options(home));
    st::NetworkConfig shared;
    shared.name = plan::kSharedNetwork;
    shared.subnet = plan::kSharedSubnet;
    shared.created_at = "2026-01-01T00:00:00Z";
    store->networks().create(shared);
    model.facts()["network " + std::string(plan::kSharedNetwork)] = "1";
  }  // the test holds no store while writers run

  std::mt19937_64 rng(seed);
  Writers writers;
  std::uint64_t kills = 0, rounds = 0, acked = 0, in_flight = 0;
  int generation = 0;
  std::vector<std::uint64_t> ack_offsets(kWriters, 0);
  const auto started = Clock::now();
  bool capped = false;
  while (kills < kill_target) {
    if (Clock::now() - started > time_cap) {
      capped = true;
      break;
    }
    INFO("seed " << seed << ", round " << rounds + 1);
    // Start every writer, and pick the moment each dies: 5 to 500 ms after
    // its start (opening the store takes a writer tens of milliseconds, on
    // a busy machine over a hundred), all at once in a third of the rounds.
    // The random moments are the point of the test, not a wait for
    // something: a barrier would only kill writers where it is placed.
    struct Victim {
      pid_t pid;
      int id;
      Clock::time_point death;
    };
    std::vector<Victim> victims;
    const bool together = std::uniform_int_distribution<int>(0, 2)(rng) == 0;
    std::uniform_int_distribution<int> delay_ms(5, 500);
    const auto common = std::chrono::milliseconds(delay_ms(rng));
    for (int id = 0; id < kWriters; ++id) {
      ++generation;
      const std::vector<std::string> args = {writer_program,
                                             id == kWriters - 1 ? "c" : "cpp",
                                             home.string(),
                                             std::to_string(id),
                                             std::to_string(generation),
                                             std::to_string(rng()),
                                             (work / ("acks-" + std::to_string(id))).string(),
                                             (work / ("scratch-" + std::to_string(id))).string()};
      const pid_t pid = writers.start(args, work / ("log-" + std::to_string(id)));
      const auto delay = together ? common : std::chrono::milliseconds(delay_ms(rng));
      victims.push_back({pid, id, Clock::now() + delay});
    }
    std::sort(victims.begin(), victims.end(),
              [](const Victim& a, const Victim& b) { return a.death < b.death; });
    for (const auto& v : victims) {
      std::this_thread::sleep_until(v.death);
      ::kill(v.pid, SIGKILL);
    }
    for (const auto& v : victims) {
      const int code = writers.wait(v.pid);
      INFO("writer " << v.id << " output:\n"
                     << a3s::test::read_file(work / ("log-" + std::to_string(v.id))));
      REQUIRE(code == 128 + SIGKILL);
      ++kills;
    }

    std::vector<std::vector<std::string>> pending;
    for (int id = 0; id < kWriters; ++id) {
      const fs::path file = work / ("acks-" + std::to_string(id));
      if (!fs::exists(file)) continue;  // killed before its first call
      const std::string text = a3s::test::read_file(file);
      auto call = model.read(text.substr(ack_offsets[id]), acked);
      ack_offsets[id] = text.size();
      if (call) pending.push_back(*call);
    }
    for (const auto& call : pending) model.in_flight(call);
    in_flight += pending.size();

    REQUIRE(a3s::test::run_sqlite3(home / "box.db", "PRAGMA integrity_check;") == "ok\n");
    // Every problem of the round, so that a failure shows them all and the
    // rounds stop at the first that has any.
    std::vector<std::string> problems;
    const auto add = [&problems](const std::string& what, const std::vector<std::string>& found) {
      for (const auto& p : found) problems.push_back(what + ": " + p);
    };
    {
      auto store = st::Store::open(store_options(home));  // sweeps what the writers left
      for (const auto& f : store->check().findings) problems.push_back("check: " + f.message);
      add("home", a3s::test::home_problems(home));
      add("totals", a3s::test::totals_problems(home / "box.db"));
      Facts observed;
      add("records", observe(*store, observed));
      add("acknowledged", model.settle(observed));
    }  // closed before the next writers start
    REQUIRE(problems == std::vector<std::string>{});
    ++rounds;
  }
  std::cout << "torture: " << kills << " kills, " << rounds << " rounds verified, " << acked
            << " acknowledged operations checked, " << in_flight
            << " calls in flight at a kill, seed " << seed
            << (capped ? " (stopped at the A3S_TORTURE_SECONDS cap)" : "") << std::endl;
  CHECK(rounds > 0);
  CHECK(acked > 0);
}
