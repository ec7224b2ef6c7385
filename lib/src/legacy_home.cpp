#include "legacy_home.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <set>

#include "dir_stream.hpp"
#include "io_error.hpp"
#include "record_json.hpp"
#include "unique_fd.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

namespace {

using nlohmann::json;

// The largest legacy file read whole: far more than 2.4.0 writes for the
// catalogs SPEC §4 allows, and a bound on what an import holds in memory.
constexpr off_t kMaxFileBytes = off_t{1} << 30;

// Sizes the running totals can count (catalog_totals: signed 64 bits).
constexpr std::uint64_t kMaxCountedBytes =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// Why an entry cannot be imported; caught per entry.
struct Unusable {
  std::string reason;
};

// Opens the directory `name` in `dir_fd`; nullopt when it does not exist.
// `follow` is for catalog directories, which an operator may have made
// symlinks; everything else is never followed.
std::optional<UniqueFd> open_dir_at(int dir_fd, const std::string& name, const fs::path& path,
                                    bool follow = false) {
  UniqueFd fd(::openat(dir_fd, name.c_str(),
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)));
  if (fd) return fd;
  const int err = errno;
  if (err == ENOENT) return std::nullopt;
  // O_DIRECTORY and O_NOFOLLOW report a symlink as ENOTDIR or ELOOP: ask.
  struct stat st {};
  if ((err == ENOTDIR || err == ELOOP) &&
      ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    throw Unusable{
        "'" + path.string() +
        (S_ISLNK(st.st_mode) ? "' is a symlink (never followed)" : "' is not a directory")};
  }
  throw Unusable{io_reason("cannot open", path, err)};
}

// Reads the regular file `name` in `dir_fd` whole; nullopt when it does not
// exist.
std::optional<std::string> read_file_at(int dir_fd, const std::string& name, const fs::path& path) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw Unusable{"'" + path.string() + "' is a symlink (never followed)"};
    throw Unusable{io_reason("cannot open", path, errno)};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Unusable{io_reason("cannot stat", path, errno)};
  if (!S_ISREG(st.st_mode)) throw Unusable{"'" + path.string() + "' is not a regular file"};
  if (st.st_size > kMaxFileBytes) {
    throw Unusable{"'" + path.string() + "' is larger than 1 GiB"};
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Unusable{io_reason("cannot read", path, errno)};
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > static_cast<std::size_t>(kMaxFileBytes)) {
      throw Unusable{"'" + path.string() + "' is larger than 1 GiB"};
    }
  }
  return text;
}

// The message of a record error without the object it names, which the
// report names on its own: "network 'dev': field 'subnet' is required" →
// "field 'subnet' is required".
std::string reason_of(const Error& e, const std::string& object) {
  std::string_view message = e.what();
  for (const std::string& prefix : {object + ": ", object.substr(0, object.find(' ')) + ": "}) {
    if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  }
  return std::string(message);
}

// Decodes and validates one entry, catching what makes it unusable.
template <class Record, class Decode>
LegacyEntry<Record> entry(std::string object, Decode&& decode) {
  LegacyEntry<Record> e;
  e.object = std::move(object);
  try {
    e.record = decode();
    validate(*e.record);
  } catch (const Unusable& u) {
    e.record.reset();
    e.reason = u.reason;
  } catch (const Error& err) {
    e.record.reset();
    e.reason = reason_of(err, e.object);
  }
  return e;
}

template <class Record>
LegacyEntry<Record> unreadable(const fs::path& path, std::string reason) {
  LegacyEntry<Record> e;
  e.object = "'" + path.string() + "'";
  e.reason = std::move(reason);
  return e;
}

// Parses a legacy file; throws Unusable with the parser's message.
LegacyFile parse_file(const std::string& text, const fs::path& path) {
  try {
    return parse_legacy_file(text, "'" + path.string() + "'");
  } catch (const Error& e) {
    throw Unusable{e.what()};
  }
}

// Parses one record's file; throws Unusable with the parser's message.
json parse_json_or_refuse(const std::string& text, const fs::path& path) {
  try {
    return parse_json_text(text, "'" + path.string() + "'");
  } catch (const Error& e) {
    throw Unusable{e.what()};
  }
}

