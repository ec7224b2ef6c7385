// Store::import_legacy (SPEC §7 `import`): the legacy home read and checked
// (legacy_home.cpp), compared with the stored records, its snapshot rootfs
// trees and image layouts staged in the home's catalogs (outside the lock),
// then placed and recorded in one write transaction.
#include <fcntl.h>
#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "a3s/store/store.hpp"
#include "catalog_dir.hpp"
#include "catalog_rows.hpp"
#include "database.hpp"
#include "directory_change.hpp"
#include "io_error.hpp"
#include "legacy_home.hpp"
#include "record_json.hpp"
#include "sqlite_backend.hpp"
#include "sqlite_catalog_records.hpp"
#include "tree_copy.hpp"
#include "unique_fd.hpp"

namespace a3s::store {
namespace fs = std::filesystem;

namespace {

using detail::CatalogKind;
using detail::LegacyEntry;
using detail::LegacyHome;

// The fields of `stored` that differ from `legacy`, in the record's order.
template <class Record>
std::string differences(const Record& stored, const Record& legacy) {
  const auto a = to_json(stored);
  const auto b = to_json(legacy);
  std::string fields;
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (!b.contains(it.key()) || b.at(it.key()) != it.value()) {
      fields += (fields.empty() ? "'" : ", '") + it.key() + "'";
    }
  }
  return fields;
}

// Compares each importable entry with what the database holds under its
// key: absent (to write), identical (present) or a conflict.
template <class Record, class Load>
void classify(Connection& conn, std::vector<LegacyEntry<Record>>& entries, Load&& load) {
  for (auto& e : entries) {
    e.present = false;
    e.conflict.clear();
    if (!e.reason.empty()) continue;
    const auto stored = load(conn, *e.record);
    if (!stored) continue;
    Record legacy = *e.record;
    if constexpr (std::is_same_v<Record, StoredImage>) {
      legacy.last_used = stored->last_used;  // using an image is no change of it
    }
    if (*stored == legacy) {
      e.present = true;
    } else {
      e.conflict = "differs from the record already stored in field(s) " +
                   differences(*stored, legacy) + " (left as stored)";
    }
  }
}

void classify_all(Connection& conn, LegacyHome& legacy) {
  classify(conn, legacy.networks,
           [](Connection& c, const NetworkConfig& n) { return detail::load_network(c, n.name); });
  classify(conn, legacy.volumes,
           [](Connection& c, const VolumeConfig& v) { return detail::load_volume(c, v.name); });
  classify(conn, legacy.snapshots,
           [](Connection& c, const SnapshotMetadata& s) { return detail::load_snapshot(c, s.id); });
  classify(conn, legacy.images,
           [](Connection& c, const StoredImage& i) { return detail::load_image(c, i.reference); });
}

template <class Record>
void count(const char* catalog, const std::vector<LegacyEntry<Record>>& entries,
           ImportReport& report) {
  CatalogImportCounts counts{catalog, 0, 0, 0};
  for (const auto& e : entries) {
    if (!e.importable()) {
      ++counts.skipped;
      report.skipped.push_back({catalog, e.object, e.reason.empty() ? e.conflict : e.reason});
    } else if (e.present) {
      ++counts.present;
    } else {
      ++counts.imported;
    }
  }
  report.catalogs.push_back(std::move(counts));
}

ImportReport report_of(const LegacyHome& legacy, bool dry_run) {
  ImportReport report;
  report.from = legacy.from;
  report.dry_run = dry_run;
  count("networks", legacy.networks, report);
  count("volumes", legacy.volumes, report);
  count("snapshots", legacy.snapshots, report);
  count("images", legacy.images, report);
  return report;
}

// Whether every entry that cannot be imported is a conflict.
bool only_conflicts(const LegacyHome& legacy) {
  auto none_invalid = [](const auto& entries) {
    for (const auto& e : entries) {
      if (!e.reason.empty()) return false;
    }
    return true;
  };
  return none_invalid(legacy.networks) && none_invalid(legacy.volumes) &&
         none_invalid(legacy.snapshots) && none_invalid(legacy.images);
}

// Without skip_bad, any entry that cannot be imported fails the whole
// import: one error listing them all.
void refuse_unless_skipping(const LegacyHome& legacy, bool dry_run, bool skip_bad) {
  const ImportReport report = report_of(legacy, dry_run);
  if (skip_bad || report.skipped.empty()) return;
  std::string list;
  for (const auto& s : report.skipped) list += "\n  " + s.object + ": " + s.reason;
  throw Error(only_conflicts(legacy) ? ErrorCode::already_exists : ErrorCode::invalid_argument,
              "import from '" + report.from.string() +
                  "' wrote nothing: " + std::to_string(report.skipped.size()) +
                  " entries cannot be imported (--skip-bad imports the rest):" + list);
}

// The rootfs trees and layouts an import from another directory copies into
// the home: staged before the transaction, placed inside it.
class ImportCopies {
 public:
  ImportCopies(Database& db, const fs::path& home, const ImportOptions& options)
      : db_(db), records_(db), home_(home), options_(options) {}

