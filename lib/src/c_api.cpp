// The C API (a3s_store.h) over the public C++ API: records cross as the JSON
// text of records.hpp, failures as a3s_status plus a thread-local message.
// Every entry point runs its body through call(), which catches everything,
// so no C++ exception ever reaches a C caller.
#include "a3s_store.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "a3s/store/store.hpp"
#include "record_json.hpp"

struct a3s_store {
  std::unique_ptr<a3s::store::Store> store;
};

namespace {

using a3s::store::Error;
using a3s::store::ErrorCode;
using nlohmann::json;

// This thread's message for its last call; "" after a success.
thread_local std::string last_error;

// No default: a new ErrorCode must be given its status here (-Wswitch).
a3s_status status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::not_found:
      return A3S_NOT_FOUND;
    case ErrorCode::already_exists:
      return A3S_ALREADY_EXISTS;
    case ErrorCode::in_use:
      return A3S_IN_USE;
    case ErrorCode::invalid_argument:
      return A3S_INVALID_ARGUMENT;
    case ErrorCode::exhausted:
      return A3S_EXHAUSTED;
    case ErrorCode::schema_too_new:
      return A3S_SCHEMA_TOO_NEW;
    case ErrorCode::schema_outdated:
      return A3S_SCHEMA_OUTDATED;
    case ErrorCode::checksum_mismatch:
      return A3S_CHECKSUM_MISMATCH;
    case ErrorCode::corrupt:
      return A3S_CORRUPT;
    case ErrorCode::busy:
      return A3S_BUSY;
    case ErrorCode::io:
      return A3S_IO;
  }
  return A3S_INTERNAL;
}

// Keeps `message` as this thread's message; a copy that cannot be allocated
// leaves it empty (the status still says what failed).
void set_last_error(const char* message) noexcept try { last_error = message; } catch (...) {
  last_error.clear();
}

// Runs `body` and turns its outcome into a status and this thread's message.
template <typename Body>
a3s_status call(Body&& body) noexcept {
  try {
    body();
    last_error.clear();
    return A3S_OK;
  } catch (const Error& e) {
    set_last_error(e.what());
    return status_of(e.code());
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
    return A3S_INTERNAL;
  } catch (const std::exception& e) {
    set_last_error(e.what());
    return A3S_INTERNAL;
  } catch (...) {
    set_last_error("unknown internal error");
    return A3S_INTERNAL;
  }
}

Error invalid(const std::string& message) { return Error(ErrorCode::invalid_argument, message); }

// A NULL argument is invalid_argument naming the parameter.
template <typename T>
T* required(T* pointer, const char* parameter) {
  if (pointer == nullptr) throw invalid(std::string("argument '") + parameter + "' is NULL");
  return pointer;
}

// Clears an output pointer up front so that it is NULL on every failure.
template <typename T>
T** cleared(T** out, const char* parameter) {
  required(out, parameter);
  *out = nullptr;
  return out;
}

// A path argument: NULL or "" is invalid_argument naming the parameter (an
// empty path would mean the current directory, or no directory at all).
const char* path_argument(const char* path, const char* parameter) {
  if (*required(path, parameter) == '\0') {
    throw invalid(std::string("argument '") + parameter + "' is an empty path");
  }
  return path;
}

a3s::store::Store& store_of(a3s_store* s) { return *required(s, "store")->store; }

