// Crash consistency (SPEC §4 "Files and rows stay consistent"): a child
// process is SIGKILLed at each named step of volume create, remove and
// prune, snapshot save, delete and prune, image put, remove and evict (the fault points of the
// library's test build: a removal before its commit, after it, after its entries moved out and
// after they are deleted); the home is then reopened — which sweeps staging leftovers and
// unfinished removals — and must show the old or the new state, never a row without its files or
// a directory without its row, and check() must find nothing.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "a3s/store/store.hpp"
#include "fault_injection.hpp"
#include "home_check.hpp"
#include "test_support.hpp"
#include "totals_check.hpp"

using namespace a3s::store;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDigestA =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kDigestB =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// A small tree: a few files, a nested directory, a symlink.
fs::path make_tree(const fs::path& at) {
  fs::create_directories(at / "etc" / "app");
  a3s::test::write_file(at / "etc" / "app" / "config", std::string(1000, 'c'));
  a3s::test::write_file(at / "index.html", std::string(2000, 'h'));
  fs::create_directories(at / "empty");
  fs::create_symlink("/etc/hostname", at / "link");
  return at;
}

SnapshotMetadata snapshot(const std::string& id, int second) {
  SnapshotMetadata s;
  s.id = id;
  s.name = id;
  s.source_box_id = "box-1";
  s.image = "alpine:latest";
  s.vcpus = 1;
  s.memory_mb = 256;
  s.created_at = parse_rfc3339("2026-01-01T00:00:0" + std::to_string(second) + "Z", "created_at");
  return s;
}

struct Scenario {
  const char* point;
  // Runs before the crash, in the parent (the old state).
  std::function<void(Store&, const fs::path& tree)> setup;
  // Runs in the child, which is killed at `point`.
  std::function<void(Store&, const fs::path& tree)> action;
  // Whether the change is committed when the process dies at `point`.
  bool committed;
  // True when the new state (after the action) is visible.
  std::function<bool(Store&)> new_state;
};

bool has_snapshot(Store& s, const char* id) { return s.snapshots().get(id).has_value(); }

std::vector<Scenario> scenarios() {
  auto nothing = [](Store&, const fs::path&) {};
  auto save_s1 = [](Store& s, const fs::path& tree) {
    s.snapshots().save(snapshot("s1", 1), tree);
  };
  auto save_three = [](Store& s, const fs::path& tree) {
    for (int i = 1; i <= 3; ++i) s.snapshots().save(snapshot("s" + std::to_string(i), i), tree);
  };
  auto put_a = [](Store& s, const fs::path& tree) { s.images().put("app:1", kDigestA, tree); };
  auto put_a_twice = [](Store& s, const fs::path& tree) {
    s.images().put("app:1", kDigestA, tree);
    s.images().put("app:2", kDigestA, tree);
  };
  auto create_v1 = [](Store& s, const fs::path&) {
    VolumeConfig v;
    v.name = "v1";
    v.created_at = "2026-01-01T00:00:00Z";
    s.volumes().create(v);
  };
  auto has_v1 = [](Store& s) { return s.volumes().get("v1").has_value(); };
  return {
      {"snapshot.save.after_copy", nothing, save_s1, false,
       [](Store& s) { return has_snapshot(s, "s1"); }},
      {"files.place.before_rename", nothing, save_s1, false,
       [](Store& s) { return has_snapshot(s, "s1"); }},
      {"files.place.after_rename", nothing, save_s1, false,
       [](Store& s) { return has_snapshot(s, "s1"); }},
      {"snapshot.save.before_commit", nothing, save_s1, false,
       [](Store& s) { return has_snapshot(s, "s1"); }},
      {"snapshot.save.after_commit", nothing, save_s1, true,
       [](Store& s) { return has_snapshot(s, "s1"); }},
      {"snapshot.delete.before_commit", save_s1,
       [](Store& s, const fs::path&) { s.snapshots().remove("s1"); }, false,
       [](Store& s) { return !has_snapshot(s, "s1"); }},
      {"snapshot.delete.after_commit", save_s1,
       [](Store& s, const fs::path&) { s.snapshots().remove("s1"); }, true,
       [](Store& s) { return !has_snapshot(s, "s1"); }},
      {"files.retire.after_move", save_s1,
       [](Store& s, const fs::path&) { s.snapshots().remove("s1"); }, true,
       [](Store& s) { return !has_snapshot(s, "s1"); }},
      {"snapshot.prune.before_commit", save_three,
       [](Store& s, const fs::path&) { s.snapshots().prune(1, 0); }, false,
       [](Store& s) { return s.snapshots().count() == 1; }},
      {"snapshot.prune.after_commit", save_three,
       [](Store& s, const fs::path&) { s.snapshots().prune(1, 0); }, true,
       [](Store& s) { return s.snapshots().count() == 1; }},
      {"image.put.before_rename", nothing, put_a, false,
       [](Store& s) { return s.images().get("app:1").has_value(); }},
      {"image.put.after_rename", nothing, put_a, false,
       [](Store& s) { return s.images().get("app:1").has_value(); }},
      {"image.put.before_commit", nothing, put_a, false,
       [](Store& s) { return s.images().get("app:1").has_value(); }},
      {"image.remove.after_commit", put_a,
       [](Store& s, const fs::path&) { s.images().remove("app:1"); }, true,
       [](Store& s) { return !s.images().get("app:1").has_value(); }},
      {"files.retire.after_move", put_a_twice,
       [](Store& s, const fs::path&) { s.images().remove(kDigestA); }, true,
       [](Store& s) { return s.images().list().empty(); }},
      {"image.remove.after_commit", put_a_twice,
       [](Store& s, const fs::path& tree) {
         s.images().put("app:1", kDigestB, tree);  // retag: A stays for app:2
         s.images().remove("app:2");
       },
       true, [](Store& s) { return !s.images().get("app:2").has_value(); }},
      {"files.place.after_rename", nothing, create_v1, false, has_v1},
      {"volume.create.before_commit", nothing, create_v1, false, has_v1},
      {"files.intent.unfinished", nothing, create_v1, false, has_v1},
      {"files.retire.after_move", create_v1,
       [](Store& s, const fs::path&) { s.volumes().remove("v1"); }, true,
       [](Store& s) { return !s.volumes().get("v1").has_value(); }},
      {"files.retire.after_move", create_v1, [](Store& s, const fs::path&) { s.volumes().prune(); },
       true, [](Store& s) { return !s.volumes().get("v1").has_value(); }},
      {"image.evict.before_commit", put_a_twice,
       [](Store& s, const fs::path&) { s.images().evict(0); }, false,
       [](Store& s) { return s.images().list().empty(); }},
      {"image.evict.after_commit", put_a_twice,
       [](Store& s, const fs::path&) { s.images().evict(0); }, true,
       [](Store& s) { return s.images().list().empty(); }},
      {"files.retire.after_move", put_a_twice,
       [](Store& s, const fs::path&) { s.images().evict(0); }, true,
       [](Store& s) { return s.images().list().empty(); }},
      {"files.retire.after_delete", put_a_twice,
       [](Store& s, const fs::path&) { s.images().evict(0); }, true,
       [](Store& s) { return s.images().list().empty(); }},
      {"files.retire.after_delete", save_s1,
       [](Store& s, const fs::path&) { s.snapshots().remove("s1"); }, true,
       [](Store& s) { return !has_snapshot(s, "s1"); }},
      {"files.retire.after_delete", create_v1,
       [](Store& s, const fs::path&) { s.volumes().remove("v1"); }, true,
       [](Store& s) { return !s.volumes().get("v1").has_value(); }},
  };
}

}  // namespace

