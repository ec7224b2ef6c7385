#include "etcd_image_store.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "directory_change.hpp"
#include "etcd_catalog_records.hpp"
#include "etcd_totals.hpp"
#include "fault_injection.hpp"
#include "image_rules.hpp"
#include "record_json.hpp"
#include "rfc3339.hpp"
#include "tree_copy.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

const std::string kImages = "img/";
const std::string kUsed = "imgused/";

std::string image_key(std::string_view reference) { return kImages + std::string(reference); }
std::string used_key(std::string_view reference) { return kUsed + std::string(reference); }
std::string index_key(std::string_view digest, std::string_view reference) {
  return etcd_keys::image_digest_prefix(digest) + std::string(reference);
}

[[noreturn]] void corrupt(std::string_view key, const std::string& why) {
  throw Error(ErrorCode::corrupt, "image record '" + std::string(key) + "' " + why);
}

// A digest's images as its index holds them: reference → size_bytes, in
// reference order.
using DigestIndex = std::map<std::string, std::uint64_t>;

std::uint64_t decode_size(const KeyValue& kv) {
  std::uint64_t size = 0;
  const char* end = kv.value.data() + kv.value.size();
  const auto [ptr, ec] = std::from_chars(kv.value.data(), end, size);
  if (ec != std::errc() || ptr != end || kv.value.empty()) {
    corrupt(kv.key, "holds '" + kv.value + "', not a size");
  }
  return size;
}

Timestamp decode_used(const KeyValue& kv) {
  const auto t = try_parse_rfc3339(kv.value);
  if (!t) corrupt(kv.key, "holds '" + kv.value + "', not " + std::string(kTimestampForm));
  return *t;
}

// The record at img/<reference> (its value) with `last_used`.
StoredImage decode(const KeyValue& kv, Timestamp last_used) {
  StoredImage image;
  try {
    auto j = nlohmann::json::parse(kv.value);
    j["last_used"] = format_rfc3339(last_used);
    image = image_from_json(j);
  } catch (const std::exception& e) {
    corrupt(kv.key, std::string("cannot be read: ") + e.what());
  }
  if (kv.key != image_key(image.reference)) {
    corrupt(kv.key, "holds image '" + image.reference + "'");
  }
  return image;
}

// The image `reference` through `txn` (guarded reads of both keys), or
// nullopt.
std::optional<StoredImage> load(EtcdTxn& txn, std::string_view reference) {
  const auto record = txn.get(image_key(reference));
  if (!record) return std::nullopt;
  const auto used = txn.get(used_key(reference));
  if (!used) corrupt(record->key, "has no " + used_key(reference));
  return decode(*record, decode_used(*used));
}

// Buffers the keys of `image` in `txn`.
void write_image(EtcdTxn& txn, const StoredImage& image) {
  auto j = to_json(image);
  j.erase("last_used");
  txn.put(image_key(image.reference), j.dump());
  txn.put(used_key(image.reference), format_rfc3339_sortable(image.last_used));
  txn.put(index_key(image.digest, image.reference), std::to_string(image.size_bytes));
}

// The index of `digest` through `txn` (a guarded prefix read).
DigestIndex read_index(EtcdTxn& txn, std::string_view digest) {
  const std::string prefix = etcd_keys::image_digest_prefix(digest);
  DigestIndex index;
  for (const auto& kv : txn.list(prefix)) index[kv.key.substr(prefix.size())] = decode_size(kv);
  return index;
}

// The totals once a digest's index goes from `before` to `after`: a layout
// counts once, for the largest size of its images (as image_layouts does on
// SQLite), and only while it has images.
void adjust(CatalogTotals& totals, const DigestIndex& before, const DigestIndex& after) {
  const auto layout = [](const DigestIndex& index) {
    std::uint64_t largest = 0;
    for (const auto& entry : index) largest = std::max(largest, entry.second);
    return largest;
  };
  if (!before.empty()) {
    totals.records -= 1;
    totals.bytes -= layout(before);
  }
  if (!after.empty()) {
    totals.records += 1;
    totals.bytes += layout(after);
  }
}