// A copy the caller releases with a3s_free (which calls free).
char* c_string(const std::string& text) {
  auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

// The JSON text of a record, of a list of records (an array), or of a list
// of names (an array of strings).
template <typename Record>
std::string text(const Record& record) {
  return a3s::store::to_json_text(record);
}

template <typename Record>
std::string text(const std::vector<Record>& records) {
  std::string array = "[";
  for (const auto& record : records) {
    if (array.size() > 1) array += ',';
    array += a3s::store::to_json_text(record);
  }
  return array + "]";
}

std::string text(const std::vector<std::string>& names) { return json(names).dump(); }

// `callback`, when given, sees the parse as nlohmann's callback parser shows
// it (and may throw).
json parse_json(const char* text, const std::string& what,
                const json::parser_callback_t& callback = nullptr) {
  if (a3s::store::detail::nested_too_deep(text)) {
    throw invalid(what + " is nested more than " +
                  std::to_string(a3s::store::detail::kMaxJsonDepth) + " levels deep");
  }
  try {
    return json::parse(text, callback);
  } catch (const json::exception& e) {
    throw invalid(what + " is not valid JSON: " + e.what());
  }
}

std::string string_option(const json& value, const std::string& key) {
  if (!value.is_string()) throw invalid("option '" + key + "' must be a string");
  return value.get<std::string>();
}

// A path option: "" means the default, as "" for the home does; one holding
// NUL would name a shorter path than the caller gave.
std::string path_option(const json& value, const std::string& key) {
  std::string path = string_option(value, key);
  if (path.find('\0') != std::string::npos) {
    throw invalid("option '" + key + "' must not contain NUL");
  }
  return path;
}

std::uint64_t unsigned_option(const json& value, const std::string& key) {
  if (!value.is_number_unsigned()) {
    throw invalid("option '" + key + "' must be a non-negative integer");
  }
  return value.get<std::uint64_t>();
}

// The options of a3s_open (a3s_store.h), on top of the defaults.
a3s::store::Options parse_options(const char* home, const char* options_json) {
  a3s::store::Options options;
  options.home = home;
  if (options_json == nullptr) return options;
  // A key named twice is refused: a JSON value keeps only the last, which
  // would hide the first.
  std::set<std::string> keys;
  const auto once = [&keys](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key &&
        !keys.insert(parsed.get<std::string>()).second) {
      throw invalid("option '" + parsed.get<std::string>() + "' is named twice");
    }
    return true;
  };
  const json parsed = parse_json(options_json, "options", once);
  if (!parsed.is_object()) throw invalid("options must be a JSON object");
  for (const auto& [key, value] : parsed.items()) {
    if (key == "db") {
      options.db_path = path_option(value, key);
    } else if (key == "store") {
      // "" means the default, as for the paths; resolve() checks the URL.
      options.store = string_option(value, key);
    } else if (key == "auto_migrate") {
      if (!value.is_boolean()) throw invalid("option 'auto_migrate' must be true or false");
      options.auto_migrate = value.get<bool>();
    } else if (key == "synchronous") {
      const std::string mode = string_option(value, key);
      if (mode == "full") {
        options.durability = a3s::store::Durability::full;
      } else if (mode == "normal") {
        options.durability = a3s::store::Durability::normal;
      } else {
        throw invalid("option 'synchronous' must be \"full\" or \"normal\", not '" + mode + "'");
      }
    } else if (key == "busy_timeout_ms") {
      const std::uint64_t ms = unsigned_option(value, key);
      // SQLite takes an int.
      if (ms > INT32_MAX) throw invalid("option 'busy_timeout_ms' is over 2^31 - 1");
      options.busy_timeout = std::chrono::milliseconds(ms);
    } else if (key == "image_cache_bytes") {
      options.image_cache_max_bytes = unsigned_option(value, key);
    } else {
      throw invalid("unknown option '" + key + "'");
    }
  }
  return options;
}

std::vector<std::string> parse_aliases(const char* aliases_json) {
  const json parsed = parse_json(aliases_json, "aliases");
  if (!parsed.is_array()) throw invalid("aliases must be a JSON array of strings");
  std::vector<std::string> aliases;
  for (const auto& alias : parsed) {
    if (!alias.is_string()) throw invalid("aliases must be a JSON array of strings");
    aliases.push_back(alias.get<std::string>());
  }
  return aliases;
}

// The text of `record`; an absent one is not_found for the `kind` named
// `name`.
template <typename Record>
std::string found(const std::optional<Record>& record, const char* kind, const char* name) {
  if (!record) throw a3s::store::not_found(kind, name);
  return text(*record);
}

