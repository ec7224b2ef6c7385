#include "directory_change.hpp"

#include <algorithm>
#include <cerrno>
#include <map>

#include "a3s/store/error.hpp"
#include "fault_injection.hpp"
#include "io_error.hpp"
#include "log.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

// How many pending removals of a catalog a removal leaves in place before
// it clears them: clearing costs an fsync of the catalog directory, so one
// removal in this many pays it.
constexpr std::size_t kPendingRemovalsKept = 64;

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string join(const std::vector<std::string>& parts) {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : "; ") + part;
  return text;
}

}  // namespace

DirectoryChange::DirectoryChange(CatalogRecords& records, const fs::path& home, CatalogKind kind,
                                 std::string object)
    : records_(records), object_(std::move(object)), records_identity_(records.identity()) {
  records.require_file_changes(object_, home);  // before anything is made under the home
  naming_object([&] { catalog_ = CatalogDir::open(home, kind, /*create=*/true); });
}

template <class Body>
void DirectoryChange::naming_object(Body&& body) const {
  try {
    body();
  } catch (const Error& e) {
    if (std::string_view(e.what()).starts_with(object_)) throw;
    throw Error(e.code(), object_ + ": " + e.what());
  }
}

DirectoryChange::~DirectoryChange() {
  if (finished_) return;
  try {
    if (records_.last_commit_outcome_unknown() && !intent_.empty()) {
      // The records may still be committed after a crash: what was placed stays
      // in place and the intent with it, and the next open's sweep keeps
      // what a record owns and removes the rest.
      detail::log().warn(
          "{}: the commit failed with an I/O error; '{}' is left for the next "
          "open to sweep",
          object_, catalog_->staging_path(intent_).string());
      placed_.clear();
      intent_.clear();
    }
    if (!placed_.empty()) {
      // Our entries are in place without our records. Another process's
      // record may own one meanwhile (an equal image put): then it stays.
      std::vector<std::string> retired;
      records_.write(object_, [&](CatalogTxn& txn) {
        for (const auto& name : placed_) {
          if (std::find(retired.begin(), retired.end(), name) != retired.end()) continue;
          if (txn.owns(catalog_->kind(), name)) continue;
          if (auto staged = catalog_->move_out(name); !staged.empty()) {
            moved_aside_.push_back(staged);
          }
          retired.push_back(name);
        }
      });
    }
    moved_aside_.insert(moved_aside_.end(), staged_.begin(), staged_.end());
    for (const auto& staged : moved_aside_) {
      if (auto failure = catalog_->remove_staged(staged); !failure.empty()) {
        detail::log().warn("{}: {}", object_, failure);
      }
    }
    drop_intent();
  } catch (const std::exception& e) {
    detail::log().warn("{}: files left for the next open to sweep: {}", object_, e.what());
  }
}

std::string DirectoryChange::stage(std::string_view label, const StagedMaker& make) {
  std::string staged;
  naming_object([&] {
    const int staging = catalog_->staging_fd();  // refused before anything is staged
    staged = fresh_staging_name(label);
    staged_.push_back(staged);
    make(staging, staged, catalog_->staging_path(staged));
  });
  return staged;
}

void DirectoryChange::place(CatalogTxn& txn, std::string_view name) {
  naming_object([&] {
    if (placed_.empty() && staged_.size() != 1) {
      throw Error(ErrorCode::io, object_ + ": " + std::to_string(staged_.size()) +
                                     " staged directories to put at '" +
                                     catalog_->entry_path(name).string() + "'");
    }
    place_all(txn, {{placed_.empty() ? staged_.front() : std::string(), std::string(name)}});
  });
}

void DirectoryChange::place(CatalogTxn& txn, const std::vector<Placement>& placements) {
  naming_object([&] { place_all(txn, placements); });
}