// Images leaving the catalog in one transaction: their keys, the index and
// the totals, and the layouts left without an image.
class Removal {
 public:
  // `indexes`: the index of each digest an image to remove may have, as
  // read in the transaction.
  Removal(CatalogTotals totals, std::map<std::string, DigestIndex> indexes)
      : totals_(totals), indexes_(std::move(indexes)) {}

  const CatalogTotals& totals() const { return totals_; }

  void remove(const StoredImage& image) {
    DigestIndex& index = indexes_[image.digest];
    const DigestIndex before = index;
    index.erase(image.reference);
    adjust(totals_, before, index);
    if (index.empty()) layouts_.push_back(layout_name(image.digest));
    removed_.push_back(image);
  }

  // Buffers the removals in `txn` and returns the entry names of the
  // layouts no image points at any more, each once.
  std::vector<std::string> apply(EtcdTxn& txn) const {
    for (const auto& image : removed_) {
      txn.erase(image_key(image.reference));
      txn.erase(used_key(image.reference));
      txn.erase(index_key(image.digest, image.reference));
    }
    write_totals(txn, etcd_keys::kImageTotals, totals_);
    return layouts_;
  }

  const std::vector<StoredImage>& removed() const { return removed_; }

 private:
  CatalogTotals totals_;
  std::map<std::string, DigestIndex> indexes_;
  std::vector<StoredImage> removed_;
  std::vector<std::string> layouts_;
};

// Least recently used first, ties by reference (evict's order).
bool less_recently_used(const StoredImage& a, const StoredImage& b) {
  if (a.last_used != b.last_used) return a.last_used < b.last_used;
  return a.reference < b.reference;
}

}  // namespace

std::vector<StoredImage> erase_images_of_layout(EtcdTxn& txn, std::string_view hex) {
  const std::string digest = "sha256:" + std::string(hex);
  const CatalogTotals totals = read_totals(txn, etcd_keys::kImageTotals);
  const DigestIndex index = read_index(txn, digest);
  Removal removal(totals, {{digest, index}});
  for (const auto& entry : index) {
    if (auto image = load(txn, entry.first)) removal.remove(*image);
  }
  removal.apply(txn);
  return removal.removed();
}

EtcdImageStore::EtcdImageStore(EtcdKeyspace& space, CatalogRecords& records, fs::path home,
                               std::uint64_t max_size_bytes)
    : ImageStore(std::move(home), max_size_bytes), space_(space), records_(records) {
  // `check --repair` of a layout whose directory is gone.
  space_.set_owner_removal(CatalogKind::images, [](EtcdTxn& txn, std::string_view hex) {
    erase_images_of_layout(txn, hex);
  });
}

StoredImage EtcdImageStore::put(std::string_view reference, std::string_view digest,
                                const fs::path& source_dir) {
  validate_put(reference, digest, source_dir);
  for (int attempt = 0; attempt < kImagePutAttempts; ++attempt) {
    if (auto image = put_once(reference, digest, source_dir)) return *image;
  }
  throw layout_kept_vanishing(reference, digest);
}

