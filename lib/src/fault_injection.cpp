#include "fault_injection.hpp"

#ifdef A3S_FAULT_INJECTION

namespace a3s::store::detail {
namespace {

FaultHook& installed_hook() {
  static FaultHook hook;
  return hook;
}

}  // namespace

void set_fault_hook(FaultHook hook) { installed_hook() = std::move(hook); }

void fault_point(std::string_view point) {
  if (const FaultHook& hook = installed_hook()) hook(point);
}

}  // namespace a3s::store::detail

#endif
