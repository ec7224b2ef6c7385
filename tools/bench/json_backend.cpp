// `json-file-2.4.0`: the 2.4.0 runtime's JSON-file stores, measured through
// the Rust program in json-file-2.4.0/ (its modules say what of 2.4.0 each
// reproduces, and why).
//
// open_json starts `json-file-2.4.0 serve HOME SOCKET` (one runtime process,
// its stores opened once) and connects to it; every for_another_thread()
// backend is another connection to the same server, served by its own thread
// there. A call sends one request line and reads one response line; the
// server times the store call itself and last_op_ns() hands that figure to
// the harness, so the socket round trip is not charged to 2.4.0. The last
// backend of a server stops it by PID: SIGTERM, a bounded wait, SIGKILL.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bench.hpp"

#ifndef A3S_JSON_FILE_2_4_0
#define A3S_JSON_FILE_2_4_0 ""
#endif

extern char** environ;

namespace bench {
namespace {

using nlohmann::json;
namespace st = a3s::store;

// How long the server may take to open a home, and to answer one request
// (an evict of thousands of images, a list of 100,000 networks).
constexpr int kStartTimeoutMs = 120'000;
constexpr int kReplyTimeoutMs = 300'000;
constexpr int kStopTimeoutMs = 5'000;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("json-file-2.4.0: " + what);
}

// Waits until `fd` is readable (or hung up); false after `timeout_ms`.
bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

// One `json-file-2.4.0 serve` process, started on construction (returns once
// it accepts connections) and stopped on destruction.
class Server {
 public:
  explicit Server(const fs::path& home) : dir_("json-server"), socket_(dir_.path() / "socket") {
    const fs::path binary = json_file_2_4_0_binary();
    if (!json_file_2_4_0_available()) fail("not built (no cargo when the bench was configured)");
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) fail("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    const std::vector<std::string> argv = {binary.string(), "serve", home.string(),
                                           socket_.string()};
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
      ::close(out[0]);
      fail("cannot run " + binary.string() + ": " + std::strerror(rc));
    }
    // The server prints "listening" once its stores are open and its socket
    // accepts; EOF first means it failed (its stderr says why).
    std::string line;
    char c = 0;
    while (line.size() < 64 && wait_readable(out[0], kStartTimeoutMs) &&
           ::read(out[0], &c, 1) == 1 && c != '\n') {
      line += c;
    }
    ::close(out[0]);
    if (line != "listening") {
      stop();
      fail("the server did not start on " + home.string());
    }
  }
  ~Server() { stop(); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const fs::path& socket() const { return socket_; }
  pid_t pid() const { return pid_; }

 private:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    bool exited = false;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd >= 0) {
      exited = wait_readable(pidfd, kStopTimeoutMs);
      ::close(pidfd);
    }
    if (!exited) ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  TempDir dir_;
  fs::path socket_;
  pid_t pid_ = -1;
};

// One connection to the server: a request line out, a response line back.
class Connection {
 public:
  explicit Connection(const fs::path& socket)
      : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) fail("socket failed");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = socket.string();
    if (path.size() >= sizeof addr.sun_path) fail("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fail("cannot connect to " + path + ": " + std::strerror(errno));
    }
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one operation; returns its result and sets ns(). An error answer
  // throws, naming the operation and the server's text.
  json call(const std::vector<std::string>& request) {
    std::string line = json(request).dump();
    line += '\n';
    for (std::size_t done = 0; done < line.size();) {
      const ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail(request[0] + ": the server went away");
      done += static_cast<std::size_t>(n);
    }
    json reply = json::parse(read_line(request[0]));
    if (reply.contains("error")) fail(request[0] + ": " + reply["error"].get<std::string>());
    ns_ = reply.at("ns").get<std::uint64_t>();
    return std::move(reply.at("ok"));
  }

  std::uint64_t ns() const { return ns_; }

 private:
  std::string read_line(const std::string& op) {
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      if (!wait_readable(fd_, kReplyTimeoutMs)) fail(op + ": no answer within the time limit");
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail(op + ": the server went away");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_;
  std::string buffer_;
  std::uint64_t ns_ = 0;
};

template <class R>
std::vector<R> decode_all(const json& array, R (*decode)(const json&)) {
  std::vector<R> out;
  out.reserve(array.size());
  for (const auto& j : array) out.push_back(decode(j));
  return out;
}

