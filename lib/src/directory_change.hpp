// Files around one transaction: the one mechanism every store uses to put a
// catalog entry in place or delete entries, consistently with the rows that
// own them (SPEC §4 "Files and rows stay consistent"). Internal.
//
// Putting an entry in place:
//   DirectoryChange change(db, home, CatalogKind::snapshots, "snapshot 's1'");
//   change.stage("snapshot", copy_the_rootfs);             // unlocked
//   db.write(..., [&](Connection& conn) {
//     change.place(conn, "s1");                            // intent, rename
//     ... insert the row ...
//   });
//   change.finish();                                       // drop the intent
// Deleting entries:
//   db.write(..., [&](Connection& conn) {
//     change.remove_after_commit(conn, {"s1"});            // pending rows
//     ... delete the rows ...
//   });
//   change.finish();  // delete what no row owns
//
// Both calls inside the transaction are safe to run again when Database
// retries the body.
//
// A placement's intent is a file, written and synced before anything in
// the catalog changes and dropped only once the files match the committed
// rows, so a crash at any point leaves an intent for the next open's sweep,
// which removes every named entry no row owns.
//
// A removal's intent is a pending_removals row (schema 0005) inserted by
// the deleting transaction itself: it commits exactly when the rows go, so
// a removal costs that one commit. Such a row asks only that <catalog>/<name>
// be deleted if no row owns it, which is right whoever does it and however
// often, as long as it is done holding the write lock (so that no placement
// of the same name runs meanwhile). finish() deletes the entries but leaves
// the rows: clearing them would cost a second durable commit per removal,
// and its moves out of the catalog are not synced, so a power cut may bring
// an entry back, which its row then still names. The rows are cleared in
// batches by a later removal of the same catalog, in its own transaction:
// it moves out their entries that no row owns and fsyncs the catalog
// directory (making every earlier move out of it durable) before deleting
// them; and by a sweep, likewise. A pending row whose entry is gone is
// therefore normal and no finding; one whose entry is still there means a
// crash, a power cut or an I/O error came between the commit and the
// deletion, and the next open's sweep (or that later removal) deletes it.
//
// A change destroyed without finish() (the transaction failed) removes what
// it placed unless a row owns it, and deletes its staged copy; when the
// COMMIT's fsync failed (last_commit_outcome_unknown) it leaves what it
// placed and its intent to the sweep of the first open after this process
// is gone instead, since a crash may still bring the rows back.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog_dir.hpp"

namespace a3s::store {
class Connection;
class Database;
struct Options;
}  // namespace a3s::store

namespace a3s::store::detail {

// Whether a store on `options` may change files under the home: only a
// store on the home's own database (<home>/box.db) may. One opened with
// another database file (a copy, to inspect it) reads rows only.
bool changes_home_files(const Options& options);

// Whether a row owns <catalog>/<name>: a volumes row named `name`, a
// snapshots row with that ID, an images row with digest sha256:<name>.
bool owned_by_a_row(Connection& conn, CatalogKind kind, std::string_view name);

class DirectoryChange {
 public:
  // Begins a change of `home`'s `kind` catalog; `object` names what changes
  // in messages ("snapshot 's1'"). Throws invalid_argument when `db` is not
  // the home's own database (changes_home_files), io when the catalog
  // cannot be opened or made.
  DirectoryChange(Database& db, const std::filesystem::path& home, CatalogKind kind,
                  std::string object);
  // Without finish(): undoes what this change did to the catalog (see the
  // file comment). Logs, never throws.
  ~DirectoryChange();
  DirectoryChange(const DirectoryChange&) = delete;
  DirectoryChange& operator=(const DirectoryChange&) = delete;

  CatalogDir& catalog() { return *catalog_; }

  // Outside the lock: `make(parent_fd, name, path)` creates a new entry's
  // directory `name` in the staging directory open as `parent_fd` (`path`
  // names it in messages) and fills it; returns `name`, the staged
  // directory's handle for place(). A change may stage several. Whatever
  // `make` leaves, also when it throws, is deleted unless place() puts it in
  // place. Propagates what `make` throws.
  using StagedMaker = std::function<void(int parent_fd, const std::string& name,
                                         const std::filesystem::path& path)>;
  std::string stage(std::string_view label, const StagedMaker& make);

  // Whether a staged directory waits to be placed.
  bool staged() const { return !staged_.empty(); }

  // Inside the write transaction: puts the one staged directory at
  // <catalog>/<name>. A directory already there, which no row owns, is moved
  // aside first (deleted by finish()); a symlink or any other file there is
  // refused with Error(io) naming it, a directory a row owns with
  // already_exists. Once placed, a re-run is a no-op. Throws io.
  void place(Connection& conn, std::string_view name);

  // As place(), for many: each staged directory (a handle stage() returned)
  // to its entry name, under one intent naming them all, so that a crash
  // part-way leaves every one of them for the next open's sweep.
  struct Placement {
    std::string staged;
    std::string name;
  };
  void place(Connection& conn, const std::vector<Placement>& placements);

  // Whether place() has put staged directories in place.
  bool placed() const { return !placed_.empty(); }

  // Inside the write transaction on `conn`, called at most once per run of
  // its body: the entries named `names` (entries this transaction leaves
  // without a row) are to be deleted once it commits. Records them as
  // pending_removals rows; once the catalog has many, the earlier ones are
  // cleared, their entries that no row owns moved into staging first (and
  // deleted by finish(), or by the destructor if the transaction fails:
  // they were unowned before it too). Empty `names` writes nothing and
  // forgets the names of an earlier run of the body. Throws io.
  void remove_after_commit(Connection& conn, std::vector<std::string> names);

  // After the transaction committed. A placement: drops the intent and
  // deletes what was moved aside or not used. A removal: holding the write
  // lock (a transaction that writes nothing, so no commit to sync), moves
  // each named entry that no row owns (one may have been made again
  // meanwhile) into staging, then deletes them; the pending rows stay (see
  // the file comment). Throws io naming every entry that could not be moved
  // or deleted (it stays where it is, its pending row with it, for the next
  // open to retry); the rows stay committed.
  void finish();

 private:
  // Runs `body`, prefixing the message of an Error it throws with the
  // object (unless it already names it).
  template <class Body>
  void naming_object(Body&& body) const;
  void place_all(Connection& conn, const std::vector<Placement>& placements);
  void record_intent(std::vector<std::string> names);
  void drop_intent();

  Database& db_;
  std::string object_;
  std::string database_;
  std::optional<CatalogDir> catalog_;
  std::vector<std::string> staged_;  // staged directories not placed
  std::vector<std::string> placed_;  // the entries place() put in place
  std::vector<std::string> moved_aside_;
  std::vector<std::string> removals_;
  std::vector<std::string> intent_entries_;
  std::string intent_;  // the intent's staging name, "" when none
  bool finished_ = false;
};

// The names of the `kind` catalog's pending_removals rows, in name order.
std::vector<std::string> pending_removals(Connection& conn, CatalogKind kind);

// Recovery at open, for each catalog of `db`'s home: the intents of
// processes that are gone, and the pending_removals rows whose entries are
// still there, have their entries that no row owns moved into staging (those
// pending rows are then cleared), and every staging entry of a process that
// is gone is deleted. Intents of another database are left alone. Takes the
// write lock only when there is something to sweep. Logs what it cannot do
// and never throws: a leftover never keeps the home from opening.
void sweep_home(Database& db, const std::filesystem::path& home);

}  // namespace a3s::store::detail
