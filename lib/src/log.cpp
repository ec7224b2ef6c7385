#include "log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace a3s::store::detail {

spdlog::logger& log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("a3s-store")) return existing;  // the host made it
    return spdlog::stderr_logger_mt("a3s-store");
  }();
  return *logger;
}

}  // namespace a3s::store::detail
