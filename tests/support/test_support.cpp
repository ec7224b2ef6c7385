#include "test_support.hpp"

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace a3s::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = fs::temp_directory_path() / ("a3s-store-test-" + std::to_string(rd()));
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

store::Options options_for(const fs::path& home) {
  store::Options options;
  options.home = home;
  if (auto url = test_store_url(home)) options.store = std::move(*url);
  return options;
}

static fs::path env_path(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) + " is not set (run the tests through meson test)");
  }
  return value;
}

fs::path fixtures_dir() { return env_path("A3S_FIXTURES"); }
fs::path source_root() { return env_path("A3S_SOURCE_ROOT"); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

nlohmann::json fixture(const std::string& relative) {
  return nlohmann::json::parse(read_file(fixtures_dir() / "legacy-home-small" / relative));
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> catalog_entries(const std::filesystem::path& catalog) {
  auto names = entries(catalog);
  std::erase(names, ".staging");
  return names;
}

std::vector<std::string> staging_leftovers(const std::filesystem::path& home) {
  std::vector<std::string> leftovers;
  for (const auto& catalog : {home / "volumes", home / "snapshots", home / "images" / "sha256"}) {
    for (const auto& name : entries(catalog / ".staging")) {
      leftovers.push_back((catalog / ".staging" / name).string());
    }
  }
  return leftovers;
}

bool empty_or_missing(const fs::path& dir) { return !fs::exists(dir) || fs::is_empty(dir); }

std::uint64_t regular_file_bytes(const fs::path& root) {
  std::uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (fs::is_regular_file(it->symlink_status())) total += fs::file_size(it->path());
  }
  return total;
}

ScopedEnv::ScopedEnv(const char* name, const char* value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  if (value != nullptr) {
    ::setenv(name, value, 1);
  } else {
    ::unsetenv(name);
  }
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_, old_->c_str(), 1);
  } else {
    ::unsetenv(name_);
  }
}

// run_program with the environment `envp`.
static CommandResult run_with_environment(const std::string& program,
                                          const std::vector<std::string>& args,
                                          const std::string& input, char* const* envp) {
  TempDir capture;
  const auto in_path = capture.path() / "in";
  const auto out_path = capture.path() / "out";
  const auto err_path = capture.path() / "err";
  write_file(in_path, input);
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + program);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& input) {
  return run_with_environment(program, args, input, environ);
}

// The home a CLI run with `args` works on, as run_cli passes it: the value
// of --home (either form), else $A3S_HOME; none when neither is given.
static std::optional<fs::path> cli_home(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--home" && i + 1 < args.size()) return fs::path(args[i + 1]);
    if (args[i].starts_with("--home=")) return fs::path(args[i].substr(7));
  }
  const char* home = std::getenv("A3S_HOME");
  if (home != nullptr && *home != '\0') return fs::path(home);
  return std::nullopt;
}

CommandResult run_cli(const std::vector<std::string>& args) {
  const std::string cli = env_path("A3S_STORE_CLI").string();
  const auto home = cli_home(args);
  const bool store_given = std::any_of(args.begin(), args.end(), [](const std::string& a) {
    return a == "--store" || a.starts_with("--store=");
  });
  const auto url = home && !store_given ? test_store_url(*home) : std::nullopt;
  if (!url) return run_program(cli, args);
  // This process's environment with A3S_STORE set to the home's store.
  std::vector<std::string> variables;
  for (char** v = environ; *v != nullptr; ++v) {
    if (!std::string_view(*v).starts_with("A3S_STORE=")) variables.emplace_back(*v);
  }
  variables.push_back("A3S_STORE=" + *url);
  std::vector<char*> envp;
  for (auto& v : variables) envp.push_back(v.data());
  envp.push_back(nullptr);
  return run_with_environment(cli, args, {}, envp.data());
}

std::string run_sqlite3(const std::filesystem::path& db, const std::string& sql) {
  const auto result = run_program("sqlite3", {"-bail", db.string()}, sql);
  if (result.exit_code != 0) {
    throw std::runtime_error("sqlite3 exited with " + std::to_string(result.exit_code) + ": " +
                             result.err);
  }
  return result.out;
}

std::vector<int> run_in_children(int count, const std::function<int(int)>& body) {
  start_test_store();
  std::vector<pid_t> pids;
  for (int i = 0; i < count; ++i) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int code = 99;
      try {
        code = body(i);
      } catch (const std::exception&) {
        code = 99;
      }
      std::_Exit(code);
    }
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

int unprivileged(const std::function<int()>& body) {
  return run_in_children(1, [&](int) {
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
         ::setresuid(kNobody, kNobody, kNobody) != 0)) {
      return 90;
    }
    return body();
  })[0];
}

std::uint32_t seed_from_env(const char* variable, std::uint32_t fallback) {
  const char* text = std::getenv(variable);
  return text != nullptr && *text != '\0'
             ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10))
             : fallback;
}

}  // namespace a3s::test