  // Stages a copy of every snapshot to write; a copy that fails makes its
  // entry's reason (with skip_bad) or fails the import.
  void stage_snapshots(LegacyHome& legacy) {
    std::uint64_t done = 0;
    for (auto& e : legacy.snapshots) {
      if (!e.to_write()) continue;
      staged(e, [&] {
        snapshot_dirs_.emplace(
            e.record->id, snapshots().stage("import", [&](int parent_fd, const std::string& name,
                                                          const fs::path& path) {
              copy_rootfs(legacy.rootfs_of(*e.record), parent_fd, name, path);
            }));
      });
      tell("snapshots", ++done, legacy.snapshots.size());
    }
  }

  // Stages one copy of each layout the images to write need, unless a row
  // already records that layout in place.
  void stage_layouts(LegacyHome& legacy) {
    std::uint64_t done = 0;
    for (auto& e : legacy.images) {
      if (!e.to_write()) continue;
      const std::string hex = e.record->digest.substr(7);
      if (layout_dirs_.count(hex) != 0 || failed_layouts_.count(hex) != 0) continue;
      if (db_.read("import", [&](Connection& conn) {
            detail::SqliteCatalogTxn txn(conn);
            return layout_in_place(txn, hex);
          })) {
        continue;
      }
      staged(e, [&] {
        layout_dirs_.emplace(
            hex, images().stage("import", [&](int parent_fd, const std::string& name,
                                              const fs::path& path) {
              bytes_ += detail::copy_tree(legacy.layout_of(*e.record), parent_fd, name, path).bytes;
            }));
      });
      if (!e.reason.empty()) failed_layouts_.emplace(hex, e.reason);
      tell("images", ++done, legacy.images.size());
    }
    // Every image sharing a layout whose copy failed goes with it.
    for (auto& e : legacy.images) {
      if (!e.to_write()) continue;
      if (auto f = failed_layouts_.find(e.record->digest.substr(7)); f != failed_layouts_.end()) {
        e.reason = f->second;
      }
    }
  }

  // Inside the write transaction: puts the staged copies of the entries to
  // write in place. A layout not staged must be one a row records.
  void place(Connection& conn, const LegacyHome& legacy) {
    detail::SqliteCatalogTxn txn(conn);
    std::vector<detail::DirectoryChange::Placement> snapshots_in, layouts_in;
    for (const auto& e : legacy.snapshots) {
      if (!e.to_write()) continue;
      const auto staged = snapshot_dirs_.find(e.record->id);
      if (staged == snapshot_dirs_.end()) {
        throw Error(ErrorCode::busy, "import: " + e.object +
                                         " was removed by another process meanwhile; "
                                         "run the import again");
      }
      snapshots_in.push_back({staged->second, e.record->id});
    }
    std::map<std::string, bool> layouts;
    for (const auto& e : legacy.images) {
      if (e.to_write()) layouts.emplace(e.record->digest.substr(7), true);
    }
    for (const auto& [hex, _] : layouts) {
      if (auto staged = layout_dirs_.find(hex); staged != layout_dirs_.end()) {
        if (!layout_in_place(txn, hex)) layouts_in.push_back({staged->second, hex});
      } else if (!layout_in_place(txn, hex)) {
        throw Error(ErrorCode::busy, "import: the layout of sha256:" + hex +
                                         " was removed by another process meanwhile; "
                                         "run the import again");
      }
    }
    if (!snapshots_in.empty()) snapshots().place(txn, snapshots_in);
    if (!layouts_in.empty()) images().place(txn, layouts_in);
  }

  // After the commit: drops the intents and deletes what was not used.
  void finish() {
    if (snapshots_) snapshots_->finish();
    if (images_) images_->finish();
  }

  std::uint64_t bytes() const { return bytes_; }

 private:
  detail::DirectoryChange& snapshots() {
    if (!snapshots_) {
      snapshots_ = std::make_unique<detail::DirectoryChange>(records_, home_,
                                                             CatalogKind::snapshots, "import");
    }
    return *snapshots_;
  }
  detail::DirectoryChange& images() {
    if (!images_) {
      images_ =
          std::make_unique<detail::DirectoryChange>(records_, home_, CatalogKind::images, "import");
    }
    return *images_;
  }

  // Whether a row records the layout <hex> and it is in place.
  bool layout_in_place(detail::CatalogTxn& txn, const std::string& hex) {
    return txn.owns(CatalogKind::images, hex) &&
           images().catalog().entry_type(hex) == detail::EntryType::directory;
  }

