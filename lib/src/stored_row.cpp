// Decoding the JSON and time columns of stored rows into record fields
// (stored_row.hpp): shape checks only, a bad value being Error(corrupt).
#include "stored_row.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "a3s/store/error.hpp"
#include "record_errors.hpp"
#include "record_json.hpp"
#include "rfc3339.hpp"

namespace a3s::store::detail {

using nlohmann::json;

namespace {

[[noreturn]] void stored_corrupt(const StoredField& field, std::string_view problem) {
  throw Error(ErrorCode::corrupt, label_of(field.kind, field.name) + ": column '" + field.column +
                                      "' " + std::string(problem) +
                                      " (the row was changed outside the store)");
}

// The codec's depth limit holds for stored text too: a column edited by hand
// to nest deeper than kMaxJsonDepth is refused before any value is built from
// it, as the codec refuses such text.
void check_depth(std::string_view json_text, const StoredField& field) {
  if (nested_too_deep(json_text)) {
    stored_corrupt(field, "is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  }
}

json parse_stored(std::string_view json_text, const StoredField& field) {
  check_depth(json_text, field);
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) stored_corrupt(field, "does not hold valid JSON");
  return j;
}

// JSON string values moved out of the parsed document rather than copied.
std::string take_string(json& v, const StoredField& field) {
  if (!v.is_string()) stored_corrupt(field, "holds a non-string value");
  return std::move(v.get_ref<std::string&>());
}

}  // namespace

void decode_stored(std::string_view json_text, StringMap& out, const StoredField& field) {
  out.clear();
  if (json_text == "{}") return;
  json j = parse_stored(json_text, field);
  if (!j.is_object()) stored_corrupt(field, "does not hold a JSON object");
  for (auto& [key, value] : j.items()) out.emplace_hint(out.end(), key, take_string(value, field));
}

void decode_stored(std::string_view json_text, std::vector<std::string>& out,
                   const StoredField& field) {
  out.clear();
  if (json_text == "[]") return;
  json j = parse_stored(json_text, field);
  if (!j.is_array()) stored_corrupt(field, "does not hold a JSON array");
  out.reserve(j.size());
  for (auto& value : j) out.push_back(take_string(value, field));
}

void decode_stored(std::string_view json_text, NetworkPolicy& out, const StoredField& field) {
  // The default policy as the stores write it (keys sorted) and as the
  // column's DEFAULT spells it.
  if (json_text == R"({"egress":[],"ingress":[],"isolation":"none"})" ||
      json_text == R"({"isolation":"none","ingress":[],"egress":[]})") {
    out = NetworkPolicy{};
    return;
  }
  const json j = parse_stored(json_text, field);
  const std::string label = label_of(field.kind, field.name);
  try {
    decode(j, out, Where{label, field.column});
  } catch (const Error& e) {
    throw Error(ErrorCode::corrupt,
                std::string(e.what()) + " (the row was changed outside the store)");
  }
}

void check_stored_object(std::string_view json_text, const StoredField& field) {
  check_depth(json_text, field);
  if (!parse_object(json_text)) stored_corrupt(field, "does not hold a JSON object");
}

void decode_stored_time(std::string_view text, Timestamp& out, const StoredField& field) {
  const auto t = try_parse_rfc3339(text);
  if (!t) stored_corrupt(field, "holds " + quote(text) + ", not " + std::string(kTimestampForm));
  out = *t;
}

}  // namespace a3s::store::detail
