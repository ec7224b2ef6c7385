// What the crash torture's writers (tests/torture_writer.cpp) and its
// supervisor (tests/torture_test.cpp) agree on: the shared network, the
// image digests and their layouts, the image cache cap, the names a writer
// owns, and the lines of its acknowledgement file.
//
// Acknowledgement file, one line per event, each written with one write()
// to a file opened O_APPEND (so a SIGKILL leaves whole lines only):
//   begin <seq> <op> <arg>...            before the call
//   ack <seq> <op> <arg>... <outcome> [<evicted reference>...]
//                                        after it returned, then fsync()ed
// <outcome> is "ok" or the error code a call may legitimately end with
// (in_use, not_found); evict lists the references it evicted. The ops and
// their arguments:
//   network_create NET | network_remove NET FORCE | connect NET BOX |
//   disconnect NET BOX | volume_create VOL | attach VOL BOX | detach VOL BOX |
//   volume_remove VOL FORCE | snapshot_save ID | snapshot_delete ID |
//   image_put REF DIGEST | image_get REF | image_get_by_digest DIGEST |
//   image_remove REF | image_evict
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "test_support.hpp"

namespace a3s::test::torture {

// Created by the supervisor before the first writer starts; every writer
// connects boxes of its own to it, so IPs are allocated concurrently.
inline constexpr const char* kSharedNetwork = "shared";
inline constexpr const char* kSharedSubnet = "10.88.0.0/24";

// The digests every writer draws from, so layouts are shared between
// writers' references: digest k is "sha256:" + 64 times the k-th hex letter.
inline constexpr int kDigestCount = 6;
inline std::string digest(int k) { return "sha256:" + std::string(64, "abcdef"[k]); }

// The bytes of digest k's layout, the same in every writer.
inline std::uint64_t layout_bytes(int k) { return 30 + 700 * static_cast<std::uint64_t>(k + 1); }
inline void make_layout(const std::filesystem::path& dir, int k) {
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  write_file(dir / "oci-layout", std::string(30, 'o'));
  write_file(dir / "blobs" / "sha256" / "data", std::string(layout_bytes(k) - 30, "abcdef"[k]));
}

// The image cache cap every writer's store is opened with: about half of
// the layouts, so that evict() has something to do.
inline constexpr std::uint64_t kImageCacheBytes = 8000;

// Every name a writer makes starts with this ("w2g17-"), generation being
// the supervisor's count of writer starts, so no two starts share a name.
inline std::string name_prefix(int writer) { return "w" + std::to_string(writer) + "g"; }
// The image references of a writer start with this.
inline std::string reference_prefix(int writer) { return "localhost/" + name_prefix(writer); }

}  // namespace a3s::test::torture