// One attempt of put, as SqliteImageStore's: copies the layout unless an
// image of the digest has it in place, then (holding the catalog lock)
// places the copy and commits the records. nullopt when the layout it meant
// to share was removed meanwhile and no copy was made.
std::optional<StoredImage> EtcdImageStore::put_once(std::string_view reference,
                                                    std::string_view digest,
                                                    const fs::path& source_dir) {
  const std::string hex = layout_name(digest);
  const std::string object = image_name(reference);
  DirectoryChange change(records_, home_, CatalogKind::images, object);
  // A layout is only ever shared once a record has it: one without may be
  // anything (a crashed copy, a directory put there by hand).
  auto in_place = [&](bool recorded) {
    return recorded && change.catalog().entry_type(hex) == EntryType::directory;
  };
  bool cached = false;
  records_.read(object,
                [&](CatalogTxn& txn) { cached = in_place(txn.owns(CatalogKind::images, hex)); });
  std::uint64_t copied = 0;
  if (!cached) {
    change.stage("image", [&](int parent_fd, const std::string& name, const fs::path& path) {
      copied = copy_tree(source_dir, parent_fd, name, path).bytes;
    });
  }
  A3S_FAULT_POINT("image.put.before_write");
  auto stored = transact_locked(space_, object, [&](EtcdTxn& txn) -> std::optional<StoredImage> {
    CatalogTotals totals = read_totals(txn, etcd_keys::kImageTotals);
    DigestIndex index = read_index(txn, digest);
    std::uint64_t size = copied;
    if (!change.placed() && in_place(!index.empty())) {
      size = index.begin()->second;  // the size recorded for the layout
    } else if (change.staged() || change.placed()) {
      A3S_FAULT_POINT("image.put.before_rename");
      change.place(txn, hex);
      A3S_FAULT_POINT("image.put.after_rename");
    } else {
      return std::nullopt;
    }
    // When `reference` moves away from its digest and no other reference
    // has that digest, the image stays listed under its digest as
    // reference, with its size, path and times (SPEC §4 "Images").
    if (const auto old = load(txn, reference); old && old->digest != digest) {
      DigestIndex old_index = read_index(txn, old->digest);
      const DigestIndex before = old_index;
      old_index.erase(old->reference);
      txn.erase(index_key(old->digest, old->reference));
      if (old_index.empty()) {
        StoredImage dangling = *old;
        dangling.reference = old->digest;
        write_image(txn, dangling);
        old_index[dangling.reference] = dangling.size_bytes;
      }
      adjust(totals, before, old_index);
    }
    const Timestamp stored_at = now();
    StoredImage image{std::string(reference),
                      std::string(digest),
                      size,
                      stored_at,
                      stored_at,
                      (home_ / "images" / "sha256" / hex).string()};
    write_image(txn, image);
    const DigestIndex before = index;
    index[image.reference] = size;
    adjust(totals, before, index);
    write_totals(txn, etcd_keys::kImageTotals, totals);
    A3S_FAULT_POINT("image.put.before_commit");
    return image;
  });
  if (stored) change.finish();
  return stored;
}

std::optional<StoredImage> EtcdImageStore::get(std::string_view reference) {
  validate_identifier("image reference", reference);
  const std::string object = image_name(reference);
  const std::string record = space_.key(image_key(reference));
  // One txn: while the record exists, read it and write its last_used. Sent
  // again when its answer is lost: writing last_used twice is harmless.
  const Timestamp used = now();
  TxnRequest request;
  request.compare = {compare_key(record, Compare::Target::create, Compare::Result::greater, 0)};
  request.success = {{RangeRequest{record}},
                     {PutRequest{space_.key(used_key(reference)), format_rfc3339_sortable(used)}}};
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    try {
      const TxnResponse response = space_.client().txn(request);
      if (!response.succeeded) return std::nullopt;
      const auto& found = std::get<RangeResponse>(response.responses.at(0).op);
      if (found.kvs.empty()) return std::nullopt;
      KeyValue kv = found.kvs.front();
      kv.key = space_.relative(kv.key);
      return decode(kv, used);
    } catch (const EtcdError& e) {
      if (e.kind() == EtcdError::Kind::outcome_unknown && attempt < kAttempts) continue;
      throw Error(e.code(), object + ": " + e.what());
    }
  }
}

std::optional<StoredImage> EtcdImageStore::get_by_digest(std::string_view digest) {
  validate_digest(digest);
  return transact(space_, image_name(digest), [&](EtcdTxn& txn) -> std::optional<StoredImage> {
    // The most recently used, ties by reference (the index is in reference
    // order and only a later use replaces the choice).
    std::optional<StoredImage> chosen;
    for (const auto& entry : read_index(txn, digest)) {
      auto image = load(txn, entry.first);
      if (image && (!chosen || image->last_used > chosen->last_used)) chosen = std::move(image);
    }
    if (!chosen) return chosen;
    chosen->last_used = now();
    txn.put(used_key(chosen->reference), format_rfc3339_sortable(chosen->last_used));
    return chosen;
  });
}

