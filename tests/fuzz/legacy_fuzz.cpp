// Fuzzes the import reader (legacy_home.hpp) on a legacy home of 2.4.0 whose
// one catalog file is the input: the first byte picks networks.json,
// volumes.json, images/index.json or snapshots/snap-001/metadata.json, the
// rest is that file's text. The home has snapshot snap-001's rootfs and the
// fixture images' layout directories, so that records naming them get past
// those checks. The contract checked: read_legacy_home never throws for a
// readable home; every entry it lists has a record or a reason, not both;
// and a record it accepts passes the stores' validate().
#include <fcntl.h>
#include <unistd.h>

#include <array>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "fuzz_support.hpp"
#include "legacy_home.hpp"

namespace {

namespace fs = std::filesystem;
using namespace a3s::store;

// The fixture home's two layouts (../shared/fixtures/legacy-home-small).
constexpr std::array kLayouts = {
    "6515f83e7ba5810842059cf6b2b7279a3073b9d141623e62cc825050025113e0",
    "804658e22c3fcf82867343d685d090a2b3851e0581e7a032871c86f7c5c986f7",
};
constexpr std::array kFiles = {
    "networks.json",
    "volumes.json",
    "images/index.json",
    "snapshots/snap-001/metadata.json",
};

const fs::path& legacy_home() {
  static const fs::path from = [] {
    const fs::path dir = a3s::fuzz::scratch_dir() / "legacy";
    fs::create_directories(dir / "snapshots" / "snap-001" / "rootfs");
    for (const char* hex : kLayouts) fs::create_directories(dir / "images" / "sha256" / hex);
    return dir;
  }();
  return from;
}

void write_whole(const fs::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) a3s::fuzz::fail("cannot create " + path.string());
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) a3s::fuzz::fail("cannot write " + path.string());
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

template <class Record>
void check_entries(const std::vector<detail::LegacyEntry<Record>>& entries) {
  for (const auto& e : entries) {
    if (e.object.empty()) a3s::fuzz::fail("an entry names no object");
    if (e.record.has_value() == !e.reason.empty()) {
      a3s::fuzz::fail(e.object + ": an entry must have a record or a reason, not both: '" +
                      e.reason + "'");
    }
    if (!e.record) continue;
    try {
      validate(*e.record);
    } catch (const Error& err) {
      a3s::fuzz::fail(e.object + ": accepted, but refused by validate(): " + err.what());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = a3s::fuzz::split(data, size);
  const fs::path& from = legacy_home();
  const fs::path file = from / kFiles[input.selector % kFiles.size()];
  write_whole(file, input.text);
  try {
    const auto home = detail::read_legacy_home(from, a3s::fuzz::scratch_dir() / "home", nullptr);
    check_entries(home.networks);
    check_entries(home.volumes);
    check_entries(home.snapshots);
    check_entries(home.images);
  } catch (const Error& e) {
    a3s::fuzz::fail(std::string("read_legacy_home threw for a readable home: ") + e.what());
  }
  // The next input starts from the same home.
  ::unlink(file.c_str());
  return 0;
}
