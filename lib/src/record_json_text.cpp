// The records' JSON text (records.hpp): to_json_text, *_from_json_text, and
// the text parser they read with, which refuses a record naming one field
// twice as serde does (detail::parse_json_text, record_json.hpp).
#include <map>
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

// A SAX pass over the text that throws when a record names a field twice.
// It builds nothing: the value itself comes from the plain parser, since
// nlohmann's callback parser rescans an object's members each time one of
// them ends (quadratic in a legacy file's ten thousand networks).
class DuplicateFields : public nlohmann::json_sax<json> {
 public:
  // With `per_entry`, the text is a legacy file holding records in one
  // wrapper ({"networks": {...}}, {"images": [...]}): a record in it naming
  // a field twice is noted in duplicates() under its key or index, with the
  // field's path from that record, instead of failing the parse.
  explicit DuplicateFields(std::string_view what, bool per_entry = false)
      : what_(what), per_entry_(per_entry) {}

  const std::map<std::string, std::string>& duplicates() const { return duplicates_; }

  // Why the text is not JSON, once sax_parse returned false.
  const std::string& syntax_error() const { return syntax_error_; }

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    frames_.push_back(opened(/*object=*/true));
    check_depth();
    return true;
  }
  bool start_array(std::size_t) override {
    frames_.push_back(opened(/*object=*/false));
    check_depth();
    return true;
  }
  bool end_object() override { return closed(); }
  bool end_array() override { return closed(); }
  bool key(string_t& key) override {
    Frame& top = frames_.back();
    top.key = key;
    if (top.kind == Kind::record && is_known_field(top.key) && !top.fields.insert(top.key).second) {
      if (!per_entry_ || frames_.size() < 3) (top.where / top.key).fail("is named twice");
      const Frame& wrapper = frames_[1];
      const std::string entry =
          wrapper.kind == Kind::list ? std::to_string(wrapper.next_index - 1) : wrapper.key;
      duplicates_.emplace(entry, "field '" + (top.where / top.key).path + "' is named twice");
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    syntax_error_ = e.what();
    return false;
  }

 private:
  bool value() {
    if (!frames_.empty() && frames_.back().kind == Kind::list) ++frames_.back().next_index;
    return true;
  }
  bool closed() {
    frames_.pop_back();
    return true;
  }
  void check_depth() const {
    if (frames_.size() > detail::kMaxJsonDepth) {
      frames_.back().where.fail("is nested more than " + std::to_string(detail::kMaxJsonDepth) +
                                " levels deep");
    }
  }

  // The frame of an object or array that starts inside the current one.
  Frame opened(bool object) {
    const Kind inner = object ? Kind::record : Kind::list;
    if (frames_.empty()) return {inner, Where{what_, {}}};
    Frame& outer = frames_.back();
    switch (outer.kind) {
      case Kind::free:
        return {Kind::free, outer.where};
      case Kind::map:
        // A legacy file's record: paths from the record itself.
        if (per_entry_ && frames_.size() == 2) return {inner, Where{what_, {}}};
        return {inner, outer.where.at(outer.key)};
      case Kind::list:
        if (per_entry_ && frames_.size() == 2) {
          ++outer.next_index;
          return {inner, Where{what_, {}}};
        }
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
  bool per_entry_;
  std::vector<Frame> frames_;
  std::string syntax_error_;
  std::map<std::string, std::string> duplicates_;
};

// A SAX pass that stops at the first object or array nested deeper than
// `max_depth`, building nothing.
class DepthLimit : public nlohmann::json_sax<json> {
 public:
  explicit DepthLimit(std::size_t max_depth) : max_depth_(max_depth) {}
  bool too_deep() const { return too_deep_; }

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool key(string_t&) override { return true; }
  bool start_object(std::size_t) override { return opened(); }
  bool start_array(std::size_t) override { return opened(); }
  bool end_object() override { return closed(); }
  bool end_array() override { return closed(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool opened() {
    too_deep_ = ++depth_ > max_depth_;
    return !too_deep_;
  }
  bool closed() {
    --depth_;
    return true;
  }

  std::size_t max_depth_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
};

// Compact; never throws (validated records hold only valid UTF-8).
std::string text_of(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// nlohmann's lexer takes a NUL byte for the end of the input, so a text
// with one would be read only up to it, whatever follows; serde refuses it.
void refuse_nul(std::string_view text, std::string_view what) {
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    detail::invalid(std::string(what) + ": not valid JSON: a NUL byte at offset " +
                    std::to_string(nul));
  }
}

}  // namespace

json detail::parse_json_text(std::string_view text, std::string_view what) {
  refuse_nul(text, what);
  DuplicateFields duplicates(what);
  if (!json::sax_parse(text, &duplicates)) {
    detail::invalid(std::string(what) + ": not valid JSON: " + duplicates.syntax_error());
  }
  return json::parse(text);  // valid: the pass above parsed it
}

detail::LegacyFile detail::parse_legacy_file(std::string_view text, std::string_view what) {
  refuse_nul(text, what);
  DuplicateFields duplicates(what, /*per_entry=*/true);
  if (!json::sax_parse(text, &duplicates)) {
    detail::invalid(std::string(what) + ": not valid JSON: " + duplicates.syntax_error());
  }
  return {json::parse(text), duplicates.duplicates()};
}

bool detail::nested_too_deep(std::string_view text, std::size_t max_depth) {
  DepthLimit depth(max_depth);
  json::sax_parse(text, &depth);
  return depth.too_deep();
}

std::optional<json> detail::parse_object(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\n\r");
  if (start == std::string_view::npos || text[start] != '{') return std::nullopt;  // a BOM, say
  if (nested_too_deep(text)) return std::nullopt;
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