// As call(), for a `body` returning the JSON text that `*out_json` receives.
template <typename Body>
a3s_status call_out(char** out_json, Body&& body) noexcept {
  return call([&] {
    cleared(out_json, "out_json");
    *out_json = c_string(body());
  });
}

}  // namespace

extern "C" {

const char* a3s_version(void) { return A3S_STORE_VERSION; }

const char* a3s_last_error(void) { return last_error.c_str(); }

void a3s_free(char* s) { std::free(s); }

a3s_status a3s_open(const char* home, const char* options_json, a3s_store** out) {
  return call([&] {
    cleared(out, "out");
    auto options = parse_options(required(home, "home"), options_json);
    auto handle = std::make_unique<a3s_store>();
    handle->store = a3s::store::Store::open(std::move(options));
    *out = handle.release();
  });
}

void a3s_close(a3s_store* s) { delete s; }

// ---- Networks --------------------------------------------------------------

a3s_status a3s_network_get(a3s_store* s, const char* name, char** out_json) {
  return call_out(out_json, [&] {
    return found(store_of(s).networks().get(required(name, "name")), "network", name);
  });
}

a3s_status a3s_network_create(a3s_store* s, const char* config_json) {
  return call([&] {
    store_of(s).networks().create(
        a3s::store::network_from_json_text(required(config_json, "config_json")));
  });
}

a3s_status a3s_network_remove(a3s_store* s, const char* name, int force, char** out_json) {
  return call_out(out_json, [&] {
    return text(store_of(s).networks().remove(required(name, "name"), force != 0));
  });
}

a3s_status a3s_network_list(a3s_store* s, char** out_json) {
  return call_out(out_json, [&] { return text(store_of(s).networks().list()); });
}

a3s_status a3s_network_update(a3s_store* s, const char* config_json) {
  return call([&] {
    store_of(s).networks().update(
        a3s::store::network_from_json_text(required(config_json, "config_json")));
  });
}

a3s_status a3s_network_connect(a3s_store* s, const char* network, const char* box_id,
                               const char* box_name, const char* aliases_json, char** out_json) {
  return call_out(out_json, [&] {
    auto& networks = store_of(s).networks();
    const auto aliases = parse_aliases(required(aliases_json, "aliases_json"));
    return text(networks.connect(required(network, "network"), required(box_id, "box_id"),
                                 required(box_name, "box_name"), aliases));
  });
}

a3s_status a3s_network_disconnect(a3s_store* s, const char* network, const char* box_id,
                                  char** out_json) {
  return call_out(out_json, [&] {
    return text(store_of(s).networks().disconnect(required(network, "network"),
                                                  required(box_id, "box_id")));
  });
}

// ---- Volumes ---------------------------------------------------------------

a3s_status a3s_volume_get(a3s_store* s, const char* name, char** out_json) {
  return call_out(out_json, [&] {
    return found(store_of(s).volumes().get(required(name, "name")), "volume", name);
  });
}

a3s_status a3s_volume_create(a3s_store* s, const char* config_json, char** out_json) {
  return call_out(out_json, [&] {
    auto& volumes = store_of(s).volumes();
    return text(
        volumes.create(a3s::store::volume_from_json_text(required(config_json, "config_json"))));
  });
}

a3s_status a3s_volume_get_or_create(a3s_store* s, const char* config_json, char** out_json) {
  return call_out(out_json, [&] {
    auto& volumes = store_of(s).volumes();
    return text(volumes.get_or_create(
        a3s::store::volume_from_json_text(required(config_json, "config_json"))));
  });
}

a3s_status a3s_volume_remove(a3s_store* s, const char* name, int force, char** out_json) {
  return call_out(out_json, [&] {
    return text(store_of(s).volumes().remove(required(name, "name"), force != 0));
  });
}

a3s_status a3s_volume_list(a3s_store* s, char** out_json) {
  return call_out(out_json, [&] { return text(store_of(s).volumes().list()); });
}

a3s_status a3s_volume_update(a3s_store* s, const char* config_json) {
  return call([&] {
    store_of(s).volumes().update(
        a3s::store::volume_from_json_text(required(config_json, "config_json")));
  });
}

a3s_status a3s_volume_attach(a3s_store* s, const char* name, const char* box_id) {
  return call(
      [&] { store_of(s).volumes().attach(required(name, "name"), required(box_id, "box_id")); });
}

a3s_status a3s_volume_detach(a3s_store* s, const char* name, const char* box_id) {
  return call(
      [&] { store_of(s).volumes().detach(required(name, "name"), required(box_id, "box_id")); });
}

a3s_status a3s_volume_prune(a3s_store* s, char** out_json) {
  return call_out(out_json, [&] { return text(store_of(s).volumes().prune()); });
}

// ---- Snapshots -------------------------------------------------------------

a3s_status a3s_snapshot_save(a3s_store* s, const char* metadata_json, const char* rootfs_source,
                             char** out_json) {
  return call_out(out_json, [&] {
    auto& snapshots = store_of(s).snapshots();
    const auto metadata =
        a3s::store::snapshot_from_json_text(required(metadata_json, "metadata_json"));
    return text(snapshots.save(metadata, path_argument(rootfs_source, "rootfs_source")));
  });
}

a3s_status a3s_snapshot_get(a3s_store* s, const char* id, char** out_json) {
  return call_out(out_json, [&] {
    return found(store_of(s).snapshots().get(required(id, "id")), "snapshot", id);
  });
}

a3s_status a3s_snapshot_list(a3s_store* s, char** out_json) {
  return call_out(out_json, [&] { return text(store_of(s).snapshots().list()); });
}

a3s_status a3s_snapshot_delete(a3s_store* s, const char* id, int* existed) {
  return call([&] {
    *required(existed, "existed") = 0;
    *existed = store_of(s).snapshots().remove(required(id, "id")).has_value() ? 1 : 0;
  });
}

a3s_status a3s_snapshot_count(a3s_store* s, uint64_t* out) {
  return call([&] {
    *required(out, "out") = 0;
    *out = store_of(s).snapshots().count();
  });
}

a3s_status a3s_snapshot_total_size(a3s_store* s, uint64_t* out) {
  return call([&] {
    *required(out, "out") = 0;
    *out = store_of(s).snapshots().total_size();
  });
}

a3s_status a3s_snapshot_prune(a3s_store* s, uint64_t max_count, uint64_t max_bytes,
                              char** out_json) {
  return call_out(out_json,
                  [&] { return text(store_of(s).snapshots().prune(max_count, max_bytes)); });
}

// ---- Images ----------------------------------------------------------------

a3s_status a3s_image_put(a3s_store* s, const char* reference, const char* digest,
                         const char* source_dir, char** out_json) {
  return call_out(out_json, [&] {
    return text(store_of(s).images().put(required(reference, "reference"),
                                         required(digest, "digest"),
                                         path_argument(source_dir, "source_dir")));
  });
}

a3s_status a3s_image_get(a3s_store* s, const char* reference, char** out_json) {
  return call_out(out_json, [&] {
    return found(store_of(s).images().get(required(reference, "reference")), "image", reference);
  });
}

a3s_status a3s_image_get_by_digest(a3s_store* s, const char* digest, char** out_json) {
  return call_out(out_json, [&] {
    return found(store_of(s).images().get_by_digest(required(digest, "digest")), "image", digest);
  });
}

a3s_status a3s_image_remove(a3s_store* s, const char* reference_or_digest) {
  return call(
      [&] { store_of(s).images().remove(required(reference_or_digest, "reference_or_digest")); });
}

a3s_status a3s_image_list(a3s_store* s, char** out_json) {
  return call_out(out_json, [&] { return text(store_of(s).images().list()); });
}

a3s_status a3s_image_evict(a3s_store* s, char** out_json) {
  return call_out(out_json, [&] { return text(store_of(s).images().evict()); });
}

a3s_status a3s_image_total_size(a3s_store* s, uint64_t* out) {
  return call([&] {
    *required(out, "out") = 0;
    *out = store_of(s).images().total_size();
  });
}

}  // extern "C"
