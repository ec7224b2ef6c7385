// Reading a home the 2.4.0 runtime left (SPEC §2 "Legacy files") as
// untrusted input: every file and directory is opened relative to the
// legacy home's descriptor with O_NOFOLLOW, so a symlink at a file, a
// snapshot directory or a layout is a reason to skip an entry, never a path
// that is followed. Only the catalog directories themselves (snapshots/,
// images/, images/sha256/) may be symlinks, as an operator may have moved
// them onto another disk (as the engine's own catalogs may be).
// Internal; import (legacy_import.cpp) is its user.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "a3s/store/legacy_import.hpp"
#include "a3s/store/records.hpp"

namespace a3s::store::detail {

// One entry of a legacy catalog. Either `record` is set (decoded with the
// runtime's defaults, validated as the stores validate) or `reason` says why
// it cannot be imported.
template <class Record>
struct LegacyEntry {
  // "network 'dev'", or where the entry is when it has no usable name
  // ("'<from>/images/index.json' entry 3", "'<from>/networks.json'").
  std::string object;
  std::optional<Record> record;
  std::string reason;
  // Set by import against the database: the record is stored already,
  // identical; or `conflict` says how the stored one differs.
  bool present = false;
  std::string conflict;

  bool importable() const { return reason.empty() && conflict.empty(); }
  bool to_write() const { return importable() && !present; }
};

struct LegacyHome {
  std::filesystem::path from;  // absolute
  // The entries of networks.json, volumes.json, snapshots/<id>/ (in name
  // order) and images/index.json, in file order. A file that cannot be read
  // at all is one entry naming the file. An absent file or directory has no
  // entries: that catalog was never used.
  std::vector<LegacyEntry<NetworkConfig>> networks;
  std::vector<LegacyEntry<VolumeConfig>> volumes;
  std::vector<LegacyEntry<SnapshotMetadata>> snapshots;
  std::vector<LegacyEntry<StoredImage>> images;

  // Where a snapshot's rootfs and an image's layout are under `from`; only
  // for records read by read_legacy_home, whose directories it checked.
  std::filesystem::path rootfs_of(const SnapshotMetadata& s) const {
    return from / "snapshots" / s.id / "rootfs";
  }
  std::filesystem::path layout_of(const StoredImage& i) const {
    return from / "images" / "sha256" / i.digest.substr(7);
  }
};

// Reads the legacy home `from` (an absolute directory). Image records get
// the path their layout has in `home` (<home>/images/sha256/<hex>), never
// the recorded one. Besides the records' own rules, an entry is refused
// when: its name differs from the key or directory it is listed under; a
// snapshot's directory, metadata.json or rootfs, or an image's layout
// directory is missing, a symlink or not what it should be; a snapshot's or
// image's size_bytes is past 2^63 - 1 (the running totals count in signed
// 64 bits); an image reference is listed twice. What 2.4.0 leaves behind
// (.staging-*, images/tmp/, *.json.tmp, *.lock, *.json.corrupt-*) is never
// read. `progress`, when set, is told of each entry read. Throws
// Error(invalid_argument) when `from` is not a directory, Error(io) when it
// cannot be opened; everything below it that fails is an entry's reason.
LegacyHome read_legacy_home(const std::filesystem::path& from, const std::filesystem::path& home,
                            const std::function<void(const ImportProgress&)>& progress);

}  // namespace a3s::store::detail
