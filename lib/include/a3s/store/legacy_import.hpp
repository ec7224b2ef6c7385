// Importing a home the 2.4.0 runtime left behind (SPEC §2 "Legacy files",
// §7 `import`): what Store::import_legacy is asked to do and what it reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace a3s::store {

// How far an import has got, for a progress line.
struct ImportProgress {
  // "networks", "volumes", "snapshots" or "images": the catalog being read
  // or copied.
  std::string catalog;
  // Entries of that catalog handled so far, and how many there are.
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  // Bytes of snapshot rootfs trees and image layouts copied so far, all
  // catalogs together.
  std::uint64_t bytes_copied = 0;
};

struct ImportOptions {
  // The legacy home to read. Empty: the store's own home, whose snapshot
  // directories and image layouts are then taken over where they are.
  // Another directory: its snapshot rootfs trees and image layouts are
  // copied into the home (nothing under `from` is ever changed).
  std::filesystem::path from;
  // Reads and checks everything and reports what an import would do,
  // writing nothing: no row, no file.
  bool dry_run = false;
  // Imports what can be imported and lists the rest (unreadable files,
  // invalid entries, conflicts) as skipped, instead of failing the whole
  // import on the first of them.
  bool skip_bad = false;
  // Called from the importing thread after each entry is read and each
  // tree copied; may be empty. Must not throw.
  std::function<void(const ImportProgress&)> progress;
};

// An entry that was not imported, and why.
struct ImportSkip {
  // "networks", "volumes", "snapshots" or "images".
  std::string catalog;
  // What was skipped: a record ("network 'dev'", "image
  // 'docker.io/library/nginx:1.27'"), an entry with no usable name
  // ("networks.json entry 3") or a whole file ("'<from>/networks.json'").
  std::string object;
  // Why, naming the field or the path ("field 'subnet' is required",
  // "differs from the record already stored: field 'gateway'").
  std::string reason;
};

// What an import did to one catalog.
struct CatalogImportCounts {
  std::string catalog;         // "networks", "volumes", "snapshots", "images"
  std::uint64_t imported = 0;  // records written (in a dry run: that would be)
  std::uint64_t present = 0;   // records already stored, identical: left alone
  std::uint64_t skipped = 0;   // entries not imported (listed in `skipped`)
};

struct ImportReport {
  std::filesystem::path from;  // the legacy home read, absolute
  bool dry_run = false;
  // One per catalog, in the order networks, volumes, snapshots, images.
  std::vector<CatalogImportCounts> catalogs;
  // Every skipped entry, catalog by catalog in that order, each catalog's
  // in the order its files list them.
  std::vector<ImportSkip> skipped;
  // Bytes of rootfs trees and image layouts copied into the home (0 when
  // importing the home itself, and in a dry run).
  std::uint64_t bytes_copied = 0;

  std::uint64_t imported() const {
    std::uint64_t n = 0;
    for (const auto& c : catalogs) n += c.imported;
    return n;
  }
};

}  // namespace a3s::store