std::vector<StoredImage> EtcdImageStore::remove(std::string_view reference_or_digest) {
  const bool by_digest = validate_reference_or_digest(reference_or_digest);
  const std::string target(reference_or_digest);
  const std::string object = image_name(target);
  DirectoryChange change(records_, home_, CatalogKind::images, object);
  auto removed = transact_locked(space_, object, [&](EtcdTxn& txn) {
    std::vector<StoredImage> images;
    if (by_digest) {
      for (const auto& entry : read_index(txn, target)) {
        if (auto image = load(txn, entry.first)) images.push_back(std::move(*image));
      }
    } else if (auto image = load(txn, target)) {
      images.push_back(std::move(*image));
    }
    if (images.empty()) throw not_found("image", target);
    std::map<std::string, DigestIndex> indexes;
    for (const auto& image : images) {
      if (!indexes.contains(image.digest)) indexes[image.digest] = read_index(txn, image.digest);
    }
    Removal removal(read_totals(txn, etcd_keys::kImageTotals), std::move(indexes));
    for (const auto& image : images) removal.remove(image);
    change.remove_after_commit(txn, removal.apply(txn));
    return removal.removed();
  });
  A3S_FAULT_POINT("image.remove.after_commit");
  change.finish();
  return removed;
}

std::vector<StoredImage> EtcdImageStore::list() const {
  return transact(space_, "images", [&](EtcdTxn& txn) {
    std::map<std::string, Timestamp> used;
    for (const auto& kv : txn.list(kUsed))
      used.emplace(kv.key.substr(kUsed.size()), decode_used(kv));
    std::vector<StoredImage> images;
    for (const auto& kv : txn.list(kImages)) {
      const auto found = used.find(kv.key.substr(kImages.size()));
      if (found == used.end()) corrupt(kv.key, "has no " + used_key(kv.key.substr(kImages.size())));
      images.push_back(decode(kv, found->second));
    }
    return images;  // in key order: by reference
  });
}

std::uint64_t EtcdImageStore::total_size() const {
  return read_totals(space_, etcd_keys::kImageTotals).bytes;
}

std::vector<std::string> EtcdImageStore::evict(std::uint64_t max_size_bytes) {
  // Under the cap (the usual case) this is one read, without the lock.
  if (total_size() <= max_size_bytes) return {};
  DirectoryChange change(records_, home_, CatalogKind::images, "image cache");
  auto evicted = transact_locked(space_, "image cache", [&](EtcdTxn& txn) {
    std::vector<std::string> evicted;
    const CatalogTotals totals = read_totals(txn, etcd_keys::kImageTotals);
    std::vector<std::string> layouts;
    if (totals.bytes > max_size_bytes) {
      // The plan, at the txn's revision R. The images are a guarded read (a
      // put or remove since R also rewrites the totals, whose guard catches
      // it). Their last_used values are read without a guard, since a get
      // of an image this evict keeps changes nothing; each victim's is
      // guarded below, so that an image used after the plan is not evicted.
      const std::string used_prefix = space_.key(kUsed);
      std::map<std::string, KeyValue> used;
      for (auto& kv :
           range_all(space_.client(), used_prefix, prefix_end(used_prefix), txn.revision()).kvs) {
        kv.key = space_.relative(kv.key);
        used.emplace(kv.key, std::move(kv));
      }
      std::vector<StoredImage> images;
      std::map<std::string, DigestIndex> indexes;
      for (const auto& kv : txn.list(kImages)) {
        const std::string reference = kv.key.substr(kImages.size());
        const auto found = used.find(used_key(reference));
        if (found == used.end()) corrupt(kv.key, "has no " + used_key(reference));
        images.push_back(decode(kv, decode_used(found->second)));
        indexes[images.back().digest][reference] = images.back().size_bytes;
      }
      std::sort(images.begin(), images.end(), less_recently_used);
      Removal removal(totals, std::move(indexes));
      for (const auto& image : images) {
        if (removal.totals().bytes <= max_size_bytes) break;
        txn.get(used_key(image.reference));  // MOD(imgused/<victim>) == its mod revision at R
        removal.remove(image);
        evicted.push_back(image.reference);
      }
      if (removal.totals().bytes > max_size_bytes) {
        throw Error(ErrorCode::corrupt, "image cache: " + std::string(etcd_keys::kImageTotals) +
                                            " counts " + std::to_string(removal.totals().bytes) +
                                            " bytes of images once every image is evicted");
      }
      layouts = removal.apply(txn);
    }
    change.remove_after_commit(txn, layouts);
    A3S_FAULT_POINT("image.evict.before_commit");
    return evicted;
  });
  A3S_FAULT_POINT("image.evict.after_commit");
  change.finish();
  return evicted;
}

}  // namespace a3s::store::detail
