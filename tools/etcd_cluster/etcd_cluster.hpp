// A 3-member etcd cluster on loopback, for the etcd tests and the benchmark:
// random free client and peer ports, data directories in a fresh directory of
// its own, members stopped by PID and that directory removed when the object
// goes out of scope. Not part of the library: the tests and tools/bench link
// it.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace a3s::test {

// The etcd binary found in PATH, if any.
std::optional<std::filesystem::path> find_etcd();

class EtcdCluster {
 public:
  static constexpr int kMembers = 3;

  // Starts the members in order (heartbeat 50 ms, election timeout 500 ms),
  // their data directories and logs in a new directory under `parent`, and
  // waits until each reports itself healthy. `unsafe_no_fsync` skips etcd's
  // fsyncs: only where durability is neither tested nor measured. Throws
  // std::runtime_error (with the members' last log lines) when the cluster
  // does not come up within 20 s; the members started are stopped first.
  explicit EtcdCluster(bool unsafe_no_fsync, const std::filesystem::path& parent =
                                                 std::filesystem::temp_directory_path());
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // "127.0.0.1:PORT" of member `index`'s client URL.
  const std::string& endpoint(int index) const { return members_[index].client; }
  // Every member's, in index order.
  std::vector<std::string> endpoints() const;

  // SIGKILLs member `index` and reaps it.
  void kill(int index);
  // Starts member `index` again on its data directory and ports (it rejoins
  // the cluster); does not wait for it.
  void restart(int index);
  // SIGSTOPs member `index`: its sockets stay open but it answers nothing
  // (a hung member); resume() SIGCONTs it.
  void pause(int index);
  void resume(int index);
  bool running(int index) const { return members_[index].pid > 0; }

  // Waits (up to `limit`) until every running member reports /health true;
  // throws std::runtime_error naming the members that did not.
  void wait_healthy(std::chrono::milliseconds limit = std::chrono::seconds(20));
  // The index of the member that the running members agree is the leader,
  // waiting up to `limit` for one; throws std::runtime_error without one.
  int leader(std::chrono::milliseconds limit = std::chrono::seconds(10));

 private:
  struct Member {
    std::string name;
    std::string client;  // 127.0.0.1:PORT
    std::string peer;
    std::filesystem::path data_dir;
    std::filesystem::path log;
    pid_t pid = -1;
  };
  void start(int index);
  void stop_all() noexcept;
  std::string log_tails() const;

  // Created by the constructor, removed with everything in it by the
  // destructor.
  class OwnDir {
   public:
    explicit OwnDir(const std::filesystem::path& parent);
    ~OwnDir();
    OwnDir(const OwnDir&) = delete;
    OwnDir& operator=(const OwnDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

   private:
    std::filesystem::path path_;
  };

  OwnDir dir_;
  bool unsafe_no_fsync_;
  std::string initial_cluster_;
  std::array<Member, kMembers> members_;
};

}  // namespace a3s::test
