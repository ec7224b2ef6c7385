// Named crash and failure points for the tests. Internal.
//
// The release library has none: A3S_FAULT_POINT(name) expands to nothing
// unless the library is compiled with A3S_FAULT_INJECTION (the test build,
// lib/meson.build), so no point name, hook or environment lookup ships.
// In the test build each point calls the hook the test installed, which
// may kill the process (a crash at that step), throw (a failure at that
// step) or change the file system (a race at that step).
#pragma once

#ifdef A3S_FAULT_INJECTION

#include <functional>
#include <string_view>

namespace a3s::store::detail {

using FaultHook = std::function<void(std::string_view point)>;

// Installs `hook` (an empty one removes it) for every later point in this
// process. Not synchronised: install it before the operations start.
void set_fault_hook(FaultHook hook);

// Calls the installed hook, if any, with `point`.
void fault_point(std::string_view point);

}  // namespace a3s::store::detail

#define A3S_FAULT_POINT(name) ::a3s::store::detail::fault_point(name)

#else

#define A3S_FAULT_POINT(name) ((void)0)

#endif