  // A snapshot's staged directory: rootfs/ copied from `source`.
  void copy_rootfs(const fs::path& source, int parent_fd, const std::string& name,
                   const fs::path& path) {
    if (::mkdirat(parent_fd, name.c_str(), 0755) != 0)
      detail::throw_io("cannot create", path, errno);
    detail::UniqueFd dir(
        ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) detail::throw_io("cannot open", path, errno);
    bytes_ += detail::copy_tree(source, dir.get(), "rootfs", path / "rootfs").bytes;
    detail::fsync_directory(dir.get(), path);
  }

  // Runs a staging step; its failure is the entry's reason with skip_bad.
  template <class Record, class Step>
  void staged(LegacyEntry<Record>& e, Step&& step) {
    try {
      step();
    } catch (const Error& err) {
      if (!options_.skip_bad) throw;
      e.reason = err.what();
    }
  }

  void tell(const char* catalog, std::uint64_t done, std::uint64_t total) {
    if (options_.progress) options_.progress({catalog, done, total, bytes_});
  }

  Database& db_;
  detail::SqliteCatalogRecords records_;
  const fs::path& home_;
  const ImportOptions& options_;
  std::unique_ptr<detail::DirectoryChange> snapshots_;
  std::unique_ptr<detail::DirectoryChange> images_;
  std::map<std::string, std::string> snapshot_dirs_;   // id → staged directory
  std::map<std::string, std::string> layout_dirs_;     // hex → staged directory
  std::map<std::string, std::string> failed_layouts_;  // hex → why its copy failed
  std::uint64_t bytes_ = 0;
};

void insert_all(Connection& conn, const LegacyHome& legacy) {
  for (const auto& e : legacy.networks) {
    if (e.to_write()) detail::store_network(conn, *e.record, /*replace=*/false);
  }
  for (const auto& e : legacy.volumes) {
    if (e.to_write()) detail::store_volume(conn, *e.record, /*replace=*/false);
  }
  for (const auto& e : legacy.snapshots) {
    if (e.to_write()) detail::insert_snapshot(conn, *e.record);
  }
  for (const auto& e : legacy.images) {
    if (e.to_write()) detail::store_image(conn, *e.record);
  }
}

// In place, the snapshot directories and layouts are the legacy home's own:
// each to write must still be there as a directory when its row commits.
void require_in_place(const fs::path& home, LegacyHome& legacy, bool skip_bad) {
  auto missing = [&](const fs::path& dir) {
    std::error_code ec;
    return !fs::is_directory(fs::symlink_status(dir, ec));
  };
  auto require = [&](auto& e, const fs::path& dir) {
    if (!e.to_write() || !missing(dir)) return;
    if (!skip_bad) {
      throw Error(ErrorCode::busy, "import: '" + dir.string() +
                                       "' was removed by another process meanwhile; "
                                       "run the import again");
    }
    e.reason = "'" + dir.string() + "' was removed by another process meanwhile";
  };
  for (auto& e : legacy.snapshots) require(e, home / "snapshots" / (e.record ? e.record->id : ""));
  for (auto& e : legacy.images) {
    require(e, home / "images" / "sha256" / (e.record ? e.record->digest.substr(7) : ""));
  }
}

}  // namespace

ImportReport detail::SqliteBackend::import_legacy(const ImportOptions& options) {
  const fs::path& home = options_.home;
  fs::path from = options.from.empty() ? home : fs::absolute(options.from);
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    throw Error(ErrorCode::invalid_argument, "import: '" + from.string() + "' is not a directory");
  }
  const fs::path resolved = fs::canonical(from, ec);
  if (ec) {
    throw Error(ErrorCode::io, "import: cannot resolve '" + from.string() + "': " + ec.message());
  }
  from = resolved;
  const bool in_place = from == home;

  LegacyHome legacy = detail::read_legacy_home(from, home, options.progress);
  db_->read("import", [&](Connection& conn) {
    classify_all(conn, legacy);
    return 0;
  });
  refuse_unless_skipping(legacy, options.dry_run, options.skip_bad);
  if (options.dry_run) return report_of(legacy, /*dry_run=*/true);

  ImportCopies copies(*db_, home, options);
  if (!in_place) {
    copies.stage_snapshots(legacy);
    copies.stage_layouts(legacy);
  }
  ImportReport report = db_->write("import", [&](Connection& conn) {
    classify_all(conn, legacy);
    if (in_place) require_in_place(home, legacy, options.skip_bad);
    refuse_unless_skipping(legacy, /*dry_run=*/false, options.skip_bad);
    if (!in_place) copies.place(conn, legacy);
    insert_all(conn, legacy);
    return report_of(legacy, /*dry_run=*/false);
  });
  copies.finish();
  report.bytes_copied = copies.bytes();
  return report;
}

}  // namespace a3s::store
