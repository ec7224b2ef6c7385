// Fuzzes the C API's entry points that take JSON text (a3s_store.h) on one
// store per process, in a scratch home. The first byte picks the call, the
// rest is its JSON text: a network to create (then update, connect a box
// to, and remove), the aliases of a box connecting to network 'fuzz-net', a
// volume to create (then get_or_create, update and remove), a volume to
// get_or_create, a snapshot's metadata to save (with an empty rootfs, then
// delete), or a3s_open's options. Whatever a call creates is removed, so
// every input meets the same store and a saved crash replays as it ran.
// The contract checked (a3s_store.h): every status is one of a3s_status and
// never A3S_INTERNAL; a failure leaves a message and `*out_json` NULL; a
// success leaves "" and a record the records' decoders accept; a network
// or snapshot read back is the record stored.
#include <string>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "a3s_store.h"
#include "fuzz_support.hpp"

namespace {

using namespace a3s::store;
using a3s::fuzz::fail;

constexpr const char* kNetwork = "fuzz-net";
// Durability is no concern of a scratch home; fewer fsyncs, more inputs.
constexpr const char* kOptions = R"({"synchronous":"normal"})";

a3s_store* store() {
  static a3s_store* const s = [] {
    const std::string home = (a3s::fuzz::scratch_dir() / "home").string();
    a3s_store* opened = nullptr;
    if (a3s_open(home.c_str(), kOptions, &opened) != A3S_OK) fail(a3s_last_error());
    const std::string net = std::string(R"({"name":")") + kNetwork +
                            R"(","subnet":"10.99.0.0/24","gateway":"10.99.0.1",)"
                            R"("created_at":"2026-01-01T00:00:00Z"})";
    if (a3s_network_create(opened, net.c_str()) != A3S_OK) fail(a3s_last_error());
    return opened;
  }();
  return s;
}

// Checks what a3s_store.h promises of `status`; true on A3S_OK.
bool ok(a3s_status status, const char* call) {
  const std::string message = a3s_last_error();
  if (status < A3S_OK || status >= A3S_INTERNAL) {
    fail(std::string(call) + " returned status " + std::to_string(status) + ": " + message);
  }
  if ((status == A3S_OK) != message.empty()) {
    fail(std::string(call) + ": status " + std::to_string(status) + " with message '" + message +
         "'");
  }
  return status == A3S_OK;
}

// As ok(), for a call with an `out_json`, whose text `decode` must accept;
// the record decoded when the call succeeded.
template <class Decode>
auto ok_out(a3s_status status, char* out_json, const char* call, Decode decode)
    -> std::optional<decltype(decode(std::string_view()))> {
  if (!ok(status, call)) {
    if (out_json != nullptr) fail(std::string(call) + " failed but set out_json");
    return std::nullopt;
  }
  if (out_json == nullptr) fail(std::string(call) + " succeeded without out_json");
  const std::string text = out_json;
  a3s_free(out_json);
  try {
    return decode(text);
  } catch (const Error& e) {
    fail(std::string(call) + " returned a record its decoder refuses: " + text + ": " + e.what());
  }
}

void network(const char* json) {
  if (!ok(a3s_network_create(store(), json), "a3s_network_create")) return;
  const NetworkConfig created = network_from_json_text(json);
  char* out = nullptr;
  if (ok_out(a3s_network_get(store(), created.name.c_str(), &out), out, "a3s_network_get",
             network_from_json_text) != created) {
    fail("a3s_network_get: network '" + created.name + "' is not the record created");
  }
  ok(a3s_network_update(store(), json), "a3s_network_update");
  out = nullptr;
  ok_out(a3s_network_connect(store(), created.name.c_str(), "box-1", "box", "[]", &out), out,
         "a3s_network_connect", endpoint_from_json_text);
  out = nullptr;
  if (!ok_out(a3s_network_remove(store(), created.name.c_str(), 1, &out), out, "a3s_network_remove",
              network_from_json_text)) {
    fail("a3s_network_remove: cannot remove network '" + created.name + "' just created");
  }
}

void aliases(const char* json) {
  char* out = nullptr;
  if (!ok_out(a3s_network_connect(store(), kNetwork, "box-1", "box", json, &out), out,
              "a3s_network_connect", endpoint_from_json_text)) {
    return;
  }
  out = nullptr;
  if (!ok_out(a3s_network_disconnect(store(), kNetwork, "box-1", &out), out,
              "a3s_network_disconnect", endpoint_from_json_text)) {
    fail("a3s_network_disconnect: cannot disconnect the box just connected");
  }
}

void remove_volume(const std::string& name) {
  char* out = nullptr;
  if (!ok_out(a3s_volume_remove(store(), name.c_str(), 1, &out), out, "a3s_volume_remove",
              volume_from_json_text)) {
    fail("a3s_volume_remove: cannot remove volume '" + name + "' just created");
  }
}

void volume(const char* json, bool get_or_create) {
  char* out = nullptr;
  const auto created = get_or_create ? ok_out(a3s_volume_get_or_create(store(), json, &out), out,
                                              "a3s_volume_get_or_create", volume_from_json_text)
                                     : ok_out(a3s_volume_create(store(), json, &out), out,
                                              "a3s_volume_create", volume_from_json_text);
  if (!created) return;
  if (!get_or_create) {
    out = nullptr;
    ok_out(a3s_volume_get_or_create(store(), json, &out), out, "a3s_volume_get_or_create",
           volume_from_json_text);
    ok(a3s_volume_update(store(), json), "a3s_volume_update");
  }
  remove_volume(created->name);
}

void snapshot(const char* json) {
  const std::string no_rootfs = (a3s::fuzz::scratch_dir() / "no-such-rootfs").string();
  char* out = nullptr;
  const auto saved = ok_out(a3s_snapshot_save(store(), json, no_rootfs.c_str(), &out), out,
                            "a3s_snapshot_save", snapshot_from_json_text);
  if (!saved) return;
  out = nullptr;
  if (ok_out(a3s_snapshot_get(store(), saved->id.c_str(), &out), out, "a3s_snapshot_get",
             snapshot_from_json_text) != saved) {
    fail("a3s_snapshot_get: snapshot '" + saved->id + "' is not the record saved");
  }
  int existed = 0;
  if (!ok(a3s_snapshot_delete(store(), saved->id.c_str(), &existed), "a3s_snapshot_delete") ||
      existed != 1) {
    fail("a3s_snapshot_delete: snapshot '" + saved->id + "' just saved is not there");
  }
}

// a3s_open's options on the same home. An option "db" that is a string is
// not tried: it would create a database wherever the input says.
void options(const char* json, std::string_view text) {
  if (text.find("db") != std::string_view::npos || text.find('\\') != std::string_view::npos) {
    return;
  }
  const std::string home = (a3s::fuzz::scratch_dir() / "home").string();
  a3s_store* opened = nullptr;
  const bool opened_ok = ok(a3s_open(home.c_str(), json, &opened), "a3s_open");
  if (opened_ok != (opened != nullptr)) fail("a3s_open: the handle does not match the status");
  a3s_close(opened);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = a3s::fuzz::split(data, size);
  // The C API takes NUL-terminated text: a NUL in the input ends it there.
  const std::string json(input.text);
  switch (input.selector % 6) {
    case 0:
      network(json.c_str());
      break;
    case 1:
      aliases(json.c_str());
      break;
    case 2:
      volume(json.c_str(), false);
      break;
    case 3:
      volume(json.c_str(), true);
      break;
    case 4:
      snapshot(json.c_str());
      break;
    default:
      options(json.c_str(), input.text);
      break;
  }
  return 0;
}