void DirectoryChange::place_all(CatalogTxn& txn, const std::vector<Placement>& placements) {
  if (!placed_.empty()) {
    // A re-run after a busy retry: the lock was released in between.
    for (const auto& p : placements) {
      if (std::find(placed_.begin(), placed_.end(), p.name) == placed_.end() ||
          catalog_->entry_type(p.name) != EntryType::directory) {
        throw Error(ErrorCode::busy, object_ + ": '" + catalog_->entry_path(p.name).string() +
                                         "' was moved by another process while it was stored");
      }
    }
    return;
  }
  std::vector<std::string> names;
  std::vector<bool> replaces;
  for (const auto& p : placements) {
    if (std::find(staged_.begin(), staged_.end(), p.staged) == staged_.end()) {
      throw Error(ErrorCode::io, object_ + ": nothing was staged to put at '" +
                                     catalog_->entry_path(p.name).string() + "'");
    }
    const EntryType existing = catalog_->entry_type(p.name);
    if (existing == EntryType::other) {
      throw Error(
          ErrorCode::io,
          object_ + ": '" + catalog_->entry_path(p.name).string() +
              "' is a symlink or not a directory, so not an entry this engine made; entries "
              "of '" +
              catalog_->path().string() + "' are never followed: remove it to store this here");
    }
    if (existing == EntryType::directory && txn.owns(catalog_->kind(), p.name)) {
      throw Error(
          ErrorCode::already_exists,
          object_ + ": '" + catalog_->entry_path(p.name).string() + "' belongs to a record");
    }
    names.push_back(p.name);
    replaces.push_back(existing == EntryType::directory);
  }
  if (names.empty()) return;
  record_intent(names);
  for (std::size_t i = 0; i < placements.size(); ++i) {
    const auto& [staged, name] = placements[i];
    if (replaces[i]) {
      // Left by a crashed change and not yet swept: ours replaces it.
      moved_aside_.push_back(catalog_->move_out(name));
    }
    A3S_FAULT_POINT("files.place.before_rename");
    catalog_->move_in(staged, name);
    placed_.push_back(name);
    staged_.erase(std::find(staged_.begin(), staged_.end(), staged));
    A3S_FAULT_POINT("files.place.after_rename");
  }
}

void DirectoryChange::remove_after_commit(CatalogTxn& txn, std::vector<std::string> names) {
  naming_object([&] {
    removals_ = std::move(names);
    if (removals_.empty()) return;
    const CatalogKind kind = catalog_->kind();
    const auto pending = txn.pending_removals(kind);
    if (pending.size() >= kPendingRemovalsKept) {
      // The earlier removals' entries: this transaction takes no record from
      // them (only from `removals_`), so one no record owns now was unowned
      // before it began and is deleted whether it commits or not.
      for (const auto& name : pending) {
        if (contains(removals_, name) || !is_entry_name(kind, name)) continue;
        if (txn.owns(kind, name)) continue;
        if (auto staged = catalog_->move_out(name); !staged.empty()) moved_aside_.push_back(staged);
      }
      // Their moves out of the catalog (ours, and those of the finish()
      // that deleted them) are durable before the pending removals naming
      // them go.
      fsync_directory(catalog_->fd(), catalog_->path());
      txn.clear_pending_removals(kind, pending);
    }
    txn.add_pending_removals(kind, removals_);
  });
}

void DirectoryChange::finish() {
  finished_ = true;
  std::vector<std::string> failures;
  if (!removals_.empty()) {
    std::vector<std::string> retired;
    try {
      // Writes nothing: the write lock only keeps a placement of the same
      // name out while the entries move.
      records_.write(object_, [&](CatalogTxn& txn) {
        failures.clear();
        for (const auto& name : removals_) {
          if (txn.owns(catalog_->kind(), name)) continue;
          try {
            if (auto staged = catalog_->move_out(name); !staged.empty()) retired.push_back(staged);
          } catch (const Error& e) {
            failures.emplace_back(e.what());
          }
        }
      });
    } catch (const Error& e) {
      failures.emplace_back(e.what());
    }
    A3S_FAULT_POINT("files.retire.after_move");
    moved_aside_.insert(moved_aside_.end(), retired.begin(), retired.end());
  }
  try {
    drop_intent();  // a placement's
  } catch (const Error& e) {
    failures.emplace_back(e.what());
  }
  moved_aside_.insert(moved_aside_.end(), staged_.begin(), staged_.end());
  staged_.clear();
  for (const auto& staged : moved_aside_) {
    if (auto failure = catalog_->remove_staged(staged); !failure.empty()) {
      failures.push_back(std::move(failure));
    }
  }
  if (!removals_.empty()) A3S_FAULT_POINT("files.retire.after_delete");
  if (!failures.empty()) {
    if (removals_.empty()) {
      // The new entry is in place and recorded; a leftover in staging is
      // the next sweep's.
      detail::log().warn("{}: {}", object_, join(failures));
      return;
    }
    throw Error(ErrorCode::io, object_ + " was removed, but its files were not all deleted: " +
                                   join(failures) + " (left in place; the next open retries)");
  }
}

void DirectoryChange::record_intent(std::vector<std::string> names) {
  if (!intent_.empty() && intent_entries_ == names) return;
  const std::string written = catalog_->write_intent({records_identity_, names});
  drop_intent();
  intent_ = written;
  intent_entries_ = std::move(names);
}

void DirectoryChange::drop_intent() {
  if (intent_.empty()) return;
  if (::unlinkat(catalog_->staging_fd(), intent_.c_str(), 0) != 0 && errno != ENOENT) {
    throw_io("cannot delete", catalog_->staging_path(intent_), errno);
  }
  intent_.clear();
  intent_entries_.clear();
}

