// The classes of bad input SPEC §4 refuses, shared by the CLI's and the C
// API's hostile-input tests so that both face the same ones.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace a3s::test::hostile {

// The cases each test ran and saw refused as they must be (0: not run), for
// the one summary line (hostile_input_test.cpp).
extern std::size_t cli_cases;
extern std::size_t c_api_cases;

inline const std::string kDigest = "sha256:" + std::string(64, 'a');

// Names no network, volume or snapshot ID may have, and the rule the
// refusal quotes.
inline const std::vector<std::string> kBadNames = {"",
                                                   "..",
                                                   ".hidden",
                                                   "a/b",
                                                   "a b",
                                                   "a\nb",
                                                   "\xc3\x28" /* bad UTF-8 */,
                                                   "\xc3\xa9" /* é */,
                                                   std::string(129, 'n')};
inline const char* const kNameRule = "must match [A-Za-z0-9][A-Za-z0-9_.-]*";

// Box IDs, box names, aliases, image references and label keys: 1 to 256
// bytes of UTF-8, no control characters.
struct BadIdentifier {
  std::string value;
  std::string problem;
  bool utf8;  // whether `value` is valid UTF-8 (else no JSON text can hold it)
};
inline const std::vector<BadIdentifier> kBadIdentifiers = {
    {"", "must not be empty", true},
    {std::string(257, 'b'), "must be at most 256 bytes", true},
    {"a\x01z", "must not contain control characters", true},
    {"a\x7fz", "must not contain control characters", true},
    {"a\xc2\x85z" /* NEL, a C1 control */, "must not contain control characters", true},
    {"a\xffz", "must be valid UTF-8", false},
    {"a\xed\xa0\x80z" /* a UTF-16 surrogate */, "must be valid UTF-8", false},
    {"a\xf4\x90\x80\x80z" /* past U+10FFFF */, "must be valid UTF-8", false},
};

// `levels` nested objects: {"a":{"a":...1...}}.
inline std::string nested_objects(std::size_t levels) {
  std::string text;
  for (std::size_t i = 0; i < levels; ++i) text += "{\"a\":";
  return text + "1" + std::string(levels, '}');
}

}  // namespace a3s::test::hostile