// The reason a record of a legacy file names a field twice, if it does.
void refuse_duplicates(const LegacyFile& file, const std::string& entry) {
  if (const auto d = file.duplicates.find(entry); d != file.duplicates.end()) {
    throw Unusable{d->second};
  }
}

// networks.json / volumes.json: {"<wrapper>": {"<name>": record, ...}}.
template <class Record, class Decode>
void read_map_file(int from_fd, const fs::path& from, const std::string& file,
                   const std::string& wrapper, const std::string& noun, Decode&& decode,
                   std::vector<LegacyEntry<Record>>& out) {
  const fs::path path = from / file;
  LegacyFile parsed;
  json entries;
  try {
    const auto text = read_file_at(from_fd, file, path);
    if (!text) return;
    parsed = parse_file(*text, path);
    json& document = parsed.value;
    if (!document.is_object() || !document.contains(wrapper) || !document[wrapper].is_object()) {
      throw Unusable{"'" + path.string() + "' has no \"" + wrapper + "\" object"};
    }
    entries = std::move(document[wrapper]);
  } catch (const Unusable& u) {
    out.push_back(unreadable<Record>(path, u.reason));
    return;
  }
  // Not a structured binding: the lambda below captures key and value,
  // which clang before 16 cannot do with bindings.
  for (const auto& item : entries.items()) {
    const std::string& key = item.key();
    const json& value = item.value();
    out.push_back(entry<Record>(noun + " '" + key + "'", [&] {
      if (!value.is_object()) {
        throw Unusable{"is " + std::string(value.type_name()) + ", not a " + noun + " object"};
      }
      refuse_duplicates(parsed, key);
      Record r = decode(value);
      if (r.name != key) {
        throw Unusable{"is listed as '" + key + "' but its name is '" + r.name + "'"};
      }
      return r;
    }));
  }
}

void check_counted(std::uint64_t size_bytes) {
  if (size_bytes > kMaxCountedBytes) {
    throw Unusable{"field 'size_bytes' " + std::to_string(size_bytes) +
                   " is past 2^63 - 1, more than the catalog totals can count"};
  }
}

