// Files around one transaction: the one mechanism every store uses to put a
// catalog entry in place or delete entries, consistently with the records
// that own them (SPEC §4 "Files and rows stay consistent"), on either
// backend: what it asks of the records is CatalogRecords and CatalogTxn
// (catalog_records.hpp). Internal.
//
// Putting an entry in place:
//   DirectoryChange change(records, home, CatalogKind::snapshots, "snapshot 's1'");
//   change.stage("snapshot", copy_the_rootfs);             // unlocked
//   ... in the write transaction, txn its CatalogTxn:
//     change.place(txn, "s1");                             // intent, rename
//     ... write the record ...
//   change.finish();                                       // drop the intent
// Deleting entries:
//   ... in the write transaction:
//     change.remove_after_commit(txn, {"s1"});             // pending removals
//     ... delete the records ...
//   change.finish();  // delete what no record owns
//
// Every transaction here holds the write lock from its start to its commit
// (SQLite's BEGIN IMMEDIATE; etcd's catalog lock), so that no placement or
// removal of the same entry name runs meanwhile, in any process. Both calls
// inside the transaction are safe to run again when the backend retries it.
//
// A placement's intent is a file, written and synced before anything in
// the catalog changes and dropped only once the files match the committed
// records, so a crash at any point leaves an intent for the next open's
// sweep, which removes every named entry no record owns.
//
// A removal's intent is its pending removals: records committed with the
// removal (rows of the pending_removals table on SQLite, keys on etcd),
// written by the deleting transaction itself, so they commit exactly when
// the records go and a removal costs that one commit. A pending removal
// asks only that <catalog>/<name> be deleted if no record owns it, which is
// right whoever does it and however often, as long as it is done holding
// the write lock (so that no placement of the same name runs meanwhile).
// finish() deletes the entries but leaves the pending removals: clearing
// them would cost a second durable commit per removal, and its moves out of
// the catalog are not synced, so a power cut may bring an entry back, which
// its pending removal then still names. They are cleared in batches by a
// later removal of the same catalog, in its own transaction: it moves out
// their entries that no record owns and fsyncs the catalog directory
// (making every earlier move out of it durable) before clearing them; and
// by a sweep, likewise. A pending removal whose entry is gone is therefore
// normal and no finding; one whose entry is still there means a crash, a
// power cut or an I/O error came between the commit and the deletion, and
// the next open's sweep (or that later removal) deletes it.
//
// A change destroyed without finish() (the transaction failed) removes what
// it placed unless a record owns it, and deletes its staged copy; when the
// commit's outcome is unknown (CatalogRecords::last_commit_outcome_unknown:
// SQLite's COMMIT failed in its fsync) it leaves what it placed and its
// intent to the sweep of the first open after this process is gone
// instead, since a crash may still bring the records back.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog_dir.hpp"
#include "catalog_records.hpp"

namespace a3s::store::detail {

class DirectoryChange {
 public:
  // Begins a change of `home`'s `kind` catalog; `object` names what changes
  // in messages ("snapshot 's1'"). Throws what
  // records.require_file_changes() throws (before anything is made under
  // `home`), io when the catalog cannot be opened or made.
  DirectoryChange(CatalogRecords& records, const std::filesystem::path& home, CatalogKind kind,
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
  // <catalog>/<name>. A directory already there, which no record owns, is
  // moved aside first (deleted by finish()); a symlink or any other file
  // there is refused with Error(io) naming it, a directory a record owns
  // with already_exists. Once placed, a re-run is a no-op. Throws io.
  void place(CatalogTxn& txn, std::string_view name);

  // As place(), for many: each staged directory (a handle stage() returned)
  // to its entry name, under one intent naming them all, so that a crash
  // part-way leaves every one of them for the next open's sweep.
  struct Placement {
    std::string staged;
    std::string name;
  };
  void place(CatalogTxn& txn, const std::vector<Placement>& placements);

  // Whether place() has put staged directories in place.
  bool placed() const { return !placed_.empty(); }

  // Inside the write transaction `txn`, called at most once per run of its
  // body: the entries named `names` (entries this transaction leaves without
  // a record) are to be deleted once it commits. Records them as pending
  // removals; once the catalog has many, the earlier ones are cleared, their
  // entries that no record owns moved into staging first (and deleted by
  // finish(), or by the destructor if the transaction fails: they were
  // unowned before it too). Empty `names` writes nothing and forgets the
  // names of an earlier run of the body. Throws io.
  void remove_after_commit(CatalogTxn& txn, std::vector<std::string> names);

  // After the transaction committed. A placement: drops the intent and
  // deletes what was moved aside or not used. A removal: holding the write
  // lock (a transaction that writes nothing, so no commit to sync), moves
  // each named entry that no record owns (one may have been made again
  // meanwhile) into staging, then deletes them; the pending removals stay
  // (see the file comment). Throws io naming every entry that could not be
  // moved or deleted (it stays where it is, its pending removal with it, for
  // the next open to retry); the records stay committed.
  void finish();

 private:
  // Runs `body`, prefixing the message of an Error it throws with the
  // object (unless it already names it).
  template <class Body>
  void naming_object(Body&& body) const;
  void place_all(CatalogTxn& txn, const std::vector<Placement>& placements);
  void record_intent(std::vector<std::string> names);
  void drop_intent();

  CatalogRecords& records_;
  std::string object_;
  std::string records_identity_;  // what intents name the records by
  std::optional<CatalogDir> catalog_;
  std::vector<std::string> staged_;  // staged directories not placed
  std::vector<std::string> placed_;  // the entries place() put in place
  std::vector<std::string> moved_aside_;
  std::vector<std::string> removals_;
  std::vector<std::string> intent_entries_;
  std::string intent_;  // the intent's staging name, "" when none
  bool finished_ = false;
};

// Recovery at open, for each catalog of `home`: the intents of processes
// that are gone, and the pending removals whose entries are still there,
// have their entries that no record owns moved into staging (those pending
// removals are then cleared), and every staging entry of a process that is
// gone is deleted. Intents of other records (CatalogRecords::identity) are
// left alone. Does nothing when `records` may not change the home's files
// (not describes_home, or read_only): a read-only store leaves the home as
// it found it. Takes the write lock only when there is something to sweep.
// Logs what it cannot do and never throws: a leftover never keeps the home
// from opening.
void sweep_home(CatalogRecords& records, const std::filesystem::path& home);

}  // namespace a3s::store::detail
