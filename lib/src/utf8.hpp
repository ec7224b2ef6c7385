// Walking UTF-8 text and quoting it safely in error messages, for the record
// codec and its validation. Internal.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace a3s::store::detail {

// Decodes the code point starting at s[i] and moves i past it. Returns
// nullopt (i unchanged) unless s[i..] starts with well-formed UTF-8 (no
// overlong forms, surrogates or values past U+10FFFF).
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i);

// C0 and C1 control characters and DEL.
bool is_control(char32_t c);

// `text` made safe for an error message: invalid UTF-8 and control characters
// as \xNN, cut after about 64 bytes.
std::string escaped(std::string_view text);

// escaped(text) in single quotes.
std::string quote(std::string_view text);

}  // namespace a3s::store::detail