// snapshots/<id>/metadata.json, with <id>/rootfs a directory.
void read_snapshots(int from_fd, const fs::path& from, LegacyHome& home) {
  const fs::path dir = from / "snapshots";
  std::vector<std::string> names;
  std::optional<UniqueFd> catalog;
  try {
    catalog = open_dir_at(from_fd, "snapshots", dir, /*follow=*/true);
    if (!catalog) return;
    UniqueFd listed(::openat(catalog->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DirStream stream;
    if (!listed || !stream.adopt(listed)) throw Unusable{io_reason("cannot list", dir, errno)};
    int err = 0;
    while (const char* name = stream.next(err)) {
      const std::string_view n(name);
      if (n == ".staging" || n.starts_with(".staging-")) continue;  // leftovers
      names.emplace_back(n);
    }
    if (err != 0) throw Unusable{io_reason("cannot list", dir, err)};
  } catch (const Unusable& u) {
    home.snapshots.push_back(unreadable<SnapshotMetadata>(dir, u.reason));
    return;
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const fs::path path = dir / name;
    bool is_snapshot = true;
    auto e = entry<SnapshotMetadata>("snapshot '" + name + "'", [&]() -> SnapshotMetadata {
      std::optional<UniqueFd> snapshot;
      try {
        snapshot = open_dir_at(catalog->get(), name, path);
      } catch (const Unusable& u) {
        // A plain file is not a snapshot to 2.4.0 either (no metadata.json
        // under it); a symlink could be one, and is refused.
        if (u.reason.ends_with("is not a directory")) is_snapshot = false;
        throw;
      }
      const auto text = snapshot
                            ? read_file_at(snapshot->get(), "metadata.json", path / "metadata.json")
                            : std::nullopt;
      if (!text) {
        is_snapshot = false;  // no metadata.json: 2.4.0 does not see it either
        return {};
      }
      SnapshotMetadata s = snapshot_from_json(parse_json_or_refuse(*text, path / "metadata.json"));
      if (s.id != name) {
        throw Unusable{"its metadata.json names snapshot '" + s.id + "', not '" + name + "'"};
      }
      check_counted(s.size_bytes);
      if (!open_dir_at(snapshot->get(), "rootfs", path / "rootfs")) {
        throw Unusable{"'" + (path / "rootfs").string() + "' is missing"};
      }
      return s;
    });
    if (is_snapshot) home.snapshots.push_back(std::move(e));
  }
}

// images/index.json: {"images": [record, ...]}, each layout at
// images/sha256/<hex>.
void read_images(int from_fd, const fs::path& from, const fs::path& into, LegacyHome& home) {
  const fs::path dir = from / "images";
  const fs::path path = dir / "index.json";
  LegacyFile parsed;
  json entries;
  std::optional<UniqueFd> layouts;
  try {
    const auto images = open_dir_at(from_fd, "images", dir, /*follow=*/true);
    if (!images) return;
    const auto text = read_file_at(images->get(), "index.json", path);
    if (!text) return;
    parsed = parse_file(*text, path);
    json& document = parsed.value;
    if (!document.is_object() || !document.contains("images") || !document["images"].is_array()) {
      throw Unusable{"'" + path.string() + "' has no \"images\" list"};
    }
    entries = std::move(document["images"]);
    layouts = open_dir_at(images->get(), "sha256", dir / "sha256", /*follow=*/true);
  } catch (const Unusable& u) {
    home.images.push_back(unreadable<StoredImage>(path, u.reason));
    return;
  }
  std::set<std::string, std::less<>> references;
  std::size_t index = 0;
  for (const auto& value : entries) {
    ++index;
    std::string object = "'" + path.string() + "' entry " + std::to_string(index);
    if (value.is_object() && value.contains("reference") && value["reference"].is_string()) {
      object = "image '" + value["reference"].get<std::string>() + "'";
    }
    home.images.push_back(entry<StoredImage>(object, [&] {
      if (!value.is_object()) {
        throw Unusable{"is " + std::string(value.type_name()) + ", not an image object"};
      }
      refuse_duplicates(parsed, std::to_string(index - 1));
      StoredImage i = image_from_json(value);
      if (!references.insert(i.reference).second) {
        throw Unusable{"its reference is listed twice in '" + path.string() +
                       "' (the first entry is the one imported)"};
      }
      validate_digest(i.digest);  // before the digest names any path
      check_counted(i.size_bytes);
      const std::string hex = i.digest.substr(7);
      const fs::path layout = dir / "sha256" / hex;
      if (!layouts || !open_dir_at(layouts->get(), hex, layout)) {
        throw Unusable{"its layout directory '" + layout.string() + "' is missing"};
      }
      i.path = (into / "images" / "sha256" / hex).string();
      return i;
    }));
  }
}

}  // namespace

LegacyHome read_legacy_home(const fs::path& from, const fs::path& home,
                            const std::function<void(const ImportProgress&)>& progress) {
  UniqueFd from_fd(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from_fd) {
    if (errno == ENOENT || errno == ENOTDIR) {
      throw Error(ErrorCode::invalid_argument,
                  "import: '" + from.string() + "' is not a directory");
    }
    throw_io("cannot open", from, errno);
  }
  LegacyHome legacy;
  legacy.from = from;
  auto report = [&](const char* catalog, std::size_t n) {
    if (progress) progress({catalog, n, n, 0});
  };
  read_map_file(
      from_fd.get(), from, "networks.json", "networks", "network",
      [](const json& v) { return network_from_json(v); }, legacy.networks);
  report("networks", legacy.networks.size());
  read_map_file(
      from_fd.get(), from, "volumes.json", "volumes", "volume",
      [](const json& v) { return volume_from_json(v); }, legacy.volumes);
  report("volumes", legacy.volumes.size());
  read_snapshots(from_fd.get(), from, legacy);
  report("snapshots", legacy.snapshots.size());
  read_images(from_fd.get(), from, home, legacy);
  report("images", legacy.images.size());
  return legacy;
}

}  // namespace a3s::store::detail
