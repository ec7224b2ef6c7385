// The library's logger. Internal.
//
// The engine is embedded in other processes (the runtime, through the C API
// and the Rust crate), whose stdout is theirs: it logs to stderr only,
// through its own spdlog logger named "a3s-store", never the process's
// default logger. A host adjusts it like any spdlog logger
// (spdlog::get("a3s-store"), or spdlog::set_level for every logger, as the
// CLI's --log-level does).
#pragma once

#include <spdlog/spdlog.h>

namespace a3s::store::detail {

// The logger, made (and registered, taking spdlog's global level) on first
// use. Safe to call from many threads.
spdlog::logger& log();

}  // namespace a3s::store::detail
