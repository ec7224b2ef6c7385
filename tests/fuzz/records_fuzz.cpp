// Fuzzes the record decoders of records.hpp (*_from_json_text): the first
// byte picks the record type, the rest is the JSON text. The contract
// checked: a decoder returns a record or throws Error(invalid_argument),
// nothing else; and a record it returns survives to_json_text and back
// unchanged (what the store writes, it can read).
#include <optional>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace a3s::store;

template <class Record, class Decode>
void check(std::string_view text, Decode decode, const char* type) {
  std::optional<Record> record;
  try {
    record = decode(text);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::invalid_argument) {
      a3s::fuzz::fail(std::string(type) +
                      " decoder threw a non-invalid_argument error: " + e.what());
    }
    return;
  }
  const std::string written = to_json_text(*record);
  std::optional<Record> again;
  try {
    again = decode(written);
  } catch (const Error& e) {
    a3s::fuzz::fail(std::string(type) + " refuses its own to_json_text " + written + ": " +
                    e.what());
  }
  if (!(*again == *record)) {
    a3s::fuzz::fail(std::string(type) + " changes through to_json_text: " + written);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = a3s::fuzz::split(data, size);
  switch (input.selector % 5) {
    case 0:
      check<NetworkEndpoint>(input.text, endpoint_from_json_text, "endpoint");
      break;
    case 1:
      check<NetworkConfig>(input.text, network_from_json_text, "network");
      break;
    case 2:
      check<VolumeConfig>(input.text, volume_from_json_text, "volume");
      break;
    case 3:
      check<SnapshotMetadata>(input.text, snapshot_from_json_text, "snapshot");
      break;
    default:
      check<StoredImage>(input.text, image_from_json_text, "image");
      break;
  }
  return 0;
}
