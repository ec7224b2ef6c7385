// The records' JSON text (records.hpp): to_json_text, *_from_json_text, and
// the text parser they read with, which refuses a record naming one field
// twice as serde does (detail::parse_json_text, record_json.hpp).
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "a3s/store/records.hpp"
#include "record_errors.hpp"
#include "record_json.hpp"

namespace a3s::store {
namespace {

using detail::Where;
using nlohmann::json;

// What serde makes of an object or array in a record's text.
enum class Kind {
  record,  // a struct: naming one field twice is an error
  map,     // a HashMap: a repeated key keeps its last value
  free,    // a serde_json::Value (image_config, health_check): any JSON
  list,    // a Vec: its objects are records (ingress, egress, images, ...)
};

// Fields whose object is a map (the legacy files' wrappers name networks and
// volumes by name) or free JSON; every other field's object is a record.
bool is_map_field(std::string_view key) {
  return key == "labels" || key == "env" || key == "endpoints" || key == "networks" ||
         key == "volumes";
}
bool is_free_field(std::string_view key) { return key == "image_config" || key == "health_check"; }

// The fields the records (and the legacy files' wrappers) declare. serde
// skips any other field whole, as IgnoredAny: naming it twice is no error and
// anything goes inside it.
bool is_known_field(const std::string& key) {
  static const std::set<std::string, std::less<>> known = {"action",
                                                           "aliases",
                                                           "box_id",
                                                           "box_name",
                                                           "cmd",
                                                           "created_at",
                                                           "description",
                                                           "digest",
                                                           "driver",
                                                           "egress",
                                                           "endpoints",
                                                           "entrypoint",
                                                           "env",
                                                           "from",
                                                           "gateway",
                                                           "health_check",
                                                           "healthcheck_disabled",
                                                           "id",
                                                           "image",
                                                           "image_config",
                                                           "images",
                                                           "in_use_by",
                                                           "ingress",
                                                           "ip_address",
                                                           "isolation",
                                                           "labels",
                                                           "last_used",
                                                           "mac_address",
                                                           "memory_mb",
                                                           "mount_point",
                                                           "name",
                                                           "network_mode",
                                                           "networks",
                                                           "path",
                                                           "policy",
                                                           "port_map",
                                                           "ports",
                                                           "protocol",
                                                           "pulled_at",
                                                           "reference",
                                                           "rootfs_cache_key",
                                                           "size_bytes",
                                                           "size_limit",
                                                           "source_box_id",
                                                           "subnet",
                                                           "to",
                                                           "vcpus",
                                                           "volumes",
                                                           "workdir"};
  return known.contains(key);
}

// One open object or array, from the outermost in.
struct Frame {
  Kind kind;
  Where where;
  std::string key{};               // objects: the last key read
  std::size_t next_index = 0;      // lists: the index of the next element
  std::set<std::string> fields{};  // records: the fields named so far
};

// Follows the parser's events and throws when a record names a field twice.
class DuplicateFields {
 public:
  explicit DuplicateFields(std::string_view what) : what_(what) {}

  void on(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        frames_.push_back(opened(event == json::parse_event_t::object_start));
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        break;
      case json::parse_event_t::key: {
        Frame& top = frames_.back();
        top.key = parsed.get<std::string>();
        if (top.kind == Kind::record && is_known_field(top.key) &&
            !top.fields.insert(top.key).second) {
          (top.where / top.key).fail("is named twice");
        }
        break;
      }
      case json::parse_event_t::value:
        if (!frames_.empty() && frames_.back().kind == Kind::list) ++frames_.back().next_index;
        break;
    }
  }

 private:
  // The frame of an object or array that starts inside the current one.
  Frame opened(bool object) {
    const Kind inner = object ? Kind::record : Kind::list;
    if (frames_.empty()) return {inner, Where{what_, {}}};
    Frame& outer = frames_.back();
    switch (outer.kind) {
      case Kind::free:
        return {Kind::free, outer.where};
      case Kind::map:
        return {inner, outer.where.at(outer.key)};
      case Kind::list:
        return {inner, outer.where.at(outer.next_index++)};
      case Kind::record:
        break;
    }
    Where where = outer.where / outer.key;
    if (object && is_map_field(outer.key)) return {Kind::map, std::move(where)};
    if (is_free_field(outer.key) || !is_known_field(outer.key)) {
      return {Kind::free, std::move(where)};
    }
    return {inner, std::move(where)};
  }

  std::string_view what_;
  std::vector<Frame> frames_;
};

// Compact; never throws (validated records hold only valid UTF-8).
std::string text_of(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

json detail::parse_json_text(std::string_view text, std::string_view what) {
  DuplicateFields duplicates(what);
  try {
    return json::parse(text, [&duplicates](int, json::parse_event_t event, json& parsed) {
      duplicates.on(event, parsed);
      return true;  // keep everything
    });
  } catch (const json::parse_error& e) {
    detail::invalid(std::string(what) + ": not valid JSON: " + e.what());
  }
}

std::optional<json> detail::parse_object(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\n\r");
  if (start == std::string_view::npos || text[start] != '{') return std::nullopt;  // a BOM, say
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;  // also a parse error (discarded)
  return j;
}

std::string to_json_text(const NetworkEndpoint& e) { return text_of(to_json(e)); }
std::string to_json_text(const NetworkConfig& n) { return text_of(to_json(n)); }
std::string to_json_text(const VolumeConfig& v) { return text_of(to_json(v)); }
std::string to_json_text(const SnapshotMetadata& s) { return text_of(to_json(s)); }
std::string to_json_text(const StoredImage& i) { return text_of(to_json(i)); }

NetworkEndpoint endpoint_from_json_text(std::string_view text) {
  return endpoint_from_json(detail::parse_json_text(text, "endpoint"));
}
NetworkConfig network_from_json_text(std::string_view text) {
  return network_from_json(detail::parse_json_text(text, "network"));
}
VolumeConfig volume_from_json_text(std::string_view text) {
  return volume_from_json(detail::parse_json_text(text, "volume"));
}
SnapshotMetadata snapshot_from_json_text(std::string_view text) {
  return snapshot_from_json(detail::parse_json_text(text, "snapshot"));
}
StoredImage image_from_json_text(std::string_view text) {
  return image_from_json(detail::parse_json_text(text, "image"));
}

}  // namespace a3s::store
