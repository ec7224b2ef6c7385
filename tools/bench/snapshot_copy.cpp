// Snapshot save against `cp -a` followed by `sync`: the same tree, the same
// file system, both durable when they return. The source tree stays in the
// page cache for both (dropping caches needs root), so both measure writing
// and syncing the copy, not reading the source from the device; every run
// starts after a sync, so none pays for the previous run's dirty pages.
#include "snapshot_copy.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>

#include "a3s/store/store.hpp"
#include "procs.hpp"

namespace bench {
namespace {

constexpr std::uint64_t kKiB = 1024;
// The shell copy may take this long before it is killed and reported.
constexpr auto kCopyTimeout = std::chrono::minutes(10);

struct Tree {
  std::uint64_t bytes = 0;
  std::uint64_t files = 0;
};

// Writes `size` bytes taken from `noise` (cycled from `offset`) to `path`.
void write_file(const fs::path& path, std::uint64_t size, const std::string& noise,
                std::uint64_t offset) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  while (size > 0) {
    const std::uint64_t at = offset % noise.size();
    const std::uint64_t n = std::min<std::uint64_t>(size, noise.size() - at);
    out.write(noise.data() + at, static_cast<std::streamsize>(n));
    size -= n;
    offset += n;
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// Half of `total_bytes` in files of 4-64 KiB spread over 16 × 8 nested
// directories, the other half in 4 large files; contents from a fixed seed.
Tree make_tree(const fs::path& root, std::uint64_t total_bytes) {
  std::mt19937_64 rng(13);
  std::string noise(std::size_t{1} << 20, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  Tree tree;
  const std::uint64_t small_half = total_bytes / 2;
  std::uniform_int_distribution<std::uint64_t> small_size(4 * kKiB, 64 * kKiB);
  for (std::uint64_t i = 0; tree.bytes < small_half; ++i) {
    const fs::path dir =
        root / "usr" / ("d" + std::to_string(i % 16)) / ("e" + std::to_string(i / 16 % 8));
    if (i < 128) fs::create_directories(dir);
    const std::uint64_t size = std::min(small_size(rng), small_half - tree.bytes);
    write_file(dir / ("f" + std::to_string(i)), size, noise, rng());
    tree.bytes += size;
    ++tree.files;
  }
  fs::create_directories(root / "large");
  const std::uint64_t large_half = total_bytes - tree.bytes;
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t size = i < 3 ? large_half / 4 : large_half - 3 * (large_half / 4);
    write_file(root / "large" / ("blob" + std::to_string(i)), size, noise, rng());
    tree.bytes += size;
    ++tree.files;
  }
  return tree;
}

std::uint64_t median(std::vector<std::uint64_t> walls) {
  std::sort(walls.begin(), walls.end());
  return walls[walls.size() / 2];
}

Row make_row(const std::string& impl, const std::string& durability, const Tree& tree,
             const std::vector<std::uint64_t>& walls) {
  Row row;
  row.op = "snapshot.save_1gib";
  row.impl = impl;
  row.records = tree.files;
  row.durability = durability;
  row.result.ops = walls.size();
  row.result.ns_per_op = static_cast<double>(median(walls));
  row.result.p99_ns = static_cast<double>(*std::max_element(walls.begin(), walls.end()));
  row.extra["bytes_per_s"] = static_cast<double>(tree.bytes) * 1e9 / row.result.ns_per_op;
  row.extra["files"] = tree.files;
  row.extra["bytes"] = tree.bytes;
  row.extra["statistic"] = "median wall time of " + std::to_string(walls.size()) + " runs";
  return row;
}

std::uint64_t elapsed_ns(Clock::time_point since) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - since).count());
}

}  // namespace

std::vector<Row> run_snapshot_copy(std::uint64_t total_bytes, std::vector<std::string>& notes) {
  TempDir tmp("snapcopy");
  const fs::path source = tmp.path() / "source";
  const Tree tree = make_tree(source, total_bytes);
  // A 1 GiB copy takes seconds: one run of each; smaller trees, the median of 3.
  const int runs = total_bytes > (std::uint64_t{256} << 20) ? 1 : 3;

  std::vector<std::uint64_t> a3s_walls;
  for (int run = 0; run < runs; ++run) {
    const fs::path home = tmp.path() / ("home-" + std::to_string(run));
    {
      a3s::store::Options options;
      options.home = home;
      options.durability = Durability::full;
      auto store = a3s::store::Store::open(options);
      a3s::store::SnapshotMetadata snapshot;
      snapshot.id = "bench-" + std::to_string(run);
      snapshot.name = snapshot.id;
      snapshot.source_box_id = "box-1";
      snapshot.image = "alpine:latest";
      snapshot.vcpus = 1;
      snapshot.memory_mb = 256;
      ::sync();
      const auto t0 = Clock::now();
      const auto saved = store->snapshots().save(snapshot, source);
      a3s_walls.push_back(elapsed_ns(t0));
      if (saved.size_bytes != tree.bytes) {
        notes.push_back("WARNING: snapshot save counted " + std::to_string(saved.size_bytes) +
                        " bytes of a " + std::to_string(tree.bytes) + "-byte tree");
      }
    }
    fs::remove_all(home);
  }

  std::vector<std::uint64_t> cp_walls;
  for (int run = 0; run < runs; ++run) {
    const fs::path dest = tmp.path() / ("cp-" + std::to_string(run));
    ::sync();
    const auto t0 = Clock::now();
    const int code = spawn({"/bin/sh", "-c", "cp -a \"$1\" \"$2\" && sync", "sh", source.string(),
                            dest.string()},
                           /*capture_stdout=*/false, kCopyTimeout)
                         .exit_code;
    const std::uint64_t wall = elapsed_ns(t0);
    fs::remove_all(dest);
    if (code != 0) {
      notes.push_back("snapshot copy: cp -a + sync exited with " + std::to_string(code) +
                      "; not measured");
      cp_walls.clear();
      break;
    }
    cp_walls.push_back(wall);
  }

  std::vector<Row> rows{make_row("a3s", "full", tree, a3s_walls)};
  if (!cp_walls.empty()) {
    rows.push_back(make_row("cp-a+sync", "-", tree, cp_walls));
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2f", rows[0].result.ns_per_op / rows[1].result.ns_per_op);
    notes.push_back("snapshot.save_1gib: " + std::to_string(tree.bytes >> 20) + " MiB in " +
                    std::to_string(tree.files) + " files; a3s save takes " + ratio +
                    "x the time of cp -a + sync (the source in page cache for both)");
  }
  return rows;
}

}  // namespace bench