class JsonBackend final : public Backend {
 public:
  explicit JsonBackend(std::shared_ptr<Server> server)
      : server_(std::move(server)), conn_(server_->socket()) {}

  std::optional<NetworkConfig> network_get(const std::string& name) override {
    const json j = conn_.call({"network.get", name});
    if (j.is_null()) return std::nullopt;
    return st::network_from_json(j);
  }

  void network_create(const NetworkConfig& config) override {
    conn_.call({"network.create", st::to_json(config).dump()});
  }

  NetworkEndpoint network_connect(const std::string& network, const std::string& box_id,
                                  const std::string& box_name) override {
    return st::endpoint_from_json(conn_.call({"network.connect", network, box_id, box_name}));
  }

  NetworkEndpoint network_disconnect(const std::string& network,
                                     const std::string& box_id) override {
    return st::endpoint_from_json(conn_.call({"network.disconnect", network, box_id}));
  }

  // 2.4.0 lists in HashMap order; sorted here by name (outside the server's
  // timing) so callers see the order the other implementations return.
  std::vector<NetworkConfig> network_list() override {
    auto out = decode_all(conn_.call({"network.list"}), st::network_from_json);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  VolumeConfig volume_attach(const std::string& name, const std::string& box_id) override {
    return st::volume_from_json(conn_.call({"volume.attach", name, box_id}));
  }

  VolumeConfig volume_get_or_create(const VolumeConfig& config) override {
    return st::volume_from_json(conn_.call({"volume.get_or_create", st::to_json(config).dump()}));
  }

  VolumeConfig volume_detach(const std::string& name, const std::string& box_id) override {
    return st::volume_from_json(conn_.call({"volume.detach", name, box_id}));
  }

  std::vector<VolumeConfig> volume_list() override {
    auto out = decode_all(conn_.call({"volume.list"}), st::volume_from_json);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  std::uint64_t snapshot_count() override {
    return conn_.call({"snapshot.count"}).get<std::uint64_t>();
  }

  std::uint64_t snapshot_total_size() override {
    return conn_.call({"snapshot.total_size"}).get<std::uint64_t>();
  }

  std::optional<StoredImage> image_get(const std::string& reference) override {
    const json j = conn_.call({"image.get", reference});
    if (j.is_null()) return std::nullopt;
    return st::image_from_json(j);
  }

  std::vector<std::string> image_evict(std::uint64_t max_size_bytes) override {
    return conn_.call({"image.evict", std::to_string(max_size_bytes)})
        .get<std::vector<std::string>>();
  }

  std::unique_ptr<Backend> for_another_thread() override {
    return std::make_unique<JsonBackend>(server_);
  }

  std::optional<std::uint64_t> last_op_ns() const override { return conn_.ns(); }

  pid_t server_pid() const { return server_->pid(); }

  // The round trip of an operation that does nothing (ns), as timed here.
  std::uint64_t ping() {
    const auto t0 = std::chrono::steady_clock::now();
    conn_.call({"ping"});
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }

 private:
  std::shared_ptr<Server> server_;
  Connection conn_;
};

}  // namespace

fs::path json_file_2_4_0_binary() { return A3S_JSON_FILE_2_4_0; }

bool json_file_2_4_0_available() {
  const fs::path binary = json_file_2_4_0_binary();
  std::error_code ec;
  return !binary.empty() && fs::is_regular_file(binary, ec);
}

std::unique_ptr<Backend> open_json(const fs::path& home) {
  return std::make_unique<JsonBackend>(std::make_shared<Server>(home));
}

int json_server_pid(const Backend& backend) {
  return dynamic_cast<const JsonBackend&>(backend).server_pid();
}

std::string json_round_trip_note(Backend& backend) {
  constexpr int kPings = 201;
  std::vector<std::uint64_t> round_trips;
  auto& json_backend = dynamic_cast<JsonBackend&>(backend);
  for (int i = 0; i < kPings; ++i) round_trips.push_back(json_backend.ping());
  std::sort(round_trips.begin(), round_trips.end());
  return "json-file-2.4.0 round trip: a request that does nothing (ping) takes " +
         std::to_string(round_trips[kPings / 2]) + " ns (median of " + std::to_string(kPings) +
         ") over the socket; it is not in json-file-2.4.0's single-thread figures, which are "
         "the server's own timing of each store call (multi-thread rows are wall time / ops, "
         "round trips included)";
}

}  // namespace bench
