// The smallest valid records, for tests and test programs that need some and
// check nothing about their fields. Only the public records header: usable
// outside Catch2 (the torture writer).
#pragma once

#include <string>

#include "a3s/store/records.hpp"

namespace a3s::test {

// The smallest valid records, for tests that need some and check nothing
// about their fields: a volume created 2024-01-01, a snapshot of
// box-1 running /bin/sh.
inline store::VolumeConfig minimal_volume(const std::string& name) {
  store::VolumeConfig v;
  v.name = name;
  v.created_at = "2024-01-01T00:00:00Z";
  return v;
}
inline store::SnapshotMetadata minimal_snapshot(const std::string& id) {
  store::SnapshotMetadata s;
  s.id = id;
  s.name = "name-" + id;
  s.source_box_id = "box-1";
  s.image = "docker.io/library/alpine:3.20";
  s.vcpus = 1;
  s.memory_mb = 256;
  s.cmd = {"/bin/sh"};
  return s;
}

}  // namespace a3s::test
