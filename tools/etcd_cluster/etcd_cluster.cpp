#include "etcd_cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "etcd_http.hpp"
#include "unique_fd.hpp"

namespace fs = std::filesystem;
using a3s::store::detail::HttpConnection;
using a3s::store::detail::HttpOutcome;

namespace a3s::test {
namespace {

constexpr std::chrono::milliseconds kProbeTimeout{500};
constexpr std::chrono::milliseconds kPollInterval{50};

// `count` distinct ports that were free on 127.0.0.1 a moment ago: each is
// bound (port 0: the kernel picks) and held until all are chosen.
std::vector<int> free_ports(int count) {
  std::vector<store::detail::UniqueFd> held;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    store::detail::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd.get() < 0 || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot pick a free port on 127.0.0.1");
    }
    ports.push_back(ntohs(addr.sin_port));
    held.push_back(std::move(fd));
  }
  return ports;
}

std::string tail(const fs::path& file, std::size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "(no log)";
  std::ostringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace

std::optional<fs::path> find_etcd() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const fs::path candidate = fs::path(dirs.substr(0, colon)) / "etcd";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
  }
  return std::nullopt;
}

EtcdCluster::OwnDir::OwnDir(const fs::path& parent) {
  std::string pattern = (parent / "etcd-cluster-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a directory for the etcd cluster under " +
                             parent.string());
  }
  path_ = pattern;
}

EtcdCluster::OwnDir::~OwnDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

EtcdCluster::EtcdCluster(bool unsafe_no_fsync, const fs::path& parent)
    : dir_(parent), unsafe_no_fsync_(unsafe_no_fsync) {
  const std::vector<int> ports = free_ports(2 * kMembers);
  for (int i = 0; i < kMembers; ++i) {
    Member& m = members_[i];
    m.name = "m" + std::to_string(i);
    m.client = "127.0.0.1:" + std::to_string(ports[2 * i]);
    m.peer = "127.0.0.1:" + std::to_string(ports[2 * i + 1]);
    m.data_dir = dir_.path() / (m.name + ".etcd");
    m.log = dir_.path() / (m.name + ".log");
    if (!initial_cluster_.empty()) initial_cluster_ += ',';
    initial_cluster_ += m.name + "=http://" + m.peer;
  }
  try {
    for (int i = 0; i < kMembers; ++i) start(i);
    wait_healthy();
  } catch (...) {
    stop_all();
    throw;
  }
}

EtcdCluster::~EtcdCluster() { stop_all(); }

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> all;
  for (const Member& m : members_) all.push_back(m.client);
  return all;
}

void EtcdCluster::start(int index) {
  Member& m = members_[index];
  std::vector<std::string> args = {
      "etcd",
      "--name=" + m.name,
      "--data-dir=" + m.data_dir.string(),
      "--listen-client-urls=http://" + m.client,
      "--advertise-client-urls=http://" + m.client,
      "--listen-peer-urls=http://" + m.peer,
      "--initial-advertise-peer-urls=http://" + m.peer,
      "--initial-cluster=" + initial_cluster_,
      "--initial-cluster-token=" + dir_.path().filename().string(),
      "--initial-cluster-state=new",
      "--heartbeat-interval=50",
      "--election-timeout=500",
  };
  if (unsafe_no_fsync_) args.push_back("--unsafe-no-fsync");
  static const std::optional<fs::path> etcd = find_etcd();
  if (!etcd) throw std::runtime_error("etcd is not installed");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // The member dies with the test process, however that ends.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int log = ::open(m.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0 || ::dup2(log, STDOUT_FILENO) < 0 || ::dup2(log, STDERR_FILENO) < 0) ::_exit(126);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execv(etcd->c_str(), argv.data());
    ::_exit(127);
  }
  m.pid = pid;
}

void EtcdCluster::kill(int index) {
  Member& m = members_[index];
  if (m.pid <= 0) return;
  ::kill(m.pid, SIGKILL);
  ::waitpid(m.pid, nullptr, 0);
  m.pid = -1;
}

void EtcdCluster::pause(int index) {
  if (!running(index)) return;
  // kill() returns before every thread of the member has stopped: waiting
  // for the stop makes sure it handles nothing sent after pause().
  ::kill(members_[index].pid, SIGSTOP);
  ::waitpid(members_[index].pid, nullptr, WUNTRACED);
}

void EtcdCluster::resume(int index) {
  if (!running(index)) return;
  ::kill(members_[index].pid, SIGCONT);
  ::waitpid(members_[index].pid, nullptr, WCONTINUED);
}

void EtcdCluster::restart(int index) {
  kill(index);
  start(index);
}

void EtcdCluster::stop_all() noexcept {
  for (int i = 0; i < kMembers; ++i) kill(i);
}

std::string EtcdCluster::log_tails() const {
  std::string all;
  for (const Member& m : members_) {
    all += "\n--- " + m.name + " (" + m.client + ") ---\n" + tail(m.log, 1500);
  }
  return all;
}

void EtcdCluster::wait_healthy(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::array<std::unique_ptr<HttpConnection>, kMembers> probes;
  for (int i = 0; i < kMembers; ++i) probes[i] = std::make_unique<HttpConnection>(endpoint(i));
  std::array<bool, kMembers> healthy{};
  for (;;) {
    std::string unhealthy;
    for (int i = 0; i < kMembers; ++i) {
      if (!running(i) || healthy[i]) continue;
      // A member that exited (a port taken meanwhile, a bad flag) will not
      // become healthy.
      if (::waitpid(members_[i].pid, nullptr, WNOHANG) == members_[i].pid) {
        members_[i].pid = -1;
        throw std::runtime_error("etcd member " + members_[i].name + " exited" + log_tails());
      }
      // /health of a member without a leader may not answer at all: each
      // probe is bounded.
      HttpOutcome probe = probes[i]->get("/health", kProbeTimeout);
      const auto answer = nlohmann::json::parse(probe.body, nullptr, false);
      healthy[i] = probe.kind == HttpOutcome::Kind::answered && probe.status == 200 &&
                   answer.is_object() && answer.value("health", "") == "true";
      if (!healthy[i]) unhealthy += " " + members_[i].name;
    }
    if (unhealthy.empty()) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("etcd members not healthy in time:" + unhealthy + log_tails());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

int EtcdCluster::leader(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    // member_id of each running member, and the leader each one names.
    std::array<std::string, kMembers> ids;
    std::vector<std::string> named;
    for (int i = 0; i < kMembers; ++i) {
      if (!running(i)) continue;
      HttpConnection probe(endpoint(i));
      HttpOutcome status = probe.post("/v3/maintenance/status", "{}", kProbeTimeout);
      const auto answer = nlohmann::json::parse(status.body, nullptr, false);
      if (status.kind != HttpOutcome::Kind::answered || status.status != 200 ||
          !answer.is_object()) {
        continue;
      }
      ids[i] = answer.value(nlohmann::json::json_pointer("/header/member_id"), "");
      named.push_back(answer.value("leader", ""));
    }
    const bool agreed = !named.empty() && !named[0].empty() &&
                        std::all_of(named.begin(), named.end(),
                                    [&](const std::string& n) { return n == named[0]; });
    for (int i = 0; agreed && i < kMembers; ++i) {
      if (ids[i] == named[0]) return i;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("the etcd members do not agree on a leader" + log_tails());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace a3s::test