namespace {

// Whether the catalog's staging area holds anything a sweep would act on.
bool has_leftovers(CatalogDir& catalog, const std::string& identity) {
  for (const auto& entry : catalog.staging_entries()) {
    if (entry.owner_alive) continue;
    if (!entry.intent) return true;
    const auto intent = catalog.read_intent(entry.name);
    if (intent && intent->database == identity) return true;
  }
  return false;
}

void sweep_catalog(CatalogRecords& records, CatalogDir& catalog, const std::string& identity) {
  if (!has_leftovers(catalog, identity)) return;
  std::vector<std::string> leftovers;
  records.write("catalog '" + catalog.path().string() + "'", [&](CatalogTxn& txn) {
    leftovers.clear();
    for (const auto& entry : catalog.staging_entries()) {
      if (entry.owner_alive) continue;
      if (!entry.intent) {
        leftovers.push_back(entry.name);
        continue;
      }
      const auto intent = catalog.read_intent(entry.name);
      if (!intent) {
        detail::log().warn("'{}' is not an intent this engine wrote; left alone",
                           catalog.staging_path(entry.name).string());
        continue;
      }
      if (intent->database != identity) continue;  // other records'
      bool done = true;
      for (const auto& name : intent->entries) {
        if (!is_entry_name(catalog.kind(), name)) {
          detail::log().warn("'{}' names '{}', which cannot be an entry here; ignored",
                             catalog.staging_path(entry.name).string(), name);
          continue;
        }
        if (txn.owns(catalog.kind(), name)) continue;
        try {
          if (auto staged = catalog.move_out(name); !staged.empty()) {
            detail::log().info("sweeping '{}', left without a record by a process that is gone",
                               catalog.entry_path(name).string());
            leftovers.push_back(staged);
          }
        } catch (const Error& e) {
          detail::log().warn("{} (left in place)", e.what());
          done = false;
        }
      }
      if (done) leftovers.push_back(entry.name);
    }
  });
  for (const auto& staged : leftovers) {
    if (auto failure = catalog.remove_staged(staged); !failure.empty())
      detail::log().warn("{}", failure);
  }
}

// The pending removals of the catalog when one of them names an entry that
// is still there (else they wait for the next removal to clear them: a sweep
// that writes costs a commit): moves out those entries that no record owns,
// clears the pending removals, and deletes what it moved after the commit.
void sweep_pending_removals(CatalogRecords& records, CatalogDir& catalog,
                            const std::vector<std::string>& pending) {
  const auto there = [&](const std::string& name) {
    return is_entry_name(catalog.kind(), name) && catalog.entry_type(name) != EntryType::absent;
  };
  if (std::none_of(pending.begin(), pending.end(), there)) return;
  std::vector<std::string> moved;
  records.write("catalog '" + catalog.path().string() + "'", [&](CatalogTxn& txn) {
    moved.clear();
    std::vector<std::string> cleared;
    for (const auto& name : txn.pending_removals(catalog.kind())) {
      if (is_entry_name(catalog.kind(), name) && !txn.owns(catalog.kind(), name)) {
        try {
          if (auto staged = catalog.move_out(name); !staged.empty()) {
            detail::log().info("sweeping '{}', whose removal was committed but not finished",
                               catalog.entry_path(name).string());
            moved.push_back(staged);
          }
        } catch (const Error& e) {
          detail::log().warn("{} (left in place)", e.what());
          continue;  // it stays pending, for the next sweep to retry
        }
      }
      cleared.push_back(name);
    }
    txn.clear_pending_removals(catalog.kind(), cleared);
    // The moves are durable before the pending removals naming them go
    // (with the commit).
    fsync_directory(catalog.fd(), catalog.path());
  });
  for (const auto& staged : moved) {
    if (auto failure = catalog.remove_staged(staged); !failure.empty())
      detail::log().warn("{}", failure);
  }
}

}  // namespace

void sweep_home(CatalogRecords& records, const fs::path& home) {
  if (!records.describes_home(home) || records.read_only()) return;
  const std::string identity = records.identity();
  std::map<CatalogKind, std::vector<std::string>> pending;
  try {
    records.read("pending removals", [&](CatalogTxn& txn) {
      pending.clear();
      for (const CatalogKind kind : kAllCatalogs) pending[kind] = txn.pending_removals(kind);
    });
  } catch (const std::exception& e) {
    detail::log().warn("not sweeping pending removals: {}", e.what());
  }
  for (const CatalogKind kind : kAllCatalogs) {
    try {
      if (auto catalog = CatalogDir::open(home, kind, /*create=*/false)) {
        sweep_catalog(records, *catalog, identity);
        sweep_pending_removals(records, *catalog, pending[kind]);
      }
    } catch (const std::exception& e) {
      detail::log().warn("not sweeping '{}': {}", catalog_path(home, kind).string(), e.what());
    }
  }
}

}  // namespace a3s::store::detail