TEST_CASE("a crash at any step leaves the old or the new state, nothing half-made", "[crash]") {
  const auto all = scenarios();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Scenario& scenario = all[i];
    DYNAMIC_SECTION(i << ": " << scenario.point) {
      a3s::test::TempDir home;
      const fs::path tree = make_tree(home.path() / "source");
      {
        auto store = Store::open(a3s::test::options_for(home.path()));
        scenario.setup(*store, tree);
      }
      const auto codes = a3s::test::run_in_children(1, [&](int) {
        const std::string point = scenario.point;
        a3s::store::detail::set_fault_hook([point](std::string_view at) {
          if (at == point) ::kill(::getpid(), SIGKILL);
        });
        auto store = Store::open(a3s::test::options_for(home.path()));
        scenario.action(*store, tree);
        return 0;  // the fault point was never reached
      });
      INFO("fault point " << scenario.point);
      REQUIRE(codes == std::vector<int>{128 + SIGKILL});

      auto store = Store::open(a3s::test::options_for(home.path()));  // sweeps
      CHECK(a3s::test::home_problems(home.path()).empty());
      for (const auto& problem : a3s::test::home_problems(home.path())) WARN(problem);
      CHECK(a3s::test::totals_problems(home.path() / "box.db") == std::vector<std::string>{});
      // What the sweep left is consistent, pending removals included.
      CHECK(store->check().clean());
      CHECK(scenario.new_state(*store) == scenario.committed);
      for (const auto& s : store->snapshots().list()) {
        // A visible snapshot is complete.
        CHECK(s.size_bytes == 3000);
        CHECK(a3s::test::read_file(store->snapshots().directory_of(s.id) / "rootfs" /
                                   "index.html") == std::string(2000, 'h'));
        CHECK(fs::is_directory(store->snapshots().directory_of(s.id) / "rootfs" / "empty"));
      }
      for (const auto& volume : store->volumes().list()) {
        CHECK(fs::is_directory(volume.mount_point));  // a visible volume has its directory
      }
      for (const auto& image : store->images().list()) {
        CHECK(image.size_bytes == 3000);
        CHECK(a3s::test::read_file(fs::path(image.path) / "etc" / "app" / "config") ==
              std::string(1000, 'c'));
      }
    }
  }
}
