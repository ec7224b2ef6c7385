// UTF-8 decoding and the escaping that keeps arbitrary bytes out of error
// messages (utf8.hpp).
#include "utf8.hpp"

#include <cstdio>

namespace a3s::store::detail {

std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t length = 0;
  char32_t cp = 0, min = 0;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() - i < length) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return std::nullopt;
    cp = cp << 6 | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  i += length;
  return cp;
}

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

std::string escaped(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < 64) {
    const std::size_t start = i;
    const auto c = next_code_point(text, i);
    if (c && !is_control(*c)) {
      out.append(text.substr(start, i - start));
      continue;
    }
    if (!c) i = start + 1;
    for (std::size_t k = start; k < i; ++k) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[k]));
      out += buf;
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

std::string quote(std::string_view text) { return "'" + escaped(text) + "'"; }

}  // namespace a3s::store::detail
